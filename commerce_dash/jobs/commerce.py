"""Commerce jobs: abandoned-cart expiry and reminders, payment event retries, the payment
janitor, refunds left unfinished, the payout sync, and the subscription jobs (the sandbox's
renewals and the end of the grace period)."""

from __future__ import annotations

import logging
from datetime import timedelta

from commerce_dash.db import session_scope
from commerce_dash.domain.clock import utcnow
from commerce_dash.jobs.batches import in_batches
from commerce_dash.services import commerce as commerce_area
from commerce_dash.services import platform as platform_area
from commerce_dash.services import revenue as revenue_area

log = logging.getLogger(__name__)
MAX_CART_BATCHES = 20
# Subscription jobs: at most this many batches a run (the next run picks up the rest).
MAX_BILLING_BATCHES = 10
BILLING_BATCH = 500
GRACE_BATCH = 200


def expire_carts() -> dict[str, int]:
    """Delete carts past their expiry (never one with a payment in flight), in batches."""
    removed = 0
    with session_scope() as session:
        for _ in range(MAX_CART_BATCHES):
            n = commerce_area.expire_carts(session=session)
            removed += n
            if n == 0:
                break
        limits = platform_area.purge(session=session, before=utcnow() - timedelta(hours=1))
    log.info("cart expiry removed %s carts and %s rate-limit windows", removed, limits)
    return {"carts": removed, "rate_limit_windows": limits}


def retry_payment_events() -> dict[str, int]:
    with session_scope() as session:
        return {"processed": commerce_area.retry_due_events(session=session)}


def payment_janitor() -> dict[str, int]:
    with session_scope() as session:
        return commerce_area.janitor(session=session)


def retry_refunds() -> dict[str, int]:
    with session_scope() as session:
        return {"settled": commerce_area.retry_stuck(session=session)}


def payout_sync() -> dict[str, int]:
    """Queue ledger entries that never went to the payout platform (the outbox sends them)."""
    queued = 0
    with session_scope() as session:
        for _ in range(10):
            n = revenue_area.sync_unsent(session=session)
            queued += n
            if n == 0:
                break
    return {"queued": queued}


def run_sandbox_billing() -> dict[str, int]:
    """The sandbox's renewal engine (Stripe renews on its own): trials ending, renewals,
    retries of failed invoices and cancellations at period end, in bounded batches. Each
    renewal's events come back through the webhook intake (invoice, order, ledger)."""
    acted = batches = 0
    with session_scope() as session:
        for _ in range(MAX_BILLING_BATCHES):
            n = commerce_area.run_sandbox_billing(session=session, limit=BILLING_BATCH)
            acted += n
            batches += 1
            if n < BILLING_BATCH:
                break
    return {"subscriptions": acted, "batches": batches}


def expire_grace() -> dict[str, int]:
    """Past-due subscriptions past their grace period: access suspended, then cancelled."""
    cancelled = 0
    with session_scope() as session:
        for _ in range(MAX_BILLING_BATCHES):
            n = commerce_area.expire_grace(session=session, limit=GRACE_BATCH)
            cancelled += n
            if n < GRACE_BATCH:
                break
    return {"cancelled": cancelled}


# Abandoned-cart reminders (issue 19): at most this many batches a run.
MAX_CART_REMINDER_BATCHES = 10


def send_cart_reminders() -> dict[str, int]:
    """Email the reminder of each signed-in learner's cart left untouched past
    ``cart_reminder_after_hours``, once per cart, in batches committed one by one."""
    return in_batches(lambda session, limit: commerce_area.send_cart_reminders(
        session, limit=limit), batch=commerce_area.CART_REMINDER_BATCH,
        max_batches=MAX_CART_REMINDER_BATCHES, what="cart reminders")
