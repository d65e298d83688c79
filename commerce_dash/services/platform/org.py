"""Departments, courses with modules and programs with ordered courses."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from commerce_dash.domain.access import RoleName, department_closure, would_create_cycle
from commerce_dash.domain.actor import Actor, require_section
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.errors import DomainError, ErrorKind, not_found
from commerce_dash.domain.paging import Page, PageRequest
from commerce_dash.models.catalog import Course, CourseModule, Department
from commerce_dash.services.platform.audit import record_audit

# Billing admins work on every department's programs and prices; dept-admins on their own.
_BILLING_WIDE_SECTIONS = frozenset({"programs", "pricing", "revenue"})


@dataclass(frozen=True)
class ModuleSpec:
    title: str
    summary: str = ""
    estimated_minutes: int = 0


def department_parents(*, session: Session) -> dict[int, int | None]:
    """Every department id mapped to its parent id."""
    return {d: p for d, p in session.exec(select(Department.id, Department.parent_id)).all() if d}


def clean_code(code: str) -> str:
    code = (code or "").strip().upper()
    if not code or len(code) > 32 or not all(c.isalnum() or c in "-_" for c in code):
        raise DomainError(
            "invalid_code",
            "Use 1-32 letters, digits, '-' or '_' for the code.",
            field="code",
        )
    return code


def require_text(value: str, field: str, label: str, limit: int) -> str:
    text = " ".join((value or "").split())
    if not text:
        raise DomainError(f"{field}_required", f"Enter a {label}.", field=field)
    if len(text) > limit:
        raise DomainError(f"{field}_too_long", f"Use at most {limit} characters.", field=field)
    return text


def managed_departments(
    *, session: Session, actor: Actor | None, section: str
) -> frozenset[int] | None:
    """Departments whose items the actor manages in an admin section; None means all.

    Super-admins manage all; billing admins all for programs and pricing; dept-admins
    the departments they were granted and every subdepartment below them.
    """
    actor = require_section(actor, section)
    if actor.is_super_admin or (
        section in _BILLING_WIDE_SECTIONS and RoleName.BILLING_ADMIN in actor.roles
    ):
        return None
    return actor.departments_for(RoleName.DEPT_ADMIN, department_parents(session=session))


def require_managed(
    session: Session, actor: Actor | None, section: str, department_id: int
) -> Actor:
    allowed = managed_departments(session=session, actor=actor, section=section)
    assert actor is not None
    if allowed is not None and department_id not in allowed:
        raise DomainError(
            "forbidden", "You can only manage your own departments.", kind=ErrorKind.FORBIDDEN
        )
    return actor


def _require_department_admin(session: Session, actor: Actor, department_id: int) -> None:
    if actor.is_super_admin:
        return
    allowed = actor.departments_for(RoleName.DEPT_ADMIN, department_parents(session=session))
    if allowed is not None and department_id not in allowed:
        raise DomainError(
            "forbidden", "You can only manage your own departments.", kind=ErrorKind.FORBIDDEN
        )
    if allowed is None and not actor.has_role(RoleName.DEPT_ADMIN):
        raise DomainError("forbidden", "You cannot manage departments.", kind=ErrorKind.FORBIDDEN)


def create_department(
    *,
    session: Session,
    actor: Actor,
    code: str,
    name: str,
    description: str = "",
    parent_id: int | None = None,
    approval_required: bool | None = None,
) -> Department:
    """A new department (a subdepartment when ``parent_id`` is given); super-admins only."""
    if not actor.is_super_admin:
        raise DomainError(
            "forbidden", "Only super-admins create departments.", kind=ErrorKind.FORBIDDEN
        )
    code = clean_code(code)
    name = require_text(name, "name", "department name", 120)
    if parent_id is not None and session.get(Department, parent_id) is None:
        raise not_found("department", parent_id)
    if session.exec(select(Department.id).where(Department.code == code)).first():
        raise DomainError(
            "code_taken",
            f"A department with code {code} exists.",
            kind=ErrorKind.CONFLICT,
            field="code",
        )
    dept = Department(
        code=code,
        name=name,
        description=description.strip(),
        parent_id=parent_id,
        approval_required=approval_required,
    )
    session.add(dept)
    session.flush()
    record_audit(
        session=session,
        actor=actor,
        action="department.created",
        entity_type="department",
        entity_id=dept.id,
        after={"code": code, "name": name, "parent_id": parent_id},
    )
    session.commit()
    return dept


def move_department(
    *, session: Session, actor: Actor, department_id: int, parent_id: int | None
) -> Department:
    """Change a department's parent, refusing loops."""
    if not actor.is_super_admin:
        raise DomainError(
            "forbidden", "Only super-admins move departments.", kind=ErrorKind.FORBIDDEN
        )
    dept = session.get(Department, department_id)
    if dept is None:
        raise not_found("department", department_id)
    if parent_id is not None and would_create_cycle(
        department_parents(session=session), department_id, parent_id
    ):
        raise DomainError("department_cycle", "A department cannot sit below itself.")
    before = dept.parent_id
    dept.parent_id = parent_id
    dept.updated_at = utcnow()
    session.add(dept)
    record_audit(
        session=session,
        actor=actor,
        action="department.moved",
        entity_type="department",
        entity_id=department_id,
        before={"parent_id": before},
        after={"parent_id": parent_id},
    )
    session.commit()
    return dept


