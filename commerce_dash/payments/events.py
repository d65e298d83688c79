"""Events in Stripe's shape (Stripe's own, and the sandbox's, which copies it), normalised.

``payment_intent.*`` report an intent's status; ``charge.refunded`` lists every refund of the
charge so far, including refunds made in the processor's dashboard; ``charge.dispute.created``
and ``charge.dispute.closed`` open and close a chargeback. The parser trusts nothing in the
body: wrong types read as empty, never as an exception.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from commerce_dash.payments.base import (
    ChargeRefund,
    Dispute,
    EventKind,
    IntentStatus,
    ProcessorInvoice,
    ProcessorSubscription,
    WebhookEvent,
)

INTENT_EVENTS: dict[str, IntentStatus] = {
    "payment_intent.succeeded": IntentStatus.SUCCEEDED,
    "payment_intent.payment_failed": IntentStatus.FAILED,
    "payment_intent.processing": IntentStatus.PROCESSING,
    "payment_intent.requires_action": IntentStatus.REQUIRES_ACTION,
    "payment_intent.canceled": IntentStatus.CANCELED,
}
_KINDS = {
    "charge.refunded": EventKind.REFUNDS,
    "charge.dispute.created": EventKind.DISPUTE_OPENED,
    "charge.dispute.closed": EventKind.DISPUTE_CLOSED,
}
# Subscription billing: invoices paid, failed or waiting for the learner (3-D Secure), and
# the subscription's own changes.
INVOICE_EVENTS = frozenset({"invoice.paid", "invoice.payment_succeeded",
                            "invoice.payment_failed", "invoice.payment_action_required"})
SUBSCRIPTION_EVENTS = frozenset({
    "customer.subscription.created", "customer.subscription.updated",
    "customer.subscription.deleted", "customer.subscription.paused",
    "customer.subscription.resumed", "customer.subscription.trial_will_end",
})
_REFUND_STATUS = {"succeeded": "succeeded", "pending": "pending", "requires_action": "pending",
                  "failed": "failed", "canceled": "failed"}


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _int(value: Any) -> int:
    # bool is an int subclass; never let True become an amount.
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _failure(error: Any) -> tuple[str, str]:
    error = _map(error)
    return _str(error.get("decline_code")) or _str(error.get("code")), _str(error.get("message"))


def _refunds(charge: Mapping[str, Any]) -> tuple[ChargeRefund, ...]:
    return tuple(
        ChargeRefund(
            refund_id=_str(item.get("id")), amount=_int(item.get("amount")),
            status=_REFUND_STATUS.get(_str(item.get("status")), "pending"),
            idempotency_key=_str(_map(item.get("metadata")).get("idempotency_key")),
        )
        for item in map(_map, _list(_map(charge.get("refunds")).get("data")))
        if _str(item.get("id"))
    )


def _dispute(obj: Mapping[str, Any]) -> Dispute:
    fee = sum(_int(_map(t).get("fee")) for t in _list(obj.get("balance_transactions")))
    return Dispute(dispute_id=_str(obj.get("id")), amount=_int(obj.get("amount")),
                   reason=_str(obj.get("reason")), status=_str(obj.get("status")), fee=fee)


def _id(value: Any) -> str:
    """An id, whether Stripe sent the bare id or the expanded object."""
    return _str(value) or _str(_map(value).get("id"))


def parse_invoice(obj: Mapping[str, Any]) -> ProcessorInvoice:
    """A Stripe-shaped invoice object; the service period is its first line's."""
    lines = _list(_map(obj.get("lines")).get("data"))
    period = _map(_map(lines[0]).get("period")) if lines else {}
    # API versions since 2025-03-31 (basil): the subscription and its metadata sit under
    # parent.subscription_details, and the payment intent under payments
    parent = _map(_map(obj.get("parent")).get("subscription_details"))
    payments = _list(_map(obj.get("payments")).get("data"))
    intent = obj.get("payment_intent") or (
        _map(_map(payments[0]).get("payment")).get("payment_intent") if payments else None)
    error = _map(_map(intent).get("last_payment_error")) or _map(obj.get("last_payment_error"))
    code, message = _failure(error)
    return ProcessorInvoice(
        invoice_id=_str(obj.get("id")),
        subscription_id=_id(obj.get("subscription")) or _id(parent.get("subscription")),
        status=_str(obj.get("status")), currency=_str(obj.get("currency")).upper(),
        amount_due=_int(obj.get("amount_due")), amount_paid=_int(obj.get("amount_paid")),
        billing_reason=_str(obj.get("billing_reason")),
        period_start=_int(period.get("start")) or _int(obj.get("period_start")),
        period_end=_int(period.get("end")) or _int(obj.get("period_end")),
        attempt_count=_int(obj.get("attempt_count")),
        next_payment_attempt=_int(obj.get("next_payment_attempt")),
        intent_id=_id(intent), failure_code=code, failure_message=message,
        created=_int(obj.get("created")),
        metadata=_metadata(parent.get("metadata")
                           or _map(obj.get("subscription_details")).get("metadata")
                           or obj.get("metadata")),
    )


