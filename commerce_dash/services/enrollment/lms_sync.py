"""Course sync from the LMS: connectors, signed requests and the course upsert.

This module holds the course upsert and is the sync's public face: connectors and signed
requests live in ``lms_auth.py`` and are re-exported, so callers import them from here.

A connector has two secrets, derived from the app's secret key, its kind and its ``key_id``
(never stored): the inbound one signs its requests to us
(``X-Signature: sha256=HMAC(inbound, f"{timestamp}.{body}")``), the outbound one signs our
webhooks to it. Neither verifies the other direction, so a webhook we sent cannot be posted
back to us as the connector's request, and a secret of one kind is worth nothing to another.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.errors import DomainError, ErrorKind
from commerce_dash.models.catalog import Course, CourseModule, Department
from commerce_dash.models.integrations import ApiConnector
from commerce_dash.services.enrollment.lms_auth import (
    create_connector,
    deactivate_connector,
    sign_request,
)

# The same code and text rules as courses created by hand.
from commerce_dash.services.platform import clean_code, record_audit, require_text

__all__ = [
    "LmsCourse",
    "LmsModule",
    "MAX_COURSES_PER_SYNC",
    "SyncResult",
    "SyncedCourse",
    "create_connector",
    "deactivate_connector",
    "sign_request",
    "sync_lms_courses",
]

MAX_COURSES_PER_SYNC = 500


@dataclass(frozen=True)
class LmsModule:
    lms_id: str
    title: str
    summary: str = ""
    estimated_minutes: int = 0


@dataclass(frozen=True)
class LmsCourse:
    lms_id: str
    code: str
    title: str
    department_code: str
    description: str = ""
    category: str = ""
    estimated_minutes: int = 0
    published: bool | None = None  # None: leave as it is (a new course starts unpublished)
    modules: Sequence[LmsModule] = ()


@dataclass(frozen=True)
class SyncedCourse:
    lms_id: str
    code: str
    id: int


@dataclass(frozen=True)
class SyncResult:
    created: int
    updated: int
    courses: list[SyncedCourse] = field(default_factory=list)


@dataclass(frozen=True)
class _CleanModule:
    lms_id: str
    title: str
    summary: str
    estimated_minutes: int


@dataclass(frozen=True)
class _CleanCourse:
    lms_id: str
    code: str
    title: str
    description: str
    category: str
    department_id: int
    estimated_minutes: int
    published: bool | None
    modules: tuple[_CleanModule, ...]


def _cleaned(course: LmsCourse, department_id: int) -> _CleanCourse:
    """The course with the hand-made courses' rules applied, or a DomainError naming it."""
    try:
        lms_id = course.lms_id.strip()
        if not lms_id or len(lms_id) > 64:
            raise DomainError("invalid_lms_id", "Give an lms_id of 1-64 characters.")
        category = " ".join(course.category.split())
        if len(category) > 80:
            raise DomainError("category_too_long", "Use at most 80 characters.")
        if course.estimated_minutes < 0 or any(m.estimated_minutes < 0 for m in course.modules):
            raise DomainError("invalid_duration", "The duration cannot be negative.")
        return _CleanCourse(
            lms_id=lms_id,
            code=clean_code(course.code),
            title=require_text(course.title, "title", "course title", 200),
            description=course.description.strip(),
            category=category,
            department_id=department_id,
            estimated_minutes=course.estimated_minutes,
            published=course.published,
            modules=tuple(
                _CleanModule(
                    lms_id=m.lms_id.strip()[:64],
                    title=require_text(m.title, "module_title", "module title", 200),
                    summary=m.summary.strip(),
                    estimated_minutes=m.estimated_minutes,
                )
                for m in course.modules
            ),
        )
    except DomainError as err:
        raise DomainError(
            err.code, f"Course {course.lms_id!r}: {err.message}", field=err.field
        ) from None


