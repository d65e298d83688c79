"""A loopback fake of Elavon Converge: Lightbox session tokens, the XML API and Lightbox.

It binds 127.0.0.1 on an ephemeral port; every answer is bounded. Routes::

    POST /hosted-payments/transaction_token   form: ssl_merchant_id, ssl_user_id, ssl_pin,
                                              ssl_transaction_type=ccsale, ssl_amount,
                                              ssl_invoice_number, ssl_description,
                                              ssl_transaction_currency? -> the token, plain text
    POST /VirtualMerchant/processxml.do       form: xmldata=<txn>...</txn> with
                                              ssl_transaction_type txnquery (by ssl_txn_id, or
                                              ssl_search_start_date/ssl_search_end_date
                                              "MM/DD/YYYY hh:mm:ss", at most 31 days apart),
                                              ccreturn (ssl_txn_id, ssl_amount), ccvoid
    GET  /hosted-payments/PayWithConverge.js  a Lightbox stand-in (``LIGHTBOX_JS``)
    POST /_fake/lightbox/pay                  JSON {token, card_number} -> {outcome, response}
                                              (fake only; CORS: ACAO *)

Errors answer ``<txn><errorCode/><errorName/><errorMessage/></txn>``. 4025 "Invalid
Credentials" is Converge's; the other codes are placeholders of this fake. Cards: 4111111111111111
approves, 4000000000000002 declines. Sales start unsettled (``PEN``); :meth:`settle_all` settles
them (``STL``). A void marks the sale ``VOID`` (the real status of a voided sale is unconfirmed).
"""

from __future__ import annotations

import json
import secrets
import threading
import urllib.parse
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from xml.sax.saxutils import escape

APPROVE_CARD = "4111111111111111"
DECLINE_CARD = "4000000000000002"
TOKEN_TTL = timedelta(minutes=15)
MAX_BODY = 200_000
EXPONENTS = {"USD": 2, "CAD": 2, "EUR": 2, "GBP": 2, "JPY": 0, "KWD": 3, "INR": 2}
_DATE_FORMAT = "%m/%d/%Y %H:%M:%S"

# Lightbox's contract: PayWithConverge.open({ssl_txn_auth_token}, {onApproval, onDeclined,
# onCancelled, onError}). Styles through element.style only (the app's CSP has no inline
# <script> or style attributes in markup); the dialog fits a 375 px wide screen.
LIGHTBOX_JS = """(function () {
  "use strict";
  var BASE = "__FAKE_BASE__";
  function el(tag, props, style) {
    var node = document.createElement(tag);
    Object.keys(props || {}).forEach(function (k) {
      if (k === "text") { node.textContent = props[k]; } else { node.setAttribute(k, props[k]); }
    });
    Object.keys(style || {}).forEach(function (k) { node.style[k] = style[k]; });
    return node;
  }
  function open(paymentFields, callback) {
    callback = callback || {};
    var token = (paymentFields || {}).ssl_txn_auth_token || "";
    var before = document.activeElement;
    var overlay = el("div", {}, {position: "fixed", inset: "0", background: "rgba(0,0,0,0.55)",
      display: "flex", alignItems: "center", justifyContent: "center", zIndex: "2147483000"});
    var dialog = el("div", {role: "dialog", "aria-modal": "true",
      "aria-labelledby": "converge-fake-title"}, {background: "#fff", color: "#111",
      width: "min(92vw, 340px)", boxSizing: "border-box", padding: "20px",
      borderRadius: "8px", fontFamily: "system-ui, sans-serif"});
    var title = el("h2", {id: "converge-fake-title", text: "Converge test checkout"},
      {fontSize: "1.2rem", margin: "0 0 12px"});
    var label = el("label", {"for": "converge-fake-card", text: "Card number"},
      {display: "block", marginBottom: "4px"});
    var input = el("input", {id: "converge-fake-card", type: "text", inputmode: "numeric",
      autocomplete: "cc-number"}, {width: "100%", boxSizing: "border-box", padding: "10px",
      fontSize: "1rem", border: "1px solid #555", borderRadius: "4px"});
    var status = el("p", {role: "status", "aria-live": "polite"},
      {minHeight: "1.2em", margin: "8px 0"});
    var pay = el("button", {id: "converge-fake-pay", type: "button", text: "Pay"},
      {padding: "10px 16px", marginRight: "8px", background: "#0b5fff", color: "#fff",
       border: "0", borderRadius: "4px", fontSize: "1rem", minHeight: "44px"});
    var cancel = el("button", {id: "converge-fake-cancel", type: "button", text: "Cancel"},
      {padding: "10px 16px", background: "#eee", color: "#111", border: "1px solid #555",
       borderRadius: "4px", fontSize: "1rem", minHeight: "44px"});
    [title, label, input, status, pay, cancel].forEach(function (n) { dialog.appendChild(n); });
    overlay.appendChild(dialog);
    document.body.appendChild(overlay);
    input.focus();
    function close() {
      overlay.remove();
      if (before && before.focus) { before.focus(); }
    }
    function done(name, value) {
      close();
      if (typeof callback[name] === "function") { callback[name](value); }
    }
    cancel.addEventListener("click", function () { done("onCancelled"); });
    overlay.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { done("onCancelled"); }
      if (event.key === "Tab") {
        var first = input, last = cancel;
        if (event.shiftKey && document.activeElement === first) {
          event.preventDefault(); last.focus();
        } else if (!event.shiftKey && document.activeElement === last) {
          event.preventDefault(); first.focus();
        }
      }
    });
    pay.addEventListener("click", function () {
      pay.disabled = true;
      status.textContent = "Processing\\u2026";
      fetch(BASE + "/_fake/lightbox/pay", {method: "POST",
        headers: {"Content-Type": "application/json"},
        body: JSON.stringify({token: token, card_number: input.value.replace(/\\s+/g, "")})})
        .then(function (r) { return r.json(); })
        .then(function (answer) {
          if (answer.outcome === "approval") { done("onApproval", answer.response); }
          else if (answer.outcome === "declined") { done("onDeclined", answer.response); }
          else { done("onError", answer.error || "error"); }
        })
        .catch(function (error) { done("onError", String(error)); });
    });
  }
  window.PayWithConverge = {open: open};
})();
"""


