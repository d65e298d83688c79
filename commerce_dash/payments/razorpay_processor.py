"""The Razorpay processor (spec 001 PAY-002, spec 004 "Razorpay strategy"), built on the
official ``razorpay`` SDK.

Razorpay's unit of payment is an *order*: our intent is a Razorpay order created in the
smallest unit of its currency (paise for INR) with the order's idempotency key as its
``receipt`` and our ids in its ``notes``. Razorpay Checkout (its script, in the learner's
page) takes the payment by card, UPI, net banking or a wallet and hands the page
``razorpay_payment_id``, ``razorpay_order_id`` and ``razorpay_signature``; the server checks
that signature (HMAC-SHA256 of ``order_id|payment_id`` with the key secret) before the page
says paid, and reads the payment back from Razorpay. Webhooks (``payment.captured``,
``payment.failed``, ``order.paid``, ``refund.processed``) carry ``X-Razorpay-Signature``, an
HMAC-SHA256 of the raw body with the webhook secret.

Razorpay takes no idempotency key on its API, so the two calls that must happen once look
first: an order is looked up by its receipt before one is created, and a refund by the key
kept in its notes before one is made. Captured payments report Razorpay's ``fee`` (its GST,
``tax``, included), which the ledger records instead of an estimate.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import razorpay
import requests
from razorpay.errors import BadRequestError, GatewayError, ServerError

from commerce_dash.payments.base import (
    ChargeRefund,
    CreateIntent,
    EventKind,
    IntentResult,
    IntentStatus,
    ProcessorError,
    RefundRequest,
    RefundResult,
    WebhookEvent,
    WebhookSignatureError,
)

if TYPE_CHECKING:
    from commerce_dash.settings import Settings

RECEIPT_MAX = 40  # Razorpay's limit on an order's receipt
NOTE_MAX = 256  # and on each note's value
_CAPTURED = ("captured", "refunded")  # a refunded payment was captured first
_REFUND_STATUS = {"processed": "succeeded", "pending": "pending", "failed": "failed"}
_INTENT_EVENTS = {
    "payment.captured": IntentStatus.SUCCEEDED,
    "order.paid": IntentStatus.SUCCEEDED,
    "payment.failed": IntentStatus.FAILED,
    "payment.authorized": IntentStatus.PROCESSING,
}


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _items(collection: Any) -> list[Mapping[str, Any]]:
    items = _map(collection).get("items")
    return [_map(item) for item in items] if isinstance(items, list) else []


def _header(headers: Mapping[str, str], name: str) -> str:
    wanted = name.lower()
    return next((str(v) for k, v in headers.items() if k.lower() == wanted), "")


def _fee(payment: Mapping[str, Any]) -> int | None:
    """Razorpay's fee of a captured payment (its ``tax`` is part of it), None if absent."""
    fee = payment.get("fee")
    return fee if isinstance(fee, int) and not isinstance(fee, bool) and fee >= 0 else None


def _failure(payment: Mapping[str, Any]) -> tuple[str, str]:
    reason = _str(payment.get("error_reason"))
    return (reason or _str(payment.get("error_code")) or "payment_failed",
            _str(payment.get("error_description")) or "The payment did not go through.")


class _TimeoutSession(requests.Session):
    """The SDK passes no timeout: every call of ours is bounded."""

    def __init__(self, timeout_seconds: float) -> None:
        super().__init__()
        self._timeout = timeout_seconds

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        kwargs.setdefault("timeout", self._timeout)
        return super().request(*args, **kwargs)


