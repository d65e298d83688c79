"""Sales tax rules: picking the rate for a line, computing a quote, validating admin input.

Everything is integers: amounts in minor units, rates in parts per million (ppm; 8.875 % is
88,750 ppm). The tax of a group of lines sharing one rate is rounded once, half up, to the
minor unit, then spread over those lines by largest-remainder allocation, so the per-line
amounts always sum exactly to the total.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from babel import Locale

from commerce_dash.domain.errors import DomainError
from commerce_dash.domain.money import allocate, currency_digits
from commerce_dash.domain.percent import PPM as PPM_SCALE
from commerce_dash.domain.percent import PercentError, parse_percent
from commerce_dash.domain.percent import percent_label as percent_label_of

__all__ = [
    "PPM",
    "RateRule",
    "TaxAddress",
    "TaxQuote",
    "TaxableLine",
    "allocate_tax",
    "country_options",
    "exempt_quote",
    "manual_quote",
    "percent_label",
    "pick_rate",
    "rate_label",
    "tax_for_amount",
    "validate_country",
    "validate_label",
    "validate_rate_percent",
    "validate_region",
    "billing_region_code",
    "zero_quote",
]

PPM = 1_000_000  # parts per million in one whole (100 %)
LABEL_MAX = 80
REGION_MAX = 8
_REGION_RE = re.compile(r"[A-Z0-9]{1,8}", re.ASCII)
# Codes babel lists that are not countries: groupings, pseudo-locales, the unknown region and
# ISO's "exceptionally reserved" codes. XK (Kosovo) stays: payment processors accept it.
_NOT_COUNTRIES = frozenset(
    {"EU", "EZ", "UN", "QO", "XA", "XB", "ZZ", "AC", "CP", "CQ", "DG", "EA", "IC", "TA"}
)

NO_TAX_LABEL = "No tax"
EXEMPT_LABEL = "Tax exempt"


@dataclass(frozen=True)
class TaxAddress:
    """Where the buyer is: ISO 3166 alpha-2 country, optional region (state/province) and
    postal code. Values are stored trimmed and upper-cased (postal code trimmed only)."""

    country: str
    region: str = ""
    postal_code: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "country", (self.country or "").strip().upper())
        object.__setattr__(self, "region", (self.region or "").strip().upper())
        object.__setattr__(self, "postal_code", (self.postal_code or "").strip())


@dataclass(frozen=True)
class TaxableLine:
    """One cart or order line: ``amount`` is the line after discount, int minor units."""

    key: str
    item_type: str
    department_id: int | None
    amount: int


@dataclass(frozen=True)
class RateRule:
    """A configured rate: a country (``region`` empty) or one region of it, optionally only
    for one department's items."""

    country: str
    region: str
    department_id: int | None
    rate_ppm: int
    label: str = ""


@dataclass(frozen=True)
class TaxQuote:
    """The tax on a set of lines: ``per_line`` (by line key) sums exactly to ``total``."""

    total: int
    per_line: dict[str, int]
    label: str
    provider: str
    exempt: bool = False


# -- rates -----------------------------------------------------------------------------------


def pick_rate(
    rules: Iterable[RateRule], address: TaxAddress, department_id: int | None
) -> RateRule | None:
    """The rule for a line of ``department_id`` shipped to ``address``, or None.

    Precedence: department + region > department + country > region > country. Rules of
    another country never apply.
    """
    country, region = address.country, address.region
    best: RateRule | None = None
    best_rank = 0
    for rule in rules:
        if rule.country.upper() != country or not country:
            continue
        rule_region = rule.region.upper()
        if rule_region and rule_region != region:
            continue
        if rule.department_id is not None and rule.department_id != department_id:
            continue
        rank = (2 if rule.department_id is not None else 0) + (2 if rule_region else 1)
        if rank > best_rank:
            best, best_rank = rule, rank
    return best


