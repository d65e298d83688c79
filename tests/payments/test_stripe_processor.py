"""StripeProcessor against a real localstripe (and, for answers localstripe never gives, a
scripted loopback stand-in speaking Stripe's wire format)."""

from __future__ import annotations

import json
import time
import urllib.parse
import uuid
from collections.abc import Callable

import httpx
import pytest
import stripe
from pydantic import SecretStr

from commerce_dash.payments.base import (
    CreateIntent,
    IntentStatus,
    PaymentProcessor,
    ProcessorError,
    RefundRequest,
    WebhookSignatureError,
)
from commerce_dash.payments.stripe_processor import StripeProcessor
from commerce_dash.settings import ConfigurationError, Settings
from tests.payments.conftest import (
    PUBLISHABLE_KEY,
    SECRET_KEY,
    WEBHOOK_SECRET,
    LoopbackServer,
    Recorded,
    Reply,
)

# localstripe's 3-D Secure test cards (PaymentMethod._requires_authentication); it has no
# pm_card_threeDSecure* shortcut, so the payment method is created from the number.
THREE_DS_CARD = "4000002760003184"


def order(amount: int = 4_900, currency: str = "usd", **extra: str) -> CreateIntent:
    number = f"CD-{uuid.uuid4().hex[:8].upper()}"
    return CreateIntent(
        amount=amount,
        currency=currency,
        order_id=42,
        order_number=number,
        idempotency_key=f"order-{number}-intent",
        customer_email="learner@example.com",
        description=f"Order {number}",
        metadata=extra,
    )


def paid_intent(processor: StripeProcessor, amount: int = 5_000) -> str:
    intent = processor.create_intent(order(amount))
    assert processor.confirm_intent(intent.intent_id, "pm_card_visa").status is (
        IntentStatus.SUCCEEDED
    )
    return intent.intent_id


def three_ds_payment_method(client: stripe.StripeClient) -> str:
    pm = client.v1.payment_methods.create(
        {
            "type": "card",
            "card": {"number": THREE_DS_CARD, "exp_month": 12, "exp_year": 2030, "cvc": "123"},
        }
    )
    return pm.id


# -- intents against localstripe -----------------------------------------------------------


def test_it_is_a_payment_processor(stripe_processor: StripeProcessor) -> None:
    assert isinstance(stripe_processor, PaymentProcessor)
    assert stripe_processor.name == "stripe"
    assert stripe_processor.localstripe_compat is True  # api_base set
    assert SECRET_KEY not in repr(stripe_processor)


def test_from_settings(localstripe: str) -> None:
    settings = Settings(
        stripe_secret_key=SecretStr(SECRET_KEY),
        stripe_webhook_secret=SecretStr(WEBHOOK_SECRET),
        stripe_api_base=localstripe,
    )
    processor = StripeProcessor.from_settings(settings)
    assert processor.api_base == localstripe
    assert processor.create_intent(order()).status is IntentStatus.REQUIRES_PAYMENT
    # Without an API base it talks to api.stripe.com in the real dialect.
    real = StripeProcessor.from_settings(
        Settings(stripe_secret_key=SecretStr(SECRET_KEY), stripe_api_base="")
    )
    assert (real.api_base, real.localstripe_compat) == ("", False)
    with pytest.raises(ConfigurationError):
        StripeProcessor.from_settings(Settings(stripe_secret_key=SecretStr("")))


def test_create_intent_waits_for_a_card(stripe_processor: StripeProcessor) -> None:
    request = order(12_345, "usd", cohort="2026-spring")
    intent = stripe_processor.create_intent(request)

    assert intent.intent_id.startswith("pi_")
    assert intent.status is IntentStatus.REQUIRES_PAYMENT
    assert intent.amount == 12_345 and isinstance(intent.amount, int)
    assert intent.currency == "USD"
    assert intent.raw["currency"] == "usd"  # sent lower-case
    assert intent.client_secret.startswith(intent.intent_id + "_secret_")
    assert intent.amount_received == 0
    assert intent.failure_code == intent.failure_message == intent.next_action_url == ""
    assert intent.raw["metadata"] == {
        "order_id": "42",
        "order_number": request.order_number,
        "cohort": "2026-spring",
    }


