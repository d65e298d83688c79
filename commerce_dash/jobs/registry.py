"""The scheduled jobs, and ``run_job``: one run of one job under its lease, recorded.

Every process that runs jobs (the app with its in-process scheduler, any number of
``python -m commerce_dash.jobs.worker``) uses the same database lease per job, so a job runs in
at most one place at a time. A heartbeat renews the lease while the job runs, so a run longer
than ``COMMERCE_JOB_LEASE_SECONDS`` keeps it; a process that dies stops renewing and its lease
lapses after at most that time. Jobs still work in bounded batches so that runs stay short.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from commerce_dash.db import session_scope
from commerce_dash.jobs.catalog_prices import refresh_catalog_prices
from commerce_dash.jobs.commerce import (
    expire_carts,
    expire_grace,
    payment_janitor,
    payout_sync,
    retry_payment_events,
    retry_refunds,
    run_sandbox_billing,
    send_cart_reminders,
)
from commerce_dash.jobs.housekeeping import purge_stale_account_records
from commerce_dash.jobs.lease_heartbeat import LeaseHeartbeat
from commerce_dash.jobs.outbox_delivery import deliver_due
from commerce_dash.jobs.reconciliation import daily_reconciliation
from commerce_dash.jobs.session_jobs import expire_waitlist_offers, send_session_reminders
from commerce_dash.services.platform import acquire_lease, finish_run, release_lease, start_run
from commerce_dash.services.revenue import flush_counts
from commerce_dash.settings import get_settings

log = logging.getLogger(__name__)

LEASE_LOST = "The lease was lost during this run: another process may have run the job too."


@dataclass(frozen=True)
class JobSpec:
    """A job: its function, an APScheduler trigger (``add_job`` keywords) and what it does."""

    name: str
    func: Callable[[], Any]
    trigger: dict[str, Any]
    description: str
    run_at_start: bool = False  # first run when the scheduler starts, not one interval later


JOBS: dict[str, JobSpec] = {
    spec.name: spec
    for spec in (
        JobSpec(
            "outbox_delivery",
            deliver_due,
            {"trigger": "interval", "seconds": 5},
            "Send due emails and webhooks from the outbox, with retries and dead letters.",
            run_at_start=True,
        ),
        JobSpec(
            "housekeeping",
            purge_stale_account_records,
            {"trigger": "interval", "hours": 1},
            "Delete ended sessions and old login attempts.",
        ),
        JobSpec(
            "payment_events",
            retry_payment_events,
            {"trigger": "interval", "seconds": 10},
            "Process payment webhooks whose processing failed, with backoff; dead after the "
            "last attempt.",
        ),
        JobSpec(
            "payment_janitor",
            payment_janitor,
            {"trigger": "interval", "minutes": 2},
            "Ask the processor about payments pending too long; expire unpaid checkouts "
            "past their price lock.",
        ),
        JobSpec(
            "cart_expiry",
            expire_carts,
            {"trigger": "interval", "minutes": 15},
            "Delete abandoned carts past their expiry (never one with a payment in flight).",
        ),
        JobSpec(
            "refund_retry",
            retry_refunds,
            {"trigger": "interval", "minutes": 2},
            "Finish approved refunds left unfinished (a crash or a processor error); the "
            "idempotency key keeps each to one payment.",
        ),
        JobSpec(
            "payout_sync",
            payout_sync,
            {"trigger": "interval", "minutes": 5},
            "Queue ledger entries for the payout platform (payment.completed, refund.issued); "
            "the outbox delivers and retries them.",
            run_at_start=True,
        ),
        JobSpec(
            "subscription_billing",
            run_sandbox_billing,
            {"trigger": "interval", "minutes": 1},
            "The sandbox processor's renewal engine: trials ending, renewals, retries of "
            "failed invoices, cancellations at period end (Stripe renews on its own).",
        ),
        JobSpec(
            "subscription_grace",
            expire_grace,
            {"trigger": "interval", "minutes": 10},
            "Past-due subscriptions past their grace period: access suspended, then the "
            "subscription cancelled at the processor.",
        ),
        JobSpec(
            "session_reminders",
            send_session_reminders,
            {"trigger": "interval", "minutes": 15},
            "Email the reminder of each booked live session starting within the reminder "
            "window (settings: session_reminder_hours), once per booking.",
        ),
        JobSpec(
            "cart_reminders",
            send_cart_reminders,
            {"trigger": "interval", "minutes": 30},
            "Email one reminder for each signed-in learner's cart left untouched past the "
            "reminder time (settings: cart_reminder_after_hours), unless they opted out.",
        ),
        JobSpec(
            "daily_reconciliation",
            daily_reconciliation,
            {"trigger": "cron", "hour": 2, "minute": 15},
            "Reconcile yesterday (UTC): processor against orders and ledger; email billing "
            "admins once when something does not reconcile.",
        ),
        JobSpec(
            "waitlist_offers",
            expire_waitlist_offers,
            {"trigger": "interval", "minutes": 5},
            "Expire waitlist offers not accepted in time and pass the seat to the next "
            "learner on the list.",
        ),
        JobSpec(
            "catalog_prices",
            refresh_catalog_prices,
            {"trigger": "interval", "minutes": 1},
            "Write the catalog's prices in force when a price starts or ends by its window, "
            "so the storefront shows the change within a minute.",
            run_at_start=True,
        ),
        JobSpec(
            "funnel_flush",
            flush_counts,
            {"trigger": "interval", "minutes": 1},
            "Add the funnel's course page views and cart adds counted in memory (and, with "
            "COMMERCE_FUNNEL_REDIS_URL, every process's counts in Redis) to funnel_count.",
        ),
    )
}


def _process_holder() -> str:
    suffix = f":{os.getpid()}:{uuid.uuid4().hex[:8]}"
    return socket.gethostname()[: 64 - len(suffix)] + suffix


HOLDER = _process_holder()
_HOLDER_PID = os.getpid()
# The database lease lets a holder renew its own lease, so runs within one process (the
# scheduler and a "run now" from a page) are kept apart by a lock per job as well.
_local_locks: dict[str, threading.Lock] = {}
_local_locks_guard = threading.Lock()


def holder() -> str:
    """This process's lease holder name (a forked child gets its own)."""
    global HOLDER, _HOLDER_PID
    if os.getpid() != _HOLDER_PID:
        HOLDER, _HOLDER_PID = _process_holder(), os.getpid()
    return HOLDER


