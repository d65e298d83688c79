"""Tax rules: rate precedence, rounding per rate group, exact allocation, admin input."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from commerce_dash.domain.errors import DomainError
from commerce_dash.domain.tax import (
    RateRule,
    TaxableLine,
    TaxAddress,
    allocate_tax,
    billing_region_code,
    country_options,
    manual_quote,
    percent_label,
    pick_rate,
    tax_for_amount,
    validate_country,
    validate_label,
    validate_rate_percent,
    validate_region,
)

ENG, ART = 1, 2
NY = TaxAddress("us", "ny", "10001")
RULES = [
    RateRule("US", "", None, 40_000, "Sales tax"),
    RateRule("US", "NY", None, 88_750, "Sales tax"),
    RateRule("US", "", ENG, 10_000, "Education tax"),
    RateRule("US", "NY", ENG, 20_000, "Education tax"),
    RateRule("GB", "", None, 200_000, "VAT"),
]


def line(key: str, amount: int, dept: int | None = None) -> TaxableLine:
    return TaxableLine(key, "course", dept, amount)


# -- precedence -----------------------------------------------------------------------------


def test_address_is_normalised():
    assert TaxAddress("US", "NY", "10001") == NY
    assert TaxAddress(" gb ").country == "GB"


@pytest.mark.parametrize(
    ("address", "dept", "expected"),
    [
        (NY, ENG, 20_000),  # department + region
        (TaxAddress("US", "TX"), ENG, 10_000),  # department + country
        (NY, ART, 88_750),  # region
        (NY, None, 88_750),
        (TaxAddress("US", "TX"), ART, 40_000),  # country
        (TaxAddress("US"), None, 40_000),
        (TaxAddress("GB"), ENG, 200_000),
        (TaxAddress("FR"), None, None),  # none
        (TaxAddress(""), None, None),
    ],
)
def test_pick_rate_precedence(address, dept, expected):
    rule = pick_rate(RULES, address, dept)
    assert (rule.rate_ppm if rule else None) == expected


def test_pick_rate_precedence_ignores_rule_order():
    for rules in (RULES, list(reversed(RULES))):
        rule = pick_rate(rules, NY, ENG)
        assert rule is not None and rule.rate_ppm == 20_000


def test_department_region_rule_does_not_leak_to_other_regions_or_departments():
    rules = [RateRule("US", "NY", ENG, 20_000, "x")]
    assert pick_rate(rules, TaxAddress("US", "CA"), ENG) is None
    assert pick_rate(rules, NY, ART) is None
    assert pick_rate(rules, NY, None) is None


# -- rounding and allocation ----------------------------------------------------------------


def test_tax_for_amount_rounds_half_up():
    assert tax_for_amount(1000, 88_750) == 89  # 88.75 -> 89
    assert tax_for_amount(200, 72_500) == 15  # 14.5 -> 15
    assert tax_for_amount(199, 72_500) == 14  # 14.4275 -> 14
    assert tax_for_amount(0, 88_750) == 0
    assert tax_for_amount(-200, 72_500) == -15


def test_manual_quote_ny_example():
    quote = manual_quote([line("a", 4999), line("b", 2999)], NY, RULES, "USD", False)
    # (4999 + 2999) * 8.875 % = 709.8225 -> 710, split 4999:2999
    assert quote.total == 710
    assert quote.per_line == {"a": 444, "b": 266}
    assert quote.label == "Sales tax 8.875% (US-NY)"
    assert quote.provider == "manual" and not quote.exempt


def test_group_is_rounded_once_not_per_line():
    # three lines of 1 cent at 50%: per line 0.5 each would round to 3, the group gives 2
    rules = [RateRule("US", "", None, 500_000, "Half")]
    quote = manual_quote(
        [line("a", 1), line("b", 1), line("c", 1)], TaxAddress("US"), rules, "USD", False
    )
    assert quote.total == 2  # 1.5 -> 2
    assert sorted(quote.per_line.values()) == [0, 1, 1]


def test_lines_at_different_rates_form_groups_and_labels():
    lines = [line("eng", 10_000, ENG), line("art", 10_000, ART), line("free", 0, ART)]
    quote = manual_quote(lines, NY, RULES, "USD", False)
    assert quote.per_line == {"eng": 200, "art": 888, "free": 0}  # 887.5 -> 888
    assert quote.total == 1088
    assert quote.label == "Education tax 2% (US-NY), Sales tax 8.875% (US-NY)"


def test_no_rate_and_exempt_quotes():
    lines = [line("a", 1000)]
    none = manual_quote(lines, TaxAddress("FR"), RULES, "USD", False)
    assert (none.total, none.per_line, none.label, none.exempt) == (0, {"a": 0}, "No tax", False)
    exempt = manual_quote(lines, NY, RULES, "USD", True)
    assert (exempt.total, exempt.per_line, exempt.label, exempt.exempt) == (
        0,
        {"a": 0},
        "Tax exempt",
        True,
    )


def test_zero_decimal_currency_rounds_to_whole_yen():
    rules = [RateRule("JP", "", None, 100_000, "Consumption tax")]
    quote = manual_quote([line("a", 1005), line("b", 1)], TaxAddress("JP"), rules, "JPY", False)
    assert quote.total == 101  # 100.6 -> 101
    assert sum(quote.per_line.values()) == 101


def test_manual_quote_refuses_bad_lines():
    with pytest.raises(ValueError):
        manual_quote([line("a", -1)], NY, RULES, "USD", False)
    with pytest.raises(ValueError):
        manual_quote([line("a", 1), line("a", 2)], NY, RULES, "USD", False)
    with pytest.raises(ValueError):
        manual_quote([line("a", 1)], NY, RULES, "XXQ", False)


amounts = st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=12)
ppms = st.integers(min_value=0, max_value=1_000_000)


@given(amounts=amounts, ppm=ppms, depts=st.lists(st.sampled_from([None, ENG, ART]), min_size=12))
def test_per_line_always_sums_to_total(amounts, ppm, depts):
    rules = [RateRule("US", "", None, ppm, "A"), RateRule("US", "NY", ENG, 88_750, "B")]
    lines = [line(f"l{i}", a, depts[i]) for i, a in enumerate(amounts)]
    quote = manual_quote(lines, NY, rules, "USD", False)
    assert sum(quote.per_line.values()) == quote.total
    assert set(quote.per_line) == {ln.key for ln in lines}
    assert all(v >= 0 for v in quote.per_line.values())
    # the total equals the per-group rounded tax
    eng = sum(ln.amount for ln in lines if ln.department_id == ENG)
    other = sum(ln.amount for ln in lines if ln.department_id != ENG)
    assert quote.total == tax_for_amount(eng, 88_750) + tax_for_amount(other, ppm)


@given(amount=st.integers(min_value=0, max_value=10**12), ppm=ppms)
def test_tax_for_amount_is_within_half_a_unit(amount, ppm):
    exact_numerator = amount * ppm
    assert abs(tax_for_amount(amount, ppm) * 1_000_000 - exact_numerator) <= 500_000


# -- provider totals ------------------------------------------------------------------------


def test_allocate_tax_keeps_provider_lines_that_sum():
    lines = [line("a", 1000), line("b", 3000)]
    assert allocate_tax(355, lines, {"a": 89, "b": 266}) == {"a": 89, "b": 266}


def test_allocate_tax_fixes_provider_lines_that_do_not_sum():
    lines = [line("a", 1000), line("b", 3000)]
    fixed = allocate_tax(356, lines, {"a": 89, "b": 266})
    assert sum(fixed.values()) == 356
    assert all(abs(fixed[k] - v) <= 1 for k, v in {"a": 89, "b": 266}.items())


def test_allocate_tax_without_lines_from_provider_uses_amounts():
    lines = [line("a", 1000), line("b", 3000), line("c", 0)]
    assert allocate_tax(400, lines) == {"a": 100, "b": 300, "c": 0}
    assert allocate_tax(400, lines, {}) == {"a": 100, "b": 300, "c": 0}
    assert allocate_tax(3, [line("a", 0), line("b", 0)]) == {"a": 2, "b": 1}
    assert allocate_tax(0, []) == {}
    with pytest.raises(ValueError):
        allocate_tax(5, [])


@given(
    total=st.integers(min_value=0, max_value=10**9),
    given_lines=st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=8),
)
def test_allocate_tax_always_sums(total, given_lines):
    lines = [line(f"l{i}", a) for i, a in enumerate(given_lines)]
    spread = allocate_tax(total, lines, {f"l{i}": a // 10 for i, a in enumerate(given_lines)})
    assert sum(spread.values()) == total


# -- admin input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "ppm"),
    [
        ("8.875", 88_750),
        ("20", 200_000),
        ("7.25%", 72_500),
        (" 0 ", 0),
        ("100", 1_000_000),
        ("0.0001", 1),
        (".5", 5_000),
        ("8.8750", 88_750),
    ],
)
def test_rate_percent_parses_to_ppm(text, ppm):
    assert validate_rate_percent(text) == ppm


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "rate_required"),
        ("abc", "invalid_rate"),
        ("-1", "invalid_rate"),
        ("1e2", "invalid_rate"),
        ("100.01", "rate_too_high"),
        ("8.87501", "rate_too_precise"),
        ("NaN", "invalid_rate"),
        ("1,5,0", "invalid_rate"),
    ],
)
def test_rate_percent_refusals_name_the_field(text, code):
    with pytest.raises(DomainError) as info:
        validate_rate_percent(text)
    assert info.value.code == code and info.value.field == "rate"


def test_a_decimal_comma_reads_as_in_every_other_percentage_field():
    # one percent parser for tax rates, revenue shares and discount codes (issue 15)
    assert validate_rate_percent("1,5") == 15000


def test_percent_label():
    assert [percent_label(p) for p in (88_750, 200_000, 72_500, 0, 1, 1_000_000)] == [
        "8.875",
        "20",
        "7.25",
        "0",
        "0.0001",
        "100",
    ]


@given(ppm=ppms)
def test_percent_label_round_trips(ppm):
    assert validate_rate_percent(percent_label(ppm)) == ppm


def test_country_validation_uses_iso_codes():
    assert validate_country(" us ") == "US"
    assert validate_country("de") == "DE"
    for bad, code in (
        ("", "country_required"),
        ("USA", "invalid_country"),
        ("EU", "invalid_country"),
        ("ZZ", "invalid_country"),
        ("419", "invalid_country"),
        ("QQ", "invalid_country"),
    ):
        with pytest.raises(DomainError) as info:
            validate_country(bad)
        assert info.value.code == code and info.value.field == "country"
    options = dict(country_options())
    assert options["GB"] == "United Kingdom" and "EU" not in options
    assert len(options) >= 249


def test_region_and_label_validation():
    assert validate_region(" ny ") == "NY"
    assert validate_region("") == ""
    assert validate_region("QC12") == "QC12"
    for bad in ("NEW YORK", "N-Y", "ABCDEFGHI", "ÉÉ"):
        with pytest.raises(DomainError) as info:
            validate_region(bad)
        assert info.value.field == "region"
    assert validate_label("  Sales   tax ") == "Sales tax"
    with pytest.raises(DomainError) as info:
        validate_label("x" * 81)
    assert info.value.field == "label"


@pytest.mark.parametrize(("country", "typed", "code"), [
    ("US", "ny", "NY"), ("US", " New  York ", "NY"), ("US", "district of columbia", "DC"),
    ("CA", "Quebec", "QC"), ("CA", "on", "ON"), ("DE", "by", "BY"), ("US", "", ""),
])
def test_a_billing_region_is_its_code_typed_or_named(country: str, typed: str,
                                                      code: str) -> None:
    assert billing_region_code(country, typed) == code


@pytest.mark.parametrize(("country", "typed", "says"), [
    ("US", "New Yrok", "not a state we know"), ("US", "XX", "not a state we know"),
    ("CA", "NY", "not a province or territory we know"), ("FR", "Île-de-France!", "like NY"),
])
def test_an_unknown_state_or_province_is_refused_beside_the_field(country: str, typed: str,
                                                                  says: str) -> None:
    # a misspelled US state would otherwise be charged no state tax without a word
    with pytest.raises(DomainError) as caught:
        billing_region_code(country, typed)
    assert caught.value.code == "invalid_region" and caught.value.field == "billing_region"
    assert says in caught.value.message
