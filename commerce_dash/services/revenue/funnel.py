"""The enrollment funnel (issue 20; seed 004's funnel metrics): course page views, cart adds,
checkouts started, payments started, paid and enrolled, per UTC day, department and course, with
the conversion rates between them.

Every stage counts course items: a course page view, a course put in a cart, a course line of an
order created (checkout started), of an order whose payment was created (payment started), of an
order completed (paid), a registration for a course bought on its own (enrolled). Programs are
not in the funnel (a program's page is not a course page).

Two kinds of stage:

* counted (``view``, ``cart``): no durable row of their own. ``count`` adds to this process's
  sums in memory (a lock and a dict: no I/O, no write per page view). A flusher thread (every
  ``funnel_flush_seconds``), the ``funnel_flush`` job and the end of the process move them into
  ``funnel_count`` with an upsert that adds (ON CONFLICT DO UPDATE count = count +
  excluded.count), or, when ``funnel_redis_url`` is set, into one Redis hash per day
  (HINCRBY), which the job moves into ``funnel_count``.
* derived (``checkout``, ``payment``, ``paid``, ``enrolled``): read from orders, payments and
  registrations when the report is asked for; nothing is written for them.

No count is lost or counted twice by two flushers at once or by a failed flush: a flush takes
the sums out under the lock (what is counted meanwhile starts fresh sums), writes them in one
transaction and, if that fails, puts them back for the next try; a Redis hash is taken with one
atomic script (HGETALL then DEL), so two processes draining at once never take the same
counts, and what the database refuses goes back into Redis (or into memory if Redis is gone).
What a process holds when it is killed (at most one flush interval) is lost: these are
analytics, not money.

Over 400 lines (472) as one module for now: the counted and derived stages share the stage list,
the keys and the scope rule of the report. The next cut, when it grows, is the counting and its
flushes (memory, Redis) into funnel_counts.py, leaving the report and its figure here.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from commerce_dash.db import session_scope
from commerce_dash.domain.actor import Actor
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.report_periods import check_period, period_bounds
from commerce_dash.models.analytics import FunnelCount
from commerce_dash.models.commerce import Order, OrderLine, Payment
from commerce_dash.models.enrollment import Registration
from commerce_dash.services.revenue.revenue_reports import (
    bucket_expression,
    bucket_name,
    report_scope,
    visible_course,
)
from commerce_dash.settings import get_settings

log = logging.getLogger(__name__)

COUNTED_STAGES = ("view", "cart")
DERIVED_STAGES = ("checkout", "payment", "paid", "enrolled")
STAGES = (*COUNTED_STAGES, *DERIVED_STAGES)
STAGE_LABELS = {
    "view": "Course page views",
    "cart": "Added to cart",
    "checkout": "Checkout started",
    "payment": "Payment started",
    "paid": "Paid",
    "enrolled": "Enrolled",
}
# (name, from stage, to stage): the share of ``from`` that reached ``to``
RATES: tuple[tuple[str, str, str], ...] = (
    ("view_to_cart", "view", "cart"),
    ("cart_to_checkout", "cart", "checkout"),
    ("checkout_to_payment", "checkout", "payment"),
    ("payment_to_paid", "payment", "paid"),
    ("paid_to_enrolled", "paid", "enrolled"),
    ("view_to_paid", "view", "paid"),
)
RATE_LABELS = {
    "view_to_cart": "View → cart",
    "cart_to_checkout": "Cart → checkout",
    "checkout_to_payment": "Checkout → payment",
    "payment_to_paid": "Payment → paid",
    "paid_to_enrolled": "Paid → enrolled",
    "view_to_paid": "View → paid",
}
REDIS_PREFIX = "commerce:funnel:"  # one hash per UTC day: commerce:funnel:2026-12-08
# take a day's hash whole: nobody else can take (or add to) what this returns
_TAKE_SCRIPT = "local v = redis.call('HGETALL', KEYS[1]) redis.call('DEL', KEYS[1]) return v"

Key = tuple[date, str, int, int]  # (UTC day, stage, department id, course id)


# -- counting (the hot path) ------------------------------------------------------------------


class _Sums:
    """This process's counts not flushed yet."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[Key, int] = {}

    def add(self, key: Key, n: int) -> None:
        with self._lock:
            self._counts[key] = self._counts.get(key, 0) + n

    def take(self) -> dict[Key, int]:
        """Every count, leaving none: a second taker gets only what was counted since."""
        with self._lock:
            taken, self._counts = self._counts, {}
        return taken

    def put_back(self, counts: Mapping[Key, int]) -> None:
        with self._lock:
            for key, n in counts.items():
                self._counts[key] = self._counts.get(key, 0) + n

    def copy(self) -> dict[Key, int]:
        with self._lock:
            return dict(self._counts)

    def clear_in_child(self) -> None:
        """A forked child starts with none: its parent flushes what it counted."""
        self._lock = threading.Lock()
        self._counts = {}


