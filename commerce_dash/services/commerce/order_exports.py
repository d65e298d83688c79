"""The orders and payments export for accounting (CSV and XLSX): one line per order with its
amounts, tax, discount, refunds, settlement worth, and its payment at the processor
(transaction, fee, when paid), with the same filters as the orders page (billing admins: the
orders section).

Money is exact: integer minor units written as the currency's major-unit decimal (an XLSX cell
holds the decimal's digits, formatted with its currency's digits and code); every amount has
its currency in a column beside it. Dates are UTC, ISO 8601. At most ``EXPORT_LIMIT`` orders;
a larger period is refused with a message (narrow the dates)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from commerce_dash.domain.actor import Actor, require_section
from commerce_dash.domain.errors import DomainError
from commerce_dash.domain.money import Money
from commerce_dash.domain.orders import order_number
from commerce_dash.models.accounts import User
from commerce_dash.models.commerce import Order, Payment
from commerce_dash.services.commerce.orders import _admin_filters
from commerce_dash.services.revenue import csv_bytes, file_word, xlsx_bytes

SECTION = "orders"
EXPORT_LIMIT = 50_000
# (header, kind): kind "text" or "money" (a Money cell in its own currency)
COLUMNS: tuple[tuple[str, str], ...] = (
    ("Order number", "text"),
    ("Placed (UTC)", "text"),
    ("Completed (UTC)", "text"),
    ("Order status", "text"),
    ("Payment status", "text"),
    ("Learner", "text"),
    ("Email", "text"),
    ("Billing country", "text"),
    ("Billing region", "text"),
    ("Currency", "text"),
    ("Subtotal", "money"),
    ("Discount", "money"),
    ("Discount code", "text"),
    ("Tax", "money"),
    ("Tax label", "text"),
    ("Total", "money"),
    ("Refunded", "money"),
    ("Settlement currency", "text"),
    ("Settlement total", "money"),
    ("Exchange rate", "text"),
    ("Processor", "text"),
    ("Transaction", "text"),
    ("Payment amount", "money"),
    ("Processor fee", "money"),
    ("Paid at (UTC)", "text"),
)
HEADER = [header for header, _kind in COLUMNS]


@dataclass(frozen=True)
class OrdersExport:
    header: list[str]
    rows: list[list[Any]]
    name: str  # the file name without extension

    def csv(self) -> bytes:
        return csv_bytes(self.header, self.rows)

    def xlsx(self) -> bytes:
        kinds = ["text" if kind == "text" else "money" for _h, kind in COLUMNS]
        widths = dict.fromkeys(range(len(self.header)), 16) | {0: 18, 5: 24, 6: 28}
        return xlsx_bytes("Orders and payments", self.header, self.rows, kinds, widths=widths)

    def file(self, file_format: str) -> tuple[bytes, str]:
        """(bytes, file name) as CSV or XLSX."""
        data = self.csv() if file_format == "csv" else self.xlsx()
        return data, f"{self.name}.{file_format}"


def _stamp(value: datetime | None) -> str:
    if value is None:
        return ""
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _line(order: Order, user: User, payment: Payment | None) -> list[Any]:
    assert order.id is not None
    cur = order.currency
    settlement = order.settlement_currency or cur
    return [
        order_number(order.id, order.created_at),
        _stamp(order.created_at),
        _stamp(order.completed_at),
        order.status,
        order.payment_status,
        user.full_name,
        user.email,
        order.billing_country,
        order.billing_region,
        cur,
        Money(order.subtotal, cur),
        Money(order.discount_amount, cur),
        order.discount_code,
        Money(order.tax_amount, cur),
        order.tax_label,
        Money(order.total, cur),
        Money(order.refunded_amount, cur),
        settlement,
        Money(order.settlement_total, settlement),
        order.exchange_rate,
        order.processor or (payment.processor if payment else ""),
        (payment.intent_id or "") if payment else "",
        Money(payment.amount, payment.currency) if payment else None,
        Money(payment.processor_fee, payment.currency)
        if payment and payment.processor_fee is not None
        else None,
        _stamp(payment.processed_at) if payment else "",
    ]


def _name(
    date_from: datetime | None, date_to: datetime | None, filters: dict[str, str | None]
) -> str:
    """orders-payments_2026-11-01_2026-11-30_status-completed_processor-stripe"""
    first = date_from.date().isoformat() if date_from else "start"
    last = (date_to - timedelta(days=1)).date().isoformat() if date_to else "now"
    words = [f"{key}-{value}" for key, value in filters.items() if value]
    return "_".join(file_word(w) for w in ("orders-payments", first, last, *words))


def orders_export(
    *,
    session: Session,
    actor: Actor | None,
    date_from: datetime | None = None,
    date_to: datetime | None = None,
    status: str | None = None,
    payment_status: str | None = None,
    processor: str | None = None,
    learner: str | None = None,
    min_total: int | None = None,
    max_total: int | None = None,
) -> OrdersExport:
    """Every order matching the orders page's filters (``date_from`` inclusive, ``date_to``
    exclusive, aware), oldest first, with its payment."""
    require_section(actor, SECTION)
    conditions, _needs_user = _admin_filters(
        status=status,
        payment_status=payment_status,
        processor=processor,
        date_from=date_from,
        date_to=date_to,
        min_total=min_total,
        max_total=max_total,
        learner=learner,
    )
    joined = (
        select(func.count())
        .select_from(Order)
        .join(User, col(User.id) == col(Order.user_id))
        .where(*conditions)
    )
    count = int(session.exec(joined).one())
    if count > EXPORT_LIMIT:
        raise DomainError(
            "export_too_large",
            f"{count} orders match: export at most {EXPORT_LIMIT} at a time (narrow the dates).",
            field="date_from",
        )
    rows = session.exec(
        select(Order, User, Payment)
        .join(User, col(User.id) == col(Order.user_id))
        .outerjoin(Payment, col(Payment.order_id) == col(Order.id))
        .where(*conditions)
        .order_by(col(Order.created_at), col(Order.id))
    ).all()
    name = _name(
        date_from, date_to, {"status": status, "payment": payment_status, "processor": processor}
    )
    return OrdersExport(list(HEADER), [_line(o, u, p) for o, u, p in rows], name)