def test_order_fields_win_over_caller_metadata(stripe_processor: StripeProcessor) -> None:
    request = order(order_id="999", order_number="forged")
    intent = stripe_processor.create_intent(request)
    assert intent.raw["metadata"]["order_id"] == "42"
    assert intent.raw["metadata"]["order_number"] == request.order_number


def test_confirm_with_a_good_card_succeeds(stripe_processor: StripeProcessor) -> None:
    created = stripe_processor.create_intent(order(7_500))

    confirmed = stripe_processor.confirm_intent(created.intent_id, "pm_card_visa")

    assert confirmed.status is IntentStatus.SUCCEEDED
    assert confirmed.intent_id == created.intent_id
    assert confirmed.amount == confirmed.amount_received == 7_500
    assert confirmed.failure_message == ""
    again = stripe_processor.retrieve_intent(created.intent_id)
    assert again.status is IntentStatus.SUCCEEDED
    assert (again.amount, again.currency, again.amount_received) == (7_500, "USD", 7_500)
    assert again.client_secret == created.client_secret


def test_a_decline_is_a_failed_intent_with_the_reason(stripe_processor: StripeProcessor) -> None:
    created = stripe_processor.create_intent(order())

    declined = stripe_processor.confirm_intent(created.intent_id, "pm_card_chargeCustomerFail")

    assert declined.status is IntentStatus.FAILED
    assert declined.failure_code == "card_declined"
    # What the learner is shown: Stripe's own words.
    assert declined.failure_message == "Your card was declined."
    assert declined.amount_received == 0
    fetched = stripe_processor.retrieve_intent(created.intent_id)
    assert fetched.status is IntentStatus.FAILED
    assert fetched.failure_message == "Your card was declined."


def test_three_d_secure_requires_action_then_succeeds(
    stripe_processor: StripeProcessor, stripe_client: stripe.StripeClient, localstripe: str
) -> None:
    created = stripe_processor.create_intent(order(3_000))

    challenged = stripe_processor.confirm_intent(
        created.intent_id, three_ds_payment_method(stripe_client)
    )

    assert challenged.status is IntentStatus.REQUIRES_ACTION
    assert challenged.raw["next_action"]["type"] == "use_stripe_sdk"
    assert challenged.next_action_url == ""  # localstripe gives no challenge page URL
    assert challenged.amount_received == 0

    # What localstripe's Stripe.js does when the learner completes the challenge.
    answer = httpx.post(
        f"{localstripe}/v1/payment_intents/{created.intent_id}/_authenticate?success=true",
        json={"key": PUBLISHABLE_KEY, "client_secret": created.client_secret},
        timeout=10,
    )
    assert answer.status_code == 200
    assert stripe_processor.retrieve_intent(created.intent_id).status is IntentStatus.SUCCEEDED


def test_three_d_secure_failed_challenge_is_a_failure(
    stripe_processor: StripeProcessor, stripe_client: stripe.StripeClient, localstripe: str
) -> None:
    created = stripe_processor.create_intent(order())
    stripe_processor.confirm_intent(created.intent_id, three_ds_payment_method(stripe_client))

    answer = httpx.post(
        f"{localstripe}/v1/payment_intents/{created.intent_id}/_authenticate?success=false",
        json={"key": PUBLISHABLE_KEY, "client_secret": created.client_secret},
        timeout=10,
    )
    assert answer.status_code == 200

    failed = stripe_processor.retrieve_intent(created.intent_id)
    assert failed.status is IntentStatus.FAILED
    assert failed.failure_code == "payment_intent_authentication_failure"
    assert "failed authentication" in failed.failure_message


def test_cancel(stripe_processor: StripeProcessor) -> None:
    created = stripe_processor.create_intent(order())
    canceled = stripe_processor.cancel_intent(created.intent_id)
    assert canceled.status is IntentStatus.CANCELED
    assert stripe_processor.retrieve_intent(created.intent_id).status is IntentStatus.CANCELED