def create_course(
    *,
    session: Session,
    actor: Actor,
    code: str,
    title: str,
    department_id: int,
    description: str = "",
    category: str = "",
    instructor_id: int | None = None,
    content_creator_id: int | None = None,
    published: bool = False,
    thumbnail_url: str = "",
    estimated_minutes: int = 0,
    approval_required: bool | None = None,
    modules: Sequence[ModuleSpec] = (),
) -> Course:
    """A course with its modules in the given order."""
    if session.get(Department, department_id) is None:
        raise not_found("department", department_id)
    _require_department_admin(session, actor, department_id)
    code = clean_code(code)
    title = require_text(title, "title", "course title", 200)
    if estimated_minutes < 0:
        raise DomainError(
            "invalid_duration", "The duration cannot be negative.", field="estimated_minutes"
        )
    if session.exec(select(Course.id).where(Course.code == code)).first():
        raise DomainError(
            "code_taken",
            f"A course with code {code} exists.",
            kind=ErrorKind.CONFLICT,
            field="code",
        )
    course = Course(
        code=code,
        title=title,
        description=description.strip(),
        category=category.strip(),
        department_id=department_id,
        instructor_id=instructor_id,
        content_creator_id=content_creator_id,
        published=published,
        thumbnail_url=thumbnail_url,
        estimated_minutes=estimated_minutes,
        approval_required=approval_required,
    )
    session.add(course)
    session.flush()
    assert course.id is not None
    for position, spec in enumerate(modules, start=1):
        session.add(
            CourseModule(
                course_id=course.id,
                position=position,
                title=require_text(spec.title, "module_title", "module title", 200),
                summary=spec.summary,
                estimated_minutes=max(0, spec.estimated_minutes),
            )
        )
    record_audit(
        session=session,
        actor=actor,
        action="course.created",
        entity_type="course",
        entity_id=course.id,
        after={
            "code": code,
            "title": title,
            "department_id": department_id,
            "published": published,
            "modules": len(modules),
        },
    )
    session.commit()
    return course


def department_options(
    *, session: Session, within: Iterable[int] | None = None
) -> list[tuple[int, str]]:
    """(id, label) for every department (or those ``within``), subdepartments labelled
    'Parent / Child'."""
    rows = session.exec(select(Department.id, Department.name, Department.parent_id)).all()
    names = {d: n for d, n, _ in rows}
    keep = None if within is None else set(within)
    labels = [
        (d, f"{names[p]} / {n}" if p in names else n)
        for d, n, p in rows
        if d is not None and (keep is None or d in keep)
    ]
    return sorted(labels, key=lambda item: item[1].lower())


# -- admin lists and edits of courses ------------------------------------------------------


@dataclass(frozen=True)
class CourseRow:
    id: int
    code: str
    title: str
    department_id: int
    department: str
    category: str
    modules: int
    published: bool
    estimated_minutes: int


def course_label(code: str, title: str) -> str:
    """How pickers name a course: 'CODE — Title'."""
    return f"{code} — {title}"


def search_clause(search: str, *columns: Any) -> Any:
    pattern = f"%{search.strip()}%"
    return or_(*(col(c).ilike(pattern) for c in columns))


def list_courses(
    *,
    session: Session,
    actor: Actor | None,
    page: PageRequest,
    search: str = "",
    department_id: int | None = None,
    published: bool | None = None,
) -> Page[CourseRow]:
    """Courses by code within the actor's departments, with department name and module count.

    ``department_id`` also matches the courses of its subdepartments.
    """
    allowed = managed_departments(session=session, actor=actor, section="courses")
    query = select(Course)
    if allowed is not None:
        query = query.where(col(Course.department_id).in_(allowed))
    if department_id:
        parents = department_parents(session=session)
        query = query.where(
            col(Course.department_id).in_(department_closure(parents, [department_id]))
        )
    if published is not None:
        query = query.where(col(Course.published).is_(published))
    if search.strip():
        query = query.where(search_clause(search, Course.code, Course.title, Course.category))
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    courses = session.exec(
        query.order_by(col(Course.code)).offset(page.offset).limit(page.page_size)
    ).all()
    ids = [c.id for c in courses]
    modules = dict(
        session.exec(
            select(CourseModule.course_id, func.count())
            .where(col(CourseModule.course_id).in_(ids))
            .group_by(col(CourseModule.course_id))
        ).all()
    )
    names = dict(session.exec(select(Department.id, Department.name)).all())
    rows = [
        CourseRow(
            id=c.id or 0,
            code=c.code,
            title=c.title,
            department_id=c.department_id,
            department=names.get(c.department_id, ""),
            category=c.category,
            modules=int(modules.get(c.id or 0, 0)),
            published=c.published,
            estimated_minutes=c.estimated_minutes,
        )
        for c in courses
    ]
    return Page(rows, int(total), page.page, page.page_size)


