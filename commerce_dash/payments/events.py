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


def stripe_shaped_event(raw: Mapping[str, Any]) -> WebhookEvent:
    """The normalised event of a Stripe-shaped event body (already verified)."""
    event_type = _str(raw.get("type"))
    obj = _map(_map(raw.get("data")).get("object"))
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
