from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from commerce_dash.domain.errors import DomainError
from commerce_dash.domain.pricing import (
    ItemType,
    PriceStatus,
    PriceType,
    PriceWindow,
    bundle_savings,
    plan_new_price,
    price_in_force,
    price_status,
    validate_price,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)
DAY = timedelta(days=1)


def window(id_, amount, start, end=None, deactivated=False):
    return PriceWindow(id_, amount, "USD", start, end, deactivated)


def test_price_in_force_includes_the_start_and_excludes_the_end():
    # given a price for January and one from February on
    jan = window(1, 1000, T0, T0 + 31 * DAY)
    feb = window(2, 1200, T0 + 31 * DAY)
    prices = [jan, feb]
    # then each instant has exactly one price
    assert price_in_force(prices, T0 - timedelta(seconds=1)) is None
    assert price_in_force(prices, T0) == jan
    assert price_in_force(prices, T0 + 31 * DAY - timedelta(microseconds=1)) == jan
    assert price_in_force(prices, T0 + 31 * DAY) == feb
    assert price_in_force(prices, T0 + 1000 * DAY) == feb


def test_a_deactivated_price_is_never_in_force():
    assert price_in_force([window(1, 1000, T0, deactivated=True)], T0 + DAY) is None


def test_status_follows_the_clock():
    price = window(1, 1000, T0 + DAY, T0 + 3 * DAY)
    assert price_status(price, T0) is PriceStatus.SCHEDULED
    assert price_status(price, T0 + 2 * DAY) is PriceStatus.ACTIVE
    assert price_status(price, T0 + 3 * DAY) is PriceStatus.ENDED
    assert price_status(window(2, 1, T0, deactivated=True), T0) is PriceStatus.DEACTIVATED


def test_a_new_price_closes_the_open_ended_one_in_force():
    # given an open-ended price since T0
    current = window(1, 1000, T0)
    # when a new price starts ten days later
    plan = plan_new_price([current], effective_from=T0 + 10 * DAY, effective_until=None)
    # then the current one ends where the new one starts
    assert plan.closes == ((1, T0 + 10 * DAY),)


def test_a_new_price_overlapping_a_scheduled_one_is_refused_with_its_window():
    scheduled = window(2, 1500, T0 + 30 * DAY, T0 + 60 * DAY)
    with pytest.raises(DomainError) as err:
        plan_new_price([scheduled], effective_from=T0 + 40 * DAY, effective_until=None)
    assert err.value.code == "price_overlap"
    assert "$15.00 from 2026-01-31 00:00 until 2026-03-02 00:00 UTC" in err.value.message


def test_a_new_price_before_an_open_ended_one_must_end_before_it_starts():
    later = window(1, 1000, T0 + 10 * DAY)
    with pytest.raises(DomainError):
        plan_new_price([later], effective_from=T0, effective_until=None)
    fits = plan_new_price([later], effective_from=T0, effective_until=T0 + 10 * DAY)
    assert fits.closes == ()


def test_deactivated_prices_do_not_block_new_ones():
    plan = plan_new_price([window(1, 1000, T0, deactivated=True)], effective_from=T0,
                          effective_until=None)
    assert plan.closes == ()


@given(st.lists(st.integers(min_value=0, max_value=50), min_size=1, max_size=8, unique=True))
def test_history_built_by_successive_prices_never_overlaps(starts):
    # given prices added in increasing start order, each closing the previous
    prices: list[PriceWindow] = []
    for i, day in enumerate(sorted(starts)):
        plan = plan_new_price(prices, effective_from=T0 + day * DAY, effective_until=None)
        closed = dict(plan.closes)
        prices = [
            PriceWindow(p.id, p.amount, p.currency, p.effective_from,
                        closed.get(p.id, p.effective_until))
            for p in prices
        ] + [window(i, 100 + i, T0 + day * DAY)]
    # then at every day at most one price is in force, and the newest one wins at the end
    for day in range(0, 52):
        covering = [p for p in prices if p.covers(T0 + day * DAY)]
        assert len(covering) <= 1
    assert price_in_force(prices, T0 + 60 * DAY).id == len(starts) - 1


def _validate(**overrides):
    args = dict(item_type=ItemType.COURSE, price_type=PriceType.ONE_TIME, amount=4900,
                currency="usd", interval="", trial_days=0, effective_from=T0,
                effective_until=None, now=T0)
    args.update(overrides)
    return validate_price(**args)


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"amount": 0}, "amount_must_be_positive", "amount"),
        ({"amount": -5}, "amount_must_be_positive", "amount"),
        ({"currency": "XYZ"}, "invalid_currency", "currency"),
        ({"effective_until": T0}, "window_inverted", "effective_until"),
        ({"price_type": PriceType.FREE, "amount": 100}, "free_has_amount", "amount"),
        ({"price_type": PriceType.SUBSCRIPTION}, "price_type_mismatch", "price_type"),
        ({"item_type": ItemType.SUBSCRIPTION, "price_type": PriceType.SUBSCRIPTION},
         "interval_required", "interval"),
        ({"interval": "monthly"}, "interval_not_allowed", "interval"),
        ({"trial_days": 7}, "invalid_trial", "trial_days"),
    ],
)
def test_bad_price_fields_are_refused_beside_the_field(overrides, code, field):
    with pytest.raises(DomainError) as err:
        _validate(**overrides)
    assert (err.value.code, err.value.field) == (code, field)


def test_good_prices_normalise_the_currency():
    assert _validate() == "USD"
    assert _validate(item_type=ItemType.SUBSCRIPTION, price_type=PriceType.SUBSCRIPTION,
                     interval="annual", trial_days=14, currency="jpy") == "JPY"
    assert _validate(price_type=PriceType.FREE, amount=0) == "USD"


def test_bundle_savings_against_the_course_prices():
    savings = bundle_savings([("A", 4900), ("B", 5900), ("C", 9900)], 14900, "USD")
    assert (savings.courses_total, savings.savings, savings.percent) == (20700, 5800, 28)


def test_a_bundle_not_cheaper_than_its_courses_is_refused():
    with pytest.raises(DomainError) as err:
        bundle_savings([("A", 4900), ("B", 5100)], 10000, "USD")
    assert err.value.code == "bundle_not_cheaper"
    assert "$100.00" in err.value.message


def test_a_bundle_with_an_unpriced_course_is_refused_naming_it():
    with pytest.raises(DomainError) as err:
        bundle_savings([("Stats", 4900), ("Python", None)], 1000, "EUR")
    assert err.value.code == "course_without_price"
    assert "no EUR price in force: Python" in err.value.message
