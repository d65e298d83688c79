"""Checkout paid through Razorpay: the app's RazorpayProcessor (the official SDK) against a
loopback fake of Razorpay's API, whose signed webhooks reach the app's webhook intake."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from commerce_dash.domain.actor import Actor
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.errors import DomainError
from commerce_dash.models.commerce import Order, Payment, PaymentEvent, RefundRequest
from commerce_dash.models.revenue import LedgerEntry
from commerce_dash.payments.base import (
    CreateIntent,
    IntentStatus,
    ProcessorError,
    WebhookSignatureError,
)
from commerce_dash.payments.base import RefundRequest as Refund
from commerce_dash.payments.factory import get_processor, reset_processors
from commerce_dash.payments.razorpay_processor import RazorpayProcessor
from commerce_dash.services.commerce import checkout_summary, payments, refunds
from commerce_dash.services.commerce.checkout_views import CheckoutResult
from commerce_dash.settings import get_settings
from tests.builders import a_course, a_department, checked_out, number_of
from tests.payments.razorpay_fake import RazorpayFake
from tests.payments.webhook_intake import WebhookIntake

KEY_ID = "rzp_test_CommerceDash01"
KEY_SECRET = "rzp_test_secret_commerce_dash_0001"
WEBHOOK_SECRET = "rzp_webhook_secret_commerce_dash"
PRICE = 149_900  # ₹1,499.00 in paise


@dataclass
class Shop:
    fake: RazorpayFake
    intake: WebhookIntake
    course_id: int
    other_course_id: int


@pytest.fixture
def razorpay_shop(session: Session, super_admin: Actor, monkeypatch: pytest.MonkeyPatch
                  ) -> Iterator[Shop]:
    intake = WebhookIntake("razorpay")
    with RazorpayFake(KEY_ID, KEY_SECRET, WEBHOOK_SECRET, webhook_url=intake.url) as fake:
        monkeypatch.setenv("COMMERCE_PROCESSOR_BY_DEPARTMENT", json.dumps({"RZP": "razorpay"}))
        monkeypatch.setenv("COMMERCE_SETTLEMENT_CURRENCY", "INR")  # a shop selling in rupees
        monkeypatch.setenv("COMMERCE_RAZORPAY_KEY_ID", KEY_ID)
        monkeypatch.setenv("COMMERCE_RAZORPAY_KEY_SECRET", KEY_SECRET)
        monkeypatch.setenv("COMMERCE_RAZORPAY_WEBHOOK_SECRET", WEBHOOK_SECRET)
        monkeypatch.setenv("COMMERCE_RAZORPAY_API_BASE", fake.base_url)
        get_settings.cache_clear()
        reset_processors()
        dept = a_department(session, super_admin, "RZP", name="Razorpay School")
        course = a_course(session, super_admin, "RZP-101", title="Data in Rupees",
                          department_id=dept, price=PRICE, currency="INR")
        other = a_course(session, super_admin, "RZP-102", title="More Rupees",
                         department_id=dept, price=50_000, currency="INR")
        try:
            yield Shop(fake, intake, course, other)
        finally:
            intake.stop()
            get_settings.cache_clear()
            reset_processors()


def _order(session: Session, learner: Actor, shop: Shop, *course_ids: int) -> CheckoutResult:
    return checked_out(session, learner, *[("course", c) for c in course_ids or
                                           (shop.course_id,)])


def _fresh(session: Session, order_id: int) -> tuple[Order, Payment]:
    session.expire_all()
    order = session.get(Order, order_id)
    payment = session.exec(select(Payment).where(Payment.order_id == order_id)).one()
    assert order is not None
    return order, payment


def test_checkout_creates_one_razorpay_order_in_paise_with_our_key_as_receipt(
    session: Session, learner: Actor, razorpay_shop: Shop
) -> None:
    result = _order(session, learner, razorpay_shop)

    assert result.processor == "razorpay"
    assert result.intent_id.startswith("order_")
    created = razorpay_shop.fake.orders[result.intent_id]
    assert (created["amount"], created["currency"]) == (PRICE, "INR")
    assert created["receipt"] == f"order-{result.order_id}-intent"
    assert created["notes"]["order_number"] == result.number
    # a retry with the same key (the answer was lost) finds the order instead of a second
    again = get_processor("razorpay")
    assert isinstance(again, RazorpayProcessor)
    retried = again.create_intent(CreateIntent(
        amount=PRICE, currency="INR", order_id=result.order_id, order_number=result.number,
        idempotency_key=f"order-{result.order_id}-intent"))
    assert retried.intent_id == result.intent_id
    assert len(razorpay_shop.fake.orders) == 1
    # the checkout page gets Checkout's script, the public key and the order, no secret
    summary = checkout_summary(session=session, actor=learner, number=result.number)
    assert summary.hosted == {"script_url": get_settings().razorpay_checkout_js_url,
                              "key": KEY_ID, "order_id": result.intent_id,
                              "amount": str(PRICE), "amount_decimal": "1499.00",
                              "currency": "INR"}


def test_a_verified_checkout_answer_completes_the_order_once_with_razorpays_fee(
    session: Session, learner: Actor, razorpay_shop: Shop
) -> None:
    result = _order(session, learner, razorpay_shop)
    paid = razorpay_shop.fake.pay(result.intent_id, method="upi", deliver_webhooks=False)

    answer = payments.hosted_checkout_pay(
        session=session, actor=learner, number=result.number,
        fields={k: paid[k] for k in ("razorpay_payment_id", "razorpay_order_id",
                                     "razorpay_signature")})

    assert answer.status is IntentStatus.SUCCEEDED
    order, payment = _fresh(session, result.order_id)
    assert (order.status, payment.status) == ("completed", "succeeded")
    fee, tax = razorpay_shop.fake.fees_for(PRICE)
    assert payment.processor_fee == fee and tax > 0 and fee == 3_538  # 2% + 18% GST
    sales = session.exec(select(LedgerEntry).where(LedgerEntry.order_id == order.id)).all()
    assert [(s.processor_fee, s.fee_source) for s in sales] == [(fee, "processor")]
    assert sales[0].net == PRICE - fee
    # the webhooks arriving afterwards change nothing
    for index in range(len(razorpay_shop.fake.webhooks)):
        razorpay_shop.fake.redeliver(index)
    razorpay_shop.fake.wait_for_webhooks()
    assert set(razorpay_shop.intake.outcomes) <= {"processed", "ignored"}
    order, payment = _fresh(session, result.order_id)
    assert order.status == "completed"
    assert len(session.exec(select(LedgerEntry).where(LedgerEntry.order_id == order.id)).all()) == 1


def test_a_forged_checkout_answer_is_refused_and_marks_nothing_paid(
    session: Session, learner: Actor, razorpay_shop: Shop
) -> None:
    result = _order(session, learner, razorpay_shop)
    paid = razorpay_shop.fake.pay(result.intent_id, deliver_webhooks=False)
    forged = {"razorpay_payment_id": paid["razorpay_payment_id"],
              "razorpay_order_id": result.intent_id, "razorpay_signature": "0" * 64}

    with pytest.raises(DomainError) as refused:
        payments.hosted_checkout_pay(session=session, actor=learner, number=result.number,
                                     fields=forged)

    assert refused.value.code == "signature_invalid"
    assert "could not be verified" in refused.value.message
    order, payment = _fresh(session, result.order_id)
    assert (order.status, payment.status) == ("pending", "pending")


def test_the_signed_webhooks_complete_the_order_and_a_duplicate_or_forgery_changes_nothing(
    session: Session, learner: Actor, razorpay_shop: Shop
) -> None:
    result = _order(session, learner, razorpay_shop)

    razorpay_shop.fake.pay(result.intent_id, method="netbanking")  # payment.captured, order.paid

    order, payment = _fresh(session, result.order_id)
    assert (order.status, payment.status) == ("completed", "succeeded")
    assert razorpay_shop.intake.outcomes[0] == "processed"
    razorpay_shop.fake.redeliver(0)
    razorpay_shop.fake.wait_for_webhooks()
    assert razorpay_shop.intake.outcomes[-1] == "duplicate"
    body, headers = razorpay_shop.fake.signed_webhook("payment.captured", {"payment": {
        "entity": {"id": "pay_Forged", "order_id": result.intent_id, "amount": PRICE,
                   "currency": "INR", "status": "captured"}}})
    headers["X-Razorpay-Signature"] = "f" * 64
    with pytest.raises(DomainError) as forged:
        payments.receive_webhook(session=session, processor="razorpay", body=body,
                                 headers=headers)
    assert forged.value.code == "invalid_signature"
    assert session.exec(select(PaymentEvent).where(
        PaymentEvent.processor == "razorpay", PaymentEvent.event_id == headers[
            "X-Razorpay-Event-Id"])).first() is None


def test_a_declined_payment_is_shown_then_the_learner_pays_another_way(
    session: Session, learner: Actor, razorpay_shop: Shop
) -> None:
    result = _order(session, learner, razorpay_shop)

    razorpay_shop.fake.pay(result.intent_id, method="card", outcome="failed")

    order, payment = _fresh(session, result.order_id)
    assert (order.status, payment.status) == ("pending", "failed")
    assert payment.failure_reason == "Payment failed because the card was declined"
    paid = razorpay_shop.fake.pay(result.intent_id, method="wallet", deliver_webhooks=False)
    payments.hosted_checkout_pay(session=session, actor=learner, number=result.number,
                                 fields={k: paid[k] for k in ("razorpay_payment_id",
                                                              "razorpay_order_id",
                                                              "razorpay_signature")})
    order, payment = _fresh(session, result.order_id)
    assert (order.status, payment.status) == ("completed", "succeeded")


def test_the_janitor_settles_a_payment_whose_webhook_never_came_capturing_it(
    session: Session, learner: Actor, razorpay_shop: Shop
) -> None:
    result = _order(session, learner, razorpay_shop)
    # authorized only (no auto-capture), and no webhook reached the app
    razorpay_shop.fake.pay(result.intent_id, outcome="authorized", deliver_webhooks=False)
    _, payment = _fresh(session, result.order_id)
    payment.updated_at = utcnow() - timedelta(hours=1)
    session.add(payment)
    session.commit()

    counts = payments.janitor(session=session)

    assert counts["settled"] == 1
    order, payment = _fresh(session, result.order_id)
    assert (order.status, payment.status) == ("completed", "succeeded")
    captured = razorpay_shop.fake.payments[next(iter(razorpay_shop.fake.payments))]
    assert captured["status"] == "captured" and captured["captured"] is True


def _paid(session: Session, learner: Actor, shop: Shop) -> CheckoutResult:
    result = _order(session, learner, shop, shop.course_id, shop.other_course_id)
    shop.fake.pay(result.intent_id)
    order, _ = _fresh(session, result.order_id)
    assert order.status == "completed"
    return result


def test_a_partial_refund_then_the_rest_through_the_queue_and_no_more(
    session: Session, learner: Actor, super_admin: Actor, razorpay_shop: Shop
) -> None:
    result = _paid(session, learner, razorpay_shop)
    order, _ = _fresh(session, result.order_id)
    total = order.total
    number = number_of(order)

    first = refunds.request_refund(session=session, actor=learner, number=number,
                                   reason="Part of the order", amount=50_000)
    refunds.approve(session=session, actor=super_admin, request_id=first.id or 0)
    rest = refunds.request_refund(session=session, actor=learner, number=number,
                                  reason="The rest of the order")
    refunds.approve(session=session, actor=super_admin, request_id=rest.id or 0)

    order, payment = _fresh(session, result.order_id)
    assert payment.refunded_amount == total and order.status == "refunded"
    # Razorpay keeps its fee on refunds: the ledger gives none back, the platform bears it
    entries = session.exec(select(LedgerEntry).where(LedgerEntry.order_id == order.id)).all()
    assert payment.processor_fee is not None and payment.processor_fee > 0
    assert sum(e.processor_fee for e in entries) == payment.processor_fee
    assert sum(e.gross + e.tax for e in entries) == 0
    assert sum(e.net for e in entries) == -payment.processor_fee
    assert sum(e.platform_amount for e in entries) == -payment.processor_fee
    made = list(razorpay_shop.fake.refunds.values())
    assert sorted(r["amount"] for r in made) == sorted([50_000, total - 50_000])
    assert all(r["notes"]["idempotency_key"].startswith("refund-") for r in made)
    razorpay_shop.fake.wait_for_webhooks()
    # refund.processed came back for both: known as ours, nothing recorded twice
    assert len(session.exec(select(RefundRequest).where(
        RefundRequest.order_id == order.id)).all()) == 2
    with pytest.raises(DomainError) as more:
        refunds.request_refund(session=session, actor=learner, number=number,
                               reason="One more refund please", amount=100)
    assert more.value.code == "not_refundable"


def test_razorpay_refuses_an_over_refund_and_a_retried_refund_is_made_once(
    session: Session, learner: Actor, razorpay_shop: Shop
) -> None:
    result = _paid(session, learner, razorpay_shop)
    processor = get_processor("razorpay")
    once = Refund(intent_id=result.intent_id, amount=10_000, currency="INR", reason="x",
                  idempotency_key="refund-900-1")
    first = processor.refund(once)
    again = processor.refund(once)  # a retry after a lost answer
    assert first.refund_id == again.refund_id and first.status == "succeeded"
    assert len(razorpay_shop.fake.refunds) == 1
    with pytest.raises(ProcessorError) as refused:
        processor.refund(Refund(intent_id=result.intent_id, amount=result.total,
                                currency="INR", reason="x", idempotency_key="refund-900-2"))
    assert not refused.value.retryable
    assert "greater than amount captured" in refused.value.message


def test_a_refund_made_in_razorpays_dashboard_is_recorded_from_its_webhook(
    session: Session, learner: Actor, razorpay_shop: Shop
) -> None:
    result = _paid(session, learner, razorpay_shop)
    payment_id = next(iter(razorpay_shop.fake.payments))

    razorpay_shop.fake.refund_payment(payment_id, {"amount": 20_000})
    razorpay_shop.fake.wait_for_webhooks()

    order, payment = _fresh(session, result.order_id)
    assert payment.refunded_amount == 20_000 and order.status == "partially_refunded"
    recorded = session.exec(select(RefundRequest).where(
        RefundRequest.order_id == order.id)).one()
    assert recorded.source == "processor" and recorded.amount == 20_000


def test_an_event_for_an_unknown_order_is_stored_and_retried_not_lost(
    session: Session, razorpay_shop: Shop
) -> None:
    body, headers = razorpay_shop.fake.signed_webhook("payment.captured", {"payment": {
        "entity": {"id": "pay_Unknown0001", "order_id": "order_Unknown0001",
                   "amount": 10_000, "currency": "INR", "status": "captured"}}})

    outcome = payments.receive_webhook(session=session, processor="razorpay", body=body,
                                       headers=headers)

    # kept, and tried again later (the payment may be committed a moment after its event);
    # the system page lists it with its error, and dead after the last attempt
    assert outcome.status == "failed"
    row = session.exec(select(PaymentEvent).where(
        PaymentEvent.intent_id == "order_Unknown0001")).one()
    assert row.status == "failed" and row.next_attempt_at is not None
    assert "No payment for intent order_Unknown0001" in row.last_error


def test_money_that_does_not_match_the_order_never_completes_it(
    session: Session, learner: Actor, razorpay_shop: Shop
) -> None:
    result = _order(session, learner, razorpay_shop)
    body, headers = razorpay_shop.fake.signed_webhook("payment.captured", {"payment": {
        "entity": {"id": "pay_Short0001", "order_id": result.intent_id, "amount": 100,
                   "currency": "INR", "status": "captured", "fee": 2}}})
    outcome = payments.receive_webhook(session=session, processor="razorpay", body=body,
                                       headers=headers)
    body, headers = razorpay_shop.fake.signed_webhook("payment.captured", {"payment": {
        "entity": {"id": "pay_Dollars001", "order_id": result.intent_id, "amount": PRICE,
                   "currency": "USD", "status": "captured"}}})
    other = payments.receive_webhook(session=session, processor="razorpay", body=body,
                                     headers=headers)

    assert outcome.status == "ignored" and "100 INR" in outcome.detail
    assert other.status == "ignored" and "USD" in other.detail
    order, payment = _fresh(session, result.order_id)
    assert (order.status, payment.status) == ("pending", "pending")


def test_a_webhook_is_refused_without_the_webhook_secret(razorpay_shop: Shop) -> None:
    processor = RazorpayProcessor(key_id=KEY_ID, key_secret=KEY_SECRET, webhook_secret="",
                                  api_base=razorpay_shop.fake.base_url)
    body, headers = razorpay_shop.fake.signed_webhook("order.paid", {})
    with pytest.raises(WebhookSignatureError, match="COMMERCE_RAZORPAY_WEBHOOK_SECRET"):
        processor.verify_webhook(body, headers)
    with pytest.raises(ProcessorError, match="COMMERCE_RAZORPAY_KEY_SECRET"):
        RazorpayProcessor(key_id=KEY_ID, key_secret="", webhook_secret=WEBHOOK_SECRET)
