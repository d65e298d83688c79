from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from commerce_dash.domain.discounts import (
    DiscountApplied,
    DiscountKind,
    DiscountRefused,
    DiscountRule,
    DiscountScope,
    FailureReason,
    PricedLine,
    evaluate_discount,
    normalise_code,
    validate_code_definition,
)
from commerce_dash.domain.errors import DomainError

START = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
END = datetime(2026, 10, 31, 12, 0, tzinfo=UTC)
NOW = datetime(2026, 10, 15, tzinfo=UTC)


def make_rule(**overrides: Any) -> DiscountRule:
    base = DiscountRule(
        code="AUTUMN15",
        kind=DiscountKind.PERCENTAGE,
        percent_bps=1500,
        amount_off=0,
        currency=None,
        scope=DiscountScope.ALL,
        listed_items=frozenset(),
        department_ids=None,
        valid_from=START,
        valid_until=END,
        is_active=True,
        max_uses=None,
        max_uses_per_user=None,
        min_purchase=0,
    )
    return replace(base, **overrides)


def fixed_rule(amount_off: int, currency: str = "USD", **overrides: Any) -> DiscountRule:
    return make_rule(
        kind=DiscountKind.FIXED,
        percent_bps=0,
        amount_off=amount_off,
        currency=currency,
        **overrides,
    )


def line(
    key: str,
    amount: int,
    item_type: str = "course",
    item_id: int = 1,
    department_id: int = 10,
    currency: str = "USD",
) -> PricedLine:
    return PricedLine(
        key=key,
        item_type=item_type,
        item_id=item_id,
        department_id=department_id,
        amount=amount,
        currency=currency,
    )


def evaluate(
    rule: DiscountRule | None,
    lines: list[PricedLine],
    *,
    at: datetime = NOW,
    uses_so_far: int = 0,
    uses_by_user: int = 0,
    code: str = "autumn15",
) -> DiscountApplied | DiscountRefused:
    return evaluate_discount(
        rule,
        code=code,
        lines=lines,
        at=at,
        uses_so_far=uses_so_far,
        uses_by_user=uses_by_user,
    )


def refused_reason(result: DiscountApplied | DiscountRefused) -> FailureReason:
    assert isinstance(result, DiscountRefused)
    return result.reason


CART = [line("a", 2000)]


# --- normalising ---------------------------------------------------------------


def test_normalise_code_strips_and_upper_cases() -> None:
    # given
    raw = "  autumn-15 \n"
    # when
    result = normalise_code(raw)
    # then
    assert result == "AUTUMN-15"


# --- failure reasons -------------------------------------------------------------


def test_unknown_code_is_refused_with_normalised_code() -> None:
    # given no rule was found
    # when
    result = evaluate(None, CART, code=" nope42 ")
    # then
    assert result == DiscountRefused("NOPE42", FailureReason.UNKNOWN, "This code doesn't exist.")


def test_inactive_code_is_refused() -> None:
    # given
    rule = make_rule(is_active=False)
    # when
    result = evaluate(rule, CART)
    # then
    assert result == DiscountRefused(
        "AUTUMN15", FailureReason.INACTIVE, "This code is no longer active."
    )


def test_code_before_its_start_is_refused_with_start_date() -> None:
    # given
    rule = make_rule()
    # when
    result = evaluate(rule, CART, at=START - timedelta(microseconds=1))
    # then
    assert result == DiscountRefused(
        "AUTUMN15", FailureReason.NOT_YET_VALID, "This code is valid from 2026-10-01."
    )


def test_code_is_valid_exactly_at_its_start() -> None:
    # given
    rule = make_rule()
    # when
    result = evaluate(rule, CART, at=START)
    # then
    assert isinstance(result, DiscountApplied)
    assert result.total == 300


def test_code_is_valid_just_before_its_end() -> None:
    # given
    rule = make_rule()
    # when
    result = evaluate(rule, CART, at=END - timedelta(microseconds=1))
    # then
    assert isinstance(result, DiscountApplied)


def test_code_is_expired_exactly_at_its_end() -> None:
    # given
    rule = make_rule()
    # when
    result = evaluate(rule, CART, at=END)
    # then
    assert result == DiscountRefused(
        "AUTUMN15", FailureReason.EXPIRED, "This code expired on 2026-10-31."
    )


def test_code_without_end_never_expires() -> None:
    # given
    rule = make_rule(valid_until=None)
    # when
    result = evaluate(rule, CART, at=datetime(2099, 1, 1, tzinfo=UTC))
    # then
    assert isinstance(result, DiscountApplied)


