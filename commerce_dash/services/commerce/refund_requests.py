"""Refund requests (US-016, REG-009): a learner's or billing admin's request on an order, and
the ones the system opens itself: money taken for something the learner already owned, and a
paid place the learner did not get. The system's own are approved at once; paying them is
``refunds.pay_approved`` after the caller's commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from commerce_dash.db import for_update
from commerce_dash.domain.actor import Actor
from commerce_dash.domain.errors import DomainError, ErrorKind
from commerce_dash.domain.orders import order_number
from commerce_dash.domain.refunds import OPEN, check_amount, check_reason
from commerce_dash.models.commerce import Order, OrderLine, RefundRequest
from commerce_dash.models.enrollment import Registration
from commerce_dash.services.commerce.refund_amounts import (
    REFUNDABLE_ORDERS,
    check_credit_refunds,
    check_credit_total,
    email_learner,
    left_by_line,
    order_for_actor,
    refundable,
    refundable_by_line,
)
from commerce_dash.services.commerce.refund_decisions import mark_approved
from commerce_dash.services.commerce.refund_status import new_refund_request
from commerce_dash.services.enrollment import Duplicate
from commerce_dash.services.revenue import course_shares


@dataclass(frozen=True)
class LineRefund:
    order_line_id: int
    amount: int


def _lines_json(session: Session, order: Order, lines: Sequence[LineRefund]) -> list[dict[str, Any]]:
    left = left_by_line(session, order)
    out = []
    for item in lines:
        if item.order_line_id not in left:
            raise DomainError("unknown_line", "That item is not part of this order.",
                              field="lines")
        check_amount(item.amount, left[item.order_line_id])
        out.append({"order_line_id": item.order_line_id, "amount": item.amount})
    check_credit_refunds(session, order, out)  # a used credit is not refundable
    return out


def request_refund(*, session: Session, actor: Actor | None, number: str, reason: str,
                   amount: int | None = None, lines: Sequence[LineRefund] = ()) -> RefundRequest:
    """A refund request (commits): a learner for their own order, or a billing admin for any.

    Full (no amount, no lines), by amount, or by lines. The learner is emailed; a learner
    has at most one open request per order.
    """
    order, admin = order_for_actor(session, actor, number)
    assert actor is not None  # order_for_actor turned the signed-out away
    if order.status not in REFUNDABLE_ORDERS:
        raise DomainError("not_refundable", f"A {order.status.replace('_', ' ')} order cannot "
                          "be refunded.", kind=ErrorKind.CONFLICT)
    reason = check_reason(reason)
    source = "admin" if admin and order.user_id != actor.user_id else "learner"
    # one request at a time per order: what is open and what is left are read under a lock
    session.exec(for_update(session, select(Order.id).where(Order.id == order.id))).one()
    try:
        if source == "learner" and session.exec(select(RefundRequest.id).where(
                RefundRequest.order_id == order.id,
                col(RefundRequest.status).in_([s.value for s in OPEN]))).first():
            raise DomainError("request_open", "A refund request for this order is already "
                              "waiting for a decision.", kind=ErrorKind.CONFLICT)
        left = refundable(session, order)
        line_items = _lines_json(session, order, lines) if lines else None
        if not line_items and amount is None:  # all of it: but never a pack's used credits
            left = min(left, sum(refundable_by_line(session, order, promised=True).values()))
        total = sum(i["amount"] for i in line_items) if line_items else (amount or left)
        check_amount(total, left)
        if not line_items:
            check_credit_total(session, order, total)
    except DomainError:
        session.rollback()
        raise
    request = new_refund_request(
        session=session, actor=actor, action="refund.requested",
        audit_after={"order": order_number(order.id or 0, order.created_at),
                     "amount": total, "lines": line_items, "source": source},
        audit_reason=reason, reason=reason,
        order_id=order.id or 0, user_id=order.user_id, amount=total, currency=order.currency,
        source=source, lines=line_items, created_by_id=actor.user_id,
    )
    email_learner(session, request, "refund-requested")
    session.commit()
    session.refresh(request)
    return request


def refund_duplicates(*, session: Session, order: Order,
                      duplicates: Sequence[Duplicate]) -> RefundRequest | None:
    """Money arrived for something the learner already owned: those lines (or program
    courses) are paid back, approved by the system at once, in the caller's transaction.

    The caller commits, then :func:`pay_approved` pays it (the refund_retry job does if that
    is missed); the learner is emailed why when it is paid. Audited as the system's.
    """
    items: list[dict[str, Any]] = []
    for duplicate in duplicates:
        line = session.get(OrderLine, duplicate.order_line_id)
        assert line is not None
        if duplicate.course_id is None:
            amount, item = line.total, {"order_line_id": line.id, "amount": line.total}
        else:
            amount = next((gross + tax for course, gross, tax
                           in course_shares(session, order, line)
                           if course.id == duplicate.course_id), 0)
            item = {"order_line_id": line.id, "amount": amount,
                    "course_id": duplicate.course_id}
        if amount > 0:
            items.append(item)
    if not items:
        return None
    titles = ", ".join(d.title for d in duplicates)
    reason = (f"You already owned {titles}, so this order could not sell it to you again: "
              "what you paid for it is refunded.")[:1000]
    total = sum(i["amount"] for i in items)
    request = new_refund_request(
        session=session, actor=None, action="refund.requested",
        audit_after={"order": order_number(order.id or 0, order.created_at),
                     "amount": total, "lines": items, "source": "duplicate"},
        audit_reason=reason, reason=reason,
        order_id=order.id or 0, user_id=order.user_id, amount=total,
        currency=order.currency, source="duplicate", lines=items,
    )
    mark_approved(session, request, None, None, note=reason)
    return request


def _place_refund(session: Session, registration: Registration, actor: Actor | None, *,
                  source: str, reason: str, audit_reason: str) -> RefundRequest:
    """What the learner paid for one place (a course, or its share of a program), asked back
    from that order line, in the caller's transaction."""
    return new_refund_request(
        session=session, actor=actor, action="refund.requested",
        audit_after={"registration": registration.id, "amount": registration.amount_paid,
                     "currency": registration.currency, "source": source},
        audit_reason=audit_reason,
        order_id=registration.order_id or 0, order_line_id=registration.order_line_id,
        registration_id=registration.id, user_id=registration.user_id,
        lines=[{"order_line_id": registration.order_line_id,
                "course_id": registration.course_id, "amount": registration.amount_paid}],
        amount=registration.amount_paid, currency=registration.currency,
        reason=reason[:1000], source=source,
        created_by_id=actor.user_id if actor else None,
    )


