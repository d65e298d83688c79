"""Issue 17 on the course page, driven through the page states as a browser would (no
server): the "Steps" panel shows each step's classes in the visitor's time zone with seats
left; a learner who owns the course sees their status per step, books a step (the booking
exists, the badge says Booked), joins the waitlist of a full class, and is told why a
booking is refused; a visitor who doesn't own the course only reads the classes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
import reflex as rx
from reflex.constants import RouteArgType
from sqlmodel import Session, select

from commerce_dash import routes
from commerce_dash.domain.actor import Actor
from commerce_dash.domain.clock import utcnow
from commerce_dash.models.sessions import Booking, WaitlistEntry
from commerce_dash.pages.store.course import CourseState, course_page
from commerce_dash.pages.store.course_steps_state import (
    ZONE_SCRIPT,
    CourseStepsState,
    Read,
    StepView,
    clean_zone,
    step_views,
    when_label,
)
from commerce_dash.services import learning
from commerce_dash.services.enrollment import SessionIn, book_step, schedule_sessions
from commerce_dash.services.learning import StepIn, attach_option, create_step
from tests.builders import a_course, a_department, a_learner, paid_order
from tests.pages.harness import PageAs, toast_messages
from tests.pages.harness import run_event as _run

rx.State.setup_dynamic_args({"code": RouteArgType.SINGLE})

LEE = "lee@example.com"
CODE = "PNO1"
BERLIN = "Europe/Berlin"
DAY = utcnow().date() + timedelta(days=10)


@dataclass(frozen=True)
class Course:
    course_id: int
    steps: list[int]  # step ids in order
    sessions: dict[str, int]  # "first" (step 1, 8 seats), "small" (step 2, 1 seat),
    #                           "clash" (step 2, at the same time as "first")


@pytest.fixture
def course(session: Session, super_admin: Actor, learner: Actor) -> Course:
    """A piano course of two steps: step 1 in a class of 8 seats (Ina teaching, 10:00-11:00
    Berlin time), step 2 in a class of one seat the next day and in one at step 1's time.
    Lee bought the course."""
    music = a_department(session, super_admin, "MUS", name="Music")
    ina = a_learner(session, "ina@example.com", full_name="Ina Instructor")
    course_id = a_course(session, super_admin, CODE, title="Piano", department_id=music)
    one = create_step(session, actor=super_admin, course_id=course_id,
                      data=StepIn("Step 1", "Foundations", "Posture and scales."))
    two = create_step(session, actor=super_admin, course_id=course_id,
                      data=StepIn("Step 2", "Chords"))
    session.commit()

    def scheduled(title: str, day: Any, capacity: int, instructor: int | None = None) -> int:
        [live] = schedule_sessions(session, actor=super_admin, data=SessionIn(
            department_id=music, title=title, day=day, start=time(10), end=time(11),
            time_zone=BERLIN, capacity=capacity, instructor_id=instructor))
        session.commit()
        assert live.id is not None
        return live.id

    sessions = {"first": scheduled("Foundations live", DAY, 8, ina.user_id),
                "small": scheduled("Chords small group", DAY + timedelta(days=1), 1),
                "clash": scheduled("Chords evening", DAY, 5)}
    assert one.id is not None and two.id is not None
    for step_id, key in ((one.id, "first"), (two.id, "small"), (two.id, "clash")):
        attach_option(session, actor=super_admin, step_id=step_id, session_id=sessions[key])
    session.commit()
    paid_order(session, learner, ("course", course_id), key="course-steps-lee")
    return Course(course_id, [one.id, two.id], sessions)


def _steps_of(state: Any) -> CourseStepsState:
    root = state
    while root.parent_state is not None:
        root = root.parent_state
    return root.get_substate(CourseStepsState.get_full_name().split(".")[1:])  # type: ignore[no-any-return]


def _course_page(page_as: PageAs, email: str = LEE, zone: str = BERLIN
                 ) -> tuple[CourseStepsState, list[Any]]:
    """The course page as the browser loads it, then the browser's zone arriving."""
    state = page_as(CourseState, f"{routes.STORE_COURSE}/{CODE}", email=email,
                    params={"code": CODE})
    events = _run(CourseState.load, state)
    assert state.status == "found"
    steps = _steps_of(state)
    if steps.steps:
        _run(CourseStepsState.use_time_zone, steps, zone)
    return steps, events


