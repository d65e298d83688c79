"""Commerce jobs: abandoned-cart expiry, payment event retries and the payment janitor."""

from __future__ import annotations

import logging
from datetime import timedelta

from commerce_dash.db import session_scope
from commerce_dash.domain.clock import utcnow
from commerce_dash.services import cart, payments, rate_limit

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
