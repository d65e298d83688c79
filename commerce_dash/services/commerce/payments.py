"""Paying an order: confirming a payment, the Stripe card field and the sandbox's card form
and 3-D Secure page, what the checkout page polls; the sandbox reporting a processor's own
refunds and chargebacks.

This module is the payments' public face: the processor events' intake
(``payment_events.py``) and settling with the processor and the janitor
(``payment_settling.py``) are re-exported, so callers import payments from here.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from commerce_dash.domain.actor import Actor
from commerce_dash.domain.errors import DomainError, ErrorKind
from commerce_dash.domain.money import format_minor
from commerce_dash.domain.orders import OrderStatus, order_number, parse_order_number
from commerce_dash.models.commerce import Order, OrderLine, Payment
from commerce_dash.payments.base import HostedCheckout, IntentResult, ProcessorError
from commerce_dash.payments.factory import get_processor
from commerce_dash.payments.sandbox import CardInput, SandboxProcessor, SignedEvent
from commerce_dash.payments.stripe_processor import StripeProcessor
from commerce_dash.services.commerce.payment_events import (
    WebhookOutcome,
    receive_webhook,
    replay_event,
    retry_due_events,
)
from commerce_dash.services.commerce.payment_review import require_not_under_review
from commerce_dash.services.commerce.payment_settling import (
    apply_and_record,
    close_unpaid_order,
    janitor,
    lock_payment,
    settle_from_processor,
)
from commerce_dash.services.enrollment import owned_elsewhere
from commerce_dash.services.platform import limit_payment
from commerce_dash.settings import get_settings

# the payments' public face: the events' intake and the settling are re-exported
__all__ = [
    "SANDBOX_PROCESSOR_EVENTS",
    "WebhookOutcome",
    "challenge_info",
    "close_unpaid_order",
    "confirm_payment",
    "hosted_checkout_pay",
    "hosted_checkout_start",
    "janitor",
    "order_for",
    "payment_state",
    "receive_webhook",
    "replay_event",
    "retry_due_events",
    "sandbox_challenge",
    "sandbox_pay",
    "sandbox_processor_event",
    "settle_from_processor",
    "stripe_pay",
]


def order_for(session: Session, user_id: int, number: str) -> Order:
    _, order_id = parse_order_number(number)
    order = session.get(Order, order_id)
    if order is None or order.user_id != user_id:
        raise DomainError("order_not_found", f"No order {number} was found.",
                          kind=ErrorKind.NOT_FOUND)
    return order


def confirm_payment(*, session: Session, actor: Actor, number: str) -> IntentResult:
    """The checkout page reports the card step finished: settle from the processor now
    (the webhook may come later; whichever is first wins, the other changes nothing)."""
    limit_payment(session=session, actor=actor)
    order = order_for(session, actor.user_id, number)
    payment = session.exec(select(Payment).where(Payment.order_id == order.id)).first()
    if payment is None or not payment.intent_id:
        raise DomainError("no_payment", "This order has no payment to confirm yet.",
                          kind=ErrorKind.CONFLICT)
    assert payment.id is not None
    try:
        settle_from_processor(session=session, payment_id=payment.id, source="api")
        return get_processor(payment.processor).retrieve_intent(payment.intent_id)
    except ProcessorError as exc:
        raise DomainError("payment_unavailable", exc.message, kind=ErrorKind.CONFLICT) from None


def _payable_intent(session: Session, actor: Actor, number: str, processor: str) -> str:
    """The intent of the learner's pending order paid through ``processor`` (ends the read
    transaction: the processor is called next). Payment attempts are limited and a learner
    held for review cannot pay (the API and the pages alike)."""
    limit_payment(session=session, actor=actor)
    require_not_under_review(session=session, user_id=actor.user_id)
    order = order_for(session, actor.user_id, number)
    if order.status != OrderStatus.PENDING:
        raise DomainError("order_not_payable", f"This order is {order.status}.",
                          kind=ErrorKind.CONFLICT)
    payment = session.exec(select(Payment).where(Payment.order_id == order.id)).first()
    if payment is None or payment.processor != processor or not payment.intent_id:
        raise DomainError("no_payment", f"This order is not paid through {processor}.",
                          kind=ErrorKind.CONFLICT)
    _refuse_what_is_owned(session, order)
    intent_id = payment.intent_id
    session.commit()
    return intent_id


def _refuse_what_is_owned(session: Session, order: Order) -> None:
    """Just before the charge: an order selling something its learner meanwhile got another
    way is cancelled (its intent voided) and nothing is charged."""
    lines = list(session.exec(select(OrderLine).where(OrderLine.order_id == order.id)).all())
    duplicates = owned_elsewhere(session=session, order=order, lines=lines)
    if not duplicates:
        return
    assert order.id is not None
    titles = ", ".join(d.title for d in duplicates)
    reason = (f"You already own {titles}, so this order was cancelled before any charge. "
              "Your cart shows what is left to buy.")
    status = close_unpaid_order(session=session, order_id=order.id, reason=reason)
    if status == OrderStatus.COMPLETED.value:  # paid meanwhile: the duplicate is refunded
        raise DomainError("order_not_payable", "This order is already paid.",
                          kind=ErrorKind.CONFLICT)
    raise DomainError("already_owned", reason, kind=ErrorKind.CONFLICT)


def _sandbox() -> SandboxProcessor:
    processor = get_processor("sandbox")
    assert isinstance(processor, SandboxProcessor)
    return processor


def _waiting_sandbox_payment(session: Session, actor: Actor, intent_id: str
                             ) -> tuple[Payment, str]:
    """The learner's own sandbox payment of this intent and its order's number; anybody
    else's is reported missing."""
    payment = session.exec(
        select(Payment).where(Payment.processor == "sandbox", Payment.intent_id == intent_id)
    ).first()
    if payment is None or payment.user_id != actor.user_id:
        raise DomainError("payment_not_found", "No such payment is waiting for you.",
                          kind=ErrorKind.NOT_FOUND)
    order = session.get(Order, payment.order_id)
    assert order is not None and order.id is not None
    return payment, order_number(order.id, order.created_at)


