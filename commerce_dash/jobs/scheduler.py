"""The in-process scheduler: every registry job on its trigger, each run through ``run_job``.

Start it with the app (``scheduler_lifespan``, when ``COMMERCE_SCHEDULER_ENABLED`` is true) or
in a separate process (``python -m commerce_dash.jobs.worker``). Several processes may run it
against one database: the job leases let only one of them run a given job at a time.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from apscheduler.schedulers.background import BackgroundScheduler

from commerce_dash.jobs.registry import JOBS, run_job
from commerce_dash.settings import get_settings

log = logging.getLogger(__name__)

JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 30}

_guard = threading.Lock()
_scheduler: BackgroundScheduler | None = None


def build_scheduler() -> BackgroundScheduler:
    """A scheduler (not started) with every registry job calling ``run_job``."""
    scheduler = BackgroundScheduler(timezone=UTC, job_defaults=JOB_DEFAULTS)
    for spec in JOBS.values():
        extra = {"next_run_time": datetime.now(UTC)} if spec.run_at_start else {}
        scheduler.add_job(
            run_job,
            args=[spec.name],
            id=spec.name,
            name=spec.name,
            replace_existing=True,
            **JOB_DEFAULTS,
            **spec.trigger,
            **extra,
        )
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