def test_naive_evaluation_time_is_refused() -> None:
    # given
    rule = make_rule()
    # when / then
    with pytest.raises(ValueError, match="naive datetime"):
        evaluate(rule, CART, at=datetime(2026, 10, 15))


def test_used_up_code_is_refused() -> None:
    # given
    rule = make_rule(max_uses=100)
    # when
    at_limit = evaluate(rule, CART, uses_so_far=100)
    below_limit = evaluate(rule, CART, uses_so_far=99)
    # then
    assert at_limit == DiscountRefused(
        "AUTUMN15", FailureReason.USED_UP, "This code has reached its usage limit."
    )
    assert isinstance(below_limit, DiscountApplied)


def test_code_used_up_for_this_user_is_refused() -> None:
    # given
    rule = make_rule(max_uses_per_user=2)
    # when
    at_limit = evaluate(rule, CART, uses_by_user=2)
    below_limit = evaluate(rule, CART, uses_by_user=1)
    # then
    assert at_limit == DiscountRefused(
        "AUTUMN15",
        FailureReason.USED_UP_FOR_USER,
        "You have already used this code as often as allowed.",
    )
    assert isinstance(below_limit, DiscountApplied)


def test_code_matching_no_line_is_not_applicable() -> None:
    # given a programs-only code and a cart of courses
    rule = make_rule(scope=DiscountScope.PROGRAMS)
    # when
    result = evaluate(rule, [line("a", 2000, "course"), line("b", 500, "subscription")])
    # then
    assert result == DiscountRefused(
        "AUTUMN15", FailureReason.NOT_APPLICABLE, "This code doesn't apply to your cart."
    )


def test_empty_cart_is_not_applicable() -> None:
    # given
    rule = make_rule()
    # when
    result = evaluate(rule, [])
    # then
    assert refused_reason(result) is FailureReason.NOT_APPLICABLE


def test_zero_amount_lines_are_never_eligible() -> None:
    # given
    rule = make_rule()
    # when
    only_free = evaluate(rule, [line("free", 0)])
    mixed = evaluate(rule, [line("free", 0), line("paid", 1000)])
    # then
    assert refused_reason(only_free) is FailureReason.NOT_APPLICABLE
    assert isinstance(mixed, DiscountApplied)
    assert mixed.per_line == {"paid": 150}
    assert mixed.eligible_subtotal == 1000


def test_below_minimum_purchase_message_formats_money() -> None:
    # given
    rule = make_rule(currency="USD", min_purchase=5000)
    # when
    result = evaluate(rule, [line("a", 2000), line("b", 2999)])
    # then
    assert result == DiscountRefused(
        "AUTUMN15",
        FailureReason.BELOW_MINIMUM,
        "This code needs a minimum purchase of $50.00.",
    )


def test_minimum_is_compared_with_the_whole_cart_not_eligible_lines() -> None:
    # given a courses-only code with a $50 minimum; the course alone is $20
    rule = make_rule(scope=DiscountScope.COURSES, currency="USD", min_purchase=5000)
    lines = [line("c", 2000, "course"), line("p", 3000, "program")]
    # when
    result = evaluate(rule, lines)
    # then
    assert isinstance(result, DiscountApplied)
    assert result.eligible_subtotal == 2000
    assert result.total == 300
    assert result.per_line == {"c": 300}


def test_fixed_code_in_other_currency_is_not_applicable() -> None:
    # given
    rule = fixed_rule(1000, currency="EUR")
    # when
    result = evaluate(rule, CART)
    # then
    assert result == DiscountRefused(
        "AUTUMN15",
        FailureReason.NOT_APPLICABLE,
        "This code only applies to purchases in EUR.",
    )


def test_minimum_in_other_currency_is_not_applicable_before_below_minimum() -> None:
    # given a percentage code with a EUR minimum and a USD cart under that minimum
    rule = make_rule(currency="EUR", min_purchase=100_000)
    # when
    result = evaluate(rule, CART)
    # then
    assert result == DiscountRefused(
        "AUTUMN15",
        FailureReason.NOT_APPLICABLE,
        "This code only applies to purchases in EUR.",
    )


def test_percentage_code_without_minimum_ignores_its_currency() -> None:
    # given
    rule = make_rule(currency="EUR", min_purchase=0)
    # when
    result = evaluate(rule, CART)
    # then
    assert isinstance(result, DiscountApplied)
    assert result.currency == "USD"


