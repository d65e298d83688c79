"""A paid subscription invoice becomes an order: one line of item type ``subscription`` with
its price, discount and tax, a payment that succeeded, and everything a completed order
brings (the ledger's sale entry split by the department's rule, payout messages). So
receipts, refunds through the queue, reports and reconciliation treat it like any sale.
Exactly once per invoice: the invoice row is unique per processor and points at its order.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from commerce_dash.domain.orders import OrderStatus, PaymentStatus
from commerce_dash.domain.pricing import ItemType
from commerce_dash.domain.subscriptions import PlanTerms, invoice_parts, subscription_number
from commerce_dash.models.catalog import Department
from commerce_dash.models.commerce import Order, OrderLine, Payment
from commerce_dash.models.subscriptions import Subscription, SubscriptionInvoice
from commerce_dash.services.commerce.settlement import complete_order

__all__ = ["invoice_order", "terms_of"]


def terms_of(sub: Subscription) -> PlanTerms:
    """What the subscriber pays per period (the terms they subscribed or changed plan at)."""
    return PlanTerms(unit_amount=sub.unit_amount, discount=sub.discount_amount,
                     duration=sub.discount_duration if sub.discount_amount else "",
                     tax=sub.tax_amount, first_tax=sub.first_tax_amount)


def invoice_order(session: Session, sub: Subscription, invoice: SubscriptionInvoice,
                  at: datetime, *, department: Department | None = None) -> Order:
    """The completed order of a paid invoice (caller's transaction and lock on ``sub``);
    the invoice's order when it has one already. ``department``: the subscription's, when
    the caller has it."""
    if invoice.order_id is not None:
        order = session.get(Order, invoice.order_id)
        assert order is not None
        return order
    assert sub.id is not None and invoice.id is not None
    parts = invoice_parts(terms_of(sub), invoice.amount_paid,
                          first=invoice.billing_reason == "subscription_create")
    dept = department or session.get(Department, sub.department_id)
    title = (f"{dept.name if dept else 'Department'} {sub.interval} subscription "
             f"({subscription_number(sub.id)})")
    if invoice.billing_reason == "subscription_update":
        title = f"Plan change: {title}"
    order = Order(
        user_id=sub.user_id, status=OrderStatus.PENDING.value, payment_status="pending",
        processor=sub.processor, currency=invoice.currency, subtotal=parts.list_amount,
        discount_amount=parts.discount, tax_amount=parts.tax, total=parts.total,
        discount_code=sub.discount_code if parts.discount else "",
        discount_code_id=sub.discount_code_id if parts.discount else None,
        tax_provider=sub.tax_provider, tax_label=sub.tax_label,
        billing_country=sub.billing_country, billing_region=sub.billing_region,
        billing_postal_code=sub.billing_postal_code, display_currency=invoice.currency,
        display_total=parts.total, idempotency_key=f"subscription-invoice:{invoice.id}",
        request_hash=invoice.processor_invoice_id[:64], prices_locked_until=at,
        created_at=at, updated_at=at,
    )
    session.add(order)
    session.flush()
    assert order.id is not None
    line = OrderLine(
        order_id=order.id, position=1, item_type=ItemType.SUBSCRIPTION.value,
        item_id=sub.id, department_id=sub.department_id, title=title[:300],
        price_id=sub.price_id, list_amount=parts.list_amount, discount_amount=parts.discount,
        tax_amount=parts.tax, total=parts.total, display_total=parts.total,
        currency=invoice.currency,
    )
    session.add(line)
    payment = Payment(
        order_id=order.id, user_id=sub.user_id, processor=sub.processor,
        intent_id=invoice.intent_id or invoice.processor_invoice_id, amount=parts.total,
        currency=invoice.currency, status=PaymentStatus.PENDING.value, created_at=at,
        updated_at=at,
    )
    session.add(payment)
    session.flush()
    complete_order(session=session, order=order, payment=payment, at=at,
                   note=f"Subscription invoice {invoice.processor_invoice_id} paid.",
                   confirmation_email=False, lines=[line])
    invoice.order_id = order.id
    session.add(invoice)
    return order
