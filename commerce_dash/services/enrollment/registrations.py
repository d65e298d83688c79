"""Registrations: created with the order's completion, approved or rejected in the queue,
turned into enrollments (local mode: active at once).

Exactly one registration per order line and course (``dedupe_key``, unique). A program line
gives a program registration and one registration per course of the program, linked to it.

This module holds the registrations' moves and is their public face: the read side
(``registration_views.py``), approval rules (``approval_rules.py``), enrollment at the LMS
(``lms_enrollment.py``), the emails (``registration_emails.py``) and the refund seam
(``paid_place_refunds.py``) are re-exported, so callers import registrations from here.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from commerce_dash.db import for_update
from commerce_dash.domain.actor import Actor, require_section
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.errors import DomainError, ErrorKind, not_found
from commerce_dash.domain.registrations import (
    EnrollmentStatus,
    RegistrationStatus,
    approval_required,
    can_move_enrollment,
    check_rejection_reason,
    require_registration_move,
)
from commerce_dash.models.catalog import Course, ProgramCourse
from commerce_dash.models.commerce import Order, OrderLine
from commerce_dash.models.enrollment import Enrollment, Registration
from commerce_dash.services.enrollment.approval_rules import (
    approval_rules,
    approval_settings,
    set_department_approval,
)
from commerce_dash.services.enrollment.lms_enrollment import (
    request_lms_enrollment,
    retry_lms_enrollment,
    stuck_lms_enrollments,
)
from commerce_dash.services.enrollment.lms_users import remember
from commerce_dash.services.enrollment.ownership import owned_courses
from commerce_dash.services.enrollment.paid_place_refunds import refund_steps
from commerce_dash.services.enrollment.registration_emails import email_learner
from commerce_dash.services.enrollment.registration_status import (
    new_enrollment,
    sync_program_registrations,
    transition_enrollment,
    transition_registration,
)
from commerce_dash.services.enrollment.registration_views import (
    SECTION,
    QueueRow,
    list_for_learner,
    list_queue,
    one_queue_row,
    queue_scope,
    registration_number,
)
from commerce_dash.services.learning import seed_steps
from commerce_dash.services.revenue import course_shares
from commerce_dash.settings import get_settings

__all__ = [
    "BulkOutcome",
    "LmsStatus",
    "MAX_BULK",
    "QueueRow",
    "SECTION",
    "apply_lms_status",
    "approval_rules",
    "approve",
    "approve_new",
    "bulk",
    "cancel_pending",
    "create_for_order",
    "list_for_learner",
    "list_queue",
    "pay_lms_refund",
    "registration_number",
    "reject",
    "retry_lms_enrollment",
    "set_department_approval",
    "stuck_lms_enrollments",
]

MAX_BULK = 500


@dataclass(frozen=True)
class BulkOutcome:
    id: int
    number: str
    ok: bool
    message: str


# ---------------------------------------------------------------- creation


def create_for_order(session: Session, order: Order, lines: list[OrderLine]) -> None:
    """ORDER_COMPLETED hook: registrations for every course bought, in the order's transaction.

    Auto-approved ones are approved and enrolled at once; the others wait in the queue. A
    course the learner already owns through something else gets none (the duplicate is
    refunded, see ``settlement.complete_order``).
    """
    assert order.id is not None
    if not any(line.item_type in ("course", "program") for line in lines):
        return  # nothing bought registers (a subscription's invoice, say)
    owned = set(owned_courses(session=session, user_id=order.user_id, except_order_id=order.id))
    settings_by_dept, parents = approval_settings(session)
    program_ids = [line.item_id for line in lines if line.item_type == "program"]
    program_courses: dict[int, list[int]] = {pid: [] for pid in program_ids}
    if program_ids:
        for program_id, course_id in session.exec(
            select(ProgramCourse.program_id, ProgramCourse.course_id)
            .where(col(ProgramCourse.program_id).in_(program_ids))
            .order_by(col(ProgramCourse.position))
        ).all():
            program_courses[program_id].append(course_id)
    wanted = {line.item_id for line in lines if line.item_type == "course"}
    wanted |= {c for courses in program_courses.values() for c in courses}
    courses = {
        c.id: c for c in session.exec(select(Course).where(col(Course.id).in_(wanted or {0})))
    }
    created: list[Registration] = []
    for line in lines:
        assert line.id is not None
        if line.item_type == "course":
            if line.item_id in owned:
                continue
            course = courses[line.item_id]
            created.append(_add(session, order, line, course, line.total, None, None,
                                settings_by_dept, parents))
        elif line.item_type == "program":
            # each course's share is what the ledger records for it (split by prices)
            shares = [(course, gross, tax) for course, gross, tax
                      in course_shares(session, order, line) if course.id not in owned]
            if not shares:
                continue
            parent = Registration(
                dedupe_key=f"{line.id}:program", user_id=order.user_id, kind="program",
                program_id=line.item_id, department_id=line.department_id, order_id=order.id,
                order_line_id=line.id, amount_paid=line.total, currency=line.currency,
                approval_required=False, status=RegistrationStatus.PENDING.value,
            )
            session.add(parent)
            session.flush()
            for course, gross, tax in shares:
                created.append(_add(session, order, line, course, gross + tax, parent.id,
                                    line.item_id, settings_by_dept, parents))
    session.flush()
    for registration in created:
        if not registration.approval_required:
            _approve(session, registration, reviewer=None, note="approved automatically")
        else:
            email_learner(session, registration, "registration-pending")
    _sync_parents(session, {r.parent_id for r in created if r.parent_id is not None})


def _add(
    session: Session, order: Order, line: OrderLine, course: Course, amount: int,
    parent_id: int | None, program_id: int | None,
    settings_by_dept: dict[int, bool | None], parents: dict[int, int | None],
) -> Registration:
    assert course.id is not None and line.id is not None
    registration = Registration(
        dedupe_key=f"{line.id}:{course.id}", user_id=order.user_id, kind="course",
        course_id=course.id, program_id=program_id, parent_id=parent_id,
        department_id=course.department_id, order_id=order.id, order_line_id=line.id,
        amount_paid=amount, currency=line.currency,
        approval_required=approval_required(course.approval_required, course.department_id,
                                            settings_by_dept, parents),
        status=RegistrationStatus.PENDING.value,
    )
    session.add(registration)
    return registration


def _sync_parents(session: Session, parent_ids: set[int]) -> None:
    """A program registration follows its courses (see ``sync_program_registrations``)."""
    sync_program_registrations(session, parent_ids)


def approve_new(session: Session, registration: Registration, *, note: str) -> None:
    """Approve a registration no rule holds for review, as creation does for a purchase."""
    _approve(session, registration, reviewer=None, note=note)


def _approve(session: Session, registration: Registration, *, reviewer: Actor | None,
             note: str) -> None:
    require_registration_move(registration.status, RegistrationStatus.APPROVED.value)
    now = utcnow()
    settings = get_settings()
    # audited as approved into what it ends as (enrolled at once in local mode)
    final = (RegistrationStatus.APPROVED if settings.lms_mode
             else RegistrationStatus.ENROLLED).value
    transition_registration(session=session, registration=registration,
                            target=RegistrationStatus.APPROVED, actor=reviewer,
                            action="registration.approved", before={"status": "pending"},
                            after={"status": final}, reason=note)
    registration.reviewed_by_id = reviewer.user_id if reviewer else None
    registration.reviewed_at = now
    registration.updated_at = now
    session.add(registration)
    assert registration.course_id is not None and registration.id is not None
    if settings.lms_mode:
        new_enrollment(session=session, registration=registration, mode="lms",
                       status=EnrollmentStatus.PENDING, requested_at=now)
        request_lms_enrollment(session, registration, now)
    else:
        new_enrollment(session=session, registration=registration, mode="local",
                       status=EnrollmentStatus.ACTIVE, activated_at=now, requested_at=now)
        transition_registration(session=session, registration=registration,
                                target=RegistrationStatus.ENROLLED, actor=reviewer,
                                action="registration.enrolled", reason=note)
    # a course with steps: every step UNBOOKED, once (duplicate webhooks seed nothing more)
    seed_steps(session, registration)
    if reviewer is not None:
        email_learner(session, registration, "registration-approved")
    if registration.status == RegistrationStatus.ENROLLED.value:
        email_learner(session, registration, "enrollment-welcome")


@dataclass(frozen=True)
class LmsStatus:
    order_item_id: str
    status: str  # approved | rejected
    enrollment_id: str
    reason: str
    lms_user_id: str = ""  # the LMS's id of the learner, when it says


def apply_lms_status(*, session: Session, update: LmsStatus) -> str:
    """The LMS answered an enrollment request: active or rejected (repeats change nothing).

    The caller authenticated the request and commits.
    """
    registration = session.exec(
        select(Registration).where(Registration.dedupe_key == update.order_item_id)
    ).first()
    enrollment = session.exec(
        select(Enrollment).where(Enrollment.registration_id == registration.id)
    ).first() if registration is not None else None
    if registration is None or enrollment is None:
        raise DomainError("enrollment_not_found",
                          f"No enrollment request for order item {update.order_item_id}.",
                          kind=ErrorKind.NOT_FOUND)
    target = {"approved": EnrollmentStatus.ACTIVE, "rejected": EnrollmentStatus.REJECTED}.get(
        update.status)
    if target is None:
        raise DomainError("invalid_status", "status is approved or rejected.", field="status")
    if enrollment.status == target.value or not can_move_enrollment(enrollment.status,
                                                                    target.value):
        return f"ignored: enrollment is {enrollment.status}"
    now = utcnow()
    if update.lms_user_id:
        remember(session=session, user_id=registration.user_id,
                 lms_user_id=update.lms_user_id, source="answer")
    enrollment.lms_enrollment_id = update.enrollment_id[:100]
    enrollment.updated_at = now
    transition_enrollment(session=session, enrollment=enrollment, target=target,
                          action=f"enrollment.lms_{update.status}", before=None,
                          after={"status": target.value,
                                 "lms_enrollment_id": update.enrollment_id},
                          reason=update.reason)
    if target is EnrollmentStatus.ACTIVE:
        enrollment.activated_at = now
        transition_registration(session=session, registration=registration,
                                target=RegistrationStatus.ENROLLED,
                                action="registration.enrolled", reason=update.reason)
        registration.updated_at = now
        session.add(registration)
        email_learner(session, registration, "enrollment-welcome")
    else:
        enrollment.rejection_reason = update.reason[:1000]
        reason = " ".join(update.reason.split()) or "no reason given"
        _reject(session, None, registration, f"The LMS refused the enrollment: {reason}"[:1000],
                automatic=get_settings().lms_rejection_refund == "auto")
    _sync_parents(session, {registration.parent_id} if registration.parent_id else set())
    return f"enrollment {enrollment.status}"


def pay_lms_refund(*, session: Session, order_item_id: str) -> None:
    """After the LMS's answer is committed: pay the refund it made automatic, if any."""
    order_id = session.exec(select(Registration.order_id).where(
        Registration.dedupe_key == order_item_id)).first()
    if order_id is not None:
        refund_steps().pay_approved(session=session, order_id=order_id)


