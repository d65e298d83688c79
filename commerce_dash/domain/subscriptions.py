"""Department subscriptions as rules: the lifecycle, billing periods, proration and dunning.

Pure functions of integers and UTC datetimes (no database, no processor): the services of
issue 16 build the plans, the processor calls and the renewal job on top of these.

- Lifecycle: ``incomplete`` (the first payment is pending) -> ``trialing`` or ``active``;
  ``active`` -> ``past_due`` (a renewal failed) -> ``active`` again (paid) or ``cancelled``;
  ``paused`` in between; ``cancelled`` is final. One table, as for orders and payments.
- Periods follow the billing anchor (the day the subscription started): monthly from Jan 31
  renews on Feb 28 (29), then Mar 31, never drifting to the 28th for good.
- Proration splits a period's price by the seconds used and unused; the two parts always sum
  to the price exactly (the unused part is rounded down: a learner is never credited more
  than they paid).
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from commerce_dash.domain.clock import ensure_utc
from commerce_dash.domain.errors import DomainError, ErrorKind
from commerce_dash.domain.money import allocate
from commerce_dash.domain.pricing import Interval


class SubscriptionStatus(StrEnum):
    INCOMPLETE = "incomplete"
    TRIALING = "trialing"
    ACTIVE = "active"
    PAST_DUE = "past_due"
    PAUSED = "paused"
    CANCELLED = "cancelled"


_S = SubscriptionStatus
_MOVES: dict[SubscriptionStatus, frozenset[SubscriptionStatus]] = {
    # the first payment succeeded, a trial began, or the learner walked away
    _S.INCOMPLETE: frozenset({_S.TRIALING, _S.ACTIVE, _S.CANCELLED}),
    # the trial ended paid or unpaid, or was paused or cancelled
    _S.TRIALING: frozenset({_S.ACTIVE, _S.PAST_DUE, _S.PAUSED, _S.CANCELLED}),
    _S.ACTIVE: frozenset({_S.PAST_DUE, _S.PAUSED, _S.CANCELLED}),
    # paid after a failure, or the grace period ran out
    _S.PAST_DUE: frozenset({_S.ACTIVE, _S.CANCELLED}),
    _S.PAUSED: frozenset({_S.ACTIVE, _S.CANCELLED}),
    _S.CANCELLED: frozenset(),
}
MONTHS: dict[Interval, int] = {Interval.MONTHLY: 1, Interval.QUARTERLY: 3, Interval.ANNUAL: 12}


def subscription_number(subscription_id: int) -> str:
    """The number people see and quote: SUB-000042."""
    return f"SUB-{subscription_id:06d}"


def parse_subscription_number(number: str) -> int | None:
    """The id behind ``SUB-000042`` (or a bare id), None when it is not one."""
    text = number.strip().upper().removeprefix("SUB-")
    if not text.isascii() or not text.isdigit() or len(text) > 10:
        return None
    value = int(text)
    return value if 0 < value < 2**31 else None


def can_move_subscription(current: str, target: str) -> bool:
    """Whether a subscription in ``current`` may move to ``target`` (staying put is not a
    move)."""
    return SubscriptionStatus(target) in _MOVES[SubscriptionStatus(current)]


def require_subscription_move(current: str, target: str) -> None:
    """Refuse a move the lifecycle does not allow, naming both states."""
    if not can_move_subscription(current, target):
        raise DomainError("invalid_subscription_move",
                          f"This subscription is {current}; it can't become {target}.",
                          kind=ErrorKind.CONFLICT)


def grants_access(status: str, *, now: datetime, grace_ends: datetime | None) -> bool:
    """Whether the subscriber may self-enroll now: trialing and active do; past due does
    until its grace period ends; paused, incomplete and cancelled do not."""
    current = SubscriptionStatus(status)
    if current in (_S.TRIALING, _S.ACTIVE):
        return True
    if current is _S.PAST_DUE:
        return grace_ends is not None and ensure_utc(now) < ensure_utc(grace_ends)
    return False


def add_months(moment: datetime, months: int) -> datetime:
    """``moment`` plus ``months`` calendar months, the day clamped to the month's last."""
    total = moment.month - 1 + months
    year, month = moment.year + total // 12, total % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def period_bounds(anchor: datetime, interval: Interval, index: int) -> tuple[datetime, datetime]:
    """The ``index``-th billing period (0 = the first) of a subscription anchored at
    ``anchor``: each period starts on the anchor's day of month (clamped), so a short month
    never moves the anchor for good."""
    if index < 0:
        raise ValueError("period index must be 0 or more")
    step = MONTHS[Interval(interval)]
    anchor = ensure_utc(anchor)
    return add_months(anchor, step * index), add_months(anchor, step * (index + 1))


def trial_end(start: datetime, trial_days: int) -> datetime | None:
    """When a trial of ``trial_days`` days started at ``start`` ends (None: no trial)."""
    if trial_days < 0:
        raise ValueError("trial days must be 0 or more")
    return ensure_utc(start) + timedelta(days=trial_days) if trial_days else None


