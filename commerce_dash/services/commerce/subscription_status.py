"""The only writer of a subscription's ``status`` (one guarded transition per entity).

Checks the lifecycle of ``domain/subscriptions.py``, writes the audit row and keeps the
one-live-subscription key in step (cleared when the subscription is cancelled, so the learner
may subscribe to the department again), in the caller's transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from commerce_dash.domain.actor import Actor
from commerce_dash.domain.subscriptions import SubscriptionStatus, require_subscription_move
from commerce_dash.models.subscriptions import Subscription
from commerce_dash.services.platform import guarded_move

__all__ = ["live_key", "transition_subscription"]


def live_key(user_id: int, department_id: int) -> str:
    """The unique key a learner's live subscription to a department holds."""
    return f"{user_id}:{department_id}"


def transition_subscription(
    *, session: Session, subscription: Subscription, target: SubscriptionStatus | str,
    at: datetime, actor: Actor | None = None, action: str = "", reason: str = "",
    after: dict[str, Any] | None = None,
) -> Subscription:
    """Move ``subscription`` to ``target`` (checked, audited); already there: unchanged."""
    goal = SubscriptionStatus(target).value
    if subscription.status == goal:
        return subscription
    guarded_move(session=session, entity=subscription, goal=goal,
                 require_move=require_subscription_move, entity_type="subscription",
                 actor=actor, action=action, reason=reason, after=after)
    if goal == SubscriptionStatus.CANCELLED.value:
        subscription.live_key = None
        subscription.cancelled_at = subscription.cancelled_at or at
    subscription.updated_at = at
    session.add(subscription)
    return subscription
