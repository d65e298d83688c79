"""Programs: bundles of ordered courses, created, edited, listed and priced."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, delete, select

from commerce_dash.domain.actor import Actor
from commerce_dash.domain.errors import DomainError, ErrorKind, not_found
from commerce_dash.domain.money import format_minor
from commerce_dash.domain.paging import Page, PageRequest
from commerce_dash.domain.pricing import ItemType
from commerce_dash.models.catalog import Course, Department, Program, ProgramCourse
from commerce_dash.services.catalog import pricing

# Billing admins work on every department's programs and prices; dept-admins on their own.
from commerce_dash.services.platform import (
    add_created,
    clean_code,
    course_label,
    item_options,
    managed_departments,
    page_of_query,
    require_managed,
    require_new_code,
    require_text,
    save_edit,
    search_clause,
)


def _check_program_courses(
    session: Session,
    actor: Actor,
    course_ids: Sequence[int],
    *,
    published: bool,
    kept: Collection[int] = (),
) -> list[int]:
    """At least two existing courses, none twice; returns them in the given order.

    A course added to the program (any not in ``kept``, the courses it already holds) must
    be published and belong to a department the actor manages for programs; a published
    program holds published courses only. Courses an entitled admin put in before may stay.
    """
    course_ids = list(course_ids)
    if len(course_ids) < 2:
        raise DomainError(
            "program_too_small", "A program holds at least two courses.", field="course_ids"
        )
    if len(set(course_ids)) != len(course_ids):
        raise DomainError(
            "duplicate_course", "A course appears twice in the program.", field="course_ids"
        )
    found = {
        c.id: c for c in session.exec(select(Course).where(col(Course.id).in_(course_ids))).all()
    }
    missing = [c for c in course_ids if c not in found]
    if missing:
        raise not_found("course", missing[0])
    courses = [found[c] for c in course_ids]
    allowed = managed_departments(session=session, actor=actor, section="programs")
    for course in courses:
        if course.id in kept or allowed is None or course.department_id in allowed:
            continue
        dept = session.get(Department, course.department_id)
        raise DomainError(
            "course_not_managed",
            f"{course.code} {course.title} belongs to {dept.name if dept else 'a department'}, "
            "which you do not manage; a program takes courses of your own departments only.",
            kind=ErrorKind.FORBIDDEN,
            field="course_ids",
        )
    for course in courses:
        if course.published:
            continue
        if course.id not in kept:
            raise DomainError(
                "course_not_published",
                f"{course.code} {course.title} is not published; "
                "publish it before adding it to a program.",
                field="course_ids",
            )
        if published:
            raise DomainError(
                "course_not_published",
                f"{course.code} {course.title} is not published; publish it or take it out "
                "of the program before publishing the program.",
                field="course_ids",
            )
    return course_ids


def create_program(
    *,
    session: Session,
    actor: Actor,
    code: str,
    title: str,
    department_id: int,
    course_ids: Sequence[int],
    description: str = "",
    published: bool = False,
    thumbnail_url: str = "",
) -> Program:
    """A program holding ``course_ids`` in that order (a course may be in several programs).

    Dept-admins create programs in their departments from the published courses of their
    departments; billing and super-admins in any department from any published course.
    """
    if session.get(Department, department_id) is None:
        raise not_found("department", department_id)
    require_managed(session, actor, "programs", department_id)
    code = clean_code(code)
    title = require_text(title, "title", "program title", 200)
    course_ids = _check_program_courses(session, actor, course_ids, published=published)
    require_new_code(session, Program, code, "program")
    program = Program(
        code=code,
        title=title,
        description=description.strip(),
        department_id=department_id,
        published=published,
        thumbnail_url=thumbnail_url,
    )
    add_created(session=session, actor=actor, row=program, action="program.created",
                entity_type="program",
                after={"code": code, "title": title, "course_ids": list(course_ids)})
    assert program.id is not None
    for position, course_id in enumerate(course_ids, start=1):
        session.add(ProgramCourse(program_id=program.id, course_id=course_id, position=position))
    session.commit()
    return program


@dataclass(frozen=True)
class ProgramRow:
    id: int
    code: str
    title: str
    department_id: int
    department: str
    courses: int
    published: bool


@dataclass(frozen=True)
class ProgramDetail:
    id: int
    code: str
    title: str
    description: str
    department_id: int
    department: str
    published: bool
    # (course id, 'CODE — Title') in program order
    courses: tuple[tuple[int, str], ...]


@dataclass(frozen=True)
class BundlePrice:
    amount: int
    currency: str
    amount_label: str
    # None when the courses lack a price in the currency or the bundle is not cheaper
    savings: int | None
    savings_label: str


def list_programs(
    *, session: Session, actor: Actor | None, page: PageRequest, search: str = ""
) -> Page[ProgramRow]:
    """Programs by code within the actor's departments, with how many courses each holds."""
    allowed = managed_departments(session=session, actor=actor, section="programs")
    query = select(Program)
    if allowed is not None:
        query = query.where(col(Program.department_id).in_(allowed))
    if search.strip():
        query = query.where(search_clause(search, Program.code, Program.title))
    found = page_of_query(session, query, page, col(Program.code))
    programs = found.items
    counts = dict(
        session.exec(
            select(ProgramCourse.program_id, func.count())
            .where(col(ProgramCourse.program_id).in_([p.id for p in programs]))
            .group_by(col(ProgramCourse.program_id))
        ).all()
    )
    names = dict(session.exec(select(Department.id, Department.name)).all())
    rows = [
        ProgramRow(
            id=p.id or 0,
            code=p.code,
            title=p.title,
            department_id=p.department_id,
            department=names.get(p.department_id, ""),
            courses=int(counts.get(p.id or 0, 0)),
            published=p.published,
        )
        for p in programs
    ]
    return Page(rows, found.total, page.page, page.page_size)