def test_a_paid_intent_cannot_be_canceled(stripe_processor: StripeProcessor) -> None:
    intent_id = paid_intent(stripe_processor)
    with pytest.raises(ProcessorError) as caught:
        stripe_processor.cancel_intent(intent_id)
    assert caught.value.retryable is False
    assert caught.value.message
    assert stripe_processor.retrieve_intent(intent_id).status is IntentStatus.SUCCEEDED


def test_full_refund(stripe_processor: StripeProcessor, stripe_client: stripe.StripeClient) -> None:
    intent_id = paid_intent(stripe_processor, 5_000)

    refund = stripe_processor.refund(
        RefundRequest(intent_id, 5_000, "USD", "learner withdrew", f"refund-{intent_id}-1")
    )

    assert refund.refund_id.startswith("re_")
    assert refund.amount == 5_000
    assert refund.status == "succeeded"
    assert refund.raw["payment_intent"] == intent_id
    assert refund.raw["metadata"] == {"reason": "learner withdrew",
                                      "idempotency_key": f"refund-{intent_id}-1"}
    listed = stripe_client.v1.refunds.list({"payment_intent": intent_id})
    assert [r.id for r in listed.data] == [refund.refund_id]


def test_partial_refunds_add_up(
    stripe_processor: StripeProcessor, stripe_client: stripe.StripeClient
) -> None:
    intent_id = paid_intent(stripe_processor, 5_000)

    first = stripe_processor.refund(RefundRequest(intent_id, 1_500, "USD", "module 1", "r-1"))
    second = stripe_processor.refund(RefundRequest(intent_id, 2_000, "USD", "module 2", "r-2"))

    assert (first.amount, second.amount) == (1_500, 2_000)
    assert first.refund_id != second.refund_id
    charge_id = stripe_processor.retrieve_intent(intent_id).raw["latest_charge"]["id"]
    charge = stripe_client.v1.charges.retrieve(charge_id)
    assert charge.amount_refunded == 3_500
    assert charge.refunded is False


def test_an_unpaid_intent_cannot_be_refunded(stripe_processor: StripeProcessor) -> None:
    created = stripe_processor.create_intent(order())
    with pytest.raises(ProcessorError) as caught:
        stripe_processor.refund(RefundRequest(created.intent_id, 100, "USD", "x", "r-x"))
    assert caught.value.retryable is False
    assert "refund" in caught.value.message.lower()


def test_unknown_intent_is_not_retryable(stripe_processor: StripeProcessor) -> None:
    with pytest.raises(ProcessorError) as caught:
        stripe_processor.retrieve_intent("pi_doesnotexist000")
    assert caught.value.code == "resource_missing"
    assert caught.value.retryable is False


def test_a_zero_amount_is_refused(stripe_processor: StripeProcessor) -> None:
    with pytest.raises(ProcessorError) as caught:
        stripe_processor.create_intent(order(0))
    assert caught.value.retryable is False


def test_a_wrong_key_is_refused(localstripe: str) -> None:
    processor = StripeProcessor(
        "pk_not_a_secret_key", WEBHOOK_SECRET, localstripe, max_network_retries=0
    )
    with pytest.raises(ProcessorError) as caught:
        processor.create_intent(order())
    assert caught.value.code == "authentication_error"
    assert caught.value.retryable is False


def test_an_unreachable_stripe_is_retryable(loopback: LoopbackServer) -> None:
    url = loopback.url
    loopback.close()  # nothing listens there any more
    processor = StripeProcessor(
        SECRET_KEY, WEBHOOK_SECRET, url, max_network_retries=0, timeout_seconds=5
    )
    with pytest.raises(ProcessorError) as caught:
        processor.retrieve_intent("pi_123")
    assert caught.value.code == "api_connection_error"
    assert caught.value.retryable is True