def _metadata(value: Any) -> dict[str, str]:
    return {str(k): _str(v) for k, v in _map(value).items()}


def parse_subscription(obj: Mapping[str, Any]) -> ProcessorSubscription:
    """A Stripe-shaped subscription object (periods at the top level, as in the API
    versions the SDK and localstripe speak, else on its first item)."""
    items = _list(_map(obj.get("items")).get("data"))
    item = _map(items[0]) if items else {}
    invoice = obj.get("latest_invoice")
    latest = parse_invoice(invoice) if isinstance(invoice, Mapping) else None
    intent = _map(_map(invoice).get("payment_intent"))
    status = _str(intent.get("status"))
    metadata = _metadata(obj.get("metadata"))
    return ProcessorSubscription(
        subscription_id=_str(obj.get("id")), customer_id=_id(obj.get("customer")),
        status=_str(obj.get("status")),
        current_period_start=(_int(obj.get("current_period_start"))
                              or _int(item.get("current_period_start"))),
        current_period_end=(_int(obj.get("current_period_end"))
                            or _int(item.get("current_period_end"))),
        trial_end=_int(obj.get("trial_end")),
        cancel_at_period_end=obj.get("cancel_at_period_end") is True,
        paused=bool(_map(obj.get("pause_collection"))) or _str(obj.get("status")) == "paused",
        canceled_at=_int(obj.get("canceled_at")), latest_invoice=latest,
        client_secret=_str(intent.get("client_secret")), intent_id=_str(intent.get("id")),
        intent_status=_INTENT_STATUS.get(status), metadata=metadata, raw=obj,
    )


_INTENT_STATUS = {
    "requires_payment_method": IntentStatus.REQUIRES_PAYMENT,
    "requires_confirmation": IntentStatus.REQUIRES_PAYMENT,
    "requires_action": IntentStatus.REQUIRES_ACTION,
    "processing": IntentStatus.PROCESSING,
    "succeeded": IntentStatus.SUCCEEDED,
    "canceled": IntentStatus.CANCELED,
}


def stripe_shaped_event(raw: Mapping[str, Any]) -> WebhookEvent:
    """The normalised event of a Stripe-shaped event body (already verified)."""
    event_type = _str(raw.get("type"))
    obj = _map(_map(raw.get("data")).get("object"))
    if event_type in INVOICE_EVENTS:
        invoice = parse_invoice(obj)
        return WebhookEvent(
            event_id=_str(raw.get("id")), event_type=event_type, intent_id="", status=None,
            amount=invoice.amount_paid or invoice.amount_due, currency=invoice.currency,
            failure_code=invoice.failure_code, failure_message=invoice.failure_message,
            created=_int(raw.get("created")), raw=raw, kind=EventKind.INVOICE, invoice=invoice,
        )
    if event_type in SUBSCRIPTION_EVENTS:
        return WebhookEvent(
            event_id=_str(raw.get("id")), event_type=event_type, intent_id="", status=None,
            created=_int(raw.get("created")), raw=raw, kind=EventKind.SUBSCRIPTION,
            subscription=parse_subscription(obj),
        )
    if event_type.startswith("payment_intent.") or _str(obj.get("object")) == "payment_intent":
        intent_id = _str(obj.get("id"))
    else:  # charges, refunds and disputes point at their intent
        intent_id = _str(obj.get("payment_intent"))
    status = INTENT_EVENTS.get(event_type)
    kind = EventKind.INTENT if status is not None else _KINDS.get(event_type, EventKind.OTHER)
    failure_code, failure_message = ("", "")
    if status is IntentStatus.FAILED:
        failure_code, failure_message = _failure(obj.get("last_payment_error"))
    return WebhookEvent(
        event_id=_str(raw.get("id")), event_type=event_type, intent_id=intent_id, status=status,
        amount=_int(obj.get("amount")) if kind is not EventKind.OTHER else 0,
        currency=_str(obj.get("currency")).upper() if kind is not EventKind.OTHER else "",
        failure_code=failure_code, failure_message=failure_message,
        created=_int(raw.get("created")), raw=raw, kind=kind,
        refunds=_refunds(obj) if kind is EventKind.REFUNDS else (),
        dispute=_dispute(obj) if kind in (EventKind.DISPUTE_OPENED,
                                          EventKind.DISPUTE_CLOSED) else None,
    )
