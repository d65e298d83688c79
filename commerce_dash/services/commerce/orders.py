"""The read side of orders and payments: learners' orders and receipts, payment history,
the admin order list with its filters, an order's payment timeline and the payment reviews.

Amounts stay integer minor units; each view carries ready-made labels for display
(``format_minor`` in the configured locale). A learner asking for somebody else's order is
told it does not exist, never that it is forbidden, so order numbers cannot be probed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from commerce_dash.domain.actor import Actor, require_section
from commerce_dash.domain.errors import DomainError, ErrorKind
from commerce_dash.domain.money import format_minor
from commerce_dash.domain.orders import (
    OrderStatus,
    PaymentStatus,
    order_number,
    parse_order_number,
    payment_status_of_order,
)
from commerce_dash.domain.paging import Page, PageRequest
from commerce_dash.models.accounts import User
from commerce_dash.models.commerce import Order, OrderLine, Payment, PaymentEvent
from commerce_dash.services.catalog.catalog import course_titles, like_pattern
from commerce_dash.services.commerce.payment_review import (
    ReviewRow,
    clear_review,
    list_reviews,
)
from commerce_dash.settings import get_settings

__all__ = [
    "ORDER_PAYMENT_STATUSES",
    "ORDER_STATUSES",
    "AdminOrderRow",
    "OrderDetail",
    "OrderLineView",
    "OrderSummary",
    "PaymentRow",
    "PaymentView",
    "ReviewRow",
    "TimelineEntry",
    "clear_review",
    "list_orders_admin",
    "list_orders_for_user",
    "list_reviews",
    "order_detail",
    "payment_history_for_user",
    "payment_timeline",
    "processor_options",
]

SECTION = "orders"
ORDER_STATUSES: tuple[str, ...] = tuple(s.value for s in OrderStatus)
# The order's ``payment_status`` column vocabulary (spec 001), derived from the domain mapping.
ORDER_PAYMENT_STATUSES: tuple[str, ...] = tuple(
    sorted({payment_status_of_order(s) for s in PaymentStatus})
)
_MAX_TEXT = 200


# -- views ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrderSummary:
    """One row of a learner's order list."""

    number: str
    order_id: int
    created_at: datetime
    status: str
    payment_status: str
    item_count: int
    total: int
    currency: str
    total_label: str
    display_total: int
    display_currency: str
    display_total_label: str


@dataclass(frozen=True)
class OrderLineView:
    title: str
    item_type: str
    item_id: int
    list_amount: int
    discount_amount: int
    tax_amount: int
    total: int
    currency: str
    list_label: str
    discount_label: str
    tax_label: str
    total_label: str
    note: str = ""  # a program's courses not sold again because the learner owned them


@dataclass(frozen=True)
class PaymentView:
    processor: str
    status: str
    amount: int
    currency: str
    amount_label: str
    intent_id: str
    card_last4: str
    failure_code: str
    failure_reason: str
    attempts_failed: int
    refunded_amount: int
    refunded_label: str
    created_at: datetime
    processed_at: datetime | None


@dataclass(frozen=True)
class OrderDetail:
    """An order as its receipt shows it (learner) or as the admin order page shows it."""

    number: str
    order_id: int
    user_id: int
    learner_name: str
    learner_email: str
    created_at: datetime
    completed_at: datetime | None
    status: str
    payment_status: str
    processor: str
    currency: str
    lines: list[OrderLineView]
    subtotal: int
    subtotal_label: str
    discount_code: str
    discount_amount: int
    discount_label: str
    tax_name: str  # e.g. "VAT 20% (GB)"
    tax_amount: int
    tax_amount_label: str
    total: int
    total_label: str
    refunded_amount: int
    refunded_label: str
    display_currency: str
    display_total: int
    display_total_label: str
    # Shown only when the learner saw another currency than the one charged.
    shows_display_currency: bool
    exchange_rate: str
    exchange_rate_label: str
    exchange_rate_at: datetime | None
    billing_country: str
    billing_region: str
    billing_postal_code: str
    failure_reason: str
    payment: PaymentView | None
    settlement_currency: str = ""
    settlement_total: int = 0
    # "Charged in JPY: worth $32.90 at 1 USD = 151.37 JPY" (ADR-003); "" when one currency
    settlement_label: str = ""

    @property
    def can_retry(self) -> bool:
        """A pending order whose card was declined may be paid again (same intent)."""
        return (
            self.status == OrderStatus.PENDING
            and self.payment is not None
            and self.payment.status == PaymentStatus.FAILED
        )

    @property
    def retry_reason(self) -> str:
        if self.payment is not None and self.payment.failure_reason:
            return self.payment.failure_reason
        return self.failure_reason


