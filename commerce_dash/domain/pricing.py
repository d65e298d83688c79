"""Price windows: which price is in force, how a new price closes the old one, bundle savings."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from commerce_dash.domain.errors import DomainError, ErrorKind
from commerce_dash.domain.ledger import split_line
from commerce_dash.domain.money import format_minor, is_known_currency


class ItemType(StrEnum):
    COURSE = "course"
    PROGRAM = "program"
    SUBSCRIPTION = "subscription"  # the item is a department's subscription plan
    CREDIT_PACK = "credit_pack"  # session credits sold alone (issue 17)


class PriceType(StrEnum):
    ONE_TIME = "one_time"
    SUBSCRIPTION = "subscription"
    FREE = "free"


class Interval(StrEnum):
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    ANNUAL = "annual"


class PriceStatus(StrEnum):
    SCHEDULED = "scheduled"
    ACTIVE = "active"
    ENDED = "ended"
    DEACTIVATED = "deactivated"


@dataclass(frozen=True)
class PriceWindow:
    id: int
    amount: int
    currency: str
    effective_from: datetime
    effective_until: datetime | None
    deactivated: bool = False

    def covers(self, at: datetime) -> bool:
        """Whether the window includes ``at`` (from inclusive, until exclusive)."""
        return (
            not self.deactivated
            and self.effective_from <= at
            and (self.effective_until is None or at < self.effective_until)
        )


def price_in_force(prices: Iterable[PriceWindow], at: datetime) -> PriceWindow | None:
    """The price of an item at time ``at`` (for one currency), or None when it has none."""
    covering = [p for p in prices if p.covers(at)]
    return max(covering, key=lambda p: p.effective_from) if covering else None


def price_status(price: PriceWindow, now: datetime) -> PriceStatus:
    """How a price stands at ``now``."""
    if price.deactivated:
        return PriceStatus.DEACTIVATED
    if price.effective_from > now:
        return PriceStatus.SCHEDULED
    if price.effective_until is not None and price.effective_until <= now:
        return PriceStatus.ENDED
    return PriceStatus.ACTIVE


@dataclass(frozen=True)
class PricePlan:
    """What writing a new price does: the prices it closes, each with its new end."""

    closes: tuple[tuple[int, datetime], ...]


def _overlaps(a_from: datetime, a_until: datetime | None, b_from: datetime,
              b_until: datetime | None) -> bool:
    return (a_until is None or b_from < a_until) and (b_until is None or a_from < b_until)


def plan_new_price(
    existing: Sequence[PriceWindow],
    *,
    effective_from: datetime,
    effective_until: datetime | None,
    locale: str = "en_US",
) -> PricePlan:
    """Decide how a new window fits among the live prices of the same item and currency.

    An open-ended price that started before the new one is closed at the new start (so it
    becomes history); any other overlap is refused with the conflicting window named.
    """
    closes: list[tuple[int, datetime]] = []
    for price in existing:
        if price.deactivated:
            continue
        until = price.effective_until
        if until is None and price.effective_from < effective_from:
            closes.append((price.id, effective_from))
            until = effective_from
        if _overlaps(price.effective_from, until, effective_from, effective_until):
            ends = until.strftime("%Y-%m-%d %H:%M") if until else "open-ended"
            raise DomainError(
                "price_overlap",
                f"This window overlaps the price of "
                f"{format_minor(price.amount, price.currency, locale)} from "
                f"{price.effective_from.strftime('%Y-%m-%d %H:%M')} until {ends} UTC. "
                "Change the dates or deactivate that price first.",
                field="effective_from",
            )
    return PricePlan(tuple(closes))


def known_currency(currency: str) -> str:
    """``currency`` as the app writes it (trimmed, upper case); a DomainError
    ``invalid_currency`` for the currency field when the app does not know it (the one rule
    for a currency a person typed: an admin's price, a shopper's display currency)."""
    if not is_known_currency(currency):
        raise DomainError("invalid_currency", f"Unknown currency {currency!r}.",
                          field="currency")
    return currency.strip().upper()


def validate_price(
    *,
    item_type: ItemType,
    price_type: PriceType,
    amount: int,
    currency: str,
    interval: str,
    trial_days: int,
    effective_from: datetime,
    effective_until: datetime | None,
    now: datetime,
) -> str:
    """Check a new price's own fields; returns the normalised currency or raises."""
    currency = known_currency(currency)
    if price_type is PriceType.FREE:
        if amount != 0:
            raise DomainError("free_has_amount", "A free price has no amount.", field="amount")
    elif amount <= 0:
        raise DomainError("amount_must_be_positive", "A paid price must be more than zero.",
                          field="amount")
    is_plan = item_type is ItemType.SUBSCRIPTION
    if item_type is ItemType.CREDIT_PACK and price_type is not PriceType.ONE_TIME:
        raise DomainError("price_type_mismatch", "A credit pack has a one-time price.",
                          field="price_type")
    if is_plan != (price_type is PriceType.SUBSCRIPTION) and price_type is not PriceType.FREE:
        raise DomainError(
            "price_type_mismatch",
            "Subscription prices belong to department plans; courses and programs have "
            "one-time or free prices.",
            field="price_type",
        )
    if is_plan and interval not in Interval._value2member_map_:
        raise DomainError("interval_required", "Choose monthly, quarterly or annual.",
                          field="interval")
    if not is_plan and interval:
        raise DomainError("interval_not_allowed", "Only subscription plans have an interval.",
                          field="interval")
    if trial_days < 0 or trial_days > 365 or (trial_days and not is_plan):
        raise DomainError("invalid_trial", "Trial days apply to plans, 0 to 365.",
                          field="trial_days")
    if effective_until is not None and effective_until <= effective_from:
        raise DomainError("window_inverted", "The end must be after the start.",
                          field="effective_until")
    if effective_until is not None and effective_until <= now:
        raise DomainError("window_in_past", "The end is already past.", field="effective_until")
    return currency


