"""A course's ordered steps ("Step 1: Foundations") and the group classes that satisfy each
(its options), issue 17: the course editor's create, edit, reorder, delete, attach and
detach (dept-admins of the course's department, audited), and the steps with their options
as the course page shows them.

Positions run 1..n without gaps. ``(course_id, position)`` is unique, so a reorder moves the
steps whose place changes to temporary negative positions first, then to their new ones.
Every change locks the course first, so two admins editing one course's steps take turns.
The functions flush; the caller commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from commerce_dash.db import for_update
from commerce_dash.domain.actor import Actor
from commerce_dash.domain.clock import ensure_utc, utcnow
from commerce_dash.domain.errors import DomainError, ErrorKind, not_found
from commerce_dash.domain.sessions import StepStatus
from commerce_dash.models.accounts import User
from commerce_dash.models.catalog import Course
from commerce_dash.models.enrollment import Registration
from commerce_dash.models.sessions import (
    Booking,
    CourseStep,
    LiveSession,
    StepOption,
    StepProgress,
    WaitlistEntry,
)
from commerce_dash.services.learning.step_progress import LIVE_REGISTRATION, insert_unbooked
from commerce_dash.services.platform import add_created, record_audit, require_managed

LABEL_MAX = 40
TITLE_MAX = 200
DESCRIPTION_MAX = 5_000


@dataclass(frozen=True)
class StepIn:
    label: str  # "Step 1", "Week 2"
    title: str
    description: str = ""


@dataclass(frozen=True)
class OptionRow:
    option_id: int
    session_id: int
    title: str
    instructor_name: str
    starts_at: datetime
    ends_at: datetime
    time_zone: str
    capacity: int
    seats_left: int
    status: str  # scheduled | cancelled
    started: bool


@dataclass(frozen=True)
class StepRow:
    step_id: int
    course_id: int
    position: int
    label: str
    title: str
    description: str
    options: tuple[OptionRow, ...] = ()


# -- checks ------------------------------------------------------------------------------------


def _clean(data: StepIn) -> StepIn:
    """The step's text tidied, or a DomainError naming the field to fix."""
    label = " ".join((data.label or "").split())
    title = " ".join((data.title or "").split())
    description = (data.description or "").strip()
    if not label:
        raise DomainError("step_label_required", "Enter the step's label, like “Step 1”.",
                          field="label")
    if len(label) > LABEL_MAX:
        raise DomainError("step_label_too_long",
                          f"A step's label is at most {LABEL_MAX} characters.", field="label")
    if not title:
        raise DomainError("step_title_required", "Enter the step's title.", field="title")
    if len(title) > TITLE_MAX:
        raise DomainError("step_title_too_long",
                          f"A step's title is at most {TITLE_MAX} characters.", field="title")
    if len(description) > DESCRIPTION_MAX:
        raise DomainError("step_description_too_long",
                          f"A step's description is at most {DESCRIPTION_MAX:,} characters.",
                          field="description")
    return StepIn(label, title, description)


def _managed_course(session: Session, actor: Actor | None, course_id: int
                    ) -> tuple[Actor, Course]:
    """The course, if the actor manages its department, locked until the commit."""
    course = session.get(Course, course_id)
    if course is None:
        raise not_found("course", course_id)
    actor = require_managed(session, actor, "courses", course.department_id)
    locked = session.exec(for_update(session, select(Course).where(Course.id == course_id)
                                     .execution_options(populate_existing=True))).one()
    return actor, locked


def _managed_step(session: Session, actor: Actor | None, step_id: int
                  ) -> tuple[Actor, CourseStep, Course]:
    step = session.get(CourseStep, step_id)
    if step is None:
        raise not_found("step", step_id)
    actor, course = _managed_course(session, actor, step.course_id)
    session.refresh(step)  # as it is now the course is locked
    return actor, step, course


def _steps(session: Session, course_id: int) -> list[CourseStep]:
    return list(session.exec(select(CourseStep).where(CourseStep.course_id == course_id)
                             .order_by(col(CourseStep.position))).all())


def _position(position: int, highest: int) -> int:
    if isinstance(position, bool) or not isinstance(position, int) or not (
            1 <= position <= highest):
        raise DomainError("invalid_step_position",
                          f"Choose a position from 1 to {highest}.", field="position")
    return position


def _place(session: Session, wanted: Sequence[tuple[int, CourseStep]]) -> None:
    """Move each step to its wanted position, in two flushes so the unique ``(course_id,
    position)`` never sees two steps in one place on the way: the steps that move go to
    temporary negative positions first, then to their new ones."""
    moving = [(n, s) for n, s in wanted if s.position != n]
    if not moving:
        return
    now = utcnow()
    for n, step in moving:
        step.position = -n
        session.add(step)
    session.flush()
    for n, step in moving:
        step.position = n
        step.updated_at = now
        session.add(step)
    session.flush()


def _renumber(session: Session, ordered: Sequence[CourseStep]) -> None:
    """Give ``ordered`` the positions 1..n in that order."""
    _place(session, list(enumerate(ordered, start=1)))


