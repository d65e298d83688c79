"""Issue 17, the instructor's Teaching page (/teaching) driven through its page state: the
sessions they teach with their rosters, marking attendance once a session has started (the
learner's step follows), a learner who is not the instructor cannot mark, someone who teaches
nothing is told why the page is empty; the account menu's "Teaching" link follows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time, timedelta
from typing import Any

import pytest
from sqlalchemy import update
from sqlmodel import Session, col, select

from commerce_dash import routes
from commerce_dash.domain.access import RoleName
from commerce_dash.domain.actor import Actor, Grant
from commerce_dash.domain.clock import utcnow
from commerce_dash.models.sessions import Booking, LiveSession, StepProgress
from commerce_dash.pages.store.schedule_state import MyScheduleState
from commerce_dash.pages.store.teaching import teaching_page
from commerce_dash.pages.store.teaching_state import TeachingState
from commerce_dash.services.enrollment import (
    SessionIn,
    book_step,
    instructor_sessions,
    schedule_sessions,
    teaches_sessions,
)
from commerce_dash.services.learning import StepIn, attach_option, create_step
from commerce_dash.state.auth import AuthState
from tests.builders import a_course, a_department, a_learner, an_admin, paid_order
from tests.pages.harness import PageAs, run_event, toast_messages

INA, LEE = "ina@example.com", "lee@example.com"
DAY = utcnow().date() + timedelta(days=5)


@dataclass(frozen=True)
class Taught:
    ina: Actor
    lee: Actor
    live: int
    later: int  # another of Ina's classes, not started, nobody booked
    booking: int
    step_id: int


@pytest.fixture
def taught(session: Session, super_admin: Actor) -> Taught:
    """Ina teaches "Piano foundations" (Lee booked it for his course's step) and "Scales"
    later; then the first class is moved to have started ten minutes ago (rows written
    directly: the scheduler refuses the past)."""
    music = a_department(session, super_admin, "MUS", name="Music")
    dana = an_admin(session, "dana@example.com", full_name="Dana Admin",
                    grants=(Grant(RoleName.DEPT_ADMIN, music),))
    ina = a_learner(session, INA, full_name="Ina Instructor")
    lee = a_learner(session, LEE, full_name="Lee Learner")
    course = a_course(session, super_admin, "PNO1", title="Piano One", department_id=music)
    paid_order(session, lee, ("course", course), key="teaching-lee")
    step = create_step(session, actor=super_admin, course_id=course,
                       data=StepIn("Step 1", "Foundations"))
    [live] = schedule_sessions(session, actor=dana, data=SessionIn(
        department_id=music, title="Piano foundations", day=DAY, start=time(10),
        end=time(11), time_zone="Europe/Berlin", capacity=8, instructor_id=ina.user_id))
    [later] = schedule_sessions(session, actor=dana, data=SessionIn(
        department_id=music, title="Scales", day=DAY + timedelta(days=1), start=time(10),
        end=time(11), time_zone="Europe/Berlin", capacity=4, instructor_id=ina.user_id))
    session.commit()
    assert step.id and live.id and later.id
    attach_option(session, actor=super_admin, step_id=step.id, session_id=live.id)
    session.commit()
    booking = book_step(session, actor=lee, step_id=step.id, session_id=live.id)
    started = utcnow() - timedelta(minutes=10)
    session.execute(update(LiveSession).where(col(LiveSession.id) == live.id).values(
        starts_at=started, ends_at=started + timedelta(hours=1)))
    session.execute(update(Booking).where(col(Booking.id) == booking.id).values(
        starts_at=started, ends_at=started + timedelta(hours=1)))
    session.commit()
    return Taught(ina, lee, live.id, later.id, booking.id or 0, step.id)


def _page(page_as: PageAs, email: str = INA) -> TeachingState:
    state = page_as(TeachingState, routes.TEACHING, email=email)
    run_event(TeachingState.load, state)
    run_event(TeachingState.set_browser_zone, state, "Europe/Berlin")
    return state


def _step(session: Session, t: Taught) -> str:
    session.expire_all()
    return session.exec(select(StepProgress.status).where(
        StepProgress.user_id == t.lee.user_id, StepProgress.step_id == t.step_id)).one()


def test_the_page_builds() -> None:
    teaching_page().render()


def test_the_instructor_sees_their_sessions_and_rosters(session: Session, page_as: PageAs,
                                                        taught: Taught) -> None:
    state = _page(page_as)
    assert state.teaches  # the account menu shows "Teaching"
    assert [(r["title"], r["started"], r["seats"]) for r in state.recent] == [
        ("Piano foundations", "yes", "1 booked of 8")]
    assert [(r["title"], r["started"], r["empty"]) for r in state.upcoming] == [
        ("Scales", "", "yes")]
    assert state.upcoming[0]["when"].endswith(("CET", "CEST"))
    [learner] = state.roster
    assert (learner["session"], learner["id"], learner["learner"], learner["email"]) == (
        str(taught.live), str(taught.booking), "Lee Learner", LEE)
    assert (learner["status"], learner["can_mark"]) == ("booked", "yes")
    # the service reads only Ina's sessions
    assert [t.session.title for t in instructor_sessions(session, user_id=taught.ina.user_id)
            ] == ["Piano foundations", "Scales"]
    assert instructor_sessions(session, user_id=taught.lee.user_id) == []


def test_marking_attendance_and_correcting_it(session: Session, page_as: PageAs,
                                              taught: Taught) -> None:
    state = _page(page_as)
    events = run_event(TeachingState.mark_attended, state, str(taught.booking))
    assert toast_messages(events, "success") == ["Lee Learner: attended."]
    assert [(r["status"], r["attended"]) for r in state.roster] == [("attended", "yes")]
    assert _step(session, taught) == "attended"
    booking = session.get(Booking, taught.booking)
    assert booking is not None and booking.attendance_marked_by_id == taught.ina.user_id

    events = run_event(TeachingState.mark_missed, state, str(taught.booking))
    assert toast_messages(events, "success") == ["Lee Learner: missed."]
    assert [(r["status"], r["missed"]) for r in state.roster] == [("missed", "yes")]
    assert _step(session, taught) == "missed"


def test_a_learner_who_is_not_the_instructor_cannot_mark(session: Session, page_as: PageAs,
                                                          taught: Taught) -> None:
    state = _page(page_as, LEE)
    assert state.upcoming == [] and state.recent == [] and state.roster == []
    assert not state.teaches
    # a booking id sent by hand is not among the page's learners
    events = run_event(TeachingState.mark_attended, state, str(taught.booking))
    assert toast_messages(events) == ["No such learner in the sessions you teach."]
    # and the service behind the page refuses anyone but the instructor (or an admin)
    state.roster = [{"id": str(taught.booking), "learner": "Lee Learner"}]
    events = run_event(TeachingState.mark_attended, state, str(taught.booking))
    assert toast_messages(events) == ["You do not have access to this area."]
    session.expire_all()
    assert session.get(Booking, taught.booking).status == "booked"  # type: ignore[union-attr]
    assert _step(session, taught) == "booked"


def test_the_teaching_link_follows_who_teaches(session: Session, page_as: PageAs,
                                               taught: Taught) -> None:
    assert teaches_sessions(session, user_id=taught.ina.user_id)
    assert not teaches_sessions(session, user_id=taught.lee.user_id)
    ina: Any = page_as(AuthState, routes.HOME, email=INA)
    run_event(AuthState.load_session, ina)
    lee: Any = page_as(MyScheduleState, routes.SCHEDULE, email=LEE)
    run_event(MyScheduleState.load, lee)
    assert (ina.teaches, lee.teaches) == (True, False)


def test_someone_who_teaches_nothing_sees_an_explanation(session: Session,
                                                         page_as: PageAs) -> None:
    a_learner(session, LEE)
    state = _page(page_as, LEE)
    assert state.loaded and state.upcoming == [] and state.recent == []
    assert "You are not teaching any sessions" in str(teaching_page().render())
    visitor = page_as(TeachingState, routes.TEACHING, email="")
    assert f"{routes.LOGIN}?next={routes.TEACHING}" in str(
        run_event(TeachingState.load, visitor))
