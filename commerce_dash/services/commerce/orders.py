"""The read side of orders and payments: learners' orders and receipts, payment history,
the admin order list with its filters, an order's payment timeline and the payment reviews.

Amounts stay integer minor units; each view carries ready-made labels for display
(``format_minor`` in the configured locale). A learner asking for somebody else's order is
told it does not exist, never that it is forbidden, so order numbers cannot be probed.

This module holds the order lists and is the read side's public face: the views
(``order_views.py``), one order's receipt and timeline (``order_receipts.py``) and the payment
reviews (``payment_review.py``) are re-exported, so callers import orders from here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from commerce_dash.domain.actor import Actor, require_section
from commerce_dash.domain.errors import DomainError
from commerce_dash.domain.orders import OrderStatus, PaymentStatus, payment_status_of_order
from commerce_dash.domain.paging import Page, PageRequest
from commerce_dash.models.accounts import User
from commerce_dash.models.commerce import Order, OrderLine, Payment
from commerce_dash.services.catalog import like_pattern
from commerce_dash.services.commerce.order_receipts import (
    SECTION,
    display_locale,
    money_text,
    number_of,
    order_detail,
    payment_timeline,
)
from commerce_dash.services.commerce.order_views import AdminOrderRow, OrderSummary, PaymentRow
from commerce_dash.services.commerce.payment_review import clear_review, list_reviews

# the read side's public face: views, one order's receipt and the reviews are re-exported
__all__ = [
    "ORDER_PAYMENT_STATUSES",
    "ORDER_STATUSES",
    "AdminOrderRow",
    "OrderSummary",
    "PaymentRow",
    "clear_review",
    "list_orders_admin",
    "list_orders_for_user",
    "list_reviews",
    "order_detail",
    "payment_history_for_user",
    "payment_timeline",
    "processor_options",
]

ORDER_STATUSES: tuple[str, ...] = tuple(s.value for s in OrderStatus)
# The order's ``payment_status`` column vocabulary (spec 001), derived from the domain mapping.
ORDER_PAYMENT_STATUSES: tuple[str, ...] = tuple(
    sorted({payment_status_of_order(s) for s in PaymentStatus})
)
_MAX_TEXT = 200


def _item_counts(session: Session, order_ids: Sequence[int]) -> dict[int, int]:
    if not order_ids:
        return {}
    rows = session.exec(
        select(OrderLine.order_id, func.count())
        .where(col(OrderLine.order_id).in_(order_ids))
        .group_by(col(OrderLine.order_id))
    ).all()
    return {order_id: int(count) for order_id, count in rows}


def _row_fields(o: Order, counts: Mapping[int, int], locale: str) -> dict[str, Any]:
    """What a row of the learner's and of the admin's order list both show of an order."""
    display = o.display_currency or o.currency
    return {
        "number": number_of(o),
        "order_id": o.id or 0,
        "created_at": o.created_at,
        "status": o.status,
        "payment_status": o.payment_status,
        "item_count": counts.get(o.id or 0, 0),
        "total": o.total,
        "currency": o.currency,
        "total_label": money_text(o.total, o.currency, locale),
        "display_total": o.display_total,
        "display_currency": display,
        "display_total_label": money_text(o.display_total, display, locale),
    }


def _choice(value: str | None, allowed: Sequence[str], field: str, what: str) -> str | None:
    if value is None or not value.strip():
        return None
    value = value.strip().lower()
    if value not in allowed:
        raise DomainError(
            f"invalid_{field}", f"{what} is one of: {', '.join(allowed)}.", field=field
        )
    return value


def list_orders_for_user(
    *, session: Session, user_id: int, page: PageRequest
) -> Page[OrderSummary]:
    """The learner's orders, newest first, one page at a time."""
    where = Order.user_id == user_id
    total = session.exec(select(func.count()).select_from(Order).where(where)).one()
    orders = session.exec(
        select(Order)
        .where(where)
        .order_by(col(Order.created_at).desc(), col(Order.id).desc())
        .offset(page.offset)
        .limit(page.page_size)
    ).all()
    counts = _item_counts(session, [o.id for o in orders if o.id is not None])
    locale = display_locale()
    items = [
        OrderSummary(**_row_fields(o, counts, locale))
        for o in orders
    ]
    return Page(items, int(total), page.page, page.page_size)


def payment_history_for_user(
    *, session: Session, user_id: int, page: PageRequest
) -> Page[PaymentRow]:
    """The learner's payments, newest first, with the order each paid for."""
    where = Payment.user_id == user_id
    total = session.exec(select(func.count()).select_from(Payment).where(where)).one()
    rows = session.exec(
        select(Payment, Order)
        .join(Order, col(Order.id) == col(Payment.order_id))
        .where(where)
        .order_by(col(Payment.created_at).desc(), col(Payment.id).desc())
        .offset(page.offset)
        .limit(page.page_size)
    ).all()
    locale = display_locale()
    items = [
        PaymentRow(
            at=payment.processed_at or payment.created_at,
            order_number=number_of(order),
            processor=payment.processor,
            amount=payment.amount,
            currency=payment.currency,
            amount_label=money_text(payment.amount, payment.currency, locale),
            status=payment.status,
            failure_reason=payment.failure_reason,
            refunded_amount=payment.refunded_amount,
            refunded_label=money_text(payment.refunded_amount, payment.currency, locale),
        )
        for payment, order in rows
    ]
    return Page(items, int(total), page.page, page.page_size)


