"""What learners and admins do to a subscription: cancel (at period end or now, with the
unused part refunded through the queue when allowed), undo a cancellation, pause and resume,
change plan (upgrades now with proration, downgrades at the period end), update the card,
extend a trial (admins), and the sandbox's 3-D Secure step of a first payment.

Each call reads and checks first, calls the processor outside any transaction, then locks
the row and applies what the processor answered (audited as the person who asked). Asking
for the state the subscription is already in changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from commerce_dash.db import for_update
from commerce_dash.domain.access import RoleName, can_access
from commerce_dash.domain.actor import Actor
from commerce_dash.domain.errors import DomainError, ErrorKind, not_found
from commerce_dash.domain.money import format_minor
from commerce_dash.domain.orders import order_number
from commerce_dash.domain.pricing import Interval, ItemType
from commerce_dash.domain.subscriptions import (
    SubscriptionStatus,
    is_upgrade,
    parse_subscription_number,
    resume_period_end,
    split_period,
    subscription_number,
)
from commerce_dash.models.commerce import Order
from commerce_dash.models.pricing import Price
from commerce_dash.models.subscriptions import Subscription, SubscriptionInvoice
from commerce_dash.payments.base import ProcessorError, ProcessorSubscription
from commerce_dash.payments.sandbox_subscriptions import SandboxSubscriptions
from commerce_dash.services.catalog import in_force_clause
from commerce_dash.services.commerce.refund_requests import request_refund
from commerce_dash.services.commerce.subscription_clock import billing_now, subscription_processor
from commerce_dash.services.commerce.subscription_events import (
    end_access,
    record_created,
    sync_subscription,
)
from commerce_dash.services.commerce.subscription_invoices import terms_of
from commerce_dash.services.commerce.subscription_status import transition_subscription
from commerce_dash.services.platform import department_parents, record_audit
from commerce_dash.settings import get_settings

__all__ = [
    "ChangeOutcome",
    "cancel_subscription",
    "change_plan",
    "complete_first_payment",
    "extend_trial",
    "pause_subscription",
    "resume_subscription",
    "subscription_for",
    "undo_cancel",
    "update_card",
]

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
    if sub is None or not _may_act(session, actor, sub):
        raise not_found("subscription", ref)
    return sub


def _may_act(session: Session, actor: Actor, sub: Subscription) -> bool:
    if sub.user_id == actor.user_id:
        return True
    if not can_access(actor.roles, SECTION) or actor.second_factor_missing:
        return False
    scope = actor.departments_for(RoleName.DEPT_ADMIN, department_parents(session=session))
    if actor.has_role(RoleName.BILLING_ADMIN) or scope is None:
        return True
    return sub.department_id in scope


def _is_admin(actor: Actor, sub: Subscription) -> bool:
    return sub.user_id != actor.user_id


def _remote(session: Session, sub: Subscription,
            call: Callable[..., ProcessorSubscription], *args: object,
            **kwargs: object) -> ProcessorSubscription:
    session.commit()  # no transaction is held while the processor is called
    try:
        return call(*args, **kwargs)
    except ProcessorError as exc:
        raise DomainError(exc.code, exc.message, kind=ErrorKind.CONFLICT) from None


def _lock(session: Session, sub_id: int) -> Subscription:
    return session.exec(for_update(session, select(Subscription).where(
        Subscription.id == sub_id))).one()


def _require(sub: Subscription, allowed: tuple[SubscriptionStatus, ...], doing: str) -> None:
    if sub.status not in {s.value for s in allowed}:
        state = sub.status.replace("_", " ")
        raise DomainError("subscription_not_changeable",
                          f"A {state} subscription cannot be {doing}.",
                          kind=ErrorKind.CONFLICT)


def _processor_id(sub: Subscription) -> str:
    if not sub.processor_subscription_id:
        raise DomainError("subscription_not_changeable",
                          "This subscription was never set up at the payment processor.",
                          kind=ErrorKind.CONFLICT)
    return sub.processor_subscription_id


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
    reason = (reason.strip() or ("Cancelled by an admin" if _is_admin(actor, sub)
                                 else "Cancelled by the learner"))[:500]
    if sub.status == _S.CANCELLED.value:
        return ChangeOutcome(sub, f"{number} is already cancelled.")
    if at_period_end and sub.cancel_at_period_end:
        return ChangeOutcome(sub, f"{number} already ends on {_day(sub.current_period_end)}.")
    now = billing_now(session)
    if sub.status == _S.INCOMPLETE.value or not sub.processor_subscription_id:
        at_period_end = False
    remote = None
    if sub.processor_subscription_id:
        processor = subscription_processor(session, sub.processor)
        remote = _remote(session, sub, processor.cancel_subscription,
                         sub.processor_subscription_id, at_period_end=at_period_end)
    sub = _lock(session, sub.id)
    sub.cancel_reason = reason
    if at_period_end:
        if remote is not None:
            sync_subscription(session, sub, remote, created=0)
        sub.cancel_at_period_end = True
        record_audit(session=session, actor=actor, action="subscription.cancel_scheduled",
                     entity_type="subscription", entity_id=sub.id,
                     after={"ends": _iso(sub.current_period_end)}, reason=reason)
        session.commit()
        return ChangeOutcome(sub, f"{number} ends on {_day(sub.current_period_end)}; "
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
    wanted = refund if _is_admin(actor, sub) else True
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
    remote = _remote(session, sub, processor.undo_cancel, _processor_id(sub))
    sub = _lock(session, sub.id)
    sync_subscription(session, sub, remote, created=0)
    sub.cancel_at_period_end = False
    sub.cancel_reason = ""
    record_audit(session=session, actor=actor, action="subscription.cancel_undone",
                 entity_type="subscription", entity_id=sub.id)
    session.commit()
    return ChangeOutcome(sub, f"{number} will renew on {_day(sub.current_period_end)}.")


def pause_subscription(*, session: Session, actor: Actor | None, ref: str | int
                       ) -> ChangeOutcome:
    """Stop charging: nothing renews while paused, and access pauses too. Commits."""
    sub = subscription_for(session, actor, ref)
    assert sub.id is not None
    number = subscription_number(sub.id)
    if sub.status == _S.PAUSED.value:
        return ChangeOutcome(sub, f"{number} is already paused.")
    _require(sub, (_S.ACTIVE, _S.TRIALING), "paused")
    processor = subscription_processor(session, sub.processor)
    remote = _remote(session, sub, processor.pause_subscription, _processor_id(sub))
    now = billing_now(session)
    sub = _lock(session, sub.id)
    transition_subscription(session=session, subscription=sub, target=_S.PAUSED, at=now,
                            actor=actor, action="subscription.paused")
    sub.paused_at = now
    sync_subscription(session, sub, remote, created=0)
    session.commit()
    return ChangeOutcome(sub, f"{number} is paused: no charge until you resume it.")


def resume_subscription(*, session: Session, actor: Actor | None, ref: str | int
                        ) -> ChangeOutcome:
    """Charge again, the paid period extended by the time spent paused. Commits."""
    sub = subscription_for(session, actor, ref)
    assert sub.id is not None
    number = subscription_number(sub.id)
    if sub.status != _S.PAUSED.value:
        _require(sub, (_S.PAUSED,), "resumed")
    now = billing_now(session)
    end = sub.current_period_end or now
    new_end = resume_period_end(end, sub.paused_at or now, now) if end > (sub.paused_at or now) \
        else now
    processor = subscription_processor(session, sub.processor)
    remote = _remote(session, sub, processor.resume_subscription, _processor_id(sub),
                     period_end=int(new_end.timestamp()))
    sub = _lock(session, sub.id)
    transition_subscription(session=session, subscription=sub, target=_S.ACTIVE, at=now,
                            actor=actor, action="subscription.resumed",
                            after={"status": "active", "period_end": _iso(new_end)})
    sync_subscription(session, sub, remote, created=0)
    sub.paused_at = None
    sub.access_ended_at = None
    sub.current_period_end = max(sub.current_period_end or new_end, new_end)
    session.add(sub)
    session.commit()
    return ChangeOutcome(sub, f"{number} is active again; next charge on "
                              f"{_day(sub.current_period_end)}.")


# -- change plan, card, trial ----------------------------------------------------------------


def change_plan(*, session: Session, actor: Actor | None, ref: str | int, price_id: int
                ) -> ChangeOutcome:
    """Move to another plan of the same department and currency. An upgrade (a longer
    interval, or a higher price) starts now: the new period is charged at once less the
    unused part of the current one. A downgrade waits for the period end. Commits."""
    sub = subscription_for(session, actor, ref)
    assert sub.id is not None
    number = subscription_number(sub.id)
    if price_id == sub.price_id or price_id == sub.pending_price_id:
        return ChangeOutcome(sub, f"{number} is already on that plan.")
    _require(sub, (_S.ACTIVE, _S.TRIALING), "changed")
    now = billing_now(session)
    price = session.get(Price, price_id)
    live = session.exec(select(Price.id).where(Price.id == price_id, in_force_clause(now))
                        ).first()
    if price is None or live is None or price.item_type != ItemType.SUBSCRIPTION.value \
            or price.item_id != sub.department_id or price.currency != sub.currency:
        raise DomainError("plan_not_available",
                          "Choose a plan of the same department, in the same currency.",
                          kind=ErrorKind.CONFLICT, field="price_id")
    old = terms_of(sub)
    tax = sub.tax_amount * price.amount // sub.unit_amount
    new_total = price.amount + tax
    upgrade = is_upgrade(sub.unit_amount, Interval(sub.interval), price.amount,
                         Interval(price.interval))
    trialing = sub.status == _S.TRIALING.value
    restart = upgrade and not trialing
    charge = 0
    if restart:
        start, end = sub.current_period_start or now, sub.current_period_end or now
        credit = split_period(old.renewal().total, start, end, now)[1] if end > start else 0
        charge = max(0, new_total - credit)
    processor = subscription_processor(session, sub.processor)
    remote = _remote(session, sub, processor.change_amount, _processor_id(sub),
                     amount=new_total, charge_now=charge, interval=price.interval,
                     restart_period=restart,
                     idempotency_key=f"{sub.idempotency_key}:plan:{price_id}")
    sub = _lock(session, sub.id)
    before = {"plan": sub.price_id, "interval": sub.interval, "amount": sub.unit_amount}
    if upgrade or trialing:
        sub.price_id, sub.interval = price_id, price.interval
        sub.includes_subdepartments = price.includes_subdepartments
        sub.unit_amount, sub.tax_amount = price.amount, tax
        sub.pending_price_id = None
        if sub.discount_duration != "forever":
            sub.discount_amount, sub.discount_duration = 0, ""
        sub.first_tax_amount = tax if not sub.discount_amount else sub.first_tax_amount
        message = (f"{number} moved to the {price.interval} plan"
                   + (" now." if not restart else
                      f"; {_money(charge, sub.currency)} is charged for the change."))
    else:
        sub.pending_price_id = price_id
        message = (f"{number} moves to the {price.interval} plan on "
                   f"{_day(sub.current_period_end)}.")
    record_audit(session=session, actor=actor, action="subscription.plan_changed",
                 entity_type="subscription", entity_id=sub.id, before=before,
                 after={"plan": price_id, "interval": price.interval, "amount": price.amount,
                        "when": "now" if (upgrade or trialing) else "period_end",
                        "charged": charge})
    sync_subscription(session, sub, remote, created=0)
    session.commit()
    return ChangeOutcome(sub, message)


def update_card(*, session: Session, actor: Actor | None, ref: str | int,
                payment_method: str) -> ChangeOutcome:
    """Save a new card; an unpaid invoice is tried again with it at once. Commits."""
    sub = subscription_for(session, actor, ref)
    assert sub.id is not None
    number = subscription_number(sub.id)
    if not payment_method.strip():
        raise DomainError("payment_method_required", "Enter the new card.",
                          field="payment_method")
    if sub.status == _S.CANCELLED.value:
        _require(sub, (), "given a new card")
    processor = subscription_processor(session, sub.processor)
    remote = _remote(session, sub, processor.update_payment_method, _processor_id(sub),
                     payment_method.strip())
    sub = _lock(session, sub.id)
    sync_subscription(session, sub, remote, created=0)
    record_audit(session=session, actor=actor, action="subscription.card_updated",
                 entity_type="subscription", entity_id=sub.id,
                 after={"card": sub.card_last4})
    session.commit()
    session.refresh(sub)
    if sub.status == _S.PAST_DUE.value:
        return ChangeOutcome(sub, f"Card saved, but {number} is still past due: the payment "
                                  "was declined again.")
    return ChangeOutcome(sub, f"Card saved for {number}.")


def extend_trial(*, session: Session, actor: Actor | None, ref: str | int, days: int
                 ) -> ChangeOutcome:
    """An admin gives a trialing learner more days (1 to 90) before the first charge."""
    sub = subscription_for(session, actor, ref)
    assert actor is not None and sub.id is not None
    if not _is_admin(actor, sub):
        raise not_found("subscription", ref)
    if isinstance(days, bool) or not 1 <= days <= 90:
        raise DomainError("invalid_trial", "Extend a trial by 1 to 90 days.", field="days")
    _require(sub, (_S.TRIALING,), "given more trial days")
    end = (sub.trial_ends_at or billing_now(session)) + timedelta(days=days)
    processor = subscription_processor(session, sub.processor)
    remote = _remote(session, sub, processor.resume_subscription, _processor_id(sub),
                     period_end=int(end.timestamp()))
    sub = _lock(session, sub.id)
    before = _iso(sub.trial_ends_at)
    sync_subscription(session, sub, remote, created=0)
    sub.trial_ends_at = end
    sub.current_period_end = end
    sub.trial_reminder_sent_at = None
    session.add(sub)
    record_audit(session=session, actor=actor, action="subscription.trial_extended",
                 entity_type="subscription", entity_id=sub.id,
                 before={"trial_ends": before}, after={"trial_ends": _iso(end), "days": days})
    session.commit()
    return ChangeOutcome(sub, f"The trial now ends on {_day(end)}.")


def complete_first_payment(*, session: Session, actor: Actor | None, ref: str | int,
                           approve: bool) -> ChangeOutcome:
    """The sandbox's 3-D Secure page for a subscription's first payment."""
    sub = subscription_for(session, actor, ref)
    assert actor is not None and sub.id is not None
    if sub.processor != "sandbox" or sub.user_id != actor.user_id:
        raise not_found("subscription", ref)
    _require(sub, (_S.INCOMPLETE,), "authenticated")
    processor = subscription_processor(session, "sandbox")
    assert isinstance(processor, SandboxSubscriptions)
    remote = _remote(session, sub, processor.complete_challenge,
                     subscription_id=_processor_id(sub), approve=approve)
    sub = record_created(session=session, subscription_id=sub.id, created=remote)
    ok = sub.status in (_S.ACTIVE.value, _S.TRIALING.value)
    return ChangeOutcome(sub, "Payment authenticated: your subscription is active." if ok
                         else "Authentication failed: try again or use another card.")


def _day(moment: datetime | None) -> str:
    return moment.strftime("%d %b %Y") if moment else "the period end"


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _money(amount: int, currency: str) -> str:
    return format_minor(amount, currency)
