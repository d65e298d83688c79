"""A discount code's use given back: an order that was never paid releases its reserved use,
a fully refunded one its redeemed use; either way the code counts one use less, so a code
with a usage limit can be used again.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col

from commerce_dash.domain.orders import order_number
from commerce_dash.models.commerce import Order
from commerce_dash.models.pricing import DiscountCode, DiscountRedemption


def give_back_use(session: Session, order: Order, *, was: str, becomes: str,
                  at: datetime) -> None:
    """The order's redemption moves from ``was`` to ``becomes``; if it did, the code's use
    count drops by one (never below zero)."""
    number = order_number(order.id or 0, order.created_at)
    moved = session.execute(
        update(DiscountRedemption)
        .where(col(DiscountRedemption.order_ref) == number,
               col(DiscountRedemption.status) == was)
        .values(status=becomes, at=at)
    ).rowcount  # type: ignore[attr-defined]
    if moved and order.discount_code_id is not None:
        session.execute(
            update(DiscountCode)
            .where(col(DiscountCode.id) == order.discount_code_id,
                   col(DiscountCode.uses_count) > 0)
            .values(uses_count=DiscountCode.uses_count - 1))
