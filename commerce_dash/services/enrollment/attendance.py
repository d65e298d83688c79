"""Attendance at live sessions (issue 17): the instructor or an admin of the session's
department marks each booked learner attended or missed once the session has started (and may
correct it later); the LMS reports it through the signed progress API. A booking for a step
moves the learner's step with it (the learning area's one guarded writer). Flushes; the
caller commits.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from commerce_dash.db import for_update
from commerce_dash.domain.actor import Actor
from commerce_dash.domain.clock import ensure_utc, utcnow
from commerce_dash.domain.errors import DomainError, ErrorKind, not_found
from commerce_dash.domain.sessions import StepStatus
from commerce_dash.models.accounts import User
from commerce_dash.models.certificates import ProgressEvent
from commerce_dash.models.sessions import Booking, LiveSession
from commerce_dash.services.enrollment.live_sessions import (
    get_live_session,
    local_text,
    require_department_admin,
)
from commerce_dash.services.learning import set_step_status, step_progress_for
from commerce_dash.services.platform import record_audit

ATTENDED, MISSED = "attended", "missed"
_MARKABLE = ("booked", ATTENDED, MISSED)


def _booking(session: Session, booking_id: int) -> Booking:
    booking = session.exec(for_update(session, select(Booking).where(Booking.id == booking_id))
                           .execution_options(populate_existing=True)).first()
    if booking is None:
        raise not_found("booking", booking_id)
    return booking


def _may_mark(session: Session, actor: Actor | None, live: LiveSession) -> None:
    """The session's instructor, or an admin of its department (or a super-admin)."""
    if actor is not None and live.instructor_id is not None \
            and actor.user_id == live.instructor_id:
        return
    require_department_admin(session, actor, live.department_id)


def _mark(session: Session, booking: Booking, live: LiveSession, *, actor: Actor | None,
          attended: bool, now: datetime) -> Booking:
    if ensure_utc(live.starts_at) > now:
        raise DomainError("session_not_started",
                          f"\"{live.title}\" starts on "
                          f"{local_text(live.starts_at, live.time_zone)}: attendance is "
                          "marked once it has started.", kind=ErrorKind.CONFLICT)
    if booking.status not in _MARKABLE:
        raise DomainError("booking_cancelled",
                          "This booking was cancelled: there is no attendance to mark.",
                          kind=ErrorKind.CONFLICT)
    goal = ATTENDED if attended else MISSED
    if booking.status == goal:
        return booking
    before = {"status": booking.status,
              "attendance_marked_by_id": booking.attendance_marked_by_id}
    booking.status = goal
    booking.attendance_marked_by_id = actor.user_id if actor else None
    booking.attendance_marked_at = now
    booking.updated_at = utcnow()
    session.add(booking)
    session.flush()
    record_audit(session=session, actor=actor, action="booking.attendance",
                 entity_type="booking", entity_id=booking.id, before=before,
                 after={"status": goal, "attendance_marked_by_id":
                        booking.attendance_marked_by_id, "session_id": live.id})
    if booking.step_id is not None:
        _move_step(session, booking, actor=actor, goal=StepStatus(goal))
    return booking


def _move_step(session: Session, booking: Booking, *, actor: Actor | None,
               goal: StepStatus) -> None:
    """The learner's step follows the booking that satisfies it (not an older booking the
    learner has since replaced by another)."""
    assert booking.step_id is not None
    progress = step_progress_for(session, user_id=booking.user_id, step_id=booking.step_id,
                                 for_update=True)
    if progress is None or progress.status == goal:
        return
    if progress.booking_id is not None and progress.booking_id != booking.id:
        return
    set_step_status(session, progress, goal, actor=actor, booking_id=booking.id,
                    reason=f"attendance of booking {booking.id}")


def mark_attendance(session: Session, *, actor: Actor, booking_id: int, attended: bool,
                    now: datetime | None = None) -> Booking:
    """Mark a booked learner attended or missed (a mark may be corrected either way); the
    step of a step booking moves with it. Marking the same again changes nothing."""
    now = now or utcnow()
    booking = _booking(session, booking_id)
    live = get_live_session(session, booking.session_id)
    _may_mark(session, actor, live)
    return _mark(session, booking, live, actor=actor, attended=attended, now=now)


def record_lms_attendance(session: Session, *, user_id: int, step_id: int, attended: bool,
                          now: datetime | None = None) -> Booking | None:
    """The LMS says a learner attended (or missed) a step's session: their latest live or
    marked booking for the step is marked as an instructor would (no actor). Without a
    booking, the step itself moves when its lifecycle allows it (a booked step; a marked
    one corrected); an unbooked step is refused (409 ``invalid_step_move``). Returns the
    booking marked, if any."""
    now = now or utcnow()
    booking = session.exec(
        select(Booking).where(Booking.user_id == user_id, Booking.step_id == step_id,
                              col(Booking.status).in_(_MARKABLE))
        .order_by(col(Booking.starts_at).desc(), col(Booking.id).desc())).first()
    if booking is not None:
        assert booking.id is not None
        booking = _booking(session, booking.id)
        live = get_live_session(session, booking.session_id)
        return _mark(session, booking, live, actor=None, attended=attended, now=now)
    progress = step_progress_for(session, user_id=user_id, step_id=step_id, for_update=True)
    if progress is None:
        raise DomainError("not_enrolled",
                          f"User {user_id} has no progress in step {step_id}: not enrolled "
                          "in its course.", kind=ErrorKind.NOT_FOUND)
    goal = StepStatus.ATTENDED if attended else StepStatus.MISSED
    if progress.status != goal:
        set_step_status(session, progress, goal, actor=None,
                        reason="attendance reported by the LMS")
    return None


def lms_attendance_event(session: Session, *, event_id: str, email: str, step_id: int,
                         attended: bool, now: datetime | None = None
                         ) -> tuple[bool, int | None]:
    """The signed LMS attendance report, applied once per ``event_id`` (a second delivery of
    the same event answers ``applied=False`` and changes nothing). The learner is named by
    email. Returns (applied, the booking marked or None)."""
    user = session.exec(select(User).where(
        func.lower(User.email) == email.strip().lower())).first()
    if user is None or user.id is None:
        raise DomainError("unknown_learner", f"No learner with the email {email}.",
                          field="email", kind=ErrorKind.NOT_FOUND)
    seen = session.exec(select(ProgressEvent).where(
        ProgressEvent.source == "lms-attendance", ProgressEvent.event_id == event_id)).first()
    if seen is not None:
        return False, None
    try:
        with session.begin_nested():
            session.add(ProgressEvent(source="lms-attendance", event_id=event_id[:120],
                                      payload={"user_id": user.id, "step_id": step_id,
                                               "attended": attended}))
    except IntegrityError:
        return False, None
    booking = record_lms_attendance(session, user_id=user.id, step_id=step_id,
                                    attended=attended, now=now)
    return True, booking.id if booking is not None else None
