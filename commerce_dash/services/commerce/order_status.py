"""The only writers of an order's and a payment's ``status`` (issue 15: one guarded
transition per entity).

Each checks the state machine of ``domain/orders.py``, writes the audit row and returns the
entity, in the caller's transaction (through ``platform/transitions.guarded_move``). Moving
to the state the entity is already in returns it unchanged (no second audit row); a move the
table refuses is a DomainError (409) naming both states. Callers that treat a refused move as "nothing to do" ask ``can_move_*`` first.
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
from commerce_dash.services.platform import guarded_move

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
    return guarded_move(session=session, entity=order, goal=OrderStatus(target).value,
                        require_move=require_order_move, entity_type="order", actor=actor,
                        action=action, reason=reason, before=before, after=after)


def transition_payment(
    *, session: Session, payment: Payment, target: PaymentStatus | str,
    actor: Actor | None = None, action: str = "", reason: str = "",
    after: dict[str, Any] | None = None,
) -> Payment:
    """Move ``payment`` to ``target`` (checked, audited); already there: returned unchanged."""
    return guarded_move(session=session, entity=payment, goal=PaymentStatus(target).value,
                        require_move=require_payment_move, entity_type="payment",
                        actor=actor, action=action, reason=reason, after=after)
