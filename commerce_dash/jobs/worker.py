"""Run the scheduled jobs in their own process.

    python -m commerce_dash.jobs.worker              # every job on its schedule, until
                                                     # SIGTERM or SIGINT (Ctrl-C)
    python -m commerce_dash.jobs.worker --once JOB   # one run of JOB now, then exit
    python -m commerce_dash.jobs.worker --list       # the jobs and their triggers

On SIGTERM/SIGINT the worker stops scheduling, lets a running job finish and releases its
lease. Any number of workers (and apps with ``COMMERCE_SCHEDULER_ENABLED=true``) may share a
database: each job runs in one place at a time. To keep jobs out of the web processes, set
``COMMERCE_SCHEDULER_ENABLED=false`` for the app and run this worker.

Workers also share the schedule itself: one run per tick across all of them, not one per
worker. Their interval triggers count from one fixed instant (so every worker's ticks fall on
the same wall times), and a tick is claimed with a lease of its own (``tick:<job>``), held for
half the interval (a minute's half for cron jobs) and never released: the first worker to
claim a tick runs it, the others skip it. The job's own lease still keeps runs apart. A
worker that stops gives its tick leases back with the rest.

``--once`` exits 0 when the run succeeded or was skipped (the job runs elsewhere right now)
and 1 when it failed.
"""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler

from commerce_dash.db import session_scope
from commerce_dash.jobs.registry import JOBS, JobSpec, holder, run_job
from commerce_dash.jobs.scheduler import JOB_DEFAULTS
from commerce_dash.services.platform import acquire_lease, release_lease

log = logging.getLogger(__name__)

# Interval ticks count from here in every worker, so they coincide across workers.
TICK_EPOCH = datetime(2024, 1, 1, tzinfo=UTC)
TICK_PREFIX = "tick:"
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


def build_worker_scheduler() -> BackgroundScheduler:
    """A scheduler (not started) running every registry job through ``run_tick``."""
    scheduler = BackgroundScheduler(timezone=UTC, job_defaults=JOB_DEFAULTS)
    for spec in JOBS.values():
        aligned = {"start_date": TICK_EPOCH} if spec.trigger.get("trigger") == "interval" else {}
        scheduler.add_job(run_tick, args=[spec.name], id=spec.name, name=spec.name,
                          replace_existing=True, **JOB_DEFAULTS, **spec.trigger, **aligned)
        if spec.run_at_start:  # a tick of its own at start; the schedule stays aligned
            scheduler.add_job(run_tick, args=[spec.name], id=f"{spec.name}@start",
                              name=spec.name, trigger="date", run_date=datetime.now(UTC),
                              **JOB_DEFAULTS)
    return scheduler


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="commerce_dash.jobs.worker")
    parser.add_argument("--once", metavar="JOB", choices=sorted(JOBS), help="run one job")
    parser.add_argument("--list", action="store_true", help="list the jobs")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    if args.list:
        for spec in JOBS.values():
            print(f"{spec.name:<18} {spec.trigger}  {spec.description}")
        return 0
    if args.once:
        outcome = run_job(args.once, "manual")
        print(f"{args.once}: {outcome}")
        return 1 if outcome == "failed" else 0
    stopping = threading.Event()

    def _stop(signum: int, _frame: object) -> None:
        log.info("signal %s: stopping", signum)
        stopping.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    scheduler = build_worker_scheduler()
    scheduler.start()
    log.info("worker %s running jobs: %s; SIGTERM or Ctrl-C stops it", holder(), ", ".join(JOBS))
    while not stopping.wait(1):
        pass
    scheduler.shutdown(wait=True)
    try:
        release_ticks()
    except Exception:  # they lapse on their own within half an interval
        log.exception("could not give the ticks back")
    log.info("worker stopped")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
