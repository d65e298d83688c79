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
worker (``jobs.scheduler``: ticks aligned on one instant and claimed once). A worker that
stops gives its tick leases back.

``--once`` exits 0 when the run succeeded or was skipped (the job runs elsewhere right now)
and 1 when it failed.
"""

from __future__ import annotations

import argparse
import logging
import signal
import threading

from commerce_dash.jobs.registry import JOBS, holder, run_job
from commerce_dash.jobs.scheduler import start_scheduler, stop_scheduler

log = logging.getLogger(__name__)

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
    start_scheduler()
    log.info("worker %s running jobs: %s; SIGTERM or Ctrl-C stops it", holder(), ", ".join(JOBS))
    while not stopping.wait(1):
        pass
    stop_scheduler(wait=True)  # lets a running job finish, gives the ticks back
    log.info("worker stopped")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
