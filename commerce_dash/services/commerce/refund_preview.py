"""What approving a refund request will do, said before the billing admin confirms: the
amount and the lines it comes from, the registrations cancelled, the enrollments ended, the
LMS told, the certificates revoked (by number), the discount use given back.

The preview never has rules of its own: it rehearses the approval itself. In a transaction
that is always rolled back it runs the very functions an approval runs (``mark_approved``,
then the paid refund's cascade ``settle_locked``, as if the processor had paid), reads what
changed, and rolls everything back: no row, email, webhook, ledger entry or credit note
survives it, and what it lists is what the approval then does (a test holds the two
together). Nothing is sent to the processor. Its locks last the few milliseconds of the
rehearsal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, col, func, select

from commerce_dash.db import for_update
from commerce_dash.domain.actor import Actor
from commerce_dash.domain.orders import order_number
from commerce_dash.domain.refunds import RefundStatus
from commerce_dash.models.catalog import Course
from commerce_dash.models.certificates import Certificate
from commerce_dash.models.commerce import Order, OrderLine, Payment
from commerce_dash.models.delivery import OutboxMessage
from commerce_dash.models.enrollment import Enrollment, Registration
from commerce_dash.models.pricing import DiscountRedemption
from commerce_dash.models.sessions import SessionCredit
from commerce_dash.services.commerce.refund_amounts import money_label
from commerce_dash.services.commerce.refund_decisions import for_decision, mark_approved
from commerce_dash.services.commerce.refund_settlement import settle_locked
from commerce_dash.services.commerce.refund_status import transition_refund
from commerce_dash.services.enrollment import registration_number

LMS_CANCEL = "lms-cancel:"  # the outbox key of an LMS enrollment's cancellation


@dataclass(frozen=True)
class PreviewLine:
    title: str
    amount: int


@dataclass(frozen=True)
class PreviewRegistration:
    number: str  # REG-2026-00012
    title: str  # the course's title


@dataclass(frozen=True)
class RefundPreview:
    """What approving ``amount`` of the request does. ``order_status`` is the order's status
    afterwards (refunded or partially_refunded)."""

    request_id: int
    order_number: str
    amount: int
    currency: str
    amount_label: str
    order_status: str
    lines: tuple[PreviewLine, ...] = ()
    registrations_cancelled: tuple[PreviewRegistration, ...] = ()
    enrollments_ended: tuple[str, ...] = ()  # course titles
    lms_told: tuple[str, ...] = ()  # course titles whose LMS enrollment is cancelled there
    certificates_revoked: tuple[str, ...] = ()  # certificate numbers
    discount_returned: str = ""  # the code whose use a full refund gives back
    credits_taken_back: tuple[str, ...] = ()  # unused session credits revoked, by kind
    steps: tuple[str, ...] = field(default=())

    def as_dict(self) -> dict[str, Any]:
        return {
            "request_id": self.request_id,
            "order_number": self.order_number,
            "amount": self.amount,
            "currency": self.currency,
            "amount_label": self.amount_label,
            "order_status": self.order_status,
            "lines": [{"title": line.title, "amount": line.amount} for line in self.lines],
            "registrations_cancelled": [
                {"number": r.number, "title": r.title} for r in self.registrations_cancelled
            ],
            "enrollments_ended": list(self.enrollments_ended),
            "lms_told": list(self.lms_told),
            "certificates_revoked": list(self.certificates_revoked),
            "discount_returned": self.discount_returned,
            "credits_taken_back": list(self.credits_taken_back),
            "steps": list(self.steps),
        }


@dataclass(frozen=True)
class _Snapshot:
    registrations: dict[int, str]  # id -> status
    enrollments: dict[int, str]
    certificates: dict[int, str]
    outbox_after: int  # the highest outbox id
    discount_use: str  # the status of the order's use of a discount code ("" for none)
    credits: dict[int, str]  # the order's session credits: id -> status


def _snapshot(session: Session, order_id: int) -> _Snapshot:
    registrations = dict(
        session.exec(
            select(Registration.id, Registration.status).where(Registration.order_id == order_id)
        ).all()
    )
    enrollments = (
        dict(
            session.exec(
                select(Enrollment.id, Enrollment.status).where(
                    col(Enrollment.registration_id).in_(list(registrations))
                )
            ).all()
        )
        if registrations
        else {}
    )
    certificates = (
        dict(
            session.exec(
                select(Certificate.id, Certificate.status).where(
                    col(Certificate.enrollment_id).in_(list(enrollments))
                )
            ).all()
        )
        if enrollments
        else {}
    )
    last = session.exec(select(func.max(OutboxMessage.id))).one()
    order = session.get(Order, order_id)
    assert order is not None
    use = session.exec(
        select(DiscountRedemption.status).where(
            DiscountRedemption.order_ref == order_number(order_id, order.created_at)
        )
    ).first()
    credits = dict(
        session.exec(
            select(SessionCredit.id, SessionCredit.status).where(
                SessionCredit.order_id == order_id
            )
        ).all()
    )
    return _Snapshot(
        registrations,  # type: ignore[arg-type]
        enrollments,  # type: ignore[arg-type]
        certificates,  # type: ignore[arg-type]
        int(last or 0),
        use or "",
        credits,  # type: ignore[arg-type]
    )


def _credit_kinds(session: Session, credit_ids: list[int]) -> tuple[str, ...]:
    """The revoked credits counted by kind: "2 private 60-minute session credits"."""
    if not credit_ids:
        return ()
    rows = session.exec(
        select(SessionCredit.kind, SessionCredit.minutes, func.count())
        .where(col(SessionCredit.id).in_(credit_ids))
        .group_by(col(SessionCredit.kind), col(SessionCredit.minutes))
        .order_by(col(SessionCredit.kind), col(SessionCredit.minutes))
    ).all()
    out = []
    for kind, minutes, count in rows:
        what = f"private {minutes}-minute session" if kind == "private" else "group class"
        out.append(f"{count} {what} credit{'s' if count != 1 else ''}")
    return tuple(out)


def _changed(before: dict[int, str], after: dict[int, str], status: str) -> list[int]:
    return sorted(i for i, now in after.items() if now == status and before.get(i) != status)


def _titles(session: Session, course_ids: list[int | None]) -> dict[int, str]:
    ids = [c for c in course_ids if c is not None]
    if not ids:
        return {}
    rows = session.exec(select(Course.id, Course.title).where(col(Course.id).in_(ids))).all()
    return {int(i or 0): title for i, title in rows}


def _rehearse(
    session: Session, actor: Actor | None, request_id: int, amount: int | None
) -> RefundPreview:
    actor, request = for_decision(session, actor, request_id)
    order = session.exec(
        for_update(session, select(Order).where(Order.id == request.order_id))
    ).one()
    assert order.id is not None and request.id is not None
    before = _snapshot(session, order.id)
    # the approval, then the processor's answer "paid": exactly as approve() and settle() run
    mark_approved(session, request, actor, amount, "")
    transition_refund(
        session=session,
        request=request,
        target=RefundStatus.PROCESSING,
        actor=actor,
        audited_by="refund.approved",
    )
    payment = session.exec(
        for_update(session, select(Payment).where(Payment.order_id == order.id))
    ).one()
    settle_locked(session, request, order, payment, f"preview-{request.id}", actor)
    session.flush()
    after = _snapshot(session, order.id)

    cancelled = _changed(before.registrations, after.registrations, "cancelled")
    ended = _changed(before.enrollments, after.enrollments, "ended")
    revoked = _changed(before.certificates, after.certificates, "revoked")
    credits_revoked = _changed(before.credits, after.credits, "revoked")
    registrations = (
        session.exec(
            select(Registration)
            .where(col(Registration.id).in_(cancelled), Registration.kind == "course")
            .order_by(col(Registration.id))
        ).all()
        if cancelled
        else []
    )
    enrollments = (
        session.exec(
            select(Enrollment).where(col(Enrollment.id).in_(ended)).order_by(col(Enrollment.id))
        ).all()
        if ended
        else []
    )
    titles = _titles(
        session, [r.course_id for r in registrations] + [e.course_id for e in enrollments]
    )
    told = set(
        session.exec(
            select(OutboxMessage.dedupe_key).where(
                col(OutboxMessage.id) > before.outbox_after,
                col(OutboxMessage.dedupe_key).startswith(LMS_CANCEL),
            )
        ).all()
    )
    numbers = (
        session.exec(
            select(Certificate.number)
            .where(col(Certificate.id).in_(revoked))
            .order_by(col(Certificate.number))
        ).all()
        if revoked
        else []
    )
    line_titles = dict(
        session.exec(
            select(OrderLine.id, OrderLine.title).where(OrderLine.order_id == order.id)
        ).all()
    )
    final = request.approved_amount or 0
    # the order's use of its code, if the cascade gave it back
    discount = order.discount_code if after.discount_use != before.discount_use else ""
    return RefundPreview(
        request_id=request.id,
        order_number=order_number(order.id, order.created_at),
        amount=final,
        currency=request.currency,
        amount_label=money_label(final, request.currency),
        order_status=order.status,
        lines=tuple(
            PreviewLine(line_titles.get(int(i["order_line_id"]), "Line"), int(i["amount"]))
            for i in request.lines or []
        ),
        registrations_cancelled=tuple(
            PreviewRegistration(
                registration_number(r.id or 0, r.created_at), titles.get(r.course_id or 0, "")
            )
            for r in registrations
        ),
        enrollments_ended=tuple(titles.get(e.course_id, "") for e in enrollments),
        lms_told=tuple(
            titles.get(e.course_id, "") for e in enrollments if f"{LMS_CANCEL}{e.id}" in told
        ),
        certificates_revoked=tuple(numbers),
        discount_returned=discount,
        credits_taken_back=_credit_kinds(session, credits_revoked),
    )


def steps_of(preview: RefundPreview) -> tuple[str, ...]:
    """The preview in sentences, in the order things happen."""
    out = [
        f"Pay back {preview.amount_label} to the learner's original payment method "
        f"(order {preview.order_number} becomes "
        f"{'refunded' if preview.order_status == 'refunded' else 'partially refunded'})."
    ]
    for r in preview.registrations_cancelled:
        out.append(f"Cancel registration {r.number} ({r.title}).")
    for title in preview.enrollments_ended:
        out.append(f"End the enrollment in {title}.")
    for title in preview.lms_told:
        out.append(f"Tell the LMS to cancel the enrollment in {title}.")
    for number in preview.certificates_revoked:
        out.append(f"Revoke certificate {number} (its public verification page says so).")
    for credits in preview.credits_taken_back:
        out.append(f"Take back {credits} not used yet.")
    if preview.discount_returned:
        out.append(f"Give back the use of discount code {preview.discount_returned}.")
    if not (preview.registrations_cancelled or preview.enrollments_ended):
        out.append("The learner keeps their courses: part of each line stays paid for.")
    out.append("Email the learner that the refund is approved.")
    return tuple(out)


def refund_preview(
    *, session: Session, actor: Actor | None, request_id: int, amount: int | None = None
) -> RefundPreview:
    """What approving the request (``amount``, default: what was asked) will do, with the
    approval's own checks (four eyes, amounts left, disputes) and rules; changes nothing."""
    try:
        preview = _rehearse(session, actor, request_id, amount)
    finally:
        session.rollback()
    return RefundPreview(**{**preview.__dict__, "steps": steps_of(preview)})
