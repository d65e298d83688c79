"""Processor webhooks, payment confirmation, the sandbox card form, retries and the janitor.

A webhook is verified, stored once (unique processor + event id, committed on its own),
then processed in a second transaction that locks the payment row. Processing that fails
is retried with backoff by the ``payment_events`` job and ends dead after
``COMMERCE_WEBHOOK_MAX_ATTEMPTS``; an admin can replay it. No network call is made while a
transaction is open.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from commerce_dash.db import for_update
from commerce_dash.domain.actor import Actor, require_section
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.errors import DomainError, ErrorKind, not_found
from commerce_dash.domain.money import format_minor
from commerce_dash.domain.orders import (
    OrderStatus,
    PaymentStatus,
    can_move_payment,
    order_number,
    parse_order_number,
)
from commerce_dash.domain.retry import backoff_seconds
from commerce_dash.models.commerce import Order, OrderLine, Payment, PaymentEvent
from commerce_dash.payments.base import (
    EventKind,
    IntentResult,
    IntentStatus,
    ProcessorError,
    WebhookEvent,
    WebhookSignatureError,
)
from commerce_dash.payments.events import stripe_shaped_event
from commerce_dash.payments.factory import PROCESSORS, get_processor
from commerce_dash.payments.sandbox import CardInput, SandboxProcessor, SignedEvent
from commerce_dash.payments.stripe_processor import StripeProcessor
from commerce_dash.services.commerce.disputes import dispute_closed, dispute_opened
from commerce_dash.services.commerce.order_status import transition_payment
from commerce_dash.services.commerce.payment_review import require_not_under_review
from commerce_dash.services.commerce.refunds import pay_approved, record_processor_refunds
from commerce_dash.services.commerce.settlement import apply_intent_result, fail_order
from commerce_dash.services.enrollment.ownership import owned_elsewhere
from commerce_dash.services.platform.audit import record_audit
from commerce_dash.services.platform.rate_limit import limit_payment
from commerce_dash.settings import get_settings

log = logging.getLogger(__name__)

_OPEN_PAYMENT = ("pending", "requires_action", "processing", "failed")


@dataclass(frozen=True)
class WebhookOutcome:
    event_id: str
    status: str  # processed | ignored | duplicate | failed
    detail: str


def _lock_payment(session: Session, processor: str, intent_id: str) -> Payment | None:
    return session.exec(for_update(session, select(Payment).where(
        Payment.processor == processor, Payment.intent_id == intent_id))).first()


def receive_webhook(
    *, session: Session, processor: str, body: bytes, headers: Mapping[str, str]
) -> WebhookOutcome:
    """Verify, store once and process one processor webhook."""
    if processor not in PROCESSORS:
        raise DomainError("unknown_processor", f"No payment processor called {processor!r}.",
                          kind=ErrorKind.NOT_FOUND)
    try:
        event = get_processor(processor).verify_webhook(body, headers)
    except WebhookSignatureError as exc:
        raise DomainError("invalid_signature", f"Webhook refused: {exc}") from None
    except ProcessorError as exc:
        raise DomainError("processor_not_configured", exc.message) from None
    row = PaymentEvent(
        processor=processor, event_id=event.event_id, event_type=event.event_type,
        source="webhook", intent_id=event.intent_id, payload=dict(event.raw),
        status="received", next_attempt_at=utcnow(),
    )
    session.add(row)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        return WebhookOutcome(event.event_id, "duplicate", "already received")
    assert row.id is not None
    return process_event(session=session, event_row_id=row.id, event=event)


def _event_from_row(row: PaymentEvent) -> WebhookEvent:
    """Rebuild the normalised event from the stored payload (for retries and replays)."""
    return stripe_shaped_event(row.payload or {"id": row.event_id, "type": row.event_type})


def process_event(
    *, session: Session, event_row_id: int, event: WebhookEvent | None = None
) -> WebhookOutcome:
    """Apply a stored event to its payment and order (one transaction); on an error the
    event is scheduled again with backoff, or dead after the last attempt."""
    row = session.get(PaymentEvent, event_row_id)
    if row is None:
        raise not_found("payment_event", event_row_id)
    if row.status in ("processed", "ignored"):
        return WebhookOutcome(row.event_id, row.status, row.outcome)
    try:
        event = event or _event_from_row(row)
        outcome, status = _apply_event(session, row, event)
        row = session.get(PaymentEvent, event_row_id)
        assert row is not None
        row.status = status
        row.outcome = outcome[:200]
        row.attempts += 1
        row.processed_at = utcnow()
        row.next_attempt_at = None
        session.add(row)
        payment_id = row.payment_id
        session.commit()
    except Exception as exc:  # noqa: BLE001 - any failure is retried, then dead-lettered
        session.rollback()
        log.exception("Processing payment event %s failed", event_row_id)
        return _schedule_retry(session, event_row_id, f"{type(exc).__name__}: {exc}")
    _after_settling(session, payment_id)
    return WebhookOutcome(row.event_id, status, outcome)


def _after_settling(session: Session, payment_id: int | None) -> None:
    """After the commit: pay the refunds the settlement approved (a duplicate purchase)."""
    if payment_id is None:
        return
    order_id = session.exec(select(Payment.order_id).where(Payment.id == payment_id)).first()
    if order_id is not None:
        pay_approved(session=session, order_id=order_id)



def _apply_event(session: Session, row: PaymentEvent, event: WebhookEvent) -> tuple[str, str]:
    handler = _HANDLERS.get(event.kind)
    if handler is None or not event.intent_id:
        return f"not a payment event we act on ({event.event_type})", "ignored"
    payment = _lock_payment(session, row.processor, event.intent_id)
    if payment is None:
        # The intent may be committed a moment after its first event: retry later.
        raise LookupError(f"No payment for intent {event.intent_id} yet")
    row.payment_id = payment.id
    session.add(row)
    outcome = handler(session, payment, event)
    return outcome, "ignored" if outcome.startswith(("ignored", "already")) else "processed"


def _intent_event(session: Session, payment: Payment, event: WebhookEvent) -> str:
    assert event.status is not None
    result = IntentResult(
        intent_id=event.intent_id, status=event.status, amount=event.amount or payment.amount,
        currency=event.currency or payment.currency, failure_code=event.failure_code,
        failure_message=event.failure_message, raw=dict(event.raw),
    )
    if event.status is IntentStatus.SUCCEEDED and event.amount and event.amount != payment.amount:
        return (f"ignored: event amount {event.amount} differs from the payment's "
                f"{payment.amount}")
    return apply_intent_result(session=session, payment=payment, result=result, source="webhook")


# What each kind of processor event does to its payment (the caller holds the payment row).
_HANDLERS: dict[EventKind, Callable[[Session, Payment, WebhookEvent], str]] = {
    EventKind.INTENT: _intent_event,
    EventKind.REFUNDS: record_processor_refunds,
    EventKind.DISPUTE_OPENED: dispute_opened,
    EventKind.DISPUTE_CLOSED: dispute_closed,
}


def _schedule_retry(session: Session, event_row_id: int, error: str) -> WebhookOutcome:
    row = session.get(PaymentEvent, event_row_id)
    assert row is not None
    row.attempts += 1
    row.last_error = error[:4000]
    if row.attempts >= get_settings().webhook_max_attempts:
        row.status = "dead"
        row.next_attempt_at = None
    else:
        row.status = "failed"
        row.next_attempt_at = utcnow() + timedelta(
            seconds=backoff_seconds(row.attempts, random.randrange(1000), base=5, cap=3600)
        )
    session.add(row)
    session.commit()
    return WebhookOutcome(row.event_id, row.status, error)


def retry_due_events(*, session: Session, limit: int = 100) -> int:
    """The ``payment_events`` job: process failed events whose retry time has come."""
    now = utcnow()
    ids = list(session.exec(
        select(PaymentEvent.id).where(
            col(PaymentEvent.status).in_(("failed", "received")),
            or_(col(PaymentEvent.next_attempt_at).is_(None),
                col(PaymentEvent.next_attempt_at) <= now),
            col(PaymentEvent.received_at) <= now - timedelta(seconds=2),
        ).order_by(col(PaymentEvent.id)).limit(limit)
    ).all())
    for event_id in ids:
        assert event_id is not None
        process_event(session=session, event_row_id=event_id)
    return len(ids)


def replay_event(*, session: Session, actor: Actor | None, event_row_id: int) -> WebhookOutcome:
    """An admin sends a dead (or failed) event through processing again."""
    actor = require_section(actor, "system")
    row = session.get(PaymentEvent, event_row_id)
    if row is None:
        raise not_found("payment_event", event_row_id)
    if row.status not in ("dead", "failed"):
        raise DomainError("not_replayable", f"This event is {row.status}; only failed or dead "
                          "events can be replayed.", kind=ErrorKind.CONFLICT)
    row.status = "failed"
    row.attempts = 0
    row.next_attempt_at = utcnow()
    session.add(row)
    record_audit(session=session, actor=actor, action="payment_event.replayed",
                 entity_type="payment_event", entity_id=row.id,
                 before={"status": "dead"}, after={"status": "failed"})
    session.commit()
    return process_event(session=session, event_row_id=event_row_id)


def list_events(
    *, session: Session, actor: Actor | None, status: str | None = None, limit: int = 50
) -> list[PaymentEvent]:
    require_section(actor, "system")
    query = select(PaymentEvent).where(PaymentEvent.source == "webhook")
    if status:
        query = query.where(PaymentEvent.status == status)
    return list(session.exec(query.order_by(col(PaymentEvent.id).desc()).limit(limit)).all())


def event_counts(*, session: Session) -> dict[str, int]:
    from sqlalchemy import func

    rows = session.exec(
        select(PaymentEvent.status, func.count()).where(PaymentEvent.source == "webhook")
        .group_by(PaymentEvent.status)
    ).all()
    return {status: int(n) for status, n in rows}


# ---------------------------------------------------------------- learner-side calls


def order_for(session: Session, user_id: int, number: str) -> Order:
    _, order_id = parse_order_number(number)
    order = session.get(Order, order_id)
    if order is None or order.user_id != user_id:
        raise DomainError("order_not_found", f"No order {number} was found.",
                          kind=ErrorKind.NOT_FOUND)
    return order


def settle_from_processor(*, session: Session, payment_id: int, source: str) -> str:
    """Ask the processor how the intent stands and apply it (no transaction open meanwhile)."""
    payment = session.get(Payment, payment_id)
    if payment is None or not payment.intent_id or payment.processor == "none":
        return "no intent"
    intent_id, processor = payment.intent_id, payment.processor
    session.commit()
    result = get_processor(processor).retrieve_intent(intent_id)
    locked = _lock_payment(session, processor, intent_id)
    assert locked is not None
    outcome = apply_intent_result(session=session, payment=locked, result=result, source=source)
    session.add(PaymentEvent(
        processor=processor, event_id=f"{source}:{intent_id}:{utcnow().timestamp():.6f}",
        event_type="intent.retrieved", source=source, intent_id=intent_id, payment_id=payment_id,
        payload=dict(result.raw), status="processed", outcome=outcome[:200],
        processed_at=utcnow(),
    ))
    session.commit()
    _after_settling(session, payment_id)
    return outcome


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
    payment = session.exec(
        select(Payment).where(Payment.processor == "sandbox", Payment.intent_id == intent_id)
    ).first()
    if payment is None or payment.user_id != actor.user_id:
        raise DomainError("payment_not_found", "No such payment is waiting for you.",
                          kind=ErrorKind.NOT_FOUND)
    order = session.get(Order, payment.order_id)
    assert order is not None and order.id is not None
    number = order_number(order.id, order.created_at)
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


# ---------------------------------------------------------------- the janitor


def janitor(*, session: Session, limit: int = 100) -> dict[str, int]:
    """The ``payment_janitor`` job: settle payments stuck open and expire stale checkouts.

    A pending order past its price lock has its intent cancelled at the processor (so no
    money can arrive later) and fails; if the processor says it succeeded meanwhile, the
    order completes instead.
    """
    settings = get_settings()
    now = utcnow()
    stale_before = now - timedelta(minutes=settings.payment_janitor_after_minutes)
    counts = {"settled": 0, "expired": 0, "errors": 0}
    stuck = session.exec(
        select(Payment.id).join(Order, col(Payment.order_id) == Order.id).where(
            Order.status == OrderStatus.PENDING.value,
            col(Payment.status).in_(_OPEN_PAYMENT), col(Payment.intent_id).is_not(None),
            col(Payment.updated_at) < stale_before,
        ).limit(limit)
    ).all()
    for payment_id in stuck:
        assert payment_id is not None
        try:
            settle_from_processor(session=session, payment_id=payment_id, source="janitor")
            counts["settled"] += 1
        except ProcessorError:
            session.rollback()
            counts["errors"] += 1
    expired = session.exec(
        select(Order.id).where(Order.status == OrderStatus.PENDING.value,
                               col(Order.prices_locked_until) < now).limit(limit)
    ).all()
    for order_id in expired:
        assert order_id is not None
        try:
            if _expire_order(session, order_id):
                counts["expired"] += 1
        except ProcessorError:
            session.rollback()
            counts["errors"] += 1
    session.commit()
    return counts


def _expire_order(session: Session, order_id: int) -> bool:
    return close_unpaid_order(
        session=session, order_id=order_id, status=OrderStatus.FAILED,
        reason="The checkout expired before it was paid.") == OrderStatus.FAILED.value


def close_unpaid_order(*, session: Session, order_id: int, reason: str,
                       status: OrderStatus = OrderStatus.CANCELLED) -> str:
    """Close a pending order nobody paid: its intent is voided at the processor first (so no
    money can arrive later), then the order fails or is cancelled, its discount use given
    back and its cart free again. If the processor says it was paid meanwhile, the order
    completes instead. Commits; returns the order's status after."""
    payment = session.exec(select(Payment).where(Payment.order_id == order_id)).first()
    result: IntentResult | None = None
    if payment is not None and payment.intent_id and payment.processor != "none":
        processor = get_processor(payment.processor)
        intent_id = payment.intent_id
        session.commit()  # nothing held open across the processor's calls
        current = processor.retrieve_intent(intent_id)
        if current.status in (IntentStatus.SUCCEEDED, IntentStatus.PROCESSING,
                               IntentStatus.CANCELED):
            result = current
        else:
            result = processor.cancel_intent(intent_id)
    order = session.exec(for_update(session, select(Order).where(Order.id == order_id))).one()
    if order.status != OrderStatus.PENDING.value:
        session.commit()
        return order.status
    if payment is not None and result is not None and result.status is not IntentStatus.CANCELED:
        locked = _lock_payment(session, payment.processor, payment.intent_id or "")
        assert locked is not None
        apply_intent_result(session=session, payment=locked, result=result, source="janitor")
        session.commit()
        _after_settling(session, locked.id)
        session.refresh(order)
        return order.status
    if payment is not None:
        locked = session.exec(for_update(session, select(Payment).where(
            Payment.id == payment.id))).one()
        if can_move_payment(locked.status, PaymentStatus.CANCELED.value):
            transition_payment(session=session, payment=locked, target=PaymentStatus.CANCELED,
                               reason=reason)
            locked.updated_at = utcnow()
            session.add(locked)
    fail_order(session=session, order=order, at=utcnow(), reason=reason, status=status)
    session.commit()
    return order.status


