"""Live sessions (group classes and private slots), course steps with their session options,
step progress, bookings, session credits and waitlists (issue 17).

Times are stored in UTC; ``time_zone`` is the IANA zone the session was scheduled in (its
wall time). Capacity is held by ``live_session.seats_booked``: a booking takes a seat with one
conditional ``UPDATE ... WHERE seats_booked < capacity`` (exact on SQLite and PostgreSQL).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from commerce_dash.models.base import UTCDateTime, created_at_field, timestamp_field


class LiveSession(SQLModel, table=True):
    """A group class (many seats) or a private slot (one seat) at a fixed time."""

    __tablename__ = "live_session"
    __table_args__ = (
        Index("ix_live_session_calendar", "department_id", "starts_at"),
        Index("ix_live_session_instructor", "instructor_id", "starts_at"),
        Index("ix_live_session_start", "starts_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    department_id: int = Field(foreign_key="department.id")
    kind: str = Field(default="group", max_length=8)  # group | private
    title: str = Field(max_length=200)
    description: str = Field(default="", sa_type=Text)
    instructor_id: int | None = Field(default=None, foreign_key="app_user.id")
    starts_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    ends_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    time_zone: str = Field(default="UTC", max_length=64)
    capacity: int = Field(default=1, ge=1)
    seats_booked: int = Field(default=0, ge=0)
    location: str = Field(default="", max_length=300)
    meeting_url: str = Field(default="", max_length=500)
    series_id: str = Field(default="", max_length=40, index=True)
    status: str = Field(default="scheduled", max_length=16)  # scheduled | cancelled
    cancel_reason: str = Field(default="", max_length=500)
    rescheduled_at: datetime | None = timestamp_field()
    # bumped on every reschedule: the .ics SEQUENCE, so calendars replace the old event
    sequence: int = Field(default=0, ge=0)
    created_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()


class CourseStep(SQLModel, table=True):
    """One ordered step of a course ("Step 1: Foundations")."""

    __tablename__ = "course_step"
    __table_args__ = (UniqueConstraint("course_id", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    course_id: int = Field(foreign_key="course.id", index=True, ondelete="CASCADE")
    position: int = Field(ge=1)
    label: str = Field(max_length=40)
    title: str = Field(max_length=200)
    description: str = Field(default="", sa_type=Text)
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()


class StepOption(SQLModel, table=True):
    """A group-class session that satisfies a step."""

    __tablename__ = "step_option"
    __table_args__ = (UniqueConstraint("step_id", "session_id"),)

    id: int | None = Field(default=None, primary_key=True)
    step_id: int = Field(foreign_key="course_step.id", index=True, ondelete="CASCADE")
    session_id: int = Field(foreign_key="live_session.id", index=True)
    created_at: datetime = created_at_field()


class StepProgress(SQLModel, table=True):
    """A learner's state in one step of a registration: unbooked, booked, attended, missed."""

    __tablename__ = "step_progress"
    __table_args__ = (
        UniqueConstraint("registration_id", "step_id"),
        Index("ix_step_progress_user", "user_id", "step_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    registration_id: int = Field(foreign_key="registration.id")
    step_id: int = Field(foreign_key="course_step.id", index=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="app_user.id")
    status: str = Field(default="unbooked", max_length=16)
    booking_id: int | None = Field(default=None, foreign_key="booking.id")
    booked_at: datetime | None = timestamp_field()
    attended_at: datetime | None = timestamp_field()
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()


class Booking(SQLModel, table=True):
    """A learner's seat in a session: for a step of a course, or paid with one credit."""

    __tablename__ = "booking"
    __table_args__ = (
        Index("ix_booking_user_time", "user_id", "status", "starts_at"),
        Index("ix_booking_session", "session_id", "status"),
        Index("ix_booking_reminder", "status", "reminded_at", "starts_at"),
        # one live booking per learner and session, whatever races
        Index("uq_booking_live", "session_id", "user_id", unique=True,
              sqlite_where=text("status = 'booked'"),
              postgresql_where=text("status = 'booked'")),
    )

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="live_session.id")
    user_id: int = Field(foreign_key="app_user.id")
    # copied from the session so a learner's schedule and overlap checks read one table
    starts_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    ends_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    step_id: int | None = Field(default=None, foreign_key="course_step.id")
    registration_id: int | None = Field(default=None, foreign_key="registration.id")
    credit_id: int | None = Field(default=None, foreign_key="session_credit.id")
    status: str = Field(default="booked", max_length=16)  # booked|cancelled|attended|missed
    time_zone: str = Field(default="UTC", max_length=64)  # the learner's, for emails
    cancelled_at: datetime | None = timestamp_field()
    cancel_reason: str = Field(default="", max_length=300)
    credit_returned: bool = False
    attendance_marked_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    attendance_marked_at: datetime | None = timestamp_field()
    reminded_at: datetime | None = timestamp_field()
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()


class SessionCredit(SQLModel, table=True):
    """One credit: a private session of ``minutes`` or one extra group class.

    Granted by an order line whose price carries credits (``dedupe_key`` = line id, kind and
    number: granting twice is harmless); ``status`` available -> used (by a booking) ->
    available again (cancelled before the cut-off), or revoked (its order refunded).
    """

    __tablename__ = "session_credit"
    __table_args__ = (
        Index("ix_session_credit_user", "user_id", "kind", "status", "expires_at"),
        Index("ix_session_credit_line", "order_line_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    dedupe_key: str = Field(max_length=64, unique=True)
    user_id: int = Field(foreign_key="app_user.id")
    department_id: int = Field(foreign_key="department.id")
    kind: str = Field(max_length=8)  # private | group
    minutes: int = Field(default=0, ge=0)  # private: 30 or 60; group: 0
    status: str = Field(default="available", max_length=16)  # available|used|revoked
    order_id: int | None = Field(default=None, foreign_key="orders.id", index=True)
    order_line_id: int | None = Field(default=None, foreign_key="order_line.id")
    booking_id: int | None = Field(default=None)
    granted_at: datetime = created_at_field()
    expires_at: datetime | None = timestamp_field()
    used_at: datetime | None = timestamp_field()
    revoked_at: datetime | None = timestamp_field()
    updated_at: datetime = created_at_field()


class CreditPack(SQLModel, table=True):
    """Session credits sold alone; what a pack gives is on its price (like a course's)."""

    __tablename__ = "credit_pack"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)
    title: str = Field(max_length=200)
    description: str = Field(default="", sa_type=Text)
    department_id: int = Field(foreign_key="department.id", index=True)
    published: bool = Field(default=False, index=True)
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()


class WaitlistEntry(SQLModel, table=True):
    """A learner waiting for a seat in a full session (first come, first served; admins may
    reorder). ``status``: waiting | offered | promoted | left | expired."""

    __tablename__ = "waitlist_entry"
    __table_args__ = (
        Index("ix_waitlist_queue", "session_id", "status", "position"),
        Index("uq_waitlist_live", "session_id", "user_id", unique=True,
              sqlite_where=text("status IN ('waiting', 'offered')"),
              postgresql_where=text("status IN ('waiting', 'offered')")),
    )

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="live_session.id")
    user_id: int = Field(foreign_key="app_user.id")
    step_id: int | None = Field(default=None, foreign_key="course_step.id")
    position: int = Field(ge=1)
    status: str = Field(default="waiting", max_length=16)
    time_zone: str = Field(default="UTC", max_length=64)
    offered_until: datetime | None = timestamp_field()
    booking_id: int | None = Field(default=None, foreign_key="booking.id")
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()
