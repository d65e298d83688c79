"""Reconciliation: what the processor captured and refunded, day by day, against the ledger,
and the itemised gaps between orders, registrations, refunds and ledger rows.

Billing and super-admins only: it spans every department. Days are UTC days. Every figure is a
GROUP BY in the database; the problem lists are anti-joins limited to ``PROBLEM_LIMIT`` each.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, literal_column, select
from sqlmodel import Session, col

from commerce_dash.domain.access import RoleName
from commerce_dash.domain.actor import Actor, require_section
from commerce_dash.domain.errors import DomainError, ErrorKind
from commerce_dash.domain.money import Money
from commerce_dash.domain.orders import order_number
from commerce_dash.models.commerce import Order, OrderLine, Payment, RefundRequest
from commerce_dash.models.enrollment import Registration
from commerce_dash.models.revenue import LedgerEntry
from commerce_dash.models.subscriptions import SubscriptionInvoice
from commerce_dash.settings import get_settings

SECTION = "revenue"
PROBLEM_LIMIT = 100
PAID_ORDER = ("completed", "partially_refunded", "refunded", "disputed")
CAPTURED_PAYMENT = ("succeeded", "partially_refunded", "refunded")
REGISTERED_ITEMS = ("course", "program")

PROBLEM_LABELS = {
    "order_without_ledger": "Paid order without ledger sale",
    "order_without_registration": "Paid order without registration",
    "registration_unpaid": "Registration of an unpaid order",
    "refund_without_reversal": "Refund paid without ledger reversal",
    "paid_not_enrolled": "Paid, not enrolled, not yet refunded",
    "invoice_without_order": "Paid subscription invoice without order",
    "invoice_order_mismatch": "Subscription invoice and its order differ",
    "invoice_ledger_mismatch": "Subscription order and its ledger sale differ",
}


@dataclass(frozen=True)
class DayFigures:
    """One UTC day, minor units. ``ledger_sales`` is gross + tax of sale rows and
    ``ledger_reversals`` the same of reversal rows, as a positive amount."""

    day: date
    captured: int = 0
    refunded: int = 0
    orders_completed: int = 0  # the totals of orders completed that day
    orders_count: int = 0
    ledger_sales: int = 0
    ledger_reversals: int = 0

    @property
    def mismatch(self) -> bool:
        return self.captured != self.ledger_sales or self.refunded != self.ledger_reversals


@dataclass(frozen=True)
class Problem:
    kind: str  # a key of PROBLEM_LABELS
    reference: str  # order number, registration id or refund request id
    detail: str
    amount: int
    at: datetime | None


@dataclass(frozen=True)
class Reconciliation:
    start: date
    end: date
    currency: str
    days: tuple[DayFigures, ...]  # days with any activity, in order
    problems: tuple[Problem, ...]
    truncated: bool = False  # a problem list hit PROBLEM_LIMIT

    @property
    def totals(self) -> DayFigures:
        return DayFigures(
            self.end,
            *(sum(getattr(d, f) for d in self.days) for f in (
                "captured", "refunded", "orders_completed", "orders_count", "ledger_sales",
                "ledger_reversals")),
        )

    @property
    def mismatched_days(self) -> int:
        return sum(1 for d in self.days if d.mismatch)

    @property
    def reconciles(self) -> bool:
        return not self.problems and not self.mismatched_days


def _require_billing(actor: Actor | None) -> Actor:
    actor = require_section(actor, SECTION)
    if not (actor.is_super_admin or RoleName.BILLING_ADMIN in actor.roles):
        raise DomainError("forbidden", "Reconciliation spans every department: billing and "
                          "super-admins only.", kind=ErrorKind.FORBIDDEN)
    return actor


def _day(dialect: str, column: Any) -> ColumnElement[Any]:
    """The UTC day. On Postgres the very expression the ledger's day statistics are on, so the
    planner knows there are few days and aggregates in parallel (see revenue_reports)."""
    if dialect == "postgresql":
        return func.date_trunc(literal_column("'day'"),
                               func.timezone(literal_column("'UTC'"), column))
    return func.date(column)


def _as_date(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _per_day(session: Session, column: Any, sums: list[ColumnElement[Any]],
             where: list[ColumnElement[bool]]) -> dict[date, tuple[int, ...]]:
    day = _day(session.get_bind().dialect.name, column)
    rows = session.connection().execute(
        select(day, *sums).where(and_(*where)).group_by(day)
    ).all()
    return {_as_date(r[0]): tuple(int(v or 0) for v in r[1:]) for r in rows}


def _problems(session: Session, since: datetime, until: datetime
              ) -> tuple[list[Problem], bool]:
    run = session.connection().execute
    problems: list[Problem] = []
    truncated = False

    def add(rows: Sequence[Any], make: Any) -> None:
        nonlocal truncated
        truncated = truncated or len(rows) > PROBLEM_LIMIT
        problems.extend(make(r) for r in rows[:PROBLEM_LIMIT])

    paid_in_period = and_(col(Order.status).in_(PAID_ORDER), col(Order.completed_at) >= since,
                          col(Order.completed_at) < until)
    order_cols = (col(Order.id), col(Order.created_at), col(Order.total),
                  col(Order.completed_at))
    no_sale = ~exists().where(col(LedgerEntry.order_id) == col(Order.id),
                              col(LedgerEntry.entry_type) == "sale")
    add(run(
        select(*order_cols).where(paid_in_period, no_sale)
        .order_by(col(Order.completed_at)).limit(PROBLEM_LIMIT + 1)).all(),
        lambda r: Problem("order_without_ledger", order_number(r[0], r[1]),
                          "Completed, but no sale was written to the revenue ledger.", r[2],
                          r[3]))
    registers = exists().where(col(OrderLine.order_id) == col(Order.id),
                               col(OrderLine.item_type).in_(REGISTERED_ITEMS))
    no_registration = ~exists().where(col(Registration.order_id) == col(Order.id))
    add(run(
        select(*order_cols).where(paid_in_period, registers, no_registration)
        .order_by(col(Order.completed_at)).limit(PROBLEM_LIMIT + 1)).all(),
        lambda r: Problem("order_without_registration", order_number(r[0], r[1]),
                          "Paid for courses, but no registration was created.", r[2], r[3]))
    add(run(
        select(col(Registration.id), col(Order.id), col(Order.created_at), col(Order.status),
               col(Registration.amount_paid), col(Registration.created_at))
        .join(Order, col(Order.id) == col(Registration.order_id))
        .where(col(Registration.created_at) >= since, col(Registration.created_at) < until,
               col(Order.status).not_in(PAID_ORDER))
        .order_by(col(Registration.created_at)).limit(PROBLEM_LIMIT + 1)).all(),
        lambda r: Problem("registration_unpaid", f"Registration {r[0]}",
                          f"Its order {order_number(r[1], r[2])} is {r[3]}.", r[4], r[5]))
    refunded = exists().where(col(RefundRequest.registration_id) == col(Registration.id),
                              col(RefundRequest.status) == "refunded")
    add(run(
        select(col(Registration.id), col(Order.id), col(Order.created_at),
               col(Registration.amount_paid), col(Registration.rejection_reason),
               col(Registration.updated_at))
        .join(Order, col(Order.id) == col(Registration.order_id))
        .where(col(Registration.kind) == "course", col(Registration.status) == "rejected",
               col(Registration.amount_paid) > 0, col(Order.status).in_(PAID_ORDER),
               col(Registration.updated_at) >= since, col(Registration.updated_at) < until,
               ~refunded)
        .order_by(col(Registration.updated_at)).limit(PROBLEM_LIMIT + 1)).all(),
        lambda r: Problem("paid_not_enrolled", f"Registration {r[0]}",
                          f"Paid in order {order_number(r[1], r[2])}, but rejected "
                          f"({r[4][:200]}) and not refunded yet.", r[3], r[5]))
    no_reversal = ~exists().where(col(LedgerEntry.refund_request_id) == col(RefundRequest.id))
    add(run(
        select(col(RefundRequest.id), col(Order.id), col(Order.created_at),
               col(RefundRequest.approved_amount), col(RefundRequest.amount),
               col(RefundRequest.refunded_at))
        .join(Order, col(Order.id) == col(RefundRequest.order_id))
        .where(col(RefundRequest.status) == "refunded",
               col(RefundRequest.refunded_at) >= since, col(RefundRequest.refunded_at) < until,
               no_reversal)
        .order_by(col(RefundRequest.refunded_at)).limit(PROBLEM_LIMIT + 1)).all(),
        lambda r: Problem("refund_without_reversal", f"Refund {r[0]}",
                          f"Paid back on order {order_number(r[1], r[2])}, but the ledger has "
                          "no reversal for it.", r[3] if r[3] is not None else r[4], r[5]))
    add(_invoice_rows(session, since, until), _invoice_problem)
    return problems, truncated


def _invoice_rows(session: Session, since: datetime, until: datetime) -> Sequence[Any]:
    """Subscription invoices paid in the period whose order is missing or not paid, differs
    from the invoice (amount or currency), or whose ledger sale (gross + tax) differs from the
    order's settlement worth. A missing sale is ``order_without_ledger``'s, not listed again."""
    inv = SubscriptionInvoice
    sale = (select(func.sum(col(LedgerEntry.gross) + col(LedgerEntry.tax)))
            .where(col(LedgerEntry.order_id) == col(Order.id),
                   col(LedgerEntry.entry_type) == "sale")
            .scalar_subquery())
    return session.connection().execute(
        select(col(inv.id), col(inv.processor_invoice_id), col(inv.amount_paid),
               col(inv.currency), col(inv.paid_at), col(Order.id), col(Order.created_at),
               col(Order.status), col(Order.total), col(Order.currency),
               col(Order.settlement_total), col(Order.settlement_currency), sale)
        .outerjoin(Order, col(Order.id) == col(inv.order_id))
        .where(col(inv.status) == "paid", col(inv.paid_at) >= since, col(inv.paid_at) < until,
               col(Order.id).is_(None) | col(Order.status).not_in(PAID_ORDER)
               | (col(Order.total) != col(inv.amount_paid))
               | (col(Order.currency) != col(inv.currency))
               | (sale != col(Order.settlement_total)))
        .order_by(col(inv.paid_at)).limit(PROBLEM_LIMIT + 1)).all()


def _invoice_problem(r: Any) -> Problem:
    (_, invoice, paid, currency, paid_at, order_id, created, status, total, order_currency,
     settlement_total, settlement_currency, ledger) = r
    reference = f"Invoice {invoice}"
    if order_id is None:
        return Problem("invoice_without_order", reference,
                       "Paid at the processor, but no order was recorded for it.", paid, paid_at)
    number = order_number(order_id, created)
    if status not in PAID_ORDER:
        return Problem("invoice_order_mismatch", reference,
                       f"Paid, but its order {number} is {status}.", paid, paid_at)
    if total != paid or order_currency != currency:
        return Problem("invoice_order_mismatch", reference,
                       f"Paid {_major(paid, currency)}, but its order {number} says "
                       f"{_major(total, order_currency)}.", paid, paid_at)
    return Problem("invoice_ledger_mismatch", reference,
                   f"Its order {number} is worth {_major(settlement_total, settlement_currency)}, "
                   f"but the ledger's sale records {_major(ledger, settlement_currency)}.", paid,
                   paid_at)


def _major(amount: int, currency: str) -> str:
    return f"{Money(int(amount), currency).to_decimal()} {currency}"


def reconciliation(
    *, session: Session, actor: Actor | None, start: date, end: date,
    currency: str | None = None,
) -> Reconciliation:
    """Per UTC day of the period: money captured and refunded at the processor, orders
    completed, and the ledger's sales and reversals (gross + tax); a day mismatches when
    captured differs from ledger sales or refunded from ledger reversals. Also lists paid orders
    without a ledger sale or a registration, registrations of unpaid orders, paid places
    rejected (by an admin or the LMS) and not yet refunded, paid refunds without a ledger
    reversal, and paid subscription invoices whose order is missing or differs from them or
    from its ledger sale."""
    _require_billing(actor)
    return reconcile(session=session, start=start, end=end, currency=currency)


def reconcile(
    *, session: Session, start: date, end: date, currency: str | None = None
) -> Reconciliation:
    """:func:`reconciliation` without an actor: for the daily job, which runs as the system
    and tells billing admins (``reconciliation_alerts``)."""
    if start > end:
        raise DomainError("invalid_period", "The first day must not be after the last day.",
                          field="start")
    currency = (currency or get_settings().settlement_currency).upper()
    since = datetime.combine(start, time.min, tzinfo=UTC)
    until = datetime.combine(end + timedelta(days=1), time.min, tzinfo=UTC)

    def within(column: Any) -> list[ColumnElement[bool]]:
        return [col(column) >= since, col(column) < until]

    # money in the settlement currency (ADR-003): an order charged in another currency counts
    # at the worth recorded when it was placed, a refund at what it reversed in the ledger
    captured = _per_day(session, Payment.processed_at, [func.sum(col(Order.settlement_total))], [
        *within(Payment.processed_at), col(Payment.status).in_(CAPTURED_PAYMENT),
        col(Order.id) == col(Payment.order_id), col(Order.settlement_currency) == currency])
    refunded = _per_day(session, RefundRequest.refunded_at,
                        [func.sum(func.coalesce(col(RefundRequest.settlement_amount),
                                                col(RefundRequest.approved_amount),
                                                col(RefundRequest.amount)))],
                        [*within(RefundRequest.refunded_at), col(RefundRequest.status) == "refunded",
                         col(Order.id) == col(RefundRequest.order_id),
                         col(Order.settlement_currency) == currency])
    orders = _per_day(session, Order.completed_at,
                      [func.sum(col(Order.settlement_total)), func.count()], [
        *within(Order.completed_at), col(Order.status).in_(PAID_ORDER),
        col(Order.settlement_currency) == currency])
    paid = col(LedgerEntry.gross) + col(LedgerEntry.tax)
    sale = col(LedgerEntry.entry_type) == "sale"
    ledger = _per_day(session, LedgerEntry.recorded_at, [
        func.sum(paid).filter(sale), -func.sum(paid).filter(~sale)], [
        *within(LedgerEntry.recorded_at), col(LedgerEntry.currency) == currency])
    days = sorted(set(captured) | set(refunded) | set(orders) | set(ledger))
    figures = tuple(
        DayFigures(
            day, captured.get(day, (0,))[0], refunded.get(day, (0,))[0],
            *orders.get(day, (0, 0)), *ledger.get(day, (0, 0)),
        )
        for day in days
    )
    problems, truncated = _problems(session, since, until)
    return Reconciliation(start, end, currency, figures, tuple(problems), truncated)
