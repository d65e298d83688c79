"""Refunds (ADR-001, US-016, PAY-009, REG-009): requests from learners, rejected registrations
and billing admins; the billing admin's queue; paying a refund at the processor exactly once;
and everything a paid refund changes.

Paying happens in three steps so no database transaction stays open during the processor
call and no crash can pay twice:
1. approve: lock the payment row, check the amount against what was captured less what is
   refunded or promised, move the request to *processing*, commit;
2. call the processor with the idempotency key ``refund-<id>`` (a retry of the same request
   gets the same refund back instead of a second one);
3. settle: in one transaction, the request *refunded*, payment and order statuses, the
   discount use given back on a full refund, registrations of fully refunded lines cancelled
   and their enrollments ended (the LMS told), certificates of those enrollments revoked,
   ledger reversals (which queue ``refund.issued`` for the payout platform), the email.
A processor error leaves the request *failed* with the error; a retry, or the refund_retry
job for requests stuck in *processing*, runs steps 2 and 3 again.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, or_, update
from sqlmodel import Session, col, select

from commerce_dash.connectors.webhooks import queue_webhook
from commerce_dash.db import for_update
from commerce_dash.domain.access import RoleName
from commerce_dash.domain.actor import Actor, require_section
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.errors import DomainError, ErrorKind, not_found
from commerce_dash.domain.money import format_minor
from commerce_dash.domain.orders import OrderStatus, PaymentStatus, order_number, parse_order_number
from commerce_dash.domain.paging import Page, PageRequest
from commerce_dash.domain.refunds import (
    IN_FLIGHT,
    LABELS,
    OPEN,
    RefundStatus,
    check_amount,
    check_reason,
    require_move,
    spread,
)
from commerce_dash.domain.registrations import EnrollmentStatus, RegistrationStatus
from commerce_dash.models.accounts import User
from commerce_dash.models.commerce import Order, OrderLine, Payment, RefundRequest
from commerce_dash.models.enrollment import Enrollment, Registration
from commerce_dash.models.pricing import DiscountCode, DiscountRedemption
from commerce_dash.notify.outbox_email import queue_email
from commerce_dash.payments.base import ChargeRefund, ProcessorError, WebhookEvent
from commerce_dash.payments.base import RefundRequest as ProcessorRefund
from commerce_dash.payments.factory import get_processor
from commerce_dash.services.catalog.catalog import like_pattern
from commerce_dash.services.commerce.order_status import transition_order, transition_payment
from commerce_dash.services.commerce.refund_status import new_refund_request, transition_refund
from commerce_dash.services.enrollment import registrations
from commerce_dash.services.enrollment.lms_users import lms_user_id
from commerce_dash.services.enrollment.ownership import Duplicate
from commerce_dash.services.enrollment.registration_status import (
    sync_program_registrations,
    transition_enrollment,
    transition_registration,
)
from commerce_dash.services.learning.certificates import revoke_for_enrollment
from commerce_dash.services.learning.learning import progress_summary
from commerce_dash.services.platform.audit import record_audit
from commerce_dash.services.revenue.ledger import course_shares, record_refund
from commerce_dash.settings import get_settings

log = logging.getLogger(__name__)

SECTION = "refunds"
MAX_BULK = 200
REFUNDABLE_ORDERS = (OrderStatus.COMPLETED.value, OrderStatus.PARTIALLY_REFUNDED.value)


def idempotency_key(request_id: int) -> str:
    return f"refund-{request_id}"


def _money(amount: int, currency: str) -> str:
    return format_minor(amount, currency, get_settings().default_locale)


def _order_by_number(session: Session, number: str) -> Order:
    year, order_id = parse_order_number(number)
    order = session.get(Order, order_id)
    if order is None or order.created_at.year != year:
        raise not_found("order", number.strip())
    return order


def _payment(session: Session, order_id: int, *, lock: bool) -> Payment:
    query = select(Payment).where(Payment.order_id == order_id)
    payment = session.exec(for_update(session, query) if lock else query).first()
    if payment is None or payment.status not in (
            PaymentStatus.SUCCEEDED.value, PaymentStatus.PARTIALLY_REFUNDED.value):
        raise DomainError("nothing_captured", "This order has no captured payment to refund.",
                          kind=ErrorKind.CONFLICT)
    return payment


def _in_flight(session: Session, order_id: int, exclude: int | None = None) -> int:
    query = select(func.coalesce(func.sum(RefundRequest.approved_amount), 0)).where(
        RefundRequest.order_id == order_id,
        col(RefundRequest.status).in_([s.value for s in IN_FLIGHT]))
    if exclude is not None:
        query = query.where(col(RefundRequest.id) != exclude)
    return int(session.exec(query).one() or 0)


def refundable(session: Session, order: Order, exclude: int | None = None) -> int:
    """What is left to refund: captured, less refunded, less approved but not yet paid."""
    assert order.id is not None
    payment = session.exec(select(Payment).where(Payment.order_id == order.id)).first()
    if payment is None or payment.status not in (PaymentStatus.SUCCEEDED.value,
                                                 PaymentStatus.PARTIALLY_REFUNDED.value):
        return 0
    return max(0, payment.amount - payment.refunded_amount
               - _in_flight(session, order.id, exclude))


def _refunded_by_line(session: Session, order_id: int, *, promised: bool = False,
                      exclude: int | None = None) -> dict[int, int]:
    """What paid refunds gave back per order line (with ``promised``: also what approved
    refunds not yet paid will give back)."""
    statuses = [RefundStatus.REFUNDED.value]
    if promised:
        statuses += [s.value for s in IN_FLIGHT]
    query = select(RefundRequest.lines).where(RefundRequest.order_id == order_id,
                                              col(RefundRequest.status).in_(statuses))
    if exclude is not None:
        query = query.where(col(RefundRequest.id) != exclude)
    out: dict[int, int] = {}
    for lines in session.exec(query).all():
        for item in lines or []:
            line_id = int(item["order_line_id"])
            out[line_id] = out.get(line_id, 0) + int(item["amount"])
    return out


def _left_by_line(session: Session, order: Order, *, promised: bool = False,
                  exclude: int | None = None) -> dict[int, int]:
    done = _refunded_by_line(session, order.id or 0, promised=promised, exclude=exclude)
    lines = session.exec(select(OrderLine).where(OrderLine.order_id == order.id)
                         .order_by(col(OrderLine.position))).all()
    return {line.id or 0: line.total - done.get(line.id or 0, 0) for line in lines}


# -- requests --------------------------------------------------------------------------------


@dataclass(frozen=True)
class LineRefund:
    order_line_id: int
    amount: int


def _lines_json(session: Session, order: Order, lines: Sequence[LineRefund]) -> list[dict[str, Any]]:
    left = _left_by_line(session, order)
    out = []
    for item in lines:
        if item.order_line_id not in left:
            raise DomainError("unknown_line", "That item is not part of this order.",
                              field="lines")
        check_amount(item.amount, left[item.order_line_id])
        out.append({"order_line_id": item.order_line_id, "amount": item.amount})
    return out


def request_refund(*, session: Session, actor: Actor | None, number: str, reason: str,
                   amount: int | None = None, lines: Sequence[LineRefund] = ()) -> RefundRequest:
    """A refund request (commits): a learner for their own order, or a billing admin for any.

    Full (no amount, no lines), by amount, or by lines. The learner is emailed; a learner
    has at most one open request per order.
    """
    if actor is None:
        raise DomainError("not_signed_in", "Sign in to continue.", kind=ErrorKind.UNAUTHENTICATED)
    order = _order_by_number(session, number)
    admin = actor.is_super_admin or actor.has_role(RoleName.BILLING_ADMIN)
    if order.user_id != actor.user_id and not admin:
        raise not_found("order", number.strip())
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
        total = sum(i["amount"] for i in line_items) if line_items else (amount or left)
        check_amount(total, left)
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
    _email(session, request, "refund-requested")
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
    _mark_approved(session, request, None, None, note=reason)
    return request


def refund_rejected_registration(*, session: Session, registration: Registration,
                                 actor: Actor | None, reason: str,
                                 automatic: bool = False) -> RefundRequest:
    """A paid place the learner did not get (rejected by an admin or refused by the LMS):
    what they paid for it becomes a refund request, in the caller's transaction. Approved by
    the system at once when ``automatic`` (then paid by :func:`pay_approved` after the
    commit); otherwise it waits in the billing admins' queue (ADR-001)."""
    source = "registration_rejected" if actor is not None else "lms_rejected"
    request = new_refund_request(
        session=session, actor=actor, action="refund.requested",
        audit_after={"registration": registration.id, "amount": registration.amount_paid,
                     "currency": registration.currency, "source": source},
        audit_reason=reason,
        order_id=registration.order_id or 0, order_line_id=registration.order_line_id,
        registration_id=registration.id, user_id=registration.user_id,
        lines=[{"order_line_id": registration.order_line_id,
                "course_id": registration.course_id, "amount": registration.amount_paid}],
        amount=registration.amount_paid, currency=registration.currency,
        reason=f"Registration rejected: {reason}"[:1000], source=source,
        created_by_id=actor.user_id if actor else None,
    )
    if automatic:
        _mark_approved(session, request, None, None,
                       note="Paid back automatically: the place was not given.")
    return request


