"""The state of the course page's "Steps" panel (``course_steps.py``, issue 17): the
course's steps with their group-class options in the visitor's time zone, and, for a learner
who owns the course, their status per step, booking a step's option and joining the waitlist
of a full one.

The course page's own load hands over the course it found (``show_course``, server side:
the browser never names the course); the browser's time zone arrives once per visit from
``Intl.DateTimeFormat`` (``use_time_zone``) and re-renders the times. Every database call
runs off the event loop (``state.offload``); the booking services commit themselves, the
waitlist's caller (here) commits.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import reflex as rx
from sqlmodel import Session

from commerce_dash.domain.clock import ensure_utc, utcnow
from commerce_dash.domain.errors import DomainError
from commerce_dash.domain.sessions import in_zone
from commerce_dash.models.catalog import Course
from commerce_dash.services import enrollment as enrollment_area
from commerce_dash.services import learning as learning_area
from commerce_dash.state.auth import AuthState
from commerce_dash.state.offload import with_session
from commerce_dash.state.route_args import route_int
from commerce_dash.state.time_zone import BROWSER_ZONE_SCRIPT, known_zone

DEFAULT_ZONE = "UTC"
ZONE_SCRIPT = BROWSER_ZONE_SCRIPT
STATUS_LABELS = {"unbooked": "Not booked", "booked": "Booked", "attended": "Attended",
                 "missed": "Missed"}
STATUS_COLORS = {"unbooked": "amber", "booked": "blue", "attended": "green", "missed": "red"}


@dataclass(frozen=True)
class OptionView:
    """One session a step can be taken in, as the panel shows it."""

    option_id: int = 0
    session_id: int = 0
    step_id: int = 0
    title: str = ""
    when: str = ""  # "Tue 8 Dec, 04:30 – 05:30 (Europe/Berlin)"
    instructor: str = ""
    seats: str = ""  # "3 seats left" | "1 seat left" | "Full" | "Cancelled"
    seats_color: str = "gray"
    # what the learner can do: "" (read only) | book | started | waitlist | waiting
    action: str = ""
    waitlist_note: str = ""  # "On the waitlist (place 2)" | "A seat is held for you"
    label: str = ""  # the button's accessible name: "Book Step 1 on Tue 8 Dec, 04:30 ..."


@dataclass(frozen=True)
class StepView:
    step_id: int = 0
    position: int = 0
    anchor: str = ""  # "step-1": "Book next step" leads here
    label: str = ""
    title: str = ""
    description: str = ""
    status: str = ""  # unbooked | booked | attended | missed; "" when the visitor has no place
    status_label: str = ""
    status_color: str = "gray"
    booked_note: str = ""  # "Your session: <title>, <when>"
    options: list[OptionView] = field(default_factory=list)


@dataclass(frozen=True)
class Read:
    """What the panel reads: the course's steps, the visitor's progress in them and their
    waitlist entries for the steps' classes."""

    steps: list[learning_area.StepRow]
    mine: list[learning_area.LearnerStep]
    waitlist: list[enrollment_area.WaitlistRow]


def clean_zone(raw: object) -> str:
    """The IANA zone the browser reported, or UTC when it is not one."""
    return known_zone(raw, DEFAULT_ZONE)


def _day(moment: datetime, now: datetime) -> str:
    text = f"{moment:%a} {moment.day} {moment:%b}"
    return text if moment.year == now.year else f"{text} {moment.year}"


def when_label(starts_at: datetime, ends_at: datetime, time_zone: str,
               now: datetime | None = None) -> str:
    """A session's time in ``time_zone``: "Tue 8 Dec, 04:30 – 05:30 (Europe/Berlin)" (the year
    when it is not this year's, the end's day when it ends on another)."""
    start, end = in_zone(starts_at, time_zone), in_zone(ends_at, time_zone)
    today = in_zone(now or utcnow(), time_zone)
    ends = f"{end:%H:%M}" if end.date() == start.date() else f"{_day(end, today)}, {end:%H:%M}"
    return f"{_day(start, today)}, {start:%H:%M} – {ends} ({time_zone})"


def _seats(option: learning_area.OptionRow) -> tuple[str, str]:
    if option.status != "scheduled":
        return "Cancelled", "gray"
    if option.seats_left <= 0:
        return "Full", "red"
    return (f"{option.seats_left} seat{'s' if option.seats_left != 1 else ''} left",
            "amber" if option.seats_left <= 3 else "green")


