"""The credits a price gives (issue 17): what is valid, how a line says what it includes, and
how much of a credit pack is refundable once some of its credits are used."""

from __future__ import annotations

import pytest

from commerce_dash.domain.errors import DomainError
from commerce_dash.domain.pricing import (
    ItemType,
    PriceCredits,
    check_credit_refund,
    check_price_credits,
    credit_refund_cap,
    describe_credits,
)


def test_a_course_package_and_a_pack_are_stored_as_given() -> None:
    assert check_price_credits(2, 60, 1, 90, item_type=ItemType.COURSE) == PriceCredits(2, 60, 1, 90)
    assert check_price_credits(4, 30, 0, 0, item_type=ItemType.CREDIT_PACK).total == 4
    # no private credits: their length does not matter; no credits at all: no expiry
    assert check_price_credits(0, 45, 3, 30) == PriceCredits(0, 60, 3, 30)
    assert check_price_credits(0, 60, 0, 30) == PriceCredits(0, 60, 0, 0)


@pytest.mark.parametrize(("args", "code", "field"), [
    ((-1, 60, 0, 0), "invalid_credit_count", "private_credits"),
    ((101, 60, 0, 0), "invalid_credit_count", "private_credits"),
    ((0, 60, 101, 0), "invalid_credit_count", "group_credits"),
    ((1, 45, 0, 0), "invalid_slot_length", "private_minutes"),
    ((1, 0, 0, 0), "invalid_slot_length", "private_minutes"),
    ((1, 30, 0, -1), "invalid_credit_expiry", "credit_expiry_days"),
    ((1, 30, 0, 3_651), "invalid_credit_expiry", "credit_expiry_days"),
])
def test_invalid_credit_fields_are_refused_with_their_field(
        args: tuple[int, int, int, int], code: str, field: str) -> None:
    with pytest.raises(DomainError) as err:
        check_price_credits(*args)
    assert (err.value.code, err.value.field) == (code, field)


def test_the_limits_themselves_are_allowed() -> None:
    assert check_price_credits(100, 30, 100, 3_650).total == 200


def test_only_courses_and_packs_give_credits_and_a_pack_gives_some() -> None:
    for kind in (ItemType.PROGRAM, ItemType.SUBSCRIPTION):
        with pytest.raises(DomainError) as err:
            check_price_credits(1, 60, 0, 0, item_type=kind)
        assert err.value.code == "credits_not_allowed"
    assert check_price_credits(0, 60, 0, 0, item_type=ItemType.PROGRAM).total == 0
    with pytest.raises(DomainError) as err:
        check_price_credits(0, 60, 0, 30, item_type=ItemType.CREDIT_PACK)
    assert (err.value.code, err.value.field) == ("credits_required", "private_credits")


def test_what_a_line_includes_reads_like_a_sentence() -> None:
    assert describe_credits(2, 60, 1, 90) == (
        "Includes 2 private sessions (60 min) and 1 group class, valid 90 days")
    assert describe_credits(1, 30, 0, 1) == "Includes 1 private session (30 min), valid 1 day"
    assert describe_credits(0, 60, 5, 0) == "Includes 5 group classes, never expiring"
    assert describe_credits(0, 60, 0, 90) == ""


def test_a_used_credit_is_not_refundable() -> None:
    assert credit_refund_cap(10_000, 4, 0) == 10_000
    assert credit_refund_cap(10_000, 4, 1) == 7_500
    assert credit_refund_cap(9_999, 4, 1) == 7_499  # rounded down: 29,997 / 4
    assert credit_refund_cap(10_000, 3, 1) == 6_666
    assert credit_refund_cap(10_000, 4, 4) == 0
    assert credit_refund_cap(10_000, 0, 0) == 10_000  # nothing granted: the line as is


def test_a_refund_above_the_unused_credits_names_the_used_ones() -> None:
    assert check_credit_refund(7_500, title="Pack of 4", line_total=10_000, refunded=0,
                               total_credits=4, used_credits=1) == 7_500
    assert check_credit_refund(2_500, title="Pack of 4", line_total=10_000, refunded=5_000,
                               total_credits=4, used_credits=1) == 2_500
    with pytest.raises(DomainError) as err:
        check_credit_refund(7_501, title="Pack of 4", line_total=10_000, refunded=0,
                            total_credits=4, used_credits=1, money="$75.00")
    assert err.value.code == "credits_used"
    assert err.value.message == ("Pack of 4: 1 of its 4 credits is used and not refundable, "
                                 "so at most $75.00 can be refunded for it.")
    # nothing used: more than the line is the ordinary over-refund, checked elsewhere
    assert check_credit_refund(20_000, title="P", line_total=10_000, refunded=0,
                               total_credits=4, used_credits=0) == 10_000