def test_mixed_currency_cart_raises() -> None:
    # given
    rule = make_rule()
    lines = [line("a", 1000, currency="USD"), line("b", 1000, currency="EUR")]
    # when / then
    with pytest.raises(ValueError, match="one currency"):
        evaluate(rule, lines)


def test_negative_line_amount_is_rejected() -> None:
    # given / when / then
    with pytest.raises(ValueError, match=">= 0"):
        line("a", -1)


def test_failure_precedence_order() -> None:
    # given a rule failing every check at once
    rule = fixed_rule(
        1000,
        currency="EUR",
        is_active=False,
        valid_from=NOW + timedelta(days=1),
        valid_until=NOW - timedelta(days=1),
        max_uses=1,
        max_uses_per_user=1,
        min_purchase=10**9,
        scope=DiscountScope.PROGRAMS,
    )
    args: dict[str, Any] = {"uses_so_far": 1, "uses_by_user": 1}
    # when each check is fixed in turn
    steps = [
        evaluate(None, CART, **args),
        evaluate(rule, CART, **args),
        evaluate(rule := replace(rule, is_active=True), CART, **args),
        evaluate(rule := replace(rule, valid_from=START), CART, **args),
        evaluate(rule := replace(rule, valid_until=None), CART, **args),
        evaluate(rule := replace(rule, max_uses=None), CART, **args),
        evaluate(rule := replace(rule, max_uses_per_user=None), CART, **args),
        evaluate(rule := replace(rule, scope=DiscountScope.ALL), CART, **args),
        evaluate(rule := replace(rule, currency="USD"), CART, **args),
        evaluate(replace(rule, min_purchase=2000), CART, **args),
    ]
    # then
    assert [refused_reason(r) for r in steps[:-1]] == [
        FailureReason.UNKNOWN,
        FailureReason.INACTIVE,
        FailureReason.NOT_YET_VALID,
        FailureReason.EXPIRED,
        FailureReason.USED_UP,
        FailureReason.USED_UP_FOR_USER,
        FailureReason.NOT_APPLICABLE,
        FailureReason.NOT_APPLICABLE,
        FailureReason.BELOW_MINIMUM,
    ]
    assert steps[-1] == DiscountApplied("AUTUMN15", 1000, "USD", {"a": 1000}, 2000)


# --- scopes and departments ----------------------------------------------------------

MIXED_CART = [
    line("c1", 1000, "course", item_id=1, department_id=10),
    line("c2", 2000, "course", item_id=2, department_id=20),
    line("p1", 3000, "program", item_id=1, department_id=10),
    line("s1", 4000, "subscription", item_id=7, department_id=30),
]


@pytest.mark.parametrize(
    ("scope", "expected_keys"),
    [
        (DiscountScope.ALL, {"c1", "c2", "p1", "s1"}),
        (DiscountScope.COURSES, {"c1", "c2"}),
        (DiscountScope.PROGRAMS, {"p1"}),
        (DiscountScope.SUBSCRIPTIONS, {"s1"}),
    ],
)
def test_scope_selects_item_types(scope: DiscountScope, expected_keys: set[str]) -> None:
    # given
    rule = make_rule(scope=scope, percent_bps=1000)
    # when
    result = evaluate(rule, MIXED_CART)
    # then
    assert isinstance(result, DiscountApplied)
    assert set(result.per_line) == expected_keys


def test_listed_scope_matches_type_and_id() -> None:
    # given course 2 and program 1 are listed; course 1 shares program 1's id
    rule = make_rule(
        scope=DiscountScope.LISTED,
        listed_items=frozenset({("course", 2), ("program", 1)}),
        percent_bps=1000,
    )
    # when
    result = evaluate(rule, MIXED_CART)
    # then
    assert result == DiscountApplied("AUTUMN15", 500, "USD", {"c2": 200, "p1": 300}, 5000)


def test_department_restriction_keeps_only_listed_departments() -> None:
    # given a courses code restricted to department 10 and its subdepartment 11
    rule = make_rule(
        scope=DiscountScope.COURSES, department_ids=frozenset({10, 11}), percent_bps=1000
    )
    # when
    result = evaluate(rule, MIXED_CART)
    # then
    assert result == DiscountApplied("AUTUMN15", 100, "USD", {"c1": 100}, 1000)


def test_department_restriction_with_no_match_is_not_applicable() -> None:
    # given
    rule = make_rule(department_ids=frozenset({99}))
    # when
    result = evaluate(rule, MIXED_CART)
    # then
    assert refused_reason(result) is FailureReason.NOT_APPLICABLE


