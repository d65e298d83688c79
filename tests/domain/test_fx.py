"""Currency conversion: the documented rounding rule and exact multi-line conversion."""

from __future__ import annotations

from decimal import Decimal, localcontext

import pytest
from hypothesis import given
from hypothesis import strategies as st

from commerce_dash.domain.errors import DomainError
from commerce_dash.domain.fx import convert, convert_lines, parse_rate, rate_text
from commerce_dash.domain.money import currency_digits

D = Decimal


# -- parse_rate -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0.92", D("0.92")),
        (" 151.37 ", D("151.37")),
        ("1", D("1")),
        (".5", D("0.5")),
        ("0.0000000001", D("0.0000000001")),
        ("1.2300000000000", D("1.23")),
        ("1000000000", D("1000000000")),
    ],
)
def test_parse_rate_accepts(text, expected):
    assert parse_rate(text) == expected


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "rate_required"),
        ("  ", "rate_required"),
        ("0", "rate_not_positive"),
        ("0.000", "rate_not_positive"),
        ("-1.2", "rate_not_positive"),
        ("abc", "invalid_rate"),
        ("1e3", "invalid_rate"),
        ("NaN", "invalid_rate"),
        ("Infinity", "invalid_rate"),
        ("1,5", "invalid_rate"),
        ("0.00000000001", "rate_too_precise"),
        ("1000000001", "rate_too_high"),
    ],
)
def test_parse_rate_refuses(text, code):
    with pytest.raises(DomainError) as info:
        parse_rate(text)
    assert info.value.code == code and info.value.field == "rate"


def test_rate_text_is_canonical():
    assert [rate_text(D(t)) for t in ("0.920", "151.37", "100", "1E+2", "1.000")] == [
        "0.92",
        "151.37",
        "100",
        "100",
        "1",
    ]


# -- the rounding rule ------------------------------------------------------------------------


def test_usd_to_jpy_drops_to_zero_digits():
    assert convert(1999, "USD", "JPY", D("151.37")) == 3026  # 3025.8863 yen


def test_usd_to_kwd_gains_a_digit():
    assert convert(1000, "USD", "KWD", D("0.3075")) == 3075  # exactly 3.075 KWD
    assert convert(1, "USD", "KWD", D("0.30755")) == 3  # 3.0755 fils


def test_jpy_to_usd_ties_go_to_even():
    assert convert(125, "JPY", "USD", D("0.0066")) == 82  # 82.5 cents -> 82
    assert convert(375, "JPY", "USD", D("0.0066")) == 248  # 247.5 cents -> 248


def test_usd_to_eur_ties_and_ordinary_rounding():
    assert convert(50, "USD", "EUR", D("0.01")) == 0  # 0.5 -> 0
    assert convert(150, "USD", "EUR", D("0.01")) == 2  # 1.5 -> 2
    assert convert(9999, "USD", "EUR", D("0.92")) == 9199  # 9199.08
    assert convert(-150, "USD", "EUR", D("0.01")) == -2


def test_kwd_to_jpy_drops_three_digits():
    assert convert(1500, "KWD", "JPY", D("492.35")) == 739  # 1.5 KWD = 738.525 yen
    assert convert(1000, "KWD", "JPY", D("492.5")) == 492  # 492.5 yen, a tie -> even


def test_huge_amounts_stay_exact():
    amount = 10**18 + 1
    assert convert(amount, "USD", "EUR", D("0.9200000001")) == 920000000100000001


def test_same_currency_needs_rate_one():
    assert convert(1234, "USD", "USD", D(1)) == 1234
    with pytest.raises(ValueError):
        convert(1234, "USD", "usd", D("1.1"))


def test_convert_refuses_bad_inputs():
    with pytest.raises(TypeError):
        convert(1.5, "USD", "EUR", D("1"))  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        convert(100, "USD", "EUR", 0.92)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        convert(100, "USD", "EUR", D("0"))
    with pytest.raises(ValueError):
        convert(100, "USD", "XXQ", D("1"))


# -- several lines ----------------------------------------------------------------------------


def test_convert_lines_sums_to_converted_total():
    lines = convert_lines([1999, 1999, 1999], "USD", "JPY", D("151.37"))
    assert sum(lines) == convert(5997, "USD", "JPY", D("151.37")) == 9078  # 9077.6589
    assert sorted(lines) == [3026, 3026, 3026]
    assert convert_lines([], "USD", "EUR", D("0.92")) == []
    assert convert_lines([0, 0], "USD", "EUR", D("0.92")) == [0, 0]
    assert convert_lines([-100, -300], "USD", "EUR", D("0.5")) == [-50, -150]
    with pytest.raises(ValueError):
        convert_lines([100, -50], "USD", "EUR", D("0.92"))


CURRENCIES = st.sampled_from(["USD", "EUR", "JPY", "KWD", "GBP", "KRW", "BHD"])
RATES = st.decimals(
    min_value=D("0.0000000001"),
    max_value=D("100000"),
    places=10,
    allow_nan=False,
    allow_infinity=False,
).filter(lambda r: r > 0)


@given(
    amounts=st.lists(st.integers(min_value=0, max_value=10**12), max_size=15),
    pair=st.tuples(CURRENCIES, CURRENCIES).filter(lambda p: p[0] != p[1]),
    rate=RATES,
)
def test_convert_lines_properties(amounts, pair, rate):
    source, target = pair
    converted = convert_lines(amounts, source, target, rate)
    assert len(converted) == len(amounts)
    assert sum(converted) == convert(sum(amounts), source, target, rate)
    # each line is within one minor unit of converting it on its own
    for original, result in zip(amounts, converted, strict=True):
        assert abs(result - convert(original, source, target, rate)) <= 1


@given(
    amount=st.integers(min_value=-(10**15), max_value=10**15),
    pair=st.tuples(CURRENCIES, CURRENCIES).filter(lambda p: p[0] != p[1]),
    rate=RATES,
)
def test_convert_is_within_half_a_unit_and_rounds_ties_to_even(amount, pair, rate):
    source, target = pair
    with localcontext() as ctx:
        ctx.prec = 100
        exact = (D(amount) * rate).scaleb(currency_digits(target) - currency_digits(source))
    result = convert(amount, source, target, rate)
    gap = abs(D(result) - exact)
    assert gap <= D("0.5")
    if gap == D("0.5"):
        assert result % 2 == 0
