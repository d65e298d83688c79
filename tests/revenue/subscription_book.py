"""Builders for subscription revenue tests: a plan (a ``price`` of item type subscription), a
subscription at chosen dates, and a paid invoice with the order it became (one subscription
order line and its payment), written directly with the models as the invoice recording will
leave them."""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import count

from sqlmodel import Session

from commerce_dash.models.commerce import Order, OrderLine, Payment
from commerce_dash.models.pricing import Price
from commerce_dash.models.subscriptions import Subscription, SubscriptionInvoice

_serial = count(1)


def a_plan(session: Session, department_id: int, *, interval: str = "monthly",
           amount: int = 1900, currency: str = "USD", at: datetime) -> Price:
    price = Price(item_type="subscription", item_id=department_id, department_id=department_id,
                  price_type="subscription", interval=interval, currency=currency,
                  amount=amount, effective_from=at)
    session.add(price)
    session.flush()
    return price


def a_subscription(
    session: Session, user_id: int, plan: Price, *, status: str, created_at: datetime,
    updated_at: datetime | None = None, unit_amount: int | None = None,
    discount_amount: int = 0, discount_duration: str = "", trial_ends_at: datetime | None = None,
    cancelled_at: datetime | None = None, past_due_since: datetime | None = None,
) -> Subscription:
    """A subscription to ``plan`` as it is now (``status``), last changed at ``updated_at``
    (default: the latest of its dates)."""
    assert plan.id is not None
    n = next(_serial)
    changed = [t for t in (created_at, trial_ends_at, cancelled_at, past_due_since) if t]
    sub = Subscription(
        user_id=user_id, department_id=plan.department_id, price_id=plan.id,
        live_key=None if status == "cancelled" else f"{user_id}:{plan.department_id}:{n}",
        interval=plan.interval, currency=plan.currency,
        unit_amount=unit_amount if unit_amount is not None else plan.amount,
        discount_amount=discount_amount, discount_duration=discount_duration, status=status,
        processor="sandbox", processor_subscription_id=f"sub_{n}", idempotency_key=f"sub-{n}",
        anchor_at=created_at, trial_ends_at=trial_ends_at, cancelled_at=cancelled_at,
        past_due_since=past_due_since, created_at=created_at,
        updated_at=updated_at or max(changed),
    )
    session.add(sub)
    session.flush()
    return sub


def an_invoice(session: Session, sub: Subscription, *, amount: int, paid_at: datetime,
               period_start: datetime | None = None, status: str = "paid",
               order_id: int | None = None) -> SubscriptionInvoice:
    assert sub.id is not None
    n = next(_serial)
    invoice = SubscriptionInvoice(
        subscription_id=sub.id, processor="sandbox", processor_invoice_id=f"in_{n}",
        billing_reason="cycle", status=status, currency=sub.currency, amount_due=amount,
        amount_paid=amount if status == "paid" else 0, period_start=period_start or paid_at,
        period_end=(period_start or paid_at) + timedelta(days=30), order_id=order_id,
        paid_at=paid_at if status == "paid" else None, created_at=paid_at,
    )
    session.add(invoice)
    session.flush()
    return invoice


def paid_invoice_order(
    session: Session, sub: Subscription, *, paid_at: datetime, list_amount: int | None = None,
    discount: int = 0, tax: int = 0, settlement: tuple[str, int] | None = None,
) -> tuple[SubscriptionInvoice, Order, OrderLine]:
    """A paid invoice of ``sub`` and its order: completed, one subscription line (the plan's
    department and price), a succeeded payment. ``settlement`` (currency, worth) for an
    order charged in another currency than the settlement one."""
    assert sub.id is not None
    n = next(_serial)
    amount = sub.unit_amount if list_amount is None else list_amount
    total = amount - discount + tax
    order = Order(
        user_id=sub.user_id, status="completed", payment_status="completed",
        processor="sandbox", currency=sub.currency, subtotal=amount, discount_amount=discount,
        tax_amount=tax, total=total, display_currency=sub.currency, display_total=total,
        settlement_currency=settlement[0] if settlement else "",
        settlement_total=settlement[1] if settlement else 0,
        idempotency_key=f"sub-invoice-{n}", request_hash="0" * 64,
        prices_locked_until=paid_at, created_at=paid_at, updated_at=paid_at,
        completed_at=paid_at,
    )
    session.add(order)
    session.flush()
    assert order.id is not None
    line = OrderLine(
        order_id=order.id, item_type="subscription", item_id=sub.id,
        department_id=sub.department_id, title="Subscription", price_id=sub.price_id,
        list_amount=amount, discount_amount=discount, tax_amount=tax, total=total,
        currency=sub.currency,
    )
    session.add(line)
    session.add(Payment(order_id=order.id, user_id=sub.user_id, processor="sandbox",
                        intent_id=f"pi_sub_{n}", amount=total, currency=sub.currency,
                        status="succeeded", processed_at=paid_at))
    session.flush()
    invoice = an_invoice(session, sub, amount=total, paid_at=paid_at, order_id=order.id)
    return invoice, order, line