def signature(secret: str, message: bytes) -> str:
    """Razorpay's signature scheme: hex HMAC-SHA256."""
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def razorpay_event(payload: Mapping[str, Any], event_id: str) -> WebhookEvent:
    """Normalise a Razorpay webhook body (already verified, or stored after verification).
    Wrong types read as empty, never as an exception."""
    name = _str(payload.get("event"))
    body = _map(payload.get("payload"))
    payment = _map(_map(body.get("payment")).get("entity"))
    order = _map(_map(body.get("order")).get("entity"))
    created = _int(payload.get("created_at"))
    intent_id = _str(payment.get("order_id")) or _str(order.get("id"))
    if name == "refund.processed" or name == "refund.failed":
        refund = _map(_map(body.get("refund")).get("entity"))
        refunds = (ChargeRefund(
            refund_id=_str(refund.get("id")), amount=_int(refund.get("amount")),
            status=_REFUND_STATUS.get(_str(refund.get("status")), "pending"),
            idempotency_key=_str(_map(refund.get("notes")).get("idempotency_key")),
        ),) if _str(refund.get("id")) else ()
        return WebhookEvent(event_id=event_id, event_type=name, intent_id=intent_id,
                            status=None, created=created, raw=dict(payload),
                            kind=EventKind.REFUNDS, refunds=refunds)
    status = _INTENT_EVENTS.get(name)
    if status is None:
        return WebhookEvent(event_id=event_id, event_type=name, intent_id=intent_id,
                            status=None, created=created, raw=dict(payload),
                            kind=EventKind.OTHER)
    code, message = _failure(payment) if status is IntentStatus.FAILED else ("", "")
    amount = _int(payment.get("amount")) or _int(order.get("amount_paid"))
    currency = (_str(payment.get("currency")) or _str(order.get("currency"))).upper()
    return WebhookEvent(event_id=event_id, event_type=name, intent_id=intent_id, status=status,
                        amount=amount, currency=currency, failure_code=code,
                        failure_message=message, created=created, raw=dict(payload),
                        fee=_fee(payment) if status is IntentStatus.SUCCEEDED else None)


