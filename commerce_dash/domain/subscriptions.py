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
from datetime import datetime, timedelta
from enum import StrEnum

from commerce_dash.domain.clock import ensure_utc
from commerce_dash.domain.errors import DomainError, ErrorKind
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