_SUMS = _Sums()
_flusher_pid: int | None = None
_flusher_guard = threading.Lock()


def _forked() -> None:
    global _flusher_pid, _flusher_guard
    _SUMS.clear_in_child()
    _flusher_pid, _flusher_guard = None, threading.Lock()


os.register_at_fork(after_in_child=_forked)


def count(stage: str, department_id: int, course_id: int, n: int = 1) -> None:
    """Count ``n`` course page views (``stage`` "view") or cart adds ("cart") of a course
    today (UTC). In memory only: safe and cheap on every request; flushed within a minute."""
    if stage not in COUNTED_STAGES:
        raise ValueError(f"not a counted funnel stage: {stage!r}")
    if n <= 0:
        return
    _SUMS.add((utcnow().date(), stage, int(department_id), int(course_id)), n)
    if _flusher_pid != os.getpid():
        _start_flusher()


def pending_counts() -> dict[Key, int]:
    """This process's counts not flushed yet (a copy)."""
    return _SUMS.copy()


def _start_flusher() -> None:
    """This process's flusher thread, started by its first count, and a last flush at exit."""
    global _flusher_pid
    with _flusher_guard:
        if _flusher_pid == os.getpid():
            return
        _flusher_pid = os.getpid()
        threading.Thread(target=_flush_every_interval, name="funnel-flush", daemon=True).start()
        atexit.register(_flush_at_exit)


def _flush_every_interval() -> None:
    me = os.getpid()
    while _flusher_pid == me:
        seconds = get_settings().funnel_flush_seconds
        time.sleep(seconds or 5)
        if seconds and get_settings().funnel_flush_seconds:  # 0: the job alone flushes
            _flush_quietly()


def _flush_quietly() -> None:
    try:
        flush_memory()
    except Exception:  # kept for the next try
        log.exception("funnel counts not flushed (kept for the next try)")


def _flush_at_exit() -> None:
    try:
        flush_memory()
    except Exception as exc:  # no next try: one line, not a traceback at shutdown
        log.warning("funnel: %s counts lost at exit (%s)", sum(pending_counts().values()),
                    type(exc).__name__)


# -- flushing ---------------------------------------------------------------------------------


def flush_memory() -> int:
    """Move this process's counts into Redis (when configured) or the database: how many were
    moved. On failure they are kept for the next flush and the error is raised."""
    taken = _SUMS.take()
    if not taken:
        return 0
    try:
        client = _redis()
        if client is not None:
            _push(client, taken)
        else:
            with session_scope() as session:
                add_counts(session, taken)
    except Exception:
        _SUMS.put_back(taken)
        raise
    return sum(taken.values())


def add_counts(session: Session, counts: Mapping[Key, int]) -> None:
    """Add ``counts`` to ``funnel_count`` in one transaction (committed): one upsert per key
    that adds to the row, so concurrent flushers add up. Keys go in order, so two Postgres
    transactions lock shared rows in the same order (no deadlock)."""
    rows = [{"day": d, "stage": s, "department_id": dep, "course_id": c, "count": n}
            for (d, s, dep, c), n in sorted(counts.items()) if n]
    if not rows:
        return
    table: Any = FunnelCount.__table__  # type: ignore[attr-defined]
    dialect = session.get_bind().dialect.name
    insert: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(table)
    statement = statement.on_conflict_do_update(
        index_elements=["day", "stage", "department_id", "course_id"],
        set_={"count": table.c["count"] + statement.excluded["count"]},
    )
    try:
        session.connection().execute(statement, rows)
        session.commit()
    except Exception:
        session.rollback()
        raise


def flush_counts() -> dict[str, int]:
    """The ``funnel_flush`` job: this process's counts, then (with Redis) every process's
    counts from Redis into the database."""
    moved = flush_memory()
    drained = drain_redis()
    return {"flushed": moved, "from_redis": drained}