# ---------------------------------------------------------------- the queue


def _for_review(session: Session, actor: Actor, registration_id: int) -> Registration:
    """The registration locked for a decision (other reviewers wait; on SQLite too)."""
    registration = session.exec(for_update(
        session, select(Registration).where(Registration.id == registration_id))).first()
    scope = queue_scope(session, actor)
    if (registration is None or registration.kind != "course"
            or (scope is not None and registration.department_id not in scope)):
        session.rollback()
        raise not_found("registration", registration_id)
    return registration


# Deciding again what is already decided that way changes nothing and answers with it.
_APPROVED = frozenset({RegistrationStatus.APPROVED.value, RegistrationStatus.ENROLLED.value})


def approve(*, session: Session, actor: Actor | None, registration_id: int) -> QueueRow:
    actor = require_section(actor, SECTION)
    registration = _for_review(session, actor, registration_id)
    if registration.status not in _APPROVED:
        try:
            _approve(session, registration, reviewer=actor, note="approved in the queue")
        except DomainError:
            session.rollback()
            raise
        _sync_parents(session, {registration.parent_id} if registration.parent_id else set())
    session.commit()
    return one_queue_row(session, registration_id)


def _reject(session: Session, actor: Actor | None, registration: Registration, reason: str,
            *, automatic: bool = False) -> None:
    """Pending (or approved, when the LMS refuses it) -> rejected, the learner emailed why,
    and what they paid for the place opened as a refund (REG-009): a request in the billing
    admins' queue, or approved by the system at once when ``automatic`` (paid after the
    commit, see ``PaidPlaceRefunds``). ``actor`` None: the LMS decided."""
    require_registration_move(registration.status, RegistrationStatus.REJECTED.value)
    now = utcnow()
    transition_registration(session=session, registration=registration,
                            target=RegistrationStatus.REJECTED, actor=actor,
                            action="registration.rejected", reason=reason)
    registration.rejection_reason = reason
    registration.reviewed_by_id = actor.user_id if actor else None
    registration.reviewed_at = now
    registration.updated_at = now
    session.add(registration)
    email_learner(session, registration, "registration-rejected")
    _sync_parents(session, {registration.parent_id} if registration.parent_id else set())
    if registration.order_id is not None and registration.amount_paid > 0:
        refund_steps().open(session=session, registration=registration, actor=actor,
                                   reason=reason, automatic=automatic)