def _dispatch(session: Session, event: SignedEvent | None) -> None:
    """Deliver the sandbox's signed event through the webhook intake, as a processor would."""
    if event is not None:
        receive_webhook(session=session, processor="sandbox", body=event.body,
                        headers=event.headers)


def sandbox_pay(
    *, session: Session, actor: Actor, number: str, card: CardInput
) -> IntentResult:
    """The sandbox card form: pay the order's intent with a test card."""
    intent_id = _payable_intent(session, actor, number, "sandbox")
    try:
        result, event = _sandbox().pay(intent_id=intent_id, client_secret=None, card=card)
    except ProcessorError as exc:
        raise DomainError(exc.code, exc.message, kind=ErrorKind.CONFLICT) from None
    _dispatch(session, event)
    return result


def sandbox_challenge(*, session: Session, actor: Actor, intent_id: str, approve: bool
                      ) -> tuple[IntentResult, str]:
    """The sandbox's 3-D Secure page: approve or fail; returns the result and order number."""
    limit_payment(session=session, actor=actor)
    _payment, number = _waiting_sandbox_payment(session, actor, intent_id)
    session.commit()
    try:
        result, event = _sandbox().complete_challenge(intent_id=intent_id, approve=approve)
    except ProcessorError as exc:
        raise DomainError(exc.code, exc.message, kind=ErrorKind.CONFLICT) from None
    _dispatch(session, event)
    return result, number


SANDBOX_PROCESSOR_EVENTS = ("refund", "dispute", "dispute-won", "dispute-lost")


def sandbox_processor_event(*, session: Session, number: str, event: str,
                            amount: int | None = None) -> WebhookOutcome:
    """Make the sandbox report what a real processor does on its own side, through the same
    webhook intake: a refund made in its dashboard (``amount``, default all that is left), or
    a chargeback opened, won or lost. Test mode only: the order must be paid through it."""
    if event not in SANDBOX_PROCESSOR_EVENTS:
        known = ", ".join(SANDBOX_PROCESSOR_EVENTS)
        raise DomainError("invalid_event", f"The sandbox reports {known}.", field="event")
    _, order_id = parse_order_number(number)
    payment = session.exec(select(Payment).where(Payment.order_id == order_id)).first()
    if payment is None or payment.processor != "sandbox" or not payment.intent_id:
        raise DomainError("no_payment", f"Order {number} was not paid through the sandbox.",
                          kind=ErrorKind.CONFLICT)
    intent_id, left = payment.intent_id, payment.amount - payment.refunded_amount
    session.commit()
    try:
        if event == "refund":
            signed = _sandbox().refund_outside(intent_id=intent_id,
                                               amount=left if amount is None else amount)
        else:
            status = {"dispute": "needs_response", "dispute-won": "won",
                      "dispute-lost": "lost"}[event]
            signed = _sandbox().dispute(intent_id=intent_id, status=status)
    except ProcessorError as exc:
        raise DomainError(exc.code, exc.message, kind=ErrorKind.CONFLICT) from None
    return receive_webhook(session=session, processor="sandbox", body=signed.body,
                           headers=signed.headers)


