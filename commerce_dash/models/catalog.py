"""Departments, courses with ordered modules, programs with ordered courses."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from commerce_dash.models.base import created_at_field, timestamp_field


class Department(SQLModel, table=True):
    __tablename__ = "department"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)
    name: str = Field(max_length=120)
    description: str = Field(default="", sa_type=Text)
    parent_id: int | None = Field(default=None, foreign_key="department.id", index=True)
    logo_url: str = Field(default="", max_length=500)
    logo_image_id: int | None = Field(default=None, foreign_key="stored_image.id")
    # None: inherit from the parent department (a root department defaults to False).
    approval_required: bool | None = None
    # who reviews its registrations (REG-003): enrollment_admins, dept_admins or both
    registration_reviewers: str = Field(default="both", max_length=20)
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()


class Course(SQLModel, table=True):
    __tablename__ = "course"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)
    title: str = Field(max_length=200)
    description: str = Field(default="", sa_type=Text)
    category: str = Field(default="", max_length=80, index=True)
    department_id: int = Field(foreign_key="department.id", index=True)
    instructor_id: int | None = Field(default=None, foreign_key="app_user.id")
    content_creator_id: int | None = Field(default=None, foreign_key="app_user.id")
    published: bool = Field(default=False, index=True)
    thumbnail_url: str = Field(default="", max_length=500)
    estimated_minutes: int = Field(default=0, ge=0)
    # None: inherit from the department.
    approval_required: bool | None = None
    # Set for courses the LMS created or updated through the sync API.
    lms_id: str | None = Field(default=None, max_length=64, unique=True, index=True)
    # after this moment the course can no longer be bought or enrolled in (None: always)
    enrollment_deadline: datetime | None = timestamp_field()
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()


class CoursePrerequisite(SQLModel, table=True):
    """A course that must be completed (its certificate issued) before ``course_id`` is
    bought or enrolled in."""

    __tablename__ = "course_prerequisite"
    __table_args__ = (UniqueConstraint("course_id", "required_course_id"),)

    id: int | None = Field(default=None, primary_key=True)
    course_id: int = Field(foreign_key="course.id", index=True, ondelete="CASCADE")
    required_course_id: int = Field(foreign_key="course.id", ondelete="CASCADE")


class CourseModule(SQLModel, table=True):
    __tablename__ = "course_module"
    __table_args__ = (UniqueConstraint("course_id", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    course_id: int = Field(foreign_key="course.id", index=True, ondelete="CASCADE")
    position: int = Field(ge=1)
    title: str = Field(max_length=200)
    summary: str = Field(default="", sa_type=Text)
    estimated_minutes: int = Field(default=0, ge=0)
    lms_id: str | None = Field(default=None, max_length=64)


class Program(SQLModel, table=True):
    __tablename__ = "program"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)
    title: str = Field(max_length=200)
    description: str = Field(default="", sa_type=Text)
    department_id: int = Field(foreign_key="department.id", index=True)
    published: bool = Field(default=False, index=True)
    thumbnail_url: str = Field(default="", max_length=500)
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()


class ProgramCourse(SQLModel, table=True):
    __tablename__ = "program_course"
    __table_args__ = (UniqueConstraint("program_id", "position"),)

    program_id: int = Field(foreign_key="program.id", primary_key=True, ondelete="CASCADE")
    course_id: int = Field(foreign_key="course.id", primary_key=True, index=True)
    position: int = Field(ge=1)


class PriceInForce(SQLModel, table=True):
    """The price in force now of one item in one currency and interval, kept ready for the
    catalog (issue 20): written in the same transaction as every change to its prices and by
    the ``catalog_prices`` job when a window edge passes (``next_edge``).

    A row exists while the key has a price in force or one scheduled; ``price_id`` is None
    while only a scheduled one exists. ``next_edge`` is when the row stops being right (the
    price in force ends or a scheduled one starts); None: never.
    """

    __tablename__ = "price_in_force"

    item_type: str = Field(max_length=16, primary_key=True)
    item_id: int = Field(primary_key=True)
    currency: str = Field(max_length=3, primary_key=True)
    interval: str = Field(default="", max_length=16, primary_key=True)
    price_id: int | None = Field(default=None)
    amount: int | None = Field(default=None)
    price_type: str = Field(default="", max_length=16)
    next_edge: datetime | None = timestamp_field(index=True)


class CatalogChange(SQLModel, table=True):
    """One change to what the public catalog shows (appended, never updated): the newest id
    is the catalog's version, part of its ETags."""

    __tablename__ = "catalog_change"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = created_at_field()