def pay_approved(*, session: Session, order_id: int) -> int:
    """Pay the refunds of an order that are approved but not yet sent to the processor (the
    system's own approvals, after the commit that made them); returns how many were paid."""
    ids = session.exec(select(RefundRequest.id).where(
        RefundRequest.order_id == order_id,
        RefundRequest.status == RefundStatus.APPROVED.value)).all()
    session.commit()
    paid = 0
    for request_id in ids:
        if request_id is None:
            continue
        try:
            done = process(session=session, request_id=request_id)
        except Exception:  # noqa: BLE001 - the refund_retry job finishes it
            session.rollback()
            log.exception("Paying refund %s failed; the refund_retry job will", request_id)
            continue
        paid += done.status == RefundStatus.REFUNDED.value
    return paid


def _email(session: Session, request: RefundRequest, template: str) -> None:
    user = session.get(User, request.user_id)
    order = session.get(Order, request.order_id)
    assert user is not None and order is not None and request.id is not None
    amount = request.approved_amount if request.approved_amount is not None else request.amount
    context = {"user_name": user.full_name,
               "order_number": order_number(order.id or 0, order.created_at),
               "amount": _money(amount, request.currency),
               "reason": request.decision_reason}
    queue_email(session=session, template=template, to=user.email, context=context,
                dedupe_key=f"{template}:{request.id}")