def processor_options(*, session: Session, actor: Actor | None) -> list[str]:
    """Processors that appear on orders, for the filter menu."""
    require_section(actor, SECTION)
    rows = session.exec(
        select(Order.processor).where(Order.processor != "").distinct().order_by(Order.processor)
    ).all()
    return list(rows)


def _admin_filters(
    *,
    status: str | None,
    payment_status: str | None,
    processor: str | None,
    date_from: datetime | None,
    date_to: datetime | None,
    min_total: int | None,
    max_total: int | None,
    learner: str | None,
) -> tuple[list[ColumnElement[bool]], bool]:
    """SQL conditions for the admin order filters, and whether they need the user join."""
    conditions: list[ColumnElement[bool]] = []
    status = _choice(status, ORDER_STATUSES, "status", "Order status")
    if status:
        conditions.append(col(Order.status) == status)
    payment_status = _choice(
        payment_status, ORDER_PAYMENT_STATUSES, "payment_status", "Payment status"
    )
    if payment_status:
        conditions.append(col(Order.payment_status) == payment_status)
    if processor and processor.strip():
        name = processor.strip().lower()
        if len(name) > 16:
            raise DomainError("invalid_processor", "No such processor.", field="processor")
        conditions.append(col(Order.processor) == name)
    for value, field in ((date_from, "date_from"), (date_to, "date_to")):
        if value is not None and (value.tzinfo is None or value.utcoffset() is None):
            raise DomainError("invalid_date", "Dates need a time zone (UTC).", field=field)
    if date_from is not None and date_to is not None and date_from >= date_to:
        raise DomainError(
            "invalid_date_range", "The start date must be before the end date.", field="date_to"
        )
    if date_from is not None:
        conditions.append(col(Order.created_at) >= date_from)
    if date_to is not None:
        conditions.append(col(Order.created_at) < date_to)
    for amount, field in ((min_total, "min_total"), (max_total, "max_total")):
        if amount is not None and amount < 0:
            raise DomainError("invalid_amount", "Amounts cannot be negative.", field=field)
    if min_total is not None and max_total is not None and min_total > max_total:
        raise DomainError(
            "invalid_amount_range",
            "The minimum total must not be above the maximum.",
            field="max_total",
        )
    if min_total is not None:
        conditions.append(col(Order.total) >= min_total)
    if max_total is not None:
        conditions.append(col(Order.total) <= max_total)
    pattern = like_pattern((learner or "")[:_MAX_TEXT])
    if pattern:
        conditions.append(
            or_(
                col(User.email).ilike(pattern, escape="\\"),
                col(User.full_name).ilike(pattern, escape="\\"),
            )
        )
    return conditions, pattern is not None


def list_orders_admin(
    *,
    session: Session,
    actor: Actor | None,
    page: PageRequest,
    status: str | None = None,
    payment_status: str | None = None,
    processor: str | None = None,
    date_from: datetime | None = None,
    date_to: datetime | None = None,
    min_total: int | None = None,
    max_total: int | None = None,
    learner: str | None = None,
) -> Page[AdminOrderRow]:
    """Every order, newest first, filtered and counted in SQL.

    ``date_from`` is inclusive and ``date_to`` exclusive (aware datetimes); ``min_total`` and
    ``max_total`` are inclusive minor units of the settlement currency; ``learner`` matches a
    part of the learner's email or name.
    """
    require_section(actor, SECTION)
    conditions, needs_user = _admin_filters(
        status=status,
        payment_status=payment_status,
        processor=processor,
        date_from=date_from,
        date_to=date_to,
        min_total=min_total,
        max_total=max_total,
        learner=learner,
    )
    count_query = select(func.count()).select_from(Order)
    if needs_user:
        count_query = count_query.join(User, col(User.id) == col(Order.user_id))
    total = session.exec(count_query.where(*conditions)).one()
    rows = session.exec(
        select(Order, User)
        .join(User, col(User.id) == col(Order.user_id))
        .where(*conditions)
        .order_by(col(Order.created_at).desc(), col(Order.id).desc())
        .offset(page.offset)
        .limit(page.page_size)
    ).all()
    counts = _item_counts(session, [o.id for o, _ in rows if o.id is not None])
    locale = display_locale()
    items = [
        AdminOrderRow(
            **_row_fields(o, counts, locale),
            user_id=o.user_id,
            learner_name=u.full_name,
            learner_email=u.email,
            processor=o.processor,
            refunded_amount=o.refunded_amount,
            failure_reason=o.failure_reason,
        )
        for o, u in rows
    ]
    return Page(items, int(total), page.page, page.page_size)

