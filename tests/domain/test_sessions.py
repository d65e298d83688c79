"""Issue 17 (start): the rules of live sessions, steps and bookings, in the domain: time zones
(a session at 09:00 Asia/Kolkata is 03:30 UTC and 04:30 Europe/Berlin in winter; a weekly
series keeps its wall time across a daylight-saving change), the step lifecycle, a session's
own fields, private slots, overlaps, booking refusals, which credit a booking uses and when it
comes back, and the waitlist's order."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from commerce_dash.domain.errors import DomainError, ErrorKind
from commerce_dash.domain.sessions import (
    Credit,
    CreditKind,
    Slot,
    StepStatus,
    can_move_step,
    check_booking,
    check_session,
    credit_expiry,
    credit_returned,
    in_zone,
    local_to_utc,
    overlaps,
    pick_credit,
    private_slots,
    require_step_move,
    waitlist_next,
    weekly_series,
)

S = StepStatus
NOW = datetime(2027, 1, 10, 12, 0, tzinfo=UTC)


def at(day: int, hour: int, minute: int = 0, month: int = 1) -> datetime:
    return datetime(2027, month, day, hour, minute, tzinfo=UTC)


def _refused(call, code: str) -> DomainError:  # type: ignore[no-untyped-def]
    with pytest.raises(DomainError) as refused:
        call()
    assert refused.value.code == code
    return refused.value


@pytest.mark.parametrize(("current", "target", "allowed"), [
    (S.UNBOOKED, S.BOOKED, True), (S.UNBOOKED, S.ATTENDED, False),
    (S.BOOKED, S.UNBOOKED, True), (S.BOOKED, S.ATTENDED, True), (S.BOOKED, S.MISSED, True),
    (S.ATTENDED, S.MISSED, True), (S.ATTENDED, S.UNBOOKED, False),
    (S.MISSED, S.ATTENDED, True), (S.MISSED, S.UNBOOKED, True),
])
def test_the_step_lifecycle_allows_only_its_moves(current: S, target: S, allowed: bool) -> None:
    assert can_move_step(current, target) is allowed


def test_a_refused_step_move_names_both_states_as_a_conflict() -> None:
    error = _refused(lambda: require_step_move("unbooked", "attended"), "invalid_step_move")
    assert error.kind is ErrorKind.CONFLICT
    assert "unbooked" in error.message and "attended" in error.message


def test_nine_in_kolkata_is_three_thirty_utc_and_four_thirty_in_berlin_in_winter() -> None:
    starts = local_to_utc(date(2027, 1, 15), time(9, 0), "Asia/Kolkata")
    assert starts == datetime(2027, 1, 15, 3, 30, tzinfo=UTC)
    berlin = in_zone(starts, "Europe/Berlin")
    assert (berlin.hour, berlin.minute, berlin.utcoffset()) == (4, 30, timedelta(hours=1))


def test_a_weekly_series_keeps_its_wall_time_across_the_clock_change() -> None:
    # Berlin moves to summer time on Sunday 28 March 2027
    series = weekly_series(date(2027, 3, 18), time(9, 0), time(10, 30), "Europe/Berlin", 3)
    assert [s.starts_at.hour for s in series] == [8, 8, 7]  # UTC: +1 then +2
    assert all(in_zone(s.starts_at, "Europe/Berlin").time() == time(9, 0) for s in series)
    assert all(s.ends_at - s.starts_at == timedelta(minutes=90) for s in series)


@given(st.dates(min_value=date(2026, 1, 1), max_value=date(2030, 12, 31)),
       st.integers(min_value=6, max_value=20), st.sampled_from(
           ["Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Sydney"]))
def test_every_occurrence_of_a_series_starts_at_the_same_local_time(
        first: date, hour: int, tz: str) -> None:
    for slot in weekly_series(first, time(hour, 0), time(hour, 45), tz, 10):
        local = in_zone(slot.starts_at, tz)
        assert local.time() == time(hour, 0) and local.weekday() == first.weekday()


def test_a_time_the_clocks_skip_and_an_unknown_zone_are_refused_beside_the_field() -> None:
    skipped = _refused(lambda: local_to_utc(date(2027, 3, 28), time(2, 30), "Europe/Berlin"),
                       "time_does_not_exist")
    assert skipped.field == "starts_at"
    unknown = _refused(lambda: local_to_utc(date(2027, 1, 1), time(9), "Mars/Olympus"),
                       "invalid_time_zone")
    assert unknown.field == "time_zone"


@pytest.mark.parametrize(("starts", "ends", "capacity", "booked", "code", "field"), [
    (at(15, 10), at(15, 9), 10, 0, "session_ends_before_start", "ends_at"),
    (at(15, 10), at(15, 10), 10, 0, "session_ends_before_start", "ends_at"),
    (at(15, 8), at(15, 21), 10, 0, "session_too_long", "ends_at"),
    (at(9, 10), at(9, 11), 10, 0, "session_in_past", "starts_at"),
    (at(15, 10), at(15, 11), 0, 0, "invalid_capacity", "capacity"),
    (at(15, 10), at(15, 11), 1001, 0, "invalid_capacity", "capacity"),
    (at(15, 10), at(15, 11), True, 0, "invalid_capacity", "capacity"),
    (at(15, 10), at(15, 11), 5, 6, "capacity_below_booked", "capacity"),
])
def test_a_sessions_own_fields_are_checked_beside_the_field(
        starts: datetime, ends: datetime, capacity: int, booked: int, code: str,
        field: str) -> None:
    error = _refused(lambda: check_session(starts, ends, capacity, now=NOW, booked=booked),
                     code)
    assert error.field == field
    check_session(at(15, 10), at(15, 11), 6, now=NOW, booked=6)  # exactly full is fine


def test_availability_is_cut_into_private_slots_of_thirty_or_sixty_minutes() -> None:
    thirty = private_slots(at(15, 9), at(15, 10, 45), 30)
    assert [(s.starts_at.hour, s.starts_at.minute) for s in thirty] == [(9, 0), (9, 30),
                                                                         (10, 0)]
    assert len(private_slots(at(15, 9), at(15, 11), 60)) == 2
    _refused(lambda: private_slots(at(15, 9), at(15, 11), 45), "invalid_slot_length")


def test_back_to_back_periods_do_not_overlap() -> None:
    assert not overlaps(at(15, 9), at(15, 10), at(15, 10), at(15, 11))
    assert overlaps(at(15, 9), at(15, 10, 1), at(15, 10), at(15, 11))
    assert overlaps(at(15, 9), at(15, 12), at(15, 10), at(15, 11))


def test_a_booking_needs_a_future_session_a_seat_and_no_clash() -> None:
    mine = [Slot(at(15, 10), at(15, 11))]

    def book(starts: datetime, ends: datetime, booked: int) -> None:
        check_booking(starts_at=starts, ends_at=ends, capacity=10, booked=booked, now=NOW,
                      learner_bookings=mine)

    book(at(15, 11), at(15, 12), 9)  # the last seat, right after my other booking
    assert _refused(lambda: book(at(10, 11), at(10, 13), 0), "session_started").kind \
        is ErrorKind.CONFLICT
    assert "waitlist" in _refused(lambda: book(at(16, 9), at(16, 10), 10),
                                  "session_full").message
    _refused(lambda: book(at(15, 10, 30), at(15, 11, 30), 0), "booking_overlaps")


def test_a_booking_uses_the_credit_that_expires_first() -> None:
    credits = [
        Credit(1, CreditKind.PRIVATE, None, minutes=60),
        Credit(2, CreditKind.PRIVATE, at(20, 0), minutes=60),
        Credit(3, CreditKind.PRIVATE, at(12, 0), minutes=60),
        Credit(4, CreditKind.PRIVATE, at(9, 0), minutes=60),  # expired
        Credit(5, CreditKind.PRIVATE, at(11, 0), minutes=60, used=True),
        Credit(6, CreditKind.GROUP, at(11, 0)),
        Credit(7, CreditKind.PRIVATE, at(11, 0), minutes=30),
    ]
    assert pick_credit(credits, CreditKind.PRIVATE, at=NOW, minutes=60).id == 3
    assert pick_credit(credits, CreditKind.PRIVATE, at=NOW, minutes=30).id == 7
    assert pick_credit(credits, CreditKind.GROUP, at=NOW).id == 6
    assert pick_credit([credits[0]], CreditKind.PRIVATE, at=NOW, minutes=60).id == 1
    _refused(lambda: pick_credit(credits[3:5], CreditKind.PRIVATE, at=NOW), "no_credit")


def test_a_credit_comes_back_only_before_the_cut_off() -> None:
    starts = at(15, 10)
    assert credit_returned(cancelled_at=at(14, 10), starts_at=starts, cutoff_hours=24)
    assert not credit_returned(cancelled_at=at(14, 10, 1), starts_at=starts, cutoff_hours=24)
    assert credit_returned(cancelled_at=at(15, 10), starts_at=starts, cutoff_hours=0)
    assert credit_expiry(NOW, 0) is None
    assert credit_expiry(NOW, 90) == NOW + timedelta(days=90)
    _refused(lambda: credit_expiry(NOW, -1), "invalid_credit_expiry")


def test_freed_seats_go_to_the_waitlist_in_order() -> None:
    queue = [(2, at(1, 9)), (1, at(2, 9)), (1, at(1, 9)), (3, at(1, 8))]
    assert waitlist_next(queue, 2) == [2, 1]
    assert waitlist_next(queue, 0) == []
    assert waitlist_next(queue, 9) == [2, 1, 0, 3]
