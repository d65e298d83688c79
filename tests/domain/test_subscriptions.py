"""Subscription rules: the lifecycle table, billing periods on the anchor day, exact
proration, dunning retries inside the grace period, pauses that extend the period."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from commerce_dash.domain.errors import DomainError, ErrorKind
from commerce_dash.domain.pricing import Interval
from commerce_dash.domain.subscriptions import (
    Charge,
    PlanTerms,
    SubscriptionStatus,
    add_months,
    can_move_subscription,
    grace_end,
    grants_access,
    invoice_parts,
    is_upgrade,
    parse_subscription_number,
    period_bounds,
    require_subscription_move,
    resume_period_end,
    retry_times,
    split_period,
    subscription_number,
    trial_end,
    upgrade_charge,
)

S = SubscriptionStatus


def at(year: int, month: int, day: int, hour: int = 0) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


@pytest.mark.parametrize(("current", "target", "allowed"), [
    (S.INCOMPLETE, S.ACTIVE, True),       # first payment succeeded
    (S.INCOMPLETE, S.TRIALING, True),     # a trial needs no charge
    (S.TRIALING, S.ACTIVE, True),
    (S.TRIALING, S.PAST_DUE, True),       # the trial ended and the card failed
    (S.ACTIVE, S.PAST_DUE, True),
    (S.PAST_DUE, S.ACTIVE, True),         # paid after a retry
    (S.PAST_DUE, S.CANCELLED, True),      # grace period over
    (S.ACTIVE, S.PAUSED, True),
    (S.PAUSED, S.ACTIVE, True),
    (S.PAUSED, S.PAST_DUE, False),        # nothing is charged while paused
    (S.PAST_DUE, S.PAUSED, False),        # pay first
    (S.CANCELLED, S.ACTIVE, False),       # final: a new subscription instead
    (S.ACTIVE, S.INCOMPLETE, False),
    (S.ACTIVE, S.ACTIVE, False),          # staying put is not a move
])
def test_the_lifecycle_allows_only_its_moves(current: S, target: S, allowed: bool) -> None:
    assert can_move_subscription(current, target) is allowed


def test_a_refused_move_names_both_states_as_a_conflict() -> None:
    with pytest.raises(DomainError) as refused:
        require_subscription_move("cancelled", "active")
    assert refused.value.code == "invalid_subscription_move"
    assert refused.value.kind is ErrorKind.CONFLICT
    assert refused.value.message == "This subscription is cancelled; it can't become active."
    require_subscription_move("active", "paused")  # allowed: no error


def test_access_while_trialing_active_or_past_due_inside_the_grace_period() -> None:
    now = at(2026, 3, 10)
    assert grants_access("trialing", now=now, grace_ends=None)
    assert grants_access("active", now=now, grace_ends=None)
    assert grants_access("past_due", now=now, grace_ends=at(2026, 3, 11))
    assert not grants_access("past_due", now=now, grace_ends=at(2026, 3, 10))  # suspended
    assert not grants_access("past_due", now=now, grace_ends=None)
    for status in ("paused", "incomplete", "cancelled"):
        assert not grants_access(status, now=now, grace_ends=at(2027, 1, 1))


def test_monthly_periods_keep_the_anchor_day_through_short_months() -> None:
    anchor = at(2027, 1, 31, 9)
    periods = [period_bounds(anchor, Interval.MONTHLY, i) for i in range(4)]
    assert [start.date().isoformat() for start, _ in periods] == [
        "2027-01-31", "2027-02-28", "2027-03-31", "2027-04-30"]
    assert all(end == periods[i + 1][0] for i, (_, end) in enumerate(periods[:-1]))
    assert period_bounds(at(2028, 1, 31), Interval.MONTHLY, 1)[0] == at(2028, 2, 29)  # leap


def test_quarterly_and_annual_periods() -> None:
    assert period_bounds(at(2026, 11, 30), Interval.QUARTERLY, 1) == (
        at(2027, 2, 28), at(2027, 5, 30))
    assert period_bounds(at(2028, 2, 29), Interval.ANNUAL, 1) == (at(2029, 2, 28), at(2030, 2, 28))
    with pytest.raises(ValueError):
        period_bounds(at(2026, 1, 1), Interval.MONTHLY, -1)


@given(st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2900, 1, 1),
                    timezones=st.just(UTC)), st.integers(min_value=0, max_value=1200))
def test_adding_months_lands_in_the_right_month_on_the_anchor_day_or_the_last(
    moment: datetime, months: int,
) -> None:
    later = add_months(moment, months)
    assert (later.year * 12 + later.month) - (moment.year * 12 + moment.month) == months
    assert later.day == moment.day or later.day < moment.day and (
        (later + timedelta(days=1)).month != later.month)
    assert later.time() == moment.time()


def test_a_trial_ends_after_its_days_and_no_trial_has_no_end() -> None:
    assert trial_end(at(2026, 12, 7, 15), 14) == at(2026, 12, 21, 15)
    assert trial_end(at(2026, 12, 7), 0) is None


def test_half_a_period_splits_the_price_in_two() -> None:
    used, unused = split_period(3000, at(2026, 4, 1), at(2026, 5, 1), at(2026, 4, 16))
    assert (used, unused) == (1500, 1500)
    assert split_period(3000, at(2026, 4, 1), at(2026, 5, 1), at(2026, 3, 1)) == (0, 3000)
    assert split_period(3000, at(2026, 4, 1), at(2026, 5, 1), at(2026, 6, 1)) == (3000, 0)


@given(st.integers(min_value=0, max_value=10**9), st.integers(min_value=1, max_value=10**8),
       st.integers(min_value=-10**6, max_value=2 * 10**8))
def test_the_two_parts_always_sum_to_the_price_and_the_credit_never_exceeds_it(
    amount: int, length: int, offset: int,
) -> None:
    start = at(2026, 1, 1)
    used, unused = split_period(amount, start, start + timedelta(seconds=length),
                                start + timedelta(seconds=offset))
    assert used + unused == amount
    assert 0 <= unused <= amount and 0 <= used <= amount


def test_an_upgrade_costs_the_difference_for_the_rest_of_the_period_and_never_less_than_zero(
) -> None:
    start, end, middle = at(2026, 4, 1), at(2026, 5, 1), at(2026, 4, 16)
    assert upgrade_charge(2000, 5000, start, end, middle) == 1500  # 2500 new - 1000 credit
    assert upgrade_charge(5000, 2000, start, end, middle) == 0     # a downgrade waits
    assert upgrade_charge(2000, 5000, start, end, start) == 3000


def test_retries_fall_inside_the_grace_period_in_order_and_once() -> None:
    failed = at(2026, 5, 1, 6)
    assert retry_times(failed, 7, [5, 1, 3, 3, 9]) == [
        at(2026, 5, 2, 6), at(2026, 5, 4, 6), at(2026, 5, 6, 6)]
    assert grace_end(failed, 7) == at(2026, 5, 8, 6)
    assert retry_times(failed, 0, [1]) == []
    with pytest.raises(ValueError):
        retry_times(failed, 7, [0])


def test_a_pause_pushes_the_period_end_back_by_its_length() -> None:
    end = resume_period_end(at(2026, 6, 1), paused_at=at(2026, 5, 10), resumed_at=at(2026, 5, 20))
    assert end == at(2026, 6, 11)
    with pytest.raises(ValueError):
        resume_period_end(at(2026, 6, 1), paused_at=at(2026, 5, 20), resumed_at=at(2026, 5, 10))


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError):
        split_period(100, datetime(2026, 1, 1), at(2026, 2, 1), at(2026, 1, 15))


# -- what each invoice charges (issue 16, item 5) ---------------------------------------------


def test_a_first_period_code_discounts_the_first_charge_only() -> None:
    terms = PlanTerms(unit_amount=2900, discount=1450, duration="once", tax=232, first_tax=116)
    assert (terms.first().total, terms.renewal().total) == (1566, 3132)
    forever = PlanTerms(unit_amount=2900, discount=290, duration="forever", tax=232,
                        first_tax=209)
    assert forever.first() == forever.renewal() == Charge(2900, 290, 209)


@given(unit=st.integers(min_value=1, max_value=10**7), data=st.data())
def test_an_invoice_splits_into_price_discount_and_tax_that_sum_to_what_was_charged(
        unit: int, data: st.DataObject) -> None:
    discount = data.draw(st.integers(min_value=0, max_value=unit))
    duration = data.draw(st.sampled_from(["once", "forever"])) if discount else ""
    tax = data.draw(st.integers(min_value=0, max_value=unit))
    first_tax = data.draw(st.integers(min_value=0, max_value=tax))
    terms = PlanTerms(unit_amount=unit, discount=discount, duration=duration, tax=tax,
                      first_tax=first_tax)
    paid = data.draw(st.integers(min_value=0, max_value=3 * unit))
    for first in (True, False):
        parts = invoice_parts(terms, paid, first=first)
        assert parts.total == paid
        assert parts.list_amount >= 0 and parts.tax >= 0 and parts.discount >= 0
    assert invoice_parts(terms, terms.first().total, first=True) == terms.first()
    assert invoice_parts(terms, terms.renewal().total, first=False) == terms.renewal()


@given(
    old=st.integers(min_value=1, max_value=10**6), new=st.integers(min_value=1, max_value=10**6),
    start=st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1),
                       timezones=st.just(UTC)),
    interval=st.sampled_from(list(Interval)), day=st.floats(min_value=0, max_value=1),
)
def test_a_plan_change_on_any_day_credits_exactly_the_unused_part_of_what_was_paid(
        old: int, new: int, start: datetime, interval: Interval, day: float) -> None:
    """A change on a random day of the period: what was used plus the credit is what was
    paid, the credit never exceeds it, and the upgrade charge is the new price's unused part
    less the credit, to the cent and never negative."""
    _, end = period_bounds(start, interval, 0)
    at = start + (end - start) * day
    used, credit = split_period(old, start, end, at)
    assert used + credit == old and 0 <= credit <= old
    _, new_unused = split_period(new, start, end, at)
    assert upgrade_charge(old, new, start, end, at) == max(0, new_unused - credit)


def test_an_upgrade_is_a_longer_interval_or_a_higher_price() -> None:
    assert is_upgrade(2900, Interval.MONTHLY, 29000, Interval.ANNUAL)
    assert not is_upgrade(29000, Interval.ANNUAL, 2900, Interval.MONTHLY)
    assert is_upgrade(2900, Interval.MONTHLY, 3900, Interval.MONTHLY)
    assert not is_upgrade(3900, Interval.MONTHLY, 2900, Interval.MONTHLY)


def test_subscription_numbers_read_back_and_refuse_anything_else() -> None:
    assert subscription_number(42) == "SUB-000042"
    assert parse_subscription_number("sub-000042") == 42
    assert parse_subscription_number("42") == 42
    for bad in ("SUB-", "SUB-0", "SUB-١٢", "SUB-99999999999", "ORD-1", "-1"):
        assert parse_subscription_number(bad) is None