def _program_course_ids(session: Session, program_id: int) -> list[int]:
    return list(
        session.exec(
            select(ProgramCourse.course_id)
            .where(ProgramCourse.program_id == program_id)
            .order_by(col(ProgramCourse.position))
        ).all()
    )


def _managed_program(
    session: Session, actor: Actor | None, program_id: int
) -> tuple[Actor, Program]:
    program = session.get(Program, program_id)
    if program is None:
        raise not_found("program", program_id)
    return require_managed(session, actor, "programs", program.department_id), program


def get_program(*, session: Session, actor: Actor | None, program_id: int) -> ProgramDetail:
    """A program the actor manages, with its courses in order."""
    _, program = _managed_program(session, actor, program_id)
    courses = session.exec(
        select(Course.id, Course.code, Course.title)
        .join(ProgramCourse, col(ProgramCourse.course_id) == Course.id)
        .where(ProgramCourse.program_id == program_id)
        .order_by(col(ProgramCourse.position))
    ).all()
    dept = session.get(Department, program.department_id)
    return ProgramDetail(
        id=program_id,
        code=program.code,
        title=program.title,
        description=program.description,
        department_id=program.department_id,
        department=dept.name if dept else "",
        published=program.published,
        courses=tuple((i or 0, course_label(code, title)) for i, code, title in courses),
    )


def update_program(
    *,
    session: Session,
    actor: Actor | None,
    program_id: int,
    title: str,
    description: str,
    published: bool,
    course_ids: Sequence[int],
) -> Program:
    """Change a program and replace its ordered courses (same rules as creating one).

    Courses it already holds may stay even if the actor could not add them now, but a
    program is published only while every course of it is published.
    """
    actor, program = _managed_program(session, actor, program_id)
    title = require_text(title, "title", "program title", 200)
    current = _program_course_ids(session, program_id)
    course_ids = _check_program_courses(
        session, actor, course_ids, published=published, kept=current
    )
    old = {
        "title": program.title,
        "description": program.description,
        "published": program.published,
        "course_ids": current,
    }
    description = (description or "").strip()
    new = {
        "title": title,
        "description": description,
        "published": published,
        "course_ids": course_ids,
    }

    def replace_courses(ids: Sequence[int]) -> None:
        # Positions are unique per program: clear the old order before writing the new one.
        session.exec(delete(ProgramCourse).where(col(ProgramCourse.program_id) == program_id))
        for position, course_id in enumerate(ids, start=1):
            session.add(
                ProgramCourse(program_id=program_id, course_id=course_id, position=position)
            )

    save_edit(session=session, actor=actor, row=program, old=old, new=new,
              action="program.updated", entity_type="program", entity_id=program_id,
              related={"course_ids": replace_courses})
    return program


def program_options(
    *,
    session: Session,
    actor: Actor | None,
    section: str = "pricing",
    published_only: bool = True,
) -> list[tuple[int, str]]:
    """(id, 'CODE — Title') of the programs the actor may pick in ``section``, by code."""
    return item_options(session=session, actor=actor, model=Program, section=section,
                        published_only=published_only)


def bundle_prices(
    *, session: Session, program_ids: Sequence[int], currency: str, at: datetime, locale: str
) -> dict[int, BundlePrice]:
    """The one-time price in force of each program that has one in ``currency``, with what it
    saves against its courses' prices in force at ``at``."""
    # Imported here: services.pricing imports this module for department_parents.
    amounts = pricing.prices_in_force(
        session=session, item_type=ItemType.PROGRAM, item_ids=program_ids, currency=currency, at=at
    )
    found: dict[int, BundlePrice] = {}
    for program_id, amount in amounts.items():
        savings: int | None = None
        if amount > 0:
            try:
                savings = pricing.program_savings(
                    session=session,
                    program_id=program_id,
                    bundle_price=amount,
                    currency=currency,
                    at=at,
                ).savings
            except DomainError:
                savings = None
        found[program_id] = BundlePrice(
            amount=amount,
            currency=currency,
            amount_label=format_minor(amount, currency, locale),
            savings=savings,
            savings_label=format_minor(savings, currency, locale) if savings else "",
        )
    return found