def tax_for_amount(amount: int, rate_ppm: int) -> int:
    """``amount * rate`` rounded half up (away from zero) to a whole minor unit."""
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise TypeError("amount must be an int of minor units")
    if amount < 0:
        return -tax_for_amount(-amount, rate_ppm)
    return (amount * rate_ppm + PPM // 2) // PPM


def percent_label(rate_ppm: int) -> str:
    """A rate in ppm as a percent without trailing zeros: 88750 -> '8.875', 200000 -> '20'."""
    return percent_label_of(rate_ppm, PPM_SCALE)


def rate_label(rule: RateRule) -> str:
    """How a quote names a rate: 'Sales tax 8.875% (US-NY)'."""
    scope = f"{rule.country}-{rule.region}" if rule.region else rule.country
    return f"{rule.label.strip() or 'Tax'} {percent_label(rule.rate_ppm)}% ({scope})"


def _check_lines(lines: Sequence[TaxableLine]) -> None:
    keys = [line.key for line in lines]
    if len(set(keys)) != len(keys):
        raise ValueError(f"Line keys must be unique, got {keys}")
    for line in lines:
        if isinstance(line.amount, bool) or not isinstance(line.amount, int):
            raise TypeError(f"Line {line.key} amount must be an int of minor units")
        if line.amount < 0:
            raise ValueError(f"Line {line.key} amount cannot be negative")


def zero_quote(lines: Sequence[TaxableLine], label: str, provider: str) -> TaxQuote:
    """No tax on any line."""
    return TaxQuote(0, {line.key: 0 for line in lines}, label, provider, False)


def exempt_quote(lines: Sequence[TaxableLine], provider: str) -> TaxQuote:
    """The quote of a tax-exempt buyer: zero everywhere, flagged exempt."""
    return TaxQuote(0, {line.key: 0 for line in lines}, EXEMPT_LABEL, provider, True)


def manual_quote(
    lines: Sequence[TaxableLine],
    address: TaxAddress,
    rules: Iterable[RateRule],
    currency: str,
    exempt: bool,
    provider: str = "manual",
) -> TaxQuote:
    """Tax from the configured rate table.

    Lines are grouped by the rule that applies to them; each group's tax is
    ``round_half_up(sum(amounts) * ppm / 1e6)`` and is allocated over the group's lines in
    proportion to their amounts.
    """
    currency_digits(currency)  # refuses unknown codes
    _check_lines(lines)
    if exempt:
        return exempt_quote(lines, provider)
    rules = list(rules)
    groups: dict[RateRule, list[TaxableLine]] = {}
    for line in lines:
        rule = pick_rate(rules, address, line.department_id)
        if rule is not None and rule.rate_ppm > 0:
            groups.setdefault(rule, []).append(line)
    per_line = {line.key: 0 for line in lines}
    labels: list[str] = []
    for rule, members in groups.items():
        base = sum(line.amount for line in members)
        if base == 0:
            continue
        tax = tax_for_amount(base, rule.rate_ppm)
        for line, part in zip(
            members, allocate(tax, [line.amount for line in members]), strict=True
        ):
            per_line[line.key] = part
        label = rate_label(rule)
        if label not in labels:
            labels.append(label)
    total = sum(per_line.values())
    return TaxQuote(total, per_line, ", ".join(labels) or NO_TAX_LABEL, provider, False)


def allocate_tax(
    total: int, lines: Sequence[TaxableLine], per_line: Mapping[str, int] | None = None
) -> dict[str, int]:
    """Spread a provider's ``total`` over ``lines`` so the parts sum exactly to it.

    When the provider gave per-line amounts (``per_line``) that already sum to ``total`` they
    are kept; otherwise the total is allocated in proportion to them (or, if they are all zero
    or missing, in proportion to the line amounts; equally when every amount is zero).
    """
    if isinstance(total, bool) or not isinstance(total, int):
        raise TypeError("total must be an int of minor units")
    _check_lines(lines)
    if not lines:
        if total:
            raise ValueError("Cannot spread tax over no lines")
        return {}
    given = [int((per_line or {}).get(line.key, 0)) for line in lines]
    same_sign = all(g == 0 or (g > 0) == (total > 0) for g in given)
    if per_line is not None and sum(given) == total and same_sign:
        return {line.key: g for line, g in zip(lines, given, strict=True)}
    weights = [abs(g) for g in given]
    if not any(weights):
        weights = [line.amount for line in lines]
    if not any(weights):
        weights = [1] * len(lines)
    return {line.key: part for line, part in zip(lines, allocate(total, weights), strict=True)}


# -- admin input -----------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _countries() -> dict[str, str]:
    territories = Locale("en").territories
    return {
        code: str(name)
        for code, name in territories.items()
        if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES
    }


def country_options() -> list[tuple[str, str]]:
    """(code, English name) of every country, sorted by name, for pickers."""
    return sorted(_countries().items(), key=lambda item: item[1])


def validate_country(text: str) -> str:
    """An ISO 3166 alpha-2 country code, upper-cased, or ``invalid_country``."""
    code = (text or "").strip().upper()
    if not code:
        raise DomainError("country_required", "Choose a country.", field="country")
    if code not in _countries():
        raise DomainError(
            "invalid_country",
            f"{text.strip()!r} is not a country code; use two letters like US or GB.",
            field="country",
        )
    return code


def validate_region(text: str) -> str:
    """A region (state/province) code: empty for the whole country, else up to 8 letters or
    digits, upper-cased."""
    code = (text or "").strip().upper()
    if code and not _REGION_RE.fullmatch(code):
        raise DomainError(
            "invalid_region",
            f"Use up to {REGION_MAX} letters or digits for the region, like NY or ON, "
            "or leave it empty for the whole country.",
            field="region",
        )
    return code


# the states and provinces whose codes TaxJar and the rate table use (ISO 3166-2 without the
# country prefix): a learner may type the code or the name
_KNOWN_REGIONS: dict[str, dict[str, str]] = {
    "US": {
        "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California",
        "CO": "Colorado", "CT": "Connecticut", "DE": "Delaware", "DC": "District of Columbia",
        "FL": "Florida", "GA": "Georgia", "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois",
        "IN": "Indiana", "IA": "Iowa", "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana",
        "ME": "Maine", "MD": "Maryland", "MA": "Massachusetts", "MI": "Michigan",
        "MN": "Minnesota", "MS": "Mississippi", "MO": "Missouri", "MT": "Montana",
        "NE": "Nebraska", "NV": "Nevada", "NH": "New Hampshire", "NJ": "New Jersey",
        "NM": "New Mexico", "NY": "New York", "NC": "North Carolina", "ND": "North Dakota",
        "OH": "Ohio", "OK": "Oklahoma", "OR": "Oregon", "PA": "Pennsylvania",
        "RI": "Rhode Island", "SC": "South Carolina", "SD": "South Dakota", "TN": "Tennessee",
        "TX": "Texas", "UT": "Utah", "VT": "Vermont", "VA": "Virginia", "WA": "Washington",
        "WV": "West Virginia", "WI": "Wisconsin", "WY": "Wyoming", "PR": "Puerto Rico",
        "GU": "Guam", "VI": "U.S. Virgin Islands", "AS": "American Samoa",
        "MP": "Northern Mariana Islands",
    },
    "CA": {
        "AB": "Alberta", "BC": "British Columbia", "MB": "Manitoba", "NB": "New Brunswick",
        "NL": "Newfoundland and Labrador", "NS": "Nova Scotia", "NT": "Northwest Territories",
        "NU": "Nunavut", "ON": "Ontario", "PE": "Prince Edward Island", "QC": "Quebec",
        "SK": "Saskatchewan", "YT": "Yukon",
    },
}


def billing_region_code(country: str, text: str) -> str:
    """The buyer's state or province as its code. In the US and Canada it must be one of
    theirs, typed as the code or the name ('new york' -> 'NY'), so tax is never quietly
    missed for a misspelled state; elsewhere any short code. Empty stays empty."""
    typed = " ".join((text or "").split())
    known = _KNOWN_REGIONS.get((country or "").strip().upper())
    if not typed:
        return ""
    if known is not None:
        code = typed.upper()
        if code in known:
            return code
        by_name = {name.upper(): c for c, name in known.items()}
        if code in by_name:
            return by_name[code]
        what = "state" if country.strip().upper() == "US" else "province or territory"
        raise DomainError(
            "invalid_region",
            f"{typed[:40]!r} is not a {what} we know: use its two-letter code, like "
            f"{next(iter(known))}, or its full name.",
            field="billing_region",
        )
    code = typed.upper().replace(" ", "")
    if not _REGION_RE.fullmatch(code):
        raise DomainError("invalid_region", "Enter a state or region code, like NY.",
                          field="billing_region")
    return code


def validate_rate_percent(text: str) -> int:
    """A percent typed by an admin ('8.875', '20', '7.25%') as ppm (88750, 200000, 72500).

    Allows 0 to 100 with at most 4 decimals in the percent (6 as a fraction), so the stored
    value is a whole number of ppm.
    """
    cleaned = (text or "").strip().removesuffix("%").strip()
    if not cleaned:
        raise DomainError("rate_required", "Enter the tax rate in percent.", field="rate")
    try:
        ppm = parse_percent(cleaned, PPM_SCALE, high=Decimal("Infinity"))
    except PercentError as exc:
        if exc.reason == "too_precise" and Decimal(cleaned.replace(",", ".")) <= 100:
            raise DomainError(
                "rate_too_precise",
                "Use at most 4 decimal places for the percent (e.g. 8.8750).",
                field="rate",
            ) from None
        if exc.reason != "too_precise":
            raise DomainError("invalid_rate", "Enter the rate as a percent like 8.875.",
                              field="rate") from None
        ppm = PPM + 1  # over 100 and too precise: the range is the message
    if ppm > PPM:
        raise DomainError("rate_too_high", "A tax rate cannot exceed 100%.", field="rate")
    return ppm


def validate_label(text: str) -> str:
    """A rate's label ('Sales tax', 'VAT'): whitespace collapsed, at most 80 characters."""
    label = " ".join((text or "").split())
    if len(label) > LABEL_MAX:
        raise DomainError(
            "label_too_long", f"Keep the label under {LABEL_MAX + 1} characters.", field="label"
        )
    return label
