"""The Stripe-shaped objects of the sandbox's subscriptions: the ``subscription`` and its
latest ``invoice`` (with its payment intent) as Stripe's API and events show them, built
from a ``sandbox_subscription`` row; plus the small rules the engine's calls share (times,
saved cards, the charge of an attempt and its per-invoice-and-attempt key, when a
subscription is due, plan interval switches).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta
from typing import Any

from commerce_dash.domain.pricing import Interval
from commerce_dash.domain.subscriptions import MONTHS
from commerce_dash.models.commerce import SandboxIntent
from commerce_dash.models.subscriptions import SandboxSubscription
from commerce_dash.payments.base import CreateIntent, IntentResult, ProcessorError
from commerce_dash.payments.sandbox_cards import CardInput, card_error

__all__ = ["LIVE", "Charge", "charge_of", "due", "invoice_object", "payment_of_intent", "payment_of_result", "subscription_object"]

LIVE = ("trialing", "active", "past_due")
# An attempt decided, to charge: invoice id, attempt, on session, subscription event, and the
# charge itself (built from the row that decided it) with the saved card.
Charge = tuple[str, int, bool, str | None, CreateIntent, str]
_RECURRING = {Interval.MONTHLY: ("month", 1), Interval.QUARTERLY: ("month", 3),
              Interval.ANNUAL: ("year", 1)}


def unix(moment: datetime) -> int:
    return int(moment.timestamp())


def at(stamp: int) -> datetime:
    return datetime.fromtimestamp(stamp, UTC)


def meta_of(sub: SandboxSubscription) -> dict[str, Any]:
    return dict(sub.meta or {})


def saved_card(number: str) -> str:
    """A test card number as saved; a malformed one is refused like Stripe refuses it."""
    number = number.replace(" ", "").replace("-", "")
    problem = card_error(CardInput(number, 12, date.today().year + 1, "123"), date.today())
    if number and problem is not None:
        raise ProcessorError(*problem)
    return number


def intent_key(sub_key: str, invoice_id: str, attempt: int) -> str:
    """The charge's idempotency key: one per subscription, invoice and attempt."""
    key = f"{sub_key}:{invoice_id}:{attempt}"
    return key if len(key) <= 120 else "sbsub:" + hashlib.sha256(key.encode()).hexdigest()


def require(sub: SandboxSubscription, statuses: tuple[str, ...], why: str) -> None:
    if sub.status not in statuses:
        raise ProcessorError("subscription_unexpected_state",
                             f"This subscription is {sub.status}: {why}.")


def switch_interval(sub: SandboxSubscription, interval: str) -> None:
    """Bill every ``interval`` from the current period's end: on the same anchor when the
    months done so far are whole new periods (the anchor day survives short months), else
    anchored at the period end (as Stripe resets the anchor)."""
    if interval == sub.interval:
        return
    done, step = MONTHS[Interval(sub.interval)] * sub.period_index, MONTHS[Interval(interval)]
    if done % step == 0:
        sub.period_index = done // step
    else:
        sub.anchor_at, sub.period_index = sub.current_period_end, 0
    sub.interval = interval


def charge_of(sub: SandboxSubscription, attempt: int, on_session: bool,
               sub_event: str | None) -> Charge:
    """The charge of ``attempt`` at ``sub``'s open invoice, from the row as it is."""
    meta = meta_of(sub)
    invoice_id = sub.open_invoice_id
    request = CreateIntent(
        amount=int(meta["invoice"]["amount_due"]), currency=sub.currency, order_id=0,
        order_number=invoice_id,
        idempotency_key=intent_key(sub.idempotency_key, invoice_id, attempt),
        customer_email=str(meta.get("email", "")),
        description=str(meta.get("description", "")),
        metadata={"subscription": sub.id, "invoice": invoice_id, "attempt": str(attempt)})
    return invoice_id, attempt, on_session, sub_event, request, sub.card_number


def due(sub: SandboxSubscription, now: datetime, reminder_days: int) -> bool:
    """Whether ``advance`` would pick ``sub`` at ``now`` (its query, on the row)."""
    if sub.status not in LIVE:
        return False
    if sub.open_invoice_id and sub.next_attempt_at is not None and sub.next_attempt_at <= now:
        return True
    if sub.current_period_end <= now and (not sub.open_invoice_id or sub.cancel_at_period_end):
        return True
    return (reminder_days > 0 and sub.status == "trialing" and not sub.trial_reminded
            and sub.trial_end is not None
            and sub.trial_end <= now + timedelta(days=reminder_days))


