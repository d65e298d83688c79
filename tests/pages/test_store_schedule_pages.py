"""Issue 17, My schedule (/account/schedule) driven through its page state as a browser would:
an upcoming step booking with its course, step, instructor, place and local time; cancelling
a credit booking before the cut-off (the dialog says the credit comes back, and it does);
"Add to calendar" downloading the booking's .ics; a waitlist offer picked out by ``?offer=``
and accepted; booking with a credit; the empty page."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import time, timedelta
from typing import Any

import pytest
from sqlmodel import Session, select

from commerce_dash import routes
from commerce_dash.domain.access import RoleName
from commerce_dash.domain.actor import Actor, Grant
from commerce_dash.domain.clock import utcnow
from commerce_dash.models.sessions import Booking, SessionCredit, WaitlistEntry
from commerce_dash.pages.store.schedule import my_schedule_page
from commerce_dash.pages.store.schedule_state import (
    ZONE_SCRIPT,
    MyScheduleState,
    ics_filename,
)
from commerce_dash.services.enrollment import (
    SessionIn,
    book_step,
    book_with_credit,
    cancel_booking,
    join_waitlist,
    schedule_sessions,
)
from commerce_dash.services.learning import StepIn, attach_option, create_step
from commerce_dash.settings import get_settings
from tests.builders import a_course, a_department, a_learner, an_admin, paid_order
from tests.pages.harness import PageAs, run_event, toast_messages

LEE = "lee@example.com"
DAY = utcnow().date() + timedelta(days=5)  # far beyond the 24-hour cancellation cut-off


@dataclass(frozen=True)
class Studio:
    dept: int
    lee: Actor
    ina: Actor  # the instructor
    step_class: int  # "Piano foundations": the option of the course's step 1
    group_class: int  # "Open rehearsal": a group class a credit can book (1 seat)
    step_id: int


@pytest.fixture
def studio(session: Session, super_admin: Actor) -> Studio:
    music = a_department(session, super_admin, "MUS", name="Music")
    dana = an_admin(session, "dana@example.com", full_name="Dana Admin",
                    grants=(Grant(RoleName.DEPT_ADMIN, music),))
    ina = a_learner(session, "ina@example.com", full_name="Ina Instructor")
    lee = a_learner(session, LEE, full_name="Lee Learner")
    course = a_course(session, super_admin, "PNO1", title="Piano One", department_id=music)
    paid_order(session, lee, ("course", course), key="schedule-lee")
    step = create_step(session, actor=super_admin, course_id=course,
                       data=StepIn("Step 1", "Foundations"))
    [step_class] = schedule_sessions(session, actor=dana, data=SessionIn(
        department_id=music, title="Piano foundations", day=DAY, start=time(10),
        end=time(11), time_zone="Europe/Berlin", capacity=8, instructor_id=ina.user_id,
        location="Room 4"))
    [group_class] = schedule_sessions(session, actor=dana, data=SessionIn(
        department_id=music, title="Open rehearsal", day=DAY, start=time(14), end=time(15),
        time_zone="Europe/Berlin", capacity=1, instructor_id=ina.user_id,
        meeting_url="https://meet.example.com/rehearsal"))
    session.commit()
    assert step.id and step_class.id and group_class.id
    attach_option(session, actor=super_admin, step_id=step.id, session_id=step_class.id)
    session.commit()
    return Studio(music, lee, ina, step_class.id, group_class.id, step.id)


def _credit(session: Session, s: Studio, user: Actor, key: str) -> int:
    credit = SessionCredit(dedupe_key=key, user_id=user.user_id, department_id=s.dept,
                           kind="group")
    session.add(credit)
    session.commit()
    return credit.id or 0


def _page(page_as: PageAs, query: dict[str, str] | None = None,
          zone: str = "Europe/Berlin") -> tuple[MyScheduleState, list[Any]]:
    state = page_as(MyScheduleState, routes.SCHEDULE, email=LEE, query=query)
    events = run_event(MyScheduleState.load, state)
    run_event(MyScheduleState.set_browser_zone, state, zone)
    return state, events


def _success(events: list[Any]) -> str:
    found = toast_messages(events, "success")
    assert found, events
    return found[0]


def test_the_page_builds() -> None:
    my_schedule_page().render()
    assert ics_filename("Piano: foundations / 1") == "Piano foundations  1.ics"
    assert ics_filename("///") == "session.ics"


def test_a_visitor_is_sent_to_sign_in_keeping_the_offer(page_as: PageAs) -> None:
    state = page_as(MyScheduleState, routes.SCHEDULE, email="", query={"offer": "7"})
    events = run_event(MyScheduleState.load, state)
    assert f"{routes.LOGIN}?next={routes.SCHEDULE}?offer=7" in str(events)


def test_nothing_booked_shows_the_empty_page(session: Session, page_as: PageAs) -> None:
    a_learner(session, LEE)
    state, events = _page(page_as)
    assert ZONE_SCRIPT in str(events)  # the browser is asked for its time zone
    assert state.loaded and state.time_zone == "Europe/Berlin"
    assert (state.upcoming, state.past, state.waitlist, state.credits, state.bookable) == (
        [], [], [], [], [])


def test_an_upcoming_step_booking_in_the_browsers_time(session: Session, page_as: PageAs,
                                                       studio: Studio) -> None:
    book_step(session, actor=studio.lee, step_id=studio.step_id,
              session_id=studio.step_class, time_zone="Europe/Berlin")
    state, _ = _page(page_as, zone="Asia/Kolkata")
    [row] = state.upcoming
    assert row["title"] == "Piano foundations"
    assert row["what"] == "Piano One · Step 1: Foundations"
    assert row["instructor"] == "Ina Instructor"
    assert row["location"] == "Room 4" and row["join_url"] == ""
    # 10:00-11:00 in Berlin is 14:30-15:30 (winter) or 13:30-14:30 (summer) in Kolkata
    assert re.search(r", 1[34]:30–1[45]:30 IST$", row["when"]), row["when"]
    assert row["credit"] == "" and row["can_cancel"] == "yes"
    assert state.time_zone == "Asia/Kolkata"

    run_event(MyScheduleState.open_cancel, state, row["id"])
    assert state.cancel_open and "course step goes back to unbooked" in state.cancel_note


def test_cancelling_a_credit_booking_before_the_cut_off_gives_the_credit_back(
        session: Session, page_as: PageAs, studio: Studio) -> None:
    credit = _credit(session, studio, studio.lee, "lee-g1")
    booking = book_with_credit(session, actor=studio.lee, session_id=studio.group_class)
    state, _ = _page(page_as)
    [row] = state.upcoming
    assert row["credit"] == "yes" and row["credit_back"] == "yes"
    assert row["join_url"] == "https://meet.example.com/rehearsal"
    assert [c["status"] for c in state.credits] == ["used"]

    run_event(MyScheduleState.open_cancel, state, row["id"])
    assert state.cancel_open and state.cancel_title == "Open rehearsal"
    assert state.cancel_note == "Your credit comes back: you can use it for another session."
    events = run_event(MyScheduleState.confirm_cancel, state)

    assert _success(events) == "Booking cancelled: your credit is back."
    assert not state.cancel_open and state.upcoming == []
    assert [(p["title"], p["status"], p["credit_returned"]) for p in state.past] == [
        ("Open rehearsal", "cancelled", "yes")]
    assert [(c["label"], c["status"]) for c in state.credits] == [("Group class", "available")]
    session.expire_all()
    assert session.get(SessionCredit, credit).status == "available"  # type: ignore[union-attr]
    assert session.get(Booking, booking.id).status == "cancelled"  # type: ignore[union-attr]


def test_add_to_calendar_downloads_the_bookings_ics(session: Session, page_as: PageAs,
                                                   studio: Studio) -> None:
    book_step(session, actor=studio.lee, step_id=studio.step_id,
              session_id=studio.step_class)
    state, _ = _page(page_as)
    [row] = state.upcoming
    [download] = run_event(MyScheduleState.add_to_calendar, state, row["id"])
    text = str(download)
    assert "Piano foundations.ics" in text
    encoded = re.search(r"data:text/calendar;base64,([A-Za-z0-9+/=]+)", text)
    assert encoded, text
    ics = base64.b64decode(encoded.group(1)).decode()
    assert ics.startswith("BEGIN:VCALENDAR") and "Piano foundations" in ics
    # another learner's booking id is refused, nothing downloaded
    assert toast_messages(run_event(MyScheduleState.add_to_calendar, state, "999999")) == [
        "No such booking of yours."]


@pytest.fixture
def offer_hours(monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    """A freed seat is offered for 2 hours instead of booked at once."""
    monkeypatch.setenv("COMMERCE_WAITLIST_OFFER_HOURS", "2")
    get_settings.cache_clear()
    yield 2
    monkeypatch.delenv("COMMERCE_WAITLIST_OFFER_HOURS")
    get_settings.cache_clear()


def test_the_offer_link_picks_out_the_entry_and_accepting_books_it(
        session: Session, page_as: PageAs, studio: Studio, offer_hours: int) -> None:
    ann = a_learner(session, "ann@example.com", full_name="Ann Other")
    _credit(session, studio, ann, "ann-g1")
    _credit(session, studio, studio.lee, "lee-g1")
    taken = book_with_credit(session, actor=ann, session_id=studio.group_class)
    entry = join_waitlist(session, actor=studio.lee, session_id=studio.group_class,
                          time_zone="Europe/Berlin")
    session.commit()
    waiting, _ = _page(page_as)
    assert [(w["status"], w["place"], w["offered"]) for w in waiting.waitlist] == [
        ("waiting", "Number 1 in line", "")]

    cancel_booking(session, actor=ann, booking_id=taken.id or 0)  # the seat is offered to Lee
    state, _ = _page(page_as, query={"offer": str(entry.id)})
    [row] = state.waitlist
    assert (row["id"], row["status"], row["offered"], row["highlight"]) == (
        str(entry.id), "offered", "yes", "yes")
    assert row["place"].startswith("Seat held until ") and row["place"].endswith(("CET", "CEST"))
    assert state.offer_note == ""

    events = run_event(MyScheduleState.accept, state, row["id"])
    assert _success(events).startswith("Booked Open rehearsal: ")
    assert state.waitlist == [] and [u["title"] for u in state.upcoming] == ["Open rehearsal"]
    session.expire_all()
    assert session.get(WaitlistEntry, entry.id).status == "promoted"  # type: ignore[union-attr]

    # the same link again: the offer is no longer open, and the page says so
    again, _ = _page(page_as, query={"offer": str(entry.id)})
    assert "no longer open" in again.offer_note


def test_leaving_the_waitlist(session: Session, page_as: PageAs, studio: Studio) -> None:
    ann = a_learner(session, "ann@example.com")
    _credit(session, studio, ann, "ann-g1")
    _credit(session, studio, studio.lee, "lee-g1")
    book_with_credit(session, actor=ann, session_id=studio.group_class)
    join_waitlist(session, actor=studio.lee, session_id=studio.group_class)
    session.commit()
    state, _ = _page(page_as)
    [row] = state.waitlist
    events = run_event(MyScheduleState.leave, state, row["id"])
    assert _success(events) == "You left the waitlist of Open rehearsal."
    assert state.waitlist == []
    assert session.exec(select(WaitlistEntry.status)).all() == ["left"]


def test_booking_with_a_credit(session: Session, page_as: PageAs, studio: Studio) -> None:
    credit = _credit(session, studio, studio.lee, "lee-g1")
    state, _ = _page(page_as)
    assert [(b["title"], b["kind"], b["seats"]) for b in state.bookable] == [
        ("Piano foundations", "Group class", "8 seats left"),
        ("Open rehearsal", "Group class", "1 seat left")]
    row = state.bookable[1]
    events = run_event(MyScheduleState.book, state, row["id"])
    message = _success(events)
    # the toast names the local time: 14:00-15:00 in Berlin
    assert message.startswith("Booked Open rehearsal: ") and "14:00–15:00 CE" in message
    assert [(u["title"], u["credit"]) for u in state.upcoming] == [("Open rehearsal", "yes")]
    assert [b["title"] for b in state.bookable] == []  # no credit left
    session.expire_all()
    assert session.get(SessionCredit, credit).status == "used"  # type: ignore[union-attr]
    booking = session.exec(select(Booking)).one()
    assert booking.time_zone == "Europe/Berlin"

    # nothing left to book: a second click is refused, not a 500
    assert toast_messages(run_event(MyScheduleState.book, state, row["id"])) == [
        "That session can't be booked with your credits."]