class ConvergeError(Exception):
    def __init__(self, code: str, name: str, message: str) -> None:
        super().__init__(message)
        self.fields = {"errorCode": code, "errorName": name, "errorMessage": message}


def _xml(fields: dict[str, str]) -> str:
    return "<txn>" + "".join(f"<{k}>{escape(v)}</{k}>" for k, v in fields.items()) + "</txn>"


def minor(text: str, currency: str) -> int:
    """A decimal amount in minor units; more decimals than the currency has is an error."""
    exponent = EXPONENTS.get(currency)
    if exponent is None:
        raise ConvergeError("5092", "Invalid Currency", f"{currency} is not accepted.")
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = Decimal("NaN")
    places = -int(value.as_tuple().exponent) if value.is_finite() else 99
    if not value.is_finite() or value <= 0 or places > exponent:
        raise ConvergeError("5021", "Invalid Amount",
                            f"The amount {text!r} is not a valid {currency} amount.")
    return int(value.scaleb(exponent))


def decimal_text(amount: int, currency: str) -> str:
    return str(Decimal(amount).scaleb(-EXPONENTS[currency]))


class ElavonFake:
    """The fake Converge. Use as a context manager."""

    def __init__(self, merchant_id: str, user_id: str, pin: str, port: int = 0) -> None:
        self.merchant_id, self.user_id, self.pin = merchant_id, user_id, pin
        self.tokens: dict[str, dict[str, Any]] = {}
        self.txns: dict[str, dict[str, str]] = {}  # insertion order: oldest first
        self.requests: list[dict[str, str]] = []
        self.clock_offset = timedelta()
        self._lock = threading.RLock()
        self._server = ThreadingHTTPServer(("127.0.0.1", port), self._handler_class())
        self._server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread: threading.Thread | None = None

    def __enter__(self) -> ElavonFake:
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(5)
        self._server.server_close()

    def now(self) -> datetime:
        return datetime.now(UTC) + self.clock_offset

    def settle_all(self) -> None:
        with self._lock:
            for txn in self.txns.values():
                if txn["ssl_trans_status"] in ("PEN", "OPN"):
                    txn["ssl_trans_status"] = "STL"

    def _check(self, form: dict[str, str]) -> None:
        with self._lock:
            self.requests.append({k: v for k, v in form.items() if k != "ssl_pin"})
        if (form.get("ssl_merchant_id"), form.get("ssl_user_id"), form.get("ssl_pin")) != (
                self.merchant_id, self.user_id, self.pin):
            raise ConvergeError("4025", "Invalid Credentials",
                                "The credentials supplied in the authorization request are "
                                "invalid.")

    def _new_txn(self, **fields: str) -> dict[str, str]:
        txn_id = f"{self.now():%d%m%y}A{secrets.randbelow(10**6):06d}-" + secrets.token_hex(8)
        txn = {"ssl_txn_id": txn_id, "ssl_txn_time": self.now().strftime(_DATE_FORMAT),
               **fields}
        self.txns[txn_id] = txn
        return txn

    # -- hosted payments ---------------------------------------------------------------------

    def transaction_token(self, form: dict[str, str]) -> str:
        self._check(form)
        if form.get("ssl_transaction_type", "").lower() != "ccsale":
            raise ConvergeError("5000", "Invalid Transaction Type", "Only ccsale is faked.")
        currency = form.get("ssl_transaction_currency", "USD").upper()
        minor(form.get("ssl_amount", ""), currency)
        if len(form.get("ssl_invoice_number", "")) > 25:
            raise ConvergeError("5001", "Invalid Invoice Number", "At most 25 characters.")
        token = secrets.token_urlsafe(24)
        with self._lock:
            self.tokens[token] = {"form": dict(form), "currency": currency,
                                  "expires": self.now() + TOKEN_TTL, "used": False}
        return token

    def pay(self, token: str, card_number: str) -> dict[str, Any]:
        """What Lightbox does with the card: a ccsale for the token's amount, once."""
        with self._lock:
            session = self.tokens.get(token)
            if session is None or session["used"] or session["expires"] <= self.now():
                return {"outcome": "error", "error": "The session token is invalid or expired."}
            session["used"] = True
            form, currency = session["form"], session["currency"]
            approved = card_number == APPROVE_CARD
            if not approved and card_number != DECLINE_CARD:
                return {"outcome": "error", "error": "Use a test card number."}
            txn = self._new_txn(
                ssl_transaction_type="SALE", ssl_result="0" if approved else "1",
                ssl_result_message="APPROVAL" if approved else "DECLINED",
                ssl_trans_status="PEN" if approved else "DEC",
                ssl_amount=form.get("ssl_amount", ""), ssl_transaction_currency=currency,
                ssl_invoice_number=form.get("ssl_invoice_number", ""),
                ssl_description=form.get("ssl_description", ""),
                ssl_card_number=card_number[:2] + "*" * 10 + card_number[-4:])
            fields = ("ssl_txn_id", "ssl_result", "ssl_result_message", "ssl_amount",
                      "ssl_invoice_number")
            return {"outcome": "approval" if approved else "declined",
                    "response": {k: txn[k] for k in fields}}

    # -- the XML API -------------------------------------------------------------------------

    def processxml(self, xmldata: str) -> str:
        try:
            node = ET.fromstring(xmldata)
        except ET.ParseError:
            raise ConvergeError("6042", "Invalid Request Format", "XML cannot be parsed.") \
                from None
        form = {child.tag: (child.text or "") for child in node}
        self._check(form)
        kind = form.get("ssl_transaction_type", "").lower()
        with self._lock:
            if kind == "txnquery":
                found = self._txnquery(form)
                return ("<txnlist>" + f"<ssl_txn_count>{len(found)}</ssl_txn_count>"
                        + "".join(_xml(t) for t in found) + "</txnlist>")
            sale = self.txns.get(form.get("ssl_txn_id", ""))
            if sale is None or sale["ssl_transaction_type"] != "SALE" or \
                    sale["ssl_result"] != "0":
                raise ConvergeError("5040", "Invalid Transaction ID",
                                    "The transaction ID is invalid for this transaction type.")
            if kind == "ccvoid":
                if sale["ssl_trans_status"] not in ("PEN", "OPN"):
                    raise ConvergeError("5040", "Invalid Transaction ID",
                                        "Only an unsettled transaction can be voided.")
                sale["ssl_trans_status"] = "VOID"
                return _xml({"ssl_result": "0", "ssl_result_message": "APPROVAL",
                             "ssl_txn_id": sale["ssl_txn_id"], "ssl_amount": sale["ssl_amount"],
                             "ssl_transaction_type": "VOID"})
            if kind == "ccreturn":
                return _xml(self._return(sale, form))
        raise ConvergeError("5000", "Invalid Transaction Type", f"{kind} is not faked.")

    def _return(self, sale: dict[str, str], form: dict[str, str]) -> dict[str, str]:
        if sale["ssl_trans_status"] != "STL":
            raise ConvergeError("5091", "Transaction Not Settled",
                                "An unsettled transaction cannot be returned: void it.")
        currency = sale["ssl_transaction_currency"]
        amount = minor(form.get("ssl_amount", ""), currency)
        returned = sum(minor(t["ssl_amount"], currency) for t in self.txns.values()
                       if t.get("ssl_original_txn_id") == sale["ssl_txn_id"])
        if amount + returned > minor(sale["ssl_amount"], currency):
            raise ConvergeError("5022", "Invalid Refund Amount",
                                "The amount exceeds the original transaction amount.")
        return self._new_txn(
            ssl_transaction_type="RETURN", ssl_result="0", ssl_result_message="APPROVAL",
            ssl_trans_status="PEN", ssl_amount=decimal_text(amount, currency),
            ssl_transaction_currency=currency, ssl_original_txn_id=sale["ssl_txn_id"],
            ssl_invoice_number=form.get("ssl_invoice_number", sale["ssl_invoice_number"]),
            ssl_description=form.get("ssl_description", ""))

    def _txnquery(self, form: dict[str, str]) -> list[dict[str, str]]:
        if form.get("ssl_txn_id"):
            txn = self.txns.get(form["ssl_txn_id"])
            return [dict(txn)] if txn else []
        try:
            start = datetime.strptime(form["ssl_search_start_date"], _DATE_FORMAT)
            end = datetime.strptime(form["ssl_search_end_date"], _DATE_FORMAT)
        except (KeyError, ValueError):
            raise ConvergeError("5000", "Invalid Search", "Search by ssl_txn_id or by "
                                "ssl_search_start_date and ssl_search_end_date.") from None
        if not timedelta() <= end - start <= timedelta(days=31):
            raise ConvergeError("5000", "Invalid Search", "The range is at most 31 days.")
        found = [dict(t) for t in self.txns.values()
                 if start <= datetime.strptime(t["ssl_txn_time"], _DATE_FORMAT) <= end]
        return list(reversed(found))  # newest first

    # -- HTTP ----------------------------------------------------------------------------------

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            timeout = 10

            def _send(self, status: int, payload: str, content_type: str) -> None:
                data = payload.encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Access-Control-Allow-Origin", "*")
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802
                if self.path.split("?")[0] == "/hosted-payments/PayWithConverge.js":
                    script = LIGHTBOX_JS.replace("__FAKE_BASE__", fake.base_url)
                    self._send(200, script, "application/javascript; charset=utf-8")
                else:
                    self._send(404, "not found", "text/plain")

            def do_OPTIONS(self) -> None:  # noqa: N802
                self.send_response(204)
                self.send_header("Access-Control-Allow-Origin", "*")
                self.send_header("Access-Control-Allow-Methods", "POST, OPTIONS")
                self.send_header("Access-Control-Allow-Headers", "Content-Type")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                if length > MAX_BODY:
                    self.close_connection = True
                    self._send(413, "too large", "text/plain")
                    return
                raw = self.rfile.read(length).decode("utf-8", "replace")
                path = self.path.split("?")[0]
                try:
                    if path == "/_fake/lightbox/pay":
                        body = json.loads(raw or "{}")
                        answer = fake.pay(str(body.get("token", "")),
                                          str(body.get("card_number", "")))
                        self._send(200, json.dumps(answer), "application/json")
                        return
                    form = dict(urllib.parse.parse_qsl(raw, keep_blank_values=True))
                    if path == "/hosted-payments/transaction_token":
                        self._send(200, fake.transaction_token(form), "text/plain")
                    elif path == "/VirtualMerchant/processxml.do":
                        self._send(200, fake.processxml(form.get("xmldata", "")),
                                   "application/xml")
                    else:
                        self._send(404, "not found", "text/plain")
                except ConvergeError as exc:
                    self._send(200, _xml(exc.fields), "application/xml")
                except Exception as exc:  # noqa: BLE001 - a fake must answer, not hang
                    self._send(500, f"fake error: {type(exc).__name__}: {exc}", "text/plain")

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        return Handler
