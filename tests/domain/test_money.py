from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from commerce_dash.domain.money import (
    CurrencyMismatch,
    Money,
    allocate,
    currency_digits,
    format_minor,
    parse_major,
    split_basis_points,
    sum_money,
)

# --- currency digits ---------------------------------------------------------


@pytest.mark.parametrize(("code", "digits"), [("JPY", 0), ("USD", 2), ("KWD", 3), ("eur", 2)])
def test_currency_digits_known_codes(code: str, digits: int) -> None:
    # given a known ISO 4217 code
    # when
    result = currency_digits(code)
    # then
    assert result == digits


@pytest.mark.parametrize("code", ["ZZZ", "US", "", "dollars"])
def test_currency_digits_unknown_code_raises(code: str) -> None:
    # given an unknown code
    # when / then
    with pytest.raises(ValueError, match="Unknown currency code"):
        currency_digits(code)


# --- Money -------------------------------------------------------------------


def test_money_normalises_currency_to_upper_case() -> None:
    # given / when
    money = Money(100, " usd ")
    # then
    assert money.currency == "USD"
    assert money == Money(100, "USD")


def test_money_arithmetic_same_currency() -> None:
    # given
    a = Money(1999, "USD")
    b = Money(1, "USD")
    # when
    total = a + b
    difference = a - b
    negated = -a
    # then
    assert total == Money(2000, "USD")
    assert difference == Money(1998, "USD")
    assert negated == Money(-1999, "USD")
    assert (a - a).is_zero()
    assert not a.is_zero()
    assert Money.zero("JPY") == Money(0, "JPY")


def test_money_comparisons_same_currency() -> None:
    # given
    small = Money(1, "EUR")
    big = Money(2, "EUR")
    # when / then
    assert small < big
    assert small <= big
    assert big > small
    assert big >= small
    assert small <= Money(1, "EUR")
    assert max(small, big) == big


def test_money_currency_mismatch_raises() -> None:
    # given
    usd = Money(100, "USD")
    eur = Money(100, "EUR")
    # when / then
    with pytest.raises(CurrencyMismatch, match="USD and EUR"):
        usd + eur
    with pytest.raises(CurrencyMismatch):
        usd - eur
    with pytest.raises(CurrencyMismatch):
        _ = usd < eur
    with pytest.raises(ValueError):
        _ = usd >= eur
    assert usd != eur


@pytest.mark.parametrize("amount", [19.99, 1.0, True, Decimal("1"), "100"])
def test_money_refuses_non_int_amount(amount: object) -> None:
    # given a non-int amount
    # when / then
    with pytest.raises(TypeError):
        Money(amount, "USD")  # type: ignore[arg-type]


def test_money_refuses_unknown_currency() -> None:
    # given / when / then
    with pytest.raises(ValueError, match="Unknown currency code"):
        Money(1, "XYZ")


@pytest.mark.parametrize(
    ("text", "currency", "amount", "decimal"),
    [
        ("19.99", "USD", 1999, Decimal("19.99")),
        ("0", "USD", 0, Decimal("0.00")),
        ("-0.05", "USD", -5, Decimal("-0.05")),
        ("1000", "JPY", 1000, Decimal("1000")),
        ("1.5", "KWD", 1500, Decimal("1.500")),
        ("19.990", "USD", 1999, Decimal("19.99")),
        ("1E+2", "USD", 10000, Decimal("100.00")),
    ],
)
def test_from_decimal_to_decimal_round_trip(
    text: str, currency: str, amount: int, decimal: Decimal
) -> None:
    # given a major-unit decimal string
    # when
    money = Money.from_decimal(text, currency)
    # then
    assert money.amount == amount
    assert money.to_decimal() == decimal
    assert str(money.to_decimal()) == str(decimal)
    assert Money.from_decimal(money.to_decimal(), currency) == money


@given(amount=st.integers(-(10**30), 10**30), currency=st.sampled_from(["JPY", "USD", "KWD"]))
def test_from_decimal_to_decimal_round_trip_property(amount: int, currency: str) -> None:
    # given
    money = Money(amount, currency)
    # when
    back = Money.from_decimal(money.to_decimal(), currency)
    # then
    assert back == money