def stripe_pay(
    *, session: Session, actor: Actor, number: str, token: str, card_id: str
) -> IntentResult:
    """The Stripe card field made a token: confirm the order's intent with it (server side)."""
    intent_id = _payable_intent(session, actor, number, "stripe")
    processor = get_processor("stripe")
    assert isinstance(processor, StripeProcessor)
    try:
        result = processor.confirm_with_token(intent_id, token, card_id)
    except ProcessorError as exc:
        raise DomainError(exc.code or "payment_failed", exc.message,
                          kind=ErrorKind.CONFLICT) from None
    locked = _lock_payment(session, "stripe", intent_id)
    assert locked is not None
    outcome = apply_intent_result(session=session, payment=locked, result=result, source="api")
    session.add(PaymentEvent(
        processor="stripe", event_id=f"api:confirm:{intent_id}:{utcnow().timestamp():.6f}",
        event_type="intent.confirmed", source="api", intent_id=intent_id,
        payment_id=locked.id, payload=dict(result.raw), status="processed",
        outcome=outcome[:200], processed_at=utcnow(),
    ))
    session.commit()
    _after_settling(session, locked.id)
    return result


def challenge_info(*, session: Session, actor: Actor, intent_id: str) -> dict[str, str]:
    """What the sandbox's 3-D Secure page shows: the amount and the order it is for."""
    payment = session.exec(
        select(Payment).where(Payment.processor == "sandbox", Payment.intent_id == intent_id)
    ).first()
    if payment is None or payment.user_id != actor.user_id:
        raise DomainError("payment_not_found", "No such payment is waiting for you.",
                          kind=ErrorKind.NOT_FOUND)
    order = session.get(Order, payment.order_id)
    assert order is not None and order.id is not None
    return {
        "amount": format_minor(payment.amount, payment.currency,
                              get_settings().default_locale),
        "number": order_number(order.id, order.created_at),
        "waiting": "yes" if payment.status == "requires_action" else "",
    }
