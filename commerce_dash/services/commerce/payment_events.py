"""Processor events: a webhook is verified, stored once (unique processor + event id,
committed on its own), then processed in a second transaction that locks the payment row.
Processing that fails is retried with backoff by the ``payment_events`` job and ends dead
after ``COMMERCE_WEBHOOK_MAX_ATTEMPTS``; an admin can replay it.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from commerce_dash.domain.actor import Actor, require_section
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.errors import DomainError, ErrorKind, not_found
from commerce_dash.domain.retry import backoff_seconds
from commerce_dash.models.commerce import Payment, PaymentEvent
from commerce_dash.payments.base import (
    EventKind,
    IntentResult,
    ProcessorError,
    WebhookEvent,
    WebhookSignatureError,
)
from commerce_dash.payments.factory import PROCESSORS, get_processor, parse_stored_event
from commerce_dash.services.commerce.disputes import dispute_closed, dispute_opened
from commerce_dash.services.commerce.payment_settling import after_settling, lock_payment
from commerce_dash.services.commerce.refund_settlement import record_processor_refunds
from commerce_dash.services.commerce.settlement import apply_intent_result
from commerce_dash.services.commerce.subscription_events import apply_subscription_event
from commerce_dash.services.platform import record_audit
from commerce_dash.settings import get_settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WebhookOutcome:
    event_id: str
    status: str  # processed | ignored | duplicate | failed
    detail: str


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
    return parse_stored_event(row.processor, row.event_id,
                              row.payload or {"id": row.event_id, "type": row.event_type})


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
    after_settling(session, payment_id)
    return WebhookOutcome(row.event_id, status, outcome)


def _apply_event(session: Session, row: PaymentEvent, event: WebhookEvent) -> tuple[str, str]:
    if event.kind in (EventKind.INVOICE, EventKind.SUBSCRIPTION):
        outcome = apply_subscription_event(session, row.processor, event)
        return outcome, "ignored" if outcome.startswith(("ignored", "already")) else "processed"
    handler = _HANDLERS.get(event.kind)
    if handler is None or not event.intent_id:
        return f"not a payment event we act on ({event.event_type})", "ignored"
    payment = lock_payment(session, row.processor, event.intent_id)
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
        failure_message=event.failure_message, raw=dict(event.raw), fee=event.fee,
    )
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

