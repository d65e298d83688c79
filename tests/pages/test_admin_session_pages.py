"""The admin Sessions section driven through its page states as a browser would (no server):
the list and the calendar week in the viewer's zone, scheduling a weekly series and private
slots from the dialogs (errors beside their fields), a session's page with its roster,
attendance once it has started, the waitlist's order, cancelling with a reason, and a
department admin who opens another department's session."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta

import pytest
import reflex as rx
from reflex.constants import RouteArgType
from sqlmodel import Session, col, select

from commerce_dash import routes
from commerce_dash.domain.access import RoleName
from commerce_dash.domain.actor import Actor, Grant
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.sessions import in_zone
from commerce_dash.models.audit import AuditLog
from commerce_dash.models.sessions import Booking, LiveSession, WaitlistEntry
from commerce_dash.pages.admin.session_detail import session_detail_admin_page
from commerce_dash.pages.admin.session_detail_state import NOT_FOUND, SessionDetailState
from commerce_dash.pages.admin.sessions import sessions_admin_page
from commerce_dash.pages.admin.sessions_forms import BY_EMAIL, this_week
from commerce_dash.pages.admin.sessions_state import SessionsState
from commerce_dash.services.enrollment import SessionIn, book_step, schedule_sessions
from commerce_dash.services.learning import StepIn, attach_option, create_step
from tests.builders import a_course, a_department, a_learner, an_admin, paid_order
from tests.pages.harness import PageAs
from tests.pages.harness import run_event as _run
from tests.pages.harness import toast_messages as _toasts

# The app installs this when it registers /admin/sessions/[session_id].
rx.State.setup_dynamic_args({"session_id": RouteArgType.SINGLE})

BERLIN = "Europe/Berlin"
DANA = "dana@example.com"  # department admin of Music
OTTO = "otto@example.com"  # department admin of Art


@dataclass(frozen=True)
class Music:
    department_id: int
    art_id: int
    dana: Actor
    ina: Actor  # teaches
    course_id: int
    step_id: int


@pytest.fixture
def music(session: Session, super_admin: Actor) -> Music:
    """Music (Dana administers it) with a course of one step; Art (Otto's) beside it; Ina
    teaches."""
    music_id = a_department(session, super_admin, "MUS", name="Music")
    art_id = a_department(session, super_admin, "ART", name="Art")
    dana = an_admin(session, DANA, full_name="Dana Admin",
                    grants=(Grant(RoleName.DEPT_ADMIN, music_id),))
    an_admin(session, OTTO, full_name="Otto Other", grants=(Grant(RoleName.DEPT_ADMIN, art_id),))
    ina = a_learner(session, "ina@example.com", full_name="Ina Instructor")
    course_id = a_course(session, super_admin, "PNO1", department_id=music_id)
    step = create_step(session, actor=super_admin, course_id=course_id,
                       data=StepIn("Step 1", "Foundations"))
    session.commit()
    assert step.id is not None
    return Music(music_id, art_id, dana, ina, course_id, step.id)


def _class(session: Session, m: Music, day: date, *, title: str = "Piano foundations",
           capacity: int = 8, days_ago: int = 0) -> LiveSession:
    """A class of Ina's on ``day`` 10:00-11:00 Berlin (scheduled ``days_ago`` days back, so
    it may already have started), an option of the course's step."""
    [live] = schedule_sessions(session, actor=m.dana, now=utcnow() - timedelta(days=days_ago),
                               data=SessionIn(department_id=m.department_id, title=title,
                                              day=day, start=time(10), end=time(11),
                                              time_zone=BERLIN, capacity=capacity,
                                              instructor_id=m.ina.user_id))
    session.commit()
    assert live.id is not None
    attach_option(session, actor=m.dana, step_id=m.step_id, session_id=live.id)
    session.commit()
    return live


def _booked(session: Session, m: Music, live: LiveSession, email: str = "lee@example.com",
            days_ago: int = 0) -> Booking:
    learner = a_learner(session, email, full_name=email.split("@")[0].title() + " Learner")
    paid_order(session, learner, ("course", m.course_id), key=f"sessions-{email.split('@')[0]}")
    assert live.id is not None
    return book_step(session, actor=learner, step_id=m.step_id, session_id=live.id,
                     now=utcnow() - timedelta(days=days_ago))


