"""Subscription metrics of the revenue page and API: MRR, subscribers, trials converting,
churn and the figures of each plan, within the departments the actor may see.

- A subscription *pays* at a moment when it is active or past due then; MRR counts those
  only, each at its recurring price per month: (unit amount, less a ``forever`` discount) /
  the months of its interval. The parts are summed exactly (in twelfths of a month, integers)
  and rounded once, half to even, to minor units, per currency; never a float. Each plan's MRR
  is its share of that total (largest remainder), so the plan rows add up to it.
- Trials converting: of the trials that ended in the window (and by ``at``), those whose
  subscription paid a first invoice after the trial (by ``at``).
- Churn: of the subscriptions paying at the window's start, those cancelled in the window.
  Rates are basis points, rounded half to even, with the counts beside them.

The subscription table keeps a subscription's current status, not its history: at a moment
after its last change (``updated_at``) that status is taken as it is; before, the status is
worked out from its dates (created, trial end, first paying invoice, past due since, paused,
cancelled). Subscriptions are read as a few columns each and folded here.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from sqlalchemy import func, or_, select
from sqlmodel import Session, col

from commerce_dash.domain.actor import Actor
from commerce_dash.domain.clock import ensure_utc, utcnow
from commerce_dash.domain.ledger import TOTAL_BPS
from commerce_dash.domain.money import allocate
from commerce_dash.domain.pricing import Interval
from commerce_dash.domain.report_periods import check_period, period_bounds
from commerce_dash.domain.subscriptions import MONTHS, SubscriptionStatus
from commerce_dash.models.catalog import Department
from commerce_dash.models.subscriptions import Subscription, SubscriptionInvoice
from commerce_dash.services.revenue.revenue_reports import report_scope

S = SubscriptionStatus
PAYING = frozenset({S.ACTIVE, S.PAST_DUE})
TWELFTHS = math.lcm(*MONTHS.values())  # a common denominator of every interval's months
INTERVAL_ORDER = {interval.value: n for n, interval in enumerate(MONTHS)}


@dataclass(frozen=True)
class CurrencyAmount:
    currency: str
    amount: int  # minor units


@dataclass(frozen=True)
class Rate:
    """``count`` of ``of``; ``bps`` is count / of in basis points (None when ``of`` is 0)."""

    count: int
    of: int
    bps: int | None


@dataclass(frozen=True)
class PlanRow:
    """One plan: a department's subscriptions of one interval in one currency."""

    department_id: int
    department: str
    interval: str
    currency: str
    subscribers: int  # paying: active or past due
    trialing: int
    mrr: int  # minor units of ``currency``


@dataclass(frozen=True)
class SubscriptionMetrics:
    at: datetime
    start: date
    end: date  # inclusive (UTC days); the window is [start 00:00, the day after end 00:00)
    department_id: int | None
    mrr: tuple[CurrencyAmount, ...]  # one per currency with paying subscribers, by code
    subscribers: int  # paying at ``at``: active or past due
    past_due: int  # of them, past due
    trialing: int
    trials_converting: Rate  # converted of the trials ended in the window
    churn: Rate  # cancelled in the window of those paying at its start
    cancelled: int  # every cancellation in the window (trials and new ones too)
    plans: tuple[PlanRow, ...]

    def mrr_in(self, currency: str) -> int:
        return next((m.amount for m in self.mrr if m.currency == currency), 0)


# -- rules ------------------------------------------------------------------------------------


