"""The only writers of an order's and a payment's ``status`` (issue 15: one guarded
transition per entity).

Each checks the state machine of ``domain/orders.py``, writes the audit row and returns the
entity, in the caller's transaction. Moving to the state the entity is already in returns it
unchanged (no second audit row); a move the table refuses is a DomainError (409) naming both
states. Callers that treat a refused move as "nothing to do" ask ``can_move_*`` first.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from commerce_dash.domain.actor import Actor
from commerce_dash.domain.orders import (
    OrderStatus,
    PaymentStatus,
    require_order_move,
    require_payment_move,
)
from commerce_dash.models.commerce import Order, Payment
from commerce_dash.services.platform.audit import record_audit

__all__ = ["transition_order", "transition_payment"]


def transition_order(
    *, session: Session, order: Order, target: OrderStatus | str, actor: Actor | None = None,
    action: str = "", reason: str = "", before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> Order:
    """Move ``order`` to ``target`` (checked, audited); already there: returned unchanged.

    ``action``, ``before`` and ``after`` name the audit row (default ``order.<target>`` and
    the two statuses).
    """
    goal = OrderStatus(target).value
    current = order.status
    if current == goal:
        return order
    require_order_move(current, goal)
    order.status = goal
    session.add(order)
    record_audit(session=session, actor=actor, action=action or f"order.{goal}",
                 entity_type="order", entity_id=order.id,
                 before={"status": current} if before is None else before,
                 after={"status": goal} if after is None else after, reason=reason)
    return order


def transition_payment(
    *, session: Session, payment: Payment, target: PaymentStatus | str,
    actor: Actor | None = None, action: str = "", reason: str = "",
    after: dict[str, Any] | None = None,
) -> Payment:
    """Move ``payment`` to ``target`` (checked, audited); already there: returned unchanged."""
    goal = PaymentStatus(target).value
    current = payment.status
    if current == goal:
        return payment
    require_payment_move(current, goal)
    payment.status = goal
    session.add(payment)
    record_audit(session=session, actor=actor, action=action or f"payment.{goal}",
                 entity_type="payment", entity_id=payment.id, before={"status": current},
                 after={"status": goal} if after is None else after, reason=reason)
    return payment
