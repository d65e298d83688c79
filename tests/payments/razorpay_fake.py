"""A loopback fake of the Razorpay HTTP API (orders, payments, refunds, webhooks, Checkout).

It follows Razorpay's published API reference closely enough for the official ``razorpay``
Python SDK (``razorpay.Client(auth=(key_id, key_secret), base_url=fake.base_url)``) and for a
browser page that loads ``{base_url}/v1/checkout.js``. It binds 127.0.0.1 on an ephemeral port.

API routes (HTTP Basic auth ``key_id:key_secret``; anything else answers 401)::

    POST /v1/orders                      create an order
    GET  /v1/orders?receipt=&count=&skip= list orders, newest first
    GET  /v1/orders/{id}                 fetch an order
    GET  /v1/orders/{id}/payments        the order's payments
    GET  /v1/payments?count=&skip=       list payments, newest first
    GET  /v1/payments/{id}               fetch a payment
    POST /v1/payments/{id}/capture       capture an authorized payment {amount, currency}
    POST /v1/payments/{id}/refund        refund {amount?, speed?, notes?, receipt?}
    GET  /v1/payments/{id}/refunds       the payment's refunds
    GET  /v1/refunds/{id}                fetch a refund

Errors answer ``{"error": {"code", "description", "source", "step", "reason", "metadata",
"field"?}}`` with HTTP 400 (404 for unknown ids, 401 for bad credentials).

Unauthenticated routes::

    GET     /v1/checkout.js              Razorpay Checkout emulation (razorpay_fake_checkout.js)
    POST    /_fake/pay                   {order_id, method, outcome, deliver_webhooks?, email?}
                                         -> {razorpay_payment_id, razorpay_order_id,
                                             razorpay_signature, payment}
    OPTIONS /_fake/pay                   CORS preflight (every answer carries ACAO: *)
    GET     /_fake/webhooks              every webhook built so far, oldest first
    POST    /_fake/webhooks/redeliver    {index}: re-send one webhook as it was

Webhooks are POSTed to ``webhook_url`` as Razorpay sends them: a JSON event envelope, signed
with ``X-Razorpay-Signature`` (hex HMAC-SHA256 of the raw body with the webhook secret) and
identified by ``X-Razorpay-Event-Id``. Those caused by :meth:`RazorpayFake.pay` (or
``/_fake/pay``) are delivered before it returns; those caused by an API call the app makes
(capture, refund) are delivered from a background thread after the answer, as the real service
does, so an app that waits on its own API call cannot deadlock. :meth:`wait_for_webhooks`
waits for them. Each delivery has a 5 s timeout; failures are recorded, never raised.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import string
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

CHECKOUT_JS = Path(__file__).with_name("razorpay_fake_checkout.js")
ACCOUNT_ID = "acc_FakeAccount01"
SUPPORTED_CURRENCIES = frozenset({"INR", "USD", "EUR", "GBP", "SGD", "AED", "AUD", "CAD"})
METHODS = ("card", "upi", "netbanking", "wallet")
OUTCOMES = ("captured", "authorized", "failed")
MIN_AMOUNT = 100  # smallest-unit minimum for an order (₹1.00)
MAX_BODY = 1_000_000
WEBHOOK_TIMEOUT = 5.0
_ALNUM = string.ascii_letters + string.digits

_FAILURES: dict[str, tuple[str, str, str]] = {
    # method -> (description, source, step)
    "card": ("Payment failed because the card was declined", "bank", "payment_authorization"),
    "upi": (
        "Payment failed because the UPI request was declined by the customer",
        "customer",
        "payment_authorization",
    ),
    "netbanking": (
        "Payment failed because the bank declined the transaction",
        "bank",
        "payment_authorization",
    ),
    "wallet": (
        "Payment failed because the wallet declined the transaction",
        "gateway",
        "payment_authorization",
    ),
}


class RazorpayError(Exception):
    """An API error: rendered as Razorpay's error body with ``status``."""

    def __init__(
        self,
        description: str,
        *,
        status: int = 400,
        field: str | None = None,
        source: str = "business",
        step: str = "payment_initiation",
        reason: str = "input_validation_failed",
        code: str = "BAD_REQUEST_ERROR",
    ) -> None:
        super().__init__(description)
        self.status = status
        self.body: dict[str, Any] = {
            "code": code,
            "description": description,
            "source": source,
            "step": step,
            "reason": reason,
            "metadata": {},
        }
        if field is not None:
            self.body["field"] = field

    def json(self) -> dict[str, Any]:
        return {"error": dict(self.body)}


