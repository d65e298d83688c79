"""The calendar invitation of a session parses back (icalendar) with the right start, end and
time zone: a class at 09:00 Asia/Kolkata is 03:30 UTC, and 04:30 (winter) or 05:30 (summer)
for a learner in Europe/Berlin."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar, Event

from commerce_dash.domain.errors import DomainError
from commerce_dash.domain.sessions import local_to_utc
from commerce_dash.notify.ics import invite_attachment, session_invite

WINTER_DAY = date(2026, 12, 14)  # a Monday
SUMMER_DAY = date(2027, 6, 14)


def _invite(starts_at: datetime, *, time_zone: str = "Europe/Berlin", sequence: int = 0,
            cancelled: bool = False) -> bytes:
    return session_invite(
        uid="booking-7@commerce-dash", title="Foundations: live class",
        description="Data Engineering Basics\n\nStep 1: Foundations",
        starts_at=starts_at, ends_at=starts_at + timedelta(hours=1), time_zone=time_zone,
        location="Room 2.14", url="https://meet.example.com/abc", sequence=sequence,
        cancelled=cancelled, organizer="Commerce Dash <no-reply@example.com>",
        attendee="Ada Lovelace <ada@example.com>",
    )


def _event(data: bytes) -> tuple[Calendar, Event]:
    calendar = Calendar.from_ical(data)
    events = calendar.events
    assert len(events) == 1
    return calendar, events[0]


def test_a_kolkata_class_reads_0430_in_berlin_in_winter_with_its_time_zone() -> None:
    # given a class at 09:00 in Kolkata on a winter Monday, for a learner in Berlin
    starts_at = local_to_utc(WINTER_DAY, time(9, 0), "Asia/Kolkata")
    assert starts_at == datetime(2026, 12, 14, 3, 30, tzinfo=UTC)

    # when its invitation is built and parsed back
    calendar, event = _event(_invite(starts_at))

    # then the calendar shows 04:30-05:30 Berlin time, the same instants as 03:30-04:30 UTC
    berlin = ZoneInfo("Europe/Berlin")
    assert event.decoded("DTSTART") == datetime(2026, 12, 14, 4, 30, tzinfo=berlin)
    assert event.decoded("DTEND") == datetime(2026, 12, 14, 5, 30, tzinfo=berlin)
    assert event["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert event["DTEND"].params["TZID"] == "Europe/Berlin"
    assert event.decoded("DTSTART").replace(tzinfo=None) == datetime(2026, 12, 14, 4, 30)
    assert event.decoded("DTSTART") == starts_at
    assert event.decoded("DTEND") == datetime(2026, 12, 14, 4, 30, tzinfo=UTC)
    # and the zone it names is described in the file (clients without a zone database)
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Europe/Berlin"]
    assert calendar.get_missing_tzids() == set()


def test_the_same_class_reads_0530_in_berlin_in_summer() -> None:
    starts_at = local_to_utc(SUMMER_DAY, time(9, 0), "Asia/Kolkata")

    _, event = _event(_invite(starts_at))

    assert event.decoded("DTSTART").replace(tzinfo=None) == datetime(2027, 6, 14, 5, 30)
    assert event.decoded("DTSTART") == datetime(2027, 6, 14, 3, 30, tzinfo=UTC)


def test_an_invitation_asks_to_add_the_event_with_its_details() -> None:
    starts_at = local_to_utc(WINTER_DAY, time(9, 0), "Asia/Kolkata")

    calendar, event = _event(_invite(starts_at, time_zone="Asia/Kolkata"))

    assert str(calendar["METHOD"]) == "REQUEST"
    assert str(calendar["VERSION"]) == "2.0"
    assert "Commerce Dash" in str(calendar["PRODID"])
    assert str(event["UID"]) == "booking-7@commerce-dash"
    assert str(event["STATUS"]) == "CONFIRMED"
    assert event.decoded("SEQUENCE") == 0
    assert str(event["SUMMARY"]) == "Foundations: live class"
    assert "Step 1: Foundations" in str(event["DESCRIPTION"])
    assert str(event["LOCATION"]) == "Room 2.14"
    assert str(event["URL"]) == "https://meet.example.com/abc"
    assert str(event["ORGANIZER"]) == "mailto:no-reply@example.com"
    assert str(event["ATTENDEE"]) == "mailto:ada@example.com"
    assert event.decoded("DTSTAMP").tzinfo is not None
    assert event.decoded("DTSTART").replace(tzinfo=None) == datetime(2026, 12, 14, 9, 0)


def test_a_cancellation_removes_the_same_event() -> None:
    starts_at = local_to_utc(WINTER_DAY, time(9, 0), "Asia/Kolkata")

    calendar, event = _event(_invite(starts_at, sequence=2, cancelled=True))

    assert str(calendar["METHOD"]) == "CANCEL"
    assert str(event["STATUS"]) == "CANCELLED"
    assert str(event["UID"]) == "booking-7@commerce-dash"
    assert event.decoded("SEQUENCE") == 2


def test_a_learner_in_utc_gets_utc_times() -> None:
    starts_at = local_to_utc(WINTER_DAY, time(9, 0), "Asia/Kolkata")

    calendar, event = _event(_invite(starts_at, time_zone="UTC"))

    assert event.decoded("DTSTART") == datetime(2026, 12, 14, 3, 30, tzinfo=UTC)
    assert event.decoded("DTSTART").utcoffset() == timedelta(0)
    assert calendar.get_missing_tzids() == set()


def test_an_unknown_time_zone_is_refused() -> None:
    with pytest.raises(DomainError) as caught:
        _invite(datetime(2026, 12, 14, 3, 30, tzinfo=UTC), time_zone="Mars/Olympus")
    assert caught.value.code == "invalid_time_zone"


def test_the_attachment_is_a_calendar_request_or_cancel() -> None:
    data = _invite(datetime(2026, 12, 14, 3, 30, tzinfo=UTC))

    request, cancel = invite_attachment(data), invite_attachment(data, cancelled=True)

    assert (request.filename, request.content_type) == ("invite.ics",
                                                        "text/calendar; method=REQUEST")
    assert cancel.content_type == "text/calendar; method=CANCEL"
    assert request.data == data