class RazorpayProcessor:
    """Orders, Checkout's signed result, captures, refunds and webhooks of Razorpay."""

    name = "razorpay"

    def __init__(self, *, key_id: str, key_secret: str, webhook_secret: str,
                 api_base: str = "", checkout_js_url: str = "",
                 timeout_seconds: float = 20.0) -> None:
        if not key_id or not key_secret:
            raise ProcessorError("processor_not_configured",
                                 "Razorpay is not set up: COMMERCE_RAZORPAY_KEY_ID and "
                                 "COMMERCE_RAZORPAY_KEY_SECRET must both be set.")
        self.key_id = key_id
        self._key_secret = key_secret
        self._webhook_secret = webhook_secret
        self.checkout_js_url = checkout_js_url
        options = {"base_url": api_base.rstrip("/")} if api_base else {}
        self._client = razorpay.Client(session=_TimeoutSession(timeout_seconds),
                                       auth=(key_id, key_secret), **options)
        self._client.set_app_details({"title": "Commerce Dash", "version": "2"})

    @classmethod
    def from_settings(cls, settings: Settings) -> RazorpayProcessor:
        return cls(key_id=settings.razorpay_key_id,
                   key_secret=settings.razorpay_key_secret.get_secret_value(),
                   webhook_secret=settings.razorpay_webhook_secret.get_secret_value(),
                   api_base=settings.razorpay_api_base,
                   checkout_js_url=settings.razorpay_checkout_js_url)

    # -- calls -------------------------------------------------------------------------------

    def _call(self, what: str, fn: Any, *args: Any) -> Any:
        try:
            return fn(*args)
        except BadRequestError as exc:
            raise ProcessorError("razorpay_refused", f"Razorpay refused to {what}: {exc}"
                                 ) from None
        except (GatewayError, ServerError) as exc:
            raise ProcessorError("razorpay_unavailable", f"Razorpay could not {what}: {exc}",
                                 retryable=True) from None
        except (requests.RequestException, ValueError) as exc:  # network, or not JSON
            raise ProcessorError("razorpay_unreachable",
                                 f"Razorpay could not be reached to {what}: "
                                 f"{type(exc).__name__}", retryable=True) from None

    def _order(self, order_id: str) -> Mapping[str, Any]:
        return _map(self._call("read the order", self._client.order.fetch, order_id))

    def _payments(self, order_id: str) -> list[Mapping[str, Any]]:
        return _items(self._call("list the order's payments", self._client.order.payments,
                                 order_id))

    # -- PaymentProcessor ----------------------------------------------------------------------

    def create_intent(self, request: CreateIntent) -> IntentResult:
        """A Razorpay order, once per idempotency key: an order already made with this
        receipt (a retry after a lost answer) is the one returned."""
        receipt = request.idempotency_key[:RECEIPT_MAX]
        currency = request.currency.upper()
        found = _items(self._call("look the order up", self._client.order.all,
                                  {"receipt": receipt}))
        for order in found:
            if _str(order.get("receipt")) == receipt:
                if _int(order.get("amount")) != request.amount or \
                        _str(order.get("currency")).upper() != currency:
                    raise ProcessorError(
                        "intent_mismatch", f"Razorpay already has order {order.get('id')} for "
                        f"{receipt} with another amount or currency.")
                return self._result(order, self._payments(_str(order.get("id"))))
        notes = {"order_id": str(request.order_id), "order_number": request.order_number,
                 **{k: str(v)[:NOTE_MAX] for k, v in request.metadata.items()}}
        order = _map(self._call("create the order", self._client.order.create, {
            "amount": request.amount, "currency": currency, "receipt": receipt,
            "notes": dict(list(notes.items())[:15]),  # Razorpay keeps up to 15 notes
        }))
        if not _str(order.get("id")):
            raise ProcessorError("razorpay_unavailable", "Razorpay answered without an order.",
                                 retryable=True)
        return self._result(order, [])

    def _result(self, order: Mapping[str, Any], payments: list[Mapping[str, Any]],
                ) -> IntentResult:
        """The order's state from its payments: one captured for the order's amount and
        currency pays it; an authorized one is captured first; else the latest failure."""
        order_id = _str(order.get("id"))
        amount, currency = _int(order.get("amount")), _str(order.get("currency")).upper()
        raw = {"order": dict(order), "payments": [dict(p) for p in payments]}
        for payment in payments:
            if _str(payment.get("status")) == "authorized" and \
                    _int(payment.get("amount")) == amount:
                payment = _map(self._call(
                    "capture the payment", self._client.payment.capture,
                    _str(payment.get("id")), amount, {"currency": currency}))
            if _str(payment.get("status")) in _CAPTURED:
                if _int(payment.get("amount")) != amount or \
                        _str(payment.get("currency")).upper() != currency:
                    continue  # never completes an order it does not match
                return IntentResult(order_id, IntentStatus.SUCCEEDED, amount, currency,
                                    amount_received=amount, raw=raw, fee=_fee(payment))
        failed = [p for p in payments if _str(p.get("status")) == "failed"]
        if failed:
            latest = max(failed, key=lambda p: _int(p.get("created_at")))
            code, message = _failure(latest)
            return IntentResult(order_id, IntentStatus.FAILED, amount, currency,
                                failure_code=code, failure_message=message, raw=raw)
        return IntentResult(order_id, IntentStatus.REQUIRES_PAYMENT, amount, currency, raw=raw)

    def retrieve_intent(self, intent_id: str) -> IntentResult:
        return self._result(self._order(intent_id), self._payments(intent_id))

    def confirm_intent(self, intent_id: str, payment_method: str) -> IntentResult:
        """Razorpay takes payments in Checkout only: ``payment_method`` is a payment id it
        made for this order, captured if it is only authorized."""
        payment = _map(self._call("read the payment", self._client.payment.fetch,
                                  payment_method))
        if _str(payment.get("order_id")) != intent_id:
            raise ProcessorError("payment_mismatch",
                                 "That Razorpay payment is not for this order.")
        return self.retrieve_intent(intent_id)

    def complete_checkout(self, intent_id: str, fields: Mapping[str, str]) -> IntentResult:
        """Razorpay Checkout's handler result, checked before anything is believed: the
        signature must be Razorpay's for this order and payment."""
        order_id = str(fields.get("razorpay_order_id", ""))
        payment_id = str(fields.get("razorpay_payment_id", ""))
        given = str(fields.get("razorpay_signature", ""))
        expected = signature(self._key_secret, f"{order_id}|{payment_id}".encode())
        if order_id != intent_id or not payment_id or not hmac.compare_digest(expected, given):
            raise ProcessorError("signature_invalid",
                                 "Razorpay's answer could not be verified, so nothing is "
                                 "marked paid. If money left your account it is refunded "
                                 "or the order completes within minutes.")
        return self.confirm_intent(intent_id, payment_id)

    def start_checkout(self, intent_id: str, amount: int, currency: str,
                       description: str) -> dict[str, str]:
        """Nothing more is needed to open the processor's script."""
        return {}

    def checkout_options(self, intent_id: str) -> dict[str, str]:
        """What the page hands Razorpay Checkout (the key id is public)."""
        return {"script_url": self.checkout_js_url, "key": self.key_id, "order_id": intent_id}

    def cancel_intent(self, intent_id: str) -> IntentResult:
        """Razorpay orders cannot be cancelled: an order with no captured payment is
        reported cancelled (a payment arriving later is refunded by the settlement)."""
        result = self.retrieve_intent(intent_id)
        if result.status is IntentStatus.SUCCEEDED:
            return result
        return IntentResult(intent_id, IntentStatus.CANCELED, result.amount, result.currency,
                            raw=result.raw)

    def _captured_payment(self, intent_id: str) -> Mapping[str, Any]:
        payment = next((p for p in self._payments(intent_id)
                        if _str(p.get("status")) in _CAPTURED), None)
        if payment is None:
            raise ProcessorError("nothing_to_refund",
                                 "Razorpay has no captured payment for this order.")
        return payment

    def refund(self, request: RefundRequest) -> RefundResult:
        """A refund of the order's captured payment, once per idempotency key (a refund
        already made with this key, kept in its notes, is the one returned)."""
        payment = self._captured_payment(request.intent_id)
        if _str(payment.get("currency")).upper() != request.currency.upper():
            raise ProcessorError("currency_mismatch",
                                 f"The payment is in {payment.get('currency')}, the refund in "
                                 f"{request.currency}.")
        payment_id = _str(payment.get("id"))
        made = _items(self._call("list the payment's refunds",
                                 self._client.payment.fetch_multiple_refund, payment_id))
        refund = next((r for r in made if _str(_map(r.get("notes")).get("idempotency_key"))
                       == request.idempotency_key), None)
        if refund is None:
            refund = _map(self._call("refund the payment", self._client.payment.refund,
                                     payment_id, {
                                         "amount": request.amount,
                                         "receipt": request.idempotency_key[:RECEIPT_MAX],
                                         "notes": {"idempotency_key": request.idempotency_key,
                                                   "reason": request.reason[:NOTE_MAX]},
                                     }))
        return RefundResult(refund_id=_str(refund.get("id")), amount=_int(refund.get("amount")),
                            status=_REFUND_STATUS.get(_str(refund.get("status")), "pending"),
                            raw=dict(refund))

    def verify_webhook(self, body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        if not self._webhook_secret:
            raise WebhookSignatureError("COMMERCE_RAZORPAY_WEBHOOK_SECRET is not set")
        given = _header(headers, "X-Razorpay-Signature")
        if not given or not hmac.compare_digest(signature(self._webhook_secret, body), given):
            raise WebhookSignatureError("X-Razorpay-Signature does not match the body")
        try:
            payload = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise WebhookSignatureError("the body is not JSON") from None
        if not isinstance(payload, dict) or payload.get("entity") != "event":
            raise WebhookSignatureError("the body is not a Razorpay event")
        event_id = _header(headers, "X-Razorpay-Event-Id")[:120] or \
            "sha256:" + hashlib.sha256(body).hexdigest()
        return razorpay_event(payload, event_id)