@dataclass(frozen=True)
class BundleSavings:
    courses_total: int
    bundle_price: int
    savings: int
    currency: str

    @property
    def percent(self) -> int:
        """Savings as a whole percentage of the course total (rounded down)."""
        return self.savings * 100 // self.courses_total if self.courses_total else 0


def bundle_savings(
    course_prices: Sequence[tuple[str, int | None]], bundle_price: int, currency: str
) -> BundleSavings:
    """The saving of a bundle against its courses' prices in force (same currency).

    ``course_prices`` pairs each course's title with its price, None when it has none in
    this currency. Refused when a course has no price or the bundle is not cheaper.
    """
    missing = [title for title, amount in course_prices if amount is None]
    if missing:
        raise DomainError(
            "course_without_price",
            f"These courses have no {currency} price in force: {', '.join(missing)}.",
            field="amount",
        )
    total = sum(amount or 0 for _, amount in course_prices)
    if bundle_price >= total:
        raise DomainError(
            "bundle_not_cheaper",
            f"A bundle must cost less than its courses together "
            f"({format_minor(total, currency)}).",
            field="amount",
        )
    return BundleSavings(total, bundle_price, total - bundle_price, currency)


@dataclass(frozen=True)
class BundleForOwner:
    """A program offered to a learner who owns some of its courses."""

    amount: int  # what the learner pays: the bundle price less the owned courses' shares
    credit: int  # the owned courses' shares of the bundle price, taken off
    owned: tuple[int, ...]  # the courses already owned: not sold again


def bundle_for_owner(bundle_amount: int, course_prices: Sequence[tuple[int, int]],
                     owned: Iterable[int]) -> BundleForOwner:
    """The bundle price less what the owned courses are worth inside the bundle.

    ``course_prices`` pairs each course of the program (in its order) with its price in
    force, 0 when it has none. The bundle price is split over the courses by their prices
    with the ledger's largest-remainder rule, and the owned courses' parts are taken off, so
    what is charged is exactly the parts of the courses sold. Owning none changes nothing.
    """
    mine = set(owned)
    held = tuple(course for course, _ in course_prices if course in mine)
    if not held or not course_prices:
        return BundleForOwner(bundle_amount, 0, ())
    parts = split_line(bundle_amount, [price for _, price in course_prices])
    credit = sum(part for (course, _), part in zip(course_prices, parts, strict=True)
                 if course in mine)
    return BundleForOwner(bundle_amount - credit, credit, held)


# -- session credits a price gives (issue 17) -----------------------------------------------

