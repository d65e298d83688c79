"""What the processor's subscription events do to our subscriptions (issue 16).

The processor owns the billing schedule; its signed ``invoice.*`` and
``customer.subscription.*`` events arrive through the webhook intake (stored once, retried,
dead-lettered) and land here, in the intake's transaction, with the subscription row locked:

- ``invoice.paid``: the invoice becomes a completed order (ledger, receipt); the subscription
  becomes active for the invoice's period; a past-due one recovers.
- ``invoice.payment_failed``: past due, with the grace period of the settings and the
  processor's next retry; the learner is emailed a link to update the card.
- ``customer.subscription.updated`` / ``deleted``: status, period, cancel-at-period-end;
  events older than the newest applied change no status (webhooks arrive out of order).
- ``customer.subscription.trial_will_end``: the reminder email, once.

A subscription the app does not know (not by the processor's id, nor by the id the app put
in its metadata) raises LookupError: the event is kept and retried, then dead-lettered and
shown to admins, never a 500.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session, select

from commerce_dash import routes
from commerce_dash.db import for_update
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.money import format_minor
from commerce_dash.domain.orders import order_number
from commerce_dash.domain.subscriptions import (
    SubscriptionStatus,
    can_move_subscription,
    grace_end,
    grants_access,
    subscription_number,
)
from commerce_dash.models.accounts import User
from commerce_dash.models.catalog import Department
from commerce_dash.models.commerce import Order
from commerce_dash.models.pricing import DiscountRedemption, Price
from commerce_dash.models.subscriptions import Subscription, SubscriptionInvoice
from commerce_dash.notify.outbox_email import queue_email
from commerce_dash.payments.base import (
    EventKind,
    IntentStatus,
    ProcessorInvoice,
    ProcessorSubscription,
    WebhookEvent,
)
from commerce_dash.services.commerce.subscription_invoices import invoice_order
from commerce_dash.services.commerce.subscription_status import transition_subscription
from commerce_dash.services.enrollment import end_subscription_access
from commerce_dash.settings import get_settings

__all__ = ["apply_subscription_event", "code_ref", "end_access", "record_created",
           "sync_invoice", "sync_subscription"]

# Stripe's statuses -> ours
_STATUS = {
    "incomplete": SubscriptionStatus.INCOMPLETE,
    "trialing": SubscriptionStatus.TRIALING,
    "active": SubscriptionStatus.ACTIVE,
    "past_due": SubscriptionStatus.PAST_DUE,
    "unpaid": SubscriptionStatus.PAST_DUE,
    "paused": SubscriptionStatus.PAUSED,
    "canceled": SubscriptionStatus.CANCELLED,
    "incomplete_expired": SubscriptionStatus.CANCELLED,
}
_PAID = frozenset({"invoice.paid", "invoice.payment_succeeded"})


def code_ref(subscription_id: int) -> str:
    """The redemption reference of a subscription's discount code."""
    return f"subscription:{subscription_id}"


def _at(stamp: int) -> datetime | None:
    return datetime.fromtimestamp(stamp, UTC) if stamp > 0 else None


def _locked(session: Session, processor: str, processor_id: str,
            metadata: dict[str, str] | None) -> Subscription:
    query = select(Subscription).where(Subscription.processor == processor,
                                       Subscription.processor_subscription_id == processor_id)
    sub = session.exec(for_update(session, query)).first() if processor_id else None
    own = (metadata or {}).get("subscription_id", "")
    if sub is None and own.isascii() and own.isdigit():
        sub = session.exec(for_update(session, select(Subscription).where(
            Subscription.id == int(own), Subscription.processor == processor))).first()
        if sub is not None and processor_id and not sub.processor_subscription_id:
            sub.processor_subscription_id = processor_id
    if sub is None:
        raise LookupError(f"No subscription for {processor} subscription {processor_id!r}")
    return sub


def apply_subscription_event(session: Session, processor: str, event: WebhookEvent) -> str:
    """Apply one verified subscription or invoice event (the intake's transaction)."""
    if event.kind is EventKind.INVOICE and event.invoice is not None:
        invoice = event.invoice
        sub = _locked(session, processor, invoice.subscription_id, dict(invoice.metadata))
        return sync_invoice(session, sub, invoice, paid=event.event_type in _PAID,
                            event_type=event.event_type)
    assert event.subscription is not None
    remote = event.subscription
    sub = _locked(session, processor, remote.subscription_id, dict(remote.metadata))
    if event.event_type == "customer.subscription.trial_will_end":
        return _trial_reminder(session, sub, remote)
    deleted = event.event_type == "customer.subscription.deleted"
    return sync_subscription(session, sub, remote, created=event.created, deleted=deleted)


