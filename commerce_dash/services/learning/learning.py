"""What learners and admins see of progress (PROG-004): per course and per program, the
learner marking a module done in a local course, admins recording progress by hand, and
the completion rule of each course (dept-admins)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from commerce_dash.domain.actor import Actor
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.completion import (
    CompletionCriteria,
    Requirement,
    describe_criteria,
    validate_criteria,
)
from commerce_dash.domain.errors import DomainError, ErrorKind, not_found
from commerce_dash.domain.paging import Page, PageRequest
from commerce_dash.domain.registrations import EnrollmentStatus, RegistrationStatus
from commerce_dash.models.accounts import User
from commerce_dash.models.catalog import Course, CourseModule, Program, ProgramCourse
from commerce_dash.models.certificates import Certificate, CompletionRule, ModuleProgress
from commerce_dash.models.enrollment import Enrollment, Registration
from commerce_dash.models.sessions import CourseStep
from commerce_dash.services.catalog import like_pattern
from commerce_dash.services.learning.completion_rules import course_step_ids, criteria_for
from commerce_dash.services.learning.progress import (
    ProgressOutcome,
    ProgressReport,
    completion_of,
    record_progress,
)
from commerce_dash.services.platform import managed_departments, record_audit, require_managed

LIVE = (EnrollmentStatus.ACTIVE.value, EnrollmentStatus.PENDING.value)
PROGRAM_LIVE = (RegistrationStatus.PENDING.value, RegistrationStatus.APPROVED.value,
                RegistrationStatus.ENROLLED.value)


@dataclass(frozen=True)
class ModuleRow:
    id: int
    position: int
    title: str
    minutes_estimate: int
    completed: bool
    score: int | None
    minutes: int
    completed_on: str


@dataclass(frozen=True)
class CourseProgress:
    enrollment_id: int
    course_code: str
    course_title: str
    status: str  # active | pending
    mode: str  # local | lms: who records progress
    percent: int
    complete: bool
    modules_done: int
    modules_total: int
    missing: tuple[str, ...]
    criteria: str
    certificate_id: int | None
    certificate_number: str
    learner: str = ""
    modules: tuple[ModuleRow, ...] = ()


@dataclass(frozen=True)
class ProgramProgress:
    program_code: str
    program_title: str
    courses_total: int
    courses_complete: int
    percent: int
    certificate_id: int | None
    certificate_number: str


def _certificate(session: Session, enrollment_id: int) -> tuple[int | None, str]:
    found = session.exec(select(Certificate.id, Certificate.number).where(
        Certificate.enrollment_id == enrollment_id)).first()
    return (found[0], found[1]) if found else (None, "")


def _modules(session: Session, enrollment: Enrollment) -> tuple[ModuleRow, ...]:
    rows = session.exec(
        select(CourseModule, ModuleProgress)
        .outerjoin(ModuleProgress, (col(ModuleProgress.module_id) == CourseModule.id)
                   & (col(ModuleProgress.enrollment_id) == enrollment.id))
        .where(CourseModule.course_id == enrollment.course_id)
        .order_by(col(CourseModule.position))
    ).all()
    return tuple(
        ModuleRow(m.id or 0, m.position, m.title, m.estimated_minutes,
                  bool(p and p.completed), p.score if p else None, p.minutes if p else 0,
                  f"{p.completed_at:%Y-%m-%d}" if p and p.completed_at else "")
        for m, p in rows
    )


def _progress(session: Session, enrollment: Enrollment, course: Course, *,
              with_modules: bool, learner: str = "") -> CourseProgress:
    assert enrollment.id is not None
    result = completion_of(session, enrollment)
    modules = _modules(session, enrollment)
    certificate_id, number = _certificate(session, enrollment.id)
    titles = {m.id: m.title for m in modules}
    return CourseProgress(
        enrollment_id=enrollment.id, course_code=course.code, course_title=course.title,
        status=enrollment.status, mode=enrollment.mode, percent=result.percent_done,
        complete=result.complete or certificate_id is not None,
        modules_done=sum(1 for m in modules if m.completed), modules_total=len(modules),
        missing=() if certificate_id else result.missing,
        criteria=describe_criteria(criteria_for(session, course.id or 0), titles),
        certificate_id=certificate_id, certificate_number=number, learner=learner,
        modules=modules if with_modules else (),
    )


def learner_progress(*, session: Session, user_id: int
                     ) -> tuple[list[CourseProgress], list[ProgramProgress]]:
    """The learner's live courses with their progress, and their programs."""
    found = session.exec(
        select(Enrollment, Course).join(Course, col(Course.id) == Enrollment.course_id)
        .where(Enrollment.user_id == user_id, col(Enrollment.status).in_(LIVE))
        .order_by(col(Enrollment.requested_at).desc())
    ).all()
    courses = [_progress(session, e, c, with_modules=False) for e, c in found]
    return courses, _programs(session, user_id)