# -- Redis ------------------------------------------------------------------------------------

_clients: dict[str, Any] = {}
_clients_guard = threading.Lock()


def _redis() -> Any | None:
    """A client for ``funnel_redis_url``, one per URL; None when none is set."""
    url = get_settings().funnel_redis_url.get_secret_value().strip()
    if not url:
        return None
    with _clients_guard:
        client = _clients.get(url)
        if client is None:
            import redis  # only when configured

            client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
            _clients[url] = client
        return client


def _field(stage: str, department_id: int, course_id: int) -> str:
    return f"{stage}:{department_id}:{course_id}"


def _push(client: Any, counts: Mapping[Key, int]) -> None:
    """HINCRBY every count into its day's hash, all or nothing (MULTI/EXEC)."""
    pipe = client.pipeline(transaction=True)
    for (day, stage, department_id, course_id), n in counts.items():
        pipe.hincrby(f"{REDIS_PREFIX}{day.isoformat()}", _field(stage, department_id, course_id),
                     n)
    pipe.execute()


def _parse(day_key: bytes | str, pairs: list[Any]) -> Iterable[tuple[Key, int]]:
    name = day_key.decode() if isinstance(day_key, bytes) else day_key
    day = date.fromisoformat(name.removeprefix(REDIS_PREFIX))
    for i in range(0, len(pairs) - 1, 2):
        raw = pairs[i].decode() if isinstance(pairs[i], bytes) else str(pairs[i])
        stage, department_id, course_id = raw.split(":")
        yield (day, stage, int(department_id), int(course_id)), int(pairs[i + 1])


def drain_redis() -> int:
    """Take every day's hash out of Redis and add it to the database: how many counts moved.
    What the database refuses goes back (into Redis, or into memory if Redis is gone)."""
    client = _redis()
    if client is None:
        return 0
    take = client.register_script(_TAKE_SCRIPT)
    taken: dict[Key, int] = defaultdict(int)
    try:
        for name in client.scan_iter(match=f"{REDIS_PREFIX}*", count=100):
            pairs = take(keys=[name])
            try:
                for key, n in _parse(name, pairs):
                    taken[key] += n
            except ValueError:
                log.error("funnel: dropped a malformed Redis hash %r", name)
        with session_scope() as session:
            add_counts(session, taken)
    except Exception:
        _keep(client, taken)
        raise
    return sum(taken.values())


def _keep(client: Any, counts: Mapping[Key, int]) -> None:
    if not counts:
        return
    try:
        _push(client, counts)
    except Exception:
        log.exception("funnel: Redis refused the counts back; kept in memory")
        _SUMS.put_back(counts)


# -- the report -------------------------------------------------------------------------------


def conversion_rates(counts: Mapping[str, int]) -> dict[str, float | None]:
    """Each rate of ``RATES`` (4 decimals); None where the first stage is 0."""
    return {name: (round(counts.get(b, 0) / counts[a], 4) if counts.get(a) else None)
            for name, a, b in RATES}


@dataclass(frozen=True)
class FunnelDay:
    day: date
    counts: Mapping[str, int]  # every stage of STAGES

    @property
    def rates(self) -> dict[str, float | None]:
        return conversion_rates(self.counts)


@dataclass(frozen=True)
class FunnelReport:
    start: date
    end: date  # inclusive
    days: tuple[FunnelDay, ...]  # every day of the period, in order
    totals: Mapping[str, int]
    department_id: int | None = None
    course_id: int | None = None
    stages: tuple[str, ...] = field(default=STAGES)

    @property
    def rates(self) -> dict[str, float | None]:
        return conversion_rates(self.totals)


def _day_of(value: object) -> date:
    return date.fromisoformat(bucket_name(value, "day"))


