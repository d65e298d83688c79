"""Discount codes: definition checks and a pure evaluator for a priced cart.

Money is integer minor units throughout; the discount is split over the eligible
lines with :func:`commerce_dash.domain.money.allocate` so the parts sum exactly.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from commerce_dash.domain.clock import ensure_utc
from commerce_dash.domain.errors import DomainError
from commerce_dash.domain.money import allocate, format_minor, is_known_currency
from commerce_dash.domain.percent import BPS, PercentError, parse_percent
from commerce_dash.domain.pricing import ItemType

__all__ = [
    "DiscountApplied",
    "DiscountKind",
    "DiscountRefused",
    "DiscountRule",
    "DiscountScope",
    "FailureReason",
    "ItemType",
    "PricedLine",
    "evaluate_discount",
    "normalise_code",
    "validate_code_definition",
]

_CODE_RE = re.compile(r"[A-Z0-9][A-Z0-9_-]{2,31}", re.ASCII)
_FULL_BPS = 10_000


class DiscountKind(StrEnum):
    PERCENTAGE = "percentage"
    FIXED = "fixed"


class DiscountScope(StrEnum):
    ALL = "all"
    COURSES = "courses"
    PROGRAMS = "programs"
    SUBSCRIPTIONS = "subscriptions"
    LISTED = "listed"


class FailureReason(StrEnum):
    UNKNOWN = "unknown"
    INACTIVE = "inactive"
    NOT_YET_VALID = "not_yet_valid"
    EXPIRED = "expired"
    USED_UP = "used_up"
    USED_UP_FOR_USER = "used_up_for_user"
    NOT_APPLICABLE = "not_applicable"
    BELOW_MINIMUM = "below_minimum"


# What a learner is told about a code that cannot be used: one answer whether it does not
# exist or exists but is off, not yet or no longer valid, or used up, so trying codes teaches
# nothing. Rules about the cart itself (what it covers, the minimum) are said plainly.
UNUSABLE = "This code isn't valid, or can no longer be used."
_UNUSABLE = frozenset({FailureReason.UNKNOWN, FailureReason.INACTIVE,
                       FailureReason.NOT_YET_VALID, FailureReason.EXPIRED,
                       FailureReason.USED_UP, FailureReason.USED_UP_FOR_USER})


def learner_refusal(refused: DiscountRefused) -> tuple[str, str]:
    """(error code, message) a learner sees for a refused code."""
    if refused.reason in _UNUSABLE:
        return "code_invalid", UNUSABLE
    return f"code_{refused.reason.value}", refused.message


_SCOPE_ITEM_TYPE: dict[DiscountScope, ItemType] = {
    DiscountScope.COURSES: ItemType.COURSE,
    DiscountScope.PROGRAMS: ItemType.PROGRAM,
    DiscountScope.SUBSCRIPTIONS: ItemType.SUBSCRIPTION,
}


@dataclass(frozen=True)
class DiscountRule:
    """A stored discount code, as the evaluator needs it (code already normalised)."""

    code: str
    kind: DiscountKind
    percent_bps: int
    amount_off: int
    currency: str | None
    scope: DiscountScope
    listed_items: frozenset[tuple[str, int]]
    department_ids: frozenset[int] | None
    valid_from: datetime
    valid_until: datetime | None
    is_active: bool
    max_uses: int | None
    max_uses_per_user: int | None
    min_purchase: int


@dataclass(frozen=True)
class PricedLine:
    """One cart line with its price in minor units."""

    key: str
    item_type: str
    item_id: int
    department_id: int
    amount: int
    currency: str

    def __post_init__(self) -> None:
        if isinstance(self.amount, bool) or not isinstance(self.amount, int):
            raise TypeError(f"Line amount must be an int, got {type(self.amount).__name__}")
        if self.amount < 0:
            raise ValueError(f"Line amount must be >= 0, got {self.amount}")


@dataclass(frozen=True)
class DiscountApplied:
    """A code that applies: ``per_line`` sums exactly to ``total``."""

    code: str
    total: int
    currency: str
    per_line: dict[str, int]
    eligible_subtotal: int


@dataclass(frozen=True)
class DiscountRefused:
    """A code that does not apply, with a stable reason and a message for people."""

    code: str
    reason: FailureReason
    message: str


def normalise_code(raw: str) -> str:
    """Return the canonical form of a code: surrounding space stripped, upper-case."""
    return raw.strip().upper()


def _invalid(field: str, code: str, message: str) -> DomainError:
    return DomainError(code, message, field=field)


def validate_code_definition(
    *,
    code: str,
    kind: DiscountKind,
    percent_bps: int,
    amount_off: int,
    currency: str | None,
    scope: DiscountScope,
    listed_items: frozenset[tuple[str, int]] | set[tuple[str, int]],
    valid_from: datetime,
    valid_until: datetime | None,
    max_uses: int | None,
    max_uses_per_user: int | None,
    min_purchase: int,
) -> str:
    """Check a discount code an admin is creating or editing; return the normalised code.

    Raises ``DomainError`` (with ``field`` set to the form field) on the first problem.
    """
    normalised = normalise_code(code)
    if not normalised:
        raise _invalid("code", "invalid_code", "Enter a code.")
    if not _CODE_RE.fullmatch(normalised):
        raise _invalid(
            "code",
            "invalid_code",
            "A code is 3 to 32 letters, digits, hyphens or underscores, "
            "starting with a letter or digit.",
        )
    if kind is DiscountKind.PERCENTAGE and not 1 <= percent_bps <= _FULL_BPS:
        raise _invalid(
            "percent", "percent_out_of_range", "A percentage discount is between 0.01% and 100%."
        )
    if kind is DiscountKind.FIXED and amount_off <= 0:
        raise _invalid(
            "amount_off", "amount_must_be_positive", "A fixed discount must be more than zero."
        )
    needs_currency = kind is DiscountKind.FIXED or min_purchase > 0
    if (needs_currency or currency is not None) and not is_known_currency(currency):
        message = f"Unknown currency {currency!r}." if currency else "Choose a currency."
        raise _invalid("currency", "invalid_currency", message)
    if valid_until is not None and ensure_utc(valid_until) <= ensure_utc(valid_from):
        raise _invalid("valid_until", "window_inverted", "The end must be after the start.")
    if max_uses is not None and max_uses < 1:
        raise _invalid("max_uses", "invalid_limit", "A usage limit must be at least 1.")
    if max_uses_per_user is not None and max_uses_per_user < 1:
        raise _invalid("max_uses_per_user", "invalid_limit", "A usage limit must be at least 1.")
    if max_uses is not None and max_uses_per_user is not None and max_uses_per_user > max_uses:
        raise _invalid(
            "max_uses_per_user",
            "invalid_limit",
            "The per-person limit cannot be more than the total limit.",
        )
    if min_purchase < 0:
        raise _invalid(
            "min_purchase", "invalid_minimum", "The minimum purchase cannot be negative."
        )
    if scope is DiscountScope.LISTED and not listed_items:
        raise _invalid("items", "no_items_listed", "Choose at least one course or program.")
    return normalised


def _is_eligible(rule: DiscountRule, line: PricedLine) -> bool:
    if line.amount <= 0:
        return False
    if rule.scope is DiscountScope.LISTED:
        in_scope = (str(line.item_type), line.item_id) in rule.listed_items
    elif rule.scope is DiscountScope.ALL:
        in_scope = True
    else:
        in_scope = line.item_type == _SCOPE_ITEM_TYPE[rule.scope]
    return in_scope and (rule.department_ids is None or line.department_id in rule.department_ids)


def _cart_currency(lines: Sequence[PricedLine]) -> str:
    currencies = {line.currency.strip().upper() for line in lines}
    if len(currencies) != 1:
        raise ValueError(f"All cart lines must share one currency, got {sorted(currencies)}")
    return currencies.pop()


def _day(value: datetime) -> str:
    return ensure_utc(value).date().isoformat()


def evaluate_discount(
    rule: DiscountRule | None,
    *,
    code: str,
    lines: Sequence[PricedLine],
    at: datetime,
    uses_so_far: int,
    uses_by_user: int,
    locale: str = "en_US",
) -> DiscountApplied | DiscountRefused:
    """Apply ``rule`` (looked up by ``code``; ``None`` if not found) to a priced cart at ``at``.

    Checks run in a fixed order and the first failure is returned as ``DiscountRefused``.
    On success the discount is allocated over the eligible lines (largest remainder),
    never exceeding a line's amount. Raises ``ValueError`` if the cart mixes currencies.
    """
    shown = normalise_code(code)

    def refuse(reason: FailureReason, message: str) -> DiscountRefused:
        return DiscountRefused(code=shown, reason=reason, message=message)

    if rule is None:
        return refuse(FailureReason.UNKNOWN, "This code doesn't exist.")
    if not rule.is_active:
        return refuse(FailureReason.INACTIVE, "This code is no longer active.")
    now = ensure_utc(at)
    if now < ensure_utc(rule.valid_from):
        return refuse(
            FailureReason.NOT_YET_VALID, f"This code is valid from {_day(rule.valid_from)}."
        )
    if rule.valid_until is not None and now >= ensure_utc(rule.valid_until):
        return refuse(FailureReason.EXPIRED, f"This code expired on {_day(rule.valid_until)}.")
    if rule.max_uses is not None and uses_so_far >= rule.max_uses:
        return refuse(FailureReason.USED_UP, "This code has reached its usage limit.")
    if rule.max_uses_per_user is not None and uses_by_user >= rule.max_uses_per_user:
        return refuse(
            FailureReason.USED_UP_FOR_USER, "You have already used this code as often as allowed."
        )
    eligible = [line for line in lines if _is_eligible(rule, line)]
    if not eligible:
        return refuse(FailureReason.NOT_APPLICABLE, "This code doesn't apply to your cart.")

    currency = _cart_currency(lines)
    rule_currency = rule.currency.strip().upper() if rule.currency else None
    if (rule.kind is DiscountKind.FIXED or rule.min_purchase > 0) and rule_currency != currency:
        message = (
            f"This code only applies to purchases in {rule_currency}."
            if rule_currency
            else f"This code can't be used for purchases in {currency}."
        )
        return refuse(FailureReason.NOT_APPLICABLE, message)
    if sum(line.amount for line in lines) < rule.min_purchase:
        minimum = format_minor(rule.min_purchase, currency, locale)
        return refuse(
            FailureReason.BELOW_MINIMUM, f"This code needs a minimum purchase of {minimum}."
        )

    keys = [line.key for line in eligible]
    if len(set(keys)) != len(keys):
        raise ValueError("Cart line keys must be unique")
    eligible_subtotal = sum(line.amount for line in eligible)
    if rule.kind is DiscountKind.PERCENTAGE:
        total = (eligible_subtotal * rule.percent_bps + _FULL_BPS // 2) // _FULL_BPS
    else:
        total = rule.amount_off
    total = max(0, min(total, eligible_subtotal))
    parts = allocate(total, [line.amount for line in eligible])
    return DiscountApplied(
        code=rule.code,
        total=total,
        currency=currency,
        per_line=dict(zip(keys, parts, strict=True)),
        eligible_subtotal=eligible_subtotal,
    )


def percent_off(text: object) -> int:
    """The percentage of a percentage code as typed ('15', '12.5', '12,5 %') in basis points:
    more than 0, at most 100, at most two decimals."""
    try:
        return parse_percent(text, BPS, low_inclusive=False)
    except PercentError as exc:
        if exc.reason == "out_of_range":
            raise DomainError("percent_out_of_range",
                              "A percentage is more than 0 and at most 100.",
                              field="percent") from None
        message = ("Use at most two decimals." if exc.reason == "too_precise"
                   else "Enter a percentage like 15 or 12.5.")
        raise DomainError("invalid_percent", message, field="percent") from None
