"""Currency conversion with exact decimals and one documented rounding rule.

A rate says how many units of the quote currency one unit of the base currency buys
(1 USD = 0.92 EUR is base USD, quote EUR, rate ``Decimal("0.92")``). Rates are positive
decimals with at most 10 decimal places, parsed with ``Decimal`` and stored as text.

The rounding rule (ADR-003, conversion at checkout):

1. Take the amount in minor units of the source currency.
2. Multiply exactly (no intermediate rounding) by the rate and by ``10 ** (d_to - d_from)``,
   where ``d`` is the number of minor-unit digits of each currency as babel reports them
   (JPY 0, USD 2, KWD 3). That is the exact value in minor units of the target currency.
3. Round once, to a whole minor unit, half to even (banker's rounding): ties go to the even
   unit so repeated conversions carry no upward bias.

Examples: 1999 US cents at 151.37 JPY is 3025.8863 yen -> 3026 yen; 1000 US cents at
0.3075 KWD is exactly 3075 fils; 125 yen at 0.0066 USD is 82.5 cents -> 82 (tie, to even),
375 yen at the same rate is 247.5 cents -> 248; 50 US cents at 0.01 EUR is 0.5 cent -> 0,
150 US cents is 1.5 cents -> 2.

Back to the settlement currency (``convert_back``, what a charge in the quote currency is
worth in the base currency at the same rate): the exact quotient ``amount / rate``, scaled by
the digits the other way, rounded once half to even (the quotient is computed to 60
significant digits, far past any minor unit).

Several lines are converted together (``convert_lines``): the sum is converted with the rule
above, then spread over the lines by largest-remainder allocation in proportion to their
source amounts, so the converted lines always add up exactly to the converted total and each
differs from its own rounded conversion by at most one minor unit.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import ROUND_HALF_EVEN, Context, Decimal, Inexact, InvalidOperation, localcontext

from commerce_dash.domain.errors import DomainError
from commerce_dash.domain.money import allocate, currency_digits

__all__ = [
    "MAX_RATE",
    "RATE_DECIMALS",
    "convert",
    "convert_back",
    "convert_lines",
    "parse_rate",
    "rate_text",
]

RATE_DECIMALS = 10
MAX_RATE = Decimal(1_000_000_000)
_RATE_RE = re.compile(r"\d+(?:\.\d+)?|\.\d+", re.ASCII)
# Wide enough for any amount times any allowed rate without rounding; Inexact trapped to prove it.
_EXACT = Context(prec=200, traps=[Inexact, InvalidOperation])


def _refuse(code: str, message: str) -> DomainError:
    return DomainError(code, message, field="rate")


def parse_rate(text: str | Decimal) -> Decimal:
    """An exchange rate typed by an admin or read from the table, as an exact Decimal.

    Refuses empty text, garbage, exponents, zero, negatives, more than 10 decimal places and
    values above one billion, with ``DomainError(field="rate")``.
    """
    if isinstance(text, Decimal):
        text = format(text, "f")
    if not isinstance(text, str):
        raise _refuse("invalid_rate", "Enter the rate as a number like 0.92.")
    cleaned = text.strip()
    if not cleaned:
        raise _refuse("rate_required", "Enter the exchange rate.")
    if cleaned.startswith("-"):
        raise _refuse("rate_not_positive", "An exchange rate must be greater than zero.")
    if not _RATE_RE.fullmatch(cleaned):
        raise _refuse("invalid_rate", "Enter the rate as a number like 0.92.")
    rate = Decimal(cleaned)
    if rate <= 0:
        raise _refuse("rate_not_positive", "An exchange rate must be greater than zero.")
    if rate > MAX_RATE:
        raise _refuse("rate_too_high", "That exchange rate is too large to be real.")
    exponent = rate.normalize().as_tuple().exponent
    assert isinstance(exponent, int)
    if -exponent > RATE_DECIMALS:
        raise _refuse(
            "rate_too_precise", f"Use at most {RATE_DECIMALS} decimal places for the rate."
        )
    return rate


def rate_text(rate: Decimal) -> str:
    """The canonical text of a rate: no exponent, no trailing zeros ('0.92', '151.37', '1')."""
    return format(rate.normalize(), "f")


def _check_amount(amount: object) -> int:
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise TypeError(f"Amounts are int minor units, got {type(amount).__name__}")
    return amount


def _check_rate(rate: object) -> Decimal:
    if not isinstance(rate, Decimal):
        raise TypeError(f"The rate must be a Decimal, got {type(rate).__name__}")
    if not rate.is_finite() or rate <= 0:
        raise ValueError(f"The rate must be a positive finite Decimal, got {rate}")
    return rate


def convert(amount: int, from_currency: str, to_currency: str, rate: Decimal) -> int:
    """``amount`` (minor units of ``from_currency``) in minor units of ``to_currency``.

    See the module docstring for the rule: exact product, scaled by the difference of
    minor-unit digits, rounded once half to even. Converting a currency to itself needs
    rate 1.
    """
    amount = _check_amount(amount)
    rate = _check_rate(rate)
    shift = currency_digits(to_currency) - currency_digits(from_currency)
    if from_currency.strip().upper() == to_currency.strip().upper() and rate != 1:
        raise ValueError(f"Converting {from_currency} to itself needs rate 1, got {rate}")
    with localcontext(_EXACT):
        exact = (Decimal(amount) * rate).scaleb(shift)
        return int(exact.to_integral_value(rounding=ROUND_HALF_EVEN))


def convert_lines(
    amounts: Sequence[int], from_currency: str, to_currency: str, rate: Decimal
) -> list[int]:
    """Convert several amounts so the results sum exactly to the converted sum.

    All amounts must be of one sign (all >= 0 or all <= 0). The total is converted with
    :func:`convert` and allocated over the lines in proportion to their source amounts.
    """
    values = [_check_amount(a) for a in amounts]
    total = convert(sum(values), from_currency, to_currency, rate)
    if not values:
        return []
    if all(v == 0 for v in values):
        return [0] * len(values)
    if any(v > 0 for v in values) and any(v < 0 for v in values):
        raise ValueError("convert_lines needs amounts of one sign")
    return allocate(total, [abs(v) for v in values])


_QUOTIENT = Context(prec=60, traps=[InvalidOperation])


def convert_back(amount: int, quote_currency: str, base_currency: str, rate: Decimal) -> int:
    """``amount`` in minor units of ``quote_currency`` expressed in ``base_currency``, where
    ``rate`` says 1 base unit buys ``rate`` quote units (the rate of :func:`convert`).

    ¥4,980 at 1 USD = 151.37 JPY is 3,289.952... cents -> 3290.
    """
    amount = _check_amount(amount)
    rate = _check_rate(rate)
    if quote_currency.strip().upper() == base_currency.strip().upper():
        if rate != 1:
            raise ValueError(f"Converting {quote_currency} to itself needs rate 1, got {rate}")
        return amount
    shift = currency_digits(base_currency) - currency_digits(quote_currency)
    with localcontext(_QUOTIENT):
        exact = (Decimal(amount) / rate).scaleb(shift)
        return int(exact.to_integral_value(rounding=ROUND_HALF_EVEN))