def _new_id(prefix: str) -> str:
    return prefix + "".join(secrets.choice(_ALNUM) for _ in range(14))


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _round_half_up_div(numerator: int, denominator: int) -> int:
    return (2 * numerator + denominator) // (2 * denominator)


def _snapshot(entity: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(entity))


def _check_notes(notes: Any) -> dict[str, str]:
    if notes is None:
        return {}
    if isinstance(notes, list) and not notes:
        return {}
    if not isinstance(notes, dict):
        raise RazorpayError("The notes field must be an object.", field="notes")
    if len(notes) > 15:
        raise RazorpayError("Number of fields in notes cannot exceed 15.", field="notes")
    for key, value in notes.items():
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise RazorpayError(f"The notes.{key} field must be a string.", field="notes")
        if len(str(value)) > 256:
            raise RazorpayError(
                f"The notes.{key} may not be greater than 256 characters.", field="notes"
            )
    return {str(k): str(v) for k, v in notes.items()}


def _check_receipt(receipt: Any) -> str | None:
    if receipt is None:
        return None
    if not isinstance(receipt, str):
        raise RazorpayError("The receipt must be a string.", field="receipt")
    if len(receipt) > 40:
        raise RazorpayError("The receipt may not be greater than 40 characters.", field="receipt")
    return receipt


def _check_extra(body: dict[str, Any], allowed: set[str]) -> None:
    extra = sorted(set(body) - allowed)
    if extra:
        raise RazorpayError(
            f"{', '.join(extra)} is/are not required and should not be sent", field=extra[0]
        )


