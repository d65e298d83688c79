"""Chargebacks reported by the processor (``charge.dispute.created`` / ``.closed``).

Opened: the order becomes *disputed*, billing admins are alerted, its payout entries wait,
and no refund of it can be approved. Won: the order returns where it was and the entries go
out. Lost: it cascades like a full refund of what was disputed (registrations cancelled,
certificates revoked, ledger reversals), the processor's dispute fee is written to the
ledger as the platform's cost, and the held entries go out with their reversals.

Each handler runs in the webhook's transaction, which holds the payment row; a repeated event
changes nothing (one row per processor and dispute id).
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from commerce_dash import routes
from commerce_dash.db import for_update
from commerce_dash.domain.access import RoleName
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.money import format_minor
from commerce_dash.domain.orders import OrderStatus, can_move_order, order_number
from commerce_dash.domain.refunds import RefundStatus
from commerce_dash.models.accounts import User, UserRole
from commerce_dash.models.commerce import Order, Payment, PaymentDispute
from commerce_dash.notify.outbox_email import queue_email
from commerce_dash.payments.base import Dispute, WebhookEvent
from commerce_dash.services.commerce.order_status import transition_order
from commerce_dash.services.commerce.refund_settlement import external_lines, settle_locked
from commerce_dash.services.commerce.refund_status import new_refund_request
from commerce_dash.services.platform import record_audit
from commerce_dash.services.revenue import hold_order, record_dispute_fee, release_order
from commerce_dash.settings import get_settings


def _order(session: Session, payment: Payment) -> Order:
    return session.exec(for_update(session, select(Order).where(Order.id == payment.order_id))
                        ).one()


def _find(session: Session, processor: str, dispute_id: str) -> PaymentDispute | None:
    return session.exec(select(PaymentDispute).where(
        PaymentDispute.processor == processor,
        PaymentDispute.dispute_id == dispute_id[:100])).first()


def dispute_opened(session: Session, payment: Payment, event: WebhookEvent) -> str:
    """A chargeback was opened on the order's payment."""
    dispute = event.dispute
    if dispute is None or not dispute.dispute_id:
        return "ignored: the event names no dispute"
    if _find(session, payment.processor, dispute.dispute_id) is not None:
        return "already recorded: the dispute is known"
    order = _order(session, payment)
    row = _open(session, order, payment, dispute)
    return f"order {order.status}: dispute {row.dispute_id} opened"


def _open(session: Session, order: Order, payment: Payment, dispute: Dispute) -> PaymentDispute:
    assert order.id is not None and payment.id is not None
    row = PaymentDispute(
        processor=payment.processor, dispute_id=dispute.dispute_id[:100], order_id=order.id,
        payment_id=payment.id, amount=dispute.amount or payment.amount,
        currency=payment.currency, reason=dispute.reason[:100], fee=dispute.fee,
        order_status_before=order.status,
    )
    session.add(row)
    session.flush()
    number = order_number(order.id, order.created_at)
    why = f"Chargeback opened at {payment.processor}: {row.reason or 'no reason'}"
    if can_move_order(order.status, OrderStatus.DISPUTED.value):
        transition_order(session=session, order=order, target=OrderStatus.DISPUTED,
                         action="order.disputed", before={"status": row.order_status_before},
                         after={"status": OrderStatus.DISPUTED.value, "dispute": row.dispute_id,
                                "amount": row.amount, "reason": row.reason}, reason=why)
        order.updated_at = utcnow()
        session.add(order)
        hold_order(session, order.id)
    else:
        record_audit(session=session, actor=None, action="order.disputed", entity_type="order",
                     entity_id=order.id,
                     before={"status": row.order_status_before},
                     after={"status": order.status, "dispute": row.dispute_id,
                            "amount": row.amount, "reason": row.reason}, reason=why)
    _alert_billing(session, order, row, number)
    return row


