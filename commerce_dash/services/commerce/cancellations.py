"""Cancellations (issue 19): a learner cancels a registration waiting for approval, a billing
admin cancels a completed order. Both hand the money to the refund pipeline.

A learner's cancellation: the registration is cancelled by its guarded writer (audited as the
learner's) and, when the place was paid, a refund request for it is opened in the billing
admins' queue, as a learner's own request would be.

An admin's cancellation of a completed (or partly refunded) order, under the order's lock:
the order moves to *cancelled* where the state machine allows it (from completed; a partly
refunded order keeps its status until the refund settles) and ``cancelled_at`` is set; what is
left of the capture becomes one refund request (source ``order_cancelled``) that another
billing admin approves (four eyes, ``COMMERCE_REFUND_FOUR_EYES``; with it off, the cancelling
admin's approval pays it at once, unless the order is their own); the order's registrations are
ended now as a refund ends them (enrollments ended, the LMS told, certificates revoked) and
unused session credits taken back. When the refund is paid, the pipeline moves the order to
refunded. Audited; cancelling again answers with what the first did.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from commerce_dash.db import for_update
from commerce_dash.domain.actor import Actor, require_section
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.errors import DomainError, ErrorKind
from commerce_dash.domain.orders import OrderStatus, can_move_order, order_number
from commerce_dash.domain.refunds import check_reason, spread
from commerce_dash.models.certificates import Certificate
from commerce_dash.models.commerce import Order, OrderLine, RefundRequest
from commerce_dash.models.enrollment import Enrollment, Registration
from commerce_dash.services.commerce.order_status import transition_order
from commerce_dash.services.commerce.refund_amounts import (
    SECTION,
    email_learner,
    order_for_actor,
    refundable,
    refundable_by_line,
)
from commerce_dash.services.commerce.refund_decisions import mark_approved, second_approver_needed
from commerce_dash.services.commerce.refund_requests import refund_cancelled_registration
from commerce_dash.services.commerce.refund_status import new_refund_request
from commerce_dash.services.commerce.refunds import process
from commerce_dash.services.enrollment import (
    cancel_pending,
    end_registration,
    revoke_unused_credits,
)
from commerce_dash.services.platform import record_audit

__all__ = [
    "CANCELLABLE_ORDERS",
    "OrderCancelPreview",
    "cancel_preview",
    "OrderCancellation",
    "RegistrationCancellation",
    "cancel_my_registration",
    "cancel_order",
]

CANCELLABLE_ORDERS = (OrderStatus.COMPLETED.value, OrderStatus.PARTIALLY_REFUNDED.value)
ORDER_CANCELLED = "order_cancelled"  # the refund request's source


@dataclass(frozen=True)
class RegistrationCancellation:
    registration_id: int
    status: str
    refund_request_id: int | None  # the refund asked for the paid place (None: free)
    changed: bool  # False: it was cancelled before


def cancel_my_registration(
    *, session: Session, actor: Actor | None, registration_id: int
) -> RegistrationCancellation:
    """The learner cancels their own registration waiting for approval (commits); a paid
    place opens a refund request in the billing admins' queue. Twice is harmless."""
    registration, changed = cancel_pending(
        session=session, actor=actor, registration_id=registration_id
    )
    assert actor is not None and registration.id is not None
    request: RefundRequest | None = None
    if changed and registration.order_id is not None and registration.amount_paid > 0:
        request = refund_cancelled_registration(
            session=session, registration=registration, actor=actor
        )
    elif not changed:
        request = session.exec(
            select(RefundRequest).where(
                RefundRequest.registration_id == registration.id,
                RefundRequest.source == "registration_cancelled",
            )
        ).first()
    session.commit()
    return RegistrationCancellation(
        registration.id, registration.status, request.id if request is not None else None, changed
    )


@dataclass(frozen=True)
class OrderCancellation:
    number: str
    status: str
    cancelled_at: datetime
    refund_request_id: int | None  # what is left, waiting for a second billing admin
    refund_amount: int
    currency: str
    registrations_ended: int
    changed: bool  # False: it was cancelled before


