"""Whether a learner may open a course now (spec 004 "Course Access Verification"): their
live enrollment, since when, until when (a subscription set to end), how far they are, and
the next module to take."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from commerce_dash.domain.errors import not_found
from commerce_dash.domain.registrations import EnrollmentStatus
from commerce_dash.models.catalog import Course, CourseModule
from commerce_dash.models.certificates import ModuleProgress
from commerce_dash.models.enrollment import Enrollment, Registration
from commerce_dash.models.subscriptions import Subscription
from commerce_dash.services.learning.progress import completion_of


@dataclass(frozen=True)
class NextModule:
    position: int
    title: str


@dataclass(frozen=True)
class CourseAccess:
    course_id: int
    has_access: bool
    status: str  # active | pending (the LMS has not answered) | none
    enrollment_date: datetime | None
    access_expires: datetime | None  # a subscription's access, when it is set to end
    course_progress: int  # percent, floored
    completed: bool
    next_module: NextModule | None


def _expires(session: Session, enrollment: Enrollment) -> datetime | None:
    if enrollment.registration_id is None:
        return None
    registration = session.get(Registration, enrollment.registration_id)
    if registration is None or registration.subscription_id is None:
        return None
    subscription = session.get(Subscription, registration.subscription_id)
    if subscription is None or not subscription.cancel_at_period_end:
        return None
    return subscription.current_period_end


def course_access(*, session: Session, user_id: int, course_id: int) -> CourseAccess:
    """The learner's access to a published course (404 for an unknown or hidden one)."""
    course = session.get(Course, course_id)
    if course is None or not course.published:
        raise not_found("course", course_id)
    enrollment = session.exec(select(Enrollment).where(
        Enrollment.user_id == user_id, Enrollment.course_id == course_id,
        col(Enrollment.status).in_((EnrollmentStatus.ACTIVE.value,
                                    EnrollmentStatus.PENDING.value)))
        .order_by(col(Enrollment.id).desc())).first()
    if enrollment is None:
        return CourseAccess(course_id, False, "none", None, None, 0, False, None)
    active = enrollment.status == EnrollmentStatus.ACTIVE.value
    result = completion_of(session, enrollment) if active else None
    done = set(session.exec(select(ModuleProgress.module_id).where(
        ModuleProgress.enrollment_id == enrollment.id,
        col(ModuleProgress.completed).is_(True))).all())
    upcoming = session.exec(select(CourseModule).where(
        CourseModule.course_id == course_id, col(CourseModule.id).not_in(done or {0}))
        .order_by(col(CourseModule.position))).first()
    return CourseAccess(
        course_id=course_id, has_access=active, status=enrollment.status,
        enrollment_date=enrollment.activated_at or enrollment.requested_at,
        access_expires=_expires(session, enrollment) if active else None,
        course_progress=result.percent_done if result else 0,
        completed=bool(result and result.complete),
        next_module=NextModule(upcoming.position, upcoming.title)
        if active and upcoming is not None else None,
    )
