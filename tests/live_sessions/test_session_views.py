"""What admins see of live sessions (issue 17): the list and its filters (department, instructor,
days in the admin's zone, kind, status, text), the calendar week in the viewer's time zone and
a session's roster; each scoped to the admin's departments, in a few indexed queries."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import event
from sqlmodel import Session

from commerce_dash.domain.access import RoleName
from commerce_dash.domain.actor import Actor, Grant
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.errors import DomainError
from commerce_dash.models.sessions import Booking, LiveSession, WaitlistEntry
from commerce_dash.services.enrollment import (
    SessionIn,
    SessionQuery,
    calendar_week,
    cancel_session,
    list_sessions,
    open_private_slots,
    roster,
    schedule_sessions,
)
from tests.builders import a_department, a_learner, an_admin

NOW = utcnow()
YEAR = NOW.year + 1
WINTER_MONDAY = date(YEAR, 1, 4) + timedelta(days=(7 - date(YEAR, 1, 4).weekday()) % 7)


@pytest.fixture
def school(session: Session, super_admin: Actor) -> dict[str, int]:
    music = a_department(session, super_admin, "MUS", name="Music")
    return {"music": music, "piano": a_department(session, super_admin, "PNO", name="Piano",
                                                 parent_id=music),
            "art": a_department(session, super_admin, "ART", name="Art")}


@pytest.fixture
def dana(session: Session, school: dict[str, int]) -> Actor:
    """A department admin of Music (and so of its Piano subdepartment)."""
    return an_admin(session, "dana@example.com", full_name="Dana Admin",
                    grants=(Grant(RoleName.DEPT_ADMIN, school["music"]),))


@pytest.fixture
def ina(session: Session) -> Actor:
    return a_learner(session, "ina@example.com", full_name="Ina Instructor")


def put(session: Session, actor: Actor, department_id: int, title: str, day: date,
        start: time, *, time_zone: str = "UTC", minutes: int = 60,
        instructor_id: int | None = None, capacity: int = 10) -> LiveSession:
    end = (datetime.combine(day, start) + timedelta(minutes=minutes)).time()
    [live] = schedule_sessions(session, actor=actor, now=NOW, data=SessionIn(
        department_id=department_id, title=title, day=day, start=start, end=end,
        time_zone=time_zone, capacity=capacity, instructor_id=instructor_id))
    session.commit()
    return live


def seat(session: Session, live: LiveSession, learner: Actor, status: str = "booked",
         at: datetime | None = None) -> Booking:
    """A booking row written directly (the booking service is tested on its own)."""
    assert live.id is not None
    row = Booking(session_id=live.id, user_id=learner.user_id, starts_at=live.starts_at,
                  ends_at=live.ends_at, status=status, created_at=at or NOW)
    if status == "booked":
        live.seats_booked += 1
    session.add_all([row, live])
    session.commit()
    return row


@contextmanager
def statements(session: Session) -> Iterator[list[str]]:
    """The SQL statements run inside the block."""
    seen: list[str] = []
    engine = session.get_bind()

    def count(*args: Any) -> None:
        seen.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def titles(rows: list[Any]) -> list[str]:
    return [r.title for r in rows]


def test_the_list_is_scoped_filtered_and_ordered_by_start(
        session: Session, super_admin: Actor, dana: Actor, school: dict[str, int],
        ina: Actor) -> None:
    day = WINTER_MONDAY
    put(session, super_admin, school["art"], "Drawing", day, time(8))
    put(session, dana, school["music"], "Choir", day, time(12), instructor_id=ina.user_id)
    put(session, dana, school["piano"], "Piano basics", day, time(9), capacity=2)
    late = put(session, dana, school["music"], "Late jazz", day, time(23), minutes=45)
    open_private_slots(session, actor=dana, department_id=school["music"],
                       instructor_id=ina.user_id, day=day + timedelta(days=1), start=time(9),
                       end=time(10), time_zone="UTC", minutes=60, now=NOW)
    session.commit()
    assert late.id is not None
    cancel_session(session, actor=dana, session_id=late.id, reason="Snow", now=NOW)
    session.commit()

    page = list_sessions(session, actor=dana, query=SessionQuery())
    assert titles(page.items) == ["Piano basics", "Choir", "Late jazz",
                                  "Private session with Ina Instructor"]  # no Art
    assert page.total == 4
    everything = list_sessions(session, actor=super_admin, query=SessionQuery())
    assert titles(everything.items)[0] == "Drawing" and everything.total == 5

    def only(**filters: Any) -> list[str]:
        return titles(list_sessions(session, actor=dana, query=SessionQuery(**filters)).items)

    assert only(department_id=school["piano"]) == ["Piano basics"]
    assert only(department_id=school["music"]) == titles(page.items)  # with its subdepartment
    assert only(department_id=school["art"]) == []  # not Dana's
    assert only(instructor_id=ina.user_id) == ["Choir", "Private session with Ina Instructor"]
    assert only(kind="private") == ["Private session with Ina Instructor"]
    assert only(status="cancelled") == ["Late jazz"]
    assert only(text="JAZZ") == ["Late jazz"]
    assert only(text="ina instr") == ["Choir", "Private session with Ina Instructor"]
    # days in the admin's zone: 23:00 UTC on Monday is Tuesday 00:00 in Berlin
    assert only(date_from=day, date_to=day) == ["Piano basics", "Choir", "Late jazz"]
    assert only(date_from=day + timedelta(days=1), date_to=day + timedelta(days=1),
                time_zone="Europe/Berlin") == ["Late jazz", "Private session with Ina Instructor"]
    paged = list_sessions(session, actor=dana, query=SessionQuery(page=2, page_size=3))
    assert titles(paged.items) == ["Private session with Ina Instructor"]
    assert (paged.total, paged.pages) == (4, 2)

    for bad, code in (({"kind": "solo"}, "invalid_kind"), ({"status": "done"}, "invalid_status"),
                      ({"date_from": day, "date_to": day - timedelta(days=1)}, "invalid_period"),
                      ({"date_from": day, "time_zone": "Nowhere/Land"}, "invalid_time_zone"),
                      ({"date_to": date.max}, "invalid_date")):
        with pytest.raises(DomainError) as caught:
            list_sessions(session, actor=dana, query=SessionQuery(**bad))
        assert caught.value.code == code


def test_a_row_tells_seats_waitlist_instructor_and_local_time(
        session: Session, dana: Actor, school: dict[str, int], ina: Actor) -> None:
    live = put(session, dana, school["piano"], "Raga practice", WINTER_MONDAY, time(9),
               time_zone="Asia/Kolkata", minutes=90, instructor_id=ina.user_id, capacity=2)
    for n in (1, 2):
        seat(session, live, a_learner(session, f"l{n}@example.com"))
    seat(session, live, a_learner(session, "gone@example.com"), status="cancelled")
    for n in (1, 2):
        waiting = a_learner(session, f"w{n}@example.com")
        session.add(WaitlistEntry(session_id=live.id or 0, user_id=waiting.user_id, position=n))
    session.commit()

    [row] = list_sessions(session, actor=dana, query=SessionQuery()).items
    assert (row.department, row.instructor, row.kind, row.status) == (
        "Piano", "Ina Instructor", "group", "scheduled")
    assert (row.capacity, row.seats_booked, row.seats_left, row.waitlist_count) == (2, 2, 0, 2)
    assert row.starts_at == datetime.combine(WINTER_MONDAY, time(3, 30), tzinfo=UTC)
    assert row.local_start == f"{WINTER_MONDAY:%a %d %b %Y}, 09:00 IST"
    assert (row.local_end, row.time_zone, row.series_id) == ("10:30", "Asia/Kolkata", "")


def test_the_calendar_week_shows_each_session_on_the_viewers_local_day(
        session: Session, dana: Actor, school: dict[str, int], ina: Actor) -> None:
    wednesday = WINTER_MONDAY + timedelta(days=2)
    put(session, dana, school["music"], "Raga practice", wednesday, time(9),
        time_zone="Asia/Kolkata", instructor_id=ina.user_id)
    put(session, dana, school["music"], "Morning choir", wednesday - timedelta(days=1),
        time(14), time_zone="America/New_York")
    put(session, dana, school["music"], "Next week", WINTER_MONDAY + timedelta(days=7), time(12))

    week = calendar_week(session, actor=dana, week_start=WINTER_MONDAY,
                         time_zone="America/New_York")
    assert [d.day for d in week] == [WINTER_MONDAY + timedelta(days=n) for n in range(7)]
    assert week[0].label == f"{WINTER_MONDAY:%a %d %b}"
    # 09:00 in Kolkata on Wednesday is 22:30 on Tuesday in New York, after the 14:00 choir
    assert [(e.row.title, e.start, e.end) for e in week[1].sessions] == [
        ("Morning choir", "14:00", "15:00"), ("Raga practice", "22:30", "23:30")]
    assert all(not d.sessions for d in week if d.day != week[1].day)
    in_kolkata = calendar_week(session, actor=dana, week_start=WINTER_MONDAY,
                               time_zone="Asia/Kolkata")
    assert [e.row.title for e in in_kolkata[2].sessions] == ["Morning choir", "Raga practice"]
    assert [e.start for e in in_kolkata[2].sessions] == ["00:30", "09:00"]
    mine = calendar_week(session, actor=dana, week_start=WINTER_MONDAY, time_zone="UTC",
                         instructor_id=ina.user_id)
    assert [e.row.title for d in mine for e in d.sessions] == ["Raga practice"]


def test_views_read_in_a_few_queries(session: Session, super_admin: Actor, dana: Actor,
                                     school: dict[str, int], ina: Actor) -> None:
    for n in range(12):
        live = put(session, dana, school["music"], f"Class {n}", WINTER_MONDAY + timedelta(
            days=n % 7), time(8 + n), instructor_id=ina.user_id if n % 2 else None)
        seat(session, live, a_learner(session, f"l{n}@example.com"))
    session.expire_all()
    with statements(session) as week_sql:
        week = calendar_week(session, actor=dana, week_start=WINTER_MONDAY,
                             time_zone="Europe/Berlin")
    assert sum(len(d.sessions) for d in week) == 12
    assert len(week_sql) <= 2  # the admin's departments, the sessions
    with statements(session) as list_sql:
        list_sessions(session, actor=super_admin, query=SessionQuery(page_size=5))
    assert len(list_sql) <= 2  # the count, the page
    with statements(session) as roster_sql:
        roster(session, actor=super_admin, session_id=live.id or 0)
    assert len(roster_sql) <= 3  # the session row, its bookings, its waitlist


def test_the_roster_lists_bookings_and_the_waitlist_in_order(
        session: Session, dana: Actor, school: dict[str, int], ina: Actor) -> None:
    live = put(session, dana, school["music"], "Choir", WINTER_MONDAY, time(12),
               instructor_id=ina.user_id, capacity=2)
    assert live.id is not None
    first = seat(session, live, a_learner(session, "amy@example.com", full_name="Amy Alto"),
                 at=NOW - timedelta(hours=2))
    seat(session, live, a_learner(session, "bo@example.com", full_name="Bo Bass"),
         status="cancelled", at=NOW - timedelta(hours=1))
    second = seat(session, live, a_learner(session, "cy@example.com", full_name="Cy Tenor"))
    first.status = "attended"
    session.add(first)
    later = a_learner(session, "dee@example.com", full_name="Dee Second")
    sooner = a_learner(session, "eve@example.com", full_name="Eve First")
    gone = a_learner(session, "fay@example.com", full_name="Fay Left")
    session.add_all([
        WaitlistEntry(session_id=live.id, user_id=later.user_id, position=2),
        WaitlistEntry(session_id=live.id, user_id=sooner.user_id, position=1, status="offered",
                      offered_until=NOW + timedelta(hours=4)),
        WaitlistEntry(session_id=live.id, user_id=gone.user_id, position=3, status="left"),
    ])
    session.commit()

    seen = roster(session, actor=dana, session_id=live.id)
    assert seen.session.title == "Choir" and seen.session.waitlist_count == 2
    assert [(b.learner, b.email, b.status, b.attendance) for b in seen.bookings] == [
        ("Amy Alto", "amy@example.com", "attended", "attended"),
        ("Bo Bass", "bo@example.com", "cancelled", ""),
        ("Cy Tenor", "cy@example.com", "booked", "")]
    assert seen.bookings[2].booking_id == second.id and seen.booked == 2
    assert [(w.learner, w.position, w.status) for w in seen.waitlist] == [
        ("Eve First", 1, "offered"), ("Dee Second", 2, "waiting")]
    assert seen.waitlist[0].offered_until == NOW + timedelta(hours=4)

    # the instructor sees it too; an admin of another department and a learner do not
    assert roster(session, actor=ina, session_id=live.id).session.id == live.id
    other = an_admin(session, "otto@example.com",
                     grants=(Grant(RoleName.DEPT_ADMIN, school["art"]),))
    for outsider in (other, a_learner(session, "nosy@example.com")):
        with pytest.raises(DomainError) as caught:
            roster(session, actor=outsider, session_id=live.id)
        assert caught.value.code == "forbidden"
    with pytest.raises(DomainError) as missing:
        roster(session, actor=dana, session_id=999_999)
    assert missing.value.code == "live_session_not_found"