def _derived(
    session: Session, start: date, end: date, departments: frozenset[int] | None,
    course_id: int | None,
) -> dict[tuple[date, str], int]:
    """The durable stages per day: course lines of orders created, of payments created and
    of orders completed; registrations for courses bought on their own."""
    dialect = session.get_bind().dialect.name
    since, until = period_bounds(start, end)
    line = OrderLine
    course_line: list[ColumnElement[bool]] = [col(line.item_type) == "course"]
    if departments is not None:
        course_line.append(col(line.department_id).in_(departments))
    if course_id is not None:
        course_line.append(col(line.item_id) == course_id)
    order_of_line = col(Order.id) == col(line.order_id)
    stages: list[tuple[str, Any, Any, Any]] = [
        ("checkout", col(Order.created_at), Order, order_of_line),
        ("payment", col(Payment.created_at), Payment, col(Payment.order_id) == col(line.order_id)),
        ("paid", col(Order.completed_at), Order, order_of_line),
    ]
    found: dict[tuple[date, str], int] = {}
    for stage, at, joined, on in stages:
        day = bucket_expression(dialect, "day", at)
        query = (select(day, func.count()).select_from(line).join(joined, on)
                 .where(and_(*course_line, at >= since, at < until)).group_by(day))
        for value, n in session.connection().execute(query):
            found[(_day_of(value), stage)] = int(n)
    reg = Registration
    enrolled: list[ColumnElement[bool]] = [
        col(reg.kind) == "course", col(reg.parent_id).is_(None), col(reg.source) == "order",
        col(reg.created_at) >= since, col(reg.created_at) < until,
    ]
    if departments is not None:
        enrolled.append(col(reg.department_id).in_(departments))
    if course_id is not None:
        enrolled.append(col(reg.course_id) == course_id)
    day = bucket_expression(dialect, "day", col(reg.created_at))
    query = select(day, func.count()).where(and_(*enrolled)).group_by(day)
    for value, n in session.connection().execute(query):
        found[(_day_of(value), "enrolled")] = int(n)
    return found


def _counted(
    session: Session, start: date, end: date, departments: frozenset[int] | None,
    course_id: int | None,
) -> dict[tuple[date, str], int]:
    fc = FunnelCount
    where: list[ColumnElement[bool]] = [col(fc.day) >= start, col(fc.day) <= end]
    if departments is not None:
        where.append(col(fc.department_id).in_(departments))
    if course_id is not None:
        where.append(col(fc.course_id) == course_id)
    query = (select(col(fc.day), col(fc.stage), func.sum(col(fc.count))).where(and_(*where))
             .group_by(col(fc.day), col(fc.stage)))
    return {(_day_of(d), str(s)): int(n) for d, s, n in session.connection().execute(query)}


def funnel_report(
    *,
    session: Session,
    actor: Actor | None,
    start: date,
    end: date,
    department_id: int | None = None,
    course_id: int | None = None,
) -> FunnelReport:
    """The funnel of the period (``end`` inclusive, UTC days) within the departments the actor
    may see (as the revenue report: a department admin sees theirs), per day and in total.

    Page views and cart adds are those flushed so far (at most a flush interval behind)."""
    check_period(start, end)
    departments = report_scope(session=session, actor=actor, department_id=department_id)
    if course_id is not None:
        visible_course(session=session, actor=actor, course_id=course_id)
    found = _counted(session, start, end, departments, course_id)
    found.update(_derived(session, start, end, departments, course_id))
    days: list[FunnelDay] = []
    totals = dict.fromkeys(STAGES, 0)
    for offset in range((end - start).days + 1):
        day = start + timedelta(days=offset)
        counts = {stage: found.get((day, stage), 0) for stage in STAGES}
        for stage, n in counts.items():
            totals[stage] += n
        days.append(FunnelDay(day, counts))
    return FunnelReport(start=start, end=end, days=tuple(days), totals=totals,
                        department_id=department_id, course_id=course_id)


def funnel_figure(report: FunnelReport) -> Any:
    """The funnel as horizontal bars, the first stage on top (plotly.js's basic bundle has no
    funnel trace: a bar chart draws the same)."""
    import plotly.graph_objects as go

    labels = [STAGE_LABELS[s] for s in report.stages]
    values = [report.totals.get(s, 0) for s in report.stages]
    bar = {"type": "bar", "orientation": "h", "x": values, "y": labels, "text": values,
           "textposition": "auto", "marker": {"color": "#3e63dd"}, "name": "Count",
           "hovertemplate": "%{y}: %{x:,}<extra></extra>"}
    layout = {"template": {}, "autosize": True, "height": 280, "showlegend": False,
              "margin": {"l": 10, "r": 10, "t": 10, "b": 30},
              "xaxis": {"rangemode": "tozero", "title": {"text": "Course items"}},
              "yaxis": {"autorange": "reversed", "automargin": True, "type": "category"}}
    return go.Figure(data=[bar], layout=layout)