class RazorpayFake:
    """The fake service. Use as a context manager, or call :meth:`start` and :meth:`stop`."""

    fee_bps: int = 200  # 2 % before GST
    gst_percent: int = 18

    def __init__(
        self, key_id: str, key_secret: str, webhook_secret: str, webhook_url: str = "",
        port: int = 0,
    ) -> None:
        self.key_id = key_id
        self.key_secret = key_secret
        self.webhook_secret = webhook_secret
        self.webhook_url = webhook_url
        self.orders: dict[str, dict[str, Any]] = {}
        self.payments: dict[str, dict[str, Any]] = {}
        self.refunds: dict[str, dict[str, Any]] = {}
        self.webhooks: list[dict[str, Any]] = []
        self.received: list[tuple[str, str, dict[str, str], bytes]] = []
        self._lock = threading.RLock()
        self._delivered = threading.Condition(self._lock)
        self._senders: list[threading.Thread] = []
        self._clock_last = 0
        self._server = ThreadingHTTPServer(("127.0.0.1", port), self._handler_class())
        self._server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self.checkout_url = f"{self.base_url}/v1/checkout.js"
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> RazorpayFake:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(5)
            self._thread = None
        self._server.server_close()
        for sender in list(self._senders):
            sender.join(WEBHOOK_TIMEOUT + 1)

    def __enter__(self) -> RazorpayFake:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def set_webhook_url(self, url: str) -> None:
        with self._lock:
            self.webhook_url = url

    # -- helpers ---------------------------------------------------------------------------

    def _now(self) -> int:
        return int(time.time())

    def fees_for(self, amount: int) -> tuple[int, int]:
        """(fee including GST, GST part) as Razorpay reports them on a captured payment."""
        base = _round_half_up_div(amount * self.fee_bps, 10_000)
        tax = _round_half_up_div(base * self.gst_percent, 100)
        return base + tax, tax

    def checkout_signature(self, order_id: str, payment_id: str) -> str:
        message = f"{order_id}|{payment_id}".encode()
        return hmac.new(self.key_secret.encode(), message, hashlib.sha256).hexdigest()

    def _order(self, order_id: str) -> dict[str, Any]:
        order = self.orders.get(order_id)
        if order is None:
            raise RazorpayError("The id provided does not exist", status=404)
        return order

    def _payment(self, payment_id: str) -> dict[str, Any]:
        payment = self.payments.get(payment_id)
        if payment is None:
            raise RazorpayError("The id provided does not exist", status=404)
        return payment

    @staticmethod
    def _collection(items: list[dict[str, Any]], query: dict[str, str]) -> dict[str, Any]:
        try:
            count = int(query.get("count", "10"))
            skip = int(query.get("skip", "0"))
        except ValueError as exc:
            raise RazorpayError("The count and skip must be integers.", field="count") from exc
        if not 1 <= count <= 100:
            raise RazorpayError("The count must be between 1 and 100.", field="count")
        if skip < 0:
            raise RazorpayError("The skip must be at least 0.", field="skip")
        page = [_snapshot(item) for item in items[skip : skip + count]]
        return {"entity": "collection", "count": len(page), "items": page}

    @staticmethod
    def _newest_first(entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
        # insertion order is creation order; newest first like Razorpay
        return list(reversed(entities))

    # -- webhooks --------------------------------------------------------------------------

    def signed_webhook(self, event: str, payload: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
        """Body and headers of a webhook as Razorpay sends it.

        ``payload`` is the event's ``payload`` object, e.g.
        ``{"payment": {"entity": {...}}, "order": {"entity": {...}}}``; ``contains`` lists its
        keys in order.
        """
        envelope = {
            "entity": "event",
            "account_id": ACCOUNT_ID,
            "event": event,
            "contains": list(payload),
            "payload": payload,
            "created_at": self._now(),
        }
        body = json.dumps(envelope).encode()
        signature = hmac.new(self.webhook_secret.encode(), body, hashlib.sha256).hexdigest()
        headers = {
            "Content-Type": "application/json",
            "X-Razorpay-Signature": signature,
            "X-Razorpay-Event-Id": _new_id(""),
        }
        return body, headers

    def _build_webhook(self, event: str, payload: dict[str, Any]) -> dict[str, Any]:
        body, headers = self.signed_webhook(event, payload)
        record: dict[str, Any] = {
            "event_id": headers["X-Razorpay-Event-Id"],
            "event": event,
            "body": body.decode(),
            "signature": headers["X-Razorpay-Signature"],
            "delivered_status": None,
            "error": None,
            "attempts": 0,
            "done": False,  # False: delivery pending; True: tried; None: not to be sent
        }
        self.webhooks.append(record)
        return record

    def _send(self, record: dict[str, Any]) -> int | None:
        """POST one recorded webhook; record the outcome. Never raises."""
        with self._lock:
            url = self.webhook_url
            record["attempts"] += 1
        status: int | None = None
        error: str | None = None
        if not url:
            error = "no webhook_url set"
        else:
            request = urllib.request.Request(
                url,
                data=record["body"].encode(),
                method="POST",
                headers={
                    "Content-Type": "application/json",
                    "X-Razorpay-Signature": record["signature"],
                    "X-Razorpay-Event-Id": record["event_id"],
                },
            )
            try:
                with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT) as response:
                    status = response.status
            except urllib.error.HTTPError as exc:
                status = exc.code
                error = f"HTTP {exc.code}"
            except Exception as exc:  # noqa: BLE001 - recorded, never raised into the server
                error = f"{type(exc).__name__}: {exc}"
        with self._lock:
            record["delivered_status"] = status
            record["error"] = error
            record["done"] = True
            self._delivered.notify_all()
        return status

    def _deliver(self, records: list[dict[str, Any]], *, background: bool) -> None:
        if not background:
            for record in records:
                self._send(record)
            return

        def run() -> None:
            for record in records:
                self._send(record)

        sender = threading.Thread(target=run, daemon=True)
        with self._lock:
            self._senders = [t for t in self._senders if t.is_alive()]
            self._senders.append(sender)
        sender.start()

    def wait_for_webhooks(self, count: int | None = None, timeout: float = 15.0) -> None:
        """Wait until ``count`` webhooks (default: all built so far) finished their delivery."""
        deadline = time.monotonic() + timeout
        with self._delivered:
            while True:
                pending = [w for w in self.webhooks if w.get("done") is False]
                finished = sum(1 for w in self.webhooks if w.get("done"))
                if (count is None and not pending) or (count is not None and finished >= count):
                    return
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"webhooks not delivered within {timeout} s")
                self._delivered.wait(remaining)

    def redeliver(self, index: int) -> int | None:
        """Re-send webhook ``index`` exactly as before; answer the HTTP status got (or None)."""
        with self._lock:
            if not 0 <= index < len(self.webhooks):
                raise RazorpayError("No webhook with that index", status=404, field="index")
            record = self.webhooks[index]
            record["done"] = False
        return self._send(record)

    def webhook_list(self) -> list[dict[str, Any]]:
        with self._lock:
            keys = ("event_id", "event", "body", "signature", "delivered_status", "error")
            return [{key: w[key] for key in keys} for w in self.webhooks]

    # -- orders ----------------------------------------------------------------------------

    def create_order(self, body: dict[str, Any]) -> dict[str, Any]:
        _check_extra(
            body,
            {
                "amount",
                "currency",
                "receipt",
                "notes",
                "partial_payment",
                "first_payment_min_amount",
            },
        )
        if "amount" not in body:
            raise RazorpayError("The amount field is required.", field="amount")
        amount = body["amount"]
        if not _is_int(amount):
            raise RazorpayError("The amount must be an integer.", field="amount")
        currency = body.get("currency", "INR")
        if not isinstance(currency, str) or len(currency) != 3:
            raise RazorpayError("The currency must be 3 characters.", field="currency")
        if currency not in SUPPORTED_CURRENCIES:
            raise RazorpayError("Currency is not supported", field="currency")
        if amount < MIN_AMOUNT:
            raise RazorpayError(f"The amount must be atleast {currency} 1.00", field="amount")
        receipt = _check_receipt(body.get("receipt"))
        notes = _check_notes(body.get("notes"))
        partial = body.get("partial_payment", False)
        if not isinstance(partial, bool):
            raise RazorpayError(
                "The partial payment field must be true or false.", field="partial_payment"
            )
        order = {
            "id": _new_id("order_"),
            "entity": "order",
            "amount": amount,
            "amount_paid": 0,
            "amount_due": amount,
            "currency": currency,
            "receipt": receipt,
            "offer_id": None,
            "status": "created",
            "attempts": 0,
            "notes": notes,
            "created_at": self._now(),
        }
        with self._lock:
            self.orders[order["id"]] = order
            return _snapshot(order)

    # -- payments --------------------------------------------------------------------------

    def pay(
        self,
        order_id: str,
        method: str = "card",
        outcome: str = "captured",
        deliver_webhooks: bool = True,
        email: str | None = None,
        contact: str | None = None,
    ) -> dict[str, Any]:
        """A customer pays ``order_id`` through Checkout; answers what Checkout's handler gets
        plus the payment entity. Webhooks are built (and, if asked, delivered) before return."""
        if method not in METHODS:
            raise RazorpayError("Invalid payment method", field="method")
        if outcome not in OUTCOMES:
            raise RazorpayError("Invalid outcome", field="outcome")
        with self._lock:
            order = self._order(order_id)
            if order["status"] == "paid":
                raise RazorpayError(
                    "Order has already been paid",
                    step="payment_initiation",
                    reason="order_already_paid",
                )
            payment = self._new_payment(order, method, email, contact)
            order["attempts"] += 1
            records: list[dict[str, Any]] = []
            if outcome == "failed":
                description, source, step = _FAILURES[method]
                payment.update(
                    status="failed",
                    error_code="BAD_REQUEST_ERROR",
                    error_description=description,
                    error_source=source,
                    error_step=step,
                    error_reason="payment_failed",
                )
                order["status"] = "attempted"
                records.append(self._payment_event("payment.failed", payment))
            elif outcome == "authorized":
                payment["status"] = "authorized"
                order["status"] = "attempted"
                records.append(self._payment_event("payment.authorized", payment))
            else:
                payment["status"] = "authorized"
                records.extend(self._capture(payment, order))
            self.payments[payment["id"]] = payment
            answer = {
                "razorpay_payment_id": payment["id"],
                "razorpay_order_id": order_id,
                "razorpay_signature": self.checkout_signature(order_id, payment["id"]),
                "payment": _snapshot(payment),
            }
            if not deliver_webhooks:
                for record in records:
                    record["done"] = None
        if deliver_webhooks:
            self._deliver(records, background=False)
        return answer

    def _new_payment(
        self, order: dict[str, Any], method: str, email: str | None, contact: str | None
    ) -> dict[str, Any]:
        return {
            "id": _new_id("pay_"),
            "entity": "payment",
            "amount": order["amount_due"],
            "currency": order["currency"],
            "status": "created",
            "order_id": order["id"],
            "invoice_id": None,
            "international": False,
            "method": method,
            "amount_refunded": 0,
            "refund_status": None,
            "captured": False,
            "description": None,
            "card_id": _new_id("card_") if method == "card" else None,
            "bank": "HDFC" if method == "netbanking" else None,
            "wallet": "paytm" if method == "wallet" else None,
            "vpa": "success@razorpay" if method == "upi" else None,
            "email": email or "void@razorpay.com",
            "contact": contact or "+919000090000",
            "notes": {},
            "fee": None,
            "tax": None,
            "error_code": None,
            "error_description": None,
            "error_source": None,
            "error_step": None,
            "error_reason": None,
            "acquirer_data": {},
            "created_at": self._now(),
        }

    def _payment_event(self, event: str, payment: dict[str, Any]) -> dict[str, Any]:
        return self._build_webhook(event, {"payment": {"entity": _snapshot(payment)}})

    def _capture(self, payment: dict[str, Any], order: dict[str, Any]) -> list[dict[str, Any]]:
        fee, tax = self.fees_for(payment["amount"])
        payment.update(status="captured", captured=True, fee=fee, tax=tax)
        order["amount_paid"] += payment["amount"]
        order["amount_due"] = max(order["amount"] - order["amount_paid"], 0)
        order["status"] = "paid" if order["amount_due"] == 0 else "attempted"
        records = [self._payment_event("payment.captured", payment)]
        if order["status"] == "paid":
            records.append(
                self._build_webhook(
                    "order.paid",
                    {
                        "payment": {"entity": _snapshot(payment)},
                        "order": {"entity": _snapshot(order)},
                    },
                )
            )
        return records

    def capture_payment(self, payment_id: str, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            payment = self._payment(payment_id)
            amount = body.get("amount")
            if not _is_int(amount):
                raise RazorpayError("The amount must be an integer.", field="amount")
            currency = body.get("currency", payment["currency"])
            if payment["status"] in ("captured", "refunded"):
                raise RazorpayError("This payment has already been captured")
            if payment["status"] != "authorized":
                raise RazorpayError(
                    "Only payments which have been authorized and not yet captured can be captured"
                )
            if amount != payment["amount"]:
                raise RazorpayError(
                    "Capture amount must be equal to the amount authorized", field="amount"
                )
            if currency != payment["currency"]:
                raise RazorpayError(
                    "Currency should be same as that of the payment", field="currency"
                )
            records = self._capture(payment, self.orders[payment["order_id"]])
            answer = _snapshot(payment)
        self._deliver(records, background=True)
        return answer

    def refund_payment(self, payment_id: str, body: dict[str, Any]) -> dict[str, Any]:
        _check_extra(body, {"amount", "speed", "notes", "receipt"})
        with self._lock:
            payment = self._payment(payment_id)
            if payment["status"] == "refunded":
                raise RazorpayError(
                    "The payment has been fully refunded already", step="refund_initiation"
                )
            if payment["status"] != "captured":
                raise RazorpayError(
                    "Only captured payments can be refunded", step="refund_initiation"
                )
            remaining = payment["amount"] - payment["amount_refunded"]
            amount = body.get("amount", remaining)
            if not _is_int(amount):
                raise RazorpayError("The amount must be an integer.", field="amount")
            if amount <= 0:
                raise RazorpayError("The amount must be at least 1.", field="amount")
            if amount > remaining:
                raise RazorpayError(
                    "The refund amount provided is greater than amount captured",
                    field="amount",
                    step="refund_initiation",
                )
            speed = body.get("speed", "normal")
            if speed not in ("normal", "optimum"):
                raise RazorpayError("The selected speed is invalid.", field="speed")
            notes = _check_notes(body.get("notes"))
            receipt = _check_receipt(body.get("receipt"))
            refund = {
                "id": _new_id("rfnd_"),
                "entity": "refund",
                "amount": amount,
                "currency": payment["currency"],
                "payment_id": payment_id,
                "notes": notes,
                "receipt": receipt,
                "acquirer_data": {"arn": None},
                "created_at": self._now(),
                "batch_id": None,
                "status": "processed",
                "speed_processed": "instant" if speed == "optimum" else "normal",
                "speed_requested": speed,
            }
            self.refunds[refund["id"]] = refund
            payment["amount_refunded"] += amount
            full = payment["amount_refunded"] == payment["amount"]
            payment["refund_status"] = "full" if full else "partial"
            if full:
                payment["status"] = "refunded"
            record = self._build_webhook(
                "refund.processed",
                {
                    "refund": {"entity": _snapshot(refund)},
                    "payment": {"entity": _snapshot(payment)},
                },
            )
            answer = _snapshot(refund)
        self._deliver([record], background=True)
        return answer

    # -- HTTP ------------------------------------------------------------------------------

    def _authorized(self, header: str | None) -> bool:
        if not header or not header.startswith("Basic "):
            return False
        try:
            decoded = base64.b64decode(header[6:], validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return False
        key_id, sep, key_secret = decoded.partition(":")
        return bool(sep) and (
            hmac.compare_digest(key_id.encode(), self.key_id.encode())
            & hmac.compare_digest(key_secret.encode(), self.key_secret.encode())
        )

    def _route_api(
        self, method: str, parts: list[str], query: dict[str, str], body: dict[str, Any]
    ) -> dict[str, Any]:
        with self._lock:
            if parts == ["orders"]:
                if method == "POST":
                    return self.create_order(body)
                orders = self._newest_first(list(self.orders.values()))
                if "receipt" in query:
                    orders = [o for o in orders if o["receipt"] == query["receipt"]]
                return self._collection(orders, query)
            if len(parts) == 2 and parts[0] == "orders" and method == "GET":
                return _snapshot(self._order(parts[1]))
            if len(parts) == 3 and parts[0] == "orders" and parts[2] == "payments":
                order_id = self._order(parts[1])["id"]
                mine = [p for p in self.payments.values() if p["order_id"] == order_id]
                return self._collection(self._newest_first(mine), query)
            if parts == ["payments"] and method == "GET":
                return self._collection(self._newest_first(list(self.payments.values())), query)
            if len(parts) == 2 and parts[0] == "payments" and method == "GET":
                return _snapshot(self._payment(parts[1]))
            if len(parts) == 3 and parts[0] == "payments":
                if parts[2] == "capture" and method == "POST":
                    return self.capture_payment(parts[1], body)
                if parts[2] == "refund" and method == "POST":
                    return self.refund_payment(parts[1], body)
                if parts[2] == "refunds" and method == "GET":
                    payment_id = self._payment(parts[1])["id"]
                    mine = [r for r in self.refunds.values() if r["payment_id"] == payment_id]
                    return self._collection(self._newest_first(mine), query)
            if len(parts) == 4 and parts[0] == "payments" and parts[2] == "refunds":
                refund = self.refunds.get(parts[3])
                if refund is None or refund["payment_id"] != parts[1] or method != "GET":
                    raise RazorpayError("The id provided does not exist", status=404)
                return _snapshot(refund)
            if len(parts) == 2 and parts[0] == "refunds" and method == "GET":
                refund = self.refunds.get(parts[1])
                if refund is None:
                    raise RazorpayError("The id provided does not exist", status=404)
                return _snapshot(refund)
        raise RazorpayError("The requested URL was not found on the server.", status=404)

    def _route_fake(self, method: str, path: str, body: dict[str, Any]) -> Any:
        if path == "/_fake/pay" and method == "POST":
            return self.pay(
                str(body.get("order_id", "")),
                method=str(body.get("method", "card")),
                outcome=str(body.get("outcome", "captured")),
                deliver_webhooks=bool(body.get("deliver_webhooks", True)),
                email=body.get("email") if isinstance(body.get("email"), str) else None,
                contact=body.get("contact") if isinstance(body.get("contact"), str) else None,
            )
        if path == "/_fake/webhooks" and method == "GET":
            return self.webhook_list()
        if path == "/_fake/webhooks/redeliver" and method == "POST":
            index = body.get("index")
            if not isinstance(index, int) or isinstance(index, bool):
                raise RazorpayError("The index must be an integer.", field="index")
            return {"index": index, "delivered_status": self.redeliver(index)}
        raise RazorpayError("The requested URL was not found on the server.", status=404)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _send(self, status: int, payload: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload)))
                self.send_header("Access-Control-Allow-Origin", "*")
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)

            def _send_json(self, status: int, value: Any) -> None:
                self._send(status, json.dumps(value).encode(), "application/json; charset=utf-8")

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length > MAX_BODY:
                    self.close_connection = True
                    self._send_json(413, RazorpayError("Request too large", status=413).json())
                    return
                raw = self.rfile.read(length) if length else b""
                url = urllib.parse.urlsplit(self.path)
                path = url.path.rstrip("/") or "/"
                query = dict(urllib.parse.parse_qsl(url.query))
                if path == "/v1/checkout.js" and self.command in ("GET", "HEAD"):
                    self._send(
                        200, CHECKOUT_JS.read_bytes(), "application/javascript; charset=utf-8"
                    )
                    return
                try:
                    body = self._parse(raw)
                    if path.startswith("/_fake/"):
                        self._send_json(200, fake._route_fake(self.command, path, body))
                        return
                    with fake._lock:
                        fake.received.append((self.command, self.path, dict(self.headers), raw))
                    if not fake._authorized(self.headers.get("Authorization")):
                        raise RazorpayError(
                            "Authentication failed",
                            status=401,
                            source="NA",
                            step="NA",
                            reason="NA",
                        )
                    if not path.startswith("/v1/"):
                        raise RazorpayError(
                            "The requested URL was not found on the server.", status=404
                        )
                    parts = path[len("/v1/") :].split("/")
                    self._send_json(200, fake._route_api(self.command, parts, query, body))
                except RazorpayError as exc:
                    self._send_json(exc.status, exc.json())
                except Exception as exc:  # noqa: BLE001 - a fake must answer, not hang
                    error = RazorpayError(
                        f"Internal error in the fake: {type(exc).__name__}: {exc}",
                        status=500,
                        code="SERVER_ERROR",
                        source="internal",
                        step="NA",
                        reason="server_error",
                    )
                    self._send_json(500, error.json())

            @staticmethod
            def _parse(raw: bytes) -> dict[str, Any]:
                if not raw.strip():
                    return {}
                try:
                    value = json.loads(raw)
                except (ValueError, UnicodeDecodeError) as exc:
                    raise RazorpayError("The request body must be valid JSON.") from exc
                if not isinstance(value, dict):
                    raise RazorpayError("The request body must be a JSON object.")
                return value

            def do_OPTIONS(self) -> None:  # noqa: N802
                self.send_response(204)
                self.send_header("Access-Control-Allow-Origin", "*")
                self.send_header("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
                self.send_header("Access-Control-Allow-Headers", "Content-Type, Authorization")
                self.send_header("Access-Control-Max-Age", "600")
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = do_HEAD = _handle  # noqa: N815

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        return Handler
