"""Booking and waitlist emails: queued through the outbox in the caller's transaction, once,
with the learner's local time (zone named) and the calendar invitation they need."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from icalendar import Calendar, Event
from sqlmodel import Session, col, select

from commerce_dash.domain.actor import Actor
from commerce_dash.domain.sessions import local_to_utc
from commerce_dash.models.catalog import Course
from commerce_dash.models.delivery import OutboxMessage
from commerce_dash.models.sessions import (
    Booking,
    CourseStep,
    LiveSession,
    SessionCredit,
    WaitlistEntry,
)
from commerce_dash.notify.message import message_from_payload, to_mime
from commerce_dash.notify.render import TEMPLATES
from commerce_dash.services.commerce.email_previews import preview
from commerce_dash.services.enrollment import email_booking, email_waitlist
from commerce_dash.settings import get_settings
from tests.builders import a_course, a_learner, an_admin

STARTS = local_to_utc(date(2026, 12, 14), time(9, 0), "Asia/Kolkata")  # 03:30 UTC, Monday
BERLIN_TIME = "Mon 14 Dec 2026, 04:30-05:30 (Europe/Berlin)"
SESSION_TEMPLATES = ("booking-confirmed", "booking-cancelled", "session-cancelled",
                     "session-rescheduled", "session-reminder", "waitlist-promoted",
                     "waitlist-offer")


@pytest.fixture
def ada(session: Session) -> Actor:
    return a_learner(session, "ada@example.com", full_name="Ada Lovelace")


@pytest.fixture
def live(session: Session) -> tuple[LiveSession, CourseStep]:
    """A Kolkata class at 09:00-10:00 (Monday 14 Dec 2026) offered for step 1 of
    "Data Engineering Basics", in Room 2.14 and online."""
    admin = an_admin(session)
    course = session.get(Course, a_course(session, admin, "DE-101",
                                          title="Data Engineering Basics"))
    assert course is not None and course.id is not None
    step = CourseStep(course_id=course.id, position=1, label="Step 1", title="Foundations")
    live = LiveSession(department_id=course.department_id, title="Foundations live class",
                       starts_at=STARTS, ends_at=STARTS + timedelta(hours=1),
                       time_zone="Asia/Kolkata", capacity=10, seats_booked=1,
                       location="Room 2.14", meeting_url="https://meet.example.com/de101")
    session.add_all([step, live])
    session.commit()
    return live, step


def _booking(session: Session, learner: Actor, live: LiveSession, step: CourseStep | None,
             **fields: Any) -> Booking:
    assert live.id is not None
    booking = Booking(session_id=live.id, user_id=learner.user_id, starts_at=live.starts_at,
                      ends_at=live.ends_at, step_id=step.id if step else None,
                      time_zone="Europe/Berlin", **fields)
    session.add(booking)
    session.commit()
    return booking


def _emails(session: Session, template: str) -> list[OutboxMessage]:
    return list(session.exec(select(OutboxMessage).where(
        col(OutboxMessage.dedupe_key).startswith(f"{template}:"))
        .order_by(col(OutboxMessage.id))).all())


def _invite(message: OutboxMessage) -> tuple[Calendar, Event]:
    email = message_from_payload(message.payload or {})
    (attachment,) = email.attachments
    calendar = Calendar.from_ical(attachment.data)
    (event,) = calendar.events
    return calendar, event


def test_a_booking_confirmation_shows_the_learners_time_and_carries_the_invitation(
        session: Session, ada: Actor, live: tuple[LiveSession, CourseStep]) -> None:
    # given Ada (in Berlin) booked step 1's Kolkata class
    live_session, step = live
    booking = _booking(session, ada, live_session, step)

    # when the confirmation is emailed and the business change commits
    email_booking(session, booking, "booking-confirmed")
    session.commit()

    # then one email waits in the outbox, in Ada's time, naming course, step and place
    (queued,) = _emails(session, "booking-confirmed")
    assert queued.topic == "email" and queued.status == "pending"
    email = message_from_payload(queued.payload or {})
    assert email.to == "ada@example.com"
    assert email.subject == (f"Booked: Foundations live class (Data Engineering Basics) on "
                             f"{BERLIN_TIME}")
    for body in (email.text, email.html):
        assert "Hello Ada Lovelace," in body
        assert BERLIN_TIME in body
        assert "Step 1: Foundations" in body
        assert "Room 2.14" in body
        assert "https://meet.example.com/de101" in body
    assert "Your schedule: http://" in email.text
    # and its invitation puts the class in Ada's calendar at 04:30 Berlin time
    calendar, event = _invite(queued)
    assert email.attachments[0].content_type == "text/calendar; method=REQUEST"
    assert str(calendar["METHOD"]) == "REQUEST"
    assert str(event["UID"]) == f"booking-{booking.id}@commerce-dash"
    assert event["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert event.decoded("DTSTART").replace(tzinfo=None) == datetime(2026, 12, 14, 4, 30)
    assert event.decoded("DTSTART") == STARTS
    assert str(event["ATTENDEE"]) == "mailto:ada@example.com"
    # and the message sent by mail carries the invitation as a calendar part
    mime = to_mime(email, "Commerce Dash <no-reply@example.com>")
    parts = [p for p in mime.iter_attachments() if p.get_content_type() == "text/calendar"]
    assert len(parts) == 1 and parts[0].get_param("method") == "REQUEST"
    assert parts[0].get_filename() == "invite.ics"


def test_the_same_email_twice_is_queued_once(
        session: Session, ada: Actor, live: tuple[LiveSession, CourseStep]) -> None:
    booking = _booking(session, ada, *live)

    email_booking(session, booking, "booking-confirmed")
    session.commit()
    email_booking(session, booking, "booking-confirmed")
    session.commit()

    assert len(_emails(session, "booking-confirmed")) == 1


def test_an_email_of_a_change_that_rolls_back_is_never_sent(
        session: Session, ada: Actor, live: tuple[LiveSession, CourseStep]) -> None:
    booking = _booking(session, ada, *live)

    email_booking(session, booking, "booking-confirmed")
    session.rollback()

    assert _emails(session, "booking-confirmed") == []


def test_a_reschedule_shows_both_times_and_updates_the_event(
        session: Session, ada: Actor, live: tuple[LiveSession, CourseStep]) -> None:
    # given Ada's booking, confirmed, and the class then moved a day later (SEQUENCE 1)
    live_session, step = live
    booking = _booking(session, ada, live_session, step)
    email_booking(session, booking, "booking-confirmed")
    old_start, old_end = live_session.starts_at, live_session.ends_at
    live_session.starts_at += timedelta(days=1)
    live_session.ends_at += timedelta(days=1)
    live_session.sequence += 1
    session.add(live_session)
    session.commit()

    # when the learners are told
    email_booking(session, booking, "session-rescheduled", previous_starts_at=old_start,
                  previous_ends_at=old_end)
    session.commit()

    # then the email shows the old and the new time in Berlin, and that cancelling is free
    (queued,) = _emails(session, "session-rescheduled")
    email = message_from_payload(queued.payload or {})
    assert "Tue 15 Dec 2026, 04:30-05:30 (Europe/Berlin)" in email.subject
    assert f"Was: {BERLIN_TIME}" in email.text
    assert "Now: Tue 15 Dec 2026, 04:30-05:30 (Europe/Berlin)" in email.text
    assert "you may cancel without losing anything" in email.text
    assert "you may cancel without losing anything" in email.html
    # and the invitation replaces the same event (same UID, higher SEQUENCE)
    _, event = _invite(queued)
    assert str(event["UID"]) == f"booking-{booking.id}@commerce-dash"
    assert event.decoded("SEQUENCE") == 1
    assert event.decoded("DTSTART").replace(tzinfo=None) == datetime(2026, 12, 15, 4, 30)


def test_a_second_reschedule_emails_again(
        session: Session, ada: Actor, live: tuple[LiveSession, CourseStep]) -> None:
    live_session, step = live
    booking = _booking(session, ada, live_session, step)
    for _ in range(2):
        live_session.starts_at += timedelta(days=1)
        live_session.ends_at += timedelta(days=1)
        live_session.sequence += 1
        session.add(live_session)
        email_booking(session, booking, "session-rescheduled")
        session.commit()

    sequences = [_invite(m)[1].decoded("SEQUENCE") for m in _emails(session, "session-rescheduled")]
    assert sequences == [1, 2]


def _credit(session: Session, learner: Actor, live_session: LiveSession) -> int:
    """A group-class credit of ``learner`` (written directly), as a credit booking uses."""
    credit = SessionCredit(dedupe_key=f"test-credit-{learner.user_id}", user_id=learner.user_id,
                           department_id=live_session.department_id, kind="group",
                           status="used")
    session.add(credit)
    session.commit()
    assert credit.id is not None
    return credit.id


def test_a_cancelled_session_gives_the_reason_returns_the_credit_and_removes_the_event(
        session: Session, ada: Actor, live: tuple[LiveSession, CourseStep]) -> None:
    # given Ada's booking paid with a credit, released (credit back) as the class is cancelled
    live_session, _ = live
    booking = _booking(session, ada, live_session, None, status="cancelled",
                       credit_id=_credit(session, ada, live_session), credit_returned=True)
    live_session.status, live_session.cancel_reason = "cancelled", "The instructor is ill."
    session.add(live_session)
    session.commit()

    # when Ada is told
    email_booking(session, booking, "session-cancelled")
    session.commit()

    # then she reads why, that her credit is back, and her calendar drops the event
    (queued,) = _emails(session, "session-cancelled")
    email = message_from_payload(queued.payload or {})
    assert email.subject == f"Cancelled: Foundations live class on {BERLIN_TIME}"
    assert "Reason: The instructor is ill." in email.text
    assert "The instructor is ill." in email.html
    assert "The session credit you used is back in your account." in email.text
    calendar, event = _invite(queued)
    assert email.attachments[0].content_type == "text/calendar; method=CANCEL"
    assert str(calendar["METHOD"]) == "CANCEL"
    assert str(event["STATUS"]) == "CANCELLED"
    assert str(event["UID"]) == f"booking-{booking.id}@commerce-dash"
    assert event.decoded("SEQUENCE") == 1  # above the invitation it cancels


@pytest.mark.parametrize(("returned", "says"), [
    (True, "The session credit you used is back in your account"),
    (False, "The session credit you used is not returned: the booking was cancelled after "
            "the cancellation cut-off."),
])
def test_a_cancelled_booking_says_whether_the_credit_came_back(
        session: Session, ada: Actor, live: tuple[LiveSession, CourseStep], returned: bool,
        says: str) -> None:
    live_session, _ = live
    booking = _booking(session, ada, live_session, None, status="cancelled",
                       credit_id=_credit(session, ada, live_session), credit_returned=returned)

    email_booking(session, booking, "booking-cancelled")
    session.commit()

    (queued,) = _emails(session, "booking-cancelled")
    email = message_from_payload(queued.payload or {})
    assert email.subject == "Cancelled: your booking for Foundations live class"
    assert says in email.text and says in email.html
    assert str(_invite(queued)[0]["METHOD"]) == "CANCEL"


def test_a_waitlist_offer_names_the_deadline_in_the_learners_time_with_a_link(
        session: Session, ada: Actor, live: tuple[LiveSession, CourseStep]) -> None:
    live_session, step = live
    assert live_session.id is not None and step.id is not None
    entry = WaitlistEntry(session_id=live_session.id, user_id=ada.user_id, step_id=step.id,
                          position=1, status="offered", time_zone="America/New_York",
                          offered_until=datetime(2026, 12, 10, 17, 0, tzinfo=UTC))
    session.add(entry)
    session.commit()

    email_waitlist(session, entry, "waitlist-offer")
    email_waitlist(session, entry, "waitlist-offer")
    session.commit()

    (queued,) = _emails(session, "waitlist-offer")
    email = message_from_payload(queued.payload or {})
    assert email.subject.startswith(
        "A seat is held for you until Thu 10 Dec 2026, 12:00 (America/New_York)")
    assert "Sun 13 Dec 2026, 22:30-23:30 (America/New_York)" in email.text
    assert f"Accept it here: {get_settings().public_url.rstrip('/')}/account/schedule?offer={entry.id}" in email.text
    assert email.attachments == ()


def test_a_learner_promoted_from_the_waitlist_gets_the_seat_and_the_invitation(
        session: Session, ada: Actor, live: tuple[LiveSession, CourseStep]) -> None:
    live_session, step = live
    booking = _booking(session, ada, live_session, step)
    assert live_session.id is not None
    entry = WaitlistEntry(session_id=live_session.id, user_id=ada.user_id, position=1,
                          status="promoted", booking_id=booking.id, time_zone="Europe/Berlin")
    session.add(entry)
    session.commit()

    email_waitlist(session, entry, "waitlist-promoted")
    session.commit()

    (queued,) = _emails(session, "waitlist-promoted")
    email = message_from_payload(queued.payload or {})
    assert email.subject == (f"You got a seat: Foundations live class (Data Engineering Basics) "
                             f"on {BERLIN_TIME}")
    _, event = _invite(queued)
    assert str(event["UID"]) == f"booking-{booking.id}@commerce-dash"


def test_an_unknown_time_zone_on_a_booking_falls_back_to_the_sessions(
        session: Session, ada: Actor, live: tuple[LiveSession, CourseStep]) -> None:
    booking = _booking(session, ada, *live)
    booking.time_zone = "Nowhere/Special"

    email_booking(session, booking, "session-reminder")
    session.commit()

    (queued,) = _emails(session, "session-reminder")
    email = message_from_payload(queued.payload or {})
    assert "Mon 14 Dec 2026, 09:00-10:00 (Asia/Kolkata)" in email.text


def test_a_template_that_is_not_a_booking_email_is_refused(
        session: Session, ada: Actor, live: tuple[LiveSession, CourseStep]) -> None:
    booking = _booking(session, ada, *live)

    with pytest.raises(ValueError, match="not a booking email"):
        email_booking(session, booking, "order-confirmation")


@pytest.mark.parametrize("name", SESSION_TEMPLATES)
def test_the_admin_preview_renders_every_session_email(
        session: Session, ada: Actor, live: tuple[LiveSession, CourseStep], name: str) -> None:
    assert name in TEMPLATES

    message = preview(session, name)

    assert message.to == "Ada Lovelace <ada@example.com>"
    assert "Data Engineering Basics" in message.subject
    assert "(Europe/Berlin)" in message.text and "(Europe/Berlin)" in message.html
    assert "Hello Ada Lovelace," in message.text
