"""A discount code's use taken (checkout, subscribing) and given back: an order that was never paid releases its reserved use,
a fully refunded one its redeemed use; either way the code counts one use less, so a code
with a usage limit can be used again.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, update
from sqlmodel import Session, col

from commerce_dash.domain.errors import DomainError, ErrorKind
from commerce_dash.domain.orders import order_number
from commerce_dash.models.commerce import Order
from commerce_dash.models.pricing import DiscountCode, DiscountRedemption


def take_use(session: Session, code_id: int) -> None:
    """Count one use of a code, in the caller's transaction. The limit holds under
    concurrency: of two racing uses of the last one, only one updates the row; the other is
    refused (409 ``code_used_up``, the caller's transaction rolled back)."""
    taken = session.execute(
        update(DiscountCode)
        .where(col(DiscountCode.id) == code_id, col(DiscountCode.is_active).is_(True),
               or_(col(DiscountCode.max_uses).is_(None),
                   col(DiscountCode.uses_count) < col(DiscountCode.max_uses)))
        .values(uses_count=DiscountCode.uses_count + 1)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        raise DomainError("code_used_up", "This code has just reached its usage limit.",
                          kind=ErrorKind.CONFLICT, field="code")


def release_use(session: Session, *, code_id: int | None, order_ref: str, was: str,
                becomes: str, at: datetime) -> bool:
    """The redemption ``order_ref`` moves from ``was`` to ``becomes``; if it did, the code's
    use count drops by one (never below zero)."""
    moved = session.execute(
        update(DiscountRedemption)
        .where(col(DiscountRedemption.order_ref) == order_ref,
               col(DiscountRedemption.status) == was)
        .values(status=becomes, at=at)
    ).rowcount  # type: ignore[attr-defined]
    if moved and code_id is not None:
        session.execute(
            update(DiscountCode)
            .where(col(DiscountCode.id) == code_id, col(DiscountCode.uses_count) > 0)
            .values(uses_count=DiscountCode.uses_count - 1))
    return bool(moved)


def give_back_use(session: Session, order: Order, *, was: str, becomes: str,
                  at: datetime) -> None:
    """The order's redemption moves from ``was`` to ``becomes``; if it did, the code's use
    count drops by one (never below zero)."""
    release_use(session, code_id=order.discount_code_id,
                order_ref=order_number(order.id or 0, order.created_at), was=was,
                becomes=becomes, at=at)
