"""Ledger arithmetic: splits always sum to net, and reversals of a fully refunded entry cancel
it exactly whatever the pieces (property-based)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from commerce_dash.domain.errors import DomainError
from commerce_dash.domain.ledger import (
    Amounts,
    Shares,
    check_shares,
    processor_fee,
    reversal,
    sale_amounts,
    split_line,
    split_net,
)


@st.composite
def shares(draw: st.DrawFn) -> Shares:
    platform = draw(st.integers(0, 10_000))
    creator = draw(st.integers(0, 10_000 - platform))
    return Shares(platform, creator, 10_000 - platform - creator)


@st.composite
def sales(draw: st.DrawFn) -> Amounts:
    gross = draw(st.integers(1, 10_000_000))
    tax = draw(st.integers(0, 2_000_000))
    fee = draw(st.integers(0, gross + tax))
    return sale_amounts(gross, tax, fee, draw(shares()))


@given(net=st.integers(-10_000_000, 10_000_000), split=shares())
def test_the_three_shares_always_sum_to_net(net: int, split: Shares) -> None:
    platform, creator, instructor = split_net(net, split)
    assert platform + creator + instructor == net
    for part, bps in zip((platform, creator, instructor), split.as_list(), strict=True):
        assert abs(part * 10_000 - net * bps) < 10_000  # within one unit of its exact share


@settings(max_examples=300)
@given(entry=sales(), cuts=st.lists(st.integers(1, 1_000), min_size=1, max_size=6))
def test_reversals_of_a_full_refund_cancel_the_entry_exactly(entry: Amounts,
                                                             cuts: list[int]) -> None:
    paid = entry.gross + entry.tax
    # the refund in pieces proportional to ``cuts`` (the last takes what is left)
    pieces = split_line(paid, cuts)
    refunded, total = 0, Amounts(0, 0, 0, 0, 0, 0)
    for piece in pieces:
        if piece == 0:
            continue
        part = reversal(entry, refunded, piece)
        assert part.platform + part.creator + part.instructor == part.net
        assert part.gross + part.tax == -piece
        refunded += piece
        total = Amounts(total.gross + part.gross, total.tax + part.tax,
                        total.processor_fee + part.processor_fee,
                        total.platform + part.platform, total.creator + part.creator,
                        total.instructor + part.instructor)
    assert total == entry.negated()


@settings(max_examples=300)
@given(entry=sales(), cuts=st.lists(st.integers(1, 1_000), min_size=1, max_size=6))
def test_a_processor_that_keeps_its_fee_leaves_it_on_the_platform(entry: Amounts,
                                                                   cuts: list[int]) -> None:
    paid = entry.gross + entry.tax
    refunded, total = 0, Amounts(0, 0, 0, 0, 0, 0)
    for piece in split_line(paid, cuts):
        if piece == 0:
            continue
        part = reversal(entry, refunded, piece, fee_kept=True)
        assert part.processor_fee == 0
        assert part.platform + part.creator + part.instructor == part.net == part.gross
        refunded += piece
        total = Amounts(total.gross + part.gross, total.tax + part.tax, 0,
                        total.platform + part.platform, total.creator + part.creator,
                        total.instructor + part.instructor)
    # everything is given back but the fee, which stays the platform's cost
    assert (total.gross, total.tax) == (-entry.gross, -entry.tax)
    assert (total.creator, total.instructor) == (-entry.creator, -entry.instructor)
    assert entry.platform + total.platform == -entry.processor_fee


@given(amount=st.integers(0, 10_000_000), weights=st.lists(st.integers(0, 50_000), min_size=1,
                                                          max_size=8))
def test_a_program_line_splits_exactly_over_its_courses(amount: int,
                                                        weights: list[int]) -> None:
    parts = split_line(amount, weights)
    assert sum(parts) == amount and len(parts) == len(weights)
    if sum(weights):
        assert all(p == 0 for p, w in zip(parts, weights, strict=True) if w == 0)


def test_shares_must_sum_to_one_hundred_percent() -> None:
    with pytest.raises(DomainError) as err:
        check_shares(Shares(3000, 4000, 2000))
    assert err.value.code == "shares_not_100" and "90" in err.value.message
    with pytest.raises(DomainError):
        check_shares(Shares(-1, 5001, 5000))


def test_refunding_more_than_was_paid_is_refused() -> None:
    entry = sale_amounts(10_000, 800, 343, Shares(3000, 4000, 3000))
    with pytest.raises(DomainError) as err:
        reversal(entry, 10_000, 801)
    assert err.value.code == "over_refund"
    with pytest.raises(DomainError):
        reversal(entry, 0, 0)


def test_the_estimated_fee() -> None:
    assert processor_fee(10_000, 290, 30) == 320  # 2.9 % + 30
    assert processor_fee(0, 290, 30) == 0
    assert processor_fee(20, 290, 30) == 20  # never more than the charge


def test_percentages_typed_by_people_become_exact_basis_points() -> None:
    from commerce_dash.domain.ledger import bps_from_percent, percent_label

    assert [bps_from_percent(t, "f") for t in ("30", "12.5", "12,25 %", "0")] == [
        3000, 1250, 1225, 0]
    for bad in ("12.345", "abc", "", "inf"):
        with pytest.raises(DomainError) as err:
            bps_from_percent(bad, "creator_bps")
        assert err.value.field == "creator_bps"
    assert [percent_label(b) for b in (3000, 1250, 5, 0)] == ["30 %", "12.5 %", "0.05 %", "0 %"]
