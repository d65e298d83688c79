"""The reminder the day before a session (issue 17): one email per booking, whatever races.

A booking is reminded when it is live ("booked"), its session is scheduled and starts within
``settings.session_reminder_hours``. The claim is a conditional UPDATE of ``reminded_at``
(``WHERE reminded_at IS NULL``) in the same transaction as the queued email: of two workers,
the second updates nothing and sends nothing, and a rollback undoes both. A rescheduled
session's bookings get ``reminded_at`` cleared by the reschedule, and a new reminder (the
email's dedupe key carries the session's SEQUENCE).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from commerce_dash.domain.clock import ensure_utc, utcnow
from commerce_dash.models.sessions import Booking, LiveSession
from commerce_dash.services.enrollment.booking_emails import email_booking
from commerce_dash.settings import get_settings

REMINDER_BATCH = 200


def due_reminders(session: Session, *, now: datetime, limit: int) -> list[int]:
    """Ids of the bookings whose reminder is due at ``now``, soonest first."""
    horizon = now + timedelta(hours=get_settings().session_reminder_hours)
    rows = session.exec(
        select(Booking.id)
        .join(LiveSession, col(LiveSession.id) == col(Booking.session_id))
        .where(
            col(Booking.status) == "booked",
            col(Booking.reminded_at).is_(None),
            col(Booking.starts_at) > now,
            col(Booking.starts_at) <= horizon,
            col(LiveSession.status) == "scheduled",
        )
        .order_by(col(Booking.starts_at), col(Booking.id))
        .limit(limit)
    ).all()
    return [int(i) for i in rows if i is not None]


def send_session_reminders(session: Session, *, now: datetime | None = None,
                           limit: int = REMINDER_BATCH) -> int:
    """Queue "session-reminder" for up to ``limit`` due bookings, each at most once; returns
    how many were queued. Flushes, does not commit (the job commits each batch)."""
    now = ensure_utc(now or utcnow())
    sent = 0
    for booking_id in due_reminders(session, now=now, limit=limit):
        claimed = session.execute(
            update(Booking)
            .where(col(Booking.id) == booking_id, col(Booking.status) == "booked",
                   col(Booking.reminded_at).is_(None))
            .values(reminded_at=now, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            continue  # another worker reminded it, or it was cancelled meanwhile
        booking = session.get(Booking, booking_id, populate_existing=True)
        if booking is None:
            continue
        email_booking(session, booking, "session-reminder")
        sent += 1
    session.flush()
    return sent
