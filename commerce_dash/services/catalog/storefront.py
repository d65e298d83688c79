"""What the public storefront shows (published items only)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, col, select

from commerce_dash.domain.durations import duration_label
from commerce_dash.models.catalog import Course, CourseModule, Department, Program, ProgramCourse


@dataclass(frozen=True)
class CourseCard:
    id: int
    code: str
    title: str
    description: str
    category: str
    department: str
    modules: int
    hours: str


@dataclass(frozen=True)
class DepartmentCard:
    id: int
    code: str
    name: str
    description: str
    published_courses: int
    parent: str


def published_courses(*, session: Session, limit: int = 12) -> list[CourseCard]:
    """Published courses, newest first, with their department and module count."""
    modules = (
        select(CourseModule.course_id, func.count().label("n"))
        .group_by(col(CourseModule.course_id))
        .subquery()
    )
    rows = session.exec(
        select(Course, Department.name, modules.c.n)
        .join(Department, col(Department.id) == Course.department_id)
        .outerjoin(modules, modules.c.course_id == Course.id)
        .where(col(Course.published).is_(True))
        .order_by(col(Course.created_at).desc(), col(Course.id).desc())
        .limit(limit)
    ).all()
    return [
        CourseCard(
            id=c.id or 0,
            code=c.code,
            title=c.title,
            description=c.description,
            category=c.category,
            department=dept,
            modules=int(n or 0),
            hours=duration_label(c.estimated_minutes),
        )
        for c, dept, n in rows
    ]


def departments(*, session: Session) -> list[DepartmentCard]:
    """Every department with its count of published courses."""
    counts = dict(
        session.exec(
            select(Course.department_id, func.count())
            .where(col(Course.published).is_(True))
            .group_by(col(Course.department_id))
        ).all()
    )
    depts = session.exec(select(Department).order_by(Department.name)).all()
    names = {d.id: d.name for d in depts}
    return [
        DepartmentCard(
            id=d.id or 0,
            code=d.code,
            name=d.name,
            description=d.description,
            published_courses=int(counts.get(d.id or 0, 0)),
            parent=names.get(d.parent_id, "") if d.parent_id is not None else "",
        )
        for d in depts
    ]


def published_program_count(*, session: Session) -> int:
    return int(
        session.exec(
            select(func.count()).select_from(Program).where(col(Program.published).is_(True))
        ).one()
    )


def program_course_count(*, session: Session, program_id: int) -> int:
    return int(
        session.exec(
            select(func.count())
            .select_from(ProgramCourse)
            .where(ProgramCourse.program_id == program_id)
        ).one()
    )