@dataclass(frozen=True)
class PaymentRow:
    """One payment in a learner's payment history."""

    at: datetime
    order_number: str
    processor: str
    amount: int
    currency: str
    amount_label: str
    status: str
    failure_reason: str
    refunded_amount: int
    refunded_label: str


@dataclass(frozen=True)
class AdminOrderRow:
    number: str
    order_id: int
    created_at: datetime
    user_id: int
    learner_name: str
    learner_email: str
    status: str
    payment_status: str
    processor: str
    item_count: int
    total: int
    currency: str
    total_label: str
    display_total: int
    display_currency: str
    display_total_label: str
    refunded_amount: int
    failure_reason: str


@dataclass(frozen=True)
class TimelineEntry:
    """One step of a payment's life: a processor event, or the processor's latest answer."""

    at: datetime
    source: str  # webhook | api | janitor | processor
    event_type: str
    event_id: str
    status: str
    outcome: str
    error: str
    attempts: int
    processed_at: datetime | None
    payload_json: str


# -- helpers ----------------------------------------------------------------------------------


def _locale() -> str:
    return get_settings().default_locale


def _money(amount: int, currency: str, locale: str) -> str:
    try:
        return format_minor(amount, currency, locale)
    except ValueError:  # an unknown currency code in old data: still show something
        return f"{amount} {currency}"


def _number_of(order: Order) -> str:
    assert order.id is not None
    return order_number(order.id, order.created_at)


def _missing(number: str) -> DomainError:
    return DomainError(
        "order_not_found", f"No order {number.strip()[:40]} was found.", kind=ErrorKind.NOT_FOUND
    )


def _find_order(session: Session, number: str) -> Order:
    """The order with this number; the same not-found error for garbage and for unknowns."""
    try:
        year, order_id = parse_order_number(number)
    except DomainError:
        raise _missing(number) from None
    order = session.get(Order, order_id) if order_id <= 2**31 - 1 else None
    if order is None or order.created_at.year != year:
        raise _missing(number)
    return order


def settlement_note(order: Order) -> str:
    """How the charge relates to the settlement currency, for people ("" when it is one)."""
    locale = _locale()
    if order.display_currency and order.display_currency != order.currency:
        return (f"≈ {_money(order.display_total, order.display_currency, locale)} "
                f"at 1 {order.currency} = {order.exchange_rate} "
                f"{order.display_currency}; you are charged in {order.currency}.")
    if order.settlement_currency and order.settlement_currency != order.currency:
        return (f"Charged in {order.currency}: worth "
                f"{_money(order.settlement_total, order.settlement_currency, locale)} at "
                f"1 {order.settlement_currency} = {order.exchange_rate} {order.currency}.")
    return ""


def _item_counts(session: Session, order_ids: Sequence[int]) -> dict[int, int]:
    if not order_ids:
        return {}
    rows = session.exec(
        select(OrderLine.order_id, func.count())
        .where(col(OrderLine.order_id).in_(order_ids))
        .group_by(col(OrderLine.order_id))
    ).all()
    return {order_id: int(count) for order_id, count in rows}


def _pretty_json(value: Any) -> str:
    if value is None:
        return ""
    return json.dumps(value, indent=2, sort_keys=True, default=str, ensure_ascii=False)


def _find_key(value: Any, key: str, depth: int = 0) -> str:
    """The first string found under ``key`` in nested dicts/lists (a card's last4)."""
    if depth > 6:
        return ""
    if isinstance(value, Mapping):
        found = value.get(key)
        if isinstance(found, str | int) and not isinstance(found, bool) and str(found):
            return str(found)
        children: Iterable[Any] = value.values()
    elif isinstance(value, list):
        children = value
    else:
        return ""
    for child in children:
        hit = _find_key(child, key, depth + 1)
        if hit:
            return hit
    return ""


def card_last4(processor_response: Mapping[str, Any] | None) -> str:
    """The card's last four digits when the processor's response names them."""
    if not processor_response:
        return ""
    for key in ("card_last4", "last4"):
        hit = _find_key(processor_response, key)
        if hit:
            return hit[-4:]
    return ""


