"""Who may enroll in a course: its enrollment deadline, and the courses that must be
completed first (their certificate issued and not revoked). The cart, checkout and the
enrollment API refuse with the reason; department admins set both on the course (audited).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, delete, select

from commerce_dash.domain.actor import Actor
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.dates import DAY, when
from commerce_dash.domain.errors import DomainError
from commerce_dash.models.catalog import Course, CoursePrerequisite
from commerce_dash.models.certificates import Certificate
from commerce_dash.services.platform import get_course, record_audit

MAX_PREREQUISITES = 10


@dataclass(frozen=True)
class RequiredCourse:
    course_id: int
    code: str
    title: str


@dataclass(frozen=True)
class EnrollmentRules:
    course_id: int
    deadline: datetime | None
    prerequisites: tuple[RequiredCourse, ...]

    @property
    def codes(self) -> str:
        return ", ".join(p.code for p in self.prerequisites)


def _required(session: Session, course_ids: Iterable[int]) -> dict[int, list[RequiredCourse]]:
    ids = set(course_ids)
    if not ids:
        return {}
    rows = session.exec(
        select(CoursePrerequisite.course_id, Course.id, Course.code, Course.title)
        .join(Course, col(Course.id) == CoursePrerequisite.required_course_id)
        .where(col(CoursePrerequisite.course_id).in_(ids)).order_by(col(Course.code))).all()
    out: dict[int, list[RequiredCourse]] = {}
    for course_id, required_id, code, title in rows:
        out.setdefault(course_id, []).append(RequiredCourse(required_id or 0, code, title))
    return out


def enrollment_rules(session: Session, course_id: int) -> EnrollmentRules:
    course = session.get(Course, course_id)
    deadline = course.enrollment_deadline if course is not None else None
    return EnrollmentRules(course_id, deadline,
                           tuple(_required(session, [course_id]).get(course_id, [])))


def completed_course_ids(session: Session, user_id: int, course_ids: Iterable[int]) -> set[int]:
    """Of ``course_ids``, those the learner completed (a course certificate in force)."""
    ids = set(course_ids)
    if not ids:
        return set()
    return {cid for cid in session.exec(select(Certificate.course_id).where(
        Certificate.user_id == user_id, Certificate.kind == "course",
        Certificate.status == "active", col(Certificate.course_id).in_(ids))).all()
        if cid is not None}


def enrollment_refusals(session: Session, user_id: int | None, course_ids: Iterable[int],
                        at: datetime | None = None) -> dict[int, str]:
    """Why the learner may not enroll in each of ``course_ids`` (absent: they may): the
    deadline passed, or prerequisites not completed (checked for a known learner only)."""
    ids = set(course_ids)
    if not ids:
        return {}
    at = at or utcnow()
    courses = {c.id: c for c in session.exec(select(Course).where(col(Course.id).in_(ids)))}
    refusals: dict[int, str] = {}
    for course_id, course in courses.items():
        if course_id is not None and course.enrollment_deadline is not None and \
                course.enrollment_deadline < at:
            refusals[course_id] = (f"Enrollment in {course.title} closed on "
                                   f"{when(course.enrollment_deadline, DAY)}.")
    if user_id is None:
        return refusals
    required = _required(session, ids)
    done = completed_course_ids(session, user_id,
                                {r.course_id for rs in required.values() for r in rs})
    for course_id, needs in required.items():
        missing = [r.title for r in needs if r.course_id not in done]
        if missing and course_id not in refusals:
            refusals[course_id] = (f"{courses[course_id].title} needs "
                                   f"{', '.join(missing)} completed first.")
    return refusals


def _depends_on(session: Session, start: int, target: int) -> bool:
    """Whether ``start`` requires ``target``, directly or through other courses."""
    seen, todo = set(), [start]
    while todo:
        current = todo.pop()
        if current == target:
            return True
        if current in seen:
            continue
        seen.add(current)
        todo += list(session.exec(select(CoursePrerequisite.required_course_id).where(
            CoursePrerequisite.course_id == current)).all())
    return False


def set_enrollment_rules(*, session: Session, actor: Actor | None, course_id: int,
                         deadline: datetime | None, prerequisite_codes: str) -> EnrollmentRules:
    """Set a course's enrollment deadline and prerequisites (course codes, comma separated);
    audited, and setting what is set changes nothing."""
    course = get_course(session=session, actor=actor, course_id=course_id)
    assert course.id is not None
    codes = [c.strip().upper() for c in prerequisite_codes.replace(";", ",").split(",")
             if c.strip()]
    if len(set(codes)) > MAX_PREREQUISITES:
        raise DomainError("too_many_prerequisites",
                          f"List at most {MAX_PREREQUISITES} courses.", field="prerequisites")
    found = {c.code: c for c in session.exec(select(Course).where(col(Course.code).in_(codes)))}
    unknown = [c for c in codes if c not in found]
    if unknown:
        raise DomainError("unknown_prerequisite", f"No course {', '.join(unknown)}.",
                          field="prerequisites")
    wanted = {found[c].id or 0 for c in codes}
    if course.id in wanted:
        raise DomainError("circular_prerequisite", "A course cannot require itself.",
                          field="prerequisites")
    circular = [found[c].code for c in codes if _depends_on(session, found[c].id or 0, course.id)]
    if circular:
        raise DomainError("circular_prerequisite", f"{', '.join(circular)} already requires "
                          f"{course.code}, so {course.code} cannot require it.",
                          field="prerequisites")
    before = enrollment_rules(session, course.id)
    if before.deadline == deadline and {p.course_id for p in before.prerequisites} == wanted:
        session.commit()
        return before
    session.exec(delete(CoursePrerequisite).where(  # type: ignore[call-overload]
        col(CoursePrerequisite.course_id) == course.id))
    session.add_all(CoursePrerequisite(course_id=course.id, required_course_id=r)
                    for r in sorted(wanted))
    course.enrollment_deadline = deadline
    session.add(course)
    session.flush()
    after = enrollment_rules(session, course.id)
    record_audit(session=session, actor=actor, action="course.enrollment_rules",
                 entity_type="course", entity_id=course.id,
                 before={"deadline": when(before.deadline), "prerequisites": before.codes},
                 after={"deadline": when(after.deadline), "prerequisites": after.codes})
    session.commit()
    return after