def _waitlist_note(entry: enrollment_area.WaitlistRow | None) -> str:
    if entry is None:
        return ""
    if entry.status == "offered":
        return "A seat is held for you: accept it from My schedule."
    return f"On the waitlist (place {entry.place})"


def _action(option: learning_area.OptionRow, step_status: str,
            entry: enrollment_area.WaitlistRow | None) -> str:
    if step_status != "unbooked" or option.status != "scheduled":
        return ""
    if option.started:
        return "started"
    if entry is not None:
        return "waiting"
    return "waitlist" if option.seats_left <= 0 else "book"


def _option_view(step: learning_area.StepRow, option: learning_area.OptionRow,
                 step_status: str, waiting: dict[int, enrollment_area.WaitlistRow],
                 time_zone: str, now: datetime) -> OptionView:
    when = when_label(option.starts_at, option.ends_at, time_zone, now)
    seats, color = _seats(option)
    entry = waiting.get(option.session_id)
    action = _action(option, step_status, entry)
    verb = "Join waitlist:" if action == "waitlist" else "Book"  # as the button says
    return OptionView(
        option_id=option.option_id, session_id=option.session_id, step_id=step.step_id,
        title=option.title, when=when, instructor=option.instructor_name, seats=seats,
        seats_color=color, action=action,
        waitlist_note=_waitlist_note(entry) if action == "waiting" else "",
        label=f"{verb} {step.label}: {option.title}, {when}",
    )


def step_views(found: Read, time_zone: str, now: datetime | None = None) -> list[StepView]:
    """The panel's steps: each with the learner's status and their options' actions."""
    at = ensure_utc(now or utcnow())
    mine = {s.step_id: s for s in found.mine}
    waiting = {w.session_id: w for w in found.waitlist}
    views = []
    for step in found.steps:
        own = mine.get(step.step_id)
        status = own.status if own is not None else ""
        booked = ""
        if own is not None and own.starts_at is not None and own.ends_at is not None:
            booked = (f"Your session: {own.session_title}, "
                      f"{when_label(own.starts_at, own.ends_at, time_zone, at)}")
        views.append(StepView(
            step_id=step.step_id, position=step.position, anchor=f"step-{step.position}",
            label=step.label, title=step.title, description=step.description,
            status=status, status_label=STATUS_LABELS.get(status, status.capitalize()),
            status_color=STATUS_COLORS.get(status, "gray"), booked_note=booked,
            options=[_option_view(step, o, status, waiting, time_zone, at)
                     for o in step.options],
        ))
    return views


def _read(session: Session, course_id: int, user_id: int | None) -> Read:
    course = session.get(Course, course_id)
    if course is None or not course.published:
        return Read([], [], [])
    steps = learning_area.course_steps(session, course_id)
    if user_id is None or not steps:
        return Read(steps, [], [])
    mine = learning_area.learner_steps(session, user_id=user_id, course_id=course_id)
    if not any(s.status for s in mine):
        return Read(steps, mine, [])
    ids = {o.session_id for s in steps for o in s.options}
    waitlist = [w for w in enrollment_area.learner_schedule(session, user_id=user_id).waitlist
                if w.session_id in ids]
    return Read(steps, mine, waitlist)


def _find_option(steps: Sequence[StepView], step_id: int, session_id: int
                 ) -> OptionView | None:
    return next((o for s in steps if s.step_id == step_id for o in s.options
                 if o.session_id == session_id), None)


