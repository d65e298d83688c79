"""Scheduling live sessions (issue 17): a class in a named time zone, a weekly series across a
clock change, an instructor's private slots, and the refusals that leave nothing written;
editing (capacity and the waitlist), rescheduling (bookings move, learners emailed) and
cancelling (bookings released, credits back, waitlist ended)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlmodel import Session, col, func, select

from commerce_dash.domain.access import RoleName
from commerce_dash.domain.actor import Actor, Grant
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.errors import DomainError, ErrorKind
from commerce_dash.domain.sessions import in_zone
from commerce_dash.models.audit import AuditLog
from commerce_dash.models.delivery import OutboxMessage
from commerce_dash.models.sessions import Booking, LiveSession, SessionCredit, WaitlistEntry
from commerce_dash.services.enrollment import (
    SessionEdit,
    SessionIn,
    book_with_credit,
    cancel_session,
    open_private_slots,
    reschedule_session,
    schedule_sessions,
    update_session,
)
from tests.builders import a_department, a_learner, an_admin

NOW = utcnow()
YEAR = NOW.year + 1  # every session of these tests lies ahead, whatever today is


def last_sunday_of_october(year: int) -> date:
    """The day central Europe turns its clocks back (03:00 CEST -> 02:00 CET)."""
    end = date(year, 10, 31)
    return end - timedelta(days=(end.weekday() + 1) % 7)


@pytest.fixture
def school(session: Session, super_admin: Actor) -> dict[str, int]:
    return {"music": a_department(session, super_admin, "MUS", name="Music"),
            "art": a_department(session, super_admin, "ART", name="Art")}


@pytest.fixture
def dana(session: Session, school: dict[str, int]) -> Actor:
    """A department admin of Music."""
    return an_admin(session, "dana@example.com", full_name="Dana Admin",
                    grants=(Grant(RoleName.DEPT_ADMIN, school["music"]),))


@pytest.fixture
def ina(session: Session) -> Actor:
    """An instructor."""
    return a_learner(session, "ina@example.com", full_name="Ina Instructor")


def a_class(department_id: int, *, day: date, start: time = time(10), end: time = time(11),
            time_zone: str = "Europe/Berlin", title: str = "Piano basics", capacity: int = 10,
            instructor_id: int | None = None, repeat_weeks: int = 1) -> SessionIn:
    return SessionIn(department_id=department_id, title=title, day=day, start=start, end=end,
                     time_zone=time_zone, capacity=capacity, instructor_id=instructor_id,
                     location="Room 4", meeting_url="https://meet.example.com/piano",
                     repeat_weeks=repeat_weeks)


def scheduled(session: Session, actor: Actor, data: SessionIn) -> list[LiveSession]:
    rows = schedule_sessions(session, actor=actor, data=data, now=NOW)
    session.commit()
    return rows


def sessions_count(session: Session) -> int:
    return session.exec(select(func.count()).select_from(LiveSession)).one()


def refused(code: str, call: object, *args: object, **kwargs: object) -> DomainError:
    assert callable(call)
    with pytest.raises(DomainError) as caught:
        call(*args, **kwargs)
    assert caught.value.code == code, caught.value
    return caught.value


def booked(session: Session, learner: Actor, live: LiveSession) -> Booking:
    """The learner books ``live`` with a group-class credit of its department (given here)."""
    credit = SessionCredit(dedupe_key=f"test-{learner.user_id}-{live.id}", user_id=learner.user_id,
                           department_id=live.department_id, kind="group")
    session.add(credit)
    session.commit()
    assert live.id is not None
    return book_with_credit(session, actor=learner, session_id=live.id,
                            time_zone="Asia/Kolkata", now=NOW)


def emails(session: Session, template: str) -> list[str]:
    """Who was queued ``template``."""
    rows = session.exec(select(OutboxMessage).where(OutboxMessage.topic == "email")).all()
    return sorted(r.payload["to"] for r in rows
                  if r.payload and r.payload.get("template") == template)


# -- scheduling ---------------------------------------------------------------------------------


def test_a_class_at_0900_kolkata_is_0330_utc_and_0430_in_berlin_in_winter(
        session: Session, dana: Actor, school: dict[str, int], ina: Actor) -> None:
    winter_day = date(YEAR, 1, 14)
    [live] = scheduled(session, dana, a_class(
        school["music"], day=winter_day, start=time(9), end=time(10, 30),
        time_zone="Asia/Kolkata", title="Raga practice", instructor_id=ina.user_id))

    assert live.starts_at == datetime(YEAR, 1, 14, 3, 30, tzinfo=UTC)
    assert live.ends_at == datetime(YEAR, 1, 14, 5, 0, tzinfo=UTC)
    assert f"{in_zone(live.starts_at, 'Europe/Berlin'):%H:%M}" == "04:30"
    assert (live.kind, live.capacity, live.series_id, live.status) == ("group", 10, "",
                                                                        "scheduled")
    assert (live.time_zone, live.location, live.created_by_id) == (
        "Asia/Kolkata", "Room 4", dana.user_id)
    audit = session.exec(select(AuditLog).where(AuditLog.action == "session.scheduled")).one()
    assert audit.entity_id == str(live.id) and audit.after is not None
    assert audit.after["title"] == "Raga practice" and audit.actor_id == dana.user_id


def test_a_weekly_series_keeps_0900_berlin_across_the_october_clock_change(
        session: Session, dana: Actor, school: dict[str, int]) -> None:
    change = last_sunday_of_october(YEAR)
    first = change - timedelta(days=12)  # two Tuesdays before the change, two after
    rows = scheduled(session, dana, a_class(school["music"], day=first, start=time(9),
                                            end=time(10), repeat_weeks=4))

    assert [f"{in_zone(r.starts_at, 'Europe/Berlin'):%Y-%m-%d %H:%M}" for r in rows] == [
        f"{first + timedelta(weeks=w):%Y-%m-%d} 09:00" for w in range(4)]
    assert [r.starts_at.hour for r in rows] == [7, 7, 8, 8]  # CEST, then CET
    assert len({r.series_id for r in rows}) == 1 and len(rows[0].series_id) == 32
    assert all(r.ends_at - r.starts_at == timedelta(hours=1) for r in rows)


def test_a_dept_admin_schedules_only_in_their_own_departments(
        session: Session, dana: Actor, school: dict[str, int]) -> None:
    day = NOW.date() + timedelta(days=30)
    error = refused("forbidden", schedule_sessions, session, actor=dana,
                    data=a_class(school["art"], day=day), now=NOW)
    assert error.kind is ErrorKind.FORBIDDEN
    refused("department_not_found", schedule_sessions, session, actor=dana,
            data=a_class(999_999, day=day), now=NOW)
    assert sessions_count(session) == 0


def test_an_instructor_never_teaches_two_sessions_at_once_and_a_refusal_writes_nothing(
        session: Session, dana: Actor, school: dict[str, int], ina: Actor) -> None:
    day = NOW.date() + timedelta(days=60)
    scheduled(session, dana, a_class(school["music"], day=day, title="Jazz combo",
                                     instructor_id=ina.user_id))

    # a three-week series whose last occurrence meets the combo half-way
    error = refused("instructor_overlaps", schedule_sessions, session, actor=dana,
                    data=a_class(school["music"], day=day - timedelta(weeks=2),
                                 start=time(10, 30), end=time(11, 30), title="Theory",
                                 instructor_id=ina.user_id, repeat_weeks=3), now=NOW)
    assert error.kind is ErrorKind.CONFLICT
    assert '"Jazz combo"' in error.message and "10:00" in error.message
    assert "Ina Instructor" in error.message
    assert sessions_count(session) == 1  # none of the three was written

    refused("instructor_overlaps", open_private_slots, session, actor=dana,
            department_id=school["music"], instructor_id=ina.user_id, day=day,
            start=time(9), end=time(12), time_zone="Europe/Berlin", minutes=60, now=NOW)
    assert sessions_count(session) == 1

    # back to back is fine, and so is another instructor at the same time
    scheduled(session, dana, a_class(school["music"], day=day, start=time(11), end=time(12),
                                     instructor_id=ina.user_id))
    scheduled(session, dana, a_class(school["music"], day=day, title="Choir"))
    assert sessions_count(session) == 3


def test_bad_times_and_fields_are_refused_with_what_is_wrong(
        session: Session, dana: Actor, school: dict[str, int]) -> None:
    day = NOW.date() + timedelta(days=10)
    music = school["music"]
    cases = [
        ("session_ends_before_start", a_class(music, day=day, start=time(10), end=time(9))),
        ("session_ends_before_start", a_class(music, day=day, start=time(10), end=time(10))),
        ("session_in_past", a_class(music, day=NOW.date() - timedelta(days=1))),
        ("session_too_long", a_class(music, day=day, start=time(8), end=time(20, 30))),
        ("invalid_capacity", a_class(music, day=day, capacity=0)),
        ("invalid_capacity", a_class(music, day=day, capacity=1001)),
        ("invalid_time_zone", a_class(music, day=day, time_zone="Mars/Olympus")),
        ("invalid_series", a_class(music, day=day, repeat_weeks=53)),
        ("title_required", a_class(music, day=day, title="  ")),
        ("unknown_instructor", a_class(music, day=day, instructor_id=999_999)),
    ]
    for code, data in cases:
        refused(code, schedule_sessions, session, actor=dana, data=data, now=NOW)
    error = refused("session_ends_before_start", schedule_sessions, session, actor=dana,
                    data=cases[0][1], now=NOW)
    assert error.message == "The end (09:00) must be after the start (10:00)."
    assert sessions_count(session) == 0


def test_private_slots_cut_an_instructors_window(
        session: Session, dana: Actor, school: dict[str, int], ina: Actor) -> None:
    day = NOW.date() + timedelta(days=20)
    slots = open_private_slots(session, actor=dana, department_id=school["music"],
                               instructor_id=ina.user_id, day=day, start=time(14),
                               end=time(15, 45), time_zone="America/New_York", minutes=30,
                               now=NOW)
    session.commit()
    assert [f"{in_zone(s.starts_at, 'America/New_York'):%H:%M}" for s in slots] == [
        "14:00", "14:30", "15:00"]  # the last quarter hour is no whole slot
    assert {(s.kind, s.capacity, s.instructor_id) for s in slots} == {
        ("private", 1, ina.user_id)}
    assert slots[0].title == "Private session with Ina Instructor"

    refused("instructor_required", open_private_slots, session, actor=dana,
            department_id=school["music"], instructor_id=None, day=day, start=time(9),
            end=time(10), time_zone="UTC", minutes=60, now=NOW)
    refused("invalid_slot_length", open_private_slots, session, actor=dana,
            department_id=school["music"], instructor_id=ina.user_id, day=day,
            start=time(9), end=time(10), time_zone="UTC", minutes=45, now=NOW)
    refused("window_too_short", open_private_slots, session, actor=dana,
            department_id=school["music"], instructor_id=ina.user_id, day=day,
            start=time(9), end=time(9, 45), time_zone="UTC", minutes=60, now=NOW)
    assert sessions_count(session) == 3


# -- editing ------------------------------------------------------------------------------------


def test_capacity_never_drops_below_the_seats_booked_and_a_raise_promotes_the_waitlist(
        session: Session, dana: Actor, school: dict[str, int]) -> None:
    [live] = scheduled(session, dana, a_class(school["music"], capacity=2,
                                              day=NOW.date() + timedelta(days=14)))
    for n in (1, 2):
        booked(session, a_learner(session, f"l{n}@example.com"), live)
    waiting = a_learner(session, "wait@example.com", full_name="Wade Waiting")
    session.add(SessionCredit(dedupe_key="test-wait", user_id=waiting.user_id,
                              department_id=school["music"], kind="group"))
    session.add(WaitlistEntry(session_id=live.id or 0, user_id=waiting.user_id, position=1))
    session.commit()
    assert live.id is not None
    edit = SessionEdit(title="Piano basics", capacity=1, location="Room 4",
                       meeting_url="https://meet.example.com/piano")

    error = refused("capacity_below_booked", update_session, session, actor=dana,
                    session_id=live.id, data=edit)
    assert error.kind is ErrorKind.INVALID and error.message.startswith("2 seats are booked")

    update_session(session, actor=dana, session_id=live.id,
                   data=SessionEdit(**{**edit.__dict__, "capacity": 3}))
    session.commit()
    session.expire_all()
    entry = session.exec(select(WaitlistEntry)).one()
    assert entry.status == "promoted"
    assert session.exec(select(Booking).where(Booking.user_id == waiting.user_id)).one().status \
        == "booked"
    assert session.get(LiveSession, live.id).seats_booked == 3  # type: ignore[union-attr]
    audit = session.exec(select(AuditLog).where(AuditLog.action == "session.updated")).one()
    assert (audit.before, audit.after) == ({"capacity": 2}, {"capacity": 3})


def test_saving_an_unchanged_session_changes_nothing(
        session: Session, dana: Actor, school: dict[str, int], ina: Actor) -> None:
    [live] = scheduled(session, dana, a_class(school["music"],
                                              day=NOW.date() + timedelta(days=14)))
    assert live.id is not None
    same = SessionEdit(title="Piano basics", capacity=10, location="Room 4",
                       meeting_url="https://meet.example.com/piano")
    update_session(session, actor=dana, session_id=live.id, data=same)
    assert session.exec(select(AuditLog).where(AuditLog.action == "session.updated")).all() \
        == []
    refused("invalid_url", update_session, session, actor=dana, session_id=live.id,
            data=SessionEdit(**{**same.__dict__, "meeting_url": "meet.example.com"}))


# -- rescheduling -------------------------------------------------------------------------------


def test_rescheduling_moves_the_bookings_and_emails_each_booked_learner(
        session: Session, dana: Actor, school: dict[str, int], ina: Actor) -> None:
    day = NOW.date() + timedelta(days=21)
    [live] = scheduled(session, dana, a_class(school["music"], day=day,
                                              instructor_id=ina.user_id))
    [other] = scheduled(session, dana, a_class(school["music"], day=day + timedelta(days=1),
                                               title="Ear training", instructor_id=ina.user_id))
    assert live.id is not None
    lee, kim = a_learner(session, "lee@example.com"), a_learner(session, "kim@example.com")
    mine, theirs = booked(session, lee, live), booked(session, kim, live)

    # the instructor teaches "Ear training" then: refused, nothing moved
    error = refused("instructor_overlaps", reschedule_session, session, actor=dana,
                    session_id=live.id, day=day + timedelta(days=1), start=time(10, 30),
                    end=time(11, 30), time_zone="Europe/Berlin", now=NOW)
    assert '"Ear training"' in error.message
    # half an hour later the same day overlaps only itself: fine
    moved = reschedule_session(session, actor=dana, session_id=live.id, day=day + timedelta(
        days=2), start=time(18), end=time(19, 30), time_zone="Europe/London", now=NOW)
    session.commit()

    new_start = datetime.combine(day + timedelta(days=2), time(18)).replace(tzinfo=UTC)
    assert in_zone(moved.starts_at, "Europe/London").replace(tzinfo=None) == \
        new_start.replace(tzinfo=None)
    assert (moved.sequence, moved.time_zone) == (1, "Europe/London")
    assert moved.rescheduled_at == NOW
    session.expire_all()
    for booking in (mine, theirs):
        row = session.get(Booking, booking.id)
        assert row is not None
        assert (row.starts_at, row.ends_at) == (moved.starts_at, moved.ends_at)
    assert emails(session, "session-rescheduled") == ["kim@example.com", "lee@example.com"]
    assert other.starts_at != moved.starts_at

    # the same time again: nothing changes, nobody is emailed twice
    again = reschedule_session(session, actor=dana, session_id=live.id,
                               day=day + timedelta(days=2), start=time(18), end=time(19, 30),
                               time_zone="Europe/London", now=NOW)
    session.commit()
    assert again.sequence == 1
    assert emails(session, "session-rescheduled") == ["kim@example.com", "lee@example.com"]
    assert len(session.exec(select(AuditLog).where(
        AuditLog.action == "session.rescheduled")).all()) == 1


def test_a_started_session_is_not_rescheduled(
        session: Session, dana: Actor, school: dict[str, int]) -> None:
    [live] = scheduled(session, dana, a_class(school["music"],
                                              day=NOW.date() + timedelta(days=3)))
    assert live.id is not None
    refused("session_started", reschedule_session, session, actor=dana, session_id=live.id,
            day=NOW.date() + timedelta(days=9), start=time(10), end=time(11),
            time_zone="UTC", now=live.starts_at + timedelta(minutes=5))


# -- cancelling ---------------------------------------------------------------------------------


def test_cancelling_releases_every_booking_returns_credits_and_ends_the_waitlist(
        session: Session, dana: Actor, school: dict[str, int]) -> None:
    [live] = scheduled(session, dana, a_class(school["music"], capacity=2,
                                              day=NOW.date() + timedelta(days=5)))
    assert live.id is not None
    lee, kim = a_learner(session, "lee@example.com"), a_learner(session, "kim@example.com")
    bookings = [booked(session, lee, live), booked(session, kim, live)]
    waiting = a_learner(session, "wait@example.com")
    session.add(WaitlistEntry(session_id=live.id, user_id=waiting.user_id, position=1))
    session.commit()

    cancel_session(session, actor=dana, session_id=live.id, reason="The piano is being tuned",
                   now=NOW)
    session.commit()
    session.expire_all()

    row = session.get(LiveSession, live.id)
    assert row is not None
    assert (row.status, row.cancel_reason, row.seats_booked) == (
        "cancelled", "The piano is being tuned", 0)
    assert {session.get(Booking, b.id).status for b in bookings} == {"cancelled"}  # type: ignore[union-attr]
    assert {c.status for c in session.exec(select(SessionCredit))} == {"available"}
    assert session.exec(select(WaitlistEntry)).one().status == "expired"
    assert emails(session, "session-cancelled") == ["kim@example.com", "lee@example.com"]
    audit = session.exec(select(AuditLog).where(AuditLog.action == "session.cancelled")).one()
    assert audit.after == {"status": "cancelled"} and audit.reason == "The piano is being tuned"

    # twice: harmless; editing or moving a cancelled session: refused
    cancel_session(session, actor=dana, session_id=live.id, reason="again", now=NOW)
    session.commit()
    assert len(emails(session, "session-cancelled")) == 2
    refused("session_cancelled", reschedule_session, session, actor=dana, session_id=live.id,
            day=NOW.date() + timedelta(days=9), start=time(10), end=time(11), time_zone="UTC",
            now=NOW)


def test_a_session_that_ended_is_not_cancelled_and_a_reason_is_required(
        session: Session, dana: Actor, school: dict[str, int]) -> None:
    [live] = scheduled(session, dana, a_class(school["music"],
                                              day=NOW.date() + timedelta(days=2)))
    assert live.id is not None
    error = refused("session_ended", cancel_session, session, actor=dana, session_id=live.id,
                    reason="Too late", now=live.ends_at + timedelta(hours=1))
    assert error.kind is ErrorKind.CONFLICT
    refused("reason_required", cancel_session, session, actor=dana, session_id=live.id,
            reason=" ", now=NOW)
    assert session.exec(select(LiveSession.status)).one() == "scheduled"
    assert session.exec(select(func.count()).select_from(AuditLog).where(
        col(AuditLog.action) == "session.cancelled")).one() == 0
