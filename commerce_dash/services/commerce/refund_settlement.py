"""Everything a paid refund changes (ADR-001, PAY-009), in the caller's transaction: the
request *refunded*, payment and order statuses, the discount use given back on a full refund,
registrations of fully refunded lines cancelled and their enrollments ended (the LMS told),
certificates of those enrollments revoked, the unused session credits of lines refunded to
their end revoked, ledger reversals (which queue ``refund.issued`` for the payout platform),
the email. Refunds made in the processor's dashboard are recorded here too and run the same
cascade.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from commerce_dash.db import for_update
from commerce_dash.domain.actor import Actor
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.orders import OrderStatus, PaymentStatus, order_number
from commerce_dash.domain.refunds import RefundStatus, spread
from commerce_dash.models.commerce import Order, Payment, RefundRequest
from commerce_dash.models.enrollment import Registration
from commerce_dash.payments.base import ChargeRefund, WebhookEvent
from commerce_dash.services.commerce.discount_uses import give_back_use
from commerce_dash.services.commerce.invoices import issue_credit_note
from commerce_dash.services.commerce.order_status import transition_order, transition_payment
from commerce_dash.services.commerce.refund_amounts import (
    email_learner,
    left_by_line,
    refundable_by_line,
)
from commerce_dash.services.commerce.refund_status import new_refund_request, transition_refund
from commerce_dash.services.enrollment import end_registration, revoke_unused_credits
from commerce_dash.services.revenue import record_refund


def settle_locked(session: Session, request: RefundRequest, order: Order, payment: Payment,
                   processor_refund_id: str, actor: Actor | None) -> None:
    """The paid refund's cascade, with the request, order and payment held by the caller:
    request refunded, payment and order statuses, the discount use on a full refund,
    registrations of fully refunded lines cancelled (enrollments ended, the LMS told,
    certificates revoked), ledger reversals (which tell the payout platform), the email."""
    amount, now = request.approved_amount or 0, utcnow()
    request.processor_refund_id = processor_refund_id[:100]
    request.refunded_at = request.updated_at = now
    request.attempts += 1
    request.last_error = ""
    payment.refunded_amount += amount
    full = payment.refunded_amount >= payment.amount
    order.refunded_amount = min(order.total, order.refunded_amount + amount)
    order_goal = (OrderStatus.REFUNDED if full else OrderStatus.PARTIALLY_REFUNDED).value
    transition_refund(session=session, request=request, target=RefundStatus.REFUNDED,
                      actor=actor, action="refund.paid", before=None,
                      after={"status": RefundStatus.REFUNDED.value, "amount": amount,
                             "processor_refund_id": request.processor_refund_id,
                             "order_status": order_goal, "source": request.source})
    why = f"Refund {request.id} paid ({amount} in minor units)."
    transition_payment(session=session, payment=payment, actor=actor, reason=why,
                       target=PaymentStatus.REFUNDED if full else PaymentStatus.PARTIALLY_REFUNDED)
    payment.updated_at = now
    transition_order(session=session, order=order, target=order_goal, actor=actor, reason=why)
    order.payment_status = "refunded" if full else "partial_refund"
    order.updated_at = now
    session.add_all([payment, order])
    session.flush()
    if full:
        _credit_discount(session, order, now)
    _cascade_lines(session, order, request, now)
    _revoke_credits(session, order, request, actor)
    finished = frozenset(line for line, left in left_by_line(session, order).items()
                         if left <= 0)
    request.settlement_amount = record_refund(session, request, request.lines or [], finished)
    session.add(request)
    issue_credit_note(session, request, order, at=now)  # issue 19: one per paid refund
    email_learner(session, request, "refund-approved")


def record_processor_refunds(session: Session, payment: Payment, event: WebhookEvent) -> str:
    """The processor lists the charge's refunds: those the app did not make (a refund in the
    processor's dashboard) are recorded and run the same cascade as an approved refund, in
    the caller's transaction (it holds the payment). Ours and ones already recorded change
    nothing, so a repeated event is harmless."""
    order = session.exec(for_update(session, select(Order).where(Order.id == payment.order_id))
                         ).one()
    recorded = []
    for refund in event.refunds:
        if refund.status != "succeeded" or refund.amount <= 0 or _known_refund(
                session, order.id or 0, refund):
            continue
        left = payment.amount - payment.refunded_amount
        amount = min(refund.amount, left)
        if amount <= 0:
            continue
        request = new_refund_request(
            session=session, status=RefundStatus.PROCESSING, actor=None,
            action="refund.recorded_from_processor",
            audit_after={"processor_refund_id": refund.refund_id, "amount": amount,
                         "order": order_number(order.id or 0, order.created_at)},
            order_id=order.id or 0, user_id=order.user_id, amount=amount,
            currency=payment.currency, source="processor",
            approved_amount=amount, decided_at=utcnow(),
            reason=f"Refunded at the processor ({payment.processor}) outside this app.",
            decision_reason="Recorded from the processor's refund.",
            lines=external_lines(session, order, amount),
        )
        settle_locked(session, request, order, payment, refund.refund_id, None)
        recorded.append(refund.refund_id)
    if not recorded:
        return "already recorded: every refund is known"
    return f"recorded {len(recorded)} refund(s) made at the processor"


def _known_refund(session: Session, order_id: int, refund: ChargeRefund) -> bool:
    """Whether the app made this refund (its key or its id) or recorded it already."""
    if refund.idempotency_key.startswith("refund-"):
        return True
    return session.exec(select(RefundRequest.id).where(
        RefundRequest.order_id == order_id,
        RefundRequest.processor_refund_id == refund.refund_id[:100])).first() is not None


def external_lines(session: Session, order: Order, amount: int) -> list[dict[str, Any]]:
    """A refund made at the processor comes off the order's lines by what is left on each."""
    left = left_by_line(session, order)
    return [{"order_line_id": line, "amount": part} for line, part in spread(amount,
                                                                             left).items()]


