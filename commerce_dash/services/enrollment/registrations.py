"""Registrations: created with the order's completion, approved or rejected in the queue,
turned into enrollments (local mode: active at once).

Exactly one registration per order line and course (``dedupe_key``, unique). A program line
gives a program registration and one registration per course of the program, linked to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import ColumnElement, func, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from commerce_dash import routes
from commerce_dash.connectors.webhooks import queue_webhook
from commerce_dash.db import for_update
from commerce_dash.domain.access import RoleName
from commerce_dash.domain.actor import Actor, require_section
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.errors import DomainError, ErrorKind, not_found
from commerce_dash.domain.ledger import scale
from commerce_dash.domain.money import format_minor
from commerce_dash.domain.orders import order_number
from commerce_dash.domain.paging import Page, PageRequest
from commerce_dash.domain.registrations import (
    EnrollmentStatus,
    RegistrationStatus,
    approval_required,
    can_move_enrollment,
    check_rejection_reason,
    require_registration_move,
)
from commerce_dash.models.accounts import User
from commerce_dash.models.catalog import Course, Department, Program, ProgramCourse
from commerce_dash.models.commerce import Order, OrderLine, RefundRequest
from commerce_dash.models.delivery import OutboxMessage
from commerce_dash.models.enrollment import Enrollment, Registration
from commerce_dash.notify.outbox_email import queue_email
from commerce_dash.services.catalog.catalog import like_pattern
from commerce_dash.services.enrollment.lms_users import lms_user_id, remember
from commerce_dash.services.enrollment.ownership import owned_courses
from commerce_dash.services.enrollment.registration_status import (
    new_enrollment,
    sync_program_registrations,
    transition_enrollment,
    transition_registration,
)
from commerce_dash.services.platform.audit import record_audit
from commerce_dash.services.platform.org import (
    department_options,
    department_parents,
    managed_departments,
    require_managed,
)
from commerce_dash.services.revenue.ledger import course_list_shares, course_shares, sale_of
from commerce_dash.settings import get_settings

SECTION = "registrations"
MAX_BULK = 500


@dataclass(frozen=True)
class QueueRow:
    id: int
    number: str
    status: str
    learner_name: str
    learner_email: str
    kind: str
    title: str
    program_title: str
    department: str
    order_number: str
    amount_label: str
    payment_status: str
    created_at: datetime
    reviewed_by: str
    reviewed_at: datetime | None
    rejection_reason: str
    refund: str = ""  # "Refund of $100.00 requested" once a rejection asked for one


@dataclass(frozen=True)
class BulkOutcome:
    id: int
    number: str
    ok: bool
    message: str


class PaidPlaceRefunds(Protocol):
    """How a paid place that is not given is paid back. Refunds belong to commerce, which sits
    above enrollment (it creates registrations when an order is paid), so commerce hands its
    refund steps in here when it is imported (``services/commerce/refunds.py``)."""

    def open(self, *, session: Session, registration: Registration, actor: Actor | None,
             reason: str, automatic: bool) -> object: ...

    def pay_approved(self, *, session: Session, order_id: int) -> int: ...


_refunds: list[PaidPlaceRefunds] = []


def use_refunds(refunds: PaidPlaceRefunds) -> None:
    """Commerce's refund steps for places not given (the last one set wins)."""
    _refunds[:] = [refunds]


def _paid_place_refunds() -> PaidPlaceRefunds:
    """Fails closed: a paid rejection with no refund steps set is an error (its transaction
    rolls back), never a place rejected with the money kept."""
    if not _refunds:
        raise RuntimeError("no refund steps for paid places: commerce_dash.services.commerce"
                           ".refunds was not imported")
    return _refunds[0]


def registration_number(registration_id: int, created_at: datetime) -> str:
    return f"REG-{created_at.year:04d}-{registration_id:05d}"


# ---------------------------------------------------------------- creation