MAX_CREDITS = 100  # of each kind on one price
MAX_CREDIT_EXPIRY_DAYS = 3_650
CREDIT_MINUTES = (30, 60)
_CREDIT_ITEMS = (ItemType.COURSE, ItemType.CREDIT_PACK)


@dataclass(frozen=True)
class PriceCredits:
    """The session credits one purchase at a price gives (all zero: none)."""

    private_credits: int = 0
    private_minutes: int = 60  # 30 or 60
    group_credits: int = 0
    expiry_days: int = 0  # 0: never expire

    @property
    def total(self) -> int:
        return self.private_credits + self.group_credits


def check_price_credits(private_credits: int, private_minutes: int, group_credits: int,
                        expiry_days: int, *, item_type: ItemType | None = None
                        ) -> PriceCredits:
    """A price's credits as they are stored, or a DomainError naming the field: 0 to 100
    credits of each kind, private sessions of 30 or 60 minutes, an expiry of 0 (never) to
    3,650 days. Only a course (its "package") or a credit pack gives credits, and a credit
    pack gives at least one (``item_type`` None: the item is not checked)."""
    for field, count in (("private_credits", private_credits),
                         ("group_credits", group_credits)):
        if isinstance(count, bool) or not 0 <= count <= MAX_CREDITS:
            raise DomainError("invalid_credit_count",
                              f"Enter 0 to {MAX_CREDITS} credits.", field=field)
    if private_credits and private_minutes not in CREDIT_MINUTES:
        raise DomainError("invalid_slot_length", "Private sessions last 30 or 60 minutes.",
                          field="private_minutes")
    if isinstance(expiry_days, bool) or not 0 <= expiry_days <= MAX_CREDIT_EXPIRY_DAYS:
        raise DomainError("invalid_credit_expiry", "Credits expire after 0 to 3,650 days.",
                          field="credit_expiry_days")
    credits = PriceCredits(private_credits, private_minutes if private_credits else 60,
                           group_credits, expiry_days if private_credits + group_credits else 0)
    if item_type is not None and credits.total and item_type not in _CREDIT_ITEMS:
        raise DomainError("credits_not_allowed", "Only a course's or a credit pack's price "
                          "gives session credits.", field="private_credits")
    if item_type is ItemType.CREDIT_PACK and not credits.total:
        raise DomainError("credits_required", "A credit pack's price gives at least one "
                          "private session or group class.", field="private_credits")
    return credits


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def describe_credits(private_credits: int, private_minutes: int, group_credits: int,
                     expiry_days: int) -> str:
    """What a purchase includes, for people ("" when no credits):
    "Includes 2 private sessions (60 min) and 1 group class, valid 90 days"."""
    parts = []
    if private_credits > 0:
        parts.append(f"{_count(private_credits, 'private session', 'private sessions')} "
                     f"({private_minutes} min)")
    if group_credits > 0:
        parts.append(_count(group_credits, "group class", "group classes"))
    if not parts:
        return ""
    valid = (f", valid {_count(expiry_days, 'day', 'days')}" if expiry_days > 0
             else ", never expiring")
    return f"Includes {' and '.join(parts)}{valid}"


def credit_refund_cap(line_total: int, total_credits: int, used_credits: int) -> int:
    """What of a credit-pack line can ever be refunded: its unused credits' share of what
    was paid, rounded down, ``floor(total * unused / credits)``; a used credit is not
    refundable (a line without credits: all of it)."""
    if total_credits <= 0:
        return line_total
    unused = max(0, total_credits - max(0, used_credits))
    return line_total * unused // total_credits


def check_credit_refund(amount: int, *, title: str, line_total: int, refunded: int,
                        total_credits: int, used_credits: int, money: str = "") -> int:
    """A refund of ``amount`` from a credit-pack line that already gave back ``refunded``:
    refused (409 ``credits_used``) above what its unused credits are worth, naming the used
    credits; returns what is still refundable of the line. With no credit used, more than
    is left of the line is the caller's ordinary over-refund."""
    left = max(0, credit_refund_cap(line_total, total_credits, used_credits) - refunded)
    if amount > left and used_credits > 0:
        raise DomainError(
            "credits_used",
            f"{title}: {used_credits} of its {total_credits} credits "
            f"{'is' if used_credits == 1 else 'are'} used and not refundable, so at most "
            f"{money or left} can be refunded for it.",
            field="amount", kind=ErrorKind.CONFLICT)
    return left
