"""The process's own metrics (Prometheus), the request id and the log format.

Only ``prometheus_client`` and the standard library: the API middleware, the Reflex event
timer, the event-loop probe and the admin Health page all record or read here.

- Figures measured in this process: request latency by route template (never the raw path,
  so the label set stays bounded) and by Reflex page event, responses by status class, and
  the event loop's lag. With ``PROMETHEUS_MULTIPROC_DIR`` set (several worker processes),
  prometheus-client keeps them in files there and a scrape sums every process's
  (``registry_for_scrape``); the directory must be emptied before the processes start.
- Figures about durable rows (payments, webhooks, outbox, jobs, sign-ins) are not counted
  here: ``api.health`` reads them from the database at scrape time, right across processes.
- The request id: one per HTTP request (a sane ``X-Request-ID`` from the caller, else a
  new one), in a context variable so that logs and error bodies of the request carry it.
- ``configure_logging``: JSON lines (with the request id) or plain text, set up once.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import os
import re
import sys
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client import multiprocess as _multiprocess
from prometheus_client.registry import REGISTRY

# -- what this process measures ---------------------------------------------------------------

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
LAG_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)

HTTP_LATENCY = Histogram(
    "commerce_http_request_duration_seconds",
    "HTTP request latency by route template (pages and assets: route=\"reflex\")",
    ["method", "route"], buckets=LATENCY_BUCKETS)
HTTP_RESPONSES = Counter(
    "commerce_http_responses_total",
    "HTTP answers by route template and status class (2xx, 3xx, 4xx, 5xx)",
    ["route", "status_class"])
PAGE_EVENT_LATENCY = Histogram(
    "commerce_page_event_duration_seconds",
    "Reflex page event handling time (after the state lock is taken) by handler",
    ["event"], buckets=LATENCY_BUCKETS)
PAGE_EVENT_ERRORS = Counter(
    "commerce_page_event_errors_total", "Reflex page events whose handler raised", ["event"])
LOOP_LAG = Histogram(
    "commerce_event_loop_lag_seconds",
    "How late the app process's event loop woke a probe sleeping 50 ms", buckets=LAG_BUCKETS)
LOOP_LAG_MAX = Gauge(
    "commerce_event_loop_lag_max_seconds",
    "The largest event-loop lag seen since the process started", multiprocess_mode="max")

ROUTE_UNMATCHED = "unmatched"
ROUTE_REFLEX = "reflex"


def multiprocess_dir() -> str:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")


def registry_for_scrape() -> CollectorRegistry:
    """The registry a scrape reads: every process's figures in multiprocess mode, else this
    process's default registry."""
    if multiprocess_dir():
        registry = CollectorRegistry()
        _multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return registry
    return REGISTRY


def status_class(status: int) -> str:
    return f"{status // 100}xx" if 100 <= status < 600 else "other"


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    HTTP_LATENCY.labels(method, route).observe(seconds)
    HTTP_RESPONSES.labels(route, status_class(status)).inc()


def page_event_label(event_name: str) -> str:
    """A Reflex event name as ``<state>.<handler>``: its full name carries the module path
    of every state above it ("reflex___state____state.commerce_dash___..____x_state.load")."""
    path, _, handler = event_name.rpartition(".")
    state = path.rpartition(".")[2].rpartition("____")[2] or path
    return f"{state}.{handler}"[:120] if handler else event_name[:120]


def observe_page_event(event_name: str, seconds: float, failed: bool) -> None:
    label = page_event_label(event_name)
    PAGE_EVENT_LATENCY.labels(label).observe(seconds)
    if failed:
        PAGE_EVENT_ERRORS.labels(label).inc()


# -- the event-loop lag probe -----------------------------------------------------------------

PROBE_INTERVAL_SECONDS = 0.05
_lag_max = 0.0


def record_loop_lag(seconds: float) -> None:
    global _lag_max
    lag = max(0.0, seconds)
    LOOP_LAG.observe(lag)
    if lag > _lag_max:
        _lag_max = lag
        LOOP_LAG_MAX.set(lag)


async def probe_loop_lag(interval: float = PROBE_INTERVAL_SECONDS) -> None:
    """Sleep ``interval`` again and again, recording how late each wake-up is: a handler
    that blocks the loop shows here as lag. Runs until cancelled."""
    loop = asyncio.get_running_loop()
    while True:
        start = loop.time()
        await asyncio.sleep(interval)
        record_loop_lag(loop.time() - start - interval)


@asynccontextmanager
async def loop_lag_lifespan() -> AsyncIterator[None]:
    """The probe for an app's lifetime (``app.register_lifespan_task``)."""
    task = asyncio.create_task(probe_loop_lag(), name="commerce_event_loop_lag_probe")
    try:
        yield
    finally:
        task.cancel()


# -- reading figures back (the Health page) ---------------------------------------------------


@dataclass(frozen=True)
class RouteLatency:
    method: str
    route: str
    count: int
    p50: float | None  # seconds, None: no request yet
    p95: float | None