@pytest.mark.parametrize(
    ("text", "currency"), [("19.999", "USD"), ("1.5", "JPY"), ("0.0001", "KWD")]
)
def test_from_decimal_refuses_too_many_decimals(text: str, currency: str) -> None:
    # given more decimals than the currency has
    # when / then
    with pytest.raises(ValueError, match="decimal places"):
        Money.from_decimal(text, currency)


def test_from_decimal_refuses_float_and_garbage() -> None:
    # given / when / then
    with pytest.raises(TypeError):
        Money.from_decimal(19.99, "USD")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Money.from_decimal("abc", "USD")
    with pytest.raises(ValueError):
        Money.from_decimal("NaN", "USD")


@pytest.mark.parametrize(
    ("amount", "currency", "locale", "expected"),
    [
        (1999, "USD", "en_US", "$19.99"),
        (-1999, "USD", "en_US", "-$19.99"),
        (1000, "JPY", "en_US", "¥1,000"),
        (1500, "KWD", "en_US", "KWD1.500"),
        (123450, "EUR", "de_DE", "1.234,50\xa0€"),
    ],
)
def test_money_format(amount: int, currency: str, locale: str, expected: str) -> None:
    # given
    money = Money(amount, currency)
    # when
    formatted = money.format(locale)
    # then
    assert formatted == expected
    assert format_minor(amount, currency, locale) == expected


def test_money_str_uses_en_us_format() -> None:
    # given / when / then
    assert str(Money(5, "USD")) == "$0.05"


def test_sum_money() -> None:
    # given
    items = [Money(100, "USD"), Money(250, "USD"), Money(-50, "USD")]
    # when / then
    assert sum_money(items, "USD") == Money(300, "USD")
    assert sum_money([], "JPY") == Money(0, "JPY")
    with pytest.raises(CurrencyMismatch):
        sum_money([Money(1, "EUR")], "USD")


def test_money_allocate() -> None:
    # given
    money = Money(1000, "USD")
    # when
    parts = money.allocate([1, 1, 1])
    # then
    assert parts == [Money(334, "USD"), Money(333, "USD"), Money(333, "USD")]


# --- allocate ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "weights", "expected"),
    [
        (100, [1, 1, 1], [34, 33, 33]),
        (10, [0, 1], [0, 10]),
        (5, [1, 0, 1], [3, 0, 2]),
        (0, [3, 7], [0, 0]),
        (7, [1], [7]),
        (1, [1, 1, 1], [1, 0, 0]),
        (10, [1, 2, 2], [2, 4, 4]),
        (11, [1, 2, 2], [2, 5, 4]),
        (-100, [1, 1, 1], [-34, -33, -33]),
        (-10, [0, 1], [0, -10]),
        (-11, [1, 2, 2], [-2, -5, -4]),
    ],
)
def test_allocate_examples(total: int, weights: list[int], expected: list[int]) -> None:
    # given total and weights
    # when
    parts = allocate(total, weights)
    # then
    assert parts == expected


@pytest.mark.parametrize(
    ("weights", "error"),
    [
        ([], ValueError),
        ([0, 0], ValueError),
        ([1, -1], ValueError),
        ([1.5, 1], TypeError),
        ([True, 1], TypeError),
    ],
)
def test_allocate_bad_weights_raise(weights: list[int], error: type[Exception]) -> None:
    # given bad weights
    # when / then
    with pytest.raises(error):
        allocate(100, weights)


def test_allocate_refuses_non_int_total() -> None:
    # given / when / then
    with pytest.raises(TypeError):
        allocate(10.0, [1, 1])  # type: ignore[arg-type]


weights_strategy = st.lists(st.integers(0, 10**9), min_size=1, max_size=20).filter(
    lambda ws: any(w > 0 for w in ws)
)


@given(total=st.integers(-(10**12), 10**12), weights=weights_strategy)
def test_allocate_properties(total: int, weights: list[int]) -> None:
    # given random total and weights
    # when
    parts = allocate(total, weights)
    again = allocate(total, weights)
    # then
    assert len(parts) == len(weights)
    assert sum(parts) == total
    assert parts == again
    if total >= 0:
        assert all(part >= 0 for part in parts)
    else:
        assert all(part <= 0 for part in parts)
    weight_sum = sum(weights)
    for part, weight in zip(parts, weights, strict=True):
        exact = Fraction(total * weight, weight_sum)
        assert abs(part - exact) < 1
        if weight == 0:
            assert part == 0


