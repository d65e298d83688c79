"""The scheduler: every registry job on its trigger, each tick through ``run_tick``.

Start it with the app (``scheduler_lifespan``, when ``COMMERCE_SCHEDULER_ENABLED`` is true) or
in a separate process (``python -m commerce_dash.jobs.worker``). Several processes may run it
against one database and share the schedule: one run per tick across all of them, not one per
process. Interval triggers count from one fixed instant (so every process's ticks fall on the
same wall times), and a tick is claimed with a lease of its own (``tick:<job>``), held for half
the interval (a minute's half for cron jobs) and never released: the first process to claim a
tick runs it, the others skip it. The job's own lease still keeps runs apart.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler

from commerce_dash.db import session_scope
from commerce_dash.jobs.registry import JOBS, JobSpec, holder, run_job
from commerce_dash.services.platform import acquire_lease, release_lease
from commerce_dash.settings import get_settings

log = logging.getLogger(__name__)

JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 30}

# Interval ticks count from here in every worker, so they coincide across workers.
TICK_EPOCH = datetime(2024, 1, 1, tzinfo=UTC)
TICK_PREFIX = "tick:"
AT_START = "@start"  # the id suffix of a job's extra tick when its process starts
CRON_TICK_HOLD_SECONDS = 30


def interval_seconds(trigger: dict[str, Any]) -> float | None:
    """An interval trigger's period in seconds (None for other triggers)."""
    if trigger.get("trigger") != "interval":
        return None
    return timedelta(weeks=trigger.get("weeks", 0), days=trigger.get("days", 0),
                     hours=trigger.get("hours", 0), minutes=trigger.get("minutes", 0),
                     seconds=trigger.get("seconds", 0)).total_seconds()


def tick_hold_seconds(spec: JobSpec) -> int:
    """How long a claimed tick keeps other workers from running the job: half its period."""
    period = interval_seconds(spec.trigger)
    return max(1, int(period // 2)) if period else CRON_TICK_HOLD_SECONDS


def claim_tick(spec: JobSpec, me: str | None = None) -> bool:
    """Claim this tick of ``spec`` for this process; False when another worker has it."""
    with session_scope() as session:
        return acquire_lease(session=session, job_name=f"{TICK_PREFIX}{spec.name}"[:64],
                             holder=me or holder(), seconds=tick_hold_seconds(spec))


def run_tick(name: str) -> str:
    """One scheduled tick of job ``name``: run it unless another worker claimed the tick."""
    spec = JOBS[name]
    try:
        claimed = claim_tick(spec)
    except Exception:  # the database is away: the next tick tries again
        log.exception("job %s: could not claim its tick", name)
        return "failed"
    if not claimed:
        return "skipped"
    return run_job(name)


def release_ticks(me: str | None = None) -> None:
    """Give back the ticks this process claimed (on a clean stop)."""
    with session_scope() as session:
        for name in JOBS:
            release_lease(session=session, job_name=f"{TICK_PREFIX}{name}"[:64],
                          holder=me or holder())

_guard = threading.Lock()
_scheduler: BackgroundScheduler | None = None


def build_scheduler() -> BackgroundScheduler:
    """A scheduler (not started) with every registry job ticking through ``run_tick``; interval
    ticks aligned on ``TICK_EPOCH``, so they coincide in every process."""
    scheduler = BackgroundScheduler(timezone=UTC, job_defaults=JOB_DEFAULTS)
    for spec in JOBS.values():
        aligned = {"start_date": TICK_EPOCH} if spec.trigger.get("trigger") == "interval" else {}
        scheduler.add_job(run_tick, args=[spec.name], id=spec.name, name=spec.name,
                          replace_existing=True, **JOB_DEFAULTS, **spec.trigger, **aligned)
        if spec.run_at_start:  # a tick of its own at start; the schedule stays aligned
            scheduler.add_job(run_tick, args=[spec.name], id=f"{spec.name}{AT_START}",
                              name=spec.name, trigger="date", run_date=datetime.now(UTC),
                              **JOB_DEFAULTS)
    return scheduler


def start_scheduler() -> BackgroundScheduler:
    """Start this process's scheduler; a second call returns the running one."""
    global _scheduler
    with _guard:
        if _scheduler is None:
            _scheduler = build_scheduler()
            _scheduler.start()
            log.info("scheduler started with jobs: %s", ", ".join(JOBS))
        return _scheduler


def stop_scheduler(wait: bool = True) -> None:
    """Stop the scheduler if it runs, letting a running job finish when ``wait``."""
    global _scheduler
    with _guard:
        scheduler, _scheduler = _scheduler, None
    if scheduler is not None:
        scheduler.shutdown(wait=wait)
        try:
            release_ticks()
        except Exception:  # they lapse on their own within half an interval
            log.exception("could not give the ticks back")
        log.info("scheduler stopped")


def scheduler_is_running() -> bool:
    return _scheduler is not None and _scheduler.running


@asynccontextmanager
async def scheduler_lifespan() -> AsyncIterator[None]:
    """Run the scheduler for the app's lifetime (``app.register_lifespan_task``)."""
    started = get_settings().scheduler_enabled
    if started:
        start_scheduler()
    try:
        yield
    finally:
        if started:
            # Waiting for a running job must not block the event loop.
            await asyncio.to_thread(stop_scheduler)