# -- invoices --------------------------------------------------------------------------------


def _invoice_row(session: Session, sub: Subscription, invoice: ProcessorInvoice, *,
                 flush: bool = True) -> SubscriptionInvoice:
    row = session.exec(select(SubscriptionInvoice).where(
        SubscriptionInvoice.processor == sub.processor,
        SubscriptionInvoice.processor_invoice_id == invoice.invoice_id)).first()
    if row is None:
        assert sub.id is not None
        row = SubscriptionInvoice(
            subscription_id=sub.id, processor=sub.processor,
            processor_invoice_id=invoice.invoice_id, currency=invoice.currency or sub.currency,
            amount_due=invoice.amount_due, created_at=_at(invoice.created) or utcnow())
    row.intent_id = invoice.intent_id or row.intent_id
    row.billing_reason = invoice.billing_reason or row.billing_reason
    row.period_start = _at(invoice.period_start) or row.period_start
    row.period_end = _at(invoice.period_end) or row.period_end
    row.attempt_count = max(row.attempt_count, invoice.attempt_count)
    session.add(row)
    if flush:
        session.flush()
    return row


def sync_invoice(session: Session, sub: Subscription, invoice: ProcessorInvoice, *,
                 paid: bool, event_type: str) -> str:
    """An invoice paid or failed (caller's transaction, ``sub`` locked)."""
    # a new row is written once, as paid or failed (not inserted, then updated)
    row = _invoice_row(session, sub, invoice, flush=False)
    number = subscription_number(sub.id or 0)
    if row.status == "paid":
        return f"already: invoice {invoice.invoice_id} of {number} was recorded paid"
    at = _at(invoice.created) or utcnow()
    if paid or invoice.status == "paid":
        return _paid(session, sub, row, invoice, at)
    if event_type == "invoice.payment_action_required" and \
            sub.status == SubscriptionStatus.INCOMPLETE.value:
        return f"first payment of {number} waits for the learner's authentication"
    row.status = "failed"
    row.failure_message = (invoice.failure_message or "The card was declined.")[:500]
    session.add(row)
    session.flush()
    if sub.status == SubscriptionStatus.INCOMPLETE.value:
        return f"first payment of {number} failed: {row.failure_message}"
    if sub.status == SubscriptionStatus.CANCELLED.value:
        return f"ignored: {number} is cancelled"
    if sub.status != SubscriptionStatus.PAST_DUE.value and can_move_subscription(
            sub.status, SubscriptionStatus.PAST_DUE.value):
        transition_subscription(session=session, subscription=sub,
                                target=SubscriptionStatus.PAST_DUE, at=at,
                                reason=f"Renewal failed: {row.failure_message}"[:500])
    settings = get_settings()
    sub.past_due_since = sub.past_due_since or at
    sub.grace_ends_at = grace_end(sub.past_due_since, settings.subscription_grace_days)
    sub.next_retry_at = _at(invoice.next_payment_attempt)
    sub.failed_attempts = max(sub.failed_attempts, invoice.attempt_count)
    session.add(sub)
    _email(session, sub, "subscription-payment-failed",
           dedupe=f"sub-failed:{row.id}:{row.attempt_count}",
           extra={"amount": format_minor(invoice.amount_due, row.currency),
                  "reason": row.failure_message,
                  "next_retry": _day(sub.next_retry_at),
                  "grace_ends": _day(sub.grace_ends_at),
                  "needs_action": event_type == "invoice.payment_action_required"})
    return f"{number} past due: {row.failure_message}"