@given(total=st.integers(-(10**12), 10**12), first=st.integers(0, 10_000))
def test_split_basis_points_sums_exactly(total: int, first: int) -> None:
    # given basis points summing to 10,000
    bps = [first, 10_000 - first]
    # when
    parts = split_basis_points(total, bps)
    # then
    assert sum(parts) == total
    assert len(parts) == 2


def test_split_basis_points_examples_and_errors() -> None:
    # given / when / then
    assert split_basis_points(1000, [2500, 7500]) == [250, 750]
    assert split_basis_points(1, [5000, 5000]) == [1, 0]
    with pytest.raises(ValueError, match="10000"):
        split_basis_points(1000, [5000, 4999])


# --- parse_major -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "currency", "expected"),
    [
        ("19.99", "USD", 1999),
        ("1,000", "USD", 100000),
        (" 20 ", "USD", 2000),
        ("0", "USD", 0),
        (".5", "USD", 50),
        ("1,234,567.8", "USD", 123456780),
        ("1000", "JPY", 1000),
        ("1.5", "KWD", 1500),
    ],
)
def test_parse_major_valid_input(text: str, currency: str, expected: int) -> None:
    # given user input
    # when
    result = parse_major(text, currency)
    # then
    assert result == expected


@pytest.mark.parametrize(
    ("text", "currency", "message"),
    [
        ("abc", "USD", "Enter an amount like 19.99"),
        ("", "USD", "Enter an amount like 19.99"),
        ("1.2.3", "USD", "Enter an amount like 19.99"),
        ("1,00", "USD", "Enter an amount like 19.99"),
        ("$5", "USD", "Enter an amount like 19.99"),
        ("abc", "JPY", "Enter an amount like 1000"),
        ("-5", "USD", "Amount cannot be negative"),
        ("19.999", "USD", "USD amounts allow at most 2 decimal places"),
        ("1.5", "JPY", "JPY amounts allow no decimal places"),
    ],
)
def test_parse_major_rejects_bad_input(text: str, currency: str, message: str) -> None:
    # given bad user input
    # when / then
    with pytest.raises(ValueError, match=message.replace(".", r"\.").replace("$", r"\$")):
        parse_major(text, currency)


@pytest.mark.parametrize(
    "text",
    [
        "١.٥",  # Arabic-Indic digits (Decimal() reads 1.5)
        "١٢",
        "١٢.٥٠",
        "۱۲",  # Extended Arabic-Indic
        "１.５",  # fullwidth (Decimal() reads 1.5)
        "１２.５０",
        "12.5٠",  # one non-ASCII digit among ASCII ones
        "¹",  # superscript (isdigit() says yes)
        "1_0",  # Python's digit separator (Decimal() reads 10)
        "1_000.00",
        "+5",
        "1e3",
        "1E3",
        "NaN",
        "Infinity",
        "1 000",
        "12.50\x00",
        "12..5",
        "1,000,00",
        "9" * 41,  # past the length read (and any amount the columns hold)
        "9" * 5_000,  # (int() would refuse it past 4,300 digits with its own message)
        "1" + "0" * 39 + "x",
    ],
)
def test_parse_major_reads_only_ascii_digits(text: str) -> None:
    # given an amount in other digits, with a separator, a sign or an exponent
    # when / then: the format message, as for any other garbage
    with pytest.raises(ValueError, match=r"^Enter an amount like 19\.99$"):
        parse_major(text, "USD")
    with pytest.raises(ValueError, match=r"^Enter an amount like 1000$"):
        parse_major(text, "JPY")


@pytest.mark.parametrize(
    ("text", "currency", "expected"),
    [
        ("12.50", "USD", 1250),
        ("0" * 37 + ".50", "USD", 50),  # 40 characters: still read
        ("9" * 10, "USD", 999_999_999_900),
        ("12.345", "KWD", 12345),
    ],
)
def test_parse_major_ascii_amounts_up_to_the_length_read(
    text: str, currency: str, expected: int
) -> None:
    assert parse_major(text, currency) == expected