def _programs(session: Session, user_id: int) -> list[ProgramProgress]:
    programs = session.exec(
        select(Program).join(Registration, col(Registration.program_id) == Program.id)
        .where(Registration.user_id == user_id, Registration.kind == "program",
               col(Registration.status).in_(PROGRAM_LIVE))
        .distinct()
    ).all()
    done = set(session.exec(select(Certificate.course_id).where(
        Certificate.user_id == user_id, Certificate.kind == "course",
        Certificate.status == "active")).all())
    out = []
    for program in programs:
        course_ids = list(session.exec(select(ProgramCourse.course_id).where(
            ProgramCourse.program_id == program.id)).all())
        complete = sum(1 for c in course_ids if c in done)
        cert = session.exec(select(Certificate.id, Certificate.number).where(
            Certificate.program_key == f"{user_id}:{program.id}")).first()
        out.append(ProgramProgress(
            program.code, program.title, len(course_ids), complete,
            (complete * 100) // len(course_ids) if course_ids else 0,
            cert[0] if cert else None, cert[1] if cert else ""))
    return out


def learner_course(*, session: Session, user_id: int, course_code: str) -> CourseProgress:
    """One of the learner's courses with every module (the learning page)."""
    found = session.exec(
        select(Enrollment, Course).join(Course, col(Course.id) == Enrollment.course_id)
        .where(Enrollment.user_id == user_id, Course.code == course_code.upper(),
               col(Enrollment.status).in_(LIVE))
        .order_by(col(Enrollment.id).desc())
    ).first()
    if found is None:
        raise DomainError("not_enrolled", "You are not enrolled in this course.",
                          kind=ErrorKind.NOT_FOUND)
    return _progress(session, found[0], found[1], with_modules=True)


def learner_mark_module(*, session: Session, actor: Actor, enrollment_id: int, module_id: int,
                        completed: bool = True) -> ProgressOutcome:
    """The learner marks a module of a local course done (an LMS course reports its own)."""
    enrollment = session.get(Enrollment, enrollment_id)
    if enrollment is None or enrollment.user_id != actor.user_id:
        raise not_found("enrollment", enrollment_id)
    if enrollment.mode != "local":
        raise DomainError("lms_course", "Progress in this course is recorded by the learning "
                          "platform; complete the module there.", kind=ErrorKind.CONFLICT)
    if enrollment.status == EnrollmentStatus.PENDING.value:
        raise DomainError("enrollment_pending", "Your enrollment is not active yet.",
                          kind=ErrorKind.CONFLICT)
    return record_progress(session=session, report=ProgressReport(
        enrollment_id, module_id, completed, source="learner"))


def admin_record_progress(*, session: Session, actor: Actor | None, enrollment_id: int,
                          module_id: int, completed: bool, score: int | None,
                          minutes: int) -> ProgressOutcome:
    """An admin records a module's progress by hand (audited)."""
    enrollment = session.get(Enrollment, enrollment_id)
    if enrollment is None:
        raise not_found("enrollment", enrollment_id)
    course = session.get(Course, enrollment.course_id)
    assert course is not None
    actor = require_managed(session, actor, "certificates", course.department_id)
    return record_progress(session=session, actor=actor, report=ProgressReport(
        enrollment_id, module_id, completed, score, minutes, source="admin"))


@dataclass(frozen=True)
class EnrollmentRow:
    enrollment_id: int
    learner: str
    email: str
    course_code: str
    course_title: str
    status: str
    mode: str
    modules_done: int
    modules_total: int
    percent: int
    certificate_number: str