def _paid(session: Session, sub: Subscription, row: SubscriptionInvoice,
          invoice: ProcessorInvoice, at: datetime) -> str:
    first = row.billing_reason == "subscription_create"
    if row.billing_reason == "subscription_cycle" and sub.pending_price_id is not None:
        _apply_pending_plan(session, sub)
    row.status = "paid"
    row.amount_paid = invoice.amount_paid or invoice.amount_due
    row.currency = invoice.currency or row.currency
    row.paid_at = at
    row.failure_message = ""
    session.add(row)
    session.flush()
    # looked up once and held: the order's completion and the email find them in the session
    user = session.get(User, sub.user_id)
    dept = session.get(Department, sub.department_id)
    order = invoice_order(session, sub, row, at, department=dept)
    if sub.status != SubscriptionStatus.ACTIVE.value:
        transition_subscription(session=session, subscription=sub,
                                target=SubscriptionStatus.ACTIVE, at=at,
                                reason=f"Invoice {invoice.invoice_id} paid")
    if row.billing_reason != "subscription_update":
        sub.current_period_start = row.period_start or sub.current_period_start
        sub.current_period_end = row.period_end or sub.current_period_end
    sub.past_due_since = sub.grace_ends_at = sub.next_retry_at = None
    sub.failed_attempts = 0
    sub.access_ended_at = None
    sub.client_secret = ""
    sub.updated_at = at
    session.add(sub)
    if first:
        _redeem_code(session, sub, at)
    receipt = order_number(order.id or 0, order.created_at)
    _email(session, sub, "subscription-invoice-paid", dedupe=f"sub-paid:{row.id}",
           user=user, department=dept,
           extra={"kind": {"subscription_create": "started",
                           "subscription_update": "plan_change"}.get(row.billing_reason,
                                                                     "renewed"),
                  "amount": format_minor(order.total, order.currency),
                  "receipt_number": receipt,
                  "receipt_url": _url(routes.order_href(receipt)),
                  "period_end": _day(sub.current_period_end)})
    return f"invoice {invoice.invoice_id} paid: order {receipt}"


def _apply_pending_plan(session: Session, sub: Subscription) -> None:
    """A downgrade takes effect with the first invoice of the new period."""
    price = session.get(Price, sub.pending_price_id)
    sub.pending_price_id = None
    if price is None:
        return
    ratio_tax = sub.tax_amount * price.amount // sub.unit_amount if sub.unit_amount else 0
    sub.price_id = price.id or sub.price_id
    sub.interval = price.interval
    sub.includes_subdepartments = price.includes_subdepartments
    sub.unit_amount = price.amount
    sub.tax_amount = ratio_tax
    if sub.discount_duration != "forever":
        sub.discount_amount = 0
        sub.discount_duration = ""
    sub.first_tax_amount = ratio_tax if not sub.discount_amount else sub.first_tax_amount


def _redeem_code(session: Session, sub: Subscription, at: datetime) -> None:
    if sub.discount_code_id is None or sub.id is None:
        return
    row = session.exec(select(DiscountRedemption).where(
        DiscountRedemption.order_ref == code_ref(sub.id),
        DiscountRedemption.status == "reserved")).first()
    if row is not None:
        row.status = "redeemed"
        row.at = at
        session.add(row)


# -- the subscription itself ------------------------------------------------------------------


def sync_subscription(session: Session, sub: Subscription, remote: ProcessorSubscription, *,
                      created: int, deleted: bool = False) -> str:
    """Follow the processor's subscription (caller's transaction, ``sub`` locked)."""
    number = subscription_number(sub.id or 0)
    at = _at(created) or utcnow()
    target = (SubscriptionStatus.CANCELLED if deleted
              else SubscriptionStatus.PAUSED if remote.paused and remote.status != "canceled"
              else _STATUS.get(remote.status))
    if created and created < sub.last_event_at and target is not SubscriptionStatus.CANCELLED:
        return f"ignored: older than the last change applied to {number}"
    sub.last_event_at = max(sub.last_event_at, created)
    sub.processor_subscription_id = sub.processor_subscription_id or remote.subscription_id
    sub.processor_customer_id = sub.processor_customer_id or remote.customer_id
    if remote.card_last4:
        sub.card_brand, sub.card_last4 = remote.card_brand[:16], remote.card_last4[:4]
    sub.current_period_start = _at(remote.current_period_start) or sub.current_period_start
    sub.current_period_end = _at(remote.current_period_end) or sub.current_period_end
    sub.trial_ends_at = _at(remote.trial_end) or sub.trial_ends_at
    sub.cancel_at_period_end = remote.cancel_at_period_end
    moved = ""
    if target is not None and target.value != sub.status:
        if can_move_subscription(sub.status, target.value):
            before = sub.status
            transition_subscription(session=session, subscription=sub, target=target, at=at,
                                    reason=f"The processor reports it {remote.status}")
            moved = f" ({before} -> {target.value})"
            if target is SubscriptionStatus.PAUSED:
                sub.paused_at = sub.paused_at or at
            if target is SubscriptionStatus.ACTIVE:
                sub.paused_at = None
                # the processor calls it active again only once it is paid
                sub.past_due_since = sub.grace_ends_at = sub.next_retry_at = None
                sub.failed_attempts = 0
        else:
            moved = f" (status {remote.status} ignored: {sub.status} cannot become it)"
    if target is SubscriptionStatus.CANCELLED and sub.status == target.value:
        sub.cancelled_at = sub.cancelled_at or _at(remote.canceled_at) or at
        _email(session, sub, "subscription-cancelled", dedupe=f"sub-cancelled:{sub.id}",
               extra={"reason": sub.cancel_reason or "The subscription ended."})
    sub.updated_at = at
    session.add(sub)
    if not grants_access(sub.status, now=at, grace_ends=sub.grace_ends_at):
        end_access(session, sub, at, why=f"{number} is {sub.status.replace('_', ' ')}")
    return f"{number} synced{moved}"