def _approval_settings(session: Session) -> tuple[dict[int, bool | None], dict[int, int | None]]:
    rows = session.exec(select(Department.id, Department.approval_required)).all()
    return {d: a for d, a in rows if d is not None}, department_parents(session=session)


def create_for_order(session: Session, order: Order, lines: list[OrderLine]) -> None:
    """ORDER_COMPLETED hook: registrations for every course bought, in the order's transaction.

    Auto-approved ones are approved and enrolled at once; the others wait in the queue. A
    course the learner already owns through something else gets none (the duplicate is
    refunded, see ``settlement.complete_order``).
    """
    assert order.id is not None
    owned = set(owned_courses(session=session, user_id=order.user_id, except_order_id=order.id))
    settings_by_dept, parents = _approval_settings(session)
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
            _email(session, registration, "registration-pending")
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


def _title(session: Session, registration: Registration) -> str:
    if registration.course_id is not None:
        course = session.get(Course, registration.course_id)
        return course.title if course else ""
    program = session.get(Program, registration.program_id) if registration.program_id else None
    return program.title if program else ""


def _email(session: Session, registration: Registration, template: str) -> None:
    user = session.get(User, registration.user_id)
    if user is None or registration.id is None:
        return
    number = registration_number(registration.id, registration.created_at)
    base = get_settings().public_url.rstrip("/")
    context = {"user_name": user.full_name, "registration_number": number,
               "course_title": _title(session, registration)}
    if template == "registration-approved":
        context["enrollment_url"] = f"{base}{routes.ACCOUNT}"
    if template == "registration-rejected":
        context["reason"] = registration.rejection_reason
    if template == "enrollment-welcome":
        context["start_url"] = f"{base}{routes.ACCOUNT}"
    queue_email(session=session, template=template, to=user.email, context=context,
                dedupe_key=f"{template}:{registration.id}")


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
        _request_lms_enrollment(session, registration, now)
    else:
        new_enrollment(session=session, registration=registration, mode="local",
                       status=EnrollmentStatus.ACTIVE, activated_at=now, requested_at=now)
        transition_registration(session=session, registration=registration,
                                target=RegistrationStatus.ENROLLED, actor=reviewer,
                                action="registration.enrolled", reason=note)
    if reviewer is not None:
        _email(session, registration, "registration-approved")
    if registration.status == RegistrationStatus.ENROLLED.value:
        _email(session, registration, "enrollment-welcome")


def _request_lms_enrollment(session: Session, registration: Registration, now: datetime,
                            attempt: int = 0) -> None:
    """The enrollment request of spec 001 ("Request Payload"), through the outbox."""
    settings = get_settings()
    course = session.get(Course, registration.course_id)
    user = session.get(User, registration.user_id)
    assert course is not None and user is not None and registration.id is not None
    body = {
        "source": "commerce-platform",
        "apiKey": settings.lms_connector_key,
        "payload": {
            "orderId": str(registration.order_id or ""),
            "orderItemId": registration.dedupe_key,
            # the LMS's own id of the learner; until it names them, their email finds them
            "userId": lms_user_id(session=session, user_id=registration.user_id),
            "userEmail": user.email,
            "courseId": course.lms_id or course.code,
            "instructorId": str(course.instructor_id) if course.instructor_id else None,
            "approvalStatus": "pending",
            "autoApprove": not registration.approval_required,
            "purchaseMetadata": {
                **_purchase_amounts(session, registration),
                "contentCreatorId": str(course.content_creator_id or ""),
                "purchaseDate": now.isoformat(),
            },
        },
    }
    queue_webhook(session=session, connector_key_id=settings.lms_connector_key,
                  url=settings.lms_enrollment_url, event="enrollment.request", body=body,
                  dedupe_key=f"lms-enrollment:{registration.id}"
                  + (f":retry-{attempt}" if attempt else ""))


