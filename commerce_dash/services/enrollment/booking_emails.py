"""The emails a booking and a waitlist entry send the learner (issue 17): booked, cancelled,
session cancelled or rescheduled, the reminder the day before, a seat from the waitlist, an
offer to accept.

Each is rendered now and queued through the outbox in the caller's transaction, so it goes
out once the business change commits, never when it rolls back, and at most once per dedupe
key (booking or entry, template, and the session's SEQUENCE, so a second reschedule emails
again). Times are shown in the learner's time zone with its name; invitations carry an
iCalendar file whose UID is the booking's, so calendars update or remove the same event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session

from commerce_dash import routes
from commerce_dash.domain.actor import Actor
from commerce_dash.domain.errors import DomainError, not_found
from commerce_dash.domain.sessions import in_zone, zone
from commerce_dash.models.accounts import User
from commerce_dash.models.catalog import Course
from commerce_dash.models.sessions import Booking, CourseStep, LiveSession, WaitlistEntry
from commerce_dash.notify.ics import invite_attachment, session_invite
from commerce_dash.notify.message import Attachment
from commerce_dash.notify.outbox_email import queue_email
from commerce_dash.settings import get_settings

# The learner's page of bookings ("My schedule"); offers are accepted there too.
SCHEDULE_PATH = routes.SCHEDULE

BOOKING_TEMPLATES = frozenset({
    "booking-confirmed", "booking-cancelled", "session-cancelled", "session-rescheduled",
    "session-reminder", "waitlist-promoted",
})
WAITLIST_TEMPLATES = frozenset({"waitlist-promoted", "waitlist-offer"})
# Which templates carry an invitation, and whether it removes the event.
_INVITES: dict[str, bool] = {
    "booking-confirmed": False,
    "session-rescheduled": False,
    "waitlist-promoted": False,
    "booking-cancelled": True,
    "session-cancelled": True,
}


def booking_uid(booking_id: int) -> str:
    """The calendar UID of a booking's event: the same in every email about it."""
    return f"booking-{booking_id}@commerce-dash"


def learner_zone(*names: str) -> str:
    """The first valid IANA zone of ``names`` (the learner's, then the session's), else UTC."""
    for name in names:
        try:
            zone(name)
        except DomainError:
            continue
        return name.strip()
    return "UTC"


def format_when(moment: datetime, time_zone: str) -> str:
    """``moment`` as read in ``time_zone``: "Mon 7 Dec 2026, 09:00 (Asia/Kolkata)"."""
    local = in_zone(moment, time_zone)
    return f"{local:%a} {local.day} {local:%b %Y}, {local:%H:%M} ({time_zone})"


def format_span(starts_at: datetime, ends_at: datetime, time_zone: str) -> str:
    """A session's time in ``time_zone``: "Mon 7 Dec 2026, 09:00-10:00 (Asia/Kolkata)" (the
    end's day is named when it is another day)."""
    start, end = in_zone(starts_at, time_zone), in_zone(ends_at, time_zone)
    first = f"{start:%a} {start.day} {start:%b %Y}, {start:%H:%M}"
    last = (f"{end:%H:%M}" if end.date() == start.date()
            else f"{end:%a} {end.day} {end:%b %Y}, {end:%H:%M}")
    return f"{first}-{last} ({time_zone})"


@dataclass(frozen=True)
class _Facts:
    user: User
    live: LiveSession
    course: Course | None
    step: CourseStep | None
    time_zone: str


def _facts(session: Session, *, user_id: int, session_id: int, step_id: int | None,
           time_zone: str) -> _Facts | None:
    user = session.get(User, user_id)
    live = session.get(LiveSession, session_id)
    if user is None or live is None:
        return None
    step = session.get(CourseStep, step_id) if step_id is not None else None
    course = session.get(Course, step.course_id) if step is not None else None
    return _Facts(user, live, course, step, learner_zone(time_zone, live.time_zone))


def _schedule_url() -> str:
    return f"{get_settings().public_url.rstrip('/')}{SCHEDULE_PATH}"


def _context(facts: _Facts, starts_at: datetime, ends_at: datetime) -> dict[str, Any]:
    live, step = facts.live, facts.step
    return {
        "user_name": facts.user.full_name,
        "session_title": live.title,
        "course_title": facts.course.title if facts.course is not None else "",
        "step_name": f"{step.label}: {step.title}" if step is not None else "",
        "when": format_span(starts_at, ends_at, facts.time_zone),
        "location": live.location,
        "meeting_url": live.meeting_url,
        "schedule_url": _schedule_url(),
    }


def _description(facts: _Facts, schedule_url: str) -> str:
    lines = [part for part in (
        facts.course.title if facts.course is not None else "",
        f"{facts.step.label}: {facts.step.title}" if facts.step is not None else "",
        facts.live.description.strip(),
        f"Join online: {facts.live.meeting_url}" if facts.live.meeting_url else "",
        f"Your schedule: {schedule_url}",
    ) if part]
    return "\n\n".join(lines)


