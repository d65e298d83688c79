"""Commerce jobs: abandoned-cart expiry, payment event retries, the payment janitor, refunds
left unfinished, and the payout sync."""

from __future__ import annotations

import logging
from datetime import timedelta

from commerce_dash.db import session_scope
from commerce_dash.domain.clock import utcnow
from commerce_dash.services import commerce as commerce_area
from commerce_dash.services import platform as platform_area
from commerce_dash.services import revenue as revenue_area

log = logging.getLogger(__name__)
MAX_CART_BATCHES = 20


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
