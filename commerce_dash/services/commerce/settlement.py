"""Moving a payment and its order forward from what the processor says, in the caller's
transaction: completion (cart cleared, discount redeemed, confirmation email, completion
hooks), failure (reason kept, payment-failed email, review after repeated failures) and
expiry (intent cancelled, discount released). Late and repeated news changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from commerce_dash import routes
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.money import format_minor
from commerce_dash.domain.orders import (
    OrderStatus,
    PaymentStatus,
    can_move_order,
    can_move_payment,
    order_number,
    payment_status_of_order,
)
from commerce_dash.models.accounts import User
from commerce_dash.models.commerce import Cart, Order, OrderLine, Payment
from commerce_dash.models.pricing import DiscountRedemption
from commerce_dash.notify.outbox_email import queue_email
from commerce_dash.payments.base import IntentResult, IntentStatus
from commerce_dash.payments.configuration import SILENT
from commerce_dash.services.commerce.cart import clear_purchased
from commerce_dash.services.commerce.discount_uses import give_back_use
from commerce_dash.services.commerce.invoices import invoice_attachment, issue_invoice
from commerce_dash.services.commerce.order_status import transition_order, transition_payment
from commerce_dash.services.commerce.payment_review import hold_after_failures
from commerce_dash.services.commerce.refund_requests import refund_duplicates
from commerce_dash.services.enrollment import (
    create_for_order,
    grant_credits_for_order,
    owned_elsewhere,
)
from commerce_dash.services.platform import record_audit
from commerce_dash.services.revenue import record_order
from commerce_dash.settings import get_settings

# Work that must happen in the completing transaction: the revenue ledger (which queues the
# payout messages), then registrations (whose LMS requests carry the ledger's amounts), then
# the session credits the lines' prices give (granted once, whatever repeats); each hook gets
# the session, the order and its lines.
OrderHook = Callable[[Session, Order, list[OrderLine]], object]
ORDER_COMPLETED_HOOKS: list[OrderHook] = [record_order, create_for_order,
                                          grant_credits_for_order]

_TARGET = {
    IntentStatus.REQUIRES_ACTION: PaymentStatus.REQUIRES_ACTION,
    IntentStatus.PROCESSING: PaymentStatus.PROCESSING,
    IntentStatus.SUCCEEDED: PaymentStatus.SUCCEEDED,
    IntentStatus.FAILED: PaymentStatus.FAILED,
    IntentStatus.CANCELED: PaymentStatus.CANCELED,
}


def _url(path: str) -> str:
    return f"{get_settings().public_url.rstrip('/')}{path}"


def apply_intent_result(
    *, session: Session, payment: Payment, result: IntentResult, source: str
) -> str:
    """Apply the processor's view of the intent to the payment and order; return the outcome.

    The caller holds the payment row (locked on Postgres) and commits.
    """
    target = _TARGET.get(result.status)
    if target is None:
        return "nothing to do"
    if target is PaymentStatus.SUCCEEDED and (
            (result.amount and result.amount != payment.amount)
            or (result.currency and result.currency.upper() != payment.currency.upper())):
        # money that does not match the order never completes it
        return (f"ignored: the processor reports {result.amount} {result.currency.upper()}, "
                f"the payment is {payment.amount} {payment.currency}")
    if target is PaymentStatus.FAILED and source != "webhook" and not (
            source == "api" and payment.processor in SILENT):
        # A decline is shown to the learner at once; it is recorded (and counted towards a
        # review) once, from the processor's own event; for a processor that sends none,
        # from the learner's attempt (never again by the janitor).
        return "decline shown; recorded from the processor's event"
    return move_payment(
        session=session, payment=payment, target=target, failure_code=result.failure_code,
        failure_message=result.failure_message, raw=dict(result.raw), source=source,
        next_action_url=result.next_action_url, fee=result.fee,
    )


def move_payment(
    *, session: Session, payment: Payment, target: PaymentStatus, failure_code: str = "",
    failure_message: str = "", raw: dict[str, object] | None = None, source: str = "webhook",
    next_action_url: str = "", fee: int | None = None,
) -> str:
    now = utcnow()
    order = session.get(Order, payment.order_id)
    assert order is not None
    current = payment.status
    if current == target.value and target is not PaymentStatus.FAILED:
        return f"already {current}"
    if current != target.value and not can_move_payment(current, target.value):
        return f"ignored: payment is {current}, event says {target.value}"
    if raw is not None:
        payment.processor_response = {**raw, "next_action_url": next_action_url}
    if fee is not None and target is PaymentStatus.SUCCEEDED:
        payment.processor_fee = max(0, min(fee, payment.amount))  # what it reported, bounded
    payment.updated_at = now
    if target is PaymentStatus.SUCCEEDED:
        if order.status != OrderStatus.PENDING:
            transition_payment(session=session, payment=payment, target=target,
                               reason=f"Payment {target.value} ({source}).")
            payment.processed_at = now
            session.add(payment)
            record_audit(session=session, actor=None, action="payment.captured_for_closed_order",
                         entity_type="order", entity_id=order.id,
                         after={"order_status": order.status, "amount": payment.amount},
                         reason="Money was captured for an order that is no longer pending; "
                         "refund it from the refund queue.")
            return f"captured, but the order is {order.status}: needs a refund"
        transition_payment(session=session, payment=payment, target=target,
                           reason=f"Payment {target.value} ({source}).")
        payment.processed_at = now
        payment.failure_code = payment.failure_reason = ""
        session.add(payment)
        complete_order(session=session, order=order, payment=payment, at=now,
                       note=f"Payment succeeded ({source}).")
        return "order completed"
    if target is PaymentStatus.FAILED:
        transition_payment(session=session, payment=payment, target=target,
                           reason=f"Payment {target.value} ({source}).")
        payment.failure_code = failure_code[:64]
        payment.failure_reason = (failure_message or "The payment was declined.")[:500]
        payment.attempts_failed += 1
        session.add(payment)
        order.payment_status = payment_status_of_order(target.value)
        order.failure_reason = payment.failure_reason
        order.updated_at = now
        session.add(order)
        _payment_failed_email(session, order, payment)
        hold_after_failures(session, payment.user_id, now, payment)
        return "payment failed"
    if target is PaymentStatus.CANCELED:
        transition_payment(session=session, payment=payment, target=target,
                           reason=f"Payment {target.value} ({source}).")
        fail_order(session=session, order=order, reason=failure_message
                   or "The payment was cancelled.", at=now)
        return "payment cancelled, order failed"
    transition_payment(session=session, payment=payment, target=target,
                       reason=f"Payment {target.value} ({source}).")
    order.payment_status = payment_status_of_order(target.value)
    order.updated_at = now
    session.add(order)
    return f"payment {target.value}"


def complete_order(
    *, session: Session, order: Order, payment: Payment, at: datetime, note: str,
    confirmation_email: bool = True, lines: list[OrderLine] | None = None,
) -> None:
    """Pending -> completed with everything that belongs to it, in the caller's transaction.

    ``confirmation_email=False``: the caller sends its own (a subscription's invoice email
    links the receipt)."""
    assert order.id is not None
    if not can_move_order(order.status, OrderStatus.COMPLETED.value):
        return
    number = order_number(order.id, order.created_at)
    transition_order(session=session, order=order, target=OrderStatus.COMPLETED,
                     action="order.completed",
                     after={"number": number, "total": order.total,
                            "currency": order.currency, "processor": order.processor},
                     reason=note)
    order.payment_status = "completed"
    order.completed_at = at
    order.updated_at = at
    order.failure_reason = ""
    session.add(order)
    transition_payment(session=session, payment=payment, target=PaymentStatus.SUCCEEDED,
                       reason=note)
    payment.processed_at = payment.processed_at or at
    session.add(payment)
    session.execute(
        update(DiscountRedemption)
        .where(col(DiscountRedemption.order_ref) == number)
        .values(status="redeemed", at=at)
    )
    if lines is None:  # the caller's lines when it has just written them
        lines = list(session.exec(
            select(OrderLine).where(OrderLine.order_id == order.id)
            .order_by(col(OrderLine.position))
        ).all())
    clear_purchased(session=session, cart_id=order.cart_id,
                    items=[(line.item_type, line.item_id) for line in lines])
    # issue 19: numbered, once; at the commit (issue 20): the counter row is locked briefly
    invoice = issue_invoice(session, order, lines, at=at, number_at_commit=True)
    user = session.get(User, order.user_id)
    locale = get_settings().default_locale
    if user is not None and confirmation_email:
        queue_email(
            session=session, template="order-confirmation", to=user.email,
            dedupe_key=f"order-confirmation:{order.id}",
            context={
                "user_name": user.full_name, "order_number": number,
                "items": [{"title": line.title,
                           "amount": format_minor(line.total, line.currency, locale)}
                          for line in lines],
                "total": format_minor(order.total, order.currency, locale),
                "order_url": _url(f"{routes.ORDERS}/{number}"),
            },
            attachments=[invoice_attachment(invoice)],
        )
    for hook in ORDER_COMPLETED_HOOKS:
        hook(session, order, lines)
    duplicates = owned_elsewhere(session=session, order=order, lines=lines)
    if duplicates:
        refund_duplicates(session=session, order=order, duplicates=duplicates)


def fail_order(*, session: Session, order: Order, reason: str, at: datetime,
               status: OrderStatus = OrderStatus.FAILED) -> bool:
    """Pending -> failed (or cancelled): the discount use is given back and the cart is free
    again."""
    assert order.id is not None
    if not can_move_order(order.status, status.value):
        return False
    number = order_number(order.id, order.created_at)
    transition_order(session=session, order=order, target=status,
                     action=f"order.{status.value}", before=None, after={"number": number},
                     reason=reason[:500])
    order.payment_status = "failed"
    order.failure_reason = reason[:500]
    if status is OrderStatus.CANCELLED:
        order.cancelled_at = at
    else:
        order.failed_at = at
    order.updated_at = at
    session.add(order)
    give_back_use(session, order, was="reserved", becomes="released", at=at)
    if order.cart_id is not None:
        cart = session.get(Cart, order.cart_id)
        if cart is not None and cart.checkout_order_id == order.id:
            cart.checkout_order_id = None
            session.add(cart)
    return True


def _payment_failed_email(session: Session, order: Order, payment: Payment) -> None:
    user = session.get(User, order.user_id)
    if user is None or order.id is None:
        return
    number = order_number(order.id, order.created_at)
    queue_email(
        session=session, template="payment-failed", to=user.email,
        dedupe_key=f"payment-failed:{payment.id}:{payment.attempts_failed}",
        context={
            "user_name": user.full_name, "order_number": number,
            "total": format_minor(order.total, order.currency, get_settings().default_locale),
            "reason": payment.failure_reason,
            "retry_url": _url(f"{routes.CHECKOUT}/{number}"),
        },
    )