def test_flush_forgets_everything(
    stripe_processor: StripeProcessor, localstripe_server: object
) -> None:
    from tests.payments.localstripe_server import LocalStripe

    assert isinstance(localstripe_server, LocalStripe)
    intent = stripe_processor.create_intent(order())
    localstripe_server.flush()
    with pytest.raises(ProcessorError) as caught:
        stripe_processor.retrieve_intent(intent.intent_id)
    assert caught.value.code == "resource_missing"
    assert localstripe_server.pickle_path.exists()  # its state lives in our temp dir


# -- what localstripe cannot show: real Stripe's dialect and errors, from a loopback stand-in


def _intent_json(status: str = "requires_payment_method", **extra: object) -> dict[str, object]:
    return {
        "id": "pi_stub",
        "object": "payment_intent",
        "amount": 2_500,
        "amount_received": 0,
        "currency": "eur",
        "status": status,
        "client_secret": "pi_stub_secret_abc",
        "last_payment_error": None,
        "next_action": None,
        "metadata": {},
        **extra,
    }


def _form(record: Recorded) -> dict[str, list[str]]:
    return urllib.parse.parse_qs(record.body.decode())


@pytest.fixture
def real_dialect(loopback: LoopbackServer) -> StripeProcessor:
    return StripeProcessor(
        SECRET_KEY,
        WEBHOOK_SECRET,
        loopback.url,
        max_network_retries=0,
        timeout_seconds=5,
        localstripe_compat=False,
    )


def test_real_stripe_dialect_create(
    real_dialect: StripeProcessor, loopback: LoopbackServer
) -> None:
    loopback.replies.append(Reply(body=_intent_json()))
    request = order(2_500, "EUR")

    intent = real_dialect.create_intent(request)

    (sent,) = loopback.requests
    assert (sent.method, sent.path) == ("POST", "/v1/payment_intents")
    headers = {k.lower(): v for k, v in sent.headers.items()}
    assert headers["idempotency-key"] == request.idempotency_key
    form = _form(sent)
    assert form["amount"] == ["2500"] and form["currency"] == ["eur"]
    assert form["allowed_payment_method_types[0]"] == ["card"]
    assert "payment_method_types[0]" not in form  # refused by API 2026-09-30.endive and later
    assert form["receipt_email"] == ["learner@example.com"]
    assert form["description"] == [request.description]
    assert form["metadata[order_number]"] == [request.order_number]
    assert (intent.status, intent.currency) == (IntentStatus.REQUIRES_PAYMENT, "EUR")


def test_real_stripe_dialect_confirms_in_one_call(
    real_dialect: StripeProcessor, loopback: LoopbackServer
) -> None:
    loopback.replies.append(Reply(body=_intent_json("succeeded", amount_received=2_500)))
    result = real_dialect.confirm_intent("pi_stub", "pm_card_visa")
    (sent,) = loopback.requests
    assert sent.path == "/v1/payment_intents/pi_stub/confirm"
    assert _form(sent)["payment_method"] == ["pm_card_visa"]
    assert (result.status, result.amount_received) == (IntentStatus.SUCCEEDED, 2_500)


def test_a_decline_body_carries_the_intent(
    real_dialect: StripeProcessor, loopback: LoopbackServer
) -> None:
    error = {
        "type": "card_error",
        "code": "card_declined",
        "decline_code": "insufficient_funds",
        "message": "Your card has insufficient funds.",
        "payment_intent": _intent_json(
            last_payment_error={
                "code": "card_declined",
                "decline_code": "insufficient_funds",
                "message": "Your card has insufficient funds.",
            }
        ),
    }
    loopback.replies.append(Reply(status=402, body={"error": error}))

    result = real_dialect.confirm_intent("pi_stub", "pm_card_visa")

    assert len(loopback.requests) == 1  # no second call to learn the state
    assert result.status is IntentStatus.FAILED
    assert result.failure_code == "insufficient_funds"
    assert result.failure_message == "Your card has insufficient funds."