def _next_week(weekday: int) -> date:
    return this_week(BERLIN) + timedelta(days=7 + weekday)


def _list(page_as: PageAs, email: str = DANA) -> SessionsState:
    state = page_as(SessionsState, routes.ADMIN_SESSIONS, email=email)
    events = _run(SessionsState.load, state)
    assert _toasts(events) == []  # the only event asks the browser for its zone
    _run(SessionsState.set_browser_zone, state, BERLIN)
    return state


def _detail(page_as: PageAs, session_id: int, email: str = DANA) -> SessionDetailState:
    state = page_as(SessionDetailState, routes.admin_session_href(session_id), email=email,
                    params={"live_session_id": str(session_id)})
    _run(SessionDetailState.load, state)
    return state


def _facts(state: SessionDetailState) -> dict[str, str]:
    return {f["label"]: f["value"] for f in state.facts}


def test_the_pages_render() -> None:
    sessions_admin_page().render()
    session_detail_admin_page().render()


# -- the list and the week ---------------------------------------------------------------------


def test_the_list_and_the_week_show_the_departments_sessions(
        session: Session, page_as: PageAs, music: Music) -> None:
    tuesday = _next_week(1)
    live = _class(session, music, tuesday)
    _booked(session, music, live)
    page = _list(page_as)
    assert page.access == "allowed" and page.total == 1 and page.browser_zone == BERLIN
    [row] = page.rows
    assert (row["title"], row["kind_label"], row["department"], row["instructor"],
            row["seats"], row["waitlist"], row["status_label"]) == (
        "Piano foundations", "Group class", "Music", "Ina Instructor", "1/8", "0", "Scheduled")
    assert row["local_start"].endswith("10:00 " + in_zone(live.starts_at, BERLIN).tzname())
    assert row["href"] == f"{routes.ADMIN_SESSIONS}/{live.id}"
    assert [d["label"] for d in page.departments] == ["Music"]
    assert [t["label"] for t in page.teachers] == ["Dana Admin (dana@example.com)",
                                                   "Ina Instructor (ina@example.com)"]
    # filters: a kind or a text that matches nothing, then the instructor
    _run(SessionsState.set_kind_filter, page, "private")
    assert page.rows == [] and page.filtered
    _run(SessionsState.reset_filters, page)
    _run(SessionsState.set_search, page, "ina")
    assert page.total == 1
    _run(SessionsState.set_date_from, page, (tuesday + timedelta(days=1)).isoformat())
    assert page.total == 0
    _run(SessionsState.reset_filters, page)

    # the week: this one is empty, the next holds the class on its Tuesday
    _run(SessionsState.set_view, page, "week")
    assert len(page.week_cards) == 7 and not any(page.week_cards)
    assert page.week_start == this_week(BERLIN).isoformat()
    _run(SessionsState.shift_week, page, 1)
    assert page.week_start == (this_week(BERLIN) + timedelta(days=7)).isoformat()
    assert page.week_days[1] == f"{tuesday:%a %d %b}"
    [card] = page.week_cards[1]
    assert card["text"] == "10:00–11:00 Piano foundations (1/8)"
    assert card["href"] == routes.admin_session_href(live.id or 0)
    # the same class in a viewer's zone far away: another local time
    _run(SessionsState.set_browser_zone, page, "Asia/Tokyo")
    _run(SessionsState.shift_week, page, 1)
    cards = [c for day in page.week_cards for c in day]
    assert [c["text"][:11] for c in cards] == ["18:00–19:00"]


def test_another_departments_admin_sees_none_of_them(
        session: Session, page_as: PageAs, music: Music) -> None:
    _class(session, music, _next_week(1))
    page = _list(page_as, OTTO)
    assert page.access == "allowed" and page.rows == [] and page.total == 0
    assert [d["label"] for d in page.departments] == ["Art"]