def list_enrollments(*, session: Session, actor: Actor | None, page: PageRequest,
                     text: str = "", course_id: int | None = None) -> Page[EnrollmentRow]:
    """Active enrollments in the actor's departments with their progress, paged in SQL."""
    scope = managed_departments(session=session, actor=actor, section="certificates")
    done = (select(ModuleProgress.enrollment_id, func.count().label("n"))
            .where(col(ModuleProgress.completed).is_(True))
            .group_by(col(ModuleProgress.enrollment_id)).subquery())
    total_modules = (select(CourseModule.course_id, func.count().label("n"))
                     .group_by(col(CourseModule.course_id)).subquery())
    query = (
        sa_select(Enrollment, User.full_name, User.email, Course.code, Course.title,
                  done.c.n, total_modules.c.n, Certificate.number)  # type: ignore[call-overload]
        .join(User, col(User.id) == Enrollment.user_id)
        .join(Course, col(Course.id) == Enrollment.course_id)
        .outerjoin(done, done.c.enrollment_id == Enrollment.id)
        .outerjoin(total_modules, total_modules.c.course_id == Enrollment.course_id)
        .outerjoin(Certificate, col(Certificate.enrollment_id) == Enrollment.id)
        .where(Enrollment.status == EnrollmentStatus.ACTIVE.value)
    )
    if scope is not None:
        query = query.where(col(Course.department_id).in_(scope or {0}))
    if course_id is not None:
        query = query.where(col(Enrollment.course_id) == course_id)
    pattern = like_pattern(text)
    if pattern:
        query = query.where(or_(col(User.email).ilike(pattern, escape="\\"),
                                col(User.full_name).ilike(pattern, escape="\\")))
    total = session.execute(sa_select(func.count()).select_from(query.subquery())).scalar_one()
    rows = session.execute(query.order_by(col(User.full_name), col(Course.code))
                           .offset(page.offset).limit(page.page_size)).all()
    return Page([
        EnrollmentRow(e.id or 0, name, email, code, title, e.status, e.mode, int(d or 0),
                      int(t or 0), (int(d or 0) * 100) // int(t) if t else 0, number or "")
        for e, name, email, code, title, d, t, number in rows
    ], int(total), page.page, page.page_size)


def admin_enrollment(*, session: Session, actor: Actor | None,
                     enrollment_id: int) -> CourseProgress:
    scope = managed_departments(session=session, actor=actor, section="certificates")
    found = session.exec(
        select(Enrollment, Course, User.full_name)
        .join(Course, col(Course.id) == Enrollment.course_id)
        .join(User, col(User.id) == Enrollment.user_id)
        .where(Enrollment.id == enrollment_id)).first()
    if found is None or (scope is not None and found[1].department_id not in scope):
        raise not_found("enrollment", enrollment_id)
    return _progress(session, found[0], found[1], with_modules=True, learner=found[2])


# -- completion rules (the course editor) ----------------------------------------------------


@dataclass(frozen=True)
class RuleForm:
    criteria: CompletionCriteria
    modules: list[tuple[int, str]]  # (id, "1. Title")
    description: str
    # (id, "Step 1: Title"): "all steps attended" is offered only when there are some
    steps: list[tuple[int, str]] = field(default_factory=list)


def completion_rule(*, session: Session, actor: Actor | None, course_id: int) -> RuleForm:
    course = session.get(Course, course_id)
    if course is None:
        raise not_found("course", course_id)
    require_managed(session, actor, "courses", course.department_id)
    modules = session.exec(select(CourseModule).where(CourseModule.course_id == course_id)
                           .order_by(col(CourseModule.position))).all()
    steps = session.exec(select(CourseStep).where(CourseStep.course_id == course_id)
                         .order_by(col(CourseStep.position))).all()
    criteria = criteria_for(session, course_id)
    return RuleForm(criteria, [(m.id or 0, f"{m.position}. {m.title}") for m in modules],
                    describe_criteria(criteria, {m.id or 0: m.title for m in modules}),
                    [(s.id or 0, f"{s.label}: {s.title}") for s in steps])


def set_completion_rule(*, session: Session, actor: Actor | None, course_id: int,
                        criteria: CompletionCriteria) -> RuleForm:
    """Save a course's completion rule (commits, audited). Certificates already issued stay."""
    course = session.get(Course, course_id)
    if course is None:
        raise not_found("course", course_id)
    actor = require_managed(session, actor, "courses", course.department_id)
    module_ids = [m for m in session.exec(select(CourseModule.id).where(
        CourseModule.course_id == course_id)).all() if m is not None]
    validate_criteria(criteria, module_ids, course_step_ids(session, course_id))
    rule = session.get(CompletionRule, course_id)
    before = None if rule is None else _rule_json(rule)
    rule = rule or CompletionRule(course_id=course_id)
    rule.requirement = criteria.requirement.value
    rule.min_percentage = criteria.min_percentage
    rule.required_modules = (sorted(criteria.required_modules)
                             if criteria.requirement is Requirement.SPECIFIC_MODULES else None)
    rule.assessment_module_id = criteria.assessment_module
    rule.passing_score = criteria.passing_score
    rule.min_minutes = criteria.min_minutes
    rule.valid_for_days = criteria.valid_for_days
    rule.updated_by_id = actor.user_id
    rule.updated_at = utcnow()
    session.add(rule)
    record_audit(session=session, actor=actor, action="course.completion_rule_changed",
                 entity_type="course", entity_id=course_id, before=before,
                 after=_rule_json(rule))
    session.commit()
    return completion_rule(session=session, actor=actor, course_id=course_id)


def _rule_json(rule: CompletionRule) -> dict[str, object]:
    return {"requirement": rule.requirement, "min_percentage": rule.min_percentage,
            "required_modules": rule.required_modules,
            "assessment_module_id": rule.assessment_module_id,
            "passing_score": rule.passing_score, "min_minutes": rule.min_minutes,
            "valid_for_days": rule.valid_for_days}



def progress_summary(*, session: Session, user_id: int, line_ids: list[int]) -> str:
    """The learner's progress in the courses bought on these order lines, in a few words
    ("Python Foundations 40%, SQL certified"), for the refund queue."""
    rows = session.exec(
        select(Enrollment, Course).join(Course, col(Course.id) == Enrollment.course_id)
        .join(Registration, col(Registration.id) == Enrollment.registration_id)
        .where(Enrollment.user_id == user_id, col(Registration.order_line_id).in_(line_ids or {0}))
    ).all()
    parts = []
    for enrollment, course in rows:
        if enrollment.status != EnrollmentStatus.ACTIVE.value:
            parts.append(f"{course.code} {enrollment.status}")
            continue
        certificate_id, _ = _certificate(session, enrollment.id or 0)
        parts.append(f"{course.code} certified" if certificate_id else
                     f"{course.code} {completion_of(session, enrollment).percent_done}%")
    return ", ".join(parts) or "Not started"
