"""Module progress and completion: record a report once, decide completion, issue the
course certificate once (and the program's when all its courses are complete).

The certificate row is unique per enrollment (and per learner and program), so repeated or
concurrent completion events give one certificate.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from commerce_dash.domain.actor import Actor
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.completion import (
    CompletionResult,
    Requirement,
    evaluate_completion,
)
from commerce_dash.domain.completion import ModuleProgress as Progress
from commerce_dash.domain.errors import DomainError, ErrorKind, not_found
from commerce_dash.domain.registrations import EnrollmentStatus
from commerce_dash.models.accounts import User
from commerce_dash.models.catalog import Course, CourseModule, Program, ProgramCourse
from commerce_dash.models.certificates import (
    Certificate,
    ModuleProgress,
    ProgressEvent,
)
from commerce_dash.models.enrollment import Enrollment, Registration
from commerce_dash.services.learning.certificate_facts import new_certificate_number
from commerce_dash.services.learning.certificates import issue_certificate
from commerce_dash.services.learning.completion_rules import (
    attended_step_ids,
    course_step_ids,
    criteria_for,
    expiry,
)
from commerce_dash.services.platform import record_audit


@dataclass(frozen=True)
class ProgressReport:
    enrollment_id: int
    module_id: int
    completed: bool
    score: int | None = None
    minutes: int = 0
    source: str = "learner"
    event_id: str = ""  # makes a report idempotent when given


@dataclass(frozen=True)
class ProgressOutcome:
    applied: bool  # False: this event was seen before
    completion: CompletionResult
    certificate_number: str  # "" until the course is complete


def _module_ids(session: Session, course_id: int) -> list[int]:
    return [m for m in session.exec(
        select(CourseModule.id).where(CourseModule.course_id == course_id)
        .order_by(col(CourseModule.position))
    ).all() if m is not None]


def completion_of(session: Session, enrollment: Enrollment) -> CompletionResult:
    """The enrollment's completion under its course's rule (modules, or steps attended)."""
    assert enrollment.id is not None
    rows = session.exec(
        select(ModuleProgress).where(ModuleProgress.enrollment_id == enrollment.id)
    ).all()
    progress = {r.module_id: Progress(r.module_id, r.completed, r.score, r.minutes)
                for r in rows}
    criteria = criteria_for(session, enrollment.course_id)
    step_ids: list[int] = []
    attended: set[int] = set()
    if criteria.requirement is Requirement.ALL_STEPS:
        step_ids = course_step_ids(session, enrollment.course_id)
        attended = attended_step_ids(session, enrollment)
    return evaluate_completion(criteria, _module_ids(session, enrollment.course_id), progress,
                               step_ids=step_ids, attended_steps=attended)


def check_completion(session: Session, enrollment: Enrollment) -> str:
    """Issue the certificate of an active enrollment whose course is now complete (caller
    commits): its number, or "" while the course is not complete."""
    if enrollment.status != EnrollmentStatus.ACTIVE.value:
        return ""
    result = completion_of(session, enrollment)
    return issue_course_certificate(session, enrollment, result) if result.complete else ""


def record_progress(*, session: Session, report: ProgressReport,
                    actor: Actor | None = None) -> ProgressOutcome:
    """Apply a progress report (commits); a completed course gets its certificate.

    With ``actor`` (an admin recording by hand) the change is audited in the same commit.
    """
    enrollment = session.get(Enrollment, report.enrollment_id)
    if enrollment is None:
        raise not_found("enrollment", report.enrollment_id)
    if enrollment.status != EnrollmentStatus.ACTIVE.value:
        raise DomainError("enrollment_not_active", f"This enrollment is {enrollment.status}.",
                          kind=ErrorKind.CONFLICT)
    if report.module_id not in _module_ids(session, enrollment.course_id):
        raise DomainError("unknown_module", "That module is not part of this course.",
                          field="module_id")
    if report.score is not None and not 0 <= report.score <= 100:
        raise DomainError("invalid_score", "A score is between 0 and 100.", field="score")
    if report.minutes < 0:
        raise DomainError("invalid_minutes", "Time spent cannot be negative.", field="minutes")
    if report.event_id:
        session.add(ProgressEvent(source=report.source, event_id=report.event_id[:120],
                                  payload={"enrollment_id": report.enrollment_id,
                                           "module_id": report.module_id}))
        try:
            session.flush()
        except IntegrityError:
            session.rollback()
            enrollment = session.get(Enrollment, report.enrollment_id)
            assert enrollment is not None
            return ProgressOutcome(False, completion_of(session, enrollment),
                                   _certificate_number(session, enrollment))
    row = session.exec(select(ModuleProgress).where(
        ModuleProgress.enrollment_id == report.enrollment_id,
        ModuleProgress.module_id == report.module_id)).first()
    now = utcnow()
    if row is None:
        row = ModuleProgress(enrollment_id=report.enrollment_id, module_id=report.module_id)
    row.completed = row.completed or report.completed
    row.completed_at = row.completed_at or (now if report.completed else None)
    row.score = report.score if report.score is not None else row.score
    row.minutes += report.minutes
    row.updated_at = now
    session.add(row)
    session.flush()
    if actor is not None:
        record_audit(session=session, actor=actor, action="progress.recorded",
                     entity_type="enrollment", entity_id=enrollment.id,
                     after={"module_id": report.module_id, "completed": report.completed,
                            "score": report.score, "minutes": report.minutes})
    result = completion_of(session, enrollment)
    number = issue_course_certificate(session, enrollment, result) if result.complete else ""
    session.commit()
    return ProgressOutcome(True, result, number)


def _certificate_number(session: Session, enrollment: Enrollment) -> str:
    number = session.exec(
        select(Certificate.number).where(Certificate.enrollment_id == enrollment.id)
    ).first()
    return number or ""


def issue_course_certificate(session: Session, enrollment: Enrollment,
                             result: CompletionResult) -> str:
    """The enrollment's certificate, created once (caller commits)."""
    existing = _certificate_number(session, enrollment)
    if existing:
        return existing
    course = session.get(Course, enrollment.course_id)
    user = session.get(User, enrollment.user_id)
    assert course is not None and user is not None
    now = utcnow()
    criteria = criteria_for(session, enrollment.course_id)
    certificate = Certificate(
        number=new_certificate_number(now), user_id=enrollment.user_id,
        kind="course", course_id=course.id, department_id=course.department_id,
        enrollment_id=enrollment.id, recipient_name=user.full_name,
        title="Certificate of Completion", description=course.title, completed_at=now,
        issued_at=now, percentage=result.score,
        expires_at=expiry(now, criteria.valid_for_days),
    )
    if not issue_certificate(session, certificate, None):  # a concurrent event issued it
        return _certificate_number(session, enrollment)
    _maybe_program_certificates(session, enrollment, now)
    return certificate.number


