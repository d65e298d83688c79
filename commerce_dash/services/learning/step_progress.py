"""A learner's progress through a course's steps (issue 17): seeded UNBOOKED once per step of
a live course registration, moved by one guarded writer (UNBOOKED -> BOOKED -> ATTENDED or
MISSED, BOOKED -> UNBOOKED on a cancelled booking), and the learner's view of their steps.

Attending the last step of a course whose rule is "all steps attended" issues its
certificate, the same way a completed module does (``progress.check_completion``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from commerce_dash.db import for_update as lock_rows
from commerce_dash.domain.actor import Actor
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.registrations import RegistrationStatus
from commerce_dash.domain.sessions import StepStatus, require_step_move
from commerce_dash.models.enrollment import Enrollment, Registration
from commerce_dash.models.sessions import Booking, CourseStep, LiveSession, StepProgress
from commerce_dash.services.learning.progress import check_completion
from commerce_dash.services.platform import guarded_move

# a registration whose learner takes (or will take) the course
LIVE_REGISTRATION = (RegistrationStatus.PENDING.value, RegistrationStatus.APPROVED.value,
                     RegistrationStatus.ENROLLED.value)


def insert_unbooked(session: Session, pairs: Sequence[tuple[Registration, int]]) -> int:
    """UNBOOKED progress for each (registration, step id), skipping those that exist (also
    when a concurrent transaction writes the same row): the rows created.

    One ``INSERT ... ON CONFLICT (registration_id, step_id) DO NOTHING``, on SQLite and on
    PostgreSQL, so a duplicate webhook or a racing approval never fails or doubles a row.
    """
    if not pairs:
        return 0
    session.flush()
    now = utcnow()
    rows: list[dict[str, Any]] = [
        {"registration_id": r.id, "step_id": step_id, "user_id": r.user_id,
         "status": StepStatus.UNBOOKED.value, "created_at": now, "updated_at": now}
        for r, step_id in pairs
    ]
    table: Any = StepProgress.__table__  # type: ignore[attr-defined]
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(table).values(rows).on_conflict_do_nothing(
        index_elements=["registration_id", "step_id"]).returning(table.c.id)
    # the rows RETURNING gives back are the ones written (an INSERT's row count is -1 on
    # PostgreSQL through psycopg here)
    return len(session.execute(statement).all())


def seed_steps(session: Session, registration: Registration) -> int:
    """One UNBOOKED progress row per step of a live course registration's course, exactly
    once however often (or concurrently) it is called: the rows created (no commit)."""
    if (registration.kind != "course" or registration.course_id is None
            or registration.status not in LIVE_REGISTRATION):
        return 0
    session.flush()
    assert registration.id is not None
    steps = session.exec(select(CourseStep.id).where(
        CourseStep.course_id == registration.course_id)).all()
    have = set(session.exec(select(StepProgress.step_id).where(
        StepProgress.registration_id == registration.id)).all())
    return insert_unbooked(session, [(registration, s) for s in steps
                                     if s is not None and s not in have])


def set_step_status(session: Session, progress: StepProgress, goal: StepStatus | str, *,
                    actor: Actor | None, booking_id: int | None = None,
                    reason: str = "") -> StepProgress:
    """The one writer of a step's progress status (through ``guarded_move``, audited as
    ``step_progress.<goal>``): BOOKED records the booking and when; BOOKED or MISSED ->
    UNBOOKED forgets the booking; ATTENDED records when and, if that completes the course
    under its rule, issues the enrollment's certificate. Already there: unchanged. A move
    the step lifecycle refuses: 409 ``invalid_step_move`` naming both states. No commit."""
    target = StepStatus(goal)
    current = progress.status
    if current == target.value:
        return progress
    now = utcnow()
    after: dict[str, Any] = {"status": target.value, "step_id": progress.step_id}
    if target is StepStatus.BOOKED:
        after["booking_id"] = booking_id
    guarded_move(session=session, entity=progress, goal=target.value,
                 require_move=require_step_move, entity_type="step_progress", actor=actor,
                 reason=reason, before={"status": current, "booking_id": progress.booking_id},
                 after=after)
    if target is StepStatus.BOOKED:
        progress.booking_id = booking_id
        progress.booked_at = now
        progress.attended_at = None
    elif target is StepStatus.UNBOOKED:
        progress.booking_id = None
        progress.booked_at = None
        progress.attended_at = None
    elif target is StepStatus.ATTENDED:
        progress.attended_at = now
    else:  # MISSED
        progress.attended_at = None
    progress.updated_at = now
    session.add(progress)
    session.flush()
    if target is StepStatus.ATTENDED:
        enrollment = session.exec(select(Enrollment).where(
            Enrollment.registration_id == progress.registration_id)).first()
        if enrollment is not None:
            check_completion(session, enrollment)
    return progress


def _live_registrations() -> Any:
    return select(Registration.id).where(col(Registration.status).in_(LIVE_REGISTRATION))


def step_progress_for(session: Session, *, user_id: int, step_id: int,
                      for_update: bool = False) -> StepProgress | None:
    """The learner's progress in a step, in their live registration of its course (the
    newest if ever more than one); locked until the commit with ``for_update``."""
    query = (select(StepProgress)
             .where(StepProgress.user_id == user_id, StepProgress.step_id == step_id,
                    col(StepProgress.registration_id).in_(_live_registrations()))
             .order_by(col(StepProgress.id).desc()).limit(1))
    if for_update:
        query = lock_rows(session, query)
    return session.exec(query).first()


@dataclass(frozen=True)
class LearnerStep:
    step_id: int
    position: int
    label: str
    title: str
    description: str
    status: str  # unbooked | booked | attended | missed; "" when the learner has no place
    progress_id: int | None = None
    booking_id: int | None = None
    session_id: int | None = None  # the booked session, while a booking is kept
    session_title: str = ""
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    time_zone: str = ""
    booked_at: datetime | None = None
    attended_at: datetime | None = None


def learner_steps(session: Session, *, user_id: int, course_id: int) -> list[LearnerStep]:
    """Every step of the course in order, with the learner's progress in their live
    registration and the session they booked for it (its title, times, time zone)."""
    steps = session.exec(select(CourseStep).where(CourseStep.course_id == course_id)
                         .order_by(col(CourseStep.position))).all()
    ids = [s.id for s in steps if s.id is not None]
    rows = session.exec(
        select(StepProgress)
        .where(StepProgress.user_id == user_id, col(StepProgress.step_id).in_(ids or [0]),
               col(StepProgress.registration_id).in_(_live_registrations()))
        .order_by(col(StepProgress.id))
    ).all()
    progress = {r.step_id: r for r in rows}  # the newest registration's row wins
    booking_ids = [r.booking_id for r in rows if r.booking_id is not None]
    booked = {b.id: (b, s) for b, s in session.exec(
        select(Booking, LiveSession).join(LiveSession, col(LiveSession.id) == Booking.session_id)
        .where(col(Booking.id).in_(booking_ids or [0]))).all()}
    out = []
    for step in steps:
        assert step.id is not None
        row = progress.get(step.id)
        found = booked.get(row.booking_id) if row is not None and row.booking_id else None
        live = found[1] if found else None
        out.append(LearnerStep(
            step_id=step.id, position=step.position, label=step.label, title=step.title,
            description=step.description, status=row.status if row else "",
            progress_id=row.id if row else None, booking_id=row.booking_id if row else None,
            session_id=live.id if live else None, session_title=live.title if live else "",
            starts_at=live.starts_at if live else None, ends_at=live.ends_at if live else None,
            time_zone=live.time_zone if live else "",
            booked_at=row.booked_at if row else None,
            attended_at=row.attended_at if row else None,
        ))
    return out