# -- decisions -------------------------------------------------------------------------------


def _locked(session: Session, request_id: int) -> RefundRequest | None:
    """The request, locked against other deciders and payers until the commit."""
    return session.exec(for_update(
        session, select(RefundRequest).where(RefundRequest.id == request_id))).first()


def _for_decision(session: Session, actor: Actor | None, request_id: int) -> tuple[Actor,
                                                                                  RefundRequest]:
    """The request locked for a decision by ``actor``, who must be a second pair of eyes:
    nobody decides a refund they asked for, or one on an order of their own."""
    actor = require_section(actor, SECTION)
    request = _locked(session, request_id)
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


# Approving a refund that is already approved (or further on) returns it as it is.
_APPROVED_OR_LATER = frozenset({RefundStatus.APPROVED.value, RefundStatus.PROCESSING.value,
                                RefundStatus.FAILED.value, RefundStatus.REFUNDED.value})


def approve(*, session: Session, actor: Actor | None, request_id: int,
            amount: int | None = None, note: str = "") -> RefundRequest:
    """Approve (optionally a lower amount) and pay the refund; returns the request as it
    ended: refunded, or failed with the processor's error (then retry)."""
    actor, request = _for_decision(session, actor, request_id)
    if request.status in _APPROVED_OR_LATER:
        session.commit()
        return request
    try:
        _mark_approved(session, request, actor, amount, note)
    except DomainError:
        session.rollback()
        raise
    session.commit()
    return process(session=session, request_id=request_id, actor=actor)