def end_access(session: Session, sub: Subscription, at: datetime, *, why: str) -> int:
    """End the enrollments the subscription gave (certificates stay valid); once."""
    if sub.access_ended_at is not None and sub.status != SubscriptionStatus.CANCELLED.value:
        return 0
    sub.access_ended_at = sub.access_ended_at or at
    session.add(sub)
    return end_subscription_access(session=session, subscription_id=sub.id or 0, now=at,
                                   why=why)


def _trial_reminder(session: Session, sub: Subscription, remote: ProcessorSubscription) -> str:
    number = subscription_number(sub.id or 0)
    if sub.trial_reminder_sent_at is not None:
        return f"already: {number} was reminded"
    sub.trial_ends_at = _at(remote.trial_end) or sub.trial_ends_at
    sub.trial_reminder_sent_at = utcnow()
    session.add(sub)
    _email(session, sub, "subscription-trial-ending", dedupe=f"sub-trial:{sub.id}",
           extra={"trial_ends": _day(sub.trial_ends_at),
                  "amount": format_minor(sub.unit_amount, sub.currency)})
    return f"{number}: trial reminder sent"


def record_created(*, session: Session, subscription_id: int,
                   created: ProcessorSubscription) -> Subscription:
    """What the processor answered to the creation: its ids, the card, and the first
    payment when it waits for the learner (3-D Secure). Commits."""
    sub = session.exec(for_update(session, select(Subscription).where(
        Subscription.id == subscription_id))).one()
    sub.processor_subscription_id = created.subscription_id
    sub.processor_customer_id = created.customer_id
    if created.card_last4:
        sub.card_brand, sub.card_last4 = created.card_brand[:16], created.card_last4[:4]
    waiting = created.intent_status in (IntentStatus.REQUIRES_ACTION,
                                        IntentStatus.REQUIRES_PAYMENT)
    sub.client_secret = created.client_secret[:200] if waiting else ""
    session.add(sub)
    if created.latest_invoice is not None and created.latest_invoice.invoice_id:
        invoice = _invoice_row(session, sub, created.latest_invoice)
        if created.latest_invoice.failure_message and invoice.status != "paid":
            invoice.status = "failed"
            invoice.failure_message = created.latest_invoice.failure_message[:500]
            session.add(invoice)
    if sub.status == SubscriptionStatus.INCOMPLETE.value:
        sync_subscription(session, sub, created, created=0)
    session.commit()
    session.refresh(sub)
    return sub


# -- emails ----------------------------------------------------------------------------------


def _url(path: str) -> str:
    return f"{get_settings().public_url.rstrip('/')}{path}"


def _day(moment: datetime | None) -> str:
    return moment.strftime("%d %b %Y") if moment else ""


def _email(session: Session, sub: Subscription, template: str, *, dedupe: str,
           extra: dict[str, object], user: User | None = None,
           department: Department | None = None) -> None:
    user = user or session.get(User, sub.user_id)
    if user is None:
        return
    dept = department or session.get(Department, sub.department_id)
    queue_email(
        session=session, template=template, to=user.email, dedupe_key=dedupe,
        context={"user_name": user.full_name,
                 "subscription_number": subscription_number(sub.id or 0),
                 "department_name": dept.name if dept else "",
                 "interval": sub.interval,
                 "manage_url": _url(routes.MY_SUBSCRIPTIONS), **extra},
    )


def invoice_orders(session: Session, subscription_id: int) -> list[Order]:
    """The orders of a subscription's paid invoices, oldest first."""
    ids = session.exec(select(SubscriptionInvoice.order_id).where(
        SubscriptionInvoice.subscription_id == subscription_id,
        SubscriptionInvoice.order_id.is_not(None))  # type: ignore[union-attr]
        .order_by(SubscriptionInvoice.id)).all()  # type: ignore[arg-type]
    return [o for o in (session.get(Order, i) for i in ids if i is not None) if o is not None]