# -- the objects ------------------------------------------------------------------------------


def payment_of_intent(intent: SandboxIntent) -> dict[str, Any]:
    """An invoice's ``payment_intent`` from the sandbox's intent row."""
    error = ({"code": intent.failure_code, "decline_code": intent.failure_code,
              "message": intent.failure_message} if intent.failure_code else None)
    return {"id": intent.id, "object": "payment_intent", "amount": intent.amount,
            "currency": intent.currency.lower(), "status": intent.status,
            "client_secret": intent.client_secret, "last_payment_error": error}


def payment_of_result(result: IntentResult) -> dict[str, Any]:
    """The same ``payment_intent`` from what charging it answered (no need to read it back)."""
    error = ({"code": result.failure_code, "decline_code": result.failure_code,
              "message": result.failure_message} if result.failure_code else None)
    return {"id": result.intent_id, "object": "payment_intent", "amount": result.amount,
            "currency": result.currency.lower(), "status": str(result.raw.get("status", "")),
            "client_secret": result.client_secret, "last_payment_error": error}


def invoice_object(sub: SandboxSubscription, invoice: dict[str, Any],
                   payment: dict[str, Any] | None) -> dict[str, Any]:
    """Stripe's ``invoice`` of ``sub`` (``invoice`` is the one kept in its meta)."""
    currency = sub.currency.lower()
    period = {"start": invoice["period_start"], "end": invoice["period_end"]}
    return {
        "id": invoice["id"], "object": "invoice", "subscription": sub.id,
        "customer": sub.customer_id, "status": invoice["status"], "currency": currency,
        "amount_due": invoice["amount_due"], "amount_paid": invoice["amount_paid"],
        "amount_remaining": invoice["amount_due"] - invoice["amount_paid"],
        "billing_reason": invoice["billing_reason"],
        "attempt_count": invoice["attempt_count"], "attempted": invoice["attempt_count"] > 0,
        "next_payment_attempt": invoice["next_payment_attempt"],
        "payment_intent": payment, "created": invoice["created"],
        "status_transitions": {"paid_at": invoice.get("paid_at")},
        "lines": {"object": "list", "data": [{
            "object": "line_item", "amount": invoice["amount_due"], "currency": currency,
            "period": period}]},
        "subscription_details": {"metadata": dict(meta_of(sub).get("metadata") or {})},
        "livemode": False,
    }


def subscription_object(sub: SandboxSubscription, payment: dict[str, Any] | None
                        ) -> dict[str, Any]:
    """Stripe's ``subscription``; ``payment`` is its latest invoice's payment intent."""
    meta = meta_of(sub)
    invoice = meta.get("invoice")
    start, end = unix(sub.current_period_start), unix(sub.current_period_end)
    interval, count = _RECURRING[Interval(sub.interval)]
    card = sub.card_number
    return {
        "id": sub.id, "object": "subscription", "customer": sub.customer_id,
        "status": sub.status, "currency": sub.currency.lower(),
        "created": meta.get("created"), "billing_cycle_anchor": unix(sub.anchor_at),
        "current_period_start": start, "current_period_end": end,
        "trial_start": meta.get("created") if sub.trial_end else None,
        "trial_end": unix(sub.trial_end) if sub.trial_end else None,
        "cancel_at_period_end": sub.cancel_at_period_end,
        "cancel_at": end if sub.cancel_at_period_end else None,
        "canceled_at": meta.get("canceled_at"),
        "ended_at": meta.get("canceled_at") if sub.status == "canceled" else None,
        "pause_collection": ({"behavior": "void", "resumes_at": None}
                             if sub.status == "paused" else None),
        "latest_invoice": invoice_object(sub, invoice, payment) if invoice else None,
        "default_payment_method": ({"id": f"pm_sb{card[-4:]}", "object": "payment_method",
                                    "card": {"brand": "visa", "last4": card[-4:]}}
                                   if card else None),
        "items": {"object": "list", "data": [{
            "object": "subscription_item", "quantity": 1,
            "current_period_start": start, "current_period_end": end,
            "price": {"currency": sub.currency.lower(), "unit_amount": sub.amount,
                      "recurring": {"interval": interval, "interval_count": count}}}]},
        "metadata": dict(meta.get("metadata") or {}),
        "livemode": False,
    }