class CourseStepsState(AuthState):
    steps: rx.Field[list[StepView]] = rx.field(default_factory=list)
    owner: rx.Field[bool] = rx.field(False)  # the visitor has a place in the course
    next_anchor: rx.Field[str] = rx.field("")  # "#step-2": the first unbooked step, for an owner
    time_zone: rx.Field[str] = rx.field(DEFAULT_ZONE)
    busy: rx.Field[str] = rx.field("")  # "<step>-<session>" of the button at work
    _course_id: int = 0
    _zone_known: bool = False

    def _show(self, found: Read) -> None:
        self.steps = step_views(found, self.time_zone)
        self.owner = any(s.status for s in self.steps)
        first = next((s for s in self.steps if s.status == "unbooked"), None)
        self.next_anchor = f"#{first.anchor}" if self.owner and first is not None else ""

    async def _reload(self) -> None:
        course_id = self._course_id
        if not course_id:
            self._show(Read([], [], []))
            return
        actor = self.current_actor()
        user_id = actor.user_id if actor is not None else None
        self._show(await with_session(lambda s: _read(s, course_id, user_id)))

    async def show_course(self, course_id: int) -> Any:
        """Called by the course page's load with the course it shows (0: none): read its
        steps; the events to send (the browser's time zone, asked for once per visit)."""
        self._course_id, self.busy = course_id, ""
        try:
            await self._reload()
        except DomainError as exc:
            self._show(Read([], [], []))
            return rx.toast.error(exc.message)
        if course_id and self.steps and not self._zone_known:
            return rx.call_script(ZONE_SCRIPT, callback=CourseStepsState.use_time_zone)
        return None

    @rx.event
    async def use_time_zone(self, raw: str):  # type: ignore[no-untyped-def]
        """The browser's time zone: the times are shown in it from now on."""
        name = clean_zone(raw)
        changed = name != self.time_zone
        self.time_zone, self._zone_known = name, True
        if changed and self._course_id:
            try:
                await self._reload()
            except DomainError as exc:
                return rx.toast.error(exc.message)
        return None

    @rx.event
    def go_to_next_step(self):  # type: ignore[no-untyped-def]
        """"Book next step": scroll to the first unbooked step and move the focus there."""
        anchor = self.next_anchor.removeprefix("#")
        if not anchor:
            return None
        target = json.dumps(anchor)
        return rx.call_script(
            f"(() => {{ const el = document.getElementById({target}); if (el) {{ "
            "el.scrollIntoView({behavior: 'smooth', block: 'start'}); "
            "el.focus({preventScroll: true}); } })()")

    def _picked(self, step_id: object, session_id: object) -> OptionView | None:
        step, live = route_int(step_id), route_int(session_id)
        if step is None or live is None:
            return None
        return _find_option(self.steps, step, live)

    @rx.event
    async def book(self, step_id: int, session_id: int):  # type: ignore[no-untyped-def]
        """Book the step in this session (the learner owns the course, the step is
        unbooked); a toast says when, in the learner's zone, or why not."""
        option = self._picked(step_id, session_id)
        if option is None:
            yield rx.toast.error("This session is no longer offered for the step.")
            return
        actor = self.current_actor()
        if actor is None:
            yield rx.toast.error("Sign in to book this step.")
            return
        self.busy = f"{option.step_id}-{option.session_id}"
        yield
        time_zone = self.time_zone
        try:
            booking = await with_session(lambda s: enrollment_area.book_step(
                s, actor=actor, step_id=option.step_id, session_id=option.session_id,
                time_zone=time_zone))
        except DomainError as exc:
            self.busy = ""
            await self._reload()
            yield rx.toast.error(exc.message)
            return
        self.busy = ""
        await self._reload()
        when = when_label(booking.starts_at, booking.ends_at, time_zone)
        yield rx.toast.success(f"Booked: {option.title}, {when}. A calendar invite is in "
                               "your email.")

    @rx.event
    async def join_waitlist(self, step_id: int, session_id: int):  # type: ignore[no-untyped-def]
        """Wait in line for a full session of the step; a toast gives the place."""
        option = self._picked(step_id, session_id)
        if option is None:
            yield rx.toast.error("This session is no longer offered for the step.")
            return
        actor = self.current_actor()
        if actor is None:
            yield rx.toast.error("Sign in to join the waitlist.")
            return
        self.busy = f"{option.step_id}-{option.session_id}"
        yield
        time_zone = self.time_zone

        def work(session: Session) -> None:
            enrollment_area.join_waitlist(session, actor=actor, session_id=option.session_id,
                                          step_id=option.step_id, time_zone=time_zone)
            session.commit()

        try:
            await with_session(work)
        except DomainError as exc:
            self.busy = ""
            await self._reload()
            yield rx.toast.error(exc.message)
            return
        self.busy = ""
        await self._reload()
        joined = _find_option(self.steps, option.step_id, option.session_id)
        note = joined.waitlist_note if joined is not None and joined.waitlist_note else (
            "You are on the waitlist")
        yield rx.toast.success(f"{note}: {option.title}. We email you when a seat frees up.")
