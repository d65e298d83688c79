"""The Square processor (spec 001 PAY-002), built on the official ``squareup`` SDK.

Our intent is a Square *order* (Orders API CreateOrder) with one line item for the order's
amount in the smallest unit of its currency, our order number as its ``reference_id`` and our
ids in its ``metadata``; Square's idempotency key (the order's) makes a retry return the same
order. The Web Payments SDK (Square's script, in the learner's page) turns a card or Google
Pay into a one-time token (``cnon:...``); the server pays the order with it (CreatePayment,
``autocomplete``), for the order's total only. A decline (``PAYMENT_METHOD_ERROR``, e.g.
``CARD_DECLINED``) is a FAILED intent with a readable reason, not an exception; the learner
may try another card on the same order.

An order's state is read from its tenders' payments: one COMPLETED for the order's total and
currency pays it (an APPROVED one is completed first); a payment for another amount never
does. Refunds (RefundPayment) are made once per our idempotency key, which Square dedupes.
Webhooks carry ``x-square-hmacsha256-signature``: base64 HMAC-SHA256, keyed with the
subscription's signature key, of the notification URL followed by the raw body. Completed
payments report Square's ``processing_fee``, which the ledger records instead of an estimate.

One module for one processor (as the other processors have): its calls, its answers' reading
and its webhooks' signature belong together.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

import httpx
from square import Square
from square.core.api_error import ApiError

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

KEY_MAX = 45  # Square's limit on CreatePayment's and RefundPayment's idempotency keys
METADATA_MAX = 10  # entries of an order's metadata; values up to 255 characters
DEFAULT_WEB_SDK_URL = "https://web.squarecdn.com/v1/square.js"
SIGNATURE_HEADER = "x-square-hmacsha256-signature"
_OUR_KEY = re.compile(r"\(ref (refund-[A-Za-z0-9_:.-]+)\)\s*$")
_REFUND_STATUS = {"PENDING": "pending", "COMPLETED": "succeeded", "REJECTED": "failed",
                  "FAILED": "failed"}
_PAYMENT_STATUS = {"COMPLETED": IntentStatus.SUCCEEDED, "FAILED": IntentStatus.FAILED,
                   "CANCELED": IntentStatus.CANCELED, "APPROVED": IntentStatus.PROCESSING,
                   "PENDING": IntentStatus.PROCESSING}
_DECLINES = {
    "CARD_DECLINED": "Your card was declined. Try another card or contact your bank.",
    "CVV_FAILURE": "The security code (CVV) did not match. Check it and try again.",
    "INSUFFICIENT_FUNDS": "The card has insufficient funds. Try another card.",
    "GENERIC_DECLINE": "Your card was declined. Try another card or contact your bank.",
    "CARD_EXPIRED": "The card has expired. Try another card.",
    "INVALID_EXPIRATION": "The expiry date is not valid. Check it and try again.",
    "BAD_EXPIRATION": "The expiry date is missing or not valid. Check it and try again.",
    "ADDRESS_VERIFICATION_FAILURE": "The postal code did not match the card. Check it.",
    "INVALID_CARD": "The card details are not valid. Check them and try again.",
    "CARD_DECLINED_VERIFICATION_REQUIRED": "Your bank needs to verify this payment. "
                                           "Try again and complete the verification.",
    "CARD_DECLINED_CALL_ISSUER": "Your card was declined. Call your bank, or try another.",
    "TRANSACTION_LIMIT": "The amount is over the card's limit. Try another card.",
}


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Mapping[str, Any]]:
    return [_map(item) for item in value] if isinstance(value, list) else []


def _money(value: Any) -> tuple[int, str]:
    money = _map(value)
    return _int(money.get("amount")), _str(money.get("currency")).upper()


def _header(headers: Mapping[str, str], name: str) -> str:
    wanted = name.lower()
    return next((str(v) for k, v in headers.items() if k.lower() == wanted), "")


def _unix(stamp: Any) -> int:
    try:
        return int(datetime.fromisoformat(_str(stamp).replace("Z", "+00:00")).timestamp())
    except ValueError:
        return 0


def _dump(value: Any) -> Mapping[str, Any]:
    """An SDK model as the JSON Square sent (absent fields left out)."""
    if hasattr(value, "model_dump"):
        return _map(value.model_dump(mode="json", by_alias=True, exclude_none=True))
    return _map(value)


def _fee(payment: Mapping[str, Any]) -> int | None:
    """Square's processing fee of a completed payment, None when it reports none (yet)."""
    fees = _list(payment.get("processing_fee"))
    return sum(_money(f.get("amount_money"))[0] for f in fees) if fees else None


