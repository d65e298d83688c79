"""A loopback fake of the parts of Square's API the app uses (orders, payments, refunds,
webhooks) and of the Web Payments SDK script, on 127.0.0.1 with an ephemeral port.

Good enough for the official SDK (``Square(token=..., base_url=fake.base_url)``)::

    POST /v2/orders                 CreateOrder {idempotency_key, order}
    GET  /v2/orders/{id}            RetrieveOrder
    POST /v2/payments               CreatePayment {idempotency_key, source_id, amount_money, ...}
    GET  /v2/payments/{id}          GetPayment
    POST /v2/payments/{id}/complete CompletePayment (an APPROVED payment)
    POST /v2/payments/{id}/cancel   CancelPayment (an APPROVED payment)
    POST /v2/refunds                RefundPayment {idempotency_key, payment_id, amount_money}
    GET  /v2/refunds/{id}           GetPaymentRefund
    GET  /v1/square.js              the Web Payments SDK emulation (no auth, ACAO *)

``Authorization: Bearer <access token>`` or 401. Errors answer Square's shape,
``{"errors": [{"category", "code", "detail", "field"?}]}``. An idempotency key answers the same
object for the same body and ``IDEMPOTENCY_KEY_REUSED`` for another. Test tokens: Square's
sandbox nonces ``cnon:card-nonce-ok`` (approves), ``cnon:card-nonce-declined``
(``CARD_DECLINED``), ``cnon:card-nonce-rejected-cvv`` (``CVV_FAILURE``), and this fake's own
Google Pay token ``cnon:gpay-nonce-ok`` (approves, ``wallet_details`` GOOGLE_PAY). A decline
answers 400 with the errors (category ``PAYMENT_METHOD_ERROR``) and the FAILED payment.
Assumptions (not confirmed in Square's reference): an order lists a tender for each APPROVED
or COMPLETED payment; a refund answers PENDING and completes at once afterwards.

Webhooks are POSTed to ``notification_url`` signed with ``x-square-hmacsha256-signature``
(base64 HMAC-SHA256 of notification URL + body, keyed with the signature key), from a
background thread after the API answer. Every webhook is recorded in :attr:`webhooks`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import string
import threading
import time
import urllib.error
import urllib.request
import uuid
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MERCHANT_ID = "MLFAKEMERCHANT01"
WEBHOOK_TIMEOUT = 5.0
_ALNUM = string.ascii_uppercase + string.digits
APPROVING = {"cnon:card-nonce-ok": "CARD", "cnon:gpay-nonce-ok": "GOOGLE_PAY"}
DECLINING = {"cnon:card-nonce-declined": "CARD_DECLINED",
             "cnon:card-nonce-rejected-cvv": "CVV_FAILURE"}

SQUARE_JS = r"""(function () {
  "use strict";
  function el(tag, props) { var e = document.createElement(tag);
    Object.keys(props || {}).forEach(function (k) { e[k] = props[k]; }); return e; }
  function host(selector) { var h = typeof selector === "string" ?
    document.querySelector(selector) : selector;
    if (!h) { throw new Error("Element not found: " + selector); } return h; }
  function style(e, s) { Object.keys(s).forEach(function (k) { e.style[k] = s[k]; }); }
  function card() {
    var input = null;
    return Promise.resolve({
      attach: function (selector) {
        var h = host(selector), id = "sq-card-number-" + Math.random().toString(36).slice(2);
        var label = el("label", { htmlFor: id, textContent: "Card number" });
        input = el("input", { id: id, type: "text", inputMode: "numeric",
          autocomplete: "cc-number", placeholder: "1234 1234 1234 1234" });
        style(label, { display: "block", fontSize: "14px", marginBottom: "4px" });
        style(input, { display: "block", width: "100%", maxWidth: "100%", boxSizing: "border-box",
          padding: "10px", fontSize: "16px", border: "1px solid #767676", borderRadius: "4px" });
        h.appendChild(label); h.appendChild(input); return Promise.resolve();
      },
      tokenize: function () {
        var n = input ? input.value.replace(/\s+/g, "") : "";
        if (n === "4111111111111111") { return Promise.resolve({ status: "OK",
          token: "cnon:card-nonce-ok" }); }
        if (n === "4000000000000002") { return Promise.resolve({ status: "OK",
          token: "cnon:card-nonce-declined" }); }
        return Promise.resolve({ status: "Invalid",
          errors: [{ message: "Card number is not valid" }] });
      },
      destroy: function () { return Promise.resolve(true); }
    });
  }
  function googlePay(paymentRequest) {
    return Promise.resolve({
      paymentRequest: paymentRequest,
      attach: function (selector) {
        var b = el("button", { type: "button", textContent: "Google Pay" });
        b.setAttribute("aria-label", "Google Pay");
        style(b, { display: "block", width: "100%", maxWidth: "100%", minHeight: "44px",
          background: "#000", color: "#fff", border: "0", borderRadius: "4px",
          fontSize: "16px" });
        host(selector).appendChild(b); return Promise.resolve();
      },
      tokenize: function () { return Promise.resolve({ status: "OK",
        token: "cnon:gpay-nonce-ok" }); },
      destroy: function () { return Promise.resolve(true); }
    });
  }
  window.Square = { payments: function (applicationId, locationId) {
    if (!applicationId || !locationId) { throw new Error("applicationId and locationId"); }
    return { card: card, googlePay: googlePay,
      paymentRequest: function (req) { return Object.assign({}, req); } };
  } };
})();
"""


class SquareError(Exception):
    def __init__(self, code: str, detail: str, *, status: int = 400, field: str | None = None,
                 category: str = "INVALID_REQUEST_ERROR", extra: dict[str, Any] | None = None
                 ) -> None:
        super().__init__(detail)
        self.status = status
        error = {"category": category, "code": code, "detail": detail}
        if field:
            error["field"] = field
        self.body: dict[str, Any] = {"errors": [error], **(extra or {})}


def _id(n: int = 22) -> str:
    return "".join(secrets.choice(_ALNUM) for _ in range(n))


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _copy(value: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(value))


def _money(value: Any, field: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise SquareError("MISSING_REQUIRED_PARAMETER", f"Field must be set: {field}",
                          field=field)
    amount, currency = value.get("amount"), value.get("currency")
    if not isinstance(amount, int) or isinstance(amount, bool) or amount < 0:
        raise SquareError("INVALID_VALUE", f"Invalid value for {field}.amount",
                          field=f"{field}.amount")
    if not isinstance(currency, str) or len(currency) != 3 or not currency.isupper():
        raise SquareError("INVALID_ENUM_VALUE", f"Invalid currency for {field}",
                          field=f"{field}.currency")
    return {"amount": amount, "currency": currency}


class SquareFake:
    """The fake service; use as a context manager, or :meth:`start` and :meth:`stop`."""

    fee_bps: int = 260  # 2.6 % ...
    fee_fixed: int = 10  # ... + 10 cents
    refunds_complete: bool = True  # False: refunds stay PENDING

    def __init__(self, access_token: str, signature_key: str, notification_url: str = "",
                 location_id: str = "LFAKELOCATION01", port: int = 0) -> None:
        self.access_token = access_token
        self.signature_key = signature_key
        self.notification_url = notification_url
        self.location_id = location_id
        self.orders: dict[str, dict[str, Any]] = {}
        self.payments: dict[str, dict[str, Any]] = {}
        self.refunds: dict[str, dict[str, Any]] = {}
        self.webhooks: list[dict[str, Any]] = []
        self.received: list[tuple[str, str, bytes]] = []
        self._seen: dict[tuple[str, str], tuple[str, int, dict[str, Any]]] = {}
        self._lock = threading.RLock()
        self._delivered = threading.Condition(self._lock)
        self._senders: list[threading.Thread] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", port), self._handler_class())
        self._server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self.web_sdk_url = f"{self.base_url}/v1/square.js"
        self._thread: threading.Thread | None = None

    def start(self) -> SquareFake:
        if self._thread is None:
            self._thread = threading.Thread(target=self._server.serve_forever,
                                            kwargs={"poll_interval": 0.05}, daemon=True)
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

    def __enter__(self) -> SquareFake:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def fee_for(self, amount: int) -> int:
        return (amount * self.fee_bps + 5_000) // 10_000 + self.fee_fixed

    # -- webhooks --------------------------------------------------------------------------

    def signed_webhook(self, event_type: str, obj: dict[str, Any], *, url: str | None = None
                       ) -> tuple[bytes, dict[str, str]]:
        """Body and headers of a webhook as Square sends it; ``obj`` is the payment or
        refund (``event_type`` ``payment.*`` or ``refund.*``)."""
        kind = event_type.split(".")[0]
        body = json.dumps({
            "merchant_id": MERCHANT_ID, "type": event_type, "event_id": str(uuid.uuid4()),
            "created_at": _now(),
            "data": {"type": kind, "id": obj.get("id", ""), "object": {kind: _copy(obj)}},
        }).encode()
        target = self.notification_url if url is None else url
        digest = hmac.new(self.signature_key.encode(), target.encode() + body,
                          hashlib.sha256).digest()
        return body, {"Content-Type": "application/json",
                      "x-square-hmacsha256-signature": base64.b64encode(digest).decode()}

    def _webhook(self, event_type: str, obj: dict[str, Any]) -> dict[str, Any]:
        body, headers = self.signed_webhook(event_type, obj)
        record = {"type": event_type, "body": body, "headers": headers, "status": None,
                  "error": None, "done": False}
        self.webhooks.append(record)
        return record

    def _send(self, record: dict[str, Any]) -> int | None:
        status: int | None = None
        error: str | None = None
        if not self.notification_url:
            error = "no notification_url"
        else:
            request = urllib.request.Request(self.notification_url, data=record["body"],
                                             method="POST", headers=record["headers"])
            try:
                with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT) as response:
                    status = response.status
            except urllib.error.HTTPError as exc:
                status, error = exc.code, f"HTTP {exc.code}"
            except Exception as exc:  # noqa: BLE001 - recorded, never raised
                error = f"{type(exc).__name__}: {exc}"
        with self._lock:
            record.update(status=status, error=error, done=True)
            self._delivered.notify_all()
        return status

    def _deliver(self, records: list[dict[str, Any]]) -> None:
        if not records:
            return
        sender = threading.Thread(target=lambda: [self._send(r) for r in records], daemon=True)
        with self._lock:
            self._senders = [t for t in self._senders if t.is_alive()] + [sender]
        sender.start()

    def wait_for_webhooks(self, timeout: float = 10.0) -> None:
        """Wait until every webhook built so far was tried."""
        deadline = time.monotonic() + timeout
        with self._delivered:
            while any(w["done"] is False for w in self.webhooks):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError("webhooks still pending")
                self._delivered.wait(left)

    def redeliver(self, index: int) -> int | None:
        """Send one recorded webhook again, exactly as it was."""
        return self._send(self.webhooks[index])

    # -- API -------------------------------------------------------------------------------

    def _idempotent(self, endpoint: str, body: dict[str, Any], limit: int | None
                    ) -> tuple[int, dict[str, Any]] | None:
        key = body.get("idempotency_key")
        if not isinstance(key, str) or not key:
            raise SquareError("MISSING_REQUIRED_PARAMETER", "Field must be set: idempotency_key",
                              field="idempotency_key")
        if limit is not None and len(key) > limit:
            raise SquareError("VALUE_TOO_LONG", f"Field must not be greater than {limit} "
                              "length", field="idempotency_key")
        seen = self._seen.get((endpoint, key))
        if seen is None:
            return None
        if seen[0] != json.dumps(body, sort_keys=True):
            raise SquareError("IDEMPOTENCY_KEY_REUSED", "The idempotency key can only be "
                              "retried with the same request data.", field="idempotency_key")
        return seen[1], _copy(seen[2])

    def _remember(self, endpoint: str, body: dict[str, Any], status: int,
                  answer: dict[str, Any]) -> None:
        self._seen[(endpoint, body["idempotency_key"])] = (json.dumps(body, sort_keys=True),
                                                            status, _copy(answer))

    def _get(self, table: dict[str, dict[str, Any]], key: str, what: str) -> dict[str, Any]:
        if key not in table:
            raise SquareError("NOT_FOUND", f"Could not find {what} with id `{key}`.",
                              status=404)
        return table[key]

    def create_order(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        replay = self._idempotent("orders", body, 192)
        if replay:
            return replay
        spec = body.get("order")
        if not isinstance(spec, dict):
            raise SquareError("MISSING_REQUIRED_PARAMETER", "Field must be set: order",
                              field="order")
        if spec.get("location_id") != self.location_id:
            raise SquareError("NOT_FOUND", "Location not found.", status=404,
                              field="order.location_id")
        items, total, currency = [], 0, ""
        for n, item in enumerate(spec.get("line_items") or []):
            price = _money(item.get("base_price_money"), f"order.line_items[{n}].base_price_money")
            quantity = int(str(item.get("quantity", "0")))
            if currency and price["currency"] != currency:
                raise SquareError("CURRENCY_MISMATCH", "All line items must share a currency.")
            currency = price["currency"]
            line = {**price, "amount": price["amount"] * quantity}
            total += line["amount"]
            items.append({"uid": _id(12), "name": item.get("name", ""), "quantity": str(quantity),
                          "base_price_money": price, "gross_sales_money": line,
                          "total_money": line})
        if not items:
            raise SquareError("MISSING_REQUIRED_PARAMETER", "An order needs line items.",
                              field="order.line_items")
        money = {"amount": total, "currency": currency}
        order: dict[str, Any] = {
            "id": _id(27), "location_id": self.location_id, "line_items": items,
            "reference_id": spec.get("reference_id"), "metadata": spec.get("metadata") or {},
            "state": "OPEN", "version": 1, "total_money": money,
            "net_amount_due_money": dict(money), "created_at": _now(), "updated_at": _now()}
        self.orders[order["id"]] = order
        answer = {"order": _copy(order)}
        self._remember("orders", body, 200, answer)
        return 200, answer

    def _order_view(self, order: dict[str, Any]) -> dict[str, Any]:
        view = _copy(order)
        tenders = [{"id": p["id"], "payment_id": p["id"], "type": "CARD",
                    "amount_money": p["amount_money"], "location_id": self.location_id}
                   for p in self.payments.values()
                   if p.get("order_id") == order["id"] and p["status"] in ("APPROVED", "COMPLETED")]
        if tenders:
            view["tenders"] = tenders
        return view

    def create_payment(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        replay = self._idempotent("payments", body, 45)
        if replay:
            return replay
        source = body.get("source_id")
        if not isinstance(source, str) or not source:
            raise SquareError("MISSING_REQUIRED_PARAMETER", "Field must be set: source_id",
                              field="source_id")
        money = _money(body.get("amount_money"), "amount_money")
        order = None
        if body.get("order_id"):
            order = self._get(self.orders, str(body["order_id"]), "order")
            due = order["net_amount_due_money"]
            if money["currency"] != due["currency"]:
                raise SquareError("CURRENCY_MISMATCH", "The payment currency does not match "
                                  "the order.", field="amount_money.currency")
            if money["amount"] != due["amount"]:
                raise SquareError("PAYMENT_AMOUNT_MISMATCH", "The payment amount does not "
                                  "match the order's amount due.", field="amount_money")
        if source not in APPROVING and source not in DECLINING:
            raise SquareError("NOT_FOUND", "Card nonce not found in this `sandbox` application "
                              "environment.", status=404, field="source_id")
        wallet = APPROVING.get(source) == "GOOGLE_PAY"
        payment: dict[str, Any] = {
            "id": _id(29), "created_at": _now(), "updated_at": _now(),
            "amount_money": money, "total_money": dict(money), "approved_money": dict(money),
            "status": "APPROVED", "source_type": "WALLET" if wallet else "CARD",
            "card_details": {"status": "AUTHORIZED", "card": {"card_brand": "VISA",
                                                             "last_4": "1111"},
                             "entry_method": "KEYED", "errors": []},
            "location_id": self.location_id, "order_id": body.get("order_id"),
            "reference_id": body.get("reference_id"), "refund_ids": [],
            "version_token": _id(16),
        }
        if wallet:
            payment["wallet_details"] = {"status": "AUTHORIZED", "brand": "GOOGLE_PAY"}
        records = []
        if source in DECLINING:
            code = DECLINING[source]
            error = {"category": "PAYMENT_METHOD_ERROR", "code": code,
                     "detail": f"Authorization error: '{code}'"}
            payment.update(status="FAILED", approved_money={"amount": 0,
                                                             "currency": money["currency"]})
            payment["card_details"].update(status="FAILED", errors=[error])
            self.payments[payment["id"]] = payment
            status, answer = 400, {"errors": [error], "payment": _copy(payment)}
            records.append(self._webhook("payment.created", payment))
        else:
            self.payments[payment["id"]] = payment
            records.append(self._webhook("payment.created", payment))
            if body.get("autocomplete", True):
                records += self._complete(payment)
            status, answer = 200, {"payment": _copy(payment)}
        self._remember("payments", body, status, answer)
        self._deliver(records)
        return status, answer

    def _complete(self, payment: dict[str, Any]) -> list[dict[str, Any]]:
        fee = {"amount": self.fee_for(payment["amount_money"]["amount"]),
               "currency": payment["amount_money"]["currency"]}
        payment.update(status="COMPLETED", updated_at=_now(), processing_fee=[
            {"effective_at": _now(), "type": "INITIAL", "amount_money": fee}])
        payment["card_details"]["status"] = "CAPTURED"
        order = self.orders.get(payment.get("order_id") or "")
        if order is not None:
            due = order["net_amount_due_money"]
            due["amount"] -= payment["amount_money"]["amount"]
            if due["amount"] == 0:
                order.update(state="COMPLETED", updated_at=_now(), version=order["version"] + 1)
        return [self._webhook("payment.updated", payment)]

    def payment_action(self, payment_id: str, action: str) -> tuple[int, dict[str, Any]]:
        payment = self._get(self.payments, payment_id, "payment")
        records = []
        if action == "complete" and payment["status"] == "APPROVED":
            records = self._complete(payment)
        elif action == "cancel" and payment["status"] == "APPROVED":
            payment.update(status="CANCELED", updated_at=_now())
            payment["card_details"]["status"] = "VOIDED"
            records = [self._webhook("payment.updated", payment)]
        elif not (action == "complete" and payment["status"] == "COMPLETED"):
            raise SquareError("BAD_REQUEST", f"Payment {payment_id} is {payment['status']} and "
                              f"cannot be {action}d.")
        self._deliver(records)
        return 200, {"payment": _copy(payment)}

    def create_refund(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        replay = self._idempotent("refunds", body, 45)
        if replay:
            return replay
        payment = self._get(self.payments, str(body.get("payment_id", "")), "payment")
        money = _money(body.get("amount_money"), "amount_money")
        if payment["status"] != "COMPLETED":
            raise SquareError("REFUND_ERROR_PAYMENT_NEEDS_COMPLETION", "The payment must be "
                              "completed before it can be refunded.")
        if money["currency"] != payment["amount_money"]["currency"]:
            raise SquareError("CURRENCY_MISMATCH", "The refund currency does not match the "
                              "payment.", field="amount_money.currency")
        refunded = sum(self.refunds[r]["amount_money"]["amount"] for r in payment["refund_ids"]
                       if self.refunds[r]["status"] in ("PENDING", "COMPLETED"))
        if money["amount"] <= 0 or refunded + money["amount"] > payment["amount_money"]["amount"]:
            raise SquareError("REFUND_AMOUNT_INVALID", "The requested refund amount exceeds "
                              "the amount available to refund.", field="amount_money.amount")
        refund = {"id": f"{payment['id']}_{_id(12)}", "status": "PENDING",
                  "amount_money": money, "payment_id": payment["id"],
                  "order_id": payment.get("order_id"), "location_id": self.location_id,
                  "reason": body.get("reason"), "created_at": _now(), "updated_at": _now()}
        self.refunds[refund["id"]] = refund
        payment["refund_ids"].append(refund["id"])
        payment["refunded_money"] = {"amount": refunded + money["amount"],
                                     "currency": money["currency"]}
        answer = {"refund": _copy(refund)}
        records = [self._webhook("refund.created", refund)]
        if self.refunds_complete:
            refund.update(status="COMPLETED", updated_at=_now())
            records.append(self._webhook("refund.updated", refund))
        records.append(self._webhook("payment.updated", payment))
        self._remember("refunds", body, 200, answer)
        self._deliver(records)
        return 200, answer

    def route(self, method: str, parts: list[str], body: dict[str, Any]
              ) -> tuple[int, dict[str, Any]]:
        with self._lock:
            if parts == ["orders"] and method == "POST":
                return self.create_order(body)
            if len(parts) == 2 and parts[0] == "orders" and method == "GET":
                return 200, {"order": self._order_view(self._get(self.orders, parts[1],
                                                                 "order"))}
            if parts == ["payments"] and method == "POST":
                return self.create_payment(body)
            if len(parts) == 2 and parts[0] == "payments" and method == "GET":
                return 200, {"payment": _copy(self._get(self.payments, parts[1], "payment"))}
            if len(parts) == 3 and parts[0] == "payments" and method == "POST" \
                    and parts[2] in ("complete", "cancel"):
                return self.payment_action(parts[1], parts[2])
            if parts == ["refunds"] and method == "POST":
                return self.create_refund(body)
            if len(parts) == 2 and parts[0] == "refunds" and method == "GET":
                return 200, {"refund": _copy(self._get(self.refunds, parts[1], "refund"))}
        raise SquareError("NOT_FOUND", "Resource not found.", status=404)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _reply(self, status: int, payload: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload)))
                self.send_header("Access-Control-Allow-Origin", "*")
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)

            def _handle(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                path = self.path.split("?")[0].rstrip("/")
                if path == "/v1/square.js" and self.command in ("GET", "HEAD"):
                    self._reply(200, SQUARE_JS.encode(), "application/javascript; charset=utf-8")
                    return
                try:
                    with fake._lock:
                        fake.received.append((self.command, self.path, raw))
                    given = self.headers.get("Authorization") or ""
                    if not hmac.compare_digest(given.encode(),
                                               f"Bearer {fake.access_token}".encode()):
                        raise SquareError("UNAUTHORIZED", "This request could not be "
                                          "authorized.", status=401,
                                          category="AUTHENTICATION_ERROR")
                    try:
                        body = json.loads(raw) if raw.strip() else {}
                    except ValueError:
                        raise SquareError("INVALID_REQUEST_ERROR", "Invalid JSON.") from None
                    if not isinstance(body, dict) or not path.startswith("/v2/"):
                        raise SquareError("NOT_FOUND", "Resource not found.", status=404)
                    status, answer = fake.route(self.command, path[4:].split("/"), body)
                except SquareError as exc:
                    status, answer = exc.status, exc.body
                except Exception as exc:  # noqa: BLE001 - a fake must answer, not hang
                    status, answer = 500, SquareError("INTERNAL_SERVER_ERROR", repr(exc),
                                                      category="API_ERROR").body
                self._reply(status, json.dumps(answer).encode(), "application/json")

            def do_OPTIONS(self) -> None:  # noqa: N802
                self.send_response(204)
                self.send_header("Access-Control-Allow-Origin", "*")
                self.send_header("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
                self.send_header("Access-Control-Allow-Headers", "Content-Type, Authorization")
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_POST = do_HEAD = _handle  # noqa: N815

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        return Handler