# -- the dialogs -------------------------------------------------------------------------------


def _schedule(page: SessionsState, instructor: str = "", **form: str) -> list[object]:
    _run(SessionsState.open_schedule, page)
    _run(SessionsState.set_form_zone, page, BERLIN)
    if instructor:
        _run(SessionsState.set_form_instructor, page, instructor)
    return _run(SessionsState.submit_schedule, page, {
        "title": "Choir", "day": _next_week(2).isoformat(), "start": "18:00", "end": "19:30",
        "capacity": "12", "repeat": "4", "location": "Hall", "meeting_url": "",
        "description": "", **form})


def _count(session: Session) -> int:
    session.expire_all()
    return len(session.exec(select(LiveSession)).all())


def test_scheduling_a_weekly_series_from_the_dialog(
        session: Session, page_as: PageAs, music: Music) -> None:
    page = _list(page_as)
    _run(SessionsState.open_schedule, page)
    assert page.schedule_open and page.form_department == str(music.department_id)
    assert page.form_zone == BERLIN and page.form_day
    events = _schedule(page)
    assert _toasts(events, "success") == ["Scheduled 4 sessions."]
    assert not page.schedule_open and page.total == 4
    assert [r["title"] for r in page.rows] == ["Choir"] * 4
    starts = [in_zone(s.starts_at, BERLIN) for s in session.exec(
        select(LiveSession).order_by(col(LiveSession.starts_at))).all()]
    assert [(s.date(), f"{s:%H:%M}") for s in starts] == [
        (_next_week(2) + timedelta(weeks=n), "18:00") for n in range(4)]
    audited = session.exec(select(AuditLog).where(AuditLog.action == "session.scheduled")).all()
    assert len(audited) == 4


@pytest.mark.parametrize(("form", "key", "message"), [
    ({"capacity": "0"}, "capacity", "Capacity is 1 to 1,000 seats."),
    ({"capacity": "many"}, "capacity", "Enter a whole number from 1 to 1,000."),
    ({"end": "17:00"}, "end", "The end (17:00) must be after the start (18:00)."),
    ({"title": " "}, "title", "Enter a session title."),
    ({"repeat": "60"}, "repeat", "A series has 1 to 52 sessions."),
    ({"meeting_url": "zoom"}, "meeting_url", "A meeting link starts with http:// or https://."),
])
def test_a_refused_field_shows_its_error_beside_it(
        session: Session, page_as: PageAs, music: Music, form: dict[str, str], key: str,
        message: str) -> None:
    page = _list(page_as)
    events = _schedule(page, **form)
    assert _toasts(events, "success") == []
    assert page.schedule_open and page.form_errors[key] == message
    assert [k for k, v in page.form_errors.items() if v] == [key]
    assert _count(session) == 0


def test_an_instructor_by_email_and_private_slots(
        session: Session, page_as: PageAs, music: Music) -> None:
    page = _list(page_as)
    events = _schedule(page, BY_EMAIL, instructor_email="nobody@example.com", repeat="1")
    assert page.form_errors["instructor"] == "No user with that email." and not _toasts(
        events, "success")
    events = _schedule(page, BY_EMAIL, instructor_email="INA@example.com ", repeat="1")
    assert _toasts(events, "success") == ["Scheduled 1 session."]
    assert page.rows[0]["instructor"] == "Ina Instructor"

    _run(SessionsState.open_slots, page)
    events = _run(SessionsState.submit_slots, page, {"slot_day": _next_week(3).isoformat(),
                                                      "slot_start": "09:00",
                                                      "slot_end": "11:00"})
    assert page.form_errors["instructor"] == "Choose the instructor."
    _run(SessionsState.set_form_instructor, page, str(music.ina.user_id))
    _run(SessionsState.set_form_minutes, page, "30")
    events = _run(SessionsState.submit_slots, page, {"slot_day": _next_week(3).isoformat(),
                                                      "slot_start": "09:00",
                                                      "slot_end": "11:00"})
    assert _toasts(events, "success") == ["Scheduled 4 private slots."]
    _run(SessionsState.set_kind_filter, page, "private")
    assert page.total == 4 and {r["seats"] for r in page.rows} == {"0/1"}