def _alert_billing(session: Session, order: Order, row: PaymentDispute, number: str) -> None:
    """Every billing admin and super-admin hears of it at once (evidence is due in days)."""
    admins = session.exec(
        select(User.email, User.full_name).join(UserRole, col(UserRole.user_id) == User.id)
        .where(col(UserRole.role).in_((RoleName.BILLING_ADMIN.value,
                                       RoleName.SUPER_ADMIN.value)),
               col(User.is_active).is_(True)).distinct()).all()
    settings = get_settings()
    for email, name in admins:
        queue_email(session=session, template="dispute-opened", to=email,
                    dedupe_key=f"dispute-opened:{row.id}:{email}",
                    context={"user_name": name, "order_number": number,
                             "amount": format_minor(row.amount, row.currency,
                                                    settings.default_locale),
                             "reason": row.reason or "not given",
                             "order_url": f"{settings.public_url.rstrip('/')}"
                                          f"{routes.ADMIN_ORDERS}/{number}"})


def dispute_closed(session: Session, payment: Payment, event: WebhookEvent) -> str:
    """The chargeback closed: won returns the order, lost refunds it and books the fee."""
    dispute = event.dispute
    if dispute is None or not dispute.dispute_id or dispute.status not in ("won", "lost"):
        return "ignored: the dispute is not won or lost"
    order = _order(session, payment)
    row = _find(session, payment.processor, dispute.dispute_id) or _open(
        session, order, payment, dispute)
    if row.status != "open":
        return f"already closed: the dispute was {row.status}"
    assert order.id is not None
    now = utcnow()
    row.status, row.closed_at = dispute.status, now
    row.fee = dispute.fee or row.fee
    session.add(row)
    number = order_number(order.id, order.created_at)
    if dispute.won:
        back = (row.order_status_before if order.status == OrderStatus.DISPUTED.value
                else order.status)
        if back != order.status:
            transition_order(session=session, order=order, target=back,
                             action="order.dispute_won", before=None,
                             after={"status": back, "dispute": row.dispute_id})
            order.updated_at = now
            session.add(order)
        else:
            record_audit(session=session, actor=None, action="order.dispute_won",
                         entity_type="order", entity_id=order.id,
                         after={"status": order.status, "dispute": row.dispute_id})
        release_order(session, order.id)
        return f"dispute won: order {number} is {order.status} again"
    amount = min(row.amount, payment.amount - payment.refunded_amount)
    if amount > 0:
        request = new_refund_request(
            session=session, status=RefundStatus.PROCESSING, actor=None,
            action="refund.recorded_from_dispute",
            audit_after={"dispute": row.dispute_id, "amount": amount, "order": number},
            order_id=order.id, user_id=order.user_id, amount=amount, currency=payment.currency,
            source="dispute", approved_amount=amount, decided_at=now, reason=f"Chargeback lost at {payment.processor}: "
                                   f"{row.reason or 'no reason given'}"[:1000],
            decision_reason=("Your bank took this payment back (a chargeback), so the "
                             "purchase is refunded and its courses are no longer available."),
            lines=external_lines(session, order, amount),
        )
        row.refund_request_id = request.id
        settle_locked(session, request, order, payment, row.dispute_id, None)
    lost = {"dispute": row.dispute_id, "refunded": amount, "fee": row.fee}
    back = (row.order_status_before if amount <= 0
            and order.status == OrderStatus.DISPUTED.value else order.status)
    moved = back != order.status
    if moved:
        transition_order(session=session, order=order, target=back,
                         action="order.dispute_lost", before=None,
                         after={"status": back, **lost})
    record_dispute_fee(session, order, row.fee, row.dispute_id)
    release_order(session, order.id)
    if not moved:
        record_audit(session=session, actor=None, action="order.dispute_lost",
                     entity_type="order", entity_id=order.id,
                     after={"status": order.status, **lost})
    return f"dispute lost: {amount} refunded, fee {row.fee}"