def _option(steps: CourseStepsState, position: int, title: str) -> Any:
    step = next(s for s in steps.steps if s.position == position)
    return next(o for o in step.options if o.title == title)


def _status(steps: CourseStepsState) -> list[tuple[str, str, str]]:
    return [(s.label, s.status, s.status_label) for s in steps.steps]


def test_the_page_builds() -> None:
    course_page().render()


def test_times_are_shown_in_the_browsers_zone() -> None:
    starts = datetime(2026, 12, 8, 3, 30, tzinfo=UTC)
    now = datetime(2026, 12, 1, tzinfo=UTC)
    assert when_label(starts, starts + timedelta(hours=1), BERLIN, now) == (
        "Tue 8 Dec, 04:30 – 05:30 (Europe/Berlin)")
    assert when_label(starts, starts + timedelta(hours=1), "America/New_York", now) == (
        "Mon 7 Dec, 22:30 – 23:30 (America/New_York)")
    assert when_label(starts, starts + timedelta(hours=1), "UTC",
                      datetime(2025, 6, 1, tzinfo=UTC)).startswith("Tue 8 Dec 2026, 03:30")
    assert clean_zone("Not/AZone") == "UTC"
    assert clean_zone("Europe/Berlin\x00") == "UTC"
    assert clean_zone(" Asia/Tokyo ") == "Asia/Tokyo"


def test_the_owner_sees_the_steps_and_books_step_one(
        session: Session, page_as: PageAs, learner: Actor, course: Course) -> None:
    steps, events = _course_page(page_as)
    # the page asked the browser for its time zone once
    assert any(ZONE_SCRIPT in str(e) for e in events)
    assert steps.time_zone == BERLIN
    assert steps.owner is True
    assert _status(steps) == [("Step 1", "unbooked", "Not booked"),
                              ("Step 2", "unbooked", "Not booked")]
    assert steps.next_anchor == "#step-1"
    [scroll] = _run(CourseStepsState.go_to_next_step, steps)
    assert "step-1" in str(scroll) and "scrollIntoView" in str(scroll) and "focus" in str(scroll)
    first = _option(steps, 1, "Foundations live")
    assert first.when.endswith("10:00 – 11:00 (Europe/Berlin)")
    assert (first.instructor, first.seats, first.action) == ("Ina Instructor", "8 seats left",
                                                             "book")
    assert steps.steps[0].description == "Posture and scales."
    assert _option(steps, 2, "Chords small group").seats == "1 seat left"

    # Book on step 1's class
    events = _run(CourseStepsState.book, steps, first.step_id, first.session_id)
    assert toast_messages(events, "error") == []
    [message] = toast_messages(events, "success")
    assert message == (f"Booked: Foundations live, {first.when}. A calendar invite is in "
                       "your email.")
    session.expire_all()
    booking = session.exec(select(Booking).where(Booking.user_id == learner.user_id)).one()
    assert (booking.session_id, booking.step_id, booking.status, booking.time_zone) == (
        first.session_id, first.step_id, "booked", BERLIN)
    # the badge says Booked, with the class; step 1 has no buttons now, step 2 is next
    assert _status(steps) == [("Step 1", "booked", "Booked"),
                              ("Step 2", "unbooked", "Not booked")]
    assert steps.steps[0].booked_note == f"Your session: Foundations live, {first.when}"
    assert [o.action for o in steps.steps[0].options] == [""]
    assert _option(steps, 1, "Foundations live").seats == "7 seats left"
    assert steps.next_anchor == "#step-2"
    assert steps.busy == ""

    # a reload of the page shows the same
    again, _ = _course_page(page_as)
    assert _status(again)[0] == ("Step 1", "booked", "Booked")

    # step 2 at step 1's time: refused with the service's message naming the clash
    clash = _option(steps, 2, "Chords evening")
    events = _run(CourseStepsState.book, steps, clash.step_id, clash.session_id)
    [refused] = toast_messages(events, "error")
    assert "Foundations live" in refused and "at that time" in refused
    assert _status(steps)[1] == ("Step 2", "unbooked", "Not booked")


