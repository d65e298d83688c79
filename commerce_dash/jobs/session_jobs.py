"""Live-session jobs (issue 17): the reminder emails the day before a session, and waitlist
offers that lapsed (the seat goes to the next learner). Thin: the enrollment area decides,
the job commits each bounded batch."""

from __future__ import annotations

import logging

from commerce_dash.db import session_scope
from commerce_dash.jobs.batches import in_batches
from commerce_dash.services import enrollment as enrollment_area

log = logging.getLogger(__name__)
# At most this many batches a run (the next run picks up the rest).
MAX_REMINDER_BATCHES = 10


def send_session_reminders() -> dict[str, int]:
    """Queue the reminder of every booked session starting within the reminder window,
    once per booking, in batches of ``REMINDER_BATCH`` committed one by one."""
    return in_batches(lambda session, limit: enrollment_area.send_session_reminders(
        session, limit=limit), batch=enrollment_area.REMINDER_BATCH,
        max_batches=MAX_REMINDER_BATCHES, what="session reminders")


def expire_waitlist_offers() -> dict[str, int]:
    """Waitlist offers past their time: expired, and the seat offered to (or given to) the
    next learner on the list."""
    with session_scope() as session:
        expired = enrollment_area.expire_offers(session)
        session.commit()
    return {"expired": expired}