def _purchase_amounts(session: Session, registration: Registration) -> dict[str, int | str]:
    """What was paid for this course (minor units of the settlement currency, the ledger's):
    ``grossAmount`` its list price share, ``netAmount`` what was paid for it after discount
    and before tax, the tax and its share of the processor fee beside them (its sale entry)."""
    order = session.get(Order, registration.order_id) if registration.order_id else None
    line = session.get(OrderLine, registration.order_line_id) if registration.order_line_id \
        else None
    sale = (sale_of(session, line.id or 0, registration.course_id or 0)
            if line is not None else None)
    if order is None or line is None or sale is None:
        return {"grossAmount": registration.amount_paid, "netAmount": registration.amount_paid,
                "taxAmount": 0, "processorFee": 0, "currency": registration.currency}
    listed = course_list_shares(session, order, line).get(sale.course_id, sale.gross)
    if sale.currency != line.currency:  # charged in another currency: its settlement worth
        gross = next((g for course, g, _ in course_shares(session, order, line)
                      if course.id == sale.course_id), 0)
        listed = scale(sale.gross, listed, gross) if gross else sale.gross
    return {"grossAmount": listed, "netAmount": sale.gross, "taxAmount": sale.tax,
            "processorFee": sale.processor_fee, "currency": sale.currency}


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
        _email(session, registration, "enrollment-welcome")
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
        _paid_place_refunds().pay_approved(session=session, order_id=order_id)


# ---------------------------------------------------------------- the queue


def _scope(session: Session, actor: Actor) -> frozenset[int] | None:
    """Departments whose registrations the actor reviews; None means all."""
    if actor.is_super_admin:
        return None
    return actor.departments_for(RoleName.ENROLLMENT_ADMIN, department_parents(session=session))


def _row_query():  # type: ignore[no-untyped-def]
    return (
        select(Registration, User.full_name, User.email, Department.name, Order)
        .join(User, col(User.id) == Registration.user_id)
        .join(Department, col(Department.id) == Registration.department_id)
        .outerjoin(Order, col(Order.id) == Registration.order_id)
    )


def _rows(session: Session, found: list) -> list[QueueRow]:  # type: ignore[type-arg]
    locale = get_settings().default_locale
    course_ids = {r.course_id for r, *_ in found if r.course_id}
    program_ids = {r.program_id for r, *_ in found if r.program_id}
    reviewer_ids = {r.reviewed_by_id for r, *_ in found if r.reviewed_by_id}
    courses = dict(session.exec(select(Course.id, Course.title).where(
        col(Course.id).in_(course_ids or {0}))).all())
    programs = dict(session.exec(select(Program.id, Program.title).where(
        col(Program.id).in_(program_ids or {0}))).all())
    reviewers = dict(session.exec(select(User.id, User.full_name).where(
        col(User.id).in_(reviewer_ids or {0}))).all())
    refunds = {
        registration_id: (amount, currency, status)
        for registration_id, amount, currency, status in session.exec(
            select(RefundRequest.registration_id, RefundRequest.amount, RefundRequest.currency,
                   RefundRequest.status)
            .where(col(RefundRequest.registration_id).in_(
                {r.id for r, *_ in found if r.id is not None} or {0}))
        ).all()
    }
    rows = []
    for registration, name, email, department, order in found:
        assert registration.id is not None
        title = (courses.get(registration.course_id, "") if registration.kind == "course"
                 else programs.get(registration.program_id, ""))
        rows.append(QueueRow(
            id=registration.id,
            number=registration_number(registration.id, registration.created_at),
            status=registration.status, learner_name=name, learner_email=email,
            kind=registration.kind, title=title,
            program_title=programs.get(registration.program_id, "")
            if registration.kind == "course" and registration.program_id else "",
            department=department,
            order_number=order_number(order.id, order.created_at) if order and order.id else "",
            amount_label=format_minor(registration.amount_paid, registration.currency, locale)
            if registration.currency else "",
            payment_status=order.payment_status if order else "",
            created_at=registration.created_at,
            reviewed_by=reviewers.get(registration.reviewed_by_id, "")
            if registration.reviewed_by_id else "",
            reviewed_at=registration.reviewed_at,
            rejection_reason=registration.rejection_reason,
            refund=_refund_label(refunds.get(registration.id), locale),
        ))
    return rows


