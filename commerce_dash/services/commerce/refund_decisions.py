"""Deciding a refund request: who may (a second pair of eyes), approving an amount and the
lines it comes from, rejecting with a reason. Paying an approved refund is ``refunds.py``.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from commerce_dash.domain.actor import Actor, require_section
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.errors import DomainError, ErrorKind, not_found
from commerce_dash.domain.orders import OrderStatus
from commerce_dash.domain.refunds import (
    RefundStatus,
    check_amount,
    check_reason,
    require_move,
    spread,
)
from commerce_dash.models.commerce import Order, RefundRequest
from commerce_dash.services.commerce.refund_amounts import (
    SECTION,
    captured_payment,
    check_credit_refunds,
    check_credit_total,
    email_learner,
    in_flight,
    locked_request,
    refundable_by_line,
)
from commerce_dash.services.commerce.refund_status import transition_refund
from commerce_dash.settings import get_settings


def second_approver_needed(order: Order, actor: Actor) -> str | None:
    """Why a refund a billing admin starts in one step (the one-call API refund, cancelling
    an order) must wait for another billing admin: the four-eyes setting
    (COMMERCE_REFUND_FOUR_EYES, on by default) or an order of their own; None when they may
    approve it themselves."""
    if get_settings().refund_four_eyes:
        return "Four-eyes review is on"
    if order.user_id == actor.user_id:
        return "The order is yours"
    return None


def for_decision(session: Session, actor: Actor | None, request_id: int) -> tuple[Actor,
                                                                                  RefundRequest]:
    """The request locked for a decision by ``actor``, who must be a second pair of eyes:
    nobody decides a refund they asked for, or one on an order of their own."""
    actor = require_section(actor, SECTION)
    request = locked_request(session, request_id)
    if request is None:
        session.rollback()
        raise not_found("refund_request", request_id)
    owner = session.exec(select(Order.user_id).where(Order.id == request.order_id)).one()
    if actor.user_id in (request.created_by_id, owner):
        session.rollback()
        whose = ("you asked for it" if actor.user_id == request.created_by_id
                 else "the order is yours")
        raise DomainError("four_eyes", f"You can't decide this refund because {whose}: "
                          "another billing admin or a super-admin must.",
                          kind=ErrorKind.FORBIDDEN)
    return actor, request


def mark_approved(session: Session, request: RefundRequest, actor: Actor | None,
                   amount: int | None, note: str) -> None:
    """Requested -> approved for ``amount`` (default: all of it), checked against what is
    left of the capture and of each line; audited (``actor`` None: the system decided)."""
    require_move(request.status, RefundStatus.APPROVED.value)
    order = session.get(Order, request.order_id)
    assert order is not None and order.id is not None
    payment = captured_payment(session, order.id, lock=True)  # serialises approvals of one order
    if order.status == OrderStatus.DISPUTED.value:
        raise DomainError("order_disputed", "The payment of this order is disputed at the "
                          "processor (a chargeback): decide the refund when the dispute closes.",
                          kind=ErrorKind.CONFLICT)
    final = request.amount if amount is None else amount
    if final > request.amount:
        raise DomainError("above_request", "You can approve the amount asked for or less.",
                          field="amount")
    check_amount(final, payment.amount - payment.refunded_amount
                 - in_flight(session, order.id, exclude=request.id))
    now = utcnow()
    if not request.lines:  # spread over the lines: a pack's used credits stay out of it
        check_credit_total(session, order, final, exclude=request.id)
    allocation = _allocation(session, order, request, final)
    # a used session credit is not refundable (credits may have been used since the request)
    check_credit_refunds(session, order, allocation, exclude=request.id)
    # and never more on a line than is left of it, counting other approved refunds
    left = refundable_by_line(session, order, promised=True, exclude=request.id)
    for item in allocation:
        check_amount(int(item["amount"]), left.get(int(item["order_line_id"]), 0))
    request.lines = allocation
    request.approved_amount = final
    request.decided_by_id, request.decided_at = (actor.user_id if actor else None), now
    request.decision_reason = " ".join(note.split())[:1000]
    request.updated_at = now
    transition_refund(session=session, request=request, target=RefundStatus.APPROVED,
                      actor=actor, action="refund.approved",
                      before={"status": RefundStatus.REQUESTED.value, "amount": request.amount},
                      after={"status": RefundStatus.APPROVED.value, "approved_amount": final,
                             "lines": request.lines}, reason=request.decision_reason)


def _allocation(session: Session, order: Order, request: RefundRequest,
                amount: int) -> list[dict[str, Any]]:
    """The lines the approved amount comes from: the request's own (scaled down when a lower
    amount is approved), else spread over the order's lines by what is left on each."""
    if request.lines and amount == request.amount:
        return [dict(item) for item in request.lines]
    if request.lines:
        asked = {int(i["order_line_id"]): int(i["amount"]) for i in request.lines}
        parts = spread(amount, asked) if amount != sum(asked.values()) else asked
        course = {int(i["order_line_id"]): i.get("course_id") for i in request.lines}
        return [{"order_line_id": line, "amount": part,
                 **({"course_id": course[line]} if course.get(line) is not None else {})}
                for line, part in parts.items()]
    return [{"order_line_id": line, "amount": part} for line, part in spread(
        amount, refundable_by_line(session, order, promised=True, exclude=request.id)).items()]


def reject(*, session: Session, actor: Actor | None, request_id: int,
           reason: str) -> RefundRequest:
    """Reject with a reason the learner is emailed (commits, audited)."""
    reason = check_reason(reason)
    actor, request = for_decision(session, actor, request_id)
    if request.status == RefundStatus.REJECTED.value:
        session.commit()
        return request
    now = utcnow()
    transition_refund(session=session, request=request, target=RefundStatus.REJECTED,
                      actor=actor, action="refund.rejected", reason=reason)
    request.decided_by_id, request.decided_at = actor.user_id, now
    request.decision_reason, request.updated_at = reason, now
    session.add(request)
    email_learner(session, request, "refund-rejected")
    session.commit()
    session.refresh(request)
    return request