def _refund_automatically() -> bool:
    """US-024: an admin's rejection of a paid place pays it back at once
    (``COMMERCE_REFUND_ON_REJECT=automatic``) or opens a request in the refund queue (the
    default, ``queue``)."""
    return get_settings().refund_on_reject == "automatic"


def _pay_if_automatic(session: Session, registration: Registration, automatic: bool) -> None:
    """After the rejection's commit: pay the refund it approved, if any (the refund_retry job
    does when this fails)."""
    if automatic and registration.order_id is not None and registration.amount_paid > 0:
        refund_steps().pay_approved(session=session, order_id=registration.order_id)


def reject(*, session: Session, actor: Actor | None, registration_id: int,
           reason: str) -> QueueRow:
    actor = require_section(actor, SECTION)
    cleaned = check_rejection_reason(reason)
    registration = _for_review(session, actor, registration_id)
    rejected_now = registration.status != RegistrationStatus.REJECTED.value
    automatic = _refund_automatically()
    if rejected_now:
        try:
            _reject(session, actor, registration, cleaned, automatic=automatic)
        except DomainError:
            session.rollback()
            raise
    session.commit()
    if rejected_now:
        _pay_if_automatic(session, registration, automatic)
    return one_queue_row(session, registration_id)


def cancel_pending(*, session: Session, actor: Actor | None,
                   registration_id: int) -> tuple[Registration, bool]:
    """The learner cancels their own course registration while it waits for approval
    (pending -> cancelled, audited as theirs), in the caller's transaction (it stays locked
    until the commit). Returns it and whether it changed: cancelling again is harmless.
    Someone else's registration is "not found"; one already decided is refused (409)."""
    if actor is None:
        raise DomainError("not_signed_in", "Sign in to continue.",
                          kind=ErrorKind.UNAUTHENTICATED)
    registration = session.exec(for_update(
        session, select(Registration).where(Registration.id == registration_id))).first()
    if (registration is None or registration.user_id != actor.user_id
            or registration.kind != "course"):
        session.rollback()
        raise not_found("registration", registration_id)
    if registration.status == RegistrationStatus.CANCELLED.value:
        return registration, False
    if registration.status != RegistrationStatus.PENDING.value:
        session.rollback()
        raise DomainError("registration_not_cancellable",
                          f"This registration is {registration.status}: only one waiting for "
                          "approval can be cancelled here.", kind=ErrorKind.CONFLICT)
    transition_registration(session=session, registration=registration,
                            target=RegistrationStatus.CANCELLED, actor=actor,
                            action="registration.cancelled_by_learner",
                            reason="Cancelled by the learner while waiting for approval.")
    registration.updated_at = utcnow()
    session.add(registration)
    sync_program_registrations(session, [registration.parent_id], after_refund=True)
    return registration, True


