"""Registrations as read: the approval queue and its rows, a learner's registrations and courses,
the pending count, the registration number shown everywhere.

Re-exported by ``registrations.py``, the registrations' public face.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, or_
from sqlmodel import Session, col, select

from commerce_dash.domain.access import RegistrationReviewers, RoleName, reviews_registrations
from commerce_dash.domain.actor import Actor, require_section
from commerce_dash.domain.errors import DomainError, not_found
from commerce_dash.domain.money import format_minor
from commerce_dash.domain.orders import order_number
from commerce_dash.domain.paging import Page, PageRequest
from commerce_dash.domain.registrations import EnrollmentStatus, RegistrationStatus
from commerce_dash.models.accounts import User
from commerce_dash.models.catalog import Course, Department, Program
from commerce_dash.models.commerce import Order, RefundRequest
from commerce_dash.models.enrollment import Enrollment, Registration
from commerce_dash.services.catalog import like_pattern
from commerce_dash.services.platform import department_parents
from commerce_dash.settings import get_settings

SECTION = "registrations"


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


def registration_number(registration_id: int, created_at: datetime) -> str:
    return f"REG-{created_at.year:04d}-{registration_id:05d}"


def queue_scope(session: Session, actor: Actor) -> frozenset[int] | None:
    """Departments whose registrations the actor reviews; None means all.

    Enrollment admins and dept-admins review the departments they were granted (and their
    subdepartments) whose ``registration_reviewers`` setting names their role (REG-003).
    """
    if actor.is_super_admin:
        return None
    parents = department_parents(session=session)
    reviewers = dict(session.exec(select(Department.id, Department.registration_reviewers)).all())
    found: set[int] = set()
    for role in (RoleName.ENROLLMENT_ADMIN, RoleName.DEPT_ADMIN):
        granted = actor.departments_for(role, parents) or frozenset()
        found.update(d for d in granted
                     if reviews_registrations(role, reviewers.get(d, RegistrationReviewers.BOTH)))
    return frozenset(found)


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
    scope = queue_scope(session, actor)
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
    scope = queue_scope(session, actor)
    query = select(Course.id, Course.code, Course.title)
    if scope is not None:
        query = query.where(col(Course.department_id).in_(scope or {0}))
    return [(cid, f"{code} · {title}") for cid, code, title in
            session.exec(query.order_by(col(Course.code))).all() if cid is not None]


def one_queue_row(session: Session, registration_id: int) -> QueueRow:
    found = session.exec(_row_query().where(Registration.id == registration_id)).all()
    return _rows(session, list(found))[0]


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
    return one_queue_row(session, registration_id)


def get_for_admin(*, session: Session, actor: Actor | None, registration_id: int) -> QueueRow:
    actor = require_section(actor, SECTION)
    registration = session.get(Registration, registration_id)
    scope = queue_scope(session, actor)
    if registration is None or (scope is not None and registration.department_id not in scope):
        raise not_found("registration", registration_id)
    return one_queue_row(session, registration_id)


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