def split_period(amount: int, start: datetime, end: datetime, at: datetime) -> tuple[int, int]:
    """``amount`` (minor units) of the period [start, end) split at ``at`` into (used,
    unused) by seconds; used + unused == amount, the unused part rounded down."""
    start, end, at = ensure_utc(start), ensure_utc(end), ensure_utc(at)
    if end <= start:
        raise ValueError("a period ends after it starts")
    if amount < 0:
        raise ValueError("amount must be 0 or more")
    total = int((end - start).total_seconds())
    left = int((end - min(max(at, start), end)).total_seconds())
    unused = amount * left // total
    return amount - unused, unused


def upgrade_charge(old_amount: int, new_amount: int, start: datetime, end: datetime,
                   at: datetime) -> int:
    """What an upgrade at ``at`` costs now: the new plan's unused part of the period less the
    old plan's unused part (the credit), never below zero (a downgrade waits for the period
    end instead)."""
    _, new_unused = split_period(new_amount, start, end, at)
    _, old_unused = split_period(old_amount, start, end, at)
    return max(0, new_unused - old_unused)


def retry_times(failed_at: datetime, grace_days: int, retry_days: Sequence[int]) -> list[datetime]:
    """When a failed renewal is tried again: ``retry_days`` after the failure, each inside the
    grace period, sorted, without repeats."""
    if grace_days < 0 or any(d <= 0 for d in retry_days):
        raise ValueError("grace days must be 0 or more and retry days more than 0")
    failed_at = ensure_utc(failed_at)
    return [failed_at + timedelta(days=d) for d in sorted(set(retry_days)) if d < grace_days]


def grace_end(failed_at: datetime, grace_days: int) -> datetime:
    """When a past-due subscription loses access if still unpaid."""
    return ensure_utc(failed_at) + timedelta(days=grace_days)


def resume_period_end(period_end: datetime, paused_at: datetime, resumed_at: datetime) -> datetime:
    """The period end after a pause: pushed back by the time spent paused (no charge for it)."""
    paused_at, resumed_at = ensure_utc(paused_at), ensure_utc(resumed_at)
    if resumed_at < paused_at:
        raise ValueError("a pause ends after it starts")
    return ensure_utc(period_end) + (resumed_at - paused_at)


# -- what each invoice charges ----------------------------------------------------------------


@dataclass(frozen=True)
class Charge:
    """One invoice's parts: list price, discount and tax; ``total`` is what is charged."""

    list_amount: int
    discount: int
    tax: int

    @property
    def total(self) -> int:
        return self.list_amount - self.discount + self.tax


@dataclass(frozen=True)
class PlanTerms:
    """What a subscriber pays per period: the plan's price, the code's discount (``once``:
    the first paid period only, ``forever``: every period) and the tax of a full-price
    period and of the first (discounted) one."""

    unit_amount: int
    discount: int = 0
    duration: str = ""  # once | forever | ""
    tax: int = 0
    first_tax: int = 0

    def __post_init__(self) -> None:
        if self.unit_amount <= 0 or not 0 <= self.discount <= self.unit_amount:
            raise ValueError("a plan costs more than 0 and a discount is at most its price")
        if self.duration not in ("", "once", "forever") or (self.discount and not self.duration):
            raise ValueError("a discount lasts once or forever")

    def first(self) -> Charge:
        """The first paid period (after a trial, or at once)."""
        return Charge(self.unit_amount, self.discount, self.first_tax if self.discount
                      else self.tax)

    def renewal(self) -> Charge:
        """Every later period."""
        if self.duration == "forever":
            return Charge(self.unit_amount, self.discount, self.first_tax)
        return Charge(self.unit_amount, 0, self.tax)


def invoice_parts(terms: PlanTerms, amount_paid: int, *, first: bool) -> Charge:
    """The parts of an invoice that charged ``amount_paid``: the first or renewal charge when
    it is exactly that; otherwise (a proration) the amount split between price and tax in the
    renewal's proportion, exactly, with no discount."""
    expected = terms.first() if first else terms.renewal()
    if amount_paid == expected.total:
        return expected
    if amount_paid < 0:
        raise ValueError("an invoice charges 0 or more")
    renewal = terms.renewal()
    net = renewal.list_amount - renewal.discount
    price, tax = allocate(amount_paid, [net, renewal.tax]) if renewal.tax else (amount_paid, 0)
    return Charge(price, 0, tax)


def is_upgrade(old_amount: int, old_interval: Interval, new_amount: int,
               new_interval: Interval) -> bool:
    """A plan change that costs more per period charged at once: a longer interval, or
    the same interval at a higher price. Upgrades apply now with proration; the others wait
    for the period end."""
    if MONTHS[new_interval] != MONTHS[old_interval]:
        return MONTHS[new_interval] > MONTHS[old_interval]
    return new_amount > old_amount