def test_a_full_class_offers_the_waitlist_and_joining_works(
        session: Session, page_as: PageAs, super_admin: Actor, learner: Actor,
        course: Course) -> None:
    # Kim, who also bought the course, takes the one seat of step 2's small group
    kim = a_learner(session, "kim@example.com", full_name="Kim")
    paid_order(session, kim, ("course", course.course_id), key="course-steps-kim")
    book_step(session, actor=kim, step_id=course.steps[1], session_id=course.sessions["small"])

    steps, _ = _course_page(page_as)
    small = _option(steps, 2, "Chords small group")
    assert (small.seats, small.action) == ("Full", "waitlist")
    assert small.label.startswith("Join waitlist: Step 2: Chords small group, ")

    events = _run(CourseStepsState.join_waitlist, steps, small.step_id, small.session_id)
    assert toast_messages(events, "error") == []
    [joined] = toast_messages(events, "success")
    assert joined.startswith("On the waitlist (place 1): Chords small group.")
    session.expire_all()
    entry = session.exec(select(WaitlistEntry).where(
        WaitlistEntry.user_id == learner.user_id)).one()
    assert (entry.session_id, entry.step_id, entry.status, entry.time_zone) == (
        course.sessions["small"], course.steps[1], "waiting", BERLIN)
    small = _option(steps, 2, "Chords small group")
    assert (small.action, small.waitlist_note) == ("waiting", "On the waitlist (place 1)")
    # joining again (a second click) is harmless: still one entry
    _run(CourseStepsState.join_waitlist, steps, small.step_id, small.session_id)
    session.expire_all()
    assert len(session.exec(select(WaitlistEntry)).all()) == 1
    # a full class can't be booked directly: the service says so
    events = _run(CourseStepsState.book, steps, small.step_id, small.session_id)
    assert toast_messages(events, "error")


def test_a_visitor_who_does_not_own_the_course_only_reads_the_classes(
        session: Session, page_as: PageAs, course: Course) -> None:
    a_learner(session, "kim@example.com", full_name="Kim")
    for email in ("kim@example.com", ""):
        steps, _ = _course_page(page_as, email=email, zone="America/New_York")
        assert steps.owner is False
        assert steps.next_anchor == ""
        assert _run(CourseStepsState.go_to_next_step, steps) == []
        assert [s.status for s in steps.steps] == ["", ""]
        options = [o for s in steps.steps for o in s.options]
        assert len(options) == 3
        assert {o.action for o in options} == {""}
        assert all(o.when.endswith("(America/New_York)") for o in options)
    # the normal buy box is there: the course is for sale and not theirs
    state = page_as(CourseState, f"{routes.STORE_COURSE}/{CODE}", email="kim@example.com",
                    params={"code": CODE})
    _run(CourseState.load, state)
    assert (state.for_sale, state.owned) == (True, False)
    # a forged Book event from a visitor who doesn't own it is refused by the service
    first = steps.steps[0].options[0]
    kim_steps, _ = _course_page(page_as, email="kim@example.com")
    events = _run(CourseStepsState.book, kim_steps, first.step_id, first.session_id)
    [refused] = toast_messages(events, "error")
    assert "don't have Piano" in refused
    session.expire_all()
    assert session.exec(select(Booking)).all() == []
    # and an id the panel doesn't show is ignored
    events = _run(CourseStepsState.book, kim_steps, "not a number", first.session_id)
    assert toast_messages(events, "error") == [
        "This session is no longer offered for the step."]


def test_a_course_without_steps_shows_no_panel(session: Session, page_as: PageAs,
                                               super_admin: Actor, learner: Actor) -> None:
    a_course(session, super_admin, CODE, title="Piano")
    steps, events = _course_page(page_as)
    assert steps.steps == []
    assert not any(ZONE_SCRIPT in str(e) for e in events)


def test_a_started_class_is_disabled(session: Session, course: Course) -> None:
    """The panel's rule, on the steps as the service reads them once step 1's class started."""
    later = learning.course_steps(session, course.course_id)[0].options[0].starts_at \
        + timedelta(minutes=5)
    started = learning.course_steps(session, course.course_id, now=later)
    unbooked = [learning.LearnerStep(step_id=s.step_id, position=s.position, label=s.label,
                                     title=s.title, description=s.description,
                                     status="unbooked") for s in started]
    views: list[StepView] = step_views(Read(started, unbooked, []), BERLIN, later)
    assert (views[0].options[0].action, views[0].options[0].seats) == ("started",
                                                                        "8 seats left")
    # step 2's class at the same hour started too; its class the next day is still bookable
    assert [(o.title, o.action) for o in views[1].options] == [
        ("Chords evening", "started"), ("Chords small group", "book")]