def bulk(*, session: Session, actor: Actor | None, ids: list[int], action: str,
         reason: str = "") -> list[BulkOutcome]:
    """Approve or reject a selection; each item is decided (and committed) on its own."""
    actor = require_section(actor, SECTION)
    if action not in ("approve", "reject"):
        raise DomainError("invalid_action", "Choose approve or reject.", field="action")
    if not ids:
        raise DomainError("nothing_selected", "Select at least one registration.", field="ids")
    if len(ids) > MAX_BULK:
        raise DomainError("too_many", f"Select at most {MAX_BULK} registrations at once.",
                          field="ids")
    cleaned = check_rejection_reason(reason) if action == "reject" else ""
    outcomes: list[BulkOutcome] = []
    for registration_id in dict.fromkeys(ids):
        number = f"#{registration_id}"
        try:
            registration = _for_review(session, actor, registration_id)
            number = registration_number(registration_id, registration.created_at)
            if action == "approve" and registration.status not in _APPROVED:
                _approve(session, registration, reviewer=actor, note="approved in bulk")
                _sync_parents(session, {registration.parent_id} if registration.parent_id
                              else set())
            elif action == "reject" and registration.status != RegistrationStatus.REJECTED:
                automatic = _refund_automatically()
                _reject(session, actor, registration, cleaned, automatic=automatic)
                session.commit()
                _pay_if_automatic(session, registration, automatic)
            session.commit()
            outcomes.append(BulkOutcome(registration_id, number, True,
                                        "approved" if action == "approve" else "rejected"))
        except (DomainError, IntegrityError) as exc:
            session.rollback()
            message = exc.message if isinstance(exc, DomainError) else "changed meanwhile"
            outcomes.append(BulkOutcome(registration_id, number, False, message))
    return outcomes