# -- one session's page ------------------------------------------------------------------------


def test_the_detail_page_and_cancelling_with_a_reason(
        session: Session, page_as: PageAs, music: Music) -> None:
    live = _class(session, music, _next_week(1))
    booking = _booked(session, music, live)
    page = _detail(page_as, live.id or 0)
    assert page.found == "found" and page.title == "Piano foundations"
    facts = _facts(page)
    assert facts["Seats"] == "1 booked of 8 (7 left)" and facts["Instructor"] == "Ina Instructor"
    assert "10:00" in facts["When"] and BERLIN in facts["When"]
    assert "(UTC)" in facts["In your time zone"]  # until the browser tells its zone
    _run(SessionDetailState.set_browser_zone, page, "Asia/Tokyo")
    assert "18:00" in _facts(page)["In your time zone"]
    [row] = page.bookings
    assert (row["learner"], row["email"], row["status_label"], row["attendance"],
            row["markable"]) == ("Lee Learner", "lee@example.com", "Booked", "Not marked", "")
    assert page.can_change and page.can_cancel and not page.started
    # attendance waits for the start
    events = _run(SessionDetailState.mark, page, row["id"], True)
    assert "attendance is marked once it has started" in _toasts(events)[0]

    _run(SessionDetailState.open_cancel, page)
    assert page.cancel_open
    assert _run(SessionDetailState.confirm_cancel, page) == [] and page.cancel_error
    _run(SessionDetailState.set_cancel_reason, page, "The teacher is ill.")
    events = _run(SessionDetailState.confirm_cancel, page)
    assert _toasts(events, "success") == [
        "\"Piano foundations\" cancelled; booked learners are emailed and their credits "
        "returned."]
    assert not page.cancel_open and page.status["status"] == "cancelled"
    assert not page.can_cancel and not page.can_change
    assert _facts(page)["Cancelled because"] == "The teacher is ill."
    session.expire_all()
    assert session.get(Booking, booking.id).status == "cancelled"  # type: ignore[union-attr]
    assert session.exec(select(AuditLog).where(AuditLog.action == "session.cancelled")).one()


def test_edit_and_reschedule_show_errors_beside_fields(
        session: Session, page_as: PageAs, music: Music) -> None:
    live = _class(session, music, _next_week(1))
    _booked(session, music, live)
    page = _detail(page_as, live.id or 0)
    _run(SessionDetailState.open_edit, page)
    assert page.edit_open and page.edit_capacity == "8"
    form = {"title": "Piano basics", "capacity": "0", "location": "Room 2",
            "meeting_url": "", "description": ""}
    _run(SessionDetailState.submit_edit, page, form)
    assert page.form_errors["capacity"] == "Capacity is 1 to 1,000 seats." and page.edit_open
    events = _run(SessionDetailState.submit_edit, page, {**form, "capacity": "9"})
    assert _toasts(events, "success") == ["\"Piano basics\" saved."]
    assert page.title == "Piano basics" and _facts(page)["Location"] == "Room 2"

    _run(SessionDetailState.open_reschedule, page)
    assert (page.move_start, page.move_end, page.form_zone) == ("10:00", "11:00", BERLIN)
    moved = {"day": _next_week(3).isoformat(), "start": "12:00", "end": "11:00"}
    _run(SessionDetailState.submit_reschedule, page, moved)
    assert page.form_errors["end"].startswith("The end (11:00)") and page.reschedule_open
    events = _run(SessionDetailState.submit_reschedule, page, {**moved, "end": "13:00"})
    assert "moved" in _toasts(events, "success")[0]
    assert "12:00" in _facts(page)["When"] and not page.reschedule_open


