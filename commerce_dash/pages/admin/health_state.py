"""The state of ``health.py``: the same figures as ``/metrics``, for people.

The database figures come from ``platform.health_figures`` (the rule ``/metrics`` uses); the
measured ones (request latency by route, status classes, the event loop's lag) from the
process's metrics (every process's when PROMETHEUS_MULTIPROC_DIR is set).
"""

from __future__ import annotations

from dataclasses import dataclass

import reflex as rx

from commerce_dash import metrics
from commerce_dash.services import platform as platform_area
from commerce_dash.state.admin import AdminState
from commerce_dash.state.offload import with_session

SECTION = "health"
TOP_ROUTES = 15
DASH = "—"


def seconds_label(value: float | None) -> str:
    """A duration as people read it: "—", "12 ms", "1.4 s", "3 min", "2.5 h"."""
    if value is None:
        return DASH
    if value < 1:
        return f"{value * 1000:.0f} ms"
    if value < 120:
        return f"{value:.1f} s"
    if value < 2 * 3600:
        return f"{value / 60:.0f} min"
    return f"{value / 3600:.1f} h"


def share_label(part: float, whole: float) -> str:
    return f"{100 * part / whole:.1f} %" if whole else DASH


@dataclass(frozen=True)
class Measured:
    routes: list[metrics.RouteLatency]
    events: list[metrics.EventLatency]
    by_class: dict[str, float]
    lag_p95: float | None
    lag_max: float | None


def _measured() -> Measured:
    registry = metrics.registry_for_scrape()
    by_class: dict[str, float] = {}
    for labels, value in metrics.sample_values("commerce_http_responses_total", registry):
        key = labels.get("status_class", "")
        by_class[key] = by_class.get(key, 0.0) + value
    lag_p95, lag_max = metrics.loop_lag_figures(registry)
    return Measured(metrics.route_latencies(registry), metrics.event_latencies(registry),
                    by_class, lag_p95, lag_max)


def kpis(f: platform_area.HealthFigures, m: Measured) -> list[dict[str, str]]:
    total = sum(m.by_class.values())
    window = f"last {f.window_hours} h"
    return [
        {"label": "Server errors (5xx)", "value": share_label(m.by_class.get("5xx", 0), total),
         "hint": f"{m.by_class.get('5xx', 0):.0f} of {total:.0f} requests measured"},
        {"label": "Refusals (4xx)", "value": share_label(m.by_class.get("4xx", 0), total),
         "hint": f"{m.by_class.get('4xx', 0):.0f} requests"},
        {"label": "Event-loop lag (p95 / max)",
         "value": f"{seconds_label(m.lag_p95)} / {seconds_label(m.lag_max)}",
         "hint": "How late the app wakes a 50 ms sleeper"},
        {"label": "Webhooks waiting", "value": str(f.webhooks_waiting),
         "hint": f"Oldest {seconds_label(f.webhook_oldest_waiting_seconds)}"
         if f.webhooks_waiting else "None"},
        {"label": "Webhook lag (avg / max)",
         "value": f"{seconds_label(f.webhook_lag_avg_seconds)} / "
                  f"{seconds_label(f.webhook_lag_max_seconds)}",
         "hint": f"Received to processed, {f.webhooks_processed} webhooks, {window}"},
        {"label": "Outbox waiting", "value": str(f.outbox_depth),
         "hint": f"Oldest {seconds_label(f.outbox_oldest_waiting_seconds)}; "
                 f"{f.outbox_by_status.get('dead', 0)} dead" if f.outbox_depth
         else f"{f.outbox_by_status.get('dead', 0)} dead"},
        {"label": "Job runs (failed)", "value": f"{f.job_runs} ({f.job_failures})",
         "hint": window},
        {"label": "Failed sign-ins", "value": str(f.login_failures),
         "hint": f"{window}; {f.login_failures_last_hour} in the last hour"},
    ]


def route_rows(m: Measured) -> list[dict[str, str]]:
    return [{"route": r.route, "method": r.method, "count": str(r.count),
             "p50": seconds_label(r.p50), "p95": seconds_label(r.p95)}
            for r in m.routes[:TOP_ROUTES]]


def event_rows(m: Measured) -> list[dict[str, str]]:
    return [{"event": e.event, "count": str(e.count), "p50": seconds_label(e.p50),
             "p95": seconds_label(e.p95)} for e in m.events[:TOP_ROUTES]]


def payment_rows(f: platform_area.HealthFigures) -> list[dict[str, str]]:
    rows = []
    for p in f.payments:
        rate = p.success_rate
        pending = sum(p.by_status.values()) - p.outcome("succeeded") - p.outcome("failed") \
            - p.outcome("canceled")
        rows.append({"processor": p.processor, "succeeded": str(p.outcome("succeeded")),
                     "failed": str(p.outcome("failed")), "other": str(pending),
                     "rate": DASH if rate is None else f"{100 * rate:.1f} %"})
    return rows


def job_rows(f: platform_area.HealthFigures) -> list[dict[str, str]]:
    return [{"job": j.job_name, "runs": str(j.runs), "failed": str(j.failed),
             "last": j.last_outcome} for j in f.jobs]


class HealthState(AdminState):
    kpis: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    routes: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    events: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    payments: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    jobs: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    as_of: str = ""

    async def _reload(self) -> None:
        def read(session):  # type: ignore[no-untyped-def]
            return platform_area.health_figures(session=session), _measured()

        figures, measured = await with_session(read)
        self.kpis = kpis(figures, measured)
        self.routes = route_rows(measured)
        self.events = event_rows(measured)
        self.payments = payment_rows(figures)
        self.jobs = job_rows(figures)
        self.as_of = figures.at.strftime("%Y-%m-%d %H:%M:%S UTC")

    @rx.event
    async def load(self):  # type: ignore[no-untyped-def]
        if self.guard(SECTION) is None:
            return self.refused()
        await self._reload()
        return None

    @rx.event
    async def refresh(self):  # type: ignore[no-untyped-def]
        if self.guard(SECTION) is None:
            return self.refused()
        await self._reload()
        return rx.toast.success("Figures read again.")
