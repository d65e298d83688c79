"""Scheduling live sessions (issue 17): group classes, weekly series and an instructor's
private slots; editing, rescheduling and cancelling them.

A session is scheduled at a local wall time in a named time zone and stored in UTC
(``domain.sessions``). An instructor never holds two live sessions at overlapping times: every
occurrence of a series (or slot of a window) is checked before any is written, so a refusal
leaves nothing behind. Every change is an admin action of the session's department, audited
with what it was and what it became. These functions flush; the caller commits.

Just over 400 lines: the five admin actions share one set of checks (times, fields, the
instructor's other sessions); the admin's views and attendance already live apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from uuid import uuid4

from sqlalchemy import update
from sqlmodel import Session, col, select

from commerce_dash.db import for_update
from commerce_dash.domain.actor import Actor
from commerce_dash.domain.clock import ensure_utc, utcnow
from commerce_dash.domain.errors import DomainError, ErrorKind, not_found
from commerce_dash.domain.sessions import (
    MAX_CAPACITY,
    Slot,
    check_session,
    first_overlap,
    in_zone,
    local_to_utc,
    private_slots,
    weekly_series,
    zone,
)
from commerce_dash.models.accounts import User
from commerce_dash.models.catalog import Department
from commerce_dash.models.sessions import Booking, LiveSession
from commerce_dash.services.enrollment.booking_emails import email_booking
from commerce_dash.services.enrollment.bookings import release_session_bookings
from commerce_dash.services.enrollment.waitlist import promote_waitlist
from commerce_dash.services.platform import record_audit, require_managed, require_text

# The admin section of live sessions: department admins (and super-admins) of the session's
# department schedule and see them.
SECTION = "sessions"
GROUP, PRIVATE = "group", "private"
SCHEDULED, CANCELLED = "scheduled", "cancelled"
LIVE_BOOKING = "booked"
LIVE_WAITLIST = ("waiting", "offered")
_LOCATION_MAX, _URL_MAX, _DESCRIPTION_MAX, _REASON_MAX = 300, 500, 20_000, 500


@dataclass(frozen=True)
class SessionIn:
    """A group class to schedule: local wall times ``start``-``end`` on ``day`` in
    ``time_zone``, repeated weekly ``repeat_weeks`` times (1: a single session)."""

    department_id: int
    title: str
    day: date
    start: time
    end: time
    time_zone: str
    capacity: int
    instructor_id: int | None = None
    location: str = ""
    meeting_url: str = ""
    description: str = ""
    repeat_weeks: int = 1


@dataclass(frozen=True)
class SessionEdit:
    """What an admin may change on a scheduled session without moving it."""

    title: str
    capacity: int
    location: str = ""
    meeting_url: str = ""
    description: str = ""
    instructor_id: int | None = None


# -- shared helpers (session_views and attendance use them too) ---------------------------------


def local_text(moment: datetime, time_zone: str) -> str:
    """``moment`` as a reader in ``time_zone`` sees it: 'Mon 26 Oct 2026, 09:00 CET'."""
    local = in_zone(moment, time_zone)
    return f"{local:%a %d %b %Y, %H:%M} {local.tzname()}"


def get_live_session(session: Session, session_id: int, *, lock: bool = False) -> LiveSession:
    """The session ``session_id`` (read fresh and locked until the commit when ``lock``)."""
    query = select(LiveSession).where(LiveSession.id == session_id)
    if lock:
        query = for_update(session, query).execution_options(populate_existing=True)
    live = session.exec(query).first()
    if live is None:
        raise not_found("live_session", session_id)
    return live


def require_department_admin(session: Session, actor: Actor | None, department_id: int) -> Actor:
    """The actor, when the department exists and they administer it (or are a super-admin)."""
    if session.get(Department, department_id) is None:
        raise not_found("department", department_id)
    return require_managed(session, actor, SECTION, department_id)


def facts(live: LiveSession) -> dict[str, Any]:
    """What the audit log keeps of a session."""
    return {
        "title": live.title, "kind": live.kind, "department_id": live.department_id,
        "instructor_id": live.instructor_id, "starts_at": live.starts_at.isoformat(),
        "ends_at": live.ends_at.isoformat(), "time_zone": live.time_zone,
        "capacity": live.capacity, "location": live.location, "meeting_url": live.meeting_url,
        "status": live.status, "series_id": live.series_id, "sequence": live.sequence,
        "description": live.description,
    }


# -- validation ---------------------------------------------------------------------------------


def _details(location: str, meeting_url: str, description: str = "") -> tuple[str, str, str]:
    """The place, the meeting link (http or https) and the description, cleaned."""
    place = " ".join((location or "").split())
    url, text = (meeting_url or "").strip(), (description or "").strip()
    if len(place) > _LOCATION_MAX:
        raise DomainError("location_too_long", f"Use at most {_LOCATION_MAX} characters.",
                          field="location")
    if len(url) > _URL_MAX:
        raise DomainError("url_too_long", f"Use at most {_URL_MAX} characters.",
                          field="meeting_url")
    if url and (not url.lower().startswith(("https://", "http://")) or " " in url):
        raise DomainError("invalid_url", "A meeting link starts with http:// or https://.",
                          field="meeting_url")
    if len(text) > _DESCRIPTION_MAX:
        raise DomainError("description_too_long",
                          f"Use at most {_DESCRIPTION_MAX:,} characters.", field="description")
    return place, url, text


def _capacity(capacity: int, *, booked: int = 0, kind: str = GROUP) -> int:
    if isinstance(capacity, bool) or not isinstance(capacity, int) \
            or not 1 <= capacity <= MAX_CAPACITY:
        raise DomainError("invalid_capacity", f"Capacity is 1 to {MAX_CAPACITY:,} seats.",
                          field="capacity")
    if kind == PRIVATE and capacity != 1:
        raise DomainError("invalid_capacity", "A private session has one seat.",
                          field="capacity")
    if capacity < booked:
        raise DomainError("capacity_below_booked",
                          f"{booked} seats are booked: the capacity can't be less.",
                          field="capacity")
    return capacity


def _instructor(session: Session, instructor_id: int | None, *, required: bool = False
                ) -> User | None:
    """The instructor's user row, locked so two admins can't double-book them at once."""
    if instructor_id is None:
        if required:
            raise DomainError("instructor_required", "Choose the instructor.",
                              field="instructor_id")
        return None
    user = session.exec(for_update(session, select(User).where(User.id == instructor_id))
                        ).first()
    if user is None or not user.is_active:
        raise DomainError("unknown_instructor",
                          f"No active user {instructor_id} can teach this session.",
                          field="instructor_id")
    return user


def _wall_times(day: date, start: time, end: time, time_zone: str) -> None:
    zone(time_zone)
    if end <= start:
        raise DomainError("session_ends_before_start",
                          f"The end ({end:%H:%M}) must be after the start ({start:%H:%M}).",
                          field="ends_at")


def _check_slots(slots: Sequence[Slot], capacity: int, now: datetime) -> None:
    if not slots:
        raise DomainError("window_too_short", "The window holds no whole slot.",
                          field="ends_at")
    for slot in slots:
        check_session(slot.starts_at, slot.ends_at, capacity, now=now)


def _refuse_overlaps(session: Session, instructor: User | None, slots: Sequence[Slot], *,
                     exclude_id: int | None = None) -> None:
    """Refuse when the instructor teaches another live session during any of ``slots``
    (one query over the span of them all), naming that session and its local time."""
    if instructor is None or not slots:
        return
    first, last = min(s.starts_at for s in slots), max(s.ends_at for s in slots)
    query = select(LiveSession).where(
        LiveSession.instructor_id == instructor.id, LiveSession.status != CANCELLED,
        col(LiveSession.starts_at) < last, col(LiveSession.ends_at) > first,
    ).order_by(col(LiveSession.starts_at))
    if exclude_id is not None:
        query = query.where(LiveSession.id != exclude_id)
    taken = list(session.exec(query).all())
    spans = [Slot(ensure_utc(t.starts_at), ensure_utc(t.ends_at)) for t in taken]
    for slot in slots:
        clash = first_overlap(slot, spans)
        if clash is not None:
            other = taken[spans.index(clash)]
            raise DomainError(
                "instructor_overlaps",
                f"{instructor.full_name} already teaches \"{other.title}\" on "
                f"{local_text(other.starts_at, other.time_zone)} "
                f"(until {in_zone(other.ends_at, other.time_zone):%H:%M}).",
                kind=ErrorKind.CONFLICT, field="instructor_id")


def _require_scheduled(live: LiveSession) -> None:
    if live.status == CANCELLED:
        raise DomainError("session_cancelled", f"\"{live.title}\" was cancelled.",
                          kind=ErrorKind.CONFLICT)


def _insert(session: Session, actor: Actor, rows: list[LiveSession]) -> list[LiveSession]:
    session.add_all(rows)
    session.flush()
    for row in rows:
        record_audit(session=session, actor=actor, action="session.scheduled",
                     entity_type="live_session", entity_id=row.id, after=facts(row))
    return rows


# -- scheduling -----------------------------------------------------------------------------------


def schedule_sessions(session: Session, *, actor: Actor, data: SessionIn,
                      now: datetime | None = None) -> list[LiveSession]:
    """A group class, or a weekly series of ``repeat_weeks`` sharing a ``series_id``, at the
    same local wall time each week (across daylight-saving changes). Every occurrence is
    validated (future, under 12 hours, the instructor free) before any is written."""
    now = now or utcnow()
    require_department_admin(session, actor, data.department_id)
    title = require_text(data.title, "title", "session title", 200)
    capacity = _capacity(data.capacity)
    location, url, description = _details(data.location, data.meeting_url, data.description)
    _wall_times(data.day, data.start, data.end, data.time_zone)
    slots = weekly_series(data.day, data.start, data.end, data.time_zone, data.repeat_weeks)
    _check_slots(slots, capacity, now)
    instructor = _instructor(session, data.instructor_id)
    _refuse_overlaps(session, instructor, slots)
    series = uuid4().hex if len(slots) > 1 else ""
    rows = [LiveSession(
        department_id=data.department_id, kind=GROUP, title=title, description=description,
        instructor_id=data.instructor_id, starts_at=slot.starts_at, ends_at=slot.ends_at,
        time_zone=data.time_zone.strip(), capacity=capacity, location=location,
        meeting_url=url, series_id=series, created_by_id=actor.user_id,
    ) for slot in slots]
    return _insert(session, actor, rows)


def open_private_slots(session: Session, *, actor: Actor, department_id: int,
                       instructor_id: int, day: date, start: time, end: time, time_zone: str,
                       minutes: int, location: str = "", meeting_url: str = "",
                       now: datetime | None = None) -> list[LiveSession]:
    """An instructor's availability from ``start`` to ``end`` (local) cut into private
    sessions of ``minutes`` (30 or 60), one seat each; refused whole when any slot would
    overlap another session of theirs."""
    now = now or utcnow()
    require_department_admin(session, actor, department_id)
    location, url, _ = _details(location, meeting_url)
    _wall_times(day, start, end, time_zone)
    slots = private_slots(local_to_utc(day, start, time_zone), local_to_utc(day, end, time_zone),
                          minutes)
    _check_slots(slots, 1, now)
    instructor = _instructor(session, instructor_id, required=True)
    assert instructor is not None
    _refuse_overlaps(session, instructor, slots)
    title = f"Private session with {instructor.full_name}"[:200]
    rows = [LiveSession(
        department_id=department_id, kind=PRIVATE, title=title, instructor_id=instructor_id,
        starts_at=slot.starts_at, ends_at=slot.ends_at, time_zone=time_zone.strip(),
        capacity=1, location=location, meeting_url=url, created_by_id=actor.user_id,
    ) for slot in slots]
    return _insert(session, actor, rows)


# -- changes --------------------------------------------------------------------------------------


def _audit_change(session: Session, actor: Actor, live: LiveSession, action: str,
                  before: dict[str, Any], reason: str = "") -> None:
    after = facts(live)
    changed = [k for k in after if before.get(k) != after[k]]
    record_audit(session=session, actor=actor, action=action, entity_type="live_session",
                 entity_id=live.id, before={k: before[k] for k in changed},
                 after={k: after[k] for k in changed}, reason=reason)


def update_session(session: Session, *, actor: Actor, session_id: int,
                   data: SessionEdit) -> LiveSession:
    """Change a session's title, capacity (never below the seats booked), place, link,
    description or instructor (who must be free then). A raised capacity gives the new seats
    to the waitlist. Saving what is already there changes nothing."""
    live = get_live_session(session, session_id, lock=True)
    require_department_admin(session, actor, live.department_id)
    _require_scheduled(live)
    title = require_text(data.title, "title", "session title", 200)
    capacity = _capacity(data.capacity, booked=live.seats_booked, kind=live.kind)
    location, url, description = _details(data.location, data.meeting_url, data.description)
    if live.kind == PRIVATE and data.instructor_id is None:
        _instructor(session, None, required=True)
    if data.instructor_id != live.instructor_id:
        instructor = _instructor(session, data.instructor_id)
        _refuse_overlaps(session, instructor, [Slot(live.starts_at, live.ends_at)],
                         exclude_id=live.id)
    before = facts(live)
    raised = capacity > live.capacity
    live.title, live.capacity, live.location, live.meeting_url = title, capacity, location, url
    live.description, live.instructor_id = description, data.instructor_id
    if facts(live) == before:
        return live
    live.updated_at = utcnow()
    session.add(live)
    session.flush()
    _audit_change(session, actor, live, "session.updated", before)
    if raised:
        assert live.id is not None
        promote_waitlist(session, live.id)
    return live


def reschedule_session(session: Session, *, actor: Actor, session_id: int, day: date,
                       start: time, end: time, time_zone: str,
                       now: datetime | None = None) -> LiveSession:
    """Move a session that has not started to a new local time: the same checks as when it was
    scheduled (the instructor's other sessions, not this one). Its live bookings move with it
    and each learner is emailed the new time (the calendar SEQUENCE goes up). A learner's
    other bookings at the new time do not stop the move. The same time again changes
    nothing."""
    now = now or utcnow()
    live = get_live_session(session, session_id, lock=True)
    require_department_admin(session, actor, live.department_id)
    _require_scheduled(live)
    if ensure_utc(live.starts_at) <= now:
        raise DomainError("session_started", f"\"{live.title}\" has already started.",
                          kind=ErrorKind.CONFLICT)
    _wall_times(day, start, end, time_zone)
    slot = Slot(local_to_utc(day, start, time_zone), local_to_utc(day, end, time_zone))
    check_session(slot.starts_at, slot.ends_at, live.capacity, now=now,
                  booked=live.seats_booked)
    time_zone = time_zone.strip()
    if (slot.starts_at, slot.ends_at, time_zone) == (
            ensure_utc(live.starts_at), ensure_utc(live.ends_at), live.time_zone):
        return live
    if live.instructor_id is not None:
        instructor = _instructor(session, live.instructor_id)
        _refuse_overlaps(session, instructor, [slot], exclude_id=live.id)
    before = facts(live)
    was_start, was_end = live.starts_at, live.ends_at
    live.starts_at, live.ends_at, live.time_zone = slot.starts_at, slot.ends_at, time_zone
    live.sequence, live.rescheduled_at, live.updated_at = live.sequence + 1, now, utcnow()
    session.add(live)
    session.execute(
        update(Booking)
        .where(col(Booking.session_id) == live.id, col(Booking.status) == LIVE_BOOKING)
        .values(starts_at=slot.starts_at, ends_at=slot.ends_at, updated_at=utcnow())
        .execution_options(synchronize_session=False))
    session.flush()
    _audit_change(session, actor, live, "session.rescheduled", before)
    booked = session.exec(select(Booking).where(
        Booking.session_id == live.id, Booking.status == LIVE_BOOKING,
    ).order_by(col(Booking.id)).execution_options(populate_existing=True)).all()
    for booking in booked:
        email_booking(session, booking, "session-rescheduled", previous_starts_at=was_start,
                      previous_ends_at=was_end)
    return live


def cancel_session(session: Session, *, actor: Actor, session_id: int, reason: str,
                   now: datetime | None = None) -> LiveSession:
    """Cancel a session that has not ended: its waitlist ends, every booking is released
    (credits back, steps unbooked) and each booked learner is emailed the reason. Cancelling
    a cancelled session changes nothing."""
    now = now or utcnow()
    live = get_live_session(session, session_id, lock=True)
    require_department_admin(session, actor, live.department_id)
    if live.status == CANCELLED:
        return live
    if ensure_utc(live.ends_at) <= now:
        raise DomainError("session_ended",
                          f"\"{live.title}\" ended on "
                          f"{local_text(live.ends_at, live.time_zone)}; it can't be cancelled.",
                          kind=ErrorKind.CONFLICT)
    reason = require_text(reason, "reason", "reason for the learners", _REASON_MAX)
    before = facts(live)
    live.status, live.cancel_reason, live.updated_at = CANCELLED, reason, utcnow()
    session.add(live)
    session.flush()
    _audit_change(session, actor, live, "session.cancelled", before, reason=reason)
    # every booking released (credits back, steps unbooked, seats freed), the waitlist ended
    released = release_session_bookings(session, live, actor=actor, reason=reason, now=now)
    for booking in released:
        email_booking(session, booking, "session-cancelled", reason=reason)
    return live