def _mark_approved(session: Session, request: RefundRequest, actor: Actor | None,
                   amount: int | None, note: str) -> None:
    """Requested -> approved for ``amount`` (default: all of it), checked against what is
    left of the capture and of each line; audited (``actor`` None: the system decided)."""
    require_move(request.status, RefundStatus.APPROVED.value)
    order = session.get(Order, request.order_id)
    assert order is not None and order.id is not None
    payment = _payment(session, order.id, lock=True)  # serialises approvals of one order
    if order.status == OrderStatus.DISPUTED.value:
        raise DomainError("order_disputed", "The payment of this order is disputed at the "
                          "processor (a chargeback): decide the refund when the dispute closes.",
                          kind=ErrorKind.CONFLICT)
    final = request.amount if amount is None else amount
    if final > request.amount:
        raise DomainError("above_request", "You can approve the amount asked for or less.",
                          field="amount")
    check_amount(final, payment.amount - payment.refunded_amount
                 - _in_flight(session, order.id, exclude=request.id))
    now = utcnow()
    allocation = _allocation(session, order, request, final)
    # and never more on a line than is left of it, counting other approved refunds
    left = _left_by_line(session, order, promised=True, exclude=request.id)
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
        amount, _left_by_line(session, order, promised=True, exclude=request.id)).items()]


def process(*, session: Session, request_id: int, actor: Actor | None = None) -> RefundRequest:
    """Pay a request that is processing (or failed) at the processor, then settle it."""
    request = _locked(session, request_id)
    if request is None:
        raise not_found("refund_request", request_id)
    if request.status in (RefundStatus.APPROVED.value, RefundStatus.FAILED.value):
        transition_refund(session=session, request=request, target=RefundStatus.PROCESSING,
                          actor=actor, audited_by=("refund.approved"
                                                   if request.status == RefundStatus.APPROVED
                                                   else "refund.retried"))
        request.updated_at = utcnow()
        session.add(request)
    session.commit()  # ends the lock whatever the status
    if request.status != RefundStatus.PROCESSING.value:
        return request
    payment = session.exec(select(Payment).where(Payment.order_id == request.order_id)).one()
    call = ProcessorRefund(intent_id=payment.intent_id or "", amount=request.approved_amount or 0,
                           currency=request.currency, reason=request.reason[:300],
                           idempotency_key=idempotency_key(request_id))
    session.commit()  # nothing held open across the network call
    try:
        if payment.processor == "none" or not payment.intent_id:
            result_id = f"no-charge-{request_id}"
        else:
            result = get_processor(payment.processor).refund(call)
            if result.status == "failed":
                raise ProcessorError("refund_failed", "The processor declined the refund.")
            result_id = result.refund_id
    except ProcessorError as exc:
        return _failed(session, request_id, exc.message, actor)
    return settle(session=session, request_id=request_id, processor_refund_id=result_id,
                  actor=actor)


def _failed(session: Session, request_id: int, error: str, actor: Actor | None) -> RefundRequest:
    request = _locked(session, request_id)
    assert request is not None
    if request.status == RefundStatus.PROCESSING.value:
        request.attempts += 1
        request.last_error = error[:500]
        request.updated_at = utcnow()
        transition_refund(session=session, request=request, target=RefundStatus.FAILED,
                          actor=actor, action="refund.failed", before=None,
                          after={"status": RefundStatus.FAILED.value,
                                 "attempts": request.attempts}, reason=error[:500])
    session.commit()
    session.refresh(request)
    return request


def settle(*, session: Session, request_id: int, processor_refund_id: str,
           actor: Actor | None = None) -> RefundRequest:
    """Everything a paid refund changes, in one transaction (a second call changes nothing)."""
    request = _locked(session, request_id)
    assert request is not None
    if request.status != RefundStatus.PROCESSING.value:
        session.commit()
        return request
    order = session.exec(for_update(session, select(Order).where(Order.id == request.order_id))
                         ).one()
    payment = session.exec(for_update(session, select(Payment).where(
        Payment.order_id == order.id))).one()
    settle_locked(session, request, order, payment, processor_refund_id, actor)
    session.commit()
    session.refresh(request)
    return request


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
    finished = frozenset(line for line, left in _left_by_line(session, order).items()
                         if left <= 0)
    request.settlement_amount = record_refund(session, request, request.lines or [], finished)
    session.add(request)
    _email(session, request, "refund-approved")


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
    left = _left_by_line(session, order)
    return [{"order_line_id": line, "amount": part} for line, part in spread(amount,
                                                                             left).items()]


