"""Courses with their modules: creating one in a department, the admin list, publishing,
editing, and the course options of admin forms.

Re-exported by ``org.py``, the organisation's public face.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from commerce_dash.domain.access import RoleName, department_closure
from commerce_dash.domain.actor import Actor
from commerce_dash.domain.errors import DomainError, ErrorKind, not_found
from commerce_dash.domain.paging import Page, PageRequest
from commerce_dash.models.catalog import Course, CourseModule, Department, Program
from commerce_dash.services.platform.audit import (
    add_created,
    save_edit,
    save_switch,
)
from commerce_dash.services.platform.org_scope import (
    clean_code,
    department_parents,
    managed_departments,
    require_managed,
    require_new_code,
    require_text,
)
from commerce_dash.services.platform.paging import page_of_query


@dataclass(frozen=True)
class ModuleSpec:
    title: str
    summary: str = ""
    estimated_minutes: int = 0


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
    category, thumbnail_url = _clean_category(category), _clean_url(thumbnail_url)
    require_new_code(session, Course, code, "course")
    course = Course(
        code=code,
        title=title,
        description=description.strip(),
        category=category,
        department_id=department_id,
        instructor_id=instructor_id,
        content_creator_id=content_creator_id,
        published=published,
        thumbnail_url=thumbnail_url,
        estimated_minutes=estimated_minutes,
        approval_required=approval_required,
    )
    add_created(
        session=session,
        actor=actor,
        row=course,
        action="course.created",
        entity_type="course",
        after={
            "code": code,
            "title": title,
            "department_id": department_id,
            "published": published,
            "modules": len(modules),
        },
    )
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
    session.commit()
    return course


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
    found = page_of_query(session, query, page, col(Course.code))
    courses = found.items
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
    return Page(rows, found.total, page.page, page.page_size)


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
    save_switch(session=session, actor=actor, row=course, flag="published", value=published,
                actions=("course.published", "course.unpublished"), entity_type="course",
                entity_id=course_id)
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


def _clean_category(category: str) -> str:
    category = " ".join((category or "").split())
    if len(category) > 80:
        raise DomainError("category_too_long", "Use at most 80 characters.", field="category")
    return category


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
    category = _clean_category(category)
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
    save_edit(session=session, actor=actor, row=course, old=old, new=new,
              action="course.updated", entity_type="course", entity_id=course_id)
    return course


def course_options(
    *,
    session: Session,
    actor: Actor | None,
    section: str = "programs",
    published_only: bool = False,
) -> list[tuple[int, str]]:
    """(id, 'CODE — Title') of the courses the actor may pick in ``section``, by code."""
    return item_options(session=session, actor=actor, model=Course, section=section,
                        published_only=published_only)


def item_options(
    *,
    session: Session,
    actor: Actor | None,
    model: type[Course] | type[Program],
    section: str,
    published_only: bool,
) -> list[tuple[int, str]]:
    """(id, 'CODE — Title') of the courses or programs (per ``model``) the actor may pick in
    ``section``, by code: the one query behind the course and program pickers."""
    allowed = managed_departments(session=session, actor=actor, section=section)
    query = select(model.id, model.code, model.title)
    if allowed is not None:
        query = query.where(col(model.department_id).in_(allowed))
    if published_only:
        query = query.where(col(model.published).is_(True))
    rows = session.exec(query.order_by(col(model.code))).all()
    return [(i, course_label(code, title)) for i, code, title in rows if i is not None]