def _key(prefix: str, *parts: str) -> str:
    """A stable idempotency key within Square's 45 characters."""
    return prefix + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:KEY_MAX - len(prefix)]


def _decline(errors: list[Mapping[str, Any]]) -> tuple[str, str]:
    codes = [_str(e.get("code")) for e in errors]
    code = next((c for c in codes if c in _DECLINES), codes[0] if codes else "payment_failed")
    message = _DECLINES.get(code) or next((_str(e.get("detail")) for e in errors
                                           if _str(e.get("detail"))), "")
    return code or "payment_failed", message or "The payment did not go through."


def _refusal(what: str, exc: ApiError) -> ProcessorError:
    status = exc.status_code or 0
    detail = "; ".join(f"{e.code}: {e.detail}" if e.detail else str(e.code) for e in exc.errors)
    if status >= 500 or status in (408, 429):
        return ProcessorError("square_unavailable", f"Square could not {what}: {detail}",
                              retryable=True)
    return ProcessorError("square_refused", f"Square refused to {what}: {detail}")


def _failure(payment: Mapping[str, Any]) -> tuple[str, str]:
    """Why a payment failed, from its card's errors when Square gives them."""
    return _decline(_list(_map(payment.get("card_details")).get("errors")))


def signature(key: str, notification_url: str, body: bytes) -> str:
    """Square's webhook signature: base64 HMAC-SHA256 of the notification URL plus body."""
    digest = hmac.new(key.encode(), notification_url.encode() + body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def square_event(payload: Mapping[str, Any], event_id: str) -> WebhookEvent:
    """Normalise a Square webhook body (already verified, or stored after verification).
    Wrong types read as empty, never as an exception."""
    name = _str(payload.get("type"))
    obj = _map(_map(payload.get("data")).get("object"))
    created = _unix(payload.get("created_at"))
    if name in ("refund.created", "refund.updated"):
        refund = _map(obj.get("refund"))
        refund_id = _str(refund.get("id"))
        ours = _OUR_KEY.search(_str(refund.get("reason")))
        refunds = (ChargeRefund(
            refund_id=refund_id, amount=_money(refund.get("amount_money"))[0],
            status=_REFUND_STATUS.get(_str(refund.get("status")), "pending"),
            idempotency_key=ours.group(1) if ours else "",
        ),) if refund_id else ()
        return WebhookEvent(event_id=event_id, event_type=name,
                            intent_id=_str(refund.get("order_id")), status=None,
                            created=created, raw=dict(payload), kind=EventKind.REFUNDS,
                            refunds=refunds)
    payment = _map(obj.get("payment"))
    status = _PAYMENT_STATUS.get(_str(payment.get("status")))
    if name not in ("payment.created", "payment.updated") or status is None:
        return WebhookEvent(event_id=event_id, event_type=name,
                            intent_id=_str(payment.get("order_id")), status=None,
                            created=created, raw=dict(payload), kind=EventKind.OTHER)
    amount, currency = _money(payment.get("amount_money"))
    code, message = _failure(payment) if status is IntentStatus.FAILED else ("", "")
    return WebhookEvent(event_id=event_id, event_type=name,
                        intent_id=_str(payment.get("order_id")), status=status, amount=amount,
                        currency=currency, failure_code=code, failure_message=message,
                        created=created, raw=dict(payload),
                        fee=_fee(payment) if status is IntentStatus.SUCCEEDED else None)


class SquareProcessor:
    """Orders, Web Payments SDK tokens, payments, refunds and webhooks of Square."""

    name = "square"

    def __init__(self, *, access_token: str, location_id: str, application_id: str,
                 webhook_signature_key: str, notification_url: str, api_base: str = "",
                 web_sdk_url: str = "", timeout_seconds: float = 20.0) -> None:
        if not access_token or not location_id or not application_id:
            raise ProcessorError("processor_not_configured",
                                 "Square is not set up: COMMERCE_SQUARE_ACCESS_TOKEN, "
                                 "COMMERCE_SQUARE_LOCATION_ID and "
                                 "COMMERCE_SQUARE_APPLICATION_ID must all be set.")
        self.location_id = location_id
        self.application_id = application_id
        self._signature_key = webhook_signature_key
        self.notification_url = notification_url
        self.web_sdk_url = web_sdk_url or DEFAULT_WEB_SDK_URL
        self._client = Square(token=access_token, base_url=api_base.rstrip("/") or None,
                              timeout=timeout_seconds)

    @classmethod
    def from_settings(cls, settings: Settings) -> SquareProcessor:
        url = settings.square_webhook_url or \
            f"{settings.public_url.rstrip('/')}/api/v2/payments/webhook/square"
        return cls(access_token=settings.square_access_token.get_secret_value(),
                   location_id=settings.square_location_id,
                   application_id=settings.square_application_id,
                   webhook_signature_key=(
                       settings.square_webhook_signature_key.get_secret_value()),
                   notification_url=url, api_base=settings.square_api_base,
                   web_sdk_url=settings.square_web_sdk_url)

    # -- calls -------------------------------------------------------------------------------

    def _call(self, what: str, fn: Callable[..., Any], **kwargs: Any) -> Mapping[str, Any]:
        try:
            return _dump(fn(**kwargs))
        except ApiError as exc:
            raise _refusal(what, exc) from None
        except (httpx.HTTPError, ValueError) as exc:  # network, or not Square's JSON
            raise ProcessorError("square_unreachable", f"Square could not be reached to "
                                 f"{what}: {type(exc).__name__}", retryable=True) from None

    def _order(self, order_id: str) -> Mapping[str, Any]:
        order = _map(self._call("read the order", self._client.orders.get,
                                order_id=order_id).get("order"))
        if _str(order.get("id")) != order_id:
            raise ProcessorError("square_unavailable", "Square answered without the order.",
                                 retryable=True)
        return order

    def _payments(self, order: Mapping[str, Any]) -> list[Mapping[str, Any]]:
        ids = dict.fromkeys(_str(t.get("payment_id")) or _str(t.get("id"))
                            for t in _list(order.get("tenders")))
        return [_map(self._call("read the payment", self._client.payments.get,
                                payment_id=pid).get("payment")) for pid in ids if pid]

    # -- PaymentProcessor ----------------------------------------------------------------------

    def create_intent(self, request: CreateIntent) -> IntentResult:
        """A Square order, once per idempotency key (Square returns the same order to a
        retry with the same key and body)."""
        currency = request.currency.upper()
        metadata = {"order_id": str(request.order_id), "order_number": request.order_number,
                    **{k[:60]: str(v)[:255] for k, v in request.metadata.items()}}
        order = _map(self._call("create the order", self._client.orders.create,
                                idempotency_key=request.idempotency_key, order={
            "location_id": self.location_id,
            "reference_id": request.order_number[:40],
            "line_items": [{
                "name": (request.description or f"Order {request.order_number}")[:500],
                "quantity": "1",
                "base_price_money": {"amount": request.amount, "currency": currency},
            }],
            "metadata": dict(list(metadata.items())[:METADATA_MAX]),
        }).get("order"))
        if not _str(order.get("id")):
            raise ProcessorError("square_unavailable", "Square answered without an order.",
                                 retryable=True)
        if _money(order.get("total_money")) != (request.amount, currency):
            raise ProcessorError("intent_mismatch", f"Square's order {order.get('id')} is not "
                                 "for this amount and currency.")
        return self._result(order, [])

    def _result(self, order: Mapping[str, Any], payments: list[Mapping[str, Any]], *,
                complete: bool = True) -> IntentResult:
        """The order's state from its payments: one COMPLETED for its total and currency
        pays it (an APPROVED one is completed first); else pending, else the latest failure."""
        order_id = _str(order.get("id"))
        amount, currency = _money(order.get("total_money"))
        raw = {"order": dict(order), "payments": [dict(p) for p in payments]}
        processing = False
        for payment in payments:
            matches = _money(payment.get("amount_money")) == (amount, currency)
            status = _str(payment.get("status"))
            if status == "APPROVED" and matches and complete:
                payment = _map(self._call("complete the payment",
                                          self._client.payments.complete,
                                          payment_id=_str(payment.get("id"))).get("payment"))
                status = _str(payment.get("status"))
            if status == "COMPLETED" and matches:
                return IntentResult(order_id, IntentStatus.SUCCEEDED, amount, currency,
                                    amount_received=amount, raw=raw, fee=_fee(payment))
            processing = processing or (status in ("APPROVED", "PENDING") and matches)
        if processing:
            return IntentResult(order_id, IntentStatus.PROCESSING, amount, currency, raw=raw)
        failed = [p for p in payments if _str(p.get("status")) in ("FAILED", "CANCELED")]
        if failed:
            latest = max(failed, key=lambda p: _str(p.get("updated_at")))
            code, message = ("payment_canceled", "The payment was cancelled.") \
                if _str(latest.get("status")) == "CANCELED" else _failure(latest)
            return IntentResult(order_id, IntentStatus.FAILED, amount, currency,
                                failure_code=code, failure_message=message, raw=raw)
        return IntentResult(order_id, IntentStatus.REQUIRES_PAYMENT, amount, currency, raw=raw)

    def retrieve_intent(self, intent_id: str) -> IntentResult:
        order = self._order(intent_id)
        return self._result(order, self._payments(order))

    def confirm_intent(self, intent_id: str, payment_method: str) -> IntentResult:
        """Pay the order with a Web Payments SDK token (``payment_method`` is its source id)."""
        return self.complete_checkout(intent_id, {"source_id": payment_method})

    def complete_checkout(self, intent_id: str, fields: Mapping[str, str]) -> IntentResult:
        """Pay the order with the token the Web Payments SDK gave the page (``source_id``,
        optionally ``verification_token``), for the order's own total; once per token."""
        source_id = str(fields.get("source_id", ""))
        if not source_id:
            raise ProcessorError("source_missing", "No card or wallet token was given.")
        order = self._order(intent_id)
        current = self._result(order, self._payments(order))
        if current.status is IntentStatus.SUCCEEDED:
            return current  # paid already: never a second charge
        amount, currency = current.amount, current.currency
        body: dict[str, Any] = {
            "idempotency_key": _key("pay-", intent_id, source_id), "source_id": source_id,
            "amount_money": {"amount": amount, "currency": currency}, "order_id": intent_id,
            "location_id": self.location_id, "autocomplete": True,
            "reference_id": _str(order.get("reference_id"))[:40],
        }
        if fields.get("verification_token"):
            body["verification_token"] = str(fields["verification_token"])
        try:
            answer = _dump(self._client.payments.create(**body))
        except ApiError as exc:
            errors = [_map(e) for e in _list(_map(exc.body).get("errors"))]
            status = exc.status_code or 0
            if 400 <= status < 500 and any(_str(e.get("category")) == "PAYMENT_METHOD_ERROR"
                                           or _str(e.get("code")) in _DECLINES for e in errors):
                code, message = _decline(errors)
                return IntentResult(intent_id, IntentStatus.FAILED, amount, currency,
                                    failure_code=code, failure_message=message,
                                    raw={"errors": errors,
                                         "payment": dict(_map(_map(exc.body).get("payment")))})
            raise _refusal("pay the order", exc) from None
        except (httpx.HTTPError, ValueError) as exc:
            raise ProcessorError("square_unreachable", "Square could not be reached to pay "
                                 f"the order: {type(exc).__name__}", retryable=True) from None
        return self._result(order, [_map(answer.get("payment"))])

    def start_checkout(self, intent_id: str, amount: int, currency: str,
                       description: str) -> dict[str, str]:
        """Nothing more is needed to open the processor's script."""
        return {}

    def checkout_options(self, intent_id: str) -> dict[str, str]:
        """What the page hands the Web Payments SDK (application and location ids are
        public)."""
        return {"script_url": self.web_sdk_url, "application_id": self.application_id,
                "location_id": self.location_id, "order_id": intent_id}

    def cancel_intent(self, intent_id: str) -> IntentResult:
        """An order with no completed payment is cancelled (an APPROVED payment is cancelled
        with it); a paid one is reported paid."""
        order = self._order(intent_id)
        payments = self._payments(order)
        result = self._result(order, payments, complete=False)
        if result.status is IntentStatus.SUCCEEDED:
            return result
        for payment in payments:
            if _str(payment.get("status")) == "APPROVED":
                self._call("cancel the payment", self._client.payments.cancel,
                           payment_id=_str(payment.get("id")))
        return IntentResult(intent_id, IntentStatus.CANCELED, result.amount, result.currency,
                            raw=result.raw)

    def refund(self, request: RefundRequest) -> RefundResult:
        """A refund of the order's completed payment, once per idempotency key (Square
        returns the refund already made with it)."""
        order = self._order(request.intent_id)
        payment = next((p for p in self._payments(order)
                        if _str(p.get("status")) == "COMPLETED"), None)
        if payment is None:
            raise ProcessorError("nothing_to_refund",
                                 "Square has no completed payment for this order.")
        currency = _money(payment.get("amount_money"))[1]
        if currency != request.currency.upper():
            raise ProcessorError("currency_mismatch", f"The payment is in {currency}, the "
                                 f"refund in {request.currency}.")
        key = request.idempotency_key
        if len(key) > KEY_MAX:
            key = _key("refund-", key)
        # Square keeps no metadata on a refund: our key rides in its reason, so the refund's
        # webhook is known as ours even when it comes before we recorded the refund's id
        reason = f"{request.reason[:192 - len(key) - 7]} (ref {key})"
        refund = _map(self._call(
            "refund the payment", self._client.refunds.refund_payment, idempotency_key=key,
            payment_id=_str(payment.get("id")), reason=reason,
            amount_money={"amount": request.amount, "currency": currency}).get("refund"))
        return RefundResult(refund_id=_str(refund.get("id")),
                            amount=_money(refund.get("amount_money"))[0],
                            status=_REFUND_STATUS.get(_str(refund.get("status")), "pending"),
                            raw=dict(refund))

    def verify_webhook(self, body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        if not self._signature_key:
            raise WebhookSignatureError("COMMERCE_SQUARE_WEBHOOK_SIGNATURE_KEY is not set")
        given = _header(headers, SIGNATURE_HEADER)
        expected = signature(self._signature_key, self.notification_url, body)
        if not given or not hmac.compare_digest(expected.encode(), given.encode()):
            raise WebhookSignatureError(f"{SIGNATURE_HEADER} does not match the body")
        try:
            payload = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise WebhookSignatureError("the body is not JSON") from None
        if not isinstance(payload, dict) or not _str(payload.get("type")):
            raise WebhookSignatureError("the body is not a Square event")
        event_id = _str(payload.get("event_id"))[:120] or \
            "sha256:" + hashlib.sha256(body).hexdigest()
        return square_event(payload, event_id)
