"""Waitlists of full sessions (issue 17, ENR-006): a learner who may book a full session
waits in line (once); when a seat frees, the first in line gets it at once
(``settings.waitlist_offer_hours`` 0) or an offer held for that many hours (outstanding offers
hold their seats); admins of the department see and reorder the line. Every change is
audited.

Promotion (``promote_waitlist``, in ``bookings.py`` beside the guards it books through and
re-exported here) books as a learner's own booking would: an entry that can no longer book
(course ended, overlapping booking, no credit left) is expired with the reason in the audit
log, and the next one is tried.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from commerce_dash.db import for_update
from commerce_dash.domain.actor import Actor
from commerce_dash.domain.clock import ensure_utc, utcnow
from commerce_dash.domain.errors import DomainError, ErrorKind, not_found
from commerce_dash.domain.sessions import StepStatus, zone
from commerce_dash.models.accounts import User
from commerce_dash.models.sessions import Booking, LiveSession, WaitlistEntry
from commerce_dash.services.enrollment.booking_emails import email_booking
from commerce_dash.services.enrollment.bookings import (
    BOOKED,
    EXPIRED,
    OFFERED,
    PROMOTED,
    SCHEDULED,
    SECTION,
    WAITING,
    audit_entry,
    check_step_option,
    fresh_session,
    held_offers,
    is_department_admin,
    lock_learner,
    locked_session,
    move_entry,
    owning_registration,
    promote_waitlist,
    step_of,
    take_step,
    take_with_credit,
    waiting_line,
)
from commerce_dash.services.enrollment.credits import require_credit
from commerce_dash.services.learning import step_progress_for
from commerce_dash.services.platform import record_audit, require_managed

__all__ = [
    "WaitlistLine",
    "accept_offer",
    "expire_offers",
    "join_waitlist",
    "leave_waitlist",
    "promote_waitlist",
    "reorder_waitlist",
    "session_waitlist",
]

LEFT = "left"
_LIVE = (WAITING, OFFERED)


def _entry(session: Session, entry_id: int) -> WaitlistEntry:
    entry = session.exec(for_update(session, select(WaitlistEntry).where(
        WaitlistEntry.id == entry_id)).execution_options(populate_existing=True)).first()
    if entry is None:
        raise not_found("waitlist_entry", entry_id)
    return entry


def _live_entry(session: Session, session_id: int, user_id: int) -> WaitlistEntry | None:
    return session.exec(select(WaitlistEntry).where(
        WaitlistEntry.session_id == session_id, WaitlistEntry.user_id == user_id,
        col(WaitlistEntry.status).in_(_LIVE)).execution_options(populate_existing=True)
    ).first()


def _check_may_book(session: Session, *, user_id: int, live: LiveSession,
                    step_id: int | None, now: datetime) -> None:
    """The learner could book ``live`` once a seat frees: for a step, they own its course
    and the step is unbooked; otherwise, they hold a credit of the right kind."""
    if step_id is not None:
        step, course = step_of(session, step_id)
        owning_registration(session, user_id=user_id, course=course)
        check_step_option(session, step, live)
        progress = step_progress_for(session, user_id=user_id, step_id=step_id)
        if progress is not None and progress.status != StepStatus.UNBOOKED:
            raise DomainError("step_already_booked",
                              f"{step.label} ({step.title}) is already {progress.status}: "
                              "cancel its booking to choose another session.",
                              kind=ErrorKind.CONFLICT)
    else:
        require_credit(session, user_id=user_id, live=live, now=now)


def join_waitlist(session: Session, *, actor: Actor, session_id: int,
                  step_id: int | None = None, time_zone: str = "UTC",
                  now: datetime | None = None) -> WaitlistEntry:
    """Wait in line for a full session that has not started (for ``step_id`` of a course the
    learner owns, or to use a credit). Joining twice answers with the same entry (caller's
    transaction, no commit)."""
    at = ensure_utc(now or utcnow())
    time_zone = (time_zone or "UTC").strip()
    zone(time_zone)
    lock_learner(session, actor.user_id)
    live = locked_session(session, session_id)
    existing = _live_entry(session, session_id, actor.user_id)
    if existing is not None:
        return existing
    if live.status != SCHEDULED:
        raise DomainError("session_cancelled", f"\"{live.title}\" was cancelled.",
                          kind=ErrorKind.CONFLICT)
    if ensure_utc(live.starts_at) <= at:
        raise DomainError("session_started", "This session has already started.",
                          kind=ErrorKind.CONFLICT)
    if session.exec(select(Booking.id).where(
            Booking.session_id == session_id, Booking.user_id == actor.user_id,
            Booking.status == BOOKED)).first() is not None:
        raise DomainError("already_booked", f"You have already booked \"{live.title}\".",
                          kind=ErrorKind.CONFLICT)
    if live.seats_booked + held_offers(session, session_id, at) < live.capacity:
        raise DomainError("session_not_full",
                          f"\"{live.title}\" has a free seat: book it instead.",
                          kind=ErrorKind.CONFLICT)
    _check_may_book(session, user_id=actor.user_id, live=live, step_id=step_id, now=at)
    last = session.exec(select(func.max(WaitlistEntry.position)).where(
        WaitlistEntry.session_id == session_id)).one()
    entry = WaitlistEntry(session_id=session_id, user_id=actor.user_id, step_id=step_id,
                          position=int(last or 0) + 1, status=WAITING, time_zone=time_zone,
                          created_at=at, updated_at=at)
    try:
        with session.begin_nested():
            session.add(entry)
            session.flush()
    except IntegrityError:  # the same click twice at once: the first one made it
        found = _live_entry(session, session_id, actor.user_id)
        if found is None:
            raise
        return found
    audit_entry(session, actor, entry, "joined", "")
    session.flush()
    return entry


def leave_waitlist(session: Session, *, actor: Actor, entry_id: int,
                   now: datetime | None = None) -> WaitlistEntry:
    """The learner (or an admin of the department) takes the entry off the line; an offer
    given up goes to the next in line. Twice is harmless (caller's transaction)."""
    at = ensure_utc(now or utcnow())
    entry = _entry(session, entry_id)
    live = fresh_session(session, entry.session_id)
    if entry.user_id != actor.user_id \
            and not is_department_admin(session, actor, live.department_id):
        raise DomainError("forbidden", "You can only leave your own place on a waitlist.",
                          kind=ErrorKind.FORBIDDEN)
    if entry.status not in _LIVE:
        return entry
    before = entry.status
    move_entry(session, entry, LEFT, at)
    audit_entry(session, actor, entry, "left", before,
                reason="" if entry.user_id == actor.user_id else "removed by an admin")
    if before == OFFERED:
        promote_waitlist(session, entry.session_id, now=at)
    session.flush()
    return entry


def accept_offer(session: Session, *, actor: Actor, entry_id: int,
                 now: datetime | None = None) -> Booking:
    """The learner takes the seat they were offered, before the offer ends: booked as their
    own booking would be (its step, or a credit). Accepting twice answers with the same
    booking. Emails "booking-confirmed". Commits."""
    at = ensure_utc(now or utcnow())
    try:
        lock_learner(session, actor.user_id)
        entry = _entry(session, entry_id)
        if entry.user_id != actor.user_id:
            raise DomainError("forbidden", "This offer is for another learner.",
                              kind=ErrorKind.FORBIDDEN)
        if entry.status == PROMOTED and entry.booking_id is not None:
            booking = session.get(Booking, entry.booking_id)
            if booking is not None:
                session.rollback()
                return booking
        if entry.status != OFFERED or entry.offered_until is None:
            raise DomainError("offer_not_open", "This waitlist offer is no longer open.",
                              kind=ErrorKind.CONFLICT)
        if ensure_utc(entry.offered_until) <= at:
            raise DomainError("offer_expired",
                              "This offer has ended: the seat went to the next learner "
                              "in line.", kind=ErrorKind.CONFLICT)
        live = fresh_session(session, entry.session_id)
        if entry.step_id is not None:
            booking = take_step(session, actor=actor, user_id=actor.user_id,
                                step_id=entry.step_id, live=live, time_zone=entry.time_zone,
                                now=at, except_entry=entry.id)
        else:
            booking = take_with_credit(session, actor=actor, user_id=actor.user_id,
                                       live=live, time_zone=entry.time_zone, now=at,
                                       except_entry=entry.id)
        move_entry(session, entry, PROMOTED, at, booking_id=booking.id)
        audit_entry(session, actor, entry, "accepted", OFFERED)
        email_booking(session, booking, "booking-confirmed")
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return booking


def expire_offers(session: Session, *, now: datetime | None = None) -> int:
    """The job: offers not accepted in time expire and their seats go to the next in line;
    lines of sessions that started end; a line behind a free seat is promoted. Returns how
    many offers expired (caller's transaction)."""
    at = ensure_utc(now or utcnow())
    lapsed = list(session.exec(for_update(session, select(WaitlistEntry).where(
        WaitlistEntry.status == OFFERED, col(WaitlistEntry.offered_until) <= at,
    ).order_by(col(WaitlistEntry.id))).execution_options(populate_existing=True)).all())
    for entry in lapsed:
        move_entry(session, entry, EXPIRED, at)
        audit_entry(session, None, entry, "expired", OFFERED,
                    reason="the offer was not accepted in time")
    started = select(LiveSession.id).where(col(LiveSession.starts_at) <= at)
    session.execute(update(WaitlistEntry).where(
        col(WaitlistEntry.status).in_(_LIVE), col(WaitlistEntry.session_id).in_(started),
    ).values(status=EXPIRED, updated_at=at).execution_options(synchronize_session=False))
    behind_free_seat = session.exec(
        select(WaitlistEntry.session_id).distinct()
        .join(LiveSession, col(LiveSession.id) == WaitlistEntry.session_id)
        .where(WaitlistEntry.status == WAITING, LiveSession.status == SCHEDULED,
               col(LiveSession.starts_at) > at,
               col(LiveSession.seats_booked) < col(LiveSession.capacity))).all()
    for session_id in sorted({e.session_id for e in lapsed} | set(behind_free_seat)):
        promote_waitlist(session, session_id, now=at)
    session.flush()
    return len(lapsed)


def reorder_waitlist(session: Session, *, actor: Actor, session_id: int,
                     entry_ids: list[int]) -> list[WaitlistEntry]:
    """An admin of the department puts the waiting learners in a new order: ``entry_ids``
    lists every waiting entry once (400 otherwise). Audited; the same order again changes
    nothing (caller's transaction)."""
    live = locked_session(session, session_id)
    require_managed(session, actor, SECTION, live.department_id)
    waiting = waiting_line(session, session_id)
    current = [e.id for e in waiting]
    if len(set(entry_ids)) != len(entry_ids) or set(entry_ids) != set(current):
        raise DomainError("invalid_waitlist_order",
                          "List every waiting learner of this session once, in the new "
                          "order (someone may have joined or left: reload the list).",
                          field="entry_ids")
    if list(entry_ids) == current:
        return waiting
    by_id = {e.id: e for e in waiting}
    now = utcnow()
    ordered = [by_id[i] for i in entry_ids]
    for position, entry in enumerate(ordered, start=1):
        entry.position, entry.updated_at = position, now
        session.add(entry)
    session.flush()
    record_audit(session=session, actor=actor, action="waitlist.reordered",
                 entity_type="live_session", entity_id=session_id,
                 before={"order": current}, after={"order": list(entry_ids)})
    session.flush()
    return ordered


@dataclass(frozen=True)
class WaitlistLine:
    """One place in a session's line, as its admins see it."""

    entry_id: int
    place: int  # 1 = next; offers first
    user_id: int
    name: str
    email: str
    status: str  # waiting | offered
    offered_until: datetime | None
    step_id: int | None
    joined_at: datetime


def session_waitlist(session: Session, *, actor: Actor, session_id: int) -> list[WaitlistLine]:
    """The session's line for an admin of its department: outstanding offers, then the
    waiting learners in order."""
    live = fresh_session(session, session_id)
    require_managed(session, actor, SECTION, live.department_id)
    rows = session.exec(
        select(WaitlistEntry, User.full_name, User.email)
        .join(User, col(User.id) == WaitlistEntry.user_id)
        .where(WaitlistEntry.session_id == session_id, col(WaitlistEntry.status).in_(_LIVE))
        .order_by(col(WaitlistEntry.status) != OFFERED, col(WaitlistEntry.position),
                  col(WaitlistEntry.created_at), col(WaitlistEntry.id))).all()
    return [WaitlistLine(entry_id=entry.id or 0, place=place, user_id=entry.user_id,
                         name=name, email=email, status=entry.status,
                         offered_until=entry.offered_until, step_id=entry.step_id,
                         joined_at=entry.created_at)
            for place, (entry, name, email) in enumerate(rows, start=1)]
