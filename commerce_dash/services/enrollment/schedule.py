"""The learner's schedule (issue 17): upcoming bookings soonest first, past and cancelled
ones latest first (the last 50), waitlist entries with their place in the line, and credits;
indexed reads of the learner's own rows (a fixed number of statements, whatever the numbers)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_
from sqlalchemy import select as sql_select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from commerce_dash.domain.clock import ensure_utc, utcnow
from commerce_dash.models.accounts import User
from commerce_dash.models.catalog import Course
from commerce_dash.models.sessions import Booking, CourseStep, LiveSession, WaitlistEntry
from commerce_dash.services.enrollment.credits import (
    CreditRow,
    credit_back_if_cancelled,
    learner_credits,
)

__all__ = ["Schedule", "ScheduleRow", "WaitlistRow", "learner_schedule"]

BOOKED, OFFERED = "booked", "offered"
_PAST_LIMIT = 50


@dataclass(frozen=True)
class ScheduleRow:
    """One booking in "My schedule"."""

    booking_id: int
    session_id: int
    title: str
    kind: str  # group | private
    instructor_name: str
    location: str
    meeting_url: str
    starts_at: datetime
    ends_at: datetime
    time_zone: str  # the learner's (the session's own is ``session_time_zone``)
    session_time_zone: str
    step_label: str
    step_title: str
    course_title: str
    status: str  # booked | cancelled | attended | missed
    uses_credit: bool
    credit_returned: bool
    can_cancel: bool
    credit_back_if_cancelled: bool


@dataclass(frozen=True)
class WaitlistRow:
    """One of the learner's waitlist entries: ``place`` is their place in the queue now."""

    entry_id: int
    session_id: int
    title: str
    starts_at: datetime
    ends_at: datetime
    status: str  # waiting | offered
    place: int
    offered_until: datetime | None
    step_id: int | None


@dataclass(frozen=True)
class Schedule:
    upcoming: list[ScheduleRow]
    past: list[ScheduleRow]
    waitlist: list[WaitlistRow]
    credits: list[CreditRow]


def _schedule_rows(session: Session, where: list[Any], order: Any, limit: int | None,
                   now: datetime) -> list[ScheduleRow]:
    instructor = aliased(User)
    query = (
        sql_select(Booking, LiveSession, col(instructor.full_name), col(CourseStep.label),
                   col(CourseStep.title), col(Course.title))
        .join(LiveSession, col(LiveSession.id) == Booking.session_id)
        .outerjoin(instructor, col(instructor.id) == LiveSession.instructor_id)
        .outerjoin(CourseStep, col(CourseStep.id) == Booking.step_id)
        .outerjoin(Course, col(Course.id) == CourseStep.course_id)
        .where(*where).order_by(order, col(Booking.id))
    )
    if limit is not None:
        query = query.limit(limit)
    rows = []
    for booking, live, teacher, label, step_title, course_title in session.execute(query).all():
        assert booking.id is not None and live.id is not None
        open_ = booking.status == BOOKED and ensure_utc(live.starts_at) > now
        rows.append(ScheduleRow(
            booking_id=booking.id, session_id=live.id, title=live.title, kind=live.kind,
            instructor_name=teacher or "", location=live.location,
            meeting_url=live.meeting_url, starts_at=booking.starts_at,
            ends_at=booking.ends_at, time_zone=booking.time_zone,
            session_time_zone=live.time_zone, step_label=label or "",
            step_title=step_title or "", course_title=course_title or "",
            status=booking.status, uses_credit=booking.credit_id is not None,
            credit_returned=booking.credit_returned, can_cancel=open_,
            credit_back_if_cancelled=open_ and credit_back_if_cancelled(booking, live, now)))
    return rows


def _waitlist_rows(session: Session, user_id: int) -> list[WaitlistRow]:
    ahead = aliased(WaitlistEntry)
    # the entries waiting before this one in its session's line, in the same statement
    before = (select(func.count()).select_from(ahead).where(
        col(ahead.session_id) == col(WaitlistEntry.session_id), col(ahead.status) == "waiting",
        or_(col(ahead.position) < col(WaitlistEntry.position),
            (col(ahead.position) == col(WaitlistEntry.position))
            & (col(ahead.id) < col(WaitlistEntry.id))))
        .correlate(WaitlistEntry).scalar_subquery())
    mine = session.execute(
        sql_select(WaitlistEntry, col(LiveSession.title), col(LiveSession.starts_at),
                   col(LiveSession.ends_at), before)
        .join(LiveSession, col(LiveSession.id) == WaitlistEntry.session_id)
        .where(col(WaitlistEntry.user_id) == user_id,
               col(WaitlistEntry.status).in_(("waiting", OFFERED)))
        .order_by(col(LiveSession.starts_at))).all()
    rows = []
    for entry, title, starts_at, ends_at, waiting_before in mine:
        assert entry.id is not None
        rows.append(WaitlistRow(entry_id=entry.id, session_id=entry.session_id, title=title,
                                starts_at=starts_at, ends_at=ends_at, status=entry.status,
                                place=0 if entry.status == OFFERED
                                else int(waiting_before) + 1,
                                offered_until=entry.offered_until, step_id=entry.step_id))
    return rows


def learner_schedule(session: Session, *, user_id: int, now: datetime | None = None
                     ) -> Schedule:
    """The learner's upcoming bookings (soonest first), past and cancelled ones (latest
    first, the last 50), waitlist entries and credits: indexed reads of their own rows."""
    at = ensure_utc(now or utcnow())
    upcoming = _schedule_rows(
        session, [Booking.user_id == user_id, Booking.status == BOOKED,
                  col(Booking.ends_at) > at],
        col(Booking.starts_at), None, at)
    past = _schedule_rows(
        session, [Booking.user_id == user_id,
                  or_(col(Booking.status) != BOOKED, col(Booking.ends_at) <= at)],
        col(Booking.starts_at).desc(), _PAST_LIMIT, at)
    return Schedule(upcoming=upcoming, past=past, waitlist=_waitlist_rows(session, user_id),
                    credits=learner_credits(session, user_id=user_id, now=at))