def test_three_d_secure_redirect_url(
    real_dialect: StripeProcessor, loopback: LoopbackServer
) -> None:
    url = "https://hooks.stripe.com/3d_secure_2/hosted?setup_intent=pi_stub"
    next_action = {"type": "redirect_to_url", "redirect_to_url": {"url": url}}
    loopback.replies.append(Reply(body=_intent_json("requires_action", next_action=next_action)))
    result = real_dialect.retrieve_intent("pi_stub")
    assert (result.status, result.next_action_url) == (IntentStatus.REQUIRES_ACTION, url)


@pytest.mark.parametrize(
    ("status", "error", "code", "retryable"),
    [
        (
            402,
            {"type": "card_error", "code": "expired_card", "message": "Expired."},
            "expired_card",
            False,
        ),
        (
            400,
            {"type": "invalid_request_error", "code": "amount_too_small", "message": "Small"},
            "amount_too_small",
            False,
        ),
        (
            429,
            {"type": "invalid_request_error", "code": "rate_limit", "message": "Slow down"},
            "rate_limit",
            True,
        ),
        (500, {"type": "api_error", "message": "Something went wrong"}, "api_error", True),
        (503, {"type": "api_error", "message": "Unavailable"}, "api_error", True),
    ],
)
def test_error_mapping(
    real_dialect: StripeProcessor,
    loopback: LoopbackServer,
    status: int,
    error: dict[str, str],
    code: str,
    retryable: bool,
) -> None:
    loopback.replies.append(Reply(status=status, body={"error": error}))
    with pytest.raises(ProcessorError) as caught:
        real_dialect.create_intent(order())
    assert (caught.value.code, caught.value.retryable) == (code, retryable)
    assert caught.value.message == error["message"]


def test_sdk_retries_5xx_when_allowed(loopback: LoopbackServer) -> None:
    processor = StripeProcessor(
        SECRET_KEY,
        WEBHOOK_SECRET,
        loopback.url,
        max_network_retries=1,
        timeout_seconds=5,
        localstripe_compat=False,
    )
    loopback.replies.extend(
        [
            Reply(status=503, body={"error": {"type": "api_error", "message": "x"}}),
            Reply(body=_intent_json()),
        ]
    )
    request = order()
    assert processor.create_intent(request).status is IntentStatus.REQUIRES_PAYMENT
    keys = [
        {k.lower(): v for k, v in r.headers.items()}["idempotency-key"] for r in loopback.requests
    ]
    assert keys == [request.idempotency_key] * 2  # the retry cannot charge twice


# -- webhooks signed by localstripe --------------------------------------------------------


def _event_for(intent_id: str, event_type: str) -> Callable[[Recorded], bool]:
    def match(record: Recorded) -> bool:
        body = record.json()
        return bool(body.get("type") == event_type and body["data"]["object"]["id"] == intent_id)

    return match


def test_succeeded_webhook_is_verified(
    stripe_processor: StripeProcessor, webhook_inbox: LoopbackServer
) -> None:
    intent_id = paid_intent(stripe_processor, 6_100)

    # localstripe waits a second before sending.
    delivery = webhook_inbox.wait_for(_event_for(intent_id, "payment_intent.succeeded"), 10)
    assert delivery.path == "/webhooks/stripe"

    event = stripe_processor.verify_webhook(delivery.body, delivery.headers)
    assert event.event_type == "payment_intent.succeeded"
    assert event.event_id.startswith("evt_")
    assert event.intent_id == intent_id
    assert event.status is IntentStatus.SUCCEEDED
    assert (event.amount, event.currency) == (6_100, "USD")
    assert abs(event.created - time.time()) < 60
    assert event.failure_code == event.failure_message == ""

    # Header names are case-insensitive.
    lowered = {k.lower(): v for k, v in delivery.headers.items()}
    assert stripe_processor.verify_webhook(delivery.body, lowered).event_id == event.event_id

    tampered = delivery.body.replace(b'"amount": 6100', b'"amount": 1')
    assert tampered != delivery.body
    with pytest.raises(WebhookSignatureError):
        stripe_processor.verify_webhook(tampered, delivery.headers)

    wrong_secret = StripeProcessor(SECRET_KEY, "whsec_someone_else", stripe_processor.api_base)
    with pytest.raises(WebhookSignatureError):
        wrong_secret.verify_webhook(delivery.body, delivery.headers)

    unsigned = {k: v for k, v in delivery.headers.items() if k.lower() != "stripe-signature"}
    with pytest.raises(WebhookSignatureError):
        stripe_processor.verify_webhook(delivery.body, unsigned)


