"""Revenue ledger arithmetic (spec 001 "Revenue Tracking"): pure and exact.

- A sale splits an order line over its courses (a program line by the courses' prices,
  largest remainder), then each course's net (gross - processor fee) into platform, creator
  and instructor shares by basis points; the three always sum exactly to net.
- A refund writes reversals. A reversal of ``r`` out of an entry's gross ``G`` is computed as
  the difference of two cumulative allocations: (share of refunded-so-far + r) minus (share of
  refunded-so-far). However a line is refunded, in one piece or many, the reversals of a fully
  refunded entry cancel it exactly, field by field.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from commerce_dash.domain.errors import DomainError
from commerce_dash.domain.money import allocate
from commerce_dash.domain.percent import BPS, PercentError, parse_percent
from commerce_dash.domain.percent import percent_label as percent_label_of

TOTAL_BPS = 10_000


@dataclass(frozen=True)
class Shares:
    platform_bps: int
    creator_bps: int
    instructor_bps: int

    def as_list(self) -> list[int]:
        return [self.platform_bps, self.creator_bps, self.instructor_bps]


DEFAULT_SHARES = Shares(3000, 4000, 3000)  # the spec's example: 30 / 40 / 30


def bps_from_percent(text: str, field: str) -> int:
    """``"12.5"`` or ``"12,5 %"`` as 1250 basis points; exact, at most two decimals (the range
    is :func:`check_shares`'s)."""
    try:
        return parse_percent(text, BPS, low=Decimal("-Infinity"), high=Decimal("Infinity"))
    except PercentError:
        raise DomainError("invalid_share", "Shares are percentages with at most two decimals, "
                          "e.g. 30 or 12.5.", field=field) from None


def percent_label(bps: int) -> str:
    """1250 basis points as ``"12.5 %"``."""
    return f"{percent_label_of(bps, BPS)} %"


def check_shares(shares: Shares) -> Shares:
    """Refuse shares that are negative or do not sum to 100 %."""
    parts = shares.as_list()
    if any(p < 0 or p > TOTAL_BPS for p in parts):
        raise DomainError("invalid_share", "Each share is between 0 and 100 %.",
                          field="platform_bps")
    if sum(parts) != TOTAL_BPS:
        raise DomainError("shares_not_100", "The three shares must add up to exactly 100 % "
                          f"(they add up to {sum(parts) / 100:g} %).", field="platform_bps")
    return shares


@dataclass(frozen=True)
class Amounts:
    """The money fields of one ledger entry."""

    gross: int
    tax: int
    processor_fee: int
    platform: int
    creator: int
    instructor: int

    @property
    def net(self) -> int:
        return self.gross - self.processor_fee

    def negated(self) -> Amounts:
        return Amounts(-self.gross, -self.tax, -self.processor_fee, -self.platform,
                       -self.creator, -self.instructor)

    def minus(self, other: Amounts) -> Amounts:
        return Amounts(self.gross - other.gross, self.tax - other.tax,
                       self.processor_fee - other.processor_fee,
                       self.platform - other.platform, self.creator - other.creator,
                       self.instructor - other.instructor)


def split_net(net: int, shares: Shares) -> tuple[int, int, int]:
    """Platform, creator and instructor amounts of ``net`` (exact, largest remainder).

    A net of zero or below (a fee larger than a tiny sale) is split the same way; the
    weights never sum to zero because shares sum to 10,000.
    """
    check_shares(shares)
    platform, creator, instructor = allocate(net, shares.as_list())
    return platform, creator, instructor


def sale_amounts(gross: int, tax: int, fee: int, shares: Shares) -> Amounts:
    platform, creator, instructor = split_net(gross - fee, shares)
    return Amounts(gross, tax, fee, platform, creator, instructor)


def split_line(amount: int, weights: Sequence[int]) -> list[int]:
    """Split a line's amount over its courses by weight (their prices); equal when every
    weight is zero."""
    if not weights:
        raise ValueError("a line has at least one course")
    if sum(weights) <= 0:
        weights = [1] * len(weights)
    return allocate(amount, list(weights))


def processor_fee(charged: int, fee_bps: int, fee_fixed: int) -> int:
    """An estimated card fee: ``fee_bps`` of the charge (half up) plus a fixed part; never
    more than the charge, nothing on a free order."""
    if charged <= 0:
        return 0
    return min(charged, (charged * fee_bps + TOTAL_BPS // 2) // TOTAL_BPS + fee_fixed)


def _share_of(entry: Amounts, part: int, whole: int) -> Amounts:
    """Every field of ``entry`` scaled by part/whole, each field exact to the unit, with the
    three splits re-allocated so they sum to the scaled net."""
    if whole == 0:
        return Amounts(0, 0, 0, 0, 0, 0)
    gross = scale(entry.gross, part, whole)
    tax = part - gross  # ``part`` is of gross + tax: the two always add up to it
    fee = scale(entry.processor_fee, part, whole)
    if part == whole:
        return entry
    weights = [abs(entry.platform), abs(entry.creator), abs(entry.instructor)]
    net = gross - fee
    platform, creator, instructor = allocate(net, weights) if sum(weights) else (net, 0, 0)
    return Amounts(gross, tax, fee, platform, creator, instructor)


def scale(value: int, part: int, whole: int) -> int:
    """value * part / whole, rounded half away from zero."""
    numerator = value * part
    quotient, remainder = divmod(abs(numerator), whole)
    if remainder * 2 >= whole:
        quotient += 1
    return quotient if numerator >= 0 else -quotient


def reversal(entry: Amounts, refunded_before: int, refund: int, *,
             fee_kept: bool = False) -> Amounts:
    """The (negative) reversal of ``refund`` of an entry's gross+tax, after ``refunded_before``
    was already reversed. Reversals of a fully refunded entry sum to its exact negation.

    ``fee_kept``: the processor keeps its fee on a refund (Stripe, Razorpay, Square and
    Elavon publish so). The fee is then not reversed: the platform bears its share of it,
    so the splits still sum to the net (gross less the fee, which stays spent)."""
    paid = entry.gross + entry.tax
    if refund <= 0:
        raise DomainError("invalid_refund", "A refund is more than zero.", field="amount")
    if refunded_before < 0 or refunded_before + refund > paid:
        raise DomainError("over_refund", "That is more than is left to refund on this line.",
                          field="amount")
    after = _share_of(entry, refunded_before + refund, paid)
    before = _share_of(entry, refunded_before, paid)
    back = after.minus(before).negated()
    if not fee_kept:
        return back
    return Amounts(back.gross, back.tax, 0, back.platform + back.processor_fee, back.creator,
                   back.instructor)