def _refund_label(refund: tuple[int, str, str] | None, locale: str) -> str:
    if refund is None:
        return ""
    amount, currency, status = refund
    return f"Refund of {format_minor(amount, currency, locale)} {status}"


def list_queue(
    *, session: Session, actor: Actor | None, page: PageRequest, status: str = "pending",
    course_id: int | None = None, date_from: datetime | None = None,
    date_to: datetime | None = None, learner: str = "",
) -> Page[QueueRow]:
    """Course registrations in the actor's departments, oldest first, paged in SQL."""
    actor = require_section(actor, SECTION)
    scope = _scope(session, actor)
    conditions: list[ColumnElement[bool]] = [col(Registration.kind) == "course"]
    if status and status != "any":
        if status not in RegistrationStatus._value2member_map_:
            raise DomainError("invalid_status", "Choose a registration status.", field="status")
        conditions.append(col(Registration.status) == status)
    if scope is not None:
        conditions.append(col(Registration.department_id).in_(scope or {0}))
    if course_id is not None:
        conditions.append(col(Registration.course_id) == course_id)
    if date_from is not None:
        conditions.append(col(Registration.created_at) >= date_from)
    if date_to is not None:
        conditions.append(col(Registration.created_at) < date_to)
    query = _row_query().where(*conditions)
    pattern = like_pattern(learner)
    if pattern:
        query = query.where(or_(col(User.email).ilike(pattern, escape="\\"),
                                col(User.full_name).ilike(pattern, escape="\\")))
        total = session.exec(select(func.count()).select_from(query.subquery())).one()
    else:  # no join needed to count: the registration rows alone
        total = session.exec(
            select(func.count()).select_from(Registration).where(*conditions)
        ).one()
    found = session.exec(
        query.order_by(col(Registration.created_at), col(Registration.id))
        .offset(page.offset).limit(page.page_size)
    ).all()
    return Page(_rows(session, list(found)), int(total), page.page, page.page_size)


def queue_course_options(*, session: Session, actor: Actor | None) -> list[tuple[int, str]]:
    actor = require_section(actor, SECTION)
    scope = _scope(session, actor)
    query = select(Course.id, Course.code, Course.title)
    if scope is not None:
        query = query.where(col(Course.department_id).in_(scope or {0}))
    return [(cid, f"{code} · {title}") for cid, code, title in
            session.exec(query.order_by(col(Course.code))).all() if cid is not None]


def _for_review(session: Session, actor: Actor, registration_id: int) -> Registration:
    """The registration locked for a decision (other reviewers wait; on SQLite too)."""
    registration = session.exec(for_update(
        session, select(Registration).where(Registration.id == registration_id))).first()
    scope = _scope(session, actor)
    if (registration is None or registration.kind != "course"
            or (scope is not None and registration.department_id not in scope)):
        session.rollback()
        raise not_found("registration", registration_id)
    return registration


# Deciding again what is already decided that way changes nothing and answers with it.
_APPROVED = frozenset({RegistrationStatus.APPROVED.value, RegistrationStatus.ENROLLED.value})


def _one(session: Session, registration_id: int) -> QueueRow:
    found = session.exec(_row_query().where(Registration.id == registration_id)).all()
    return _rows(session, list(found))[0]


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
    return _one(session, registration_id)


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
    _email(session, registration, "registration-rejected")
    _sync_parents(session, {registration.parent_id} if registration.parent_id else set())
    if registration.order_id is not None and registration.amount_paid > 0:
        _paid_place_refunds().open(session=session, registration=registration, actor=actor,
                                   reason=reason, automatic=automatic)


