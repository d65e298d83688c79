"""The Elavon Converge processor (Lightbox hosted payments and the XML API), over ``httpx``:
Elavon publishes no Python SDK.

Converge has no intent object: our intent is the order's idempotency key (``order-12-intent``),
sent as ``ssl_invoice_number`` of the sale so the sale can be found again. The page asks the
server for a Lightbox session token (``POST /hosted-payments/transaction_token``: a ``ccsale``
for the exact amount, which needs the PIN, so only the server asks), opens
``PayWithConverge.open({ssl_txn_auth_token}, callback)``, and hands the callback's fields back.
Those fields are never believed: the sale is read back with ``txnquery`` by ``ssl_txn_id``
(``POST /VirtualMerchant/processxml.do``, form field ``xmldata=<txn>...</txn>``) and accepted
only for this invoice; its amount comes from Converge's ``ssl_amount``, exactly, and the app's
settlement refuses a sale whose amount or currency differs from the payment's.

Finding an intent's transactions: the published ``txnquery`` searches by ``ssl_txn_id``, by
card data or by a date range, not by invoice. So the processor remembers the transaction ids
it has verified (per process), and otherwise searches ``search_days`` back in date ranges of
at most 31 days, keeping the transactions whose ``ssl_invoice_number`` is the intent's.

Refunds: ``ccreturn`` of a settled sale (``ssl_trans_status`` ``STL``); an unsettled sale
(``PEN``/``OPN``) takes no return, so refunding all of it voids it (``ccvoid``) and a part of
it must wait for settlement (retryable ``refund_not_yet_possible``). Converge takes no
idempotency key: a return carries the intent as ``ssl_invoice_number`` and our key as
``ssl_description``, and a return already made with that key is the one reported. Converge
reports no fee (``fee=None``) and sends no signed webhooks.

Not confirmed from Elavon's published reference, and kept in one place each: the date format
of ``ssl_search_start_date``/``ssl_search_end_date`` (``_DATE_FORMAT``), the 31-day search
limit, the ``ssl_trans_status`` of a voided sale (anything outside ``_LIVE``/``_RULE_FAILED``
reads as voided), whether txnquery lists carry ``ssl_result`` (``ssl_result_message`` APPROVAL
is accepted too), and how ``transaction_token`` reports an error (an XML error body or a
4xx answer are both read).
"""

from __future__ import annotations

import threading
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

import httpx

