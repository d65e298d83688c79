"""Enrollment at the LMS: the request sent when a registration is approved (with what the
learner paid, for the LMS's revenue share), and the administrators' list of requests the LMS
never answered, with a retry.

Re-exported by ``registrations.py``, the registrations' public face.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from commerce_dash.connectors.webhooks import queue_webhook
from commerce_dash.domain.actor import Actor, require_section
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.errors import DomainError, ErrorKind, not_found
from commerce_dash.domain.ledger import scale
from commerce_dash.domain.registrations import EnrollmentStatus
from commerce_dash.models.accounts import User
from commerce_dash.models.catalog import Course
from commerce_dash.models.commerce import Order, OrderLine
from commerce_dash.models.delivery import OutboxMessage
from commerce_dash.models.enrollment import Enrollment, Registration
from commerce_dash.services.enrollment.lms_users import lms_user_id
from commerce_dash.services.enrollment.registration_views import (
    SECTION,
    queue_scope,
    registration_number,
)
from commerce_dash.services.platform import record_audit
from commerce_dash.services.revenue import course_list_shares, course_shares, sale_of
from commerce_dash.settings import get_settings


def request_lms_enrollment(session: Session, registration: Registration, now: datetime,
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
    listed = course_list_shares(session, order, line).get(sale.course_id or 0, sale.gross)
    if sale.currency != line.currency:  # charged in another currency: its settlement worth
        gross = next((g for course, g, _ in course_shares(session, order, line)
                      if course.id == sale.course_id), 0)
        listed = scale(sale.gross, listed, gross) if gross else sale.gross
    return {"grossAmount": listed, "netAmount": sale.gross, "taxAmount": sale.tax,
            "processorFee": sale.processor_fee, "currency": sale.currency}


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
    scope = queue_scope(session, actor)
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
    scope = queue_scope(session, actor)
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
    request_lms_enrollment(session, registration, utcnow(), attempt=int(tries))
    record_audit(session=session, actor=actor, action="enrollment.lms_request_retried",
                 entity_type="enrollment", entity_id=enrollment_id,
                 after={"request": int(tries) + 1})
    session.commit()
    return f"Enrollment request sent again (request {int(tries) + 1})."