def _step_json(step: CourseStep) -> dict[str, object]:
    return {"course_id": step.course_id, "position": step.position, "label": step.label,
            "title": step.title, "description": step.description}


# -- the course editor ---------------------------------------------------------------------------


def create_step(session: Session, *, actor: Actor | None, course_id: int, data: StepIn,
                position: int | None = None) -> CourseStep:
    """A new step of the course, last or at ``position`` (the steps from there move down one);
    every live registration of the course gets an UNBOOKED progress row for it."""
    actor, course = _managed_course(session, actor, course_id)
    clean = _clean(data)
    steps = _steps(session, course_id)
    at = len(steps) + 1 if position is None else _position(position, len(steps) + 1)
    # make room: the steps from ``at`` on move one down
    _place(session, [(n + 1, s) for n, s in enumerate(steps[at - 1:], start=at)])
    step = CourseStep(course_id=course_id, position=at, label=clean.label, title=clean.title,
                      description=clean.description)
    add_created(session=session, actor=actor, row=step, action="course_step.created",
                entity_type="course_step", after=_step_json(step))
    assert step.id is not None and course.id is not None
    registrations = session.exec(select(Registration).where(
        Registration.kind == "course", Registration.course_id == course_id,
        col(Registration.status).in_(LIVE_REGISTRATION))).all()
    insert_unbooked(session, [(r, step.id) for r in registrations])
    return step


def update_step(session: Session, *, actor: Actor | None, step_id: int, data: StepIn
                ) -> CourseStep:
    """Change a step's label, title and description (audited with before and after)."""
    actor, step, _ = _managed_step(session, actor, step_id)
    clean = _clean(data)
    before = _step_json(step)
    if (step.label, step.title, step.description) == (clean.label, clean.title,
                                                       clean.description):
        return step
    step.label, step.title, step.description = clean.label, clean.title, clean.description
    step.updated_at = utcnow()
    session.add(step)
    record_audit(session=session, actor=actor, action="course_step.updated",
                 entity_type="course_step", entity_id=step.id, before=before,
                 after=_step_json(step))
    session.flush()
    return step


def move_step(session: Session, *, actor: Actor | None, step_id: int, position: int
              ) -> list[CourseStep]:
    """Move a step to ``position`` (1..n), the others closing up around it: the course's
    steps in their new order."""
    actor, step, course = _managed_step(session, actor, step_id)
    assert course.id is not None
    steps = _steps(session, course.id)
    at = _position(position, len(steps))
    if step.position == at:
        return steps
    before = step.position
    others = [s for s in steps if s.id != step.id]
    ordered = [*others[:at - 1], step, *others[at - 1:]]
    _renumber(session, ordered)
    record_audit(session=session, actor=actor, action="course_step.moved",
                 entity_type="course_step", entity_id=step.id,
                 before={"position": before}, after={"position": at})
    return ordered


def delete_step(session: Session, *, actor: Actor | None, step_id: int) -> None:
    """Delete a step nobody has booked, attended or missed (else 409 ``step_in_use``), with
    its options and its learners' UNBOOKED progress; the steps after it move up one.
    A step already deleted: nothing happens."""
    step = session.get(CourseStep, step_id)
    if step is None:
        return
    actor, step, course = _managed_step(session, actor, step_id)
    assert course.id is not None
    used = session.exec(select(StepProgress.id).where(
        StepProgress.step_id == step_id,
        col(StepProgress.status).in_((StepStatus.BOOKED.value, StepStatus.ATTENDED.value,
                                      StepStatus.MISSED.value)))).all()
    booked = session.exec(select(Booking.id).where(Booking.step_id == step_id,
                                                   Booking.status == "booked")).first()
    if used or booked is not None:
        count = len(used) or 1
        raise DomainError("step_in_use",
                          f"{count} learner{'s have' if count > 1 else ' has'} booked, "
                          "attended or missed this step, so it cannot be deleted. Edit it "
                          "instead.", kind=ErrorKind.CONFLICT)
    waiting = session.exec(select(WaitlistEntry.id).where(
        WaitlistEntry.step_id == step_id,
        col(WaitlistEntry.status).in_(("waiting", "offered")))).first()
    if waiting is not None:
        raise DomainError("step_in_use",
                          "Learners are on a waitlist for this step, so it cannot be deleted. "
                          "Edit it instead.", kind=ErrorKind.CONFLICT)
    before = _step_json(step)
    options = session.exec(select(StepOption.session_id).where(
        StepOption.step_id == step_id)).all()
    # cancelled bookings and closed waitlist entries keep their history without the step
    session.execute(update(Booking).where(col(Booking.step_id) == step_id)
                    .values(step_id=None))
    session.execute(update(WaitlistEntry).where(col(WaitlistEntry.step_id) == step_id)
                    .values(step_id=None))
    removed = session.execute(delete(StepProgress).where(col(StepProgress.step_id) == step_id))
    session.execute(delete(StepOption).where(col(StepOption.step_id) == step_id))
    session.delete(step)
    session.flush()
    _renumber(session, [s for s in _steps(session, course.id) if s.id != step_id])
    record_audit(session=session, actor=actor, action="course_step.deleted",
                 entity_type="course_step", entity_id=step_id, before=before,
                 after={"options": sorted(options),
                        "progress_removed": int(getattr(removed, "rowcount", 0) or 0)})
    session.flush()