from commerce_dash.domain.money import Money
from commerce_dash.payments.base import (
    CreateIntent,
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

INVOICE_MAX = 25  # Converge's ssl_invoice_number
DESCRIPTION_MAX = 255
SEARCH_WINDOW_DAYS = 31
REMEMBERED_MAX = 10_000  # intents kept in memory per process (the oldest are forgotten)
_DATE_FORMAT = "%m/%d/%Y %H:%M:%S"
_CREDENTIAL_ERRORS = {"4025"}  # Invalid Credentials
_APPROVED_MESSAGES = {"APPROVAL", "APPROVED"}
_LIVE = {"STL", "PEN", "OPN"}  # settled, pending settlement, open (unpriced)
_UNSETTLED = {"PEN", "OPN"}
_RULE_FAILED = {"FPR", "PRE", "PST"}  # failed a fraud, pre-auth or post-auth rule
_SALE = {"sale", "ccsale"}
_RETURN = {"return", "ccreturn"}


def to_decimal(amount: int, currency: str) -> str:
    """Minor units as Converge's decimal amount: 1999 USD -> "19.99", 500 JPY -> "500"."""
    return str(Money(amount, currency).to_decimal())


def to_minor(text: str, currency: str) -> int:
    """Converge's decimal amount in minor units, exactly (a lost digit is an error)."""
    try:
        return Money.from_decimal(Decimal(text.replace(",", "").strip()), currency).amount
    except (InvalidOperation, ValueError, TypeError):
        raise ProcessorError("elavon_bad_answer", f"Elavon answered an amount {text!r} that "
                             f"is not a {currency} amount.", retryable=True) from None


def _approved(txn: Mapping[str, str]) -> bool:
    if txn.get("ssl_result"):
        return txn["ssl_result"] == "0"
    return txn.get("ssl_result_message", "").upper() in _APPROVED_MESSAGES


def _kind(txn: Mapping[str, str]) -> str:
    kind = txn.get("ssl_transaction_type", "").lower()
    return "sale" if kind in _SALE else "return" if kind in _RETURN else kind


def _live(txn: Mapping[str, str]) -> bool:
    return _approved(txn) and txn.get("ssl_trans_status", "STL").upper() in _LIVE


def parse_answer(text: str) -> list[dict[str, str]]:
    """The ``<txn>`` elements of a Converge XML answer (one ``<txn>``, or a ``<txnlist>``)."""
    try:
        root = ET.fromstring(text)
    except ET.ParseError:
        raise ProcessorError("elavon_bad_answer", "Elavon answered something that is not "
                             "XML.", retryable=True) from None
    nodes = [root] if root.tag == "txn" else root.findall("txn")
    return [{child.tag: (child.text or "").strip() for child in node} for node in nodes]


class ElavonProcessor:
    """Lightbox sessions, server-side checks, voids and returns of Elavon Converge."""

    name = "elavon"

    def __init__(self, *, merchant_id: str, user_id: str, pin: str,
                 api_host: str = "https://api.convergepay.com", timeout_seconds: float = 20.0,
                 search_days: int = 93, default_currency: str = "USD") -> None:
        if not merchant_id or not user_id or not pin:
            raise ProcessorError("processor_not_configured",
                                 "Elavon is not set up: COMMERCE_ELAVON_MERCHANT_ID, "
                                 "COMMERCE_ELAVON_USER_ID and COMMERCE_ELAVON_PIN must all be "
                                 "set.")
        self.merchant_id = merchant_id
        self._user_id = user_id
        self._pin = pin
        self.api_host = api_host.rstrip("/")
        self.search_days = search_days
        self.default_currency = default_currency.upper()
        self._timeout = timeout_seconds
        self._lock = threading.Lock()
        self._intents: dict[str, tuple[int, str]] = {}  # amount, currency asked for
        self._txn_ids: dict[str, list[str]] = {}  # verified transactions per intent

    @classmethod
    def from_settings(cls, settings: Settings) -> ElavonProcessor:
        return cls(merchant_id=settings.elavon_merchant_id, user_id=settings.elavon_user_id,
                   pin=settings.elavon_pin.get_secret_value(),
                   api_host=settings.elavon_api_host)

    # -- calls -------------------------------------------------------------------------------

    def _credentials(self) -> dict[str, str]:
        return {"ssl_merchant_id": self.merchant_id, "ssl_user_id": self._user_id,
                "ssl_pin": self._pin}

    def _post(self, what: str, path: str, form: Mapping[str, str]) -> str:
        try:
            answer = httpx.post(f"{self.api_host}{path}", data=dict(form),
                                timeout=self._timeout)
        except httpx.HTTPError as exc:
            raise ProcessorError("elavon_unreachable", f"Elavon could not be reached to "
                                 f"{what}: {type(exc).__name__}", retryable=True) from None
        if answer.status_code >= 500:
            raise ProcessorError("elavon_unavailable", f"Elavon could not {what}: HTTP "
                                 f"{answer.status_code}", retryable=True)
        if answer.text.lstrip().startswith("<"):
            for txn in parse_answer(answer.text):
                self._raise_error(what, txn)
        if answer.status_code >= 400:
            raise ProcessorError("elavon_refused", f"Elavon refused to {what}: HTTP "
                                 f"{answer.status_code}")
        return answer.text

    @staticmethod
    def _raise_error(what: str, txn: Mapping[str, str]) -> None:
        code = txn.get("errorCode", "")
        if not code:
            return
        detail = f"{code} {txn.get('errorName', '')}: {txn.get('errorMessage', '')}".strip()
        if code in _CREDENTIAL_ERRORS:
            raise ProcessorError("elavon_invalid_credentials",
                                 f"Elavon refused our credentials ({detail}): check "
                                 "COMMERCE_ELAVON_MERCHANT_ID, COMMERCE_ELAVON_USER_ID and "
                                 "COMMERCE_ELAVON_PIN.")
        raise ProcessorError("elavon_refused", f"Elavon refused to {what}: {detail}")

    def _xml(self, what: str, fields: Mapping[str, str]) -> list[dict[str, str]]:
        body = "".join(f"<{k}>{escape(v)}</{k}>"
                       for k, v in {**self._credentials(), **fields}.items())
        return parse_answer(self._post(what, "/VirtualMerchant/processxml.do",
                                       {"xmldata": f"<txn>{body}</txn>"}))

    def _query(self, txn_id: str) -> dict[str, str] | None:
        found = self._xml("read the transaction",
                          {"ssl_transaction_type": "txnquery", "ssl_txn_id": txn_id})
        return next((t for t in found if t.get("ssl_txn_id") == txn_id), None)

    def _search(self, intent_id: str) -> list[dict[str, str]]:
        """Every transaction of the invoice in the last ``search_days`` (newest first)."""
        end = datetime.now(UTC)
        oldest = end - timedelta(days=self.search_days)
        found: dict[str, dict[str, str]] = {}
        while end > oldest:
            start = max(oldest, end - timedelta(days=SEARCH_WINDOW_DAYS))
            for txn in self._xml("search the transactions", {
                    "ssl_transaction_type": "txnquery",
                    "ssl_search_start_date": start.strftime(_DATE_FORMAT),
                    "ssl_search_end_date": end.strftime(_DATE_FORMAT)}):
                if txn.get("ssl_invoice_number") == intent_id and txn.get("ssl_txn_id"):
                    found.setdefault(txn["ssl_txn_id"], txn)
            end = start
        return list(found.values())

    def _transactions(self, intent_id: str, *, search: bool) -> list[dict[str, str]]:
        known = [t for t in (self._query(i) for i in self._txn_ids.get(intent_id, ())) if t]
        if search or not any(_approved(t) and _kind(t) == "sale" for t in known):
            seen = {t["ssl_txn_id"] for t in known}
            known += [t for t in self._search(intent_id) if t["ssl_txn_id"] not in seen]
        return known

    def _currency(self, intent_id: str, txn: Mapping[str, str]) -> str:
        given = txn.get("ssl_transaction_currency", "").upper()
        return given or self._intents.get(intent_id, (0, self.default_currency))[1]

    def _remember(self, intent_id: str, txn_id: str) -> None:
        with self._lock:
            ids = self._txn_ids.setdefault(intent_id, [])
            if txn_id not in ids:
                ids.append(txn_id)
            while len(self._txn_ids) > REMEMBERED_MAX:
                del self._txn_ids[next(iter(self._txn_ids))]

    def _asked(self, intent_id: str, amount: int, currency: str) -> None:
        with self._lock:
            self._intents[intent_id] = (amount, currency)
            while len(self._intents) > REMEMBERED_MAX:
                del self._intents[next(iter(self._intents))]

    # -- HostedCheckout ------------------------------------------------------------------------

    def session_token(self, intent_id: str, amount: int, currency: str,
                      description: str) -> str:
        """A single-use Lightbox session token for a sale of exactly ``amount`` (asked with
        the PIN, so server side only; Converge lets it live 15 minutes)."""
        currency = currency.upper()
        self._asked(intent_id, amount, currency)
        token = self._post("start the payment", "/hosted-payments/transaction_token", {
            **self._credentials(), "ssl_transaction_type": "ccsale",
            "ssl_amount": to_decimal(amount, currency), "ssl_transaction_currency": currency,
            "ssl_invoice_number": intent_id[:INVOICE_MAX],
            "ssl_description": description[:DESCRIPTION_MAX]}).strip()
        if not token or len(token) > 512 or any(c.isspace() for c in token):
            raise ProcessorError("elavon_bad_answer", "Elavon answered without a session "
                                 "token.", retryable=True)
        return token

    def start_checkout(self, intent_id: str, amount: int, currency: str,
                       description: str) -> dict[str, str]:
        """A Lightbox session token for this attempt."""
        return {"token": self.session_token(intent_id, amount, currency, description)}

    def checkout_options(self, intent_id: str) -> dict[str, str]:
        """The Lightbox script and the invoice: public values only (the token comes from
        :meth:`session_token`, through a server action)."""
        return {"script_url": f"{self.api_host}/hosted-payments/PayWithConverge.js",
                "invoice": intent_id}

    def complete_checkout(self, intent_id: str, fields: Mapping[str, str]) -> IntentResult:
        """The Lightbox callback's ``ssl_txn_id``, read back from Converge: only a
        transaction of this invoice counts, and only what Converge says of it."""
        txn_id = str(fields.get("ssl_txn_id", "")).strip()
        txn = self._query(txn_id) if txn_id else None
        if txn is None or txn.get("ssl_invoice_number") != intent_id or _kind(txn) != "sale":
            raise ProcessorError("payment_mismatch", "Elavon has no such payment for this "
                                 "order, so nothing is marked paid. If money left your account "
                                 "it is refunded or the order completes within minutes.")
        self._remember(intent_id, txn_id)
        return self._result(intent_id, self._transactions(intent_id, search=False))

    # -- PaymentProcessor ----------------------------------------------------------------------

    def create_intent(self, request: CreateIntent) -> IntentResult:
        """No call: the intent is the idempotency key, the sale's invoice number."""
        if len(request.idempotency_key) > INVOICE_MAX:
            raise ProcessorError("intent_key_too_long", f"Elavon keeps at most {INVOICE_MAX} "
                                 f"characters of an invoice number: {request.idempotency_key}")
        currency = request.currency.upper()
        self._asked(request.idempotency_key, request.amount, currency)
        return IntentResult(request.idempotency_key, IntentStatus.REQUIRES_PAYMENT,
                            request.amount, currency)

    def _result(self, intent_id: str, txns: list[dict[str, str]]) -> IntentResult:
        """A live approved sale pays the intent; else a voided one cancels it; else the
        latest decline fails it; else it waits for a card."""
        amount, currency = self._intents.get(intent_id, (0, self.default_currency))
        raw = {"transactions": [dict(t) for t in txns]}
        sales = [t for t in txns if _kind(t) == "sale"]
        for sale in sales:
            if _live(sale):
                paid_in = self._currency(intent_id, sale)
                paid = to_minor(sale.get("ssl_amount", ""), paid_in)
                return IntentResult(intent_id, IntentStatus.SUCCEEDED, paid, paid_in,
                                    amount_received=paid, raw=raw, fee=None)
        if any(_approved(s) and s.get("ssl_trans_status", "").upper() not in _RULE_FAILED
               for s in sales):
            return IntentResult(intent_id, IntentStatus.CANCELED, amount, currency, raw=raw)
        if sales:
            latest = sales[-1]
            return IntentResult(intent_id, IntentStatus.FAILED, amount, currency,
                                failure_code="declined",
                                failure_message=latest.get("ssl_result_message")
                                or "The card was declined.", raw=raw)
        return IntentResult(intent_id, IntentStatus.REQUIRES_PAYMENT, amount, currency, raw=raw)

    def retrieve_intent(self, intent_id: str) -> IntentResult:
        return self._result(intent_id, self._transactions(intent_id, search=False))

    def confirm_intent(self, intent_id: str, payment_method: str) -> IntentResult:
        """``payment_method`` is a Converge ``ssl_txn_id`` of this invoice's sale."""
        return self.complete_checkout(intent_id, {"ssl_txn_id": payment_method})

    def _sale(self, txns: list[dict[str, str]]) -> dict[str, str] | None:
        return next((t for t in txns if _kind(t) == "sale" and _live(t)), None)

    def _void(self, sale: Mapping[str, str]) -> dict[str, str]:
        answer = self._xml("void the payment", {"ssl_transaction_type": "ccvoid",
                                                 "ssl_txn_id": sale["ssl_txn_id"]})
        done = answer[0] if answer else {}
        if not _approved(done):
            raise ProcessorError("elavon_refused", "Elavon did not void the payment: "
                                 f"{done.get('ssl_result_message', 'no answer')}")
        return done

    def cancel_intent(self, intent_id: str) -> IntentResult:
        """Voids an unsettled sale; a settled one stays paid (refund it instead)."""
        txns = self._transactions(intent_id, search=True)
        sale = self._sale(txns)
        if sale is not None and sale.get("ssl_trans_status", "").upper() in _UNSETTLED:
            self._void(sale)
        elif sale is not None:
            return self._result(intent_id, txns)
        amount, currency = self._intents.get(intent_id, (0, self.default_currency))
        return IntentResult(intent_id, IntentStatus.CANCELED, amount, currency,
                            raw={"transactions": txns})

    def refund(self, request: RefundRequest) -> RefundResult:
        """A return of the invoice's sale, once per idempotency key; all of an unsettled
        sale is voided instead, a part of it waits for settlement."""
        txns = self._transactions(request.intent_id, search=True)
        key = request.idempotency_key[:DESCRIPTION_MAX]
        made = next((t for t in txns if _kind(t) == "return"
                     and t.get("ssl_description") == key and _approved(t)), None)
        sales = [t for t in txns if _kind(t) == "sale" and _approved(t)]
        sale = self._sale(txns)
        if made is None and sale is None:
            voided = next((s for s in sales if s.get("ssl_trans_status", "").upper()
                           not in _RULE_FAILED), None)
            paid_in = self._currency(request.intent_id, voided) if voided else ""
            if voided is not None and paid_in == request.currency.upper() and \
                    to_minor(voided.get("ssl_amount", ""), paid_in) == request.amount:
                return RefundResult(voided["ssl_txn_id"], request.amount, "succeeded",
                                    raw={"void": voided})  # a retried void-as-refund
            raise ProcessorError("nothing_to_refund", "Elavon has no approved payment for "
                                 "this order.")
        if made is not None:
            return self._refund_result(made, request.currency)
        assert sale is not None
        currency = self._currency(request.intent_id, sale)
        if currency != request.currency.upper():
            raise ProcessorError("currency_mismatch", f"The payment is in {currency}, the "
                                 f"refund in {request.currency}.")
        sold = to_minor(sale.get("ssl_amount", ""), currency)
        if sale.get("ssl_trans_status", "").upper() in _UNSETTLED:
            if request.amount == sold:
                done = self._void(sale)
                return RefundResult(done.get("ssl_txn_id") or sale["ssl_txn_id"],
                                    request.amount, "succeeded", raw={"void": done})
            if request.amount > sold:
                raise ProcessorError("refund_too_large", "The refund is more than the payment.")
            raise ProcessorError("refund_not_yet_possible",
                                 "This payment can be refunded in part once Elavon settles it "
                                 "(usually the next day).", retryable=True)
        answer = self._xml("refund the payment", {
            "ssl_transaction_type": "ccreturn", "ssl_txn_id": sale["ssl_txn_id"],
            "ssl_amount": to_decimal(request.amount, currency),
            "ssl_invoice_number": request.intent_id, "ssl_description": key})
        done = answer[0] if answer else {}
        if not _approved(done) or not done.get("ssl_txn_id"):
            raise ProcessorError("elavon_refused", "Elavon did not make the refund: "
                                 f"{done.get('ssl_result_message', 'no answer')}")
        self._remember(request.intent_id, done["ssl_txn_id"])
        return self._refund_result(done, currency)

    @staticmethod
    def _refund_result(txn: Mapping[str, str], currency: str) -> RefundResult:
        return RefundResult(txn.get("ssl_txn_id", ""), to_minor(txn.get("ssl_amount", ""),
                                                                 currency),
                            "succeeded", raw=dict(txn))

    def verify_webhook(self, body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        raise WebhookSignatureError("Elavon Converge sends no webhooks: payments are confirmed "
                                    "by querying Converge")