def _invite(facts: _Facts, booking_id: int, *, cancelled: bool, sequence: int) -> Attachment:
    live = facts.live
    data = session_invite(
        uid=booking_uid(booking_id),
        title=live.title,
        description=_description(facts, _schedule_url()),
        starts_at=live.starts_at,
        ends_at=live.ends_at,
        time_zone=facts.time_zone,
        location=live.location or live.meeting_url,
        url=live.meeting_url or _schedule_url(),
        sequence=sequence,
        cancelled=cancelled,
        organizer=get_settings().email_from,
        attendee=f"{facts.user.full_name} <{facts.user.email}>",
    )
    return invite_attachment(data, cancelled=cancelled)


def _cancel_policy(booking: Booking) -> str:
    if booking.credit_id is None:
        return "You can cancel from your schedule if your plans change."
    hours = get_settings().booking_cancel_cutoff_hours
    return (f"This booking used one session credit: cancel at least {hours} hours before the "
            "start and the credit comes back to you.")


def email_booking(session: Session, booking: Booking, template: str, *, reason: str = "",
                  previous_starts_at: datetime | None = None,
                  previous_ends_at: datetime | None = None) -> None:
    """Queue ``template`` about ``booking`` for its learner (caller's transaction, no commit).

    Templates: booking-confirmed, booking-cancelled, session-cancelled (``reason``, else the
    session's cancel reason), session-rescheduled (the old time is ``previous_starts_at``/
    ``previous_ends_at``, else the booking's own times, read before they are moved),
    session-reminder, waitlist-promoted. Sent once per booking, template and
    session SEQUENCE, however often this is called.
    """
    if template not in BOOKING_TEMPLATES:
        raise ValueError(f"{template!r} is not a booking email; "
                         f"known: {', '.join(sorted(BOOKING_TEMPLATES))}")
    if booking.id is None:
        session.flush()
    facts = _facts(session, user_id=booking.user_id, session_id=booking.session_id,
                   step_id=booking.step_id, time_zone=booking.time_zone)
    if facts is None or booking.id is None:
        return
    live = facts.live
    context = _context(facts, live.starts_at, live.ends_at)
    context["cancel_policy"] = _cancel_policy(booking)
    context["uses_credit"] = booking.credit_id is not None
    context["credit_returned"] = bool(booking.credit_returned)
    context["reason"] = reason or live.cancel_reason or booking.cancel_reason
    if template == "session-rescheduled":
        was_start = previous_starts_at or booking.starts_at
        was_end = previous_ends_at or booking.ends_at
        context["old_when"] = format_span(was_start, was_end, facts.time_zone)
    cancels = _INVITES.get(template)
    # A cancellation outranks the last invitation (RFC 5546: its SEQUENCE is not lower).
    sequence = live.sequence + (1 if cancels else 0)
    attachments = ([] if cancels is None
                   else [_invite(facts, booking.id, cancelled=cancels, sequence=sequence)])
    queue_email(session=session, template=template, to=facts.user.email, context=context,
                attachments=attachments,
                dedupe_key=f"{template}:booking-{booking.id}:{live.sequence}")


def email_waitlist(session: Session, entry: WaitlistEntry, template: str) -> None:
    """Queue ``waitlist-promoted`` (the entry's booking made: with its invitation) or
    ``waitlist-offer`` (a seat held until ``entry.offered_until``, with the link to accept)
    for the entry's learner (caller's transaction, no commit). Sent once per entry and
    booking or offer."""
    if template not in WAITLIST_TEMPLATES:
        raise ValueError(f"{template!r} is not a waitlist email; "
                         f"known: {', '.join(sorted(WAITLIST_TEMPLATES))}")
    if template == "waitlist-promoted":
        booking = session.get(Booking, entry.booking_id) if entry.booking_id else None
        if booking is None:
            raise ValueError(f"waitlist entry {entry.id} has no booking to announce")
        email_booking(session, booking, template)
        return
    if entry.offered_until is None:
        raise ValueError(f"waitlist entry {entry.id} holds no offer")
    if entry.id is None:
        session.flush()
    facts = _facts(session, user_id=entry.user_id, session_id=entry.session_id,
                   step_id=entry.step_id, time_zone=entry.time_zone)
    if facts is None or entry.id is None:
        return
    context = _context(facts, facts.live.starts_at, facts.live.ends_at)
    context["offered_until"] = format_when(entry.offered_until, facts.time_zone)
    context["accept_url"] = f"{_schedule_url()}?offer={entry.id}"
    until = int(entry.offered_until.timestamp())
    queue_email(session=session, template=template, to=facts.user.email, context=context,
                dedupe_key=f"{template}:waitlist-{entry.id}:{until}")


def booking_invite(session: Session, *, actor: Actor, booking_id: int) -> bytes:
    """The learner's own booking as an .ics file ("add to calendar"), in their time zone; a
    cancelled booking gives the cancelling invite. Another learner's booking: 404."""
    booking = session.get(Booking, booking_id)
    if booking is None or booking.user_id != actor.user_id:
        raise not_found("booking", booking_id)
    facts = _facts(session, user_id=booking.user_id, session_id=booking.session_id,
                   step_id=booking.step_id, time_zone=booking.time_zone)
    if facts is None:
        raise not_found("booking", booking_id)
    cancelled = booking.status == "cancelled" or facts.live.status == "cancelled"
    assert booking.id is not None
    return _invite(facts, booking.id, cancelled=cancelled,
                   sequence=facts.live.sequence + (1 if cancelled else 0)).data