def attach_option(session: Session, *, actor: Actor | None, step_id: int, session_id: int
                  ) -> StepOption:
    """Offer a scheduled group class of the course's department for the step; attaching it
    again returns the same option."""
    actor, step, course = _managed_step(session, actor, step_id)
    live = session.get(LiveSession, session_id)
    if live is None:
        raise not_found("group_class", session_id)
    existing = session.exec(select(StepOption).where(
        StepOption.step_id == step_id, StepOption.session_id == session_id)).first()
    if existing is not None:
        return existing
    if live.kind != "group":
        raise DomainError("option_not_group",
                          "Only a group class can be a step's option; a private session is "
                          "booked with a credit.", field="session_id")
    if live.status != "scheduled":
        raise DomainError("option_not_scheduled",
                          f"“{live.title}” is {live.status}; choose a scheduled class.",
                          field="session_id")
    if live.department_id != course.department_id:
        raise DomainError("option_other_department",
                          f"“{live.title}” belongs to another department than this course.",
                          field="session_id")
    option = StepOption(step_id=step_id, session_id=session_id)
    return add_created(session=session, actor=actor, row=option,
                       action="course_step.option_attached", entity_type="step_option",
                       after={"step_id": step_id, "session_id": session_id,
                              "title": live.title,
                              "starts_at": ensure_utc(live.starts_at).isoformat()})


def detach_option(session: Session, *, actor: Actor | None, option_id: int) -> None:
    """Stop offering a session for a step (its bookings stay). Already detached: nothing."""
    option = session.get(StepOption, option_id)
    if option is None:
        return
    actor, step, _ = _managed_step(session, actor, option.step_id)
    record_audit(session=session, actor=actor, action="course_step.option_detached",
                 entity_type="step_option", entity_id=option_id,
                 before={"step_id": step.id, "session_id": option.session_id})
    session.delete(option)
    session.flush()


# -- what the course page and the editor show ----------------------------------------------------


def _rows(session: Session, steps: Sequence[CourseStep], now: datetime) -> list[StepRow]:
    ids = [s.id for s in steps if s.id is not None]
    found = session.exec(
        select(StepOption, LiveSession, User)
        .join(LiveSession, col(LiveSession.id) == StepOption.session_id)
        .outerjoin(User, col(User.id) == LiveSession.instructor_id)
        .where(col(StepOption.step_id).in_(ids or [0]))
        .order_by(col(LiveSession.starts_at), col(StepOption.id))
    ).all()
    options: dict[int, list[OptionRow]] = {}
    for option, live, instructor in found:
        options.setdefault(option.step_id, []).append(OptionRow(
            option_id=option.id or 0, session_id=live.id or 0, title=live.title,
            instructor_name=(instructor.full_name or instructor.email) if instructor else "",
            starts_at=live.starts_at, ends_at=live.ends_at, time_zone=live.time_zone,
            capacity=live.capacity, seats_left=max(0, live.capacity - live.seats_booked),
            status=live.status, started=ensure_utc(live.starts_at) <= now,
        ))
    return [StepRow(step_id=s.id or 0, course_id=s.course_id, position=s.position,
                    label=s.label, title=s.title, description=s.description,
                    options=tuple(options.get(s.id or 0, ()))) for s in steps]


def course_steps(session: Session, course_id: int, *, now: datetime | None = None
                 ) -> list[StepRow]:
    """The course's steps in order, each with its options (soonest first): seats left, and
    whether the session has started."""
    if session.get(Course, course_id) is None:
        raise not_found("course", course_id)
    return _rows(session, _steps(session, course_id), ensure_utc(now or utcnow()))


def get_step(session: Session, step_id: int, *, now: datetime | None = None) -> StepRow:
    """One step with its options."""
    step = session.get(CourseStep, step_id)
    if step is None:
        raise not_found("step", step_id)
    return _rows(session, [step], ensure_utc(now or utcnow()))[0]


def admin_course_steps(session: Session, *, actor: Actor | None, course_id: int
                       ) -> list[StepRow]:
    """The course's steps for an admin who manages its department (404 / 403 otherwise)."""
    course = session.get(Course, course_id)
    if course is None:
        raise not_found("course", course_id)
    require_managed(session, actor, "courses", course.department_id)
    return course_steps(session, course_id)


def admin_get_step(session: Session, *, actor: Actor | None, step_id: int) -> StepRow:
    """One step for an admin who manages its course's department."""
    row = get_step(session, step_id)
    course = session.get(Course, row.course_id)
    assert course is not None
    require_managed(session, actor, "courses", course.department_id)
    return row