def _maybe_program_certificates(session: Session, enrollment: Enrollment, now: datetime) -> None:
    """Programs containing this course whose every course the learner has completed."""
    done = set(session.exec(
        select(Certificate.course_id).where(Certificate.user_id == enrollment.user_id,
                                            Certificate.kind == "course",
                                            Certificate.status == "active")
    ).all())
    programs = session.exec(
        select(ProgramCourse.program_id).where(ProgramCourse.course_id == enrollment.course_id)
    ).all()
    user = session.get(User, enrollment.user_id)
    assert user is not None
    for program_id in programs:
        courses = set(session.exec(
            select(ProgramCourse.course_id).where(ProgramCourse.program_id == program_id)
        ).all())
        if not courses or not courses <= done:
            continue
        program = session.get(Program, program_id)
        assert program is not None
        key = f"{enrollment.user_id}:{program_id}"
        if session.exec(select(Certificate.id).where(Certificate.program_key == key)).first():
            continue
        certificate = Certificate(
            number=new_certificate_number(now), user_id=enrollment.user_id,
            kind="program", program_id=program_id, department_id=program.department_id,
            program_key=key, recipient_name=user.full_name, title="Program Certificate",
            description=program.title, completed_at=now, issued_at=now,
        )
        issue_certificate(session, certificate, None)


def record_lms_progress(
    *, session: Session, order_item_id: str, module_lms_id: str, completed: bool,
    score: int | None, minutes: int, event_id: str,
) -> ProgressOutcome:
    """A progress report from the LMS, naming the enrollment by the order item it was
    requested for and the module by its LMS id (commits)."""
    found = session.exec(
        select(Enrollment, Registration.course_id)
        .join(Registration, col(Registration.id) == Enrollment.registration_id)
        .where(Registration.dedupe_key == order_item_id)
    ).first()
    if found is None:
        raise DomainError("enrollment_not_found", f"No enrollment for order item {order_item_id}.",
                          kind=ErrorKind.NOT_FOUND)
    enrollment, course_id = found
    module_id = session.exec(select(CourseModule.id).where(
        CourseModule.course_id == course_id, CourseModule.lms_id == module_lms_id)).first()
    if module_id is None or enrollment.id is None:
        raise DomainError("unknown_module", f"No module {module_lms_id} in this course.",
                          field="moduleLmsId")
    return record_progress(session=session, report=ProgressReport(
        enrollment.id, module_id, completed, score, minutes, source="lms", event_id=event_id))
