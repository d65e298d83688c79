"""What checkout answers: the result of a checkout (the order and what the card step needs)
and the checkout page's summary of one of the learner's orders.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from commerce_dash.domain.actor import Actor
from commerce_dash.domain.money import Money, format_minor
from commerce_dash.domain.orders import order_number
from commerce_dash.models.commerce import Order, OrderLine, Payment
from commerce_dash.payments.base import HostedCheckout, ProcessorError
from commerce_dash.payments.factory import get_processor
from commerce_dash.services.catalog import credits_notes
from commerce_dash.services.commerce.order_receipts import (
    display_locale,
    settlement_note,
    tax_name_of,
    tax_rates_of,
)
from commerce_dash.services.commerce.payment_intents import payment_of
from commerce_dash.services.commerce.payment_review import review_hold
from commerce_dash.services.commerce.payments import order_for
from commerce_dash.settings import get_settings


@dataclass(frozen=True)
class CheckoutResult:
    order_id: int
    number: str
    status: str
    payment_status: str
    processor: str
    currency: str
    total: int
    total_label: str
    intent_id: str
    client_secret: str
    publishable_key: str
    next_action_url: str
    failure_reason: str
    replayed: bool


def checkout_result(session: Session, order: Order, payment: Payment | None, replayed: bool
                    ) -> CheckoutResult:
    assert order.id is not None
    settings = get_settings()
    return CheckoutResult(
        order_id=order.id, number=order_number(order.id, order.created_at),
        status=order.status, payment_status=payment.status if payment else "succeeded",
        processor=order.processor, currency=order.currency, total=order.total,
        total_label=format_minor(order.total, order.currency, settings.default_locale),
        intent_id=(payment.intent_id or "") if payment else "",
        client_secret=payment.client_secret if payment else "",
        publishable_key=settings.stripe_publishable_key if order.processor == "stripe" else "",
        next_action_url=((payment.processor_response or {}).get("next_action_url", "")
                         if payment else ""),
        failure_reason=payment.failure_reason if payment else "",
        replayed=replayed,
    )


@dataclass(frozen=True)
class CheckoutSummary:
    number: str
    status: str
    payment_status: str
    processor: str
    lines: list[dict[str, str]]
    labels: dict[str, str]
    discount_code: str
    tax_label: str
    display_note: str
    failure_reason: str
    next_action_url: str
    client_secret: str
    publishable_key: str
    locked_until: str
    email: str
    total: int  # minor units of ``currency`` (a wallet's sheet shows it)
    currency: str
    # where an app that enrolled the learner through the API wants them back (https only)
    success_url: str
    cancel_url: str
    # a processor whose own script takes the payment (Razorpay Checkout): what the page
    # hands it; "error" when the processor is not set up
    hosted: dict[str, str]
    # the tax by rate when there are several: [[label, amount]]
    tax_rates: list[list[str]] = field(default_factory=list)
    # held for payment review: why paying is paused and how the hold is lifted
    review_hold: str = ""


def checkout_summary(*, session: Session, actor: Actor, number: str) -> CheckoutSummary:
    """What the checkout page shows for one of the learner's orders."""
    order = order_for(session, actor.user_id, number)
    assert order.id is not None
    payment = payment_of(session, order.id)
    locale = get_settings().default_locale
    rows = session.exec(
        select(OrderLine).where(OrderLine.order_id == order.id).order_by(col(OrderLine.position))
    ).all()

    def money(amount: int) -> str:
        return format_minor(amount, order.currency, locale)

    display_note = settlement_note(order)
    rates = tax_rates_of(order, display_locale())
    credits = credits_notes(session, {r.price_id for r in rows if r.price_id is not None})
    return CheckoutSummary(
        number=order_number(order.id, order.created_at), status=order.status,
        payment_status=payment.status if payment else "",
        processor=order.processor,
        lines=[{"title": r.title, "kind": r.item_type.replace("_", " ").capitalize(),
                "amount": money(r.list_amount),
                "discount": f"− {money(r.discount_amount)}" if r.discount_amount else "",
                "credits_note": credits.get(r.price_id or 0, "")}
               for r in rows],
        labels={"subtotal": money(order.subtotal), "discount": money(order.discount_amount),
                "tax": money(order.tax_amount), "total": money(order.total)},
        discount_code=order.discount_code, tax_label=tax_name_of(order),
        display_note=display_note,
        failure_reason=(payment.failure_reason if payment and payment.status == "failed"
                        else order.failure_reason if order.status == "failed" else ""),
        next_action_url=((payment.processor_response or {}).get("next_action_url", "")
                         if payment and payment.status == "requires_action" else ""),
        client_secret=payment.client_secret if payment else "",
        publishable_key=get_settings().stripe_publishable_key,
        locked_until=order.prices_locked_until.strftime("%H:%M UTC"),
        email=actor.email, total=order.total, currency=order.currency,
        success_url=str((order.client_context or {}).get("success_url") or ""),
        cancel_url=str((order.client_context or {}).get("cancel_url") or ""),
        hosted=_hosted_options(order.processor, payment),
        tax_rates=[list(row) for row in rates] if len(rates) > 1 else [],
        review_hold=review_hold(session=session, user_id=order.user_id)
        if order.status == "pending" else "",
    )


def _hosted_options(processor_name: str, payment: Payment | None) -> dict[str, str]:
    """The options of the processor's own checkout script (no network call), with the
    amount it shows in minor units."""
    if processor_name in ("stripe", "sandbox", "none") or payment is None \
            or not payment.intent_id:
        return {}
    try:
        processor = get_processor(processor_name)
    except ProcessorError as exc:
        return {"error": exc.message}
    if not isinstance(processor, HostedCheckout):
        return {}
    return {**processor.checkout_options(payment.intent_id), "amount": str(payment.amount),
            "amount_decimal": str(Money(payment.amount, payment.currency).to_decimal()),
            "currency": payment.currency}