def _payment_view(payment: Payment, locale: str) -> PaymentView:
    return PaymentView(
        processor=payment.processor,
        status=payment.status,
        amount=payment.amount,
        currency=payment.currency,
        amount_label=_money(payment.amount, payment.currency, locale),
        intent_id=payment.intent_id or "",
        card_last4=card_last4(payment.processor_response),
        failure_code=payment.failure_code,
        failure_reason=payment.failure_reason,
        attempts_failed=payment.attempts_failed,
        refunded_amount=payment.refunded_amount,
        refunded_label=_money(payment.refunded_amount, payment.currency, locale),
        created_at=payment.created_at,
        processed_at=payment.processed_at,
    )


def _line_view(line: OrderLine, locale: str, titles: dict[int, str]) -> OrderLineView:
    owned = [titles.get(c, "") for c in line.owned_course_ids or ()]
    return OrderLineView(
        title=line.title,
        item_type=line.item_type,
        item_id=line.item_id,
        list_amount=line.list_amount,
        discount_amount=line.discount_amount,
        tax_amount=line.tax_amount,
        total=line.total,
        currency=line.currency,
        list_label=_money(line.list_amount, line.currency, locale),
        discount_label=_money(line.discount_amount, line.currency, locale),
        tax_label=_money(line.tax_amount, line.currency, locale),
        total_label=_money(line.total, line.currency, locale),
        note=f"Without {', '.join(owned)}: already yours" if owned else "",
    )


def _detail(session: Session, order: Order) -> OrderDetail:
    assert order.id is not None
    locale = _locale()
    user = session.get(User, order.user_id)
    lines = session.exec(
        select(OrderLine)
        .where(OrderLine.order_id == order.id)
        .order_by(col(OrderLine.position), col(OrderLine.id))
    ).all()
    payment = session.exec(select(Payment).where(Payment.order_id == order.id)).first()
    titles = course_titles(session=session, course_ids={
        c for line in lines for c in line.owned_course_ids or ()})
    currency, display = order.currency, order.display_currency or order.currency
    shows_display = display.upper() != currency.upper()
    return OrderDetail(
        number=_number_of(order),
        order_id=order.id,
        user_id=order.user_id,
        learner_name=user.full_name if user else "",
        learner_email=user.email if user else "",
        created_at=order.created_at,
        completed_at=order.completed_at,
        status=order.status,
        payment_status=order.payment_status,
        processor=order.processor,
        currency=currency,
        lines=[_line_view(line, locale, titles) for line in lines],
        subtotal=order.subtotal,
        subtotal_label=_money(order.subtotal, currency, locale),
        discount_code=order.discount_code,
        discount_amount=order.discount_amount,
        discount_label=_money(order.discount_amount, currency, locale),
        tax_name=order.tax_label,
        tax_amount=order.tax_amount,
        tax_amount_label=_money(order.tax_amount, currency, locale),
        total=order.total,
        total_label=_money(order.total, currency, locale),
        refunded_amount=order.refunded_amount,
        refunded_label=_money(order.refunded_amount, currency, locale),
        display_currency=display,
        display_total=order.display_total,
        display_total_label=_money(order.display_total, display, locale),
        shows_display_currency=shows_display,
        exchange_rate=order.exchange_rate,
        exchange_rate_label=f"1 {currency} = {order.exchange_rate} {display}"
        if shows_display
        else "",
        exchange_rate_at=order.exchange_rate_at,
        billing_country=order.billing_country,
        billing_region=order.billing_region,
        billing_postal_code=order.billing_postal_code,
        failure_reason=order.failure_reason,
        payment=_payment_view(payment, locale) if payment else None,
        settlement_currency=order.settlement_currency or currency,
        settlement_total=order.settlement_total,
        settlement_label=settlement_note(order),
    )


def _choice(value: str | None, allowed: Sequence[str], field: str, what: str) -> str | None:
    if value is None or not value.strip():
        return None
    value = value.strip().lower()
    if value not in allowed:
        raise DomainError(
            f"invalid_{field}", f"{what} is one of: {', '.join(allowed)}.", field=field
        )
    return value