# --- amounts -------------------------------------------------------------------------


def test_percentage_rounds_half_up_and_allocates_largest_remainder() -> None:
    # given 19.99 + 29.99 + 49.99 = 99.97 at 15% -> 14.9955 -> 15.00
    rule = make_rule(percent_bps=1500)
    lines = [line("a", 1999), line("b", 2999), line("c", 4999)]
    # when
    result = evaluate(rule, lines)
    # then shares 299.9, 449.98, 750.07: the two largest remainders get the extra cents
    assert result == DiscountApplied("AUTUMN15", 1500, "USD", {"a": 300, "b": 450, "c": 750}, 9997)


def test_percentage_half_cent_rounds_up() -> None:
    # given 12.5% of 0.20 is 2.5 cents
    rule = make_rule(percent_bps=1250)
    # when
    result = evaluate(rule, [line("a", 20)])
    # then
    assert isinstance(result, DiscountApplied)
    assert result.total == 3


def test_hundred_percent_discounts_everything() -> None:
    # given
    rule = make_rule(percent_bps=10_000)
    # when
    result = evaluate(rule, [line("a", 1999), line("b", 1)])
    # then
    assert result == DiscountApplied("AUTUMN15", 2000, "USD", {"a": 1999, "b": 1}, 2000)


def test_fixed_amount_is_split_over_eligible_lines() -> None:
    # given
    rule = fixed_rule(1000)
    # when
    result = evaluate(rule, [line("a", 1000), line("b", 2000)])
    # then 333.3 and 666.7 -> the larger remainder takes the extra cent
    assert result == DiscountApplied("AUTUMN15", 1000, "USD", {"a": 333, "b": 667}, 3000)


def test_fixed_amount_bigger_than_eligible_subtotal_is_capped() -> None:
    # given $100 off a courses code; only $25 of courses in the cart
    rule = fixed_rule(10_000, scope=DiscountScope.COURSES)
    lines = [line("a", 500), line("b", 2000), line("p", 9000, "program")]
    # when
    result = evaluate(rule, lines)
    # then
    assert result == DiscountApplied("AUTUMN15", 2500, "USD", {"a": 500, "b": 2000}, 2500)


def test_zero_decimal_currency_jpy() -> None:
    # given 12.5% of ¥1,234 + ¥5,678 = ¥864 exactly
    rule = make_rule(percent_bps=1250)
    lines = [line("a", 1234, currency="JPY"), line("b", 5678, currency="JPY")]
    # when
    result = evaluate(rule, lines)
    # then shares 154.25 and 709.75
    assert result == DiscountApplied("AUTUMN15", 864, "JPY", {"a": 154, "b": 710}, 6912)


def test_jpy_minimum_message_has_no_decimals() -> None:
    # given
    rule = fixed_rule(500, currency="JPY", min_purchase=5000)
    # when
    result = evaluate(rule, [line("a", 4999, currency="JPY")])
    # then
    assert result == DiscountRefused(
        "AUTUMN15", FailureReason.BELOW_MINIMUM, "This code needs a minimum purchase of ¥5,000."
    )


# --- definition validation ------------------------------------------------------------


def definition(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "code": " autumn-15 ",
        "kind": DiscountKind.PERCENTAGE,
        "percent_bps": 1500,
        "amount_off": 0,
        "currency": None,
        "scope": DiscountScope.ALL,
        "listed_items": frozenset(),
        "valid_from": START,
        "valid_until": END,
        "max_uses": None,
        "max_uses_per_user": None,
        "min_purchase": 0,
    }
    return base | overrides


def test_valid_definition_returns_normalised_code() -> None:
    # given
    fields = definition()
    # when
    result = validate_code_definition(**fields)
    # then
    assert result == "AUTUMN-15"


def test_valid_fixed_listed_definition() -> None:
    # given
    fields = definition(
        code="Course_Promo",
        kind=DiscountKind.FIXED,
        percent_bps=0,
        amount_off=500,
        currency="usd",
        scope=DiscountScope.LISTED,
        listed_items=frozenset({("course", 3)}),
        max_uses=10,
        max_uses_per_user=10,
        min_purchase=1000,
        valid_until=None,
    )
    # when
    result = validate_code_definition(**fields)
    # then
    assert result == "COURSE_PROMO"