def monthly_twelfths(unit_amount: int, discount_amount: int, discount_duration: str,
                     interval: str) -> int:
    """A subscription's recurring price per month, in twelfths of a minor unit (exact): the
    unit amount less a ``forever`` discount (a ``once`` discount does not recur), spread over
    the months of its interval."""
    recurring = max(0, unit_amount - (discount_amount if discount_duration == "forever" else 0))
    return recurring * (TWELFTHS // MONTHS[Interval(interval)])


def round_twelfths(twelfths: int) -> int:
    """Twelfths of a minor unit rounded once, half to even, to minor units."""
    exact = Decimal(twelfths) / Decimal(TWELFTHS)  # a tie is exact; anything else is not one
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def rate(count: int, of: int) -> Rate:
    """``count`` of ``of`` in basis points, half to even."""
    if of <= 0:
        return Rate(count, of, None)
    bps = (Decimal(count * TOTAL_BPS) / Decimal(of)).quantize(Decimal(1), ROUND_HALF_EVEN)
    return Rate(count, of, int(bps))


@dataclass(frozen=True)
class _Sub:
    id: int
    department_id: int
    interval: str
    currency: str
    twelfths: int
    status: str
    created_at: datetime
    updated_at: datetime
    trial_ends_at: datetime | None
    cancelled_at: datetime | None
    paused_at: datetime | None
    past_due_since: datetime | None
    first_paid_at: datetime | None  # the first paying invoice (not a trial's)


def _before(moment: datetime | None, at: datetime) -> bool:
    return moment is not None and ensure_utc(moment) <= at


def status_at(sub: _Sub, at: datetime) -> SubscriptionStatus | None:
    """The subscription's status at ``at`` (None: not created yet); see the module's
    docstring."""
    if ensure_utc(sub.created_at) > at:
        return None
    current = SubscriptionStatus(sub.status)
    if ensure_utc(sub.updated_at) <= at:
        return current
    if _before(sub.cancelled_at, at):
        return S.CANCELLED
    if current is S.PAUSED and _before(sub.paused_at, at):
        return S.PAUSED
    if current is S.PAST_DUE and _before(sub.past_due_since, at):
        return S.PAST_DUE
    if sub.trial_ends_at is not None and at < ensure_utc(sub.trial_ends_at):
        return S.TRIALING
    if _before(sub.first_paid_at, at):
        return S.ACTIVE
    return S.INCOMPLETE


# -- reading ----------------------------------------------------------------------------------


def _subscriptions(session: Session, departments: frozenset[int] | None, until: datetime
                   ) -> list[_Sub]:
    sub, inv = Subscription, SubscriptionInvoice
    paying = or_(col(sub.trial_ends_at).is_(None), col(inv.amount_paid) > 0,
                 func.coalesce(col(inv.period_start), col(inv.paid_at))
                 >= col(sub.trial_ends_at))
    first_paid = (select(func.min(col(inv.paid_at)))
                  .where(col(inv.subscription_id) == col(sub.id), col(inv.status) == "paid",
                         col(inv.paid_at).is_not(None), paying)
                  .scalar_subquery())
    query = select(
        col(sub.id), col(sub.department_id), col(sub.interval), col(sub.currency),
        col(sub.unit_amount), col(sub.discount_amount), col(sub.discount_duration),
        col(sub.status), col(sub.created_at), col(sub.updated_at), col(sub.trial_ends_at),
        col(sub.cancelled_at), col(sub.paused_at), col(sub.past_due_since), first_paid,
    ).where(col(sub.created_at) <= until)
    if departments is not None:
        query = query.where(col(sub.department_id).in_(departments or {0}))
    out = []
    for i, dept, interval, currency, unit, off, duration, status, *times in (
            session.connection().execute(query).all()):
        created, updated, trial_ends, cancelled, paused, past_due, first = map(_utc, times)
        assert created is not None and updated is not None
        out.append(_Sub(i or 0, dept, interval, currency,
                        monthly_twelfths(unit, off, duration, interval), status, created,
                        updated, trial_ends, cancelled, paused, past_due, first))
    return out


def _utc(value: Any) -> datetime | None:
    """A timestamp as an aware UTC datetime (a subquery's comes back as the database has it)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return ensure_utc(value)


# -- the metrics ------------------------------------------------------------------------------


def subscription_figures(
    *, session: Session, actor: Actor | None, start: date, end: date,
    at: datetime | None = None, department_id: int | None = None,
) -> SubscriptionMetrics:
    """The subscription figures of the window ``start``..``end`` (UTC days, inclusive) and at
    the moment ``at`` (default: the window's end, or now if sooner), within the departments
    the actor may see (``department_id`` and its subdepartments when given)."""
    check_period(start, end)
    departments = report_scope(session=session, actor=actor, department_id=department_id)
    since, until = period_bounds(start, end)
    at = ensure_utc(at) if at is not None else min(until, utcnow())
    subs = _subscriptions(session, departments, max(at, until))
    now = {s.id: status_at(s, at) for s in subs}
    paying = [s for s in subs if now[s.id] in PAYING]
    trialing = [s for s in subs if now[s.id] is S.TRIALING]

    def in_window(moment: datetime | None) -> bool:
        return moment is not None and since <= moment < until and moment <= at

    ended = [s for s in subs if in_window(s.trial_ends_at)]
    converted = [s for s in ended if _before(s.first_paid_at, at)]
    at_start = [s for s in subs if status_at(s, since) in PAYING]
    churned = [s for s in at_start if in_window(s.cancelled_at)]
    mrr, plans = _mrr_and_plans(session, paying, trialing)
    return SubscriptionMetrics(
        at=at, start=start, end=end, department_id=department_id, mrr=mrr,
        subscribers=len(paying), past_due=sum(1 for s in paying if now[s.id] is S.PAST_DUE),
        trialing=len(trialing), trials_converting=rate(len(converted), len(ended)),
        churn=rate(len(churned), len(at_start)),
        cancelled=sum(1 for s in subs if in_window(s.cancelled_at)), plans=plans,
    )


def _mrr_and_plans(session: Session, paying: Iterable[_Sub], trialing: Iterable[_Sub]
                   ) -> tuple[tuple[CurrencyAmount, ...], tuple[PlanRow, ...]]:
    """MRR per currency (rounded once) and each plan's subscribers, trials and share of it."""
    Key = tuple[int, str, str]
    twelfths: dict[Key, int] = defaultdict(int)
    counts: dict[Key, list[int]] = defaultdict(lambda: [0, 0])
    for s in paying:
        key = (s.department_id, s.interval, s.currency)
        twelfths[key] += s.twelfths
        counts[key][0] += 1
    for s in trialing:
        counts[(s.department_id, s.interval, s.currency)][1] += 1
    names: dict[int, str] = {i or 0: name for i, name in session.connection().execute(
        select(col(Department.id), col(Department.name))
        .where(col(Department.id).in_({k[0] for k in counts} or {0}))).all()}
    mrr: list[CurrencyAmount] = []
    plan_mrr: dict[Key, int] = {}
    for currency in sorted({k[2] for k in twelfths}):
        keys = [k for k in twelfths if k[2] == currency]
        total = round_twelfths(sum(twelfths[k] for k in keys))
        weights = [twelfths[k] for k in keys]
        parts = allocate(total, weights) if sum(weights) > 0 else [0] * len(keys)
        plan_mrr |= dict(zip(keys, parts, strict=True))
        mrr.append(CurrencyAmount(currency, total))
    plans = sorted(
        (PlanRow(dept, names.get(dept, str(dept)), interval, currency, n, trials,
                 plan_mrr.get((dept, interval, currency), 0))
         for (dept, interval, currency), (n, trials) in counts.items()),
        key=lambda p: (p.department.lower(), INTERVAL_ORDER.get(p.interval, 9), p.currency))
    return tuple(mrr), tuple(plans)
