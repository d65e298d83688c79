"""What an instructor sees of the sessions they teach (issue 17, the "Teaching" page): their
sessions from the last 30 days on, each with its roster of learners, read in two indexed
queries (``ix_live_session_instructor``: instructor and start; bookings by session), and the
cheap question the navigation asks (does this user teach anything at all).

Only the instructor's own sessions are read: the roster here needs no admin section, the
instructor's id is the whole scope. Marking attendance is ``mark_attendance`` (it allows the
session's instructor).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from commerce_dash.domain.clock import ensure_utc, utcnow
from commerce_dash.models.accounts import User
from commerce_dash.models.sessions import Booking, LiveSession
from commerce_dash.services.enrollment.session_views import (
    RosterBooking,
    SessionRow,
    _row,
    _rows_query,
)

__all__ = ["TaughtSession", "instructor_sessions", "teaches_sessions"]

RECENT_DAYS = 30  # how far back the page looks (attendance is usually marked within days)
TEACHING_LIMIT = 200  # sessions listed at most (soonest first)
_ROSTER = ("booked", "attended", "missed")  # a cancelled booking has no one to mark


@dataclass(frozen=True)
class TaughtSession:
    """One of the instructor's sessions with the learners booked into it (cancelled bookings
    left out). ``started``: attendance can be marked."""

    session: SessionRow
    started: bool
    bookings: list[RosterBooking]


def teaches_sessions(session: Session, *, user_id: int) -> bool:
    """Whether the user is the instructor of any session (one index probe)."""
    return session.exec(select(LiveSession.id).where(LiveSession.instructor_id == user_id)
                        .limit(1)).first() is not None


def instructor_sessions(session: Session, *, user_id: int, now: datetime | None = None,
                        days_back: int = RECENT_DAYS) -> list[TaughtSession]:
    """The sessions ``user_id`` teaches that start from ``days_back`` days ago on (cancelled
    ones too, marked by their status), by start time, each with its roster."""
    at = ensure_utc(now or utcnow())
    since = at - timedelta(days=max(0, days_back))
    found = session.execute(
        _rows_query().where(col(LiveSession.instructor_id) == user_id,
                            col(LiveSession.starts_at) >= since)
        .order_by(col(LiveSession.starts_at), col(LiveSession.id))
        .limit(TEACHING_LIMIT)).all()
    rows = [_row(*r) for r in found]
    if not rows:
        return []
    by_session: dict[int, list[RosterBooking]] = {row.id: [] for row in rows}
    bookings = session.execute(
        sa_select(Booking, col(User.full_name), col(User.email))
        .join(User, col(User.id) == col(Booking.user_id))
        .where(col(Booking.session_id).in_(list(by_session)),
               col(Booking.status).in_(_ROSTER))
        .order_by(col(Booking.created_at), col(Booking.id))).all()
    for b, name, email in bookings:
        by_session[b.session_id].append(RosterBooking(
            booking_id=b.id or 0, user_id=b.user_id, learner=name, email=email,
            status=b.status, booked_at=ensure_utc(b.created_at),
            attendance=b.status if b.status in ("attended", "missed") else "",
            attendance_marked_at=b.attendance_marked_at, step_id=b.step_id,
            with_credit=b.credit_id is not None))
    return [TaughtSession(session=row, bookings=by_session[row.id],
                          started=row.status == "scheduled" and ensure_utc(row.starts_at) <= at)
            for row in rows]
