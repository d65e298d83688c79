"""SquareProcessor (the official ``squareup`` SDK) against a loopback fake of Square's API:
orders, Web Payments SDK tokens, declines, fees, refunds and signed webhooks. No database."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator

import pytest
from square import Square

from commerce_dash.payments.base import (
    CreateIntent,
    EventKind,
    HostedCheckout,
    IntentStatus,
    PaymentProcessor,
    ProcessorError,
    RefundRequest,
    WebhookSignatureError,
)
from commerce_dash.payments.square_processor import SquareProcessor, square_event
from tests.payments.square_fake import SquareFake

TOKEN = "EAAAl_fake_square_sandbox_token"
SIGNATURE_KEY = "fake-square-signature-key-0001"
NOTIFY_URL = "https://shop.example/api/v2/payments/webhook/square"
APP_ID = "sandbox-sq0idb-FakeApplication01"
PRICE = 4_900  # $49.00


@pytest.fixture
def fake() -> Iterator[SquareFake]:
    with SquareFake(TOKEN, SIGNATURE_KEY) as server:
        yield server  # no notification_url: webhooks are recorded, not sent


@pytest.fixture
def square(fake: SquareFake) -> SquareProcessor:
    return SquareProcessor(access_token=TOKEN, location_id=fake.location_id,
                           application_id=APP_ID, webhook_signature_key=SIGNATURE_KEY,
                           notification_url=NOTIFY_URL, api_base=fake.base_url,
                           web_sdk_url=fake.web_sdk_url, timeout_seconds=5.0)


def _intent(square: SquareProcessor, order_id: int = 7, amount: int = PRICE) -> str:
    return square.create_intent(CreateIntent(
        amount=amount, currency="usd", order_id=order_id, order_number=f"CD-{order_id:05d}",
        idempotency_key=f"order-{order_id}-intent", description="Data in Dollars")).intent_id


def test_an_order_is_created_once_per_key_for_the_amount(fake: SquareFake,
                                                         square: SquareProcessor) -> None:
    assert isinstance(square, PaymentProcessor) and isinstance(square, HostedCheckout)
    first = square.create_intent(CreateIntent(
        amount=PRICE, currency="usd", order_id=7, order_number="CD-00007",
        idempotency_key="order-7-intent"))
    again = square.create_intent(CreateIntent(
        amount=PRICE, currency="usd", order_id=7, order_number="CD-00007",
        idempotency_key="order-7-intent"))
    assert (first.status, first.amount, first.currency) == \
        (IntentStatus.REQUIRES_PAYMENT, PRICE, "USD")
    assert again.intent_id == first.intent_id and len(fake.orders) == 1
    order = fake.orders[first.intent_id]
    assert order["reference_id"] == "CD-00007"
    assert order["line_items"][0]["name"] == "Order CD-00007"
    assert order["metadata"] == {"order_id": "7", "order_number": "CD-00007"}
    with pytest.raises(ProcessorError) as refused:  # same key, other body
        square.create_intent(CreateIntent(amount=1, currency="usd", order_id=7,
                                          order_number="CD-00007",
                                          idempotency_key="order-7-intent"))
    assert not refused.value.retryable and "IDEMPOTENCY_KEY_REUSED" in refused.value.message
    assert square.checkout_options(first.intent_id) == {
        "script_url": fake.web_sdk_url, "application_id": APP_ID,
        "location_id": fake.location_id, "order_id": first.intent_id}


def test_a_card_pays_the_order_once_and_reports_squares_fee(fake: SquareFake,
                                                           square: SquareProcessor) -> None:
    intent = _intent(square)
    paid = square.complete_checkout(intent, {"source_id": "cnon:card-nonce-ok"})
    assert (paid.status, paid.amount_received) == (IntentStatus.SUCCEEDED, PRICE)
    assert paid.fee == fake.fee_for(PRICE) == 137  # 2.6 % + 10 cents
    again = square.complete_checkout(intent, {"source_id": "cnon:card-nonce-ok"})
    assert again.status is IntentStatus.SUCCEEDED and len(fake.payments) == 1
    read = square.retrieve_intent(intent)
    assert (read.status, read.fee) == (IntentStatus.SUCCEEDED, 137)
    assert square.cancel_intent(intent).status is IntentStatus.SUCCEEDED


def test_a_declined_card_fails_with_the_reason_and_another_card_may_pay(
        fake: SquareFake, square: SquareProcessor) -> None:
    intent = _intent(square)
    declined = square.complete_checkout(intent, {"source_id": "cnon:card-nonce-declined"})
    assert (declined.status, declined.failure_code) == (IntentStatus.FAILED, "CARD_DECLINED")
    assert "declined" in declined.failure_message
    cvv = square.confirm_intent(intent, "cnon:card-nonce-rejected-cvv")
    assert (cvv.status, cvv.failure_code) == (IntentStatus.FAILED, "CVV_FAILURE")
    assert square.retrieve_intent(intent).status is IntentStatus.REQUIRES_PAYMENT
    assert square.complete_checkout(intent, {"source_id": "cnon:card-nonce-ok"}
                                    ).status is IntentStatus.SUCCEEDED


def test_google_pay_pays_the_order(fake: SquareFake, square: SquareProcessor) -> None:
    intent = _intent(square)
    paid = square.confirm_intent(intent, "cnon:gpay-nonce-ok")
    assert paid.status is IntentStatus.SUCCEEDED
    (payment,) = fake.payments.values()
    assert payment["wallet_details"]["brand"] == "GOOGLE_PAY"


def test_reading_an_approved_payment_completes_it_and_cancel_voids_one(
        fake: SquareFake, square: SquareProcessor) -> None:
    client = Square(token=TOKEN, base_url=fake.base_url, timeout=5.0)
    for n, action in ((1, "retrieve"), (2, "cancel")):
        intent = _intent(square, order_id=n)
        created = client.payments.create(
            source_id="cnon:card-nonce-ok", idempotency_key=f"approve-{n}",
            amount_money={"amount": PRICE, "currency": "USD"}, order_id=intent,
            location_id=fake.location_id, autocomplete=False)
        assert created.payment is not None and created.payment.status == "APPROVED"
        if action == "retrieve":
            result = square.retrieve_intent(intent)
            assert (result.status, result.fee) == (IntentStatus.SUCCEEDED, fake.fee_for(PRICE))
            assert fake.payments[created.payment.id or ""]["status"] == "COMPLETED"
        else:
            assert square.cancel_intent(intent).status is IntentStatus.CANCELED
            assert fake.payments[created.payment.id or ""]["status"] == "CANCELED"


def test_refunds_partial_then_rest_once_per_key_never_above_the_payment(
        fake: SquareFake, square: SquareProcessor) -> None:
    intent = _intent(square)
    square.complete_checkout(intent, {"source_id": "cnon:card-nonce-ok"})
    first = RefundRequest(intent_id=intent, amount=900, currency="USD", reason="changed mind",
                          idempotency_key="refund-1-1")
    made = square.refund(first)
    retried = square.refund(first)
    assert (made.amount, made.status) == (900, "pending")  # Square answers PENDING first
    assert retried.refund_id == made.refund_id and len(fake.refunds) == 1
    assert fake.refunds[made.refund_id]["status"] == "COMPLETED"
    with pytest.raises(ProcessorError) as over:
        square.refund(RefundRequest(intent_id=intent, amount=PRICE, currency="USD",
                                    reason="too much", idempotency_key="refund-1-2"))
    assert not over.value.retryable and "REFUND_AMOUNT_INVALID" in over.value.message
    rest = square.refund(RefundRequest(intent_id=intent, amount=PRICE - 900, currency="USD",
                                       reason="rest", idempotency_key="refund-1-3"))
    assert rest.amount == PRICE - 900 and len(fake.refunds) == 2
    with pytest.raises(ProcessorError) as other:
        square.refund(RefundRequest(intent_id=intent, amount=1, currency="EUR",
                                    reason="x", idempotency_key="refund-1-4"))
    assert other.value.code == "currency_mismatch"


def test_genuine_webhooks_are_parsed_and_forged_ones_refused(
        fake: SquareFake, square: SquareProcessor) -> None:
    fake.notification_url = NOTIFY_URL  # sign for the app's URL (delivery fails, recorded)
    intent = _intent(square)
    square.complete_checkout(intent, {"source_id": "cnon:card-nonce-ok"})
    square.refund(RefundRequest(intent_id=intent, amount=500, currency="USD", reason="r",
                                idempotency_key="refund-9-1"))
    fake.wait_for_webhooks()
    events = [square.verify_webhook(w["body"], w["headers"]) for w in fake.webhooks]
    by_type = {e.event_type: e for e in events}
    paid = next(e for e in events if e.status is IntentStatus.SUCCEEDED)
    assert (paid.intent_id, paid.amount, paid.currency, paid.fee) == \
        (intent, PRICE, "USD", fake.fee_for(PRICE))
    assert paid.event_id == json.loads(fake.webhooks[1]["body"])["event_id"]
    assert paid.created > 1_700_000_000
    refunded = by_type["refund.updated"]
    assert refunded.kind is EventKind.REFUNDS and refunded.intent_id == intent
    # our key rides in the refund's reason, so its webhook is known as ours
    assert [(r.amount, r.status, r.idempotency_key) for r in refunded.refunds] == \
        [(500, "succeeded", "refund-9-1")]
    assert fake.refunds[refunded.refunds[0].refund_id]["reason"] == "r (ref refund-9-1)"
    body, headers = fake.webhooks[1]["body"], fake.webhooks[1]["headers"]
    upper = {k.upper(): v for k, v in headers.items()}
    assert square.verify_webhook(body, upper).event_id == paid.event_id
    with pytest.raises(WebhookSignatureError):
        square.verify_webhook(body.replace(b"COMPLETED", b"COMPLETEX"), headers)
    with pytest.raises(WebhookSignatureError):
        square.verify_webhook(body, {})
    elsewhere = fake.signed_webhook("payment.updated", {"id": "x"},
                                    url="https://evil.example/hook")
    with pytest.raises(WebhookSignatureError):
        square.verify_webhook(*elsewhere)
    unkeyed = SquareProcessor(access_token=TOKEN, location_id="L", application_id=APP_ID,
                              webhook_signature_key="", notification_url=NOTIFY_URL)
    with pytest.raises(WebhookSignatureError, match="COMMERCE_SQUARE_WEBHOOK_SIGNATURE_KEY"):
        unkeyed.verify_webhook(body, headers)


def test_a_payment_for_another_amount_is_never_reported_paid(
        fake: SquareFake, square: SquareProcessor) -> None:
    intent = _intent(square)
    client = Square(token=TOKEN, base_url=fake.base_url, timeout=5.0)
    with pytest.raises(Exception, match="PAYMENT_AMOUNT_MISMATCH"):
        client.payments.create(source_id="cnon:card-nonce-ok", idempotency_key="short",
                               amount_money={"amount": 100, "currency": "USD"}, order_id=intent)
    # a payment for less somehow attached to the order (Square's rules bypassed in the fake)
    client.payments.create(source_id="cnon:card-nonce-ok", idempotency_key="loose",
                           amount_money={"amount": 100, "currency": "USD"})
    (loose,) = fake.payments.values()
    loose["order_id"] = intent
    assert square.retrieve_intent(intent).status is not IntentStatus.SUCCEEDED
    event = square_event({"type": "payment.updated", "data": {"object": {"payment": {
        "order_id": intent, "status": "COMPLETED",
        "amount_money": {"amount": 100, "currency": "usd"}}}}}, "e1")
    assert (event.status, event.amount, event.currency, event.fee) == \
        (IntentStatus.SUCCEEDED, 100, "USD", None)  # the app compares it with the order


def test_configuration_credentials_and_junk_bodies(fake: SquareFake) -> None:
    with pytest.raises(ProcessorError, match="COMMERCE_SQUARE_LOCATION_ID") as missing:
        SquareProcessor(access_token=TOKEN, location_id="", application_id=APP_ID,
                        webhook_signature_key="", notification_url="")
    assert missing.value.code == "processor_not_configured"
    wrong = SquareProcessor(access_token="wrong", location_id=fake.location_id,
                            application_id=APP_ID, webhook_signature_key="",
                            notification_url="", api_base=fake.base_url, timeout_seconds=5.0)
    with pytest.raises(ProcessorError) as refused:
        wrong.retrieve_intent("nope")
    assert not refused.value.retryable and "UNAUTHORIZED" in refused.value.message
    junk = square_event({"type": 3, "data": {"object": {"payment": []}}, "created_at": 5}, "e")
    assert (junk.kind, junk.intent_id, junk.status) == (EventKind.OTHER, "", None)
    weird = square_event({"type": "refund.updated", "data": {"object": {"refund": {
        "id": 1, "amount_money": "x"}}}}, "e")
    assert weird.kind is EventKind.REFUNDS and weird.refunds == ()
    with urllib.request.urlopen(fake.web_sdk_url, timeout=5) as response:
        script = response.read().decode()
        assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "googlePay" in script and "Card number" in script and "cnon:gpay-nonce-ok" in script


def test_outages_are_retryable(fake: SquareFake, square: SquareProcessor,
                               monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_args: object) -> None:
        raise RuntimeError("down")

    monkeypatch.setattr(fake, "route", broken)  # the fake answers 500 (the SDK retries twice)
    with pytest.raises(ProcessorError) as down:
        square.retrieve_intent("any")
    assert down.value.retryable and down.value.code == "square_unavailable"
    port = fake.base_url.rsplit(":", 1)[1]
    fake.stop()
    gone = SquareProcessor(access_token=TOKEN, location_id="L", application_id=APP_ID,
                           webhook_signature_key="", notification_url="",
                           api_base=f"http://127.0.0.1:{port}", timeout_seconds=2.0)
    with pytest.raises(ProcessorError) as unreachable:
        gone.retrieve_intent("any")
    assert unreachable.value.retryable and unreachable.value.code == "square_unreachable"
