"""The Stripe payment processor (spec 001, ADR-005), built on the official ``stripe`` SDK.

It speaks PaymentIntents only: the storefront creates an intent, Stripe.js confirms it in the
browser (``assets/js/stripe_checkout.js``) or the server confirms it with a payment method id,
and signed webhooks report the outcome.

Two dialects are spoken, chosen by ``localstripe_compat`` (automatic: on when ``api_base`` is
set, which the project only does to point tests at localstripe):

* real Stripe (SDK API version ``2026-10-28.endive``): card-only intents use
  ``allowed_payment_method_types`` (``payment_method_types`` is refused with
  ``payment_method_types_no_longer_supported`` since ``2026-09-30.endive``), the receipt email
  and description are sent, and a server-side confirm is a single call;
* localstripe: it refuses every parameter it does not know (``description``,
  ``receipt_email``, ``allowed_payment_method_types``) and answers "Not implemented" to a
  confirm that carries ``payment_method``, so the payment method is set by an update first.

Amounts stay integer minor units; currencies go to Stripe lower-case and come back to us
upper-case. A decline is a state of the intent (``FAILED`` with Stripe's reason), not an error;
:class:`ProcessorError` means Stripe refused the call or could not be reached.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import stripe

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
from commerce_dash.payments.events import stripe_shaped_event
from commerce_dash.settings import ConfigurationError

if TYPE_CHECKING:
    from commerce_dash.settings import Settings

# Stripe intent status -> ours. requires_payment_method becomes FAILED when the intent carries
# a last_payment_error (see _intent_result).
_STATUS: dict[str, IntentStatus] = {
    "requires_payment_method": IntentStatus.REQUIRES_PAYMENT,
    "requires_confirmation": IntentStatus.REQUIRES_PAYMENT,
    "requires_action": IntentStatus.REQUIRES_ACTION,
    "processing": IntentStatus.PROCESSING,
    # Authorised, waiting for a capture: we capture automatically, so this is transitory.
    "requires_capture": IntentStatus.PROCESSING,
    "succeeded": IntentStatus.SUCCEEDED,
    "canceled": IntentStatus.CANCELED,
}

_REFUND_STATUS: dict[str, str] = {
    "succeeded": "succeeded",
    "pending": "pending",
    "requires_action": "pending",
    "failed": "failed",
    "canceled": "failed",
}


def _as_dict(obj: Any) -> dict[str, Any]:
    """A Stripe object (or a plain mapping) as a plain, recursive dict."""
    if isinstance(obj, stripe.StripeObject):
        return obj.to_dict()
    if isinstance(obj, Mapping):
        return dict(obj)
    return {}


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _int(value: Any) -> int:
    # bool is an int subclass; never let True become an amount.
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _failure(error: Any) -> tuple[str, str]:
    """(code, message) from a last_payment_error or an API error body."""
    if not isinstance(error, Mapping):
        return "", ""
    code = _str(error.get("decline_code")) or _str(error.get("code"))
    return code, _str(error.get("message"))


def _next_action_url(next_action: Any) -> str:
    if not isinstance(next_action, Mapping):
        return ""
    redirect = next_action.get("redirect_to_url")
    if isinstance(redirect, Mapping) and _str(redirect.get("url")):
        return _str(redirect.get("url"))
    sdk = next_action.get("use_stripe_sdk")
    if isinstance(sdk, Mapping):
        # Stripe.js handles this one in-page; stripe_js is the challenge page when given.
        return _str(sdk.get("stripe_js"))
    return ""


def _balance_fee(intent: Mapping[str, Any]) -> int | None:
    """Stripe's fee of the charge, from its balance transaction when the answer expanded it
    (``latest_charge.balance_transaction``); None when it is not there."""
    charge = intent.get("latest_charge")
    txn = charge.get("balance_transaction") if isinstance(charge, Mapping) else None
    fee = txn.get("fee") if isinstance(txn, Mapping) else None
    return fee if isinstance(fee, int) and not isinstance(fee, bool) and fee >= 0 else None


# an intent answered with its charge's balance transaction: Stripe's real fee
_WITH_FEE = {"expand": ["latest_charge.balance_transaction"]}


def intent_result(intent: Mapping[str, Any]) -> IntentResult:
    """Normalise a PaymentIntent (as a plain dict) into an :class:`IntentResult`."""
    stripe_status = _str(intent.get("status"))
    status = _STATUS.get(stripe_status)
    if status is None:
        raise ProcessorError(
            "unknown_status", f"Stripe returned an unknown intent status {stripe_status!r}"
        )
    failure_code, failure_message = "", ""
    error = intent.get("last_payment_error")
    if stripe_status == "requires_payment_method" and isinstance(error, Mapping):
        status = IntentStatus.FAILED
        failure_code, failure_message = _failure(error)
        failure_code = failure_code or "payment_failed"
        failure_message = failure_message or "The payment was declined."
    amount = _int(intent.get("amount"))
    if "amount_received" in intent:
        amount_received = _int(intent.get("amount_received"))
    else:
        # localstripe has no amount_received; an automatic capture receives the whole amount.
        amount_received = amount if status is IntentStatus.SUCCEEDED else 0
    return IntentResult(
        fee=_balance_fee(intent) if status is IntentStatus.SUCCEEDED else None,
        intent_id=_str(intent.get("id")),
        status=status,
        amount=amount,
        currency=_str(intent.get("currency")).upper(),
        client_secret=_str(intent.get("client_secret")),
        amount_received=amount_received,
        failure_code=failure_code,
        failure_message=failure_message,
        next_action_url=_next_action_url(intent.get("next_action"))
        if status is IntentStatus.REQUIRES_ACTION
        else "",
        raw=dict(intent),
    )


def processor_error(err: stripe.StripeError) -> ProcessorError:
    """Translate an SDK error; ``retryable`` only for network trouble, 429 and 5xx."""
    body = err.json_body.get("error") if isinstance(err.json_body, dict) else None
    body = body if isinstance(body, Mapping) else {}
    message = _str(body.get("message")) or err.user_message or str(err)
    status = err.http_status or 0
    if isinstance(err, stripe.CardError):
        code, _ = _failure(body)
        return ProcessorError(code or "card_declined", message, retryable=False)
    if isinstance(err, stripe.APIConnectionError):
        return ProcessorError("api_connection_error", message, retryable=True)
    if isinstance(err, stripe.RateLimitError):
        return ProcessorError(err.code or "rate_limit", message, retryable=True)
    if status >= 500 or isinstance(err, stripe.APIError):
        return ProcessorError(err.code or "api_error", message, retryable=True)
    if isinstance(err, stripe.AuthenticationError):
        return ProcessorError(err.code or "authentication_error", message, retryable=False)
    if isinstance(err, stripe.PermissionError):
        return ProcessorError(err.code or "permission_error", message, retryable=False)
    if isinstance(err, stripe.IdempotencyError):
        return ProcessorError(err.code or "idempotency_error", message, retryable=False)
    default = "resource_missing" if status == 404 else "invalid_request_error"
    return ProcessorError(err.code or default, message, retryable=False)


class StripeProcessor:
    """:class:`~commerce_dash.payments.base.PaymentProcessor` backed by Stripe PaymentIntents."""

    name = "stripe"

    def __init__(
        self,
        secret_key: str,
        webhook_secret: str,
        api_base: str = "",
        *,
        max_network_retries: int = 2,
        timeout_seconds: float = 30.0,
        localstripe_compat: bool | None = None,
    ) -> None:
        if not secret_key:
            raise ConfigurationError("Stripe needs a secret key (COMMERCE_STRIPE_SECRET_KEY)")
        self._webhook_secret = webhook_secret
        self.api_base = api_base.rstrip("/")
        if localstripe_compat is None:
            localstripe_compat = bool(api_base)
        self.localstripe_compat = localstripe_compat
        # The SDK's default client (requests, a dependency of stripe), with our timeout.
        http_client = stripe.RequestsClient(timeout=timeout_seconds)
        self._client = stripe.StripeClient(
            secret_key,
            base_addresses={"api": self.api_base} if self.api_base else None,
            max_network_retries=max_network_retries,
            http_client=http_client,
        )

    @property
    def client(self) -> stripe.StripeClient:
        """The configured SDK client (keys, base address, retries, timeout), for the other
        Stripe services of the app (subscriptions); read-only."""
        return self._client

    @classmethod
    def from_settings(cls, settings: Settings) -> StripeProcessor:
        return cls(
            secret_key=settings.stripe_secret_key.get_secret_value(),
            webhook_secret=settings.stripe_webhook_secret.get_secret_value(),
            api_base=settings.stripe_api_base,
        )

    def __repr__(self) -> str:  # never the keys
        base = self.api_base or "api.stripe.com"
        return f"StripeProcessor(api_base={base!r}, localstripe_compat={self.localstripe_compat})"

    # -- intents -------------------------------------------------------------------------

    def create_intent(self, request: CreateIntent) -> IntentResult:
        metadata = {
            **{str(k): str(v) for k, v in request.metadata.items()},
            "order_id": str(request.order_id),
            "order_number": request.order_number,
        }
        params: dict[str, Any] = {
            "amount": request.amount,
            "currency": request.currency.lower(),
            "metadata": metadata,
        }
        if self.localstripe_compat:
            params["payment_method_types"] = ["card"]
        else:
            params["allowed_payment_method_types"] = ["card"]
            if request.description:
                params["description"] = request.description
            if request.customer_email:
                params["receipt_email"] = request.customer_email
        return self._intent_call(lambda: self._client.v1.payment_intents.create(
            params,  # type: ignore[arg-type]  # built as a plain dict per dialect
            {"idempotency_key": request.idempotency_key},
        ))

    def _intent_call(self, call: Callable[[], Any], *, declines: str = "") -> IntentResult:
        """Run one Stripe call answering an intent: the intent as a result, a Stripe error as
        :class:`ProcessorError`; a card error of a confirmation (``declines``: the intent's id)
        as the declined intent."""
        try:
            intent = call()
        except stripe.CardError as err:
            if not declines:
                raise processor_error(err) from err
            return self._declined(declines, err)
        except stripe.StripeError as err:
            raise processor_error(err) from err
        return intent_result(_as_dict(intent))

    def retrieve_intent(self, intent_id: str) -> IntentResult:
        return self._intent_call(lambda: self._client.v1.payment_intents.retrieve(
            intent_id, _WITH_FEE))  # type: ignore[arg-type]

    def confirm_intent(self, intent_id: str, payment_method: str) -> IntentResult:
        """Confirm server-side. A decline returns ``FAILED`` with Stripe's reason."""
        intents = self._client.v1.payment_intents

        def confirm() -> Any:
            if self.localstripe_compat:
                intents.update(intent_id, {"payment_method": payment_method})
                return intents.confirm(intent_id, _WITH_FEE)  # type: ignore[arg-type]
            return intents.confirm(intent_id, {"payment_method": payment_method,
                                               **_WITH_FEE})  # type: ignore[arg-type]

        return self._intent_call(confirm, declines=intent_id)

    def confirm_with_token(self, intent_id: str, token: str, card_id: str) -> IntentResult:
        """Confirm with a card token made by Stripe.js ``createToken`` in the browser.

        Stripe takes the token as ``payment_method_data``; localstripe takes the card the
        token holds as the payment method.
        """
        if self.localstripe_compat:
            return self.confirm_intent(intent_id, card_id)
        return self._intent_call(lambda: self._client.v1.payment_intents.confirm(
            intent_id,
            {"payment_method_data": {"type": "card", "card": {"token": token}},  # type: ignore[arg-type]
             **_WITH_FEE},
        ), declines=intent_id)

    def _declined(self, intent_id: str, err: stripe.CardError) -> IntentResult:
        """The intent after a decline: from the error body (Stripe) or fetched (localstripe)."""
        body = err.json_body.get("error") if isinstance(err.json_body, dict) else None
        body = body if isinstance(body, Mapping) else {}
        intent = body.get("payment_intent")
        if not isinstance(intent, Mapping):
            try:
                intent = _as_dict(self._client.v1.payment_intents.retrieve(intent_id))
            except stripe.StripeError as retrieve_err:
                raise processor_error(err) from retrieve_err
        result = intent_result(intent)
        if result.status is not IntentStatus.FAILED:
            # The intent does not show the decline (yet): report the error itself.
            raise processor_error(err) from err
        return result

    def cancel_intent(self, intent_id: str) -> IntentResult:
        return self._intent_call(lambda: self._client.v1.payment_intents.cancel(intent_id))

    def refund(self, request: RefundRequest) -> RefundResult:
        # Stripe's own ``reason`` is an enum (duplicate, fraudulent, ...) and localstripe
        # refuses it: our free-text reason travels in the metadata.
        # Stripe forgets idempotency keys after 24 hours, so a retry days later first looks
        # for a refund this request already made (the key travels in the metadata too).
        existing = self._refund_with_key(request)
        if existing is not None:
            return existing
        params: dict[str, Any] = {
            "payment_intent": request.intent_id,
            "amount": request.amount,
            "metadata": {"reason": request.reason[:500],
                         "idempotency_key": request.idempotency_key},
        }
        try:
            refund = self._client.v1.refunds.create(
                params,  # type: ignore[arg-type]
                {"idempotency_key": request.idempotency_key},
            )
        except stripe.StripeError as err:
            raise processor_error(err) from err
        raw = _as_dict(refund)
        return RefundResult(
            refund_id=_str(raw.get("id")),
            amount=_int(raw.get("amount")),
            status=_REFUND_STATUS.get(_str(raw.get("status")), "pending"),
            raw=raw,
        )

    def _refund_with_key(self, request: RefundRequest) -> RefundResult | None:
        try:
            listed = self._client.v1.refunds.list(
                {"payment_intent": request.intent_id, "limit": 100})
        except stripe.StripeError:
            # nothing to find (e.g. the intent has no charge); creating says what is wrong,
            # and the idempotency key still covers a retry within Stripe's 24 hours
            return None
        for refund in listed.data:
            raw = _as_dict(refund)
            metadata = raw.get("metadata") or {}
            if isinstance(metadata, dict) and metadata.get("idempotency_key") == \
                    request.idempotency_key:
                return RefundResult(
                    refund_id=_str(raw.get("id")), amount=_int(raw.get("amount")),
                    status=_REFUND_STATUS.get(_str(raw.get("status")), "pending"), raw=raw)
        return None

    # -- webhooks ------------------------------------------------------------------------

    def verify_webhook(self, body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        signature = next(
            (value for key, value in headers.items() if key.lower() == "stripe-signature"), ""
        )
        if not signature:
            raise WebhookSignatureError("missing Stripe-Signature header")
        try:
            event = self._client.construct_event(body, signature, self._webhook_secret)
            raw = _as_dict(event)
        except stripe.SignatureVerificationError as err:
            raise WebhookSignatureError(err.user_message or "bad signature") from err
        except (ValueError, TypeError, AttributeError) as err:  # not UTF-8 / not a JSON object
            raise WebhookSignatureError(f"unreadable webhook body: {err}") from err
        return stripe_shaped_event(raw)
