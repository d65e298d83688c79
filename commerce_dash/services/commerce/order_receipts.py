"""One order: its receipt (the learner's own, or any for the admin order page) and its
payment timeline, plus the pieces every order view shares (the order by its number, money
labels that survive old data, the order's number).

A learner asking for somebody else's order is told it does not exist, never that it is
forbidden, so order numbers cannot be probed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import or_
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from commerce_dash.domain.actor import Actor, require_section
from commerce_dash.domain.errors import DomainError, ErrorKind
from commerce_dash.domain.money import format_minor
from commerce_dash.domain.orders import order_number, parse_order_number
from commerce_dash.models.accounts import User
from commerce_dash.models.commerce import Order, OrderLine, Payment, PaymentEvent
from commerce_dash.services.catalog import course_titles, credits_notes
from commerce_dash.services.commerce.order_views import (
    OrderDetail,
    OrderLineView,
    PaymentView,
    TimelineEntry,
)
from commerce_dash.services.commerce.tax import NO_ADDRESS_LABEL
from commerce_dash.settings import get_settings

SECTION = "orders"


def display_locale() -> str:
    return get_settings().default_locale


def money_text(amount: int, currency: str, locale: str) -> str:
    try:
        return format_minor(amount, currency, locale)
    except ValueError:  # an unknown currency code in old data: still show something
        return f"{amount} {currency}"


def number_of(order: Order) -> str:
    assert order.id is not None
    return order_number(order.id, order.created_at)


def _missing(number: str) -> DomainError:
    return DomainError(
        "order_not_found", f"No order {number.strip()[:40]} was found.", kind=ErrorKind.NOT_FOUND
    )


def find_order(session: Session, number: str) -> Order:
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
    locale = display_locale()
    if order.display_currency and order.display_currency != order.currency:
        return (f"≈ {money_text(order.display_total, order.display_currency, locale)} "
                f"at 1 {order.currency} = {order.exchange_rate} "
                f"{order.display_currency}; you are charged in {order.currency}.")
    if order.settlement_currency and order.settlement_currency != order.currency:
        return (f"Charged in {order.currency}: worth "
                f"{money_text(order.settlement_total, order.settlement_currency, locale)} at "
                f"1 {order.settlement_currency} = {order.exchange_rate} {order.currency}.")
    return ""


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
        amount_label=money_text(payment.amount, payment.currency, locale),
        intent_id=payment.intent_id or "",
        card_last4=card_last4(payment.processor_response),
        failure_code=payment.failure_code,
        failure_reason=payment.failure_reason,
        attempts_failed=payment.attempts_failed,
        refunded_amount=payment.refunded_amount,
        refunded_label=money_text(payment.refunded_amount, payment.currency, locale),
        created_at=payment.created_at,
        processed_at=payment.processed_at,
    )


def _line_view(line: OrderLine, locale: str, titles: dict[int, str],
               credits: dict[int, str]) -> OrderLineView:
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
        list_label=money_text(line.list_amount, line.currency, locale),
        discount_label=money_text(line.discount_amount, line.currency, locale),
        tax_label=money_text(line.tax_amount, line.currency, locale),
        total_label=money_text(line.total, line.currency, locale),
        note=f"Without {', '.join(owned)}: already yours" if owned else "",
        credits_note=credits.get(line.price_id or 0, ""),
    )


def _detail(session: Session, order: Order) -> OrderDetail:
    assert order.id is not None
    locale = display_locale()
    user = session.get(User, order.user_id)
    lines = session.exec(
        select(OrderLine)
        .where(OrderLine.order_id == order.id)
        .order_by(col(OrderLine.position), col(OrderLine.id))
    ).all()
    payment = session.exec(select(Payment).where(Payment.order_id == order.id)).first()
    titles = course_titles(session=session, course_ids={
        c for line in lines for c in line.owned_course_ids or ()})
    credits = credits_notes(session, {line.price_id for line in lines
                                      if line.price_id is not None})
    currency, display = order.currency, order.display_currency or order.currency
    shows_display = display.upper() != currency.upper()
    return OrderDetail(
        number=number_of(order),
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
        lines=[_line_view(line, locale, titles, credits) for line in lines],
        subtotal=order.subtotal,
        subtotal_label=money_text(order.subtotal, currency, locale),
        discount_code=order.discount_code,
        discount_amount=order.discount_amount,
        discount_label=money_text(order.discount_amount, currency, locale),
        tax_name=tax_name_of(order),
        tax_amount=order.tax_amount,
        tax_amount_label=money_text(order.tax_amount, currency, locale),
        total=order.total,
        total_label=money_text(order.total, currency, locale),
        refunded_amount=order.refunded_amount,
        refunded_label=money_text(order.refunded_amount, currency, locale),
        display_currency=display,
        display_total=order.display_total,
        display_total_label=money_text(order.display_total, display, locale),
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
        tax_rates=tax_rates_of(order, locale),
        tax_source_label=tax_source_label(order),
    )


_SOURCES = {"taxjar": "TaxJar", "table": "Rate table", "exempt": "Tax exempt buyer",
            "none": "No billing address (no tax)"}


def tax_name_of(order: Order) -> str:
    """The tax line's name on a receipt: the rate(s), or "Tax" for an order priced before any
    billing address was given (never "Tax calculated at checkout" once it is placed)."""
    label = order.tax_label.strip()
    return "Tax" if not label or label == NO_ADDRESS_LABEL else label


def tax_source_label(order: Order) -> str:
    """What priced the order's tax, for admins ("" for orders from before it was recorded)."""
    label = _SOURCES.get(order.tax_source, "")
    if order.tax_source == "table" and order.tax_provider == "taxjar":
        return f"{label} (TaxJar did not answer)"
    return label


def tax_rates_of(order: Order, locale: str) -> list[tuple[str, str]]:
    """The order's tax by rate, as its receipt lists it: each rate's label and amount (one
    line with the order's tax label when no breakdown was kept)."""
    rows = [(str(part.get("label", "")), int(part.get("amount", 0)))
            for part in order.tax_breakdown or () if isinstance(part, dict)]
    if not rows or sum(amount for _, amount in rows) != order.tax_amount:
        rows = [(tax_name_of(order), order.tax_amount)] if order.tax_amount else []
    return [(label, money_text(amount, order.currency, locale)) for label, amount in rows]


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
        return _detail(session, find_order(session, number))
    if user_id is None:
        raise DomainError("not_signed_in", "Sign in to continue.", kind=ErrorKind.UNAUTHENTICATED)
    order = find_order(session, number)
    if order.user_id != user_id:
        raise _missing(number)
    return _detail(session, order)


def payment_timeline(
    *, session: Session, actor: Actor | None, number: str
) -> list[TimelineEntry]:
    """The order's payment events, oldest first, then the processor's latest response.

    Events are those linked to the payment, or carrying its intent id at its processor (a
    webhook may arrive before it is linked). An order without a payment has no timeline.
    """
    require_section(actor, SECTION)
    order = find_order(session, number)
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

