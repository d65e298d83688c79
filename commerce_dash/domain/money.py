"""Money in integer minor units, exact allocation and locale-aware formatting.

Amounts are always ``int`` minor units (cents, yen, fils); ``float`` is never used.
Decimal is only used at the edges (parsing user input, formatting).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from babel.numbers import format_currency, get_currency_precision, is_currency

__all__ = [
    "CurrencyMismatch",
    "Money",
    "allocate",
    "currency_digits",
    "format_minor",
    "parse_major",
    "split_basis_points",
    "sum_money",
]

# ASCII digits only (re.ASCII: ``\d`` is [0-9], not "١" or "１"), optional thousands commas and
# one decimal point; no sign, "_", exponent, space inside, "NaN" or "Infinity".
_AMOUNT_RE = re.compile(r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|\.\d+", re.ASCII)
_MAX_AMOUNT_TEXT = 40
"""The longest amount read: far past any amount stored (the columns are 32-bit), and short
enough that a pasted wall of digits is the format message, not int()'s 4,300-digit limit."""


class CurrencyMismatch(ValueError):
    """Raised when two amounts in different currencies are combined or compared."""


def _normalise_currency(currency: str) -> str:
    if not isinstance(currency, str):
        raise TypeError(f"Currency must be a str ISO 4217 code, got {type(currency).__name__}")
    code = currency.strip().upper()
    if not is_currency(code):
        raise ValueError(
            f"Unknown currency code {currency!r}; expected an ISO 4217 code like 'USD'"
        )
    return code


def currency_digits(currency: str) -> int:
    """Return the number of minor-unit digits for an ISO 4217 code (JPY 0, USD 2, KWD 3).

    Raises ``ValueError`` for unknown codes; the code is case-insensitive.
    """
    return int(get_currency_precision(_normalise_currency(currency)))


def is_known_currency(currency: object) -> bool:
    """Whether ``currency`` is an ISO 4217 code the app knows (any case, spaces trimmed)."""
    if not isinstance(currency, str):
        return False
    try:
        currency_digits(currency)
    except ValueError:
        return False
    return True