def refund_rejected_registration(*, session: Session, registration: Registration,
                                 actor: Actor | None, reason: str,
                                 automatic: bool = False) -> RefundRequest:
    """A paid place the learner did not get (rejected by an admin or refused by the LMS):
    what they paid for it becomes a refund request, in the caller's transaction. Approved by
    the system at once when ``automatic`` (then paid by :func:`pay_approved` after the
    commit); otherwise it waits in the billing admins' queue (ADR-001)."""
    source = "registration_rejected" if actor is not None else "lms_rejected"
    request = _place_refund(session, registration, actor, source=source,
                            reason=f"Registration rejected: {reason}", audit_reason=reason)
    if automatic:
        mark_approved(session, request, None, None,
                       note="Paid back automatically: the place was not given.")
    return request


def refund_cancelled_registration(*, session: Session, registration: Registration,
                                  actor: Actor) -> RefundRequest:
    """The learner cancelled a paid place while it waited for approval: what they paid for
    it becomes a refund request in the billing admins' queue, in the caller's transaction;
    the learner is emailed that it was asked for."""
    reason = "Registration cancelled by the learner while it waited for approval."
    request = _place_refund(session, registration, actor, source="registration_cancelled",
                            reason=reason, audit_reason=reason)
    email_learner(session, request, "refund-requested")
    return request