def cancel_order(
    *, session: Session, actor: Actor | None, number: str, reason: str
) -> OrderCancellation:
    """A billing admin cancels a completed (or partly refunded) order (commits): what is
    left of the payment is asked back through the refund pipeline, the registrations end
    as a refund ends them. Cancelling an order cancelled before answers with that."""
    actor = require_section(actor, SECTION)
    reason = check_reason(reason)
    found, _admin = order_for_actor(session, actor, number)
    order = session.exec(for_update(session, select(Order).where(Order.id == found.id))).one()
    assert order.id is not None
    if order.cancelled_at is not None:
        outcome = _outcome(session, order, None, 0, changed=False)
        session.commit()
        return outcome
    if order.status not in CANCELLABLE_ORDERS:
        session.rollback()
        why = (
            "its payment is disputed: wait for the dispute to close"
            if order.status == OrderStatus.DISPUTED.value
            else f"it is {order.status.replace('_', ' ')}"
        )
        raise DomainError(
            "order_not_cancellable",
            f"This order can't be cancelled: {why}.",
            kind=ErrorKind.CONFLICT,
        )
    now = utcnow()
    left = min(
        refundable(session, order), sum(refundable_by_line(session, order, promised=True).values())
    )
    label = order_number(order.id, order.created_at)
    audit_after = {"order": label, "refund_left": left, "currency": order.currency}
    if can_move_order(order.status, OrderStatus.CANCELLED.value):
        transition_order(
            session=session,
            order=order,
            target=OrderStatus.CANCELLED,
            actor=actor,
            action="order.cancelled",
            reason=reason,
            before={"status": order.status},
            after={"status": OrderStatus.CANCELLED.value, **audit_after},
        )
    else:  # partly refunded: the status follows the refund, the cancellation is recorded
        record_audit(
            session=session,
            actor=actor,
            action="order.cancelled",
            entity_type="order",
            entity_id=order.id,
            before={"status": order.status},
            after={"status": order.status, **audit_after},
            reason=reason,
        )
    order.cancelled_at = order.updated_at = now
    session.add(order)
    request = _refund_left(session, order, actor, left, reason) if left > 0 else None
    ended = _end_registrations(session, order, actor, reason, now)
    approved = request is not None and _approve_at_once(session, order, request, actor, reason)
    session.flush()
    outcome = _outcome(session, order, request, ended, changed=True)
    session.commit()
    if approved and request is not None and request.id is not None:
        process(session=session, request_id=request.id, actor=actor)  # a failure: retried
        session.refresh(order)
        outcome = _outcome(session, order, request, ended, changed=True)
    return outcome


def _approve_at_once(
    session: Session, order: Order, request: RefundRequest, actor: Actor, reason: str
) -> bool:
    """With four eyes off, the cancelling admin approves the refund too (never on their own
    order); with it on (the default) it waits for another billing admin."""
    if second_approver_needed(order, actor) is not None:
        return False
    mark_approved(session, request, actor, None, note=f"Order cancelled: {reason}")
    return True


def _refund_left(
    session: Session, order: Order, actor: Actor, left: int, reason: str
) -> RefundRequest:
    """What is left of the payment, spread over the lines by what each may still give
    back, asked back (another billing admin approves it)."""
    by_line = {
        line: amount
        for line, amount in refundable_by_line(session, order, promised=True).items()
        if amount > 0
    }
    lines = [
        {"order_line_id": line, "amount": part}
        for line, part in spread(left, by_line).items()
        if part > 0
    ]
    why = f"Order cancelled by a billing admin: {reason}"[:1000]
    request = new_refund_request(
        session=session,
        actor=actor,
        action="refund.requested",
        audit_after={
            "order": order_number(order.id or 0, order.created_at),
            "amount": left,
            "lines": lines,
            "source": ORDER_CANCELLED,
        },
        audit_reason=why,
        reason=why,
        order_id=order.id or 0,
        user_id=order.user_id,
        amount=left,
        currency=order.currency,
        source=ORDER_CANCELLED,
        lines=lines,
        created_by_id=actor.user_id,
    )
    email_learner(session, request, "refund-requested")
    return request


