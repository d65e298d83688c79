"""Module progress, completion rules per course, and certificates."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Text,
    UniqueConstraint,
    text,
)
from sqlmodel import Field, SQLModel

from commerce_dash.models.base import created_at_field, json_field, timestamp_field


class CompletionRule(SQLModel, table=True):
    """How a course is completed (no row: every module)."""

    __tablename__ = "completion_rule"

    course_id: int = Field(foreign_key="course.id", primary_key=True)
    requirement: str = Field(default="all_modules", max_length=24)
    min_percentage: int = Field(default=100, ge=1, le=100)
    required_modules: list[int] | None = json_field()
    assessment_module_id: int | None = Field(default=None, foreign_key="course_module.id")
    passing_score: int | None = None
    min_minutes: int = Field(default=0, ge=0)
    valid_for_days: int = Field(default=0, ge=0)
    updated_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    updated_at: datetime = created_at_field()


class ModuleProgress(SQLModel, table=True):
    """One learner's progress in one module of an enrollment."""

    __tablename__ = "module_progress"
    __table_args__ = (UniqueConstraint("enrollment_id", "module_id"),)

    id: int | None = Field(default=None, primary_key=True)
    enrollment_id: int = Field(foreign_key="enrollment.id", index=True)
    module_id: int = Field(foreign_key="course_module.id")
    completed: bool = False
    score: int | None = None  # whole percent
    minutes: int = Field(default=0, ge=0)
    completed_at: datetime | None = timestamp_field()
    updated_at: datetime = created_at_field()


class ProgressEvent(SQLModel, table=True):
    """A progress report already applied (the LMS may send the same event twice)."""

    __tablename__ = "progress_event"
    __table_args__ = (UniqueConstraint("source", "event_id"),)

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=32)  # lms | learner | admin
    event_id: str = Field(max_length=120)
    payload: dict[str, Any] | None = json_field()
    received_at: datetime = created_at_field()


class Certificate(SQLModel, table=True):
    """A certificate of completion; ``enrollment_id`` / ``program_key`` make it once only."""

    __tablename__ = "certificate"

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=32, unique=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    kind: str = Field(max_length=16)  # course | program
    course_id: int | None = Field(default=None, foreign_key="course.id")
    program_id: int | None = Field(default=None, foreign_key="program.id")
    department_id: int = Field(foreign_key="department.id", index=True)
    enrollment_id: int | None = Field(default=None, foreign_key="enrollment.id", unique=True)
    program_key: str | None = Field(default=None, max_length=64, unique=True)
    recipient_name: str = Field(max_length=120)
    title: str = Field(max_length=200)
    description: str = Field(max_length=300)
    completed_at: datetime = created_at_field()
    issued_at: datetime = created_at_field()
    expires_at: datetime | None = timestamp_field()
    grade: str = Field(default="", max_length=16)
    percentage: int | None = None
    status: str = Field(default="active", max_length=16)  # active | revoked
    revoked_at: datetime | None = timestamp_field()
    revoked_reason: str = Field(default="", max_length=500)
    revoked_category: str = Field(default="", max_length=32)
    revoked_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    template_id: int | None = Field(default=None, foreign_key="certificate_template.id")
    issued_by_id: int | None = Field(default=None, foreign_key="app_user.id")  # manual issue
    issue_note: str = Field(default="", max_length=500)
    updated_at: datetime = created_at_field()


class StoredImage(SQLModel, table=True):
    """An uploaded image (department logo, signature, certificate background).

    Served at ``/api/v2/images/{key}``: the key is random, so ids cannot be walked. Only
    the templates and the logo of its department may use it; an image of no department
    (an unused upload from before departments were recorded, or a super-admin's upload
    naming none) may be used by a super-admin only, which makes it that department's.
    """

    __tablename__ = "stored_image"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=32, unique=True)
    # use_alter: department.logo_image_id points back here, and the two foreign keys would
    # otherwise make a cycle that table sorting (and deletion order) cannot resolve
    department_id: int | None = Field(default=None, sa_column=Column(
        Integer, ForeignKey("department.id", name="fk_stored_image_department_id",
                            use_alter=True, ondelete="SET NULL"),
        nullable=True, index=True))
    purpose: str = Field(max_length=16)  # logo | signature | background
    filename: str = Field(default="", max_length=200)
    content_type: str = Field(max_length=32)
    sha256: str = Field(max_length=64)
    width: int
    height: int
    size_bytes: int
    data: bytes = Field(sa_type=LargeBinary)
    uploaded_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = created_at_field()


class CertificateTemplate(SQLModel, table=True):
    """A department's certificate design; ``version`` changes on every edit."""

    __tablename__ = "certificate_template"
    __table_args__ = (
        # at most one default template per department
        Index("uq_certificate_template_default", "department_id", unique=True,
              postgresql_where=text("is_default"), sqlite_where=text("is_default")),
    )

    id: int | None = Field(default=None, primary_key=True)
    department_id: int = Field(foreign_key="department.id", index=True)
    name: str = Field(max_length=120)
    orientation: str = Field(default="landscape", max_length=16)
    title_text: str = Field(default="Certificate of Completion", max_length=120)
    body_text: str = Field(default="", sa_type=Text)
    footer_text: str = Field(default="", max_length=300)
    font: str = Field(default="Helvetica", max_length=32)
    primary_color: str = Field(default="#1f4e79", max_length=7)
    background_image_id: int | None = Field(default=None, foreign_key="stored_image.id")
    # [{"name": ..., "title": ..., "image_id": int | None}]
    signatures: list[dict[str, Any]] | None = json_field()
    is_default: bool = False
    version: int = 1
    created_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()


class CertificatePdf(SQLModel, table=True):
    """The last rendered PDF of a certificate, valid while ``fingerprint`` matches."""

    __tablename__ = "certificate_pdf"

    certificate_id: int = Field(foreign_key="certificate.id", primary_key=True)
    fingerprint: str = Field(max_length=64)
    data: bytes = Field(sa_type=LargeBinary)
    rendered_at: datetime = created_at_field()