# -- learner ----------------------------------------------------------------------------------


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
    locale = _locale()
    items = [
        OrderSummary(
            number=_number_of(o),
            order_id=o.id or 0,
            created_at=o.created_at,
            status=o.status,
            payment_status=o.payment_status,
            item_count=counts.get(o.id or 0, 0),
            total=o.total,
            currency=o.currency,
            total_label=_money(o.total, o.currency, locale),
            display_total=o.display_total,
            display_currency=o.display_currency or o.currency,
            display_total_label=_money(o.display_total, o.display_currency or o.currency, locale),
        )
        for o in orders
    ]
    return Page(items, int(total), page.page, page.page_size)


def order_detail(
    *,
    session: Session,
    number: str,
    user_id: int | None = None,
    actor: Actor | None = None,
) -> OrderDetail:
    """One order with its lines and payment.

    With ``actor``: the admin view, for actors allowed into the orders section (any order).
    With ``user_id`` only: the learner's view of their own order; anybody else's order is
    reported missing exactly like a number that does not exist.
    """
    if actor is not None:
        require_section(actor, SECTION)
        return _detail(session, _find_order(session, number))
    if user_id is None:
        raise DomainError("not_signed_in", "Sign in to continue.", kind=ErrorKind.UNAUTHENTICATED)
    order = _find_order(session, number)
    if order.user_id != user_id:
        raise _missing(number)
    return _detail(session, order)


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
    locale = _locale()
    items = [
        PaymentRow(
            at=payment.processed_at or payment.created_at,
            order_number=_number_of(order),
            processor=payment.processor,
            amount=payment.amount,
            currency=payment.currency,
            amount_label=_money(payment.amount, payment.currency, locale),
            status=payment.status,
            failure_reason=payment.failure_reason,
            refunded_amount=payment.refunded_amount,
            refunded_label=_money(payment.refunded_amount, payment.currency, locale),
        )
        for payment, order in rows
    ]
    return Page(items, int(total), page.page, page.page_size)


# -- admin ------------------------------------------------------------------------------------


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
    locale = _locale()
    items = [
        AdminOrderRow(
            number=_number_of(o),
            order_id=o.id or 0,
            created_at=o.created_at,
            user_id=o.user_id,
            learner_name=u.full_name,
            learner_email=u.email,
            status=o.status,
            payment_status=o.payment_status,
            processor=o.processor,
            item_count=counts.get(o.id or 0, 0),
            total=o.total,
            currency=o.currency,
            total_label=_money(o.total, o.currency, locale),
            display_total=o.display_total,
            display_currency=o.display_currency or o.currency,
            display_total_label=_money(o.display_total, o.display_currency or o.currency, locale),
            refunded_amount=o.refunded_amount,
            failure_reason=o.failure_reason,
        )
        for o, u in rows
    ]
    return Page(items, int(total), page.page, page.page_size)


def payment_timeline(
    *, session: Session, actor: Actor | None, number: str
) -> list[TimelineEntry]:
    """The order's payment events, oldest first, then the processor's latest response.

    Events are those linked to the payment, or carrying its intent id at its processor (a
    webhook may arrive before it is linked). An order without a payment has no timeline.
    """
    require_section(actor, SECTION)
    order = _find_order(session, number)
    payment = session.exec(select(Payment).where(Payment.order_id == order.id)).first()
    if payment is None:
        return []
    linked: ColumnElement[bool] = col(PaymentEvent.payment_id) == payment.id
    if payment.intent_id:
        linked = or_(
            linked,
            (col(PaymentEvent.processor) == payment.processor)
            & (col(PaymentEvent.intent_id) == payment.intent_id),
        )
    events = session.exec(
        select(PaymentEvent)
        .where(linked)
        .order_by(col(PaymentEvent.received_at), col(PaymentEvent.id))
    ).all()
    entries = [
        TimelineEntry(
            at=e.received_at,
            source=e.source,
            event_type=e.event_type,
            event_id=e.event_id,
            status=e.status,
            outcome=e.outcome,
            error=e.last_error,
            attempts=e.attempts,
            processed_at=e.processed_at,
            payload_json=_pretty_json(e.payload),
        )
        for e in events
    ]
    if payment.processor_response is not None:
        entries.append(
            TimelineEntry(
                at=payment.updated_at,
                source="processor",
                event_type="processor_response",
                event_id=payment.intent_id or "",
                status=payment.status,
                outcome="Latest response from the processor",
                error=payment.failure_reason,
                attempts=0,
                processed_at=payment.processed_at,
                payload_json=_pretty_json(payment.processor_response),
            )
        )
    return entries


