"""Cancelling a subscription: at the end of the paid period (access until then) or now
(access ends at once and the unused part of the last paid period goes to the refund queue
when the settings allow), and undoing a cancellation that waits for the period end."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from commerce_dash.domain.actor import Actor
from commerce_dash.domain.orders import order_number
from commerce_dash.domain.subscriptions import (
    SubscriptionStatus,
    split_period,
    subscription_number,
)
from commerce_dash.models.commerce import Order
from commerce_dash.models.subscriptions import Subscription, SubscriptionInvoice
from commerce_dash.services.commerce.refund_requests import request_refund
from commerce_dash.services.commerce.subscription_actions import (
    ChangeOutcome,
    day_of,
    is_admin,
    iso_of,
    lock_subscription,
    processor_id,
    remote_call,
    subscription_for,
)
from commerce_dash.services.commerce.subscription_clock import billing_now, subscription_processor
from commerce_dash.services.commerce.subscription_events import (
    end_access,
    sync_subscription,
)
from commerce_dash.services.commerce.subscription_status import transition_subscription
from commerce_dash.services.platform import record_audit
from commerce_dash.settings import get_settings

_S = SubscriptionStatus

__all__ = ["cancel_subscription", "undo_cancel"]

# -- cancel ----------------------------------------------------------------------------------


def cancel_subscription(*, session: Session, actor: Actor | None, ref: str | int,
                        at_period_end: bool = True, reason: str = "",
                        refund: bool | None = None) -> ChangeOutcome:
    """Cancel at the end of the paid period (access until then), or now: access ends at
    once and, when the settings allow refunds on cancel, the unused part of the last paid
    period goes to the refund queue (always when a learner cancels now; when an admin
    cancels now, if ``refund`` is not False). Commits."""
    sub = subscription_for(session, actor, ref)
    assert actor is not None and sub.id is not None
    number = subscription_number(sub.id)
    reason = (reason.strip() or ("Cancelled by an admin" if is_admin(actor, sub)
                                 else "Cancelled by the learner"))[:500]
    if sub.status == _S.CANCELLED.value:
        return ChangeOutcome(sub, f"{number} is already cancelled.")
    if at_period_end and sub.cancel_at_period_end:
        return ChangeOutcome(sub, f"{number} already ends on {day_of(sub.current_period_end)}.")
    now = billing_now(session)
    if sub.status == _S.INCOMPLETE.value or not sub.processor_subscription_id:
        at_period_end = False
    remote = None
    if sub.processor_subscription_id:
        processor = subscription_processor(session, sub.processor)
        remote = remote_call(session, sub, processor.cancel_subscription,
                         sub.processor_subscription_id, at_period_end=at_period_end)
    sub = lock_subscription(session, sub.id)
    sub.cancel_reason = reason
    if at_period_end:
        if remote is not None:
            sync_subscription(session, sub, remote, created=0)
        sub.cancel_at_period_end = True
        record_audit(session=session, actor=actor, action="subscription.cancel_scheduled",
                     entity_type="subscription", entity_id=sub.id,
                     after={"ends": iso_of(sub.current_period_end)}, reason=reason)
        session.commit()
        return ChangeOutcome(sub, f"{number} ends on {day_of(sub.current_period_end)}; "
                                  "you keep access until then.")
    transition_subscription(session=session, subscription=sub, target=_S.CANCELLED, at=now,
                            actor=actor, action="subscription.cancelled", reason=reason)
    if remote is not None:
        sync_subscription(session, sub, remote, created=0, deleted=True)
    else:
        end_access(session, sub, now, why=f"{number} was cancelled")
    session.commit()
    request_id = None
    settings = get_settings()
    wanted = refund if is_admin(actor, sub) else True
    if settings.subscription_cancel_refund == "queue" and wanted is not False:
        request_id = _refund_unused(session, actor, sub, now, reason)
    message = f"{number} is cancelled."
    if request_id is not None:
        message += " The unused part of the period is waiting for a refund decision."
    assert sub.id is not None
    return ChangeOutcome(_lock_free(session, sub.id), message, request_id)


def _lock_free(session: Session, sub_id: int) -> Subscription:
    sub = session.get(Subscription, sub_id)
    assert sub is not None
    session.refresh(sub)
    return sub


def _refund_unused(session: Session, actor: Actor, sub: Subscription, now: datetime,
                   reason: str) -> int | None:
    """A refund request for the unused part of the last paid period (the refund queue)."""
    last = session.exec(select(SubscriptionInvoice).where(
        SubscriptionInvoice.subscription_id == sub.id, SubscriptionInvoice.status == "paid",
        col(SubscriptionInvoice.order_id).is_not(None))
        .order_by(col(SubscriptionInvoice.paid_at).desc())).first()
    if last is None or last.period_start is None or last.period_end is None \
            or last.period_end <= last.period_start or last.order_id is None:
        return None
    order = session.get(Order, last.order_id)
    if order is None:
        return None
    left = order.total - order.refunded_amount
    _, unused = split_period(min(last.amount_paid, left), last.period_start, last.period_end,
                             now)
    if unused <= 0:
        return None
    request = request_refund(
        session=session, actor=actor, number=order_number(order.id or 0, order.created_at),
        reason=f"Unused part of the period after cancelling ({reason})"[:1000], amount=unused)
    return request.id


# -- undo, pause, resume ---------------------------------------------------------------------


def undo_cancel(*, session: Session, actor: Actor | None, ref: str | int) -> ChangeOutcome:
    """Keep a subscription that was to end at its period end. Commits."""
    sub = subscription_for(session, actor, ref)
    assert sub.id is not None
    number = subscription_number(sub.id)
    if not sub.cancel_at_period_end or sub.status == _S.CANCELLED.value:
        return ChangeOutcome(sub, f"{number} is not set to end.")
    processor = subscription_processor(session, sub.processor)
    remote = remote_call(session, sub, processor.undo_cancel, processor_id(sub))
    sub = lock_subscription(session, sub.id)
    sync_subscription(session, sub, remote, created=0)
    sub.cancel_at_period_end = False
    sub.cancel_reason = ""
    record_audit(session=session, actor=actor, action="subscription.cancel_undone",
                 entity_type="subscription", entity_id=sub.id)
    session.commit()
    return ChangeOutcome(sub, f"{number} will renew on {day_of(sub.current_period_end)}.")


