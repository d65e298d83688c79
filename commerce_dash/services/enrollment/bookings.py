"""Bookings (issue 17): a learner's seat in a live session, for a step of a course they own
or paid with one session credit; its cancellation, which hands the seat to the waitlist
(``promote_waitlist`` lives here, beside the booking guards it books through, so that
cancelling needs no import of ``waitlist.py``, which builds on this module); the learner's
schedule is ``schedule.py``.

The guards hold under concurrency on SQLite and PostgreSQL:
- a seat is taken by ONE conditional ``UPDATE live_session SET seats_booked = seats_booked + 1
  WHERE ... seats_booked < capacity`` whose row count says whether it was won (seats held by
  outstanding waitlist offers count as taken);
- a learner's own bookings are serialised by locking their user row (``db.for_update``,
  ``BEGIN IMMEDIATE`` on SQLite), so the overlap check reads what the last booking wrote;
- a credit is consumed by a conditional ``UPDATE ... SET status = 'used' WHERE status =
  'available'`` (lost: the next candidate is tried).

``book_step``, ``book_with_credit`` and ``cancel_booking`` commit (their emails are queued in
the same transaction, so they go out exactly when the booking is saved); on a refusal the
transaction is rolled back and nothing is half-written.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from commerce_dash.db import for_update
from commerce_dash.domain.actor import Actor
from commerce_dash.domain.clock import ensure_utc, utcnow
from commerce_dash.domain.errors import DomainError, ErrorKind, not_found
from commerce_dash.domain.registrations import RegistrationStatus
from commerce_dash.domain.sessions import (
    Slot,
    StepStatus,
    check_booking,
    first_overlap,
    in_zone,
    zone,
)
from commerce_dash.models.accounts import User
from commerce_dash.models.catalog import Course
from commerce_dash.models.enrollment import Registration
from commerce_dash.models.sessions import (
    Booking,
    CourseStep,
    LiveSession,
    StepOption,
    WaitlistEntry,
)
from commerce_dash.services.enrollment.booking_emails import email_booking, email_waitlist
from commerce_dash.services.enrollment.credits import (
    attach_credit,
    consume_credit,
    credit_back_if_cancelled,
    give_back_credit,
)
from commerce_dash.services.learning import seed_steps, set_step_status, step_progress_for
from commerce_dash.services.platform import record_audit, require_managed
from commerce_dash.settings import get_settings

__all__ = [
    "book_step",
    "book_with_credit",
    "cancel_booking",
    "promote_waitlist",
    "release_session_bookings",
]

BOOKED, CANCELLED, SCHEDULED = "booked", "cancelled", "scheduled"
SECTION = "sessions"  # the admin section of live sessions
WAITING, OFFERED, PROMOTED, EXPIRED = "waiting", "offered", "promoted", "expired"
# refusals that say the seat is gone, not that this learner can't have it: stop promoting
_SEAT_GONE = frozenset({"session_full", "session_started", "session_cancelled"})
_OWNING = (RegistrationStatus.APPROVED.value, RegistrationStatus.ENROLLED.value)

_T = TypeVar("_T")


# -- shared guards (the waitlist books through these too) ----------------------------------------


def lock_learner(session: Session, user_id: int) -> None:
    """Serialise the learner's bookings: lock their user row until the commit (and, on
    SQLite, take the write lock before anything is checked)."""
    found = session.exec(for_update(session, select(User.id).where(User.id == user_id))).first()
    if found is None:
        raise not_found("user", user_id)


def locked_session(session: Session, session_id: int) -> LiveSession:
    """The live session, read fresh (its row locked until the commit)."""
    live = session.exec(for_update(session, select(LiveSession).where(
        LiveSession.id == session_id)).execution_options(populate_existing=True)).first()
    if live is None:
        raise not_found("live_session", session_id)
    return live


def fresh_session(session: Session, session_id: int) -> LiveSession:
    """The live session as the database has it now (not locked)."""
    live = session.exec(select(LiveSession).where(LiveSession.id == session_id)
                        .execution_options(populate_existing=True)).first()
    if live is None:
        raise not_found("live_session", session_id)
    return live


def is_department_admin(session: Session, actor: Actor, department_id: int) -> bool:
    """Whether ``actor`` administers the sessions of ``department_id``."""
    try:
        require_managed(session, actor, SECTION, department_id)
    except DomainError:
        return False
    return True


def _when(moment: datetime, time_zone: str) -> str:
    local = in_zone(moment, time_zone)
    return f"{local:%a %d %b %Y, %H:%M} {local.tzname()}"


def held_offers(session: Session, session_id: int, now: datetime, *,
                except_entry: int | None = None) -> int:
    """Seats held by outstanding waitlist offers of the session."""
    query = select(func.count()).select_from(WaitlistEntry).where(
        WaitlistEntry.session_id == session_id, WaitlistEntry.status == OFFERED,
        col(WaitlistEntry.offered_until) > now)
    if except_entry is not None:
        query = query.where(WaitlistEntry.id != except_entry)
    return int(session.exec(query).one())


def check_bookable(session: Session, *, user_id: int, live: LiveSession, now: datetime,
                   time_zone: str, except_entry: int | None = None) -> None:
    """The session is scheduled and not started, has a seat (seats held by offers count as
    taken), and the learner has no booking in it or at an overlapping time (named)."""
    if live.status != SCHEDULED:
        raise DomainError("session_cancelled", f"\"{live.title}\" was cancelled.",
                          kind=ErrorKind.CONFLICT)
    if ensure_utc(live.starts_at) <= now:
        raise DomainError("session_started", "This session has already started.",
                          kind=ErrorKind.CONFLICT)
    if session.exec(select(Booking.id).where(
            Booking.session_id == live.id, Booking.user_id == user_id,
            Booking.status == BOOKED)).first() is not None:
        raise DomainError("already_booked", f"You have already booked \"{live.title}\".",
                          kind=ErrorKind.CONFLICT)
    clashes = session.exec(
        select(Booking.starts_at, Booking.ends_at, LiveSession.title)
        .join(LiveSession, col(LiveSession.id) == Booking.session_id)
        .where(Booking.user_id == user_id, Booking.status == BOOKED,
               col(Booking.starts_at) < live.ends_at, col(Booking.ends_at) > live.starts_at)
        .order_by(col(Booking.starts_at))).all()
    slot = Slot(ensure_utc(live.starts_at), ensure_utc(live.ends_at))
    clash = first_overlap(slot, [Slot(ensure_utc(s), ensure_utc(e)) for s, e, _ in clashes])
    if clash is not None:
        title = next(t for s, e, t in clashes
                     if (ensure_utc(s), ensure_utc(e)) == (clash.starts_at, clash.ends_at))
        raise DomainError("booking_overlaps",
                          f"You already have \"{title}\" at that time "
                          f"({_when(clash.starts_at, time_zone)}).", kind=ErrorKind.CONFLICT)
    held = held_offers(session, live.id or 0, now, except_entry=except_entry)
    check_booking(starts_at=live.starts_at, ends_at=live.ends_at, capacity=live.capacity,
                  booked=live.seats_booked + held, now=now, learner_bookings=())


def take_seat(session: Session, live: LiveSession, now: datetime, *,
              except_entry: int | None = None) -> None:
    """Take one seat with one conditional UPDATE (exact on SQLite and PostgreSQL); refused
    with why when it was not won."""
    held = select(func.count()).select_from(WaitlistEntry).where(
        col(WaitlistEntry.session_id) == live.id, col(WaitlistEntry.status) == OFFERED,
        col(WaitlistEntry.offered_until) > now)
    if except_entry is not None:
        held = held.where(col(WaitlistEntry.id) != except_entry)
    result: Any = session.execute(
        update(LiveSession)
        .where(col(LiveSession.id) == live.id, col(LiveSession.status) == SCHEDULED,
               col(LiveSession.seats_booked) + held.scalar_subquery()
               < col(LiveSession.capacity),
               col(LiveSession.starts_at) > now)
        .values(seats_booked=col(LiveSession.seats_booked) + 1, updated_at=now)
        .execution_options(synchronize_session=False))
    won = result.rowcount == 1
    session.refresh(live)
    if won:
        return
    if live.status != SCHEDULED:
        raise DomainError("session_cancelled", f"\"{live.title}\" was cancelled.",
                          kind=ErrorKind.CONFLICT)
    if ensure_utc(live.starts_at) <= now:
        raise DomainError("session_started", "This session has already started.",
                          kind=ErrorKind.CONFLICT)
    raise DomainError("session_full", "This session is full: join the waitlist instead.",
                      kind=ErrorKind.CONFLICT)


def free_seat(session: Session, live: LiveSession, now: datetime) -> None:
    """Give one seat back (never below zero)."""
    session.execute(
        update(LiveSession)
        .where(col(LiveSession.id) == live.id, col(LiveSession.seats_booked) > 0)
        .values(seats_booked=col(LiveSession.seats_booked) - 1, updated_at=now)
        .execution_options(synchronize_session=False))
    session.refresh(live)


def _new_booking(session: Session, *, actor: Actor | None, user_id: int, live: LiveSession,
                 time_zone: str, now: datetime, step_id: int | None = None,
                 registration_id: int | None = None, credit_id: int | None = None,
                 via: str = "") -> Booking:
    booking = Booking(session_id=live.id or 0, user_id=user_id, starts_at=live.starts_at,
                      ends_at=live.ends_at, step_id=step_id, registration_id=registration_id,
                      credit_id=credit_id, status=BOOKED, time_zone=time_zone,
                      created_at=now, updated_at=now)
    session.add(booking)
    session.flush()
    record_audit(session=session, actor=actor, action="booking.created", entity_type="booking",
                 entity_id=booking.id, after={
                     "session_id": live.id, "user_id": user_id, "step_id": step_id,
                     "credit_id": credit_id, "starts_at": live.starts_at.isoformat()},
                 reason=via)
    return booking


def owning_registration(session: Session, *, user_id: int, course: Course) -> Registration:
    """The learner's live registration of ``course`` that lets them book its steps (approved
    or enrolled, bought or from a subscription); refused with why otherwise."""
    rows = session.exec(select(Registration).where(
        Registration.user_id == user_id, Registration.course_id == course.id,
        Registration.kind == "course",
        col(Registration.status).in_((*_OWNING, RegistrationStatus.PENDING.value)),
    ).order_by(col(Registration.id))).all()
    owning = [r for r in rows if r.status in _OWNING]
    if owning:
        return owning[0]
    if rows:
        raise DomainError("registration_pending",
                          f"Your registration for {course.title} is waiting for approval: "
                          "you can book its steps once it is approved.",
                          kind=ErrorKind.CONFLICT)
    raise DomainError("course_not_owned",
                      f"You don't have {course.title}: buy it (or enroll with your "
                      "subscription) to book its steps.", kind=ErrorKind.FORBIDDEN)


def step_of(session: Session, step_id: int) -> tuple[CourseStep, Course]:
    step = session.get(CourseStep, step_id)
    if step is None:
        raise not_found("step", step_id)
    course = session.get(Course, step.course_id)
    if course is None:
        raise not_found("course", step.course_id)
    return step, course


def check_step_option(session: Session, step: CourseStep, live: LiveSession) -> None:
    if session.exec(select(StepOption.id).where(
            StepOption.step_id == step.id, StepOption.session_id == live.id)).first() is None:
        raise DomainError("not_a_step_option",
                          f"\"{live.title}\" is not one of the sessions of {step.label}: "
                          "choose one of the step's options.", field="session_id")


def take_step(session: Session, *, actor: Actor | None, user_id: int, step_id: int,
              live: LiveSession, time_zone: str, now: datetime,
              except_entry: int | None = None, confirm: bool = False) -> Booking:
    """Book ``live`` for the learner's step (checks, booking, progress BOOKED, audit, the
    "booking-confirmed" email when ``confirm``, then the seat); no credit, no commit.

    The seat is taken last: its conditional UPDATE locks the session's row until the commit,
    so everything else is written first and a popular session's row is held only for the
    UPDATE and the commit (a seat lost rolls the whole booking back)."""
    step, course = step_of(session, step_id)
    registration = owning_registration(session, user_id=user_id, course=course)
    check_step_option(session, step, live)
    progress = step_progress_for(session, user_id=user_id, step_id=step_id, for_update=True)
    if progress is None:  # a step added before the seeding reached this registration
        seed_steps(session, registration)
        progress = step_progress_for(session, user_id=user_id, step_id=step_id,
                                     for_update=True)
    if progress is None:
        raise DomainError("course_not_owned",
                          f"You don't have {course.title}: buy it (or enroll with your "
                          "subscription) to book its steps.", kind=ErrorKind.FORBIDDEN)
    if progress.status != StepStatus.UNBOOKED:
        raise DomainError("step_already_booked",
                          f"{step.label} ({step.title}) is already {progress.status}: "
                          "cancel its booking to choose another session.",
                          kind=ErrorKind.CONFLICT)
    check_bookable(session, user_id=user_id, live=live, now=now, time_zone=time_zone,
                   except_entry=except_entry)
    booking = _new_booking(session, actor=actor, user_id=user_id, live=live,
                           time_zone=time_zone, now=now, step_id=step_id,
                           registration_id=registration.id, via=f"step {step.label}")
    set_step_status(session, progress, StepStatus.BOOKED, actor=actor, booking_id=booking.id)
    if confirm:
        email_booking(session, booking, "booking-confirmed")
    take_seat(session, live, now, except_entry=except_entry)
    return booking


def take_with_credit(session: Session, *, actor: Actor | None, user_id: int,
                     live: LiveSession, time_zone: str, now: datetime,
                     except_entry: int | None = None, confirm: bool = False) -> Booking:
    """Book ``live`` paid with one credit (oldest expiring first; a credit lost to a race is
    passed over for the next); the seat last, as for a step; no commit."""
    check_bookable(session, user_id=user_id, live=live, now=now, time_zone=time_zone,
                   except_entry=except_entry)
    credit = consume_credit(session, user_id=user_id, live=live, now=now)
    booking = _new_booking(session, actor=actor, user_id=user_id, live=live,
                           time_zone=time_zone, now=now, credit_id=credit.id,
                           via=f"{credit.kind.value} credit {credit.id}")
    attach_credit(session, credit.id, booking)
    if confirm:
        email_booking(session, booking, "booking-confirmed")
    take_seat(session, live, now, except_entry=except_entry)
    return booking


def _committed(session: Session, work: Callable[[], _T]) -> _T:
    """Run ``work`` and commit; on any error roll back (nothing half-written)."""
    try:
        value = work()
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return value


def _clean_zone(time_zone: str) -> str:
    name = (time_zone or "UTC").strip()
    zone(name)
    return name


# -- booking ------------------------------------------------------------------------------------


def book_step(session: Session, *, actor: Actor, step_id: int, session_id: int,
              time_zone: str = "UTC", now: datetime | None = None) -> Booking:
    """Book a step of a course the learner owns in one of its session options: the step is
    unbooked, the session scheduled, not started, with a free seat, and the learner has
    nothing else then. Never uses a credit. Emails "booking-confirmed". Commits."""
    at = ensure_utc(now or utcnow())
    time_zone = _clean_zone(time_zone)

    def work() -> Booking:
        lock_learner(session, actor.user_id)
        live = fresh_session(session, session_id)
        return take_step(session, actor=actor, user_id=actor.user_id, step_id=step_id,
                         live=live, time_zone=time_zone, now=at, confirm=True)

    return _committed(session, work)


def book_with_credit(session: Session, *, actor: Actor, session_id: int,
                     time_zone: str = "UTC", now: datetime | None = None) -> Booking:
    """Book a private slot (with a private credit of its length) or an extra group class
    (with a group-class credit) of the credit's department; the same seat and time rules as
    a step. Emails "booking-confirmed". Commits."""
    at = ensure_utc(now or utcnow())
    time_zone = _clean_zone(time_zone)

    def work() -> Booking:
        lock_learner(session, actor.user_id)
        live = fresh_session(session, session_id)
        return take_with_credit(session, actor=actor, user_id=actor.user_id, live=live,
                                time_zone=time_zone, now=at, confirm=True)

    return _committed(session, work)


# -- cancelling ---------------------------------------------------------------------------------


def cancel_row(session: Session, booking: Booking, at: datetime, reason: str) -> None:
    """Write a booking's cancellation (the caller frees the seat, returns the credit and
    audits)."""
    booking.status, booking.cancelled_at, booking.updated_at = CANCELLED, at, at
    booking.cancel_reason = reason[:300]
    session.add(booking)


def move_entry(session: Session, entry: WaitlistEntry, status: str, at: datetime, *,
               booking_id: int | None = None, offered_until: datetime | None = None) -> None:
    """Write a waitlist entry's new status, with the offer's end (offered) or the booking
    made (promoted); the caller audits."""
    entry.status, entry.updated_at = status, at
    if status == OFFERED:
        entry.offered_until = offered_until
    if booking_id is not None:
        entry.booking_id = booking_id
    session.add(entry)
    session.flush()


def _unbook_step(session: Session, booking: Booking, *, actor: Actor | None, reason: str
                 ) -> None:
    if booking.step_id is None:
        return
    progress = step_progress_for(session, user_id=booking.user_id, step_id=booking.step_id,
                                 for_update=True)
    if progress is not None and progress.booking_id == booking.id \
            and progress.status == StepStatus.BOOKED:
        set_step_status(session, progress, StepStatus.UNBOOKED, actor=actor, reason=reason)


def cancel_booking(session: Session, *, actor: Actor, booking_id: int,
                   now: datetime | None = None) -> Booking:
    """The learner (or an admin of the session's department) cancels a booking before the
    session starts: the seat is freed, a credit comes back if cancelled before the cut-off
    (or after a reschedule), a step is unbooked, the learner is emailed and the seat goes
    to the waitlist. Cancelling twice is harmless. Commits."""
    at = ensure_utc(now or utcnow())

    def work() -> Booking:
        booking = session.exec(for_update(session, select(Booking).where(
            Booking.id == booking_id)).execution_options(populate_existing=True)).first()
        if booking is None:
            raise not_found("booking", booking_id)
        live = fresh_session(session, booking.session_id)
        by_learner = booking.user_id == actor.user_id
        if not by_learner and not is_department_admin(session, actor, live.department_id):
            raise DomainError("forbidden", "You can only cancel your own bookings.",
                              kind=ErrorKind.FORBIDDEN)
        if booking.status == CANCELLED:
            return booking
        if booking.status != BOOKED or ensure_utc(live.starts_at) <= at:
            raise DomainError("session_started",
                              f"\"{live.title}\" has already started: its booking can't be "
                              "cancelled.", kind=ErrorKind.CONFLICT)
        back = credit_back_if_cancelled(booking, live, at)
        reason = "cancelled by the learner" if by_learner else "cancelled by an admin"
        cancel_row(session, booking, at, reason)
        free_seat(session, live, at)
        booking.credit_returned = back and give_back_credit(session, booking, at)
        _unbook_step(session, booking, actor=actor, reason=reason)
        session.flush()
        record_audit(session=session, actor=actor, action="booking.cancelled",
                     entity_type="booking", entity_id=booking.id,
                     before={"status": BOOKED},
                     after={"status": CANCELLED, "credit_returned": booking.credit_returned},
                     reason=reason)
        email_booking(session, booking, "booking-cancelled")
        assert live.id is not None
        promote_waitlist(session, live.id, now=at)
        return booking

    return _committed(session, work)


def release_session_bookings(session: Session, live_session: LiveSession, *,
                             actor: Actor | None, reason: str,
                             now: datetime | None = None) -> list[Booking]:
    """The session is cancelled: every live booking is cancelled with ``reason``, its credit
    always comes back, its step goes back to unbooked, the seats are all freed and the
    waitlist ends. No commit, no emails (the caller emails). Returns the bookings released."""
    at = ensure_utc(now or utcnow())
    bookings = list(session.exec(for_update(session, select(Booking).where(
        Booking.session_id == live_session.id, Booking.status == BOOKED,
    ).order_by(col(Booking.id))).execution_options(populate_existing=True)).all())
    for booking in bookings:
        cancel_row(session, booking, at, reason)
        booking.credit_returned = give_back_credit(session, booking, at)
        _unbook_step(session, booking, actor=actor, reason=reason)
        record_audit(session=session, actor=actor, action="booking.released",
                     entity_type="booking", entity_id=booking.id, before={"status": BOOKED},
                     after={"status": CANCELLED, "credit_returned": booking.credit_returned},
                     reason=reason)
    session.execute(update(WaitlistEntry).where(
        col(WaitlistEntry.session_id) == live_session.id,
        col(WaitlistEntry.status).in_(("waiting", OFFERED)),
    ).values(status="expired", updated_at=at).execution_options(synchronize_session=False))
    live_session.seats_booked, live_session.updated_at = 0, at
    session.add(live_session)
    session.flush()
    return bookings


# -- the waitlist's promotion (a cancellation hands its seat to the line) ---------------------


def waiting_line(session: Session, session_id: int) -> list[WaitlistEntry]:
    """The line, first first: by position, then by when they joined."""
    return list(session.exec(select(WaitlistEntry).where(
        WaitlistEntry.session_id == session_id, WaitlistEntry.status == WAITING,
    ).order_by(col(WaitlistEntry.position), col(WaitlistEntry.created_at),
               col(WaitlistEntry.id)).execution_options(populate_existing=True)).all())


def audit_entry(session: Session, actor: Actor | None, entry: WaitlistEntry, action: str,
                before: str, reason: str = "") -> None:
    """The audit row of a waitlist change (``waitlist.<action>``)."""
    record_audit(session=session, actor=actor, action=f"waitlist.{action}",
                 entity_type="waitlist_entry", entity_id=entry.id,
                 before={"status": before},
                 after={"status": entry.status, "session_id": entry.session_id,
                        "user_id": entry.user_id, "position": entry.position,
                        "booking_id": entry.booking_id},
                 reason=reason)


def _lock_learner_if_free(session: Session, user_id: int) -> bool:
    """Lock the learner's row unless another transaction holds it (they are booking right
    now: waiting for them could deadlock with this one, which holds the session's row)."""
    query = select(User.id).where(User.id == user_id).with_for_update(skip_locked=True)
    return session.exec(query).first() is not None


def _book_entry(session: Session, entry: WaitlistEntry, live: LiveSession, at: datetime,
                *, actor: Actor | None) -> Booking | None:
    """Book the entry's learner (in a savepoint): the booking, or None when they can't."""
    assert entry.id is not None
    with session.begin_nested():
        if not _lock_learner_if_free(session, entry.user_id):
            raise _Busy()
        if entry.step_id is not None:
            return take_step(session, actor=actor, user_id=entry.user_id,
                             step_id=entry.step_id, live=live, time_zone=entry.time_zone,
                             now=at, except_entry=entry.id)
        return take_with_credit(session, actor=actor, user_id=entry.user_id, live=live,
                                time_zone=entry.time_zone, now=at, except_entry=entry.id)


class _Busy(Exception):
    """The learner is booking something else at this moment."""


def promote_waitlist(session: Session, session_id: int, *, now: datetime | None = None
                     ) -> list[WaitlistEntry]:
    """Give the session's free seats to its line: booked at once (offer hours 0, emailed
    "waitlist-promoted"), or offered for ``waitlist_offer_hours`` (one offer per seat not
    held by an outstanding offer, emailed "waitlist-offer"). An entry that can no longer book
    is expired (reason audited). Returns the entries changed (caller's transaction)."""
    at = ensure_utc(now or utcnow())
    live = locked_session(session, session_id)
    if live.status != SCHEDULED or ensure_utc(live.starts_at) <= at:
        return []
    hours = get_settings().waitlist_offer_hours
    changed: list[WaitlistEntry] = []
    if hours > 0:
        free = live.capacity - live.seats_booked - held_offers(session, session_id, at)
        for entry in waiting_line(session, session_id)[:max(0, free)]:
            until = at + timedelta(hours=hours)
            move_entry(session, entry, OFFERED, at, offered_until=until)
            audit_entry(session, None, entry, "offered", WAITING,
                        reason=f"a seat is held until {until.isoformat()}")
            email_waitlist(session, entry, "waitlist-offer")
            changed.append(entry)
        return changed
    tried: set[int] = set()
    while live.seats_booked + held_offers(session, session_id, at) < live.capacity:
        head = next((e for e in waiting_line(session, session_id) if e.id not in tried), None)
        if head is None or head.id is None:
            break
        tried.add(head.id)
        entry = head
        try:
            booking = _book_entry(session, entry, live, at, actor=None)
        except _Busy:
            break  # the next cancellation or the offer job promotes them
        except DomainError as refused:
            session.refresh(live)
            if refused.code in _SEAT_GONE:
                break
            move_entry(session, entry, EXPIRED, at)
            audit_entry(session, None, entry, "expired", WAITING, reason=refused.message)
            changed.append(entry)
            continue
        assert booking is not None
        move_entry(session, entry, PROMOTED, at, booking_id=booking.id)
        audit_entry(session, None, entry, "promoted", WAITING, reason="a seat freed")
        email_waitlist(session, entry, "waitlist-promoted")
        changed.append(entry)
    return changed