def payment_state(*, session: Session, actor: Actor, number: str) -> dict[str, Any]:
    """What the checkout page polls: order and payment status, failure reason, 3DS link."""
    order = order_for(session, actor.user_id, number)
    payment = session.exec(select(Payment).where(Payment.order_id == order.id)).first()
    return {
        "order_status": order.status,
        "payment_status": payment.status if payment else "",
        "failure_reason": payment.failure_reason if payment else "",
        "next_action_url": ((payment.processor_response or {}).get("next_action_url", "")
                            if payment and payment.status == "requires_action" else ""),
    }


def stripe_pay(
    *, session: Session, actor: Actor, number: str, token: str = "", card_id: str = "",
    payment_method: str = "",
) -> IntentResult:
    """The Stripe card field made a token, or a wallet (Google Pay, Apple Pay through the
    Payment Request Button) a PaymentMethod: confirm the order's intent with it (server
    side)."""
    intent_id = _payable_intent(session, actor, number, "stripe")
    processor = get_processor("stripe")
    assert isinstance(processor, StripeProcessor)
    try:
        result = (processor.confirm_intent(intent_id, payment_method) if payment_method
                  else processor.confirm_with_token(intent_id, token, card_id))
    except ProcessorError as exc:
        raise DomainError(exc.code or "payment_failed", exc.message,
                          kind=ErrorKind.CONFLICT) from None
    locked = lock_payment(session, "stripe", intent_id)
    assert locked is not None
    apply_and_record(session, locked, result, source="api", event_type="intent.confirmed",
                     event_key="api:confirm")
    return result


def hosted_checkout_start(*, session: Session, actor: Actor, number: str) -> dict[str, str]:
    """What the processor's script needs for one attempt at paying the learner's pending
    order that only the server may ask for (Elavon's session token); {} for most."""
    order = order_for(session, actor.user_id, number)
    processor_name, amount, currency = order.processor, order.total, order.currency
    intent_id = _payable_intent(session, actor, number, processor_name)
    try:
        processor = get_processor(processor_name)
        if not isinstance(processor, HostedCheckout):
            return {}
        return processor.start_checkout(intent_id, amount, currency, f"Order {number}")
    except ProcessorError as exc:
        raise DomainError("payment_unavailable", exc.message, kind=ErrorKind.CONFLICT) from None


def hosted_checkout_pay(*, session: Session, actor: Actor, number: str,
                        fields: dict[str, str]) -> IntentResult:
    """A processor's own checkout script (Razorpay Checkout) answered: the processor checks
    the answer's signature and reports the payment, which settles the order at once (the
    webhook may come later; whichever is first wins, the other changes nothing)."""
    order = order_for(session, actor.user_id, number)
    processor_name = order.processor
    intent_id = _payable_intent(session, actor, number, processor_name)
    try:
        processor = get_processor(processor_name)
        if not isinstance(processor, HostedCheckout):
            raise DomainError("no_payment", f"This order is not paid through {processor_name}'s "
                              "checkout.", kind=ErrorKind.CONFLICT)
        result = processor.complete_checkout(intent_id, fields)
    except ProcessorError as exc:
        raise DomainError(exc.code or "payment_failed", exc.message,
                          kind=ErrorKind.CONFLICT) from None
    locked = lock_payment(session, processor_name, intent_id)
    assert locked is not None
    apply_and_record(session, locked, result, source="api", event_type="checkout.answered",
                     event_key="api:checkout")
    return result


def challenge_info(*, session: Session, actor: Actor, intent_id: str) -> dict[str, str]:
    """What the sandbox's 3-D Secure page shows: the amount and the order it is for."""
    payment, number = _waiting_sandbox_payment(session, actor, intent_id)
    return {
        "amount": format_minor(payment.amount, payment.currency,
                              get_settings().default_locale),
        "number": number,
        "waiting": "yes" if payment.status == "requires_action" else "",
    }