def _end_registrations(
    session: Session, order: Order, actor: Actor, reason: str, now: datetime
) -> int:
    """The order's course registrations end as a refund ends them; unused session credits
    of its lines are taken back."""
    ended = 0
    for registration in session.exec(
        select(Registration)
        .where(Registration.order_id == order.id, Registration.kind == "course")
        .order_by(col(Registration.id))
    ).all():
        ended += end_registration(
            session,
            registration,
            why=f"The order was cancelled ({reason})",
            now=now,
            lms_reason="cancelled",
            revoke_category="refunded",
            actor=actor,
        )
    for line_id in session.exec(select(OrderLine.id).where(OrderLine.order_id == order.id)):
        if line_id is not None:
            revoke_unused_credits(session, order_line_id=line_id, actor=actor, now=now)
    return ended


def _outcome(
    session: Session, order: Order, request: RefundRequest | None, ended: int, *, changed: bool
) -> OrderCancellation:
    if request is None and not changed:
        request = session.exec(
            select(RefundRequest)
            .where(RefundRequest.order_id == order.id, RefundRequest.source == ORDER_CANCELLED)
            .order_by(col(RefundRequest.id).desc())
        ).first()
    assert order.cancelled_at is not None
    return OrderCancellation(
        number=order_number(order.id or 0, order.created_at),
        status=order.status,
        cancelled_at=order.cancelled_at,
        refund_request_id=request.id if request is not None else None,
        refund_amount=request.amount if request is not None else 0,
        currency=order.currency,
        registrations_ended=ended,
        changed=changed,
    )


@dataclass(frozen=True)
class OrderCancelPreview:
    """What cancelling the order would do, for the confirm dialog (``cancellable`` False: why
    not in ``refusal``; ``cancelled_at`` set: it was cancelled)."""

    number: str
    cancellable: bool
    refusal: str
    refund_left: int
    currency: str
    registrations: int  # live course registrations that end
    certificates: tuple[str, ...]  # numbers of the active certificates revoked
    four_eyes: bool  # the refund waits for another billing admin
    cancelled_at: datetime | None


def cancel_preview(*, session: Session, actor: Actor | None, number: str) -> OrderCancelPreview:
    """What :func:`cancel_order` would do to the order now (nothing is changed)."""
    actor = require_section(actor, SECTION)
    order, _admin = order_for_actor(session, actor, number)
    assert order.id is not None
    live = session.exec(
        select(Registration.id).where(
            Registration.order_id == order.id,
            Registration.kind == "course",
            col(Registration.status).in_(("pending", "approved", "enrolled")),
        )
    ).all()
    registration_ids = [int(i) for i in live if i is not None]
    certificates = (
        tuple(
            session.exec(
                select(Certificate.number)
                .join(Enrollment, col(Enrollment.id) == col(Certificate.enrollment_id))
                .where(
                    col(Enrollment.registration_id).in_(registration_ids),
                    Certificate.status == "active",
                )
                .order_by(col(Certificate.number))
            ).all()
        )
        if registration_ids
        else ()
    )
    cancellable = order.cancelled_at is None and order.status in CANCELLABLE_ORDERS
    refusal = ""
    if order.cancelled_at is None and not cancellable:
        refusal = (
            "Its payment is disputed: cancel it when the dispute closes."
            if order.status == OrderStatus.DISPUTED.value
            else f"Only a completed order can be cancelled; this one is "
            f"{order.status.replace('_', ' ')}."
        )
    left = (
        min(
            refundable(session, order),
            sum(refundable_by_line(session, order, promised=True).values()),
        )
        if cancellable
        else 0
    )
    four_eyes = second_approver_needed(order, actor) is not None
    return OrderCancelPreview(
        number=order_number(order.id, order.created_at),
        cancellable=cancellable,
        refusal=refusal,
        refund_left=left,
        currency=order.currency,
        registrations=len(registration_ids),
        certificates=certificates,
        four_eyes=four_eyes,
        cancelled_at=order.cancelled_at,
    )
