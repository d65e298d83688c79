"""An order's payment intent at its processor, created exactly once: one caller claims the
payment row and calls the processor (outside any transaction, with a key derived from the
order); a concurrent caller waits for that intent instead of creating a second one.
"""

from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import or_, update
from sqlmodel import Session, col, select

from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.errors import DomainError, ErrorKind
from commerce_dash.domain.orders import OrderStatus, order_number
from commerce_dash.models.accounts import User
from commerce_dash.models.commerce import Order, Payment, PaymentEvent
from commerce_dash.payments.base import CreateIntent, IntentStatus, ProcessorError
from commerce_dash.payments.factory import get_processor
from commerce_dash.services.commerce.settlement import apply_intent_result

CLAIM_SECONDS = 30


WAIT_FOR_INTENT_SECONDS = 10


def payment_of(session: Session, order_id: int) -> Payment | None:
    return session.exec(select(Payment).where(Payment.order_id == order_id)).first()


def ensure_intent(*, session: Session, order_id: int) -> Payment:
    """The order's payment with its processor intent, created once (commits).

    One caller claims the payment row and calls the processor (with a key derived from the
    order); a concurrent caller waits for that intent instead of creating a second one.
    """
    payment = payment_of(session, order_id)
    if payment is None or payment.id is None:
        raise DomainError("order_not_found", "No such order.", kind=ErrorKind.NOT_FOUND)
    if payment.intent_id or payment.processor == "none":
        return payment
    order = session.get(Order, order_id)
    assert order is not None and order.id is not None
    if order.status != OrderStatus.PENDING:
        return payment
    now = utcnow()
    claimed = session.execute(
        update(Payment)
        .where(col(Payment.id) == payment.id, col(Payment.intent_id).is_(None),
               or_(col(Payment.intent_claimed_at).is_(None),
                   col(Payment.intent_claimed_at) < now - timedelta(seconds=CLAIM_SECONDS)))
        .values(intent_claimed_at=now)
    ).rowcount  # type: ignore[attr-defined]
    session.commit()
    if claimed != 1:
        return _wait_for_intent(session, payment.id)
    number = order_number(order.id, order.created_at)
    user = session.get(User, order.user_id)
    try:
        processor = get_processor(payment.processor)
        result = processor.create_intent(CreateIntent(
            amount=payment.amount, currency=payment.currency, order_id=order.id,
            order_number=number, idempotency_key=f"order-{order.id}-intent",
            customer_email=user.email if user else "", description=f"Order {number}",
            metadata={"order_id": str(order.id), "order_number": number},
        ))
    except ProcessorError as exc:
        session.execute(update(Payment).where(col(Payment.id) == payment.id)
                        .values(intent_claimed_at=None))
        session.commit()
        raise DomainError("payment_unavailable",
                          f"The payment service could not start your payment: {exc.message}",
                          kind=ErrorKind.CONFLICT) from None
    payment = session.exec(select(Payment).where(Payment.id == payment.id).with_for_update()
                           ).one()
    payment.intent_id = result.intent_id
    payment.client_secret = result.client_secret
    payment.processor_response = {**dict(result.raw), "next_action_url": result.next_action_url}
    payment.updated_at = utcnow()
    session.add(payment)
    session.add(PaymentEvent(
        processor=payment.processor, event_id=f"api:create:{result.intent_id}",
        event_type="intent.created", source="api", intent_id=result.intent_id,
        payment_id=payment.id, payload=dict(result.raw), status="processed",
        outcome=f"intent created ({result.status.value})", processed_at=utcnow(),
    ))
    if result.status is not IntentStatus.REQUIRES_PAYMENT:
        apply_intent_result(session=session, payment=payment, result=result, source="api")
    session.commit()
    return payment


def _wait_for_intent(session: Session, payment_id: int) -> Payment:
    deadline = time.monotonic() + WAIT_FOR_INTENT_SECONDS
    while time.monotonic() < deadline:
        session.expire_all()
        payment = session.get(Payment, payment_id)
        if payment is not None and payment.intent_id:
            return payment
        time.sleep(0.05)
    raise DomainError("checkout_in_progress", "Your payment is being set up; try again in a "
                      "moment.", kind=ErrorKind.CONFLICT, retry_after_seconds=2)

