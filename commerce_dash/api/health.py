"""Liveness and readiness: the database answers and its schema is at the newest migration;
and ``GET /metrics``, the Prometheus scrape.

In production the answer says only whether the app is ready (and, if not, why in words):
the database dialect and the migration revisions are for operators (``cli check``), not for
anyone who can reach the URL.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
from collections.abc import Iterator

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from pydantic import Field
from sqlalchemy import text

from commerce_dash import metrics
from commerce_dash.api.errors import error_response
from commerce_dash.api.schemas import Out
from commerce_dash.db import get_engine, session_scope
from commerce_dash.migrations import current_revision, head_revision
from commerce_dash.services import platform as platform_area
from commerce_dash.settings import Settings, get_settings

log = logging.getLogger(__name__)

router = APIRouter(tags=["health"])


class LiveOut(Out):
    status: str


class MigrationOut(Out):
    current: str | None
    head: str
    at_head: bool


class HealthOut(Out):
    """Outside production the answer also names the dialect and the migration revisions;
    when not ready, ``code`` and ``message`` say why."""

    status: str = Field(description="ok, or error")
    database: str = Field(description="ok, or unreachable")
    dialect: str | None = None
    migration: MigrationOut | None = None
    code: str | None = Field(default=None,
                             description="database_unreachable or migrations_pending")
    message: str | None = None


@router.get("/api/health/live", summary="The process answers (no database access)",
            response_model=LiveOut)
def live() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/api/health", summary="Database reachable and migrated to head",
            response_model=HealthOut,
            responses={503: {"model": HealthOut, "description": "Not ready"}})
def health() -> JSONResponse:
    engine = get_engine()
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            current = current_revision(conn)
    except Exception as exc:  # the point of a health check is to report, not to raise
        return JSONResponse(
            {
                "status": "error",
                "code": "database_unreachable",
                "message": type(exc).__name__,
                "database": "unreachable",
            },
            status_code=503,
        )
    head = head_revision()
    ok = current == head
    details = {} if get_settings().env == "production" else {
        "dialect": engine.dialect.name,
        "migration": {"current": current, "head": head, "at_head": ok},
    }
    return JSONResponse(
        {
            "status": "ok" if ok else "error",
            "database": "ok",
            **details,
            **(
                {}
                if ok
                else {"code": "migrations_pending", "message": "Run the database migrations."}
            ),
        },
        status_code=200 if ok else 503,
    )


# -- GET /metrics -------------------------------------------------------------------------------
#
# Who may scrape: with COMMERCE_METRICS_TOKEN set, a caller sending it as a bearer token (from
# anywhere); without one, only a caller on this machine: a loopback peer whose request carries
# no proxy's forwarding header (a reverse proxy on the same host would otherwise make every
# visitor look local). Everyone else gets the same 404 as any unknown path: the scrape is not
# advertised. Production refuses a token under 32 characters (settings).

METRICS_PATH = "/metrics"
_FORWARDING_HEADERS = ("x-forwarded-for", "forwarded", "x-real-ip")


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def metrics_allowed(request: Request, settings: Settings) -> bool:
    token = settings.metrics_token.get_secret_value()
    if token:
        header = request.headers.get("authorization", "")
        given = header[7:].strip() if header.lower().startswith("bearer ") else ""
        return hmac.compare_digest(given.encode(), token.encode())
    peer = request.client.host if request.client else ""
    return _loopback(peer) and not any(request.headers.get(h) for h in _FORWARDING_HEADERS)


def _gauge(name: str, documentation: str, labels: tuple[str, ...] = (),
           samples: tuple[tuple[tuple[str, ...], float], ...] = ()) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, documentation, labels=list(labels))
    for values, value in samples:
        family.add_metric(list(values), value)
    return family


class DatabaseFigures(Collector):
    """The figures durable rows hold (``platform.health_figures``), read at scrape time so
    that every process's work counts."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        with session_scope() as session:
            f = platform_area.health_figures(session=session)
        window = f"last {f.window_hours} h"
        yield _gauge("commerce_payments_recent", f"Payments by processor and status, {window} "
                     "(by last update)", ("processor", "status"),
                     tuple(((p.processor, status), float(n)) for p in f.payments
                           for status, n in sorted(p.by_status.items())))
        yield _gauge("commerce_webhook_events_waiting",
                     "Processor webhooks received and not yet processed",
                     samples=(((), float(f.webhooks_waiting)),))
        yield _gauge("commerce_webhook_oldest_waiting_seconds",
                     "Age of the oldest webhook not yet processed (0: none)",
                     samples=(((), f.webhook_oldest_waiting_seconds),))
        lags = tuple(((stat,), value) for stat, value in (
            ("avg", f.webhook_lag_avg_seconds), ("max", f.webhook_lag_max_seconds))
            if value is not None)
        yield _gauge("commerce_webhook_processing_lag_seconds",
                     f"Webhook received -> processed, {window}", ("stat",), lags)
        yield _gauge("commerce_outbox_messages", "Outbox messages by status", ("status",),
                     tuple(((s,), float(n)) for s, n in sorted(f.outbox_by_status.items())))
        yield _gauge("commerce_outbox_depth", "Outbox messages waiting (pending or sending)",
                     samples=(((), float(f.outbox_depth)),))
        yield _gauge("commerce_outbox_oldest_waiting_seconds",
                     "Age of the oldest outbox message waiting (0: none)",
                     samples=(((), f.outbox_oldest_waiting_seconds),))
        yield _gauge("commerce_job_runs_recent", f"Job runs by job and outcome, {window}",
                     ("job", "outcome"),
                     tuple(pair for j in f.jobs for pair in (
                         ((j.job_name, "all"), float(j.runs)),
                         ((j.job_name, "failed"), float(j.failed)))))
        yield _gauge("commerce_login_failures_recent", "Failed sign-ins", ("window",),
                     ((("1h",), float(f.login_failures_last_hour)),
                      ((f"{f.window_hours}h",), float(f.login_failures))))


def scrape() -> bytes:
    """The text of a scrape: this process's (or every process's) measured figures, then
    the database's."""
    database = CollectorRegistry(auto_describe=False)
    database.register(DatabaseFigures())
    try:
        from_rows = generate_latest(database)
    except Exception:  # the process figures still answer when the database does not
        log.exception("metrics: the database figures could not be read")
        from_rows = b""
    return generate_latest(metrics.registry_for_scrape()) + from_rows


@router.get(METRICS_PATH, include_in_schema=False)
def prometheus_metrics(request: Request) -> Response:
    settings = get_settings()
    if not metrics_allowed(request, settings):
        return error_response(404, "not_found", f"No route GET {METRICS_PATH}.")
    return Response(scrape(), media_type=CONTENT_TYPE_LATEST)
