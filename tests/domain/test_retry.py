import pytest
from hypothesis import given
from hypothesis import strategies as st

from commerce_dash.domain.retry import backoff_seconds, is_permanent_http_failure, retry_schedule


def test_backoff_doubles_with_equal_jitter():
    # with no jitter the wait is half the doubling delay; with full jitter nearly all of it
    assert [backoff_seconds(a, 0) for a in range(1, 6)] == [15, 30, 60, 120, 240]
    assert backoff_seconds(3, 999) == 119


def test_backoff_stops_growing_at_the_cap():
    assert backoff_seconds(30, 0) == 3 * 3600
    assert backoff_seconds(30, 500, cap=100) == 75


@given(st.integers(min_value=1, max_value=60), st.integers(min_value=0, max_value=999))
def test_backoff_stays_within_half_and_whole_delay(attempt, permille):
    delay = min(6 * 3600, 30 * 2 ** (attempt - 1))
    assert delay // 2 <= backoff_seconds(attempt, permille) < delay or delay == 0


def test_the_documented_schedule_for_eight_attempts():
    assert retry_schedule(8) == [(15, 30), (30, 60), (60, 120), (120, 240), (240, 480),
                                 (480, 960), (960, 1920)]


@pytest.mark.parametrize(("status", "permanent"),
                         [(400, True), (401, True), (404, True), (408, False), (422, True),
                          (429, False), (500, False), (503, False), (200, False)])
def test_which_http_failures_are_final(status, permanent):
    assert is_permanent_http_failure(status) is permanent


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError):
        backoff_seconds(0, 500)
    with pytest.raises(ValueError):
        backoff_seconds(1, 1000)