def _managed_course(session: Session, actor: Actor | None, course_id: int) -> tuple[Actor, Course]:
    course = session.get(Course, course_id)
    if course is None:
        raise not_found("course", course_id)
    return require_managed(session, actor, "courses", course.department_id), course


def get_course(*, session: Session, actor: Actor | None, course_id: int) -> Course:
    """One course the actor manages, for the edit form."""
    return _managed_course(session, actor, course_id)[1]


def set_course_published(
    *, session: Session, actor: Actor | None, course_id: int, published: bool
) -> Course:
    """Publish or unpublish a course; doing what is already done changes nothing."""
    actor, course = _managed_course(session, actor, course_id)
    if course.published == published:
        return course
    course.published = published
    course.updated_at = utcnow()
    session.add(course)
    record_audit(
        session=session,
        actor=actor,
        action="course.published" if published else "course.unpublished",
        entity_type="course",
        entity_id=course_id,
        before={"published": not published},
        after={"published": published},
    )
    session.commit()
    return course


def _clean_url(url: str) -> str:
    url = (url or "").strip()
    if len(url) > 500:
        raise DomainError("url_too_long", "Use at most 500 characters.", field="thumbnail_url")
    if url and not url.startswith(("https://", "http://", "/")):
        raise DomainError(
            "invalid_url",
            "Use a web address (https://...) or a path starting with '/'.",
            field="thumbnail_url",
        )
    return url


def changed_fields(
    before: dict[str, Any], after: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    changed = [k for k in after if before[k] != after[k]]
    return {k: before[k] for k in changed}, {k: after[k] for k in changed}


def update_course(
    *,
    session: Session,
    actor: Actor | None,
    course_id: int,
    title: str,
    description: str,
    category: str,
    estimated_minutes: int,
    thumbnail_url: str,
    approval_required: bool | None,
) -> Course:
    """Change a course's descriptive fields; the audit row keeps what changed, before and after.

    ``approval_required`` None means the course follows its department's rule.
    """
    actor, course = _managed_course(session, actor, course_id)
    title = require_text(title, "title", "course title", 200)
    description = (description or "").strip()
    if len(description) > 20_000:
        raise DomainError(
            "description_too_long", "Use at most 20,000 characters.", field="description"
        )
    category = " ".join((category or "").split())
    if len(category) > 80:
        raise DomainError("category_too_long", "Use at most 80 characters.", field="category")
    if estimated_minutes < 0 or estimated_minutes > 600_000:
        raise DomainError(
            "invalid_duration",
            "The duration is between 0 and 10,000 hours.",
            field="estimated_minutes",
        )
    fields = ("title", "description", "category", "estimated_minutes", "thumbnail_url")
    old = {k: getattr(course, k) for k in fields} | {"approval_required": course.approval_required}
    new = {
        "title": title,
        "description": description,
        "category": category,
        "estimated_minutes": estimated_minutes,
        "thumbnail_url": _clean_url(thumbnail_url),
        "approval_required": approval_required,
    }
    before, after = changed_fields(old, new)
    if not after:
        return course
    for key, value in after.items():
        setattr(course, key, value)
    course.updated_at = utcnow()
    session.add(course)
    record_audit(
        session=session,
        actor=actor,
        action="course.updated",
        entity_type="course",
        entity_id=course_id,
        before=before,
        after=after,
    )
    session.commit()
    return course


def course_options(
    *,
    session: Session,
    actor: Actor | None,
    section: str = "programs",
    published_only: bool = False,
) -> list[tuple[int, str]]:
    """(id, 'CODE — Title') of the courses the actor may pick in ``section``, by code."""
    allowed = managed_departments(session=session, actor=actor, section=section)
    query = select(Course.id, Course.code, Course.title)
    if allowed is not None:
        query = query.where(col(Course.department_id).in_(allowed))
    if published_only:
        query = query.where(col(Course.published).is_(True))
    rows = session.exec(query.order_by(col(Course.code))).all()
    return [(i, course_label(code, title)) for i, code, title in rows if i is not None]


# -- admin lists and edits of programs ------------------------------------------------------