def _local_lock(name: str) -> threading.Lock:
    with _local_locks_guard:
        return _local_locks.setdefault(name, threading.Lock())


def _summary(result: object) -> str:
    if result is None:
        return ""
    try:
        return json.dumps(result, default=str, sort_keys=True)
    except (TypeError, ValueError):
        return repr(result)


def run_job(name: str, trigger: str = "schedule") -> str:
    """Run job ``name`` once if its lease is free: "ok", "failed" or "skipped". Never raises.

    A skipped run (another process or thread holds the job) leaves no run record.
    """
    spec = JOBS.get(name)
    if spec is None:
        log.error("no job named %r", name)
        return "failed"
    lock = _local_lock(name)
    if not lock.acquire(blocking=False):
        return "skipped"
    me = holder()
    seconds = get_settings().job_lease_seconds
    try:
        try:
            with session_scope() as session:
                if not acquire_lease(session=session, job_name=name, holder=me, seconds=seconds):
                    return "skipped"
                run_id = start_run(session=session, job_name=name, holder=me, trigger=trigger)
        except Exception:
            log.exception("job %s could not start", name)
            return "failed"
        with LeaseHeartbeat(name, me, seconds) as heartbeat:
            try:
                outcome, detail = "ok", _summary(spec.func())
            except Exception:
                log.exception("job %s failed", name)
                outcome, detail = "failed", traceback.format_exc()
        if heartbeat.lost.is_set():
            detail = f"{LEASE_LOST}\n{detail}".rstrip()
        try:
            with session_scope() as session:
                finish_run(session=session, run_id=run_id, outcome=outcome, detail=detail)
        except Exception:
            log.exception("job %s: could not record the end of run %s", name, run_id)
        finally:
            try:
                with session_scope() as session:
                    release_lease(session=session, job_name=name, holder=me)
            except Exception:  # the lease lapses on its own
                log.exception("job %s: could not release its lease", name)
        return outcome
    finally:
        lock.release()


def run_job_now(name: str) -> str:
    """Run a job at once, as an admin asked (still under its lease)."""
    return run_job(name, "manual")