def _checked_batch(session: Session, courses: Sequence[LmsCourse]) -> list[_CleanCourse]:
    if len(courses) > MAX_COURSES_PER_SYNC:
        raise DomainError(
            "too_many_courses", f"Send at most {MAX_COURSES_PER_SYNC} courses per call."
        )
    wanted = {c.department_code.strip().upper() for c in courses}
    found = dict(
        session.exec(
            select(Department.code, Department.id).where(col(Department.code).in_(wanted))
        ).all()
    )
    unknown = sorted(wanted - set(found))
    if unknown:
        raise DomainError(
            "unknown_department",
            f"Unknown department code(s): {', '.join(unknown)}. Nothing was synced.",
            field="department_code",
        )
    cleaned = [_cleaned(c, found[c.department_code.strip().upper()] or 0) for c in courses]
    for attribute in ("lms_id", "code"):
        values = [getattr(c, attribute) for c in cleaned]
        twice = sorted({v for v in values if values.count(v) > 1})
        if twice:
            raise DomainError(
                f"duplicate_{attribute}",
                f"The batch holds {attribute} {', '.join(twice)} more than once.",
            )
    return cleaned


def _replace_modules(session: Session, course_id: int, modules: Sequence[_CleanModule]) -> None:
    session.exec(delete(CourseModule).where(col(CourseModule.course_id) == course_id))  # type: ignore[call-overload]
    # The old positions must be gone before new rows reuse them (unique course/position).
    session.flush()
    for position, module in enumerate(modules, start=1):
        session.add(
            CourseModule(
                course_id=course_id,
                position=position,
                title=module.title,
                summary=module.summary,
                estimated_minutes=module.estimated_minutes,
                lms_id=module.lms_id or None,
            )
        )


def _fields(course: Course, modules: int) -> dict[str, object]:
    return {
        "code": course.code,
        "title": course.title,
        "category": course.category,
        "estimated_minutes": course.estimated_minutes,
        "published": course.published,
        "modules": modules,
    }


def sync_lms_courses(
    *, session: Session, connector: ApiConnector, courses: Sequence[LmsCourse]
) -> SyncResult:
    """Create or update courses by ``lms_id``, all or nothing, and commit.

    Any unknown department or invalid course refuses the whole batch. A new course keeps the
    code it was sent with; later syncs update its texts, duration, modules (replaced, in the
    order sent) and, when given, whether it is published.
    """
    cleaned = _checked_batch(session, courses)
    existing = {
        c.lms_id: c
        for c in session.exec(
            select(Course).where(col(Course.lms_id).in_([c.lms_id for c in cleaned]))
        ).all()
    }
    new_codes = [c.code for c in cleaned if c.lms_id not in existing]
    taken = sorted(session.exec(select(Course.code).where(col(Course.code).in_(new_codes))).all())
    if taken:
        raise DomainError(
            "code_taken",
            f"Course code(s) {', '.join(taken)} already belong to other courses.",
            kind=ErrorKind.CONFLICT,
            field="code",
        )
    try:
        synced = [
            _write_course(session, data, existing.get(data.lms_id), connector.name)
            for data in cleaned
        ]
        session.commit()
    except IntegrityError as exc:  # a concurrent sync created the same course first
        session.rollback()
        raise DomainError(
            "sync_conflict",
            "Another sync changed these courses at the same time; send the batch again.",
            kind=ErrorKind.CONFLICT,
        ) from exc
    created = sum(1 for data in cleaned if data.lms_id not in existing)
    return SyncResult(created, len(cleaned) - created, synced)


def _write_course(
    session: Session, data: _CleanCourse, course: Course | None, connector_name: str
) -> SyncedCourse:
    """Create or update one course with its modules and audit row (not committed)."""
    before = None
    if course is None:
        course = Course(
            code=data.code,
            department_id=data.department_id,
            lms_id=data.lms_id,
            title=data.title,
            published=bool(data.published),
        )
    else:
        modules_before = session.exec(
            select(CourseModule.id).where(CourseModule.course_id == course.id)
        ).all()
        before = _fields(course, len(modules_before))
    course.title = data.title
    course.description = data.description
    course.category = data.category
    course.estimated_minutes = data.estimated_minutes
    if data.published is not None:
        course.published = data.published
    course.updated_at = utcnow()
    session.add(course)
    session.flush()
    assert course.id is not None
    _replace_modules(session, course.id, data.modules)
    record_audit(
        session=session,
        actor=None,
        action="course.synced_from_lms",
        entity_type="course",
        entity_id=course.id,
        before=before,
        after={**_fields(course, len(data.modules)), "lms_id": data.lms_id},
        reason=f"LMS connector {connector_name}",
    )
    return SyncedCourse(data.lms_id, course.code, course.id)
