"""Registrations (one per purchased course, plus one per purchased program) and enrollments."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from commerce_dash.models.base import created_at_field, timestamp_field


class Registration(SQLModel, table=True):
    """A learner's place in a course (or program) after payment, waiting for approval or not.

    ``dedupe_key`` ("<order line id>:<course id or 'program'>") makes exactly one registration
    per order item and course, whatever happens to webhooks.
    """

    __tablename__ = "registration"
    __table_args__ = (
        Index("ix_registration_queue", "status", "department_id", "created_at"),
        # the queue's order (oldest first) read straight from an index
        Index("ix_registration_queue_order", "kind", "status", "created_at", "id"),
        Index("ix_registration_user", "user_id", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    dedupe_key: str = Field(max_length=64, unique=True)
    user_id: int = Field(foreign_key="app_user.id")
    kind: str = Field(max_length=16)  # course | program
    course_id: int | None = Field(default=None, foreign_key="course.id", index=True)
    program_id: int | None = Field(default=None, foreign_key="program.id")
    parent_id: int | None = Field(default=None, foreign_key="registration.id")
    department_id: int = Field(foreign_key="department.id")
    order_id: int | None = Field(default=None, foreign_key="orders.id", index=True)
    order_line_id: int | None = Field(default=None, foreign_key="order_line.id")
    # "order" (bought) or "subscription" (self-enrolled while a subscription gives access)
    source: str = Field(default="order", max_length=16)
    subscription_id: int | None = Field(default=None, foreign_key="subscription.id",
                                        index=True)
    amount_paid: int = Field(default=0, ge=0)  # the line's total share, minor units
    currency: str = Field(default="", max_length=3)
    approval_required: bool = False
    status: str = Field(default="pending", max_length=16)
    reviewed_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    reviewed_at: datetime | None = timestamp_field()
    rejection_reason: str = Field(default="", max_length=1000)
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()


class Enrollment(SQLModel, table=True):
    """Access to a course: local (active at once) or requested from the LMS (pending first)."""

    __tablename__ = "enrollment"
    __table_args__ = (Index("ix_enrollment_user_course", "user_id", "course_id"),
                      Index("ix_enrollment_status", "status", "requested_at"))

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id")
    course_id: int = Field(foreign_key="course.id")
    registration_id: int | None = Field(default=None, foreign_key="registration.id", unique=True)
    source: str = Field(max_length=16)  # registration | manual | subscription
    mode: str = Field(max_length=8)  # local | lms
    status: str = Field(default="pending", max_length=16)
    lms_enrollment_id: str = Field(default="", max_length=100)
    rejection_reason: str = Field(default="", max_length=1000)
    requested_at: datetime = created_at_field()
    activated_at: datetime | None = timestamp_field()
    ended_at: datetime | None = timestamp_field()
    updated_at: datetime = created_at_field()