def test_attendance_once_the_session_has_started(
        session: Session, page_as: PageAs, music: Music) -> None:
    yesterday = in_zone(utcnow(), BERLIN).date() - timedelta(days=1)
    live = _class(session, music, yesterday, days_ago=3)
    _booked(session, music, live, days_ago=2)
    page = _detail(page_as, live.id or 0)
    assert page.started and not page.can_change and not page.can_cancel
    [row] = page.bookings
    assert row["markable"] == "yes"
    events = _run(SessionDetailState.mark, page, row["id"], True)
    assert _toasts(events, "success") == ["Marked attended."]
    assert page.bookings[0]["attendance"] == "Attended"
    events = _run(SessionDetailState.mark, page, row["id"], False)
    assert page.bookings[0]["attendance"] == "Missed"
    assert len(session.exec(select(AuditLog).where(
        AuditLog.action == "booking.attendance")).all()) == 2


def test_the_waitlist_moves_up_and_down(session: Session, page_as: PageAs,
                                        music: Music) -> None:
    live = _class(session, music, _next_week(1), capacity=1)
    _booked(session, music, live)
    waiting = []
    for n, name in enumerate(("ann", "bob"), start=1):
        learner = a_learner(session, f"{name}@example.com", full_name=name.title())
        entry = WaitlistEntry(session_id=live.id or 0, user_id=learner.user_id, position=n,
                              status="waiting")
        session.add(entry)
        session.commit()
        waiting.append(entry)
    page = _detail(page_as, live.id or 0)
    assert [(w["place"], w["learner"], w["up"], w["down"]) for w in page.waitlist] == [
        ("1", "Ann", "", "yes"), ("2", "Bob", "yes", "")]
    assert _facts(page)["Waitlist"] == "2"
    events = _run(SessionDetailState.move_waitlist, page, str(waiting[1].id), -1)
    assert _toasts(events, "success") == ["Waitlist reordered."]
    assert [w["learner"] for w in page.waitlist] == ["Bob", "Ann"]
    # a move past the end does nothing
    assert _run(SessionDetailState.move_waitlist, page, str(waiting[1].id), -1) == []
    assert session.exec(select(AuditLog).where(AuditLog.action == "waitlist.reordered")).one()


def test_a_session_of_another_department_is_not_found(
        session: Session, page_as: PageAs, music: Music) -> None:
    live = _class(session, music, _next_week(1))
    page = _detail(page_as, live.id or 0, OTTO)
    assert page.access == "allowed" and page.found == "missing"
    assert page.missing_message == NOT_FOUND and page.bookings == [] and page.facts == []
    # nor does a forged action reach it
    events = _run(SessionDetailState.confirm_cancel, page)
    assert _toasts(events, "success") == []
    session.expire_all()
    assert session.get(LiveSession, live.id).status == "scheduled"  # type: ignore[union-attr]
    # a number that names no session, or no number at all
    assert _detail(page_as, 999_999).found == "missing"
    state = page_as(SessionDetailState, f"{routes.ADMIN_SESSIONS}/abc", email=DANA,
                    params={"live_session_id": "abc"})
    _run(SessionDetailState.load, state)
    assert state.found == "missing"


def test_what_a_forged_event_sends_is_refused_quietly(
        session: Session, page_as: PageAs, music: Music) -> None:
    page = _list(page_as)
    events = _schedule(page, title="\x00")
    assert page.form_errors["title"] == "Enter a session title."
    _run(SessionsState.set_form_zone, page, "Mars/Olympus\x00")
    events = _run(SessionsState.submit_schedule, page, {
        "title": "Choir", "day": _next_week(2).isoformat(), "start": "18:00", "end": "19:00",
        "capacity": "5"})
    assert page.form_errors["time_zone"].startswith("Unknown time zone") and not _toasts(
        events, "success")
    _run(SessionsState.set_form_department, page, "999999999999")
    _run(SessionsState.submit_schedule, page, {"title": "Choir"})
    assert page.form_errors["department"] == "Choose the department."
    assert _toasts(_run(SessionsState.set_date_from, page, "soon")) == [
        "Dates look like 2026-11-22."]
    _run(SessionsState.set_view, page, ["nonsense"])
    _run(SessionsState.shift_week, page, "x")
    assert page.view == "list" and _count(session) == 0
    _run(SessionsState.set_browser_zone, page, "\x00")
    assert page.browser_zone == "UTC"