def _credit_discount(session: Session, order: Order, now: datetime) -> None:
    """A fully refunded order gives its discount use back."""
    if order.discount_code_id is None:
        return
    give_back_use(session, order, was="redeemed", becomes="refunded", at=now)


def _cascade_lines(session: Session, order: Order, request: RefundRequest,
                   now: datetime) -> None:
    """Registrations of what is now fully refunded are cancelled and their enrollments
    ended (the LMS told, certificates revoked)."""
    left = left_by_line(session, order)  # counts this request: it is refunded now
    targeted = {(int(i["order_line_id"]), i.get("course_id")) for i in request.lines or []}
    for line_id, course_id in targeted:
        query = select(Registration).where(Registration.order_line_id == line_id,
                                           Registration.kind == "course")
        if course_id is not None:
            query = query.where(Registration.course_id == int(course_id))
        elif left.get(line_id, 0) > 0:
            continue  # part of the line is still paid for: the learner keeps the course
        for registration in session.exec(query).all():
            _cancel_registration(session, registration, request, now)


def _revoke_credits(session: Session, order: Order, request: RefundRequest,
                    actor: Actor | None) -> None:
    """A line refunded to its end (a credit pack: all its unused credits are worth; a course
    sold with credits: all of it) takes back its unused session credits; used ones stay used,
    they are not refundable. A line still partly paid for keeps them."""
    left = refundable_by_line(session, order)  # counts this request: it is refunded now
    for line_id in sorted({int(i["order_line_id"]) for i in request.lines or []}):
        if left.get(line_id, 0) <= 0:
            revoke_unused_credits(session, order_line_id=line_id, actor=actor)


def _cancel_registration(session: Session, registration: Registration,
                         request: RefundRequest, now: datetime) -> None:
    end_registration(session, registration,
                     why=f"The purchase was refunded ({request.reason})", now=now,
                     lms_reason="refunded", revoke_category="refunded")
