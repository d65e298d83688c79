"""Admin programs and courses (T-002-03 and the course side of it): list, create, read, edit,
unpublish.

The same service calls as the Programs and Courses pages (``services.catalog`` for programs,
``services.platform`` for courses, ``services.learning`` for a course's enrollment deadline and
prerequisites): the same rules, messages and audit rows. Programs: billing admins and super
admins in every department, dept-admins in theirs (from their departments' published
courses); courses: dept-admins in their departments and super admins. Nothing is deleted
(orders and registrations refer to it): ``DELETE`` unpublishes.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from sqlmodel import Session

from commerce_dash.api.deps import (
    BodyId,
    DbSession,
    IdPath,
    OptionalIdQuery,
    PageNumber,
    PageSize,
    section_guard,
)
from commerce_dash.api.schemas import (
    DateIn,
    Out,
    Paged,
    Timestamp,
    day_start,
    fill,
    iso,
    mirror,
    paged,
)
from commerce_dash.domain.actor import Actor
from commerce_dash.domain.paging import PageRequest
from commerce_dash.services import catalog as catalog_area
from commerce_dash.services import learning as learning_area
from commerce_dash.services import platform as platform_area

router = APIRouter(prefix="/api/v2/admin", tags=["admin", "catalog"])

ProgramsActor = Annotated[Actor, section_guard("programs")]
CoursesActor = Annotated[Actor, section_guard("courses")]
Minutes = Annotated[int, Field(strict=True, ge=0, le=600_000)]


# -- programs ----------------------------------------------------------------------------------


class ProgramBody(BaseModel):
    title: str = Field(max_length=400)
    description: str = Field(default="", max_length=20_000)
    published: bool = False
    course_ids: list[BodyId] = Field(max_length=200,
                                     description="At least two courses, in program order")


class NewProgramBody(ProgramBody):
    code: str = Field(max_length=64)
    department_id: BodyId
    thumbnail_url: str = Field(default="", max_length=500)


class ProgramRowOut(mirror(catalog_area.ProgramRow)):  # type: ignore[misc]
    pass


class ProgramCourseOut(Out):
    id: int
    label: str = Field(description="CODE — Title")


class ProgramOut(mirror(catalog_area.AdminProgramDetail)):  # type: ignore[misc]
    courses: list[ProgramCourseOut] = Field(description="In program order")


def _program(session: Session, actor: Actor, program_id: int) -> dict[str, Any]:
    found = catalog_area.get_program(session=session, actor=actor, program_id=program_id)
    return fill(ProgramOut, found,
                courses=[{"id": i, "label": label} for i, label in found.courses])


@router.get("/programs", response_model=Paged[ProgramRowOut])
def list_programs(actor: ProgramsActor, session: DbSession,
                  q: Annotated[str, Query(max_length=200)] = "",
                  page: PageNumber = 1, page_size: PageSize = None) -> dict[str, Any]:
    found = catalog_area.list_programs(session=session, actor=actor,
                                       page=PageRequest.clamp(page, page_size), search=q)
    return paged(found, [asdict(r) for r in found.items])


@router.post("/programs", status_code=201, response_model=ProgramOut)
def create_program(body: NewProgramBody, actor: ProgramsActor,
                   session: DbSession) -> dict[str, Any]:
    program = catalog_area.create_program(
        session=session, actor=actor, code=body.code, title=body.title,
        department_id=body.department_id, course_ids=body.course_ids,
        description=body.description, published=body.published,
        thumbnail_url=body.thumbnail_url)
    return _program(session, actor, program.id or 0)


@router.get("/programs/{program_id}", response_model=ProgramOut)
def get_program(actor: ProgramsActor, session: DbSession,
                program_id: IdPath) -> dict[str, Any]:
    return _program(session, actor, program_id)


@router.put("/programs/{program_id}", response_model=ProgramOut)
def update_program(body: ProgramBody, actor: ProgramsActor, session: DbSession,
                   program_id: IdPath) -> dict[str, Any]:
    catalog_area.update_program(session=session, actor=actor, program_id=program_id,
                                title=body.title, description=body.description,
                                published=body.published, course_ids=body.course_ids)
    return _program(session, actor, program_id)


@router.delete("/programs/{program_id}", response_model=ProgramOut)
def unpublish_program(actor: ProgramsActor, session: DbSession,
                      program_id: IdPath) -> dict[str, Any]:
    """Unpublish the program (it stays for the orders and registrations that name it)."""
    found = catalog_area.get_program(session=session, actor=actor, program_id=program_id)
    catalog_area.update_program(session=session, actor=actor, program_id=program_id,
                                title=found.title, description=found.description,
                                published=False, course_ids=[i for i, _ in found.courses])
    return _program(session, actor, program_id)


# -- courses -----------------------------------------------------------------------------------


class ModuleBody(BaseModel):
    title: str = Field(max_length=400)
    summary: str = Field(default="", max_length=5000)
    estimated_minutes: Minutes = 0


class CourseBody(BaseModel):
    title: str = Field(max_length=400)
    description: str = Field(default="", max_length=20_000)
    category: str = Field(default="", max_length=200)
    estimated_minutes: Minutes = 0
    thumbnail_url: str = Field(default="", max_length=1000)
    approval_required: bool | None = Field(
        default=None, description="None: the department's rule")


class CourseEditBody(CourseBody):
    published: bool | None = Field(default=None, description="None: left as it is")
    enrollment_deadline: DateIn | None = Field(
        default=None, description="Last day to buy or enroll (UTC), when rules are sent")
    prerequisites: str | None = Field(
        default=None, max_length=2000,
        description="Course codes, comma separated; None: deadline and prerequisites left "
                    "as they are; \"\" clears both")


class NewCourseBody(CourseBody):
    code: str = Field(max_length=64)
    department_id: BodyId
    published: bool = False
    modules: list[ModuleBody] = Field(default_factory=list, max_length=200)


class CourseRowOut(mirror(platform_area.CourseRow)):  # type: ignore[misc]
    pass


class CourseOut(Out):
    id: int
    code: str
    title: str
    description: str
    category: str
    department_id: int
    published: bool
    thumbnail_url: str
    estimated_minutes: int
    approval_required: bool | None
    enrollment_deadline: Timestamp | None
    prerequisites: str = Field(description="Course codes, comma separated")


def _course(session: Session, actor: Actor, course_id: int) -> dict[str, Any]:
    course = platform_area.get_course(session=session, actor=actor, course_id=course_id)
    rules = learning_area.enrollment_rules(session, course_id)
    return fill(CourseOut, course, enrollment_deadline=iso(rules.deadline),
                prerequisites=rules.codes)


@router.get("/courses", response_model=Paged[CourseRowOut])
def list_courses(actor: CoursesActor, session: DbSession,
                 q: Annotated[str, Query(max_length=200)] = "",
                 department_id: OptionalIdQuery = None, published: bool | None = None,
                 page: PageNumber = 1, page_size: PageSize = None) -> dict[str, Any]:
    found = platform_area.list_courses(session=session, actor=actor,
                                       page=PageRequest.clamp(page, page_size), search=q,
                                       department_id=department_id, published=published)
    return paged(found, [asdict(r) for r in found.items])


@router.post("/courses", status_code=201, response_model=CourseOut)
def create_course(body: NewCourseBody, actor: CoursesActor,
                  session: DbSession) -> dict[str, Any]:
    course = platform_area.create_course(
        session=session, actor=actor, code=body.code, title=body.title,
        department_id=body.department_id, description=body.description,
        category=body.category, published=body.published, thumbnail_url=body.thumbnail_url,
        estimated_minutes=body.estimated_minutes, approval_required=body.approval_required,
        modules=[platform_area.ModuleSpec(m.title, m.summary, m.estimated_minutes)
                 for m in body.modules])
    return _course(session, actor, course.id or 0)


def _edit(session: Session, actor: Actor, course_id: int, body: CourseBody) -> None:
    platform_area.update_course(
        session=session, actor=actor, course_id=course_id, title=body.title,
        description=body.description, category=body.category,
        estimated_minutes=body.estimated_minutes, thumbnail_url=body.thumbnail_url,
        approval_required=body.approval_required)


@router.get("/courses/{course_id}", response_model=CourseOut)
def get_course(actor: CoursesActor, session: DbSession, course_id: IdPath) -> dict[str, Any]:
    return _course(session, actor, course_id)


@router.put("/courses/{course_id}", response_model=CourseOut)
def update_course(body: CourseEditBody, actor: CoursesActor, session: DbSession,
                  course_id: IdPath) -> dict[str, Any]:
    """The course dialog's edit: the enrollment rules (when sent) first, then the fields,
    then publishing; each step is checked and saved (audited) on its own."""
    if body.prerequisites is not None:
        day = body.enrollment_deadline
        learning_area.set_enrollment_rules(
            session=session, actor=actor, course_id=course_id,
            # the whole day, in UTC (as the course dialog sets it)
            deadline=(day_start(day, next_day=True) - timedelta(microseconds=1)
                      if day else None),
            prerequisite_codes=body.prerequisites)
    _edit(session, actor, course_id, body)
    if body.published is not None:
        platform_area.set_course_published(session=session, actor=actor, course_id=course_id,
                                           published=body.published)
    return _course(session, actor, course_id)


@router.delete("/courses/{course_id}", response_model=CourseOut)
def unpublish_course(actor: CoursesActor, session: DbSession,
                     course_id: IdPath) -> dict[str, Any]:
    """Unpublish the course (it stays for the orders and registrations that name it)."""
    platform_area.set_course_published(session=session, actor=actor, course_id=course_id,
                                       published=False)
    return _course(session, actor, course_id)

