"""The ElavonProcessor against a loopback fake of Converge (no database)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from commerce_dash.payments.base import (
    CreateIntent,
    HostedCheckout,
    IntentStatus,
    PaymentProcessor,
    ProcessorError,
    RefundRequest,
    WebhookSignatureError,
)
from commerce_dash.payments.elavon_processor import ElavonProcessor, to_decimal
from tests.payments.elavon_fake import APPROVE_CARD, DECLINE_CARD, ElavonFake

MERCHANT, USER, PIN = "0012345", "apiuser123456", "PIN-TEST-0123456789"


@pytest.fixture
def fake() -> Iterator[ElavonFake]:
    with ElavonFake(MERCHANT, USER, PIN) as server:
        yield server


@pytest.fixture
def elavon(fake: ElavonFake) -> ElavonProcessor:
    return ElavonProcessor(merchant_id=MERCHANT, user_id=USER, pin=PIN, api_host=fake.base_url,
                           timeout_seconds=5.0)


def _intent(elavon: ElavonProcessor, order_id: int, amount: int, currency: str = "USD") -> str:
    result = elavon.create_intent(CreateIntent(
        amount=amount, currency=currency, order_id=order_id, order_number=f"N-{order_id}",
        idempotency_key=f"order-{order_id}-intent"))
    assert (result.status, result.amount, result.currency) == (
        IntentStatus.REQUIRES_PAYMENT, amount, currency)
    return result.intent_id


def _lightbox(fake: ElavonFake, token: str, card: str) -> dict[str, Any]:
    """What the fake Lightbox script posts when the learner presses Pay."""
    answer = httpx.post(f"{fake.base_url}/_fake/lightbox/pay",
                        json={"token": token, "card_number": card}, timeout=5.0)
    assert answer.headers["access-control-allow-origin"] == "*"
    return dict(answer.json())


def _paid(elavon: ElavonProcessor, fake: ElavonFake, order_id: int, amount: int,
          currency: str = "USD", card: str = APPROVE_CARD) -> tuple[str, dict[str, str]]:
    intent = _intent(elavon, order_id, amount, currency)
    token = elavon.session_token(intent, amount, currency, f"Order N-{order_id}")
    answer = _lightbox(fake, token, card)
    return intent, answer["response"]


def _refund(intent: str, amount: int, key: str, currency: str = "USD") -> RefundRequest:
    return RefundRequest(intent_id=intent, amount=amount, currency=currency, reason="asked",
                         idempotency_key=key)


def test_amounts_are_exact_decimals_in_the_currencys_exponent() -> None:
    assert to_decimal(1999, "USD") == "19.99"
    assert to_decimal(500, "JPY") == "500"
    assert to_decimal(5, "USD") == "0.05"
    assert to_decimal(1234, "KWD") == "1.234"


def test_configuration_and_protocols(fake: ElavonFake, elavon: ElavonProcessor) -> None:
    with pytest.raises(ProcessorError) as missing:
        ElavonProcessor(merchant_id=MERCHANT, user_id=USER, pin="")
    assert missing.value.code == "processor_not_configured"
    assert "COMMERCE_ELAVON_PIN" in missing.value.message
    assert isinstance(elavon, PaymentProcessor) and isinstance(elavon, HostedCheckout)
    options = elavon.checkout_options("order-1-intent")
    assert options == {"script_url": f"{fake.base_url}/hosted-payments/PayWithConverge.js",
                       "invoice": "order-1-intent"}
    assert PIN not in str(options)
    script = httpx.get(options["script_url"], timeout=5.0).text
    assert "window.PayWithConverge" in script and "converge-fake-pay" in script
    with pytest.raises(WebhookSignatureError, match="no webhooks"):
        elavon.verify_webhook(b"{}", {})


def test_the_session_token_is_for_the_exact_amount_and_single_use(
        fake: ElavonFake, elavon: ElavonProcessor) -> None:
    intent = _intent(elavon, 1, 1999)
    token = elavon.session_token(intent, 1999, "USD", "Order N-1")
    asked = fake.requests[-1]
    assert (asked["ssl_amount"], asked["ssl_invoice_number"], asked["ssl_transaction_type"]) \
        == ("19.99", intent, "ccsale")
    assert _lightbox(fake, token, APPROVE_CARD)["outcome"] == "approval"
    assert _lightbox(fake, token, APPROVE_CARD)["outcome"] == "error"  # used
    late = elavon.session_token(intent, 1999, "USD", "Order N-1")
    fake.clock_offset = timedelta(minutes=16)
    assert _lightbox(fake, late, APPROVE_CARD)["outcome"] == "error"  # expired


def test_an_approved_sale_is_verified_server_side(fake: ElavonFake,
                                                  elavon: ElavonProcessor) -> None:
    intent, response = _paid(elavon, fake, 2, 1999)
    assert response["ssl_result"] == "0" and response["ssl_invoice_number"] == intent
    result = elavon.complete_checkout(intent, response)
    assert (result.status, result.amount, result.currency, result.amount_received,
            result.fee) == (IntentStatus.SUCCEEDED, 1999, "USD", 1999, None)
    assert elavon.confirm_intent(intent, response["ssl_txn_id"]).status is \
        IntentStatus.SUCCEEDED
    # the callback is not believed: a made-up id, or a real sale of another invoice
    other, other_response = _paid(elavon, fake, 3, 100)
    for forged in ({"ssl_txn_id": "made-up", "ssl_result": "0"},
                   {**other_response, "ssl_invoice_number": intent}, {}):
        with pytest.raises(ProcessorError) as refused:
            elavon.complete_checkout(intent, forged)
        assert refused.value.code == "payment_mismatch" and not refused.value.retryable


def test_a_decline_fails_with_the_reason_and_retrieve_finds_the_sale_by_invoice(
        fake: ElavonFake, elavon: ElavonProcessor) -> None:
    intent, response = _paid(elavon, fake, 4, 2500, card=DECLINE_CARD)
    declined = elavon.complete_checkout(intent, response)
    assert (declined.status, declined.failure_message) == (IntentStatus.FAILED, "DECLINED")
    # another card on the same intent; a fresh processor (no memory) finds it by invoice
    token = elavon.session_token(intent, 2500, "USD", "Order N-4")
    assert _lightbox(fake, token, APPROVE_CARD)["outcome"] == "approval"
    fresh = ElavonProcessor(merchant_id=MERCHANT, user_id=USER, pin=PIN,
                            api_host=fake.base_url, timeout_seconds=5.0)
    found = fresh.retrieve_intent(intent)
    assert (found.status, found.amount, found.currency) == (IntentStatus.SUCCEEDED, 2500, "USD")
    assert fresh.retrieve_intent("order-99-intent").status is IntentStatus.REQUIRES_PAYMENT


def test_a_full_refund_of_an_unsettled_sale_voids_it(fake: ElavonFake,
                                                     elavon: ElavonProcessor) -> None:
    intent, response = _paid(elavon, fake, 5, 1999)
    elavon.complete_checkout(intent, response)
    with pytest.raises(ProcessorError) as early:
        elavon.refund(_refund(intent, 500, "refund-1"))
    assert early.value.code == "refund_not_yet_possible" and early.value.retryable
    refund = elavon.refund(_refund(intent, 1999, "refund-2"))
    assert (refund.amount, refund.status) == (1999, "succeeded")
    assert fake.txns[response["ssl_txn_id"]]["ssl_trans_status"] == "VOID"
    again = elavon.refund(_refund(intent, 1999, "refund-2"))  # a retry: no second void
    assert again.refund_id == refund.refund_id
    assert elavon.retrieve_intent(intent).status is IntentStatus.CANCELED


def test_partial_refunds_after_settlement_once_each_and_never_above_the_sale(
        fake: ElavonFake, elavon: ElavonProcessor) -> None:
    intent, response = _paid(elavon, fake, 6, 1999)
    elavon.complete_checkout(intent, response)
    fake.settle_all()
    first = elavon.refund(_refund(intent, 500, "refund-10"))
    retried = elavon.refund(_refund(intent, 500, "refund-10"))
    assert (first.amount, retried.refund_id) == (500, first.refund_id)
    returns = [t for t in fake.txns.values() if t["ssl_transaction_type"] == "RETURN"]
    assert [t["ssl_amount"] for t in returns] == ["5.00"]
    with pytest.raises(ProcessorError) as over:
        elavon.refund(_refund(intent, 1500, "refund-11"))
    assert not over.value.retryable and "5022" in over.value.message
    rest = elavon.refund(_refund(intent, 1499, "refund-12"))
    assert rest.amount == 1499
    with pytest.raises(ProcessorError):
        elavon.refund(_refund(intent, 1, "refund-13"))
    # a fresh processor finds the return made with the key instead of making another
    fresh = ElavonProcessor(merchant_id=MERCHANT, user_id=USER, pin=PIN,
                            api_host=fake.base_url, timeout_seconds=5.0)
    assert fresh.refund(_refund(intent, 1499, "refund-12")).refund_id == rest.refund_id


def test_yen_without_decimals_and_cancel_voids(fake: ElavonFake,
                                               elavon: ElavonProcessor) -> None:
    intent, response = _paid(elavon, fake, 7, 500, "JPY")
    assert response["ssl_amount"] == "500"
    assert fake.requests[0]["ssl_transaction_currency"] == "JPY"
    result = elavon.complete_checkout(intent, response)
    assert (result.status, result.amount, result.currency) == (
        IntentStatus.SUCCEEDED, 500, "JPY")
    assert elavon.cancel_intent(intent).status is IntentStatus.CANCELED
    assert fake.txns[response["ssl_txn_id"]]["ssl_trans_status"] == "VOID"
    assert elavon.cancel_intent(_intent(elavon, 8, 100)).status is IntentStatus.CANCELED


def test_bad_credentials_name_the_problem(fake: ElavonFake) -> None:
    wrong = ElavonProcessor(merchant_id=MERCHANT, user_id=USER, pin="wrong",
                            api_host=fake.base_url, timeout_seconds=5.0)
    for call in (lambda: wrong.session_token("order-9-intent", 100, "USD", "x"),
                 lambda: wrong.retrieve_intent("order-9-intent")):
        with pytest.raises(ProcessorError) as refused:
            call()
        assert refused.value.code == "elavon_invalid_credentials"
        assert "4025" in refused.value.message and "COMMERCE_ELAVON_PIN" in refused.value.message
        assert not refused.value.retryable


def test_an_unreachable_converge_is_retryable() -> None:
    gone = ElavonProcessor(merchant_id=MERCHANT, user_id=USER, pin=PIN,
                           api_host="http://127.0.0.1:9", timeout_seconds=1.0)
    with pytest.raises(ProcessorError) as down:
        gone.retrieve_intent("order-1-intent")
    assert down.value.code == "elavon_unreachable" and down.value.retryable
