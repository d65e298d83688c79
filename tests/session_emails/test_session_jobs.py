"""The reminder the day before a session: one email per booking, even when the job runs twice
or two workers race; never for a cancelled booking, a cancelled session or one far ahead."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlmodel import Session, col, select

from commerce_dash.db import get_engine
from commerce_dash.domain.actor import Actor
from commerce_dash.domain.clock import utcnow
from commerce_dash.jobs.registry import JOBS, run_job
from commerce_dash.models.delivery import JobRun, OutboxMessage
from commerce_dash.models.sessions import Booking, LiveSession, WaitlistEntry
from commerce_dash.notify.message import message_from_payload
from commerce_dash.services.enrollment import send_session_reminders
from commerce_dash.services.enrollment import session_reminders as reminders_module
from commerce_dash.settings import get_settings
from tests.builders import a_learner, an_admin
from tests.conftest import create_department

NOW = datetime.fromisoformat("2026-12-07T09:00:00+00:00")


@pytest.fixture
def department(session: Session) -> int:
    an_admin(session)
    return create_department(session, "LIVE")


def _session(session: Session, department: int, starts_at: datetime, *,
             status: str = "scheduled", title: str = "Morning class") -> LiveSession:
    live = LiveSession(department_id=department, title=title, starts_at=starts_at,
                       ends_at=starts_at + timedelta(hours=1), time_zone="Europe/Berlin",
                       capacity=5, status=status, location="Room 1")
    session.add(live)
    session.commit()
    return live


def _book(session: Session, learner: Actor, live: LiveSession, *,
          status: str = "booked") -> Booking:
    assert live.id is not None
    booking = Booking(session_id=live.id, user_id=learner.user_id, starts_at=live.starts_at,
                      ends_at=live.ends_at, status=status, time_zone="Europe/Berlin")
    session.add(booking)
    session.commit()
    return booking


def _reminders(session: Session) -> list[OutboxMessage]:
    session.expire_all()
    return list(session.exec(select(OutboxMessage).where(
        col(OutboxMessage.dedupe_key).startswith("session-reminder:"))
        .order_by(col(OutboxMessage.id))).all())


def test_a_session_tomorrow_is_reminded_once_even_when_run_twice(
        session: Session, department: int) -> None:
    # given Ada booked a class starting in 20 hours
    ada = a_learner(session, "ada@example.com", full_name="Ada Lovelace")
    booking = _book(session, ada, _session(session, department, NOW + timedelta(hours=20)))

    # when the reminders run twice
    first = send_session_reminders(session, now=NOW)
    session.commit()
    second = send_session_reminders(session, now=NOW + timedelta(minutes=15))
    session.commit()

    # then one reminder went out, in Ada's time, and the booking says so
    assert (first, second) == (1, 0)
    (queued,) = _reminders(session)
    email = message_from_payload(queued.payload or {})
    assert email.to == "ada@example.com"
    assert email.subject == "Reminder: Morning class on Tue 8 Dec 2026, 06:00-07:00 (Europe/Berlin)"
    assert "Where: Room 1" in email.text
    assert email.attachments == ()
    session.refresh(booking)
    assert booking.reminded_at == NOW


def test_no_reminder_for_cancelled_far_off_started_or_cancelled_sessions(
        session: Session, department: int) -> None:
    lee = a_learner(session, "lee@example.com")
    hours = get_settings().session_reminder_hours
    _book(session, lee, _session(session, department, NOW + timedelta(hours=3)),
          status="cancelled")
    _book(session, lee, _session(session, department, NOW + timedelta(hours=hours, minutes=1)))
    _book(session, lee, _session(session, department, NOW - timedelta(minutes=10)))
    _book(session, lee, _session(session, department, NOW + timedelta(hours=5),
                                 status="cancelled"))

    assert send_session_reminders(session, now=NOW) == 0
    session.commit()

    assert _reminders(session) == []


def test_a_session_entering_the_window_later_is_reminded_then(
        session: Session, department: int) -> None:
    lee = a_learner(session, "lee@example.com")
    hours = get_settings().session_reminder_hours
    _book(session, lee, _session(session, department, NOW + timedelta(hours=hours + 2)))

    assert send_session_reminders(session, now=NOW) == 0
    assert send_session_reminders(session, now=NOW + timedelta(hours=2)) == 1
    session.commit()

    assert len(_reminders(session)) == 1


def test_each_batch_is_bounded_and_the_next_takes_the_rest(
        session: Session, department: int) -> None:
    learners = [a_learner(session, f"l{i}@example.com") for i in range(3)]
    live = _session(session, department, NOW + timedelta(hours=4))
    for learner in learners:
        _book(session, learner, live)

    assert send_session_reminders(session, now=NOW, limit=2) == 2
    assert send_session_reminders(session, now=NOW, limit=2) == 1
    session.commit()

    assert sorted(message_from_payload(m.payload or {}).to for m in _reminders(session)) == [
        "l0@example.com", "l1@example.com", "l2@example.com"]


@pytest.fixture
def other_worker() -> Iterator[Session]:
    with Session(get_engine(), expire_on_commit=False) as s:
        yield s


def test_two_workers_that_saw_the_same_booking_send_one_reminder(
        session: Session, department: int, other_worker: Session,
        monkeypatch: pytest.MonkeyPatch) -> None:
    # given two workers that both found Lee's booking due
    lee = a_learner(session, "lee@example.com")
    _book(session, lee, _session(session, department, NOW + timedelta(hours=2)))
    seen = reminders_module.due_reminders(other_worker, now=NOW, limit=10)
    other_worker.commit()
    assert len(seen) == 1

    # when the first sends and commits, then the second acts on what it saw
    assert send_session_reminders(session, now=NOW) == 1
    session.commit()
    monkeypatch.setattr(reminders_module, "due_reminders", lambda *a, **k: seen)
    assert send_session_reminders(other_worker, now=NOW) == 0
    other_worker.commit()

    # then Lee got one reminder
    assert len(_reminders(session)) == 1


def _last_run(session: Session, name: str) -> JobRun:
    session.rollback()
    run = session.exec(select(JobRun).where(JobRun.job_name == name)
                       .order_by(col(JobRun.id).desc())).first()
    assert run is not None
    return run


def test_the_reminder_job_runs_under_its_lease_and_reports_what_it_queued(
        session: Session, department: int) -> None:
    lee = a_learner(session, "lee@example.com")
    _book(session, lee, _session(session, department, utcnow() + timedelta(hours=3)))

    assert run_job("session_reminders") == "ok"
    assert _last_run(session, "session_reminders").detail == '{"batches": 1, "reminders": 1}'
    assert run_job("session_reminders") == "ok"
    assert _last_run(session, "session_reminders").detail == '{"batches": 1, "reminders": 0}'

    assert len(_reminders(session)) == 1


def test_the_offer_job_expires_an_offer_not_accepted_in_time(
        session: Session, department: int) -> None:
    # given a full class whose one held seat was offered to Lee until a minute ago
    lee = a_learner(session, "lee@example.com")
    live = _session(session, department, utcnow() + timedelta(days=2))
    live.seats_booked = live.capacity
    session.add(live)
    assert live.id is not None
    entry = WaitlistEntry(session_id=live.id, user_id=lee.user_id, position=1,
                          status="offered", offered_until=utcnow() - timedelta(minutes=1))
    session.add(entry)
    session.commit()

    # when the offer job runs
    assert run_job("waitlist_offers") == "ok"

    # then the offer has expired, and the run says so
    assert _last_run(session, "waitlist_offers").detail == '{"expired": 1}'
    session.refresh(entry)
    assert entry.status == "expired"


def test_the_session_jobs_are_scheduled() -> None:
    assert JOBS["session_reminders"].trigger == {"trigger": "interval", "minutes": 15}
    assert JOBS["waitlist_offers"].trigger == {"trigger": "interval", "minutes": 5}
