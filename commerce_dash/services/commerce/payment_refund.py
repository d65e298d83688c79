"""The one-call refund of a payment (US-016, T-016-01: ``POST /api/v2/admin/payments/{id}/
refund``): a billing admin asks for a refund and approves it in one step, through the refund
pipeline itself (``refund_requests.request_refund``, ``refund_decisions.mark_approved``,
``refunds.process``), so both the request and the approval are audited and the money goes
out exactly once.

Four-eyes (``COMMERCE_REFUND_FOUR_EYES``, on by default): a refund an admin asks for needs
another billing admin or a super-admin, so the call only opens the request and says so. Nobody
approves a refund on their own order, setting or not. An ``Idempotency-Key`` makes the same
call again answer the first call's refund instead of asking twice.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from commerce_dash.domain.actor import Actor, require_section
from commerce_dash.domain.errors import DomainError, ErrorKind, not_found
from commerce_dash.domain.orders import order_number
from commerce_dash.domain.refunds import RefundStatus
from commerce_dash.models.admin_api import AdminIdempotency
from commerce_dash.models.commerce import Order, Payment, RefundRequest
from commerce_dash.services.commerce.refund_amounts import SECTION, locked_request
from commerce_dash.services.commerce.refund_decisions import mark_approved, second_approver_needed
from commerce_dash.services.commerce.refund_requests import request_refund
from commerce_dash.services.commerce.refunds import process
from commerce_dash.settings import get_settings

SCOPE = "payment_refund"


@dataclass(frozen=True)
class PaymentRefund:
    request_id: int
    order_number: str
    status: str  # the refund request's: requested (waits for a second person), refunded...
    amount: int
    approved_amount: int | None
    currency: str
    approved: bool  # approved by this call (else it waits in the refund queue)
    four_eyes: bool  # the setting was on
    message: str
    replayed: bool = False


def _answer(session: Session, request_id: int, *, message: str = "",
            replayed: bool = False) -> PaymentRefund:
    request = session.get(RefundRequest, request_id)
    assert request is not None
    session.refresh(request)
    order = session.get(Order, request.order_id)
    assert order is not None and order.id is not None
    number = order_number(order.id, order.created_at)
    waiting = request.status == RefundStatus.REQUESTED.value
    if not message and waiting:
        message = f"Refund request {request_id} on order {number} is open in the refund queue."
    elif not message and request.status == RefundStatus.FAILED.value:
        message = (f"The processor did not make refund {request_id} on order {number} "
                   f"({request.last_error or 'no reason given'}): retry it in the refund queue.")
    elif not message:
        message = f"Refund {request_id} on order {number}: {request.status}."
    return PaymentRefund(request_id, number, request.status, request.amount,
                         request.approved_amount, request.currency, not waiting,
                         get_settings().refund_four_eyes, message, replayed)


def _replay(session: Session, actor: Actor, key: str) -> PaymentRefund | None:
    seen = session.exec(select(AdminIdempotency.result_id).where(
        AdminIdempotency.user_id == actor.user_id, AdminIdempotency.scope == SCOPE,
        AdminIdempotency.key == key)).first()
    if seen is None:
        return None
    if not seen:  # the first call with this key is still at work
        raise DomainError("refund_in_progress", "A refund with this Idempotency-Key is still "
                          "being made; ask again in a moment.", kind=ErrorKind.CONFLICT)
    return _answer(session, seen, replayed=True)


def refund_payment(*, session: Session, actor: Actor | None, payment_id: int,
                   reason: str, amount: int | None = None,
                   idempotency_key: str = "") -> PaymentRefund:
    """Ask for a refund of a payment (all that is left, or ``amount``) and, unless four-eyes
    is on or the order is the admin's own, approve and pay it at once."""
    actor = require_section(actor, SECTION)
    key = idempotency_key.strip()
    if key and (replayed := _replay(session, actor, key)) is not None:
        return replayed
    payment = session.get(Payment, payment_id)
    if payment is None:
        raise not_found("payment", payment_id)
    order = session.get(Order, payment.order_id)
    assert order is not None and order.id is not None
    claim = None
    if key:  # committed with the request (request_refund commits), so a crash leaves neither
        claim = AdminIdempotency(user_id=actor.user_id, scope=SCOPE, key=key, result_id=0)
        session.add(claim)
        try:
            session.flush()
        except IntegrityError:  # the same key at the same moment: answer what that call made
            session.rollback()
            replayed = _replay(session, actor, key)
            assert replayed is not None
            return replayed
    try:
        request = request_refund(session=session, actor=actor,
                                 number=order_number(order.id, order.created_at),
                                 reason=reason, amount=amount)
    except DomainError:
        session.rollback()
        raise
    assert request.id is not None
    if claim is not None:
        claim.result_id = request.id
        session.add(claim)
        session.commit()
    why = second_approver_needed(order, actor)
    if why is not None:
        return _answer(session, request.id, message=(
            f"{why}: the refund request is open in the refund queue for another "
            "billing admin or a super-admin to approve; nothing was paid yet."))
    locked = locked_request(session, request.id)
    assert locked is not None
    try:
        mark_approved(session, locked, actor, None, note=reason)
    except DomainError as exc:
        session.rollback()
        return _answer(session, request.id, message=(
            f"The refund request is open in the refund queue but could not be approved now: "
            f"{exc.message}"))
    session.commit()
    process(session=session, request_id=request.id, actor=actor)
    return _answer(session, request.id)