def test_payment_failed_webhook_carries_the_reason(
    stripe_processor: StripeProcessor, webhook_inbox: LoopbackServer
) -> None:
    created = stripe_processor.create_intent(order(2_200))
    stripe_processor.confirm_intent(created.intent_id, "pm_card_chargeCustomerFail")

    delivery = webhook_inbox.wait_for(
        _event_for(created.intent_id, "payment_intent.payment_failed"), 10
    )
    event = stripe_processor.verify_webhook(delivery.body, delivery.headers)

    assert event.status is IntentStatus.FAILED
    assert event.intent_id == created.intent_id
    assert event.failure_code == "card_declined"
    assert event.failure_message == "Your card was declined."
    assert (event.amount, event.currency) == (2_200, "USD")


def test_an_event_about_something_else_has_no_status(
    stripe_processor: StripeProcessor,
    stripe_client: stripe.StripeClient,
    webhook_inbox: LoopbackServer,
) -> None:
    customer = stripe_client.v1.customers.create({"email": "learner@example.com"})

    delivery = webhook_inbox.wait_for(
        lambda r: (
            r.json()["type"] == "customer.created"
            and r.json()["data"]["object"]["id"] == customer.id
        ),
        10,
    )
    event = stripe_processor.verify_webhook(delivery.body, delivery.headers)
    assert event.event_type == "customer.created"
    assert event.status is None
    assert event.intent_id == ""
    assert (event.amount, event.currency) == (0, "")


def test_an_old_signature_is_refused(stripe_processor: StripeProcessor) -> None:
    body = json.dumps(
        {
            "id": "evt_old",
            "object": "event",
            "type": "payment_intent.succeeded",
            "created": 1,
            "data": {
                "object": {
                    "id": "pi_old",
                    "object": "payment_intent",
                    "amount": 1,
                    "currency": "usd",
                    "status": "succeeded",
                }
            },
        }
    )
    stale = stripe.WebhookSignature.generate_signature_header(
        body, WEBHOOK_SECRET, timestamp=int(time.time()) - 3_600
    )
    fresh = stripe.WebhookSignature.generate_signature_header(body, WEBHOOK_SECRET)
    with pytest.raises(WebhookSignatureError):
        stripe_processor.verify_webhook(body.encode(), {"Stripe-Signature": stale})
    # The same body, freshly signed, passes: only the age was wrong.
    event = stripe_processor.verify_webhook(body.encode(), {"Stripe-Signature": fresh})
    assert (event.intent_id, event.status) == ("pi_old", IntentStatus.SUCCEEDED)


def test_garbage_is_refused(stripe_processor: StripeProcessor) -> None:
    for headers in ({"Stripe-Signature": "nonsense"}, {"Stripe-Signature": "t=x,v1=y"}, {}):
        with pytest.raises(WebhookSignatureError):
            stripe_processor.verify_webhook(b"{}", headers)
    body = "not json"
    signed = stripe.WebhookSignature.generate_signature_header(body, WEBHOOK_SECRET)
    with pytest.raises(WebhookSignatureError):
        stripe_processor.verify_webhook(body.encode(), {"Stripe-Signature": signed})


def test_a_retried_refund_returns_the_refund_already_made(
    stripe_processor: StripeProcessor, stripe_client: stripe.StripeClient
) -> None:
    intent_id = paid_intent(stripe_processor, 5_000)
    call = RefundRequest(intent_id, 2_000, "USD", "crash then retry", "refund-42")

    first = stripe_processor.refund(call)
    again = stripe_processor.refund(call)  # e.g. after a crash before our commit

    assert again.refund_id == first.refund_id
    listed = stripe_client.v1.refunds.list({"payment_intent": intent_id})
    assert [r.id for r in listed.data] == [first.refund_id]