def quantile(buckets: list[tuple[float, float]], q: float) -> float | None:
    """A quantile from cumulative histogram buckets [(upper bound, count)], interpolated
    linearly inside its bucket as Prometheus's histogram_quantile does."""
    if not buckets or buckets[-1][1] <= 0:
        return None
    total = buckets[-1][1]
    rank = q * total
    lower, below = 0.0, 0.0
    for upper, count in buckets:
        if count >= rank:
            if math.isinf(upper):
                return lower
            inside = count - below
            return lower + (upper - lower) * ((rank - below) / inside if inside else 0.0)
        lower, below = upper, count
    return lower


def _histogram_buckets(registry: CollectorRegistry, name: str,
                       keys: tuple[str, ...]) -> dict[tuple[str, ...], list[tuple[float, float]]]:
    found: dict[tuple[str, ...], list[tuple[float, float]]] = {}
    for family in registry.collect():
        if family.name != name:
            continue
        for sample in family.samples:
            if sample.name != name + "_bucket":
                continue
            key = tuple(sample.labels.get(k, "") for k in keys)
            found.setdefault(key, []).append((float(sample.labels["le"]), sample.value))
    return {k: sorted(v) for k, v in found.items()}


def route_latencies(registry: CollectorRegistry | None = None) -> list[RouteLatency]:
    """p50/p95 by route of the requests measured (every process's in multiprocess mode),
    busiest first."""
    buckets = _histogram_buckets(registry or registry_for_scrape(),
                                 "commerce_http_request_duration_seconds", ("method", "route"))
    rows = [RouteLatency(method, route, int(b[-1][1]), quantile(b, 0.5), quantile(b, 0.95))
            for (method, route), b in buckets.items() if b and b[-1][1] > 0]
    return sorted(rows, key=lambda r: (-r.count, r.route, r.method))


@dataclass(frozen=True)
class EventLatency:
    event: str
    count: int
    p50: float | None
    p95: float | None


def event_latencies(registry: CollectorRegistry | None = None) -> list[EventLatency]:
    """p50/p95 by Reflex page event handler, slowest (p95) first."""
    buckets = _histogram_buckets(registry or registry_for_scrape(),
                                 "commerce_page_event_duration_seconds", ("event",))
    rows = [EventLatency(event, int(b[-1][1]), quantile(b, 0.5), quantile(b, 0.95))
            for (event,), b in buckets.items() if b and b[-1][1] > 0]
    return sorted(rows, key=lambda r: (-(r.p95 or 0.0), r.event))


def sample_values(name: str, registry: CollectorRegistry | None = None) -> list[
        tuple[dict[str, str], float]]:
    """Every sample called ``name`` (a counter's ``_total``, a gauge) with its labels."""
    out = []
    for family in (registry or registry_for_scrape()).collect():
        for sample in family.samples:
            if sample.name == name:
                out.append((dict(sample.labels), sample.value))
    return out


def loop_lag_figures(registry: CollectorRegistry | None = None) -> tuple[float | None,
                                                                          float | None]:
    """(p95 lag, max lag) in seconds; None before the probe has run."""
    registry = registry or registry_for_scrape()
    b = _histogram_buckets(registry, "commerce_event_loop_lag_seconds", ()).get((), [])
    peak = [v for _, v in sample_values("commerce_event_loop_lag_max_seconds", registry)]
    return quantile(b, 0.95), (max(peak) if peak and b else None)


# -- the request id ---------------------------------------------------------------------------

REQUEST_ID_HEADER = "x-request-id"
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")
request_id_var: ContextVar[str] = ContextVar("commerce_request_id", default="")


def request_id_from(header: str | None) -> str:
    """The caller's id when it is a sane one (8 to 64 of letters, digits and ``._:-``),
    else a new one: an id goes into logs and answers, so it is never free text."""
    if header and _SAFE_ID.match(header.strip()):
        return header.strip()
    return uuid.uuid4().hex


def current_request_id() -> str:
    return request_id_var.get()


# -- logs -------------------------------------------------------------------------------------

_STANDARD_ATTRS = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message", "asctime", "request_id", "taskName"}


class RequestIdFilter(logging.Filter):
    """Gives every record the request id of the request it was logged in ("" outside one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", ""):
            record.request_id = request_id_var.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, the request id, the fields
    passed in ``extra=`` and the traceback of an exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", "") or request_id_var.get()
        if request_id:
            entry["request_id"] = request_id
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                entry[key] = value if isinstance(value, (str, int, float, bool, type(None))) \
                    else str(value)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
_HANDLER_MARK = "_commerce_dash_handler"


def configure_logging(*, json_lines: bool, level: str = "INFO",
                      stream: object = None) -> logging.Handler:
    """Set up the root logger once: one handler (stderr unless ``stream``) writing JSON lines
    or text, with the request id. Calling again replaces that handler, never adds one."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, _HANDLER_MARK, False)]:
        root.removeHandler(old)
    handler = logging.StreamHandler(stream or sys.stderr)  # type: ignore[arg-type]
    setattr(handler, _HANDLER_MARK, True)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter() if json_lines else logging.Formatter(TEXT_FORMAT))
    if json_lines:
        # one format for every line: the other handlers (a framework's console) step aside
        for other in list(root.handlers):
            root.removeHandler(other)
    root.addHandler(handler)
    root.setLevel(level)
    return handler


def elapsed_since(start: float) -> float:
    return time.perf_counter() - start