def reject(*, session: Session, actor: Actor | None, registration_id: int,
           reason: str) -> QueueRow:
    actor = require_section(actor, SECTION)
    cleaned = check_rejection_reason(reason)
    registration = _for_review(session, actor, registration_id)
    if registration.status != RegistrationStatus.REJECTED.value:
        try:
            _reject(session, actor, registration, cleaned)
        except DomainError:
            session.rollback()
            raise
    session.commit()
    return _one(session, registration_id)


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
                _reject(session, actor, registration, cleaned)
            session.commit()
            outcomes.append(BulkOutcome(registration_id, number, True,
                                        "approved" if action == "approve" else "rejected"))
        except (DomainError, IntegrityError) as exc:
            session.rollback()
            message = exc.message if isinstance(exc, DomainError) else "changed meanwhile"
            outcomes.append(BulkOutcome(registration_id, number, False, message))
    return outcomes


def list_for_learner(*, session: Session, user_id: int) -> list[QueueRow]:
    found = session.exec(
        _row_query().where(Registration.user_id == user_id)
        .order_by(col(Registration.created_at).desc(), col(Registration.id))
    ).all()
    return _rows(session, list(found))


def get_for_learner(*, session: Session, user_id: int, registration_id: int) -> QueueRow:
    registration = session.get(Registration, registration_id)
    if registration is None or registration.user_id != user_id:
        raise not_found("registration", registration_id)
    return _one(session, registration_id)


def get_for_admin(*, session: Session, actor: Actor | None, registration_id: int) -> QueueRow:
    actor = require_section(actor, SECTION)
    registration = session.get(Registration, registration_id)
    scope = _scope(session, actor)
    if registration is None or (scope is not None and registration.department_id not in scope):
        raise not_found("registration", registration_id)
    return _one(session, registration_id)


def pending_count(*, session: Session, departments: frozenset[int] | None) -> int:
    query = select(func.count()).select_from(Registration).where(
        Registration.kind == "course", Registration.status == RegistrationStatus.PENDING.value)
    if departments is not None:
        query = query.where(col(Registration.department_id).in_(departments or {0}))
    return int(session.exec(query).one())


@dataclass(frozen=True)
class MyCourse:
    code: str
    title: str
    status: str  # active | pending (waiting for the LMS)
    since: datetime


def my_courses(*, session: Session, user_id: int) -> list[MyCourse]:
    """The learner's live enrollments (ENR-003), newest first."""
    rows = session.execute(
        select(Course.code, Course.title, Enrollment.status,  # type: ignore[call-overload]
               Enrollment.requested_at, Enrollment.activated_at)
        .join(Course, col(Course.id) == Enrollment.course_id)
        .where(Enrollment.user_id == user_id,
               col(Enrollment.status).in_((EnrollmentStatus.ACTIVE.value,
                                           EnrollmentStatus.PENDING.value)))
        .order_by(col(Enrollment.requested_at).desc())
    ).all()
    return [MyCourse(code, title, status, activated or requested)
            for code, title, status, requested, activated in rows]


@dataclass(frozen=True)
class ApprovalRule:
    department_id: int
    department: str
    setting: bool | None  # None: follows the parent department
    effective: bool


def approval_rules(*, session: Session, actor: Actor | None) -> list[ApprovalRule]:
    """The approval rule of each department the actor manages (dept-admins: theirs)."""
    scope = managed_departments(session=session, actor=actor, section="courses")
    settings_by_dept, parents = _approval_settings(session)
    return [
        ApprovalRule(dept_id, label, settings_by_dept.get(dept_id),
                     approval_required(None, dept_id, settings_by_dept, parents))
        for dept_id, label in department_options(session=session, within=scope)
    ]


