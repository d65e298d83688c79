"""Commerce jobs: abandoned-cart expiry, payment event retries, the payment janitor, refunds
left unfinished, and the payout sync."""

from __future__ import annotations

import logging
from datetime import timedelta

from commerce_dash.db import session_scope
from commerce_dash.domain.clock import utcnow
from commerce_dash.services.commerce import cart, payments, refunds
from commerce_dash.services.platform import rate_limit
from commerce_dash.services.revenue import payouts

log = logging.getLogger(__name__)
MAX_CART_BATCHES = 20


def expire_carts() -> dict[str, int]:
    """Delete carts past their expiry (never one with a payment in flight), in batches."""
    removed = 0
    with session_scope() as session:
        for _ in range(MAX_CART_BATCHES):
            n = cart.expire_carts(session=session)
            removed += n
            if n == 0:
                break
        limits = rate_limit.purge(session=session, before=utcnow() - timedelta(hours=1))
    log.info("cart expiry removed %s carts and %s rate-limit windows", removed, limits)
    return {"carts": removed, "rate_limit_windows": limits}


def retry_payment_events() -> dict[str, int]:
    with session_scope() as session:
        return {"processed": payments.retry_due_events(session=session)}


def payment_janitor() -> dict[str, int]:
    with session_scope() as session:
        return payments.janitor(session=session)


def retry_refunds() -> dict[str, int]:
    with session_scope() as session:
        return {"settled": refunds.retry_stuck(session=session)}


def payout_sync() -> dict[str, int]:
    """Queue ledger entries that never went to the payout platform (the outbox sends them)."""
    queued = 0
    with session_scope() as session:
        for _ in range(10):
            n = payouts.sync_unsent(session=session)
            queued += n
            if n == 0:
                break
    return {"queued": queued}