def _credit_discount(session: Session, order: Order, now: datetime) -> None:
    """A fully refunded order gives its discount use back."""
    if order.discount_code_id is None:
        return
    number = order_number(order.id or 0, order.created_at)
    credited = session.execute(
        update(DiscountRedemption)
        .where(col(DiscountRedemption.order_ref) == number,
               col(DiscountRedemption.status) == "redeemed")
        .values(status="refunded", at=now)
    ).rowcount  # type: ignore[attr-defined]
    if credited:
        session.execute(
            update(DiscountCode)
            .where(col(DiscountCode.id) == order.discount_code_id,
                   col(DiscountCode.uses_count) > 0)
            .values(uses_count=DiscountCode.uses_count - 1))


def _cascade_lines(session: Session, order: Order, request: RefundRequest,
                   now: datetime) -> None:
    """Registrations of what is now fully refunded are cancelled and their enrollments
    ended (the LMS told, certificates revoked)."""
    left = _left_by_line(session, order)  # counts this request: it is refunded now
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


def _cancel_registration(session: Session, registration: Registration,
                         request: RefundRequest, now: datetime) -> None:
    if registration.status in (RegistrationStatus.CANCELLED.value,):
        return
    why = f"The purchase was refunded ({request.reason})"[:500]
    if registration.status != RegistrationStatus.REJECTED.value:
        transition_registration(
            session=session, registration=registration, target=RegistrationStatus.CANCELLED,
            reason=why)
        registration.updated_at = now
        session.add(registration)
    for enrollment in session.exec(select(Enrollment).where(
            Enrollment.registration_id == registration.id)).all():
        if enrollment.status in (EnrollmentStatus.ACTIVE.value, EnrollmentStatus.PENDING.value):
            transition_enrollment(
                session=session, enrollment=enrollment, target=EnrollmentStatus.ENDED,
                reason=why)
            enrollment.ended_at = enrollment.updated_at = now
            session.add(enrollment)
            _tell_lms(session, registration, enrollment)
        revoke_for_enrollment(session=session, enrollment_id=enrollment.id or 0,
                              category="refunded",
                              reason=f"The purchase was refunded ({request.reason})"[:500])
    sync_program_registrations(session, [registration.parent_id], after_refund=True)


def _tell_lms(session: Session, registration: Registration, enrollment: Enrollment) -> None:
    """An LMS enrollment ends at the LMS too (through the outbox, retried)."""
    settings = get_settings()
    if enrollment.mode != "lms" or not settings.lms_mode:
        return
    queue_webhook(session=session, connector_key_id=settings.lms_connector_key,
                  url=settings.lms_enrollment_url, event="enrollment.cancelled",
                  body={"source": "commerce-platform", "apiKey": settings.lms_connector_key,
                        "payload": {"orderId": str(registration.order_id or ""),
                                    "orderItemId": registration.dedupe_key,
                                    "enrollmentId": enrollment.lms_enrollment_id,
                                    "userId": lms_user_id(session=session,
                                                          user_id=registration.user_id),
                                    "reason": "refunded"}},
                  dedupe_key=f"lms-cancel:{enrollment.id}")


def reject(*, session: Session, actor: Actor | None, request_id: int,
           reason: str) -> RefundRequest:
    """Reject with a reason the learner is emailed (commits, audited)."""
    reason = check_reason(reason)
    actor, request = _for_decision(session, actor, request_id)
    if request.status == RefundStatus.REJECTED.value:
        session.commit()
        return request
    now = utcnow()
    transition_refund(session=session, request=request, target=RefundStatus.REJECTED,
                      actor=actor, action="refund.rejected", reason=reason)
    request.decided_by_id, request.decided_at = actor.user_id, now
    request.decision_reason, request.updated_at = reason, now
    session.add(request)
    _email(session, request, "refund-rejected")
    session.commit()
    session.refresh(request)
    return request


def retry(*, session: Session, actor: Actor | None, request_id: int) -> RefundRequest:
    """Run a failed (or stuck) refund again; the idempotency key keeps it to one payment."""
    actor = require_section(actor, SECTION)
    request = session.get(RefundRequest, request_id)
    if request is None:
        raise not_found("refund_request", request_id)
    if request.status == RefundStatus.REFUNDED.value:
        return request  # paid already: nothing to do again
    if request.status not in (RefundStatus.FAILED.value, RefundStatus.PROCESSING.value,
                              RefundStatus.APPROVED.value):
        raise DomainError("not_retryable", "Only a failed or unfinished refund is retried.",
                          kind=ErrorKind.CONFLICT)
    record_audit(session=session, actor=actor, action="refund.retried",
                 entity_type="refund_request", entity_id=request_id,
                 after={"attempts": request.attempts})
    session.commit()
    return process(session=session, request_id=request_id, actor=actor)