def set_department_approval(*, session: Session, actor: Actor | None, department_id: int,
                            setting: bool | None) -> ApprovalRule:
    """Set (or clear, to inherit) whether registrations of a department wait for approval."""
    actor = require_managed(session, actor, "courses", department_id)
    department = session.get(Department, department_id)
    if department is None:
        raise not_found("department", department_id)
    before = department.approval_required
    department.approval_required = setting
    department.updated_at = utcnow()
    session.add(department)
    record_audit(session=session, actor=actor, action="department.approval_rule_changed",
                 entity_type="department", entity_id=department_id,
                 before={"approval_required": before}, after={"approval_required": setting})
    session.commit()
    rule = next(r for r in approval_rules(session=session, actor=actor)
                if r.department_id == department_id)
    return rule


@dataclass(frozen=True)
class StuckEnrollment:
    enrollment_id: int
    registration_number: str
    learner_email: str
    course_title: str
    requested_at: datetime
    delivery: str  # what the outbox says about the latest request


def stuck_lms_enrollments(*, session: Session, actor: Actor | None, older_than_minutes: int = 30,
                          limit: int = 100) -> list[StuckEnrollment]:
    """LMS enrollments still pending after ``older_than_minutes`` (in the actor's scope)."""
    from datetime import timedelta

    actor = require_section(actor, SECTION)
    scope = _scope(session, actor)
    query = (
        select(Enrollment, Registration, User.email, Course.title)
        .join(Registration, col(Registration.id) == Enrollment.registration_id)
        .join(User, col(User.id) == Enrollment.user_id)
        .join(Course, col(Course.id) == Enrollment.course_id)
        .where(Enrollment.mode == "lms", Enrollment.status == EnrollmentStatus.PENDING.value,
               col(Enrollment.requested_at) < utcnow() - timedelta(minutes=older_than_minutes))
    )
    if scope is not None:
        query = query.where(col(Registration.department_id).in_(scope or {0}))
    rows = session.exec(query.order_by(col(Enrollment.requested_at)).limit(limit)).all()
    result = []
    for enrollment, registration, email, title in rows:
        assert enrollment.id is not None and registration.id is not None
        latest = session.exec(
            select(OutboxMessage.status, OutboxMessage.attempts)
            .where(col(OutboxMessage.dedupe_key).startswith(f"lms-enrollment:{registration.id}"))
            .order_by(col(OutboxMessage.id).desc())
        ).first()
        delivery = (f"request {latest[0]} after {latest[1]} attempt(s)" if latest
                    else "no request found")
        result.append(StuckEnrollment(
            enrollment.id, registration_number(registration.id, registration.created_at),
            email, title, enrollment.requested_at, delivery))
    return result


def retry_lms_enrollment(*, session: Session, actor: Actor | None, enrollment_id: int) -> str:
    """Send the enrollment request again (a new request; the LMS drops repeats by item id)."""
    actor = require_section(actor, SECTION)
    enrollment = session.get(Enrollment, enrollment_id)
    registration = (session.get(Registration, enrollment.registration_id)
                    if enrollment is not None and enrollment.registration_id else None)
    scope = _scope(session, actor)
    if (enrollment is None or registration is None or enrollment.mode != "lms"
            or (scope is not None and registration.department_id not in scope)):
        raise not_found("enrollment", enrollment_id)
    if enrollment.status != EnrollmentStatus.PENDING.value:
        raise DomainError("enrollment_not_pending", f"This enrollment is {enrollment.status}.",
                          kind=ErrorKind.CONFLICT)
    if not get_settings().lms_mode:
        raise DomainError("lms_not_configured", "No LMS is configured.", kind=ErrorKind.CONFLICT)
    tries = session.exec(select(func.count()).select_from(OutboxMessage).where(
        col(OutboxMessage.dedupe_key).startswith(f"lms-enrollment:{registration.id}"))).one()
    _request_lms_enrollment(session, registration, utcnow(), attempt=int(tries))
    record_audit(session=session, actor=actor, action="enrollment.lms_request_retried",
                 entity_type="enrollment", entity_id=enrollment_id,
                 after={"request": int(tries) + 1})
    session.commit()
    return f"Enrollment request sent again (request {int(tries) + 1})."
