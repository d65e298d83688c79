"""What every change to a subscription shares: who may act on it (its learner, a billing
admin, a department admin of its department), the processor called outside any transaction,
the row locked for the answer, the states a change needs, and what the person is told."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from commerce_dash.db import for_update
from commerce_dash.domain.access import RoleName, can_access
from commerce_dash.domain.actor import Actor
from commerce_dash.domain.errors import DomainError, ErrorKind, not_found
from commerce_dash.domain.money import format_minor
from commerce_dash.domain.subscriptions import (
    SubscriptionStatus,
    parse_subscription_number,
)
from commerce_dash.models.subscriptions import Subscription
from commerce_dash.payments.base import ProcessorError, ProcessorSubscription
from commerce_dash.services.platform import department_parents

__all__ = ["SECTION", "ChangeOutcome", "day_of", "is_admin", "iso_of", "lock_subscription",
           "money_of", "processor_id", "remote_call", "require_status", "subscription_for"]

SECTION = "subscriptions"
_S = SubscriptionStatus


@dataclass(frozen=True)
class ChangeOutcome:
    subscription: Subscription
    message: str  # what the person is told
    refund_request_id: int | None = None


def subscription_for(session: Session, actor: Actor | None, ref: str | int) -> Subscription:
    """The subscription ``ref`` (SUB-000042 or an id) if the actor may act on it: its learner,
    a billing admin, or a department admin of its department; else not found (403 for a
    signed-in admin of another department would tell that it exists)."""
    if actor is None:
        raise DomainError("not_signed_in", "Sign in to continue.",
                          kind=ErrorKind.UNAUTHENTICATED)
    sub_id = ref if isinstance(ref, int) else parse_subscription_number(str(ref))
    sub = session.get(Subscription, sub_id) if sub_id else None
    if sub is None or not may_act(session, actor, sub):
        raise not_found("subscription", ref)
    return sub


def may_act(session: Session, actor: Actor, sub: Subscription) -> bool:
    if sub.user_id == actor.user_id:
        return True
    if not can_access(actor.roles, SECTION) or actor.second_factor_missing:
        return False
    scope = actor.departments_for(RoleName.DEPT_ADMIN, department_parents(session=session))
    if actor.has_role(RoleName.BILLING_ADMIN) or scope is None:
        return True
    return sub.department_id in scope


def is_admin(actor: Actor, sub: Subscription) -> bool:
    return sub.user_id != actor.user_id


def remote_call(session: Session, sub: Subscription,
            call: Callable[..., ProcessorSubscription], *args: object,
            **kwargs: object) -> ProcessorSubscription:
    session.commit()  # no transaction is held while the processor is called
    try:
        return call(*args, **kwargs)
    except ProcessorError as exc:
        raise DomainError(exc.code, exc.message, kind=ErrorKind.CONFLICT) from None


def lock_subscription(session: Session, sub_id: int) -> Subscription:
    return session.exec(for_update(session, select(Subscription).where(
        Subscription.id == sub_id))).one()


def require_status(sub: Subscription, allowed: tuple[SubscriptionStatus, ...], doing: str) -> None:
    if sub.status not in {s.value for s in allowed}:
        state = sub.status.replace("_", " ")
        raise DomainError("subscription_not_changeable",
                          f"A {state} subscription cannot be {doing}.",
                          kind=ErrorKind.CONFLICT)


def processor_id(sub: Subscription) -> str:
    if not sub.processor_subscription_id:
        raise DomainError("subscription_not_changeable",
                          "This subscription was never set up at the payment processor.",
                          kind=ErrorKind.CONFLICT)
    return sub.processor_subscription_id


def day_of(moment: datetime | None) -> str:
    return moment.strftime("%d %b %Y") if moment else "the period end"


def iso_of(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def money_of(amount: int, currency: str) -> str:
    return format_minor(amount, currency)
