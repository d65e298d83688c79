"""One percent parser and label for shares, discount codes and tax rates."""

from __future__ import annotations

from decimal import Decimal

import pytest

from commerce_dash.domain.discounts import percent_off
from commerce_dash.domain.errors import DomainError
from commerce_dash.domain.ledger import bps_from_percent
from commerce_dash.domain.ledger import percent_label as share_label
from commerce_dash.domain.percent import BPS, PPM, PercentError, parse_percent, percent_label
from commerce_dash.domain.tax import percent_label as tax_label
from commerce_dash.domain.tax import validate_rate_percent


@pytest.mark.parametrize(("text", "scale", "units"), [
    ("12.5", BPS, 1250), ("12,5 %", BPS, 1250), (" 30% ", BPS, 3000), ("0.01", BPS, 1),
    ("8.875", PPM, 88750), ("20", PPM, 200000), (".5", PPM, 5000), ("100", BPS, 10000),
])
def test_a_typed_percentage_is_whole_units_of_its_scale(text, scale, units) -> None:  # type: ignore[no-untyped-def]
    assert parse_percent(text, scale) == units
    assert parse_percent(percent_label(units, scale), scale) == units


@pytest.mark.parametrize(("text", "reason"), [
    ("", "not_a_number"), ("abc", "not_a_number"), ("١.٥", "not_a_number"),
    ("１５", "not_a_number"), ("1_0", "not_a_number"), ("1e3", "not_a_number"),
    ("NaN", "not_a_number"), (None, "not_a_number"), ("100.01", "out_of_range"),
    ("-1", "out_of_range"), ("12.345", "too_precise"),
])
def test_what_is_no_percentage_says_why(text, reason) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PercentError) as refused:
        parse_percent(text, BPS)
    assert refused.value.reason == reason


def test_each_use_keeps_its_own_message_and_range() -> None:
    assert bps_from_percent("12,5 %", "platform_bps") == 1250
    assert bps_from_percent("-5", "creator_bps") == -500  # the range is check_shares'
    with pytest.raises(DomainError) as share:
        bps_from_percent("1e3", "platform_bps")
    assert (share.value.code, share.value.field) == ("invalid_share", "platform_bps")

    assert percent_off("12.5") == 1250
    for text, code in [("0", "percent_out_of_range"), ("101", "percent_out_of_range"),
                       ("1.234", "invalid_percent"), ("x", "invalid_percent")]:
        with pytest.raises(DomainError) as code_error:
            percent_off(text)
        assert (code_error.value.code, code_error.value.field) == (code, "percent")

    assert validate_rate_percent("8.875%") == 88750
    for text, code in [("", "rate_required"), ("-1", "invalid_rate"), ("x", "invalid_rate"),
                       ("100.5", "rate_too_high"), ("100.000001", "rate_too_high"),
                       ("8.87501", "rate_too_precise")]:
        with pytest.raises(DomainError) as rate_error:
            validate_rate_percent(text)
        assert rate_error.value.code == code, text


def test_labels_read_the_same_everywhere() -> None:
    assert share_label(1250) == "12.5 %"
    assert share_label(3000) == "30 %"
    assert tax_label(88750) == "8.875"
    assert percent_label(5, BPS) == "0.05"
    assert parse_percent("100", PPM, high=Decimal("Infinity")) == 1_000_000