def _check_int(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    return value


def _decimal_to_minor(value: Decimal, currency: str) -> int:
    """Convert a major-unit Decimal to minor units exactly, refusing lost precision."""
    if not value.is_finite():
        raise ValueError(f"Amount must be a finite number, got {value}")
    digits = currency_digits(currency)
    sign, digit_tuple, exponent = value.as_tuple()
    assert isinstance(exponent, int)
    coefficient = int("".join(map(str, digit_tuple)) or "0")
    shift = exponent + digits
    if shift >= 0:
        minor = coefficient * 10**shift
    else:
        minor, rest = divmod(coefficient, 10**-shift)
        if rest:
            places = "no decimal places" if digits == 0 else f"at most {digits} decimal places"
            raise ValueError(f"{_normalise_currency(currency)} amounts allow {places}, got {value}")
    return -minor if sign else minor


@dataclass(frozen=True)
class Money:
    """An exact amount of money: ``amount`` in integer minor units of ``currency``."""

    amount: int
    currency: str

    def __post_init__(self) -> None:
        _check_int(self.amount, "Money amount (minor units)")
        object.__setattr__(self, "currency", _normalise_currency(self.currency))

    @classmethod
    def zero(cls, currency: str) -> Money:
        """Return zero in ``currency``."""
        return cls(0, currency)

    @classmethod
    def from_decimal(cls, value: Decimal | str, currency: str) -> Money:
        """Build Money from a major-unit Decimal or string such as ``"19.99"``.

        Raises ``ValueError`` if the value has more (non-zero) decimals than the currency has.
        """
        if isinstance(value, float | bool):
            raise TypeError("Use Decimal or str for money, never float")
        if isinstance(value, str):
            try:
                value = Decimal(value.strip())
            except InvalidOperation:
                raise ValueError(f"Not a decimal amount: {value!r}") from None
        if not isinstance(value, Decimal):
            raise TypeError(f"Expected Decimal or str, got {type(value).__name__}")
        return cls(_decimal_to_minor(value, currency), currency)

    def to_decimal(self) -> Decimal:
        """Return the amount in major units as an exact Decimal (e.g. ``Decimal("19.99")``)."""
        digits = currency_digits(self.currency)
        digit_tuple = tuple(int(c) for c in str(abs(self.amount)))
        return Decimal((1 if self.amount < 0 else 0, digit_tuple, -digits))

    def is_zero(self) -> bool:
        """Return True if the amount is zero."""
        return self.amount == 0

    def _same_currency(self, other: Money) -> None:
        if self.currency != other.currency:
            raise CurrencyMismatch(f"Cannot combine {self.currency} and {other.currency} amounts")

    def __add__(self, other: object) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._same_currency(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: object) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._same_currency(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same_currency(other)
        return self.amount < other.amount

    def __le__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same_currency(other)
        return self.amount <= other.amount

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same_currency(other)
        return self.amount > other.amount

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same_currency(other)
        return self.amount >= other.amount

    def allocate(self, weights: Sequence[int]) -> list[Money]:
        """Split this amount proportionally to ``weights``; the parts sum exactly to it."""
        return [Money(part, self.currency) for part in allocate(self.amount, weights)]

    def format(self, locale: str = "en_US") -> str:
        """Format for display with babel, e.g. ``"$19.99"`` or ``"¥1,000"``."""
        return str(format_currency(self.to_decimal(), self.currency, locale=locale))

    def __str__(self) -> str:
        return self.format()


def sum_money(items: Iterable[Money], currency: str) -> Money:
    """Sum Money items in ``currency``; an empty iterable gives zero.

    Raises ``CurrencyMismatch`` if any item is in another currency.
    """
    total = Money.zero(currency)
    for item in items:
        total = total + item
    return total


def allocate(total: int, weights: Sequence[int]) -> list[int]:
    """Split integer ``total`` into parts proportional to ``weights`` (largest remainder).

    Parts always sum exactly to ``total``; each differs from its exact share by less
    than one unit. Leftover units go to the largest remainders, ties to the lowest
    index. A negative total is allocated as its absolute value and negated.
    Weights must be non-negative ints with at least one positive; zero weights get 0.
    """
    _check_int(total, "total")
    weights = [_check_int(w, "weight") for w in weights]
    if not weights:
        raise ValueError("allocate needs at least one weight")
    if any(w < 0 for w in weights):
        raise ValueError(f"Weights must be non-negative, got {weights}")
    weight_sum = sum(weights)
    if weight_sum == 0:
        raise ValueError("At least one weight must be positive")
    if total < 0:
        parts = [-part for part in allocate(-total, weights)]
    else:
        shares = [divmod(total * w, weight_sum) for w in weights]
        parts = [quotient for quotient, _ in shares]
        leftover = total - sum(parts)
        by_remainder = sorted(
            (i for i, w in enumerate(weights) if w > 0), key=lambda i: (-shares[i][1], i)
        )
        for i in by_remainder[:leftover]:
            parts[i] += 1
    assert sum(parts) == total
    return parts


def split_basis_points(total: int, bps: Sequence[int]) -> list[int]:
    """Split ``total`` by basis points (which must sum to 10,000) using :func:`allocate`."""
    bps = list(bps)
    if sum(bps) != 10_000:
        raise ValueError(f"Basis points must sum to 10000, got {sum(bps)}")
    return allocate(total, bps)


def format_minor(amount: int, currency: str, locale: str = "en_US") -> str:
    """Format an amount in minor units, e.g. ``format_minor(1999, "USD") == "$19.99"``."""
    return Money(amount, currency).format(locale)


def parse_major(text: str, currency: str) -> int:
    """Parse user input like ``"19.99"``, ``"1,000"`` or ``" 20 "`` into minor units.

    Raises ``ValueError`` with a message fit for the user on garbage, negative amounts
    or more decimals than the currency allows.
    """
    digits = currency_digits(currency)
    example = "1000" if digits == 0 else "19." + "9" * digits
    if not isinstance(text, str):
        raise ValueError(f"Enter an amount like {example}")
    cleaned = text.strip()
    if cleaned.startswith("-"):
        raise ValueError("Amount cannot be negative")
    if len(cleaned) > _MAX_AMOUNT_TEXT or not _AMOUNT_RE.fullmatch(cleaned):
        raise ValueError(f"Enter an amount like {example}")
    return _decimal_to_minor(Decimal(cleaned.replace(",", "")), currency)