def retry_stuck(*, session: Session, older_than: timedelta | None = None) -> int:
    """The refund_retry job: requests left in processing (a crash between the processor and
    the commit) are run again; returns how many were settled."""
    cutoff = utcnow() - (older_than or timedelta(
        minutes=get_settings().refund_retry_after_minutes))
    ids = session.exec(select(RefundRequest.id).where(
        col(RefundRequest.status).in_((RefundStatus.APPROVED.value,
                                       RefundStatus.PROCESSING.value)),
        col(RefundRequest.updated_at) < cutoff).limit(50)).all()
    done = 0
    for request_id in ids:
        if request_id is not None and process(session=session, request_id=request_id
                                              ).status == RefundStatus.REFUNDED.value:
            done += 1
    return done


@dataclass(frozen=True)
class BulkOutcome:
    id: int
    ok: bool
    message: str


def bulk(*, session: Session, actor: Actor | None, ids: Sequence[int], action: str,
         reason: str = "") -> list[BulkOutcome]:
    """Approve (in full) or reject many; each item says what happened."""
    require_section(actor, SECTION)
    if action not in ("approve", "reject"):
        raise DomainError("invalid_action", "Choose approve or reject.", field="action")
    if len(ids) > MAX_BULK:
        raise DomainError("too_many", f"At most {MAX_BULK} at once.", field="ids")
    if action == "reject":
        reason = check_reason(reason)
    out = []
    for request_id in dict.fromkeys(ids):
        try:
            done = (approve(session=session, actor=actor, request_id=request_id)
                    if action == "approve" else
                    reject(session=session, actor=actor, request_id=request_id, reason=reason))
            ok = done.status in (RefundStatus.REFUNDED.value, RefundStatus.REJECTED.value)
            out.append(BulkOutcome(request_id, ok, LABELS[RefundStatus(done.status)]
                                   + (f": {done.last_error}" if done.last_error else "")))
        except DomainError as exc:
            session.rollback()
            out.append(BulkOutcome(request_id, False, exc.message))
    return out


# -- the queue and the learner's view --------------------------------------------------------


@dataclass(frozen=True)
class RefundRow:
    id: int
    order_number: str
    learner: str
    email: str
    amount: int
    approved_amount: int | None
    amount_label: str
    currency: str
    reason: str
    source: str
    status: str
    status_label: str
    created_at: datetime
    decided_by: str
    decision_reason: str
    last_error: str
    items: str  # "Course A ($50.00), Course B" – what the request covers
    progress: str  # the learner's progress in the courses concerned


def _rows(session: Session, found: Sequence[tuple[RefundRequest, str, str, Order]]
          ) -> list[RefundRow]:
    deciders = {u.id: u.email for u in session.exec(select(User).where(col(User.id).in_(
        {r.decided_by_id for r, *_ in found if r.decided_by_id} or {0})))}
    return [_row(session, r, name, email, order, deciders) for r, name, email, order in found]


def _row(session: Session, r: RefundRequest, name: str, email: str, order: Order,
         deciders: dict[int | None, str]) -> RefundRow:
    line_ids = [int(i["order_line_id"]) for i in r.lines or []] or [
        line_id for line_id in session.exec(select(OrderLine.id).where(
            OrderLine.order_id == order.id)).all() if line_id is not None]
    lines = session.exec(select(OrderLine).where(col(OrderLine.id).in_(line_ids or {0}))).all()
    amounts = {int(i["order_line_id"]): int(i["amount"]) for i in r.lines or []}
    items = ", ".join(f"{line.title} ({_money(amounts[line.id], r.currency)})"
                      if line.id in amounts else line.title for line in lines)
    shown = r.approved_amount if r.approved_amount is not None else r.amount
    return RefundRow(
        r.id or 0, order_number(order.id or 0, order.created_at), name, email, r.amount,
        r.approved_amount, _money(shown, r.currency), r.currency, r.reason, r.source, r.status,
        LABELS[RefundStatus(r.status)], r.created_at, deciders.get(r.decided_by_id, ""),
        r.decision_reason, r.last_error, items,
        progress_summary(session=session, user_id=r.user_id, line_ids=[ln.id or 0 for ln in lines]),
    )