@pytest.mark.parametrize(
    ("overrides", "field", "code", "message"),
    [
        ({"code": "   "}, "code", "invalid_code", "Enter a code."),
        ({"code": "ab"}, "code", "invalid_code", None),
        ({"code": "-ABC"}, "code", "invalid_code", None),
        ({"code": "A" * 33}, "code", "invalid_code", None),
        ({"code": "SPRING 20"}, "code", "invalid_code", None),
        ({"code": "ÉTÉ2026"}, "code", "invalid_code", None),
        (
            {"percent_bps": 0},
            "percent",
            "percent_out_of_range",
            "A percentage discount is between 0.01% and 100%.",
        ),
        (
            {"percent_bps": 10_001},
            "percent",
            "percent_out_of_range",
            "A percentage discount is between 0.01% and 100%.",
        ),
        (
            {"kind": DiscountKind.FIXED, "amount_off": 0, "currency": "USD"},
            "amount_off",
            "amount_must_be_positive",
            "A fixed discount must be more than zero.",
        ),
        (
            {"kind": DiscountKind.FIXED, "amount_off": 500, "currency": None},
            "currency",
            "invalid_currency",
            "Choose a currency.",
        ),
        (
            {"kind": DiscountKind.FIXED, "amount_off": 500, "currency": "ZZZ"},
            "currency",
            "invalid_currency",
            "Unknown currency 'ZZZ'.",
        ),
        (
            {"min_purchase": 5000, "currency": None},
            "currency",
            "invalid_currency",
            "Choose a currency.",
        ),
        (
            {"valid_until": START},
            "valid_until",
            "window_inverted",
            "The end must be after the start.",
        ),
        (
            {"valid_until": START - timedelta(days=1)},
            "valid_until",
            "window_inverted",
            "The end must be after the start.",
        ),
        ({"max_uses": 0}, "max_uses", "invalid_limit", "A usage limit must be at least 1."),
        (
            {"max_uses_per_user": 0},
            "max_uses_per_user",
            "invalid_limit",
            "A usage limit must be at least 1.",
        ),
        (
            {"max_uses": 5, "max_uses_per_user": 6},
            "max_uses_per_user",
            "invalid_limit",
            "The per-person limit cannot be more than the total limit.",
        ),
        (
            {"min_purchase": -1},
            "min_purchase",
            "invalid_minimum",
            "The minimum purchase cannot be negative.",
        ),
        (
            {"scope": DiscountScope.LISTED, "listed_items": frozenset()},
            "items",
            "no_items_listed",
            "Choose at least one course or program.",
        ),
    ],
)
def test_invalid_definition_raises_domain_error(
    overrides: dict[str, Any], field: str, code: str, message: str | None
) -> None:
    # given
    fields = definition(**overrides)
    # when
    with pytest.raises(DomainError) as caught:
        validate_code_definition(**fields)
    # then
    assert caught.value.field == field
    assert caught.value.code == code
    if message is not None:
        assert caught.value.message == message


# --- properties ---------------------------------------------------------------------------

amounts = st.integers(min_value=0, max_value=10**7)
percentage_rules = st.integers(min_value=1, max_value=10_000).map(
    lambda bps: make_rule(percent_bps=bps)
)
fixed_rules = st.integers(min_value=1, max_value=10**8).map(lambda off: fixed_rule(off))


@given(
    line_amounts=st.lists(amounts, min_size=1, max_size=15),
    rule=st.one_of(percentage_rules, fixed_rules),
)
def test_discount_allocation_properties(line_amounts: list[int], rule: DiscountRule) -> None:
    # given
    lines = [line(f"k{i}", amount, item_id=i) for i, amount in enumerate(line_amounts)]
    # when
    result = evaluate(rule, lines)
    again = evaluate(rule, lines)
    # then
    assert result == again
    if not any(line_amounts):
        assert refused_reason(result) is FailureReason.NOT_APPLICABLE
        return
    assert isinstance(result, DiscountApplied)
    by_key = {ln.key: ln.amount for ln in lines}
    assert set(result.per_line) == {ln.key for ln in lines if ln.amount > 0}
    assert sum(result.per_line.values()) == result.total
    assert result.eligible_subtotal == sum(line_amounts)
    assert 0 <= result.total <= result.eligible_subtotal
    for key, part in result.per_line.items():
        assert 0 <= part <= by_key[key]
    if rule.kind is DiscountKind.FIXED:
        assert result.total == min(rule.amount_off, result.eligible_subtotal)
    else:
        assert result.total == (result.eligible_subtotal * rule.percent_bps + 5000) // 10_000
