"""Settling payments with the processor: asking it how an intent stands and applying the
answer, closing a pending order nobody paid (its intent voided first, so no money can arrive
later), and the janitor that does both for payments and checkouts left open. No transaction
is held open across a processor call.
"""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, col, select

from commerce_dash.db import for_update
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.orders import OrderStatus, PaymentStatus, can_move_payment
from commerce_dash.models.commerce import Order, Payment, PaymentEvent
from commerce_dash.payments.base import IntentResult, IntentStatus, ProcessorError
from commerce_dash.payments.factory import get_processor
from commerce_dash.services.commerce.order_status import transition_payment
from commerce_dash.services.commerce.refunds import pay_approved
from commerce_dash.services.commerce.settlement import apply_intent_result, fail_order
from commerce_dash.settings import get_settings

_OPEN_PAYMENT = ("pending", "requires_action", "processing", "failed")


def lock_payment(session: Session, processor: str, intent_id: str) -> Payment | None:
    return session.exec(for_update(session, select(Payment).where(
        Payment.processor == processor, Payment.intent_id == intent_id))).first()


def after_settling(session: Session, payment_id: int | None) -> None:
    """After the commit: pay the refunds the settlement approved (a duplicate purchase)."""
    if payment_id is None:
        return
    order_id = session.exec(select(Payment.order_id).where(Payment.id == payment_id)).first()
    if order_id is not None:
        pay_approved(session=session, order_id=order_id)


def settle_from_processor(*, session: Session, payment_id: int, source: str) -> str:
    """Ask the processor how the intent stands and apply it (no transaction open meanwhile)."""
    payment = session.get(Payment, payment_id)
    if payment is None or not payment.intent_id or payment.processor == "none":
        return "no intent"
    intent_id, processor = payment.intent_id, payment.processor
    session.commit()
    result = get_processor(processor).retrieve_intent(intent_id)
    locked = lock_payment(session, processor, intent_id)
    assert locked is not None
    return apply_and_record(session, locked, result, source=source,
                            event_type="intent.retrieved", event_key=source)


def apply_and_record(session: Session, locked: Payment, result: IntentResult, *, source: str,
                     event_type: str, event_key: str) -> str:
    """Apply the processor's answer to the payment (locked by the caller), keep it as a
    processed event on the payment's timeline, commit, then pay the refunds the settlement
    approved; returns the outcome."""
    intent_id = locked.intent_id
    assert intent_id is not None  # the caller locked the payment by its intent
    outcome = apply_intent_result(session=session, payment=locked, result=result, source=source)
    session.add(PaymentEvent(
        processor=locked.processor,
        event_id=f"{event_key}:{intent_id}:{utcnow().timestamp():.6f}",
        event_type=event_type, source=source, intent_id=intent_id,
        payment_id=locked.id, payload=dict(result.raw), status="processed",
        outcome=outcome[:200], processed_at=utcnow(),
    ))
    session.commit()
    after_settling(session, locked.id)
    return outcome


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
        locked = lock_payment(session, payment.processor, payment.intent_id or "")
        assert locked is not None
        apply_intent_result(session=session, payment=locked, result=result, source="janitor")
        session.commit()
        after_settling(session, locked.id)
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

