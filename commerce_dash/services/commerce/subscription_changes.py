"""What learners and admins do to a subscription besides cancelling it
(``subscription_cancel.py``): pause and resume, change plan (upgrades now with proration,
downgrades at the period end), update the card, extend a trial (admins), and the sandbox's
3-D Secure step of a first payment.

Each call reads and checks first, calls the processor outside any transaction, then locks
the row and applies what the processor answered (audited as the person who asked). Asking
for the state the subscription is already in changes nothing.
"""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from commerce_dash.domain.actor import Actor
from commerce_dash.domain.errors import DomainError, ErrorKind, not_found
from commerce_dash.domain.pricing import Interval, ItemType
from commerce_dash.domain.subscriptions import (
    SubscriptionStatus,
    is_upgrade,
    resume_period_end,
    split_period,
    subscription_number,
)
from commerce_dash.models.pricing import Price
from commerce_dash.payments.sandbox_subscriptions import SandboxSubscriptions
from commerce_dash.services.catalog import in_force_clause
from commerce_dash.services.commerce.subscription_actions import (
    ChangeOutcome,
    day_of,
    is_admin,
    iso_of,
    lock_subscription,
    money_of,
    processor_id,
    remote_call,
    require_status,
    subscription_for,
)
from commerce_dash.services.commerce.subscription_clock import billing_now, subscription_processor
from commerce_dash.services.commerce.subscription_events import (
    record_created,
    sync_subscription,
)
from commerce_dash.services.commerce.subscription_invoices import terms_of
from commerce_dash.services.commerce.subscription_status import transition_subscription
from commerce_dash.services.platform import record_audit

_S = SubscriptionStatus

__all__ = ["change_plan", "complete_first_payment", "extend_trial", "pause_subscription",
           "resume_subscription", "update_card"]

def pause_subscription(*, session: Session, actor: Actor | None, ref: str | int
                       ) -> ChangeOutcome:
    """Stop charging: nothing renews while paused, and access pauses too. Commits."""
    sub = subscription_for(session, actor, ref)
    assert sub.id is not None
    number = subscription_number(sub.id)
    if sub.status == _S.PAUSED.value:
        return ChangeOutcome(sub, f"{number} is already paused.")
    require_status(sub, (_S.ACTIVE, _S.TRIALING), "paused")
    processor = subscription_processor(session, sub.processor)
    remote = remote_call(session, sub, processor.pause_subscription, processor_id(sub))
    now = billing_now(session)
    sub = lock_subscription(session, sub.id)
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
        require_status(sub, (_S.PAUSED,), "resumed")
    now = billing_now(session)
    end = sub.current_period_end or now
    new_end = resume_period_end(end, sub.paused_at or now, now) if end > (sub.paused_at or now) \
        else now
    processor = subscription_processor(session, sub.processor)
    remote = remote_call(session, sub, processor.resume_subscription, processor_id(sub),
                     period_end=int(new_end.timestamp()))
    sub = lock_subscription(session, sub.id)
    transition_subscription(session=session, subscription=sub, target=_S.ACTIVE, at=now,
                            actor=actor, action="subscription.resumed",
                            after={"status": "active", "period_end": iso_of(new_end)})
    sync_subscription(session, sub, remote, created=0)
    sub.paused_at = None
    sub.access_ended_at = None
    sub.current_period_end = max(sub.current_period_end or new_end, new_end)
    session.add(sub)
    session.commit()
    return ChangeOutcome(sub, f"{number} is active again; next charge on "
                              f"{day_of(sub.current_period_end)}.")


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
    require_status(sub, (_S.ACTIVE, _S.TRIALING), "changed")
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
    remote = remote_call(session, sub, processor.change_amount, processor_id(sub),
                     amount=new_total, charge_now=charge, interval=price.interval,
                     restart_period=restart,
                     idempotency_key=f"{sub.idempotency_key}:plan:{price_id}")
    sub = lock_subscription(session, sub.id)
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
                      f"; {money_of(charge, sub.currency)} is charged for the change."))
    else:
        sub.pending_price_id = price_id
        message = (f"{number} moves to the {price.interval} plan on "
                   f"{day_of(sub.current_period_end)}.")
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
        require_status(sub, (), "given a new card")
    processor = subscription_processor(session, sub.processor)
    remote = remote_call(session, sub, processor.update_payment_method, processor_id(sub),
                     payment_method.strip())
    sub = lock_subscription(session, sub.id)
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
    if not is_admin(actor, sub):
        raise not_found("subscription", ref)
    if isinstance(days, bool) or not 1 <= days <= 90:
        raise DomainError("invalid_trial", "Extend a trial by 1 to 90 days.", field="days")
    require_status(sub, (_S.TRIALING,), "given more trial days")
    end = (sub.trial_ends_at or billing_now(session)) + timedelta(days=days)
    processor = subscription_processor(session, sub.processor)
    remote = remote_call(session, sub, processor.resume_subscription, processor_id(sub),
                     period_end=int(end.timestamp()))
    sub = lock_subscription(session, sub.id)
    before = iso_of(sub.trial_ends_at)
    sync_subscription(session, sub, remote, created=0)
    sub.trial_ends_at = end
    sub.current_period_end = end
    sub.trial_reminder_sent_at = None
    session.add(sub)
    record_audit(session=session, actor=actor, action="subscription.trial_extended",
                 entity_type="subscription", entity_id=sub.id,
                 before={"trial_ends": before}, after={"trial_ends": iso_of(end), "days": days})
    session.commit()
    return ChangeOutcome(sub, f"The trial now ends on {day_of(end)}.")


def complete_first_payment(*, session: Session, actor: Actor | None, ref: str | int,
                           approve: bool) -> ChangeOutcome:
    """The sandbox's 3-D Secure page for a subscription's first payment."""
    sub = subscription_for(session, actor, ref)
    assert actor is not None and sub.id is not None
    if sub.processor != "sandbox" or sub.user_id != actor.user_id:
        raise not_found("subscription", ref)
    require_status(sub, (_S.INCOMPLETE,), "authenticated")
    processor = subscription_processor(session, "sandbox")
    assert isinstance(processor, SandboxSubscriptions)
    remote = remote_call(session, sub, processor.complete_challenge,
                     subscription_id=processor_id(sub), approve=approve)
    sub = record_created(session=session, subscription_id=sub.id, created=remote)
    ok = sub.status in (_S.ACTIVE.value, _S.TRIALING.value)
    return ChangeOutcome(sub, "Payment authenticated: your subscription is active." if ok
                         else "Authentication failed: try again or use another card.")