def _query():  # type: ignore[no-untyped-def]
    return (select(RefundRequest, User.full_name, User.email, Order)
            .join(User, col(User.id) == RefundRequest.user_id)
            .join(Order, col(Order.id) == RefundRequest.order_id))


def list_queue(*, session: Session, actor: Actor | None, page: PageRequest,
               status: str = "requested", learner: str = "", source: str = "",
               date_from: datetime | None = None, date_to: datetime | None = None,
               ) -> Page[RefundRow]:
    """Refund requests oldest first (the queue), filtered and paged in SQL."""
    require_section(actor, SECTION)
    conditions: list[ColumnElement[bool]] = []
    if status and status != "any":
        if status not in RefundStatus._value2member_map_:
            raise DomainError("invalid_status", "Choose a refund status.", field="status")
        conditions.append(col(RefundRequest.status) == status)
    if source:
        conditions.append(col(RefundRequest.source) == source)
    if date_from is not None:
        conditions.append(col(RefundRequest.created_at) >= date_from)
    if date_to is not None:
        conditions.append(col(RefundRequest.created_at) < date_to)
    pattern = like_pattern(learner)
    if pattern:
        conditions.append(or_(col(User.email).ilike(pattern, escape="\\"),
                              col(User.full_name).ilike(pattern, escape="\\")))
    query = _query().where(*conditions)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    found = session.exec(query.order_by(col(RefundRequest.created_at), col(RefundRequest.id))
                         .offset(page.offset).limit(page.page_size)).all()
    return Page(_rows(session, list(found)), int(total), page.page, page.page_size)


def counts(*, session: Session) -> dict[str, int]:
    return {status: int(n) for status, n in session.exec(
        select(RefundRequest.status, func.count()).group_by(col(RefundRequest.status))).all()}


def for_order(*, session: Session, actor: Actor | None, number: str) -> list[RefundRow]:
    """The refund requests of an order, for its owner or a billing admin."""
    if actor is None:
        raise DomainError("not_signed_in", "Sign in to continue.", kind=ErrorKind.UNAUTHENTICATED)
    order = _order_by_number(session, number)
    admin = actor.is_super_admin or actor.has_role(RoleName.BILLING_ADMIN)
    if order.user_id != actor.user_id and not admin:
        raise not_found("order", number.strip())
    found = session.exec(_query().where(RefundRequest.order_id == order.id)
                         .order_by(col(RefundRequest.created_at))).all()
    return _rows(session, list(found))


@dataclass(frozen=True)
class RefundableLine:
    id: int
    title: str
    paid: int
    left: int


def refund_options(*, session: Session, actor: Actor | None, number: str
                   ) -> tuple[int, list[RefundableLine]]:
    """(what is left to refund, the lines with what is left on each) for the request form."""
    if actor is None:
        raise DomainError("not_signed_in", "Sign in to continue.", kind=ErrorKind.UNAUTHENTICATED)
    order = _order_by_number(session, number)
    admin = actor.is_super_admin or actor.has_role(RoleName.BILLING_ADMIN)
    if order.user_id != actor.user_id and not admin:
        raise not_found("order", number.strip())
    left = _left_by_line(session, order)
    lines = session.exec(select(OrderLine).where(OrderLine.order_id == order.id)
                         .order_by(col(OrderLine.position))).all()
    return refundable(session, order), [RefundableLine(ln.id or 0, ln.title, ln.total,
                                                       left.get(ln.id or 0, 0)) for ln in lines]


class _PaidPlaceRefunds:
    """This module's refund steps, as enrollment asks for them (``PaidPlaceRefunds``)."""

    def open(self, *, session: Session, registration: Registration, actor: Actor | None,
             reason: str, automatic: bool) -> RefundRequest:
        return refund_rejected_registration(session=session, registration=registration,
                                            actor=actor, reason=reason, automatic=automatic)

    def pay_approved(self, *, session: Session, order_id: int) -> int:
        return pay_approved(session=session, order_id=order_id)


registrations.use_refunds(_PaidPlaceRefunds())
