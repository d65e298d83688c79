"""Checkout paid through Stripe (localstripe): localstripe signs and posts its webhooks to a
loopback receiver that hands them to our webhook intake, as the route does."""

from __future__ import annotations

import json
import time
import urllib.request
import uuid
from collections.abc import Iterator

import pytest
import stripe
from sqlmodel import Session, select

from commerce_dash.domain.actor import Actor
from commerce_dash.models.commerce import Order, Payment, PaymentEvent
from commerce_dash.models.delivery import OutboxMessage
from commerce_dash.payments.factory import get_processor, reset_processors
from commerce_dash.services.commerce import cart as cart_service
from commerce_dash.services.commerce import payments
from commerce_dash.services.commerce.checkout import CheckoutRequest, checkout
from commerce_dash.settings import get_settings
from tests.builders import build_shop, owner_of
from tests.payments.conftest import PUBLISHABLE_KEY, SECRET_KEY, WEBHOOK_SECRET
from tests.payments.localstripe_server import LocalStripe
from tests.payments.webhook_intake import WebhookIntake as Intake


@pytest.fixture
def stripe_shop(session: Session, super_admin: Actor, localstripe_server: LocalStripe,
                monkeypatch: pytest.MonkeyPatch) -> Iterator[Intake]:
    monkeypatch.setenv("COMMERCE_PAYMENT_PROCESSOR", "stripe")
    monkeypatch.setenv("COMMERCE_STRIPE_SECRET_KEY", SECRET_KEY)
    monkeypatch.setenv("COMMERCE_STRIPE_PUBLISHABLE_KEY", PUBLISHABLE_KEY)
    monkeypatch.setenv("COMMERCE_STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET)
    monkeypatch.setenv("COMMERCE_STRIPE_API_BASE", localstripe_server.base_url)
    get_settings.cache_clear()
    reset_processors()
    intake = Intake("stripe")
    endpoint = f"intake-{uuid.uuid4().hex[:8]}"
    localstripe_server.register_webhook(
        endpoint, intake.url, WEBHOOK_SECRET,
        events=["payment_intent.succeeded", "payment_intent.payment_failed"])
    build_shop(session, super_admin)
    try:
        yield intake
    finally:
        localstripe_server.unregister_webhook(endpoint)
        intake.server.shutdown()
        intake.server.server_close()
        get_settings.cache_clear()
        reset_processors()


def _wait(session: Session, order_id: int, status: str, field: str = "status",
          timeout: float = 15) -> Order:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        session.expire_all()
        order = session.get(Order, order_id)
        assert order is not None
        if getattr(order, field) == status:
            return order
        time.sleep(0.2)
    raise AssertionError(f"order {order_id} never reached {field}={status}")


def _order(session: Session, learner: Actor, code: str, key: str):  # type: ignore[no-untyped-def]
    from commerce_dash.models.catalog import Course

    course = session.exec(select(Course).where(Course.code == f"SHOP-{code}")).one()
    assert course.id is not None
    cart_service.add_item(session=session, owner=owner_of(learner), item_type="course",
                          item_id=course.id)
    return checkout(session=session, actor=learner, request=CheckoutRequest(key))


def test_a_stripe_payment_completes_through_the_signed_webhook_once(
    session: Session, learner: Actor, stripe_shop: Intake
) -> None:
    result = _order(session, learner, "PY101", "stripe-ok-0001")
    assert (result.processor, result.publishable_key) == ("stripe", PUBLISHABLE_KEY)
    assert result.intent_id.startswith("pi_") and result.client_secret
    # the learner's browser confirms the intent with Stripe (here: server side, pm_card_visa)
    get_processor("stripe").confirm_intent(result.intent_id, "pm_card_visa")
    order = _wait(session, result.order_id, "completed")
    assert order.payment_status == "completed"
    assert stripe_shop.outcomes[:1] == ["processed"]
    # the same event delivered again changes nothing
    body, headers = stripe_shop.bodies[0]
    again = payments.receive_webhook(session=session, processor="stripe", body=body,
                                     headers=headers)
    assert again.status == "duplicate"
    confirmations = session.exec(select(OutboxMessage).where(
        OutboxMessage.dedupe_key == f"order-confirmation:{order.id}")).all()
    assert len(confirmations) == 1
    event = session.exec(select(PaymentEvent).where(PaymentEvent.source == "webhook")).one()
    assert event.event_type == "payment_intent.succeeded" and event.status == "processed"
    # a forged copy is refused
    forged = {**headers, "Stripe-Signature": headers["Stripe-Signature"].replace("v1=", "v1=0")}
    with pytest.raises(Exception) as err:
        payments.receive_webhook(session=session, processor="stripe",
                                 body=body.replace(b"evt_", b"evt_x"), headers=forged)
    assert getattr(err.value, "code", "") == "invalid_signature"


def test_a_decline_is_recorded_from_the_payment_failed_webhook(
    session: Session, learner: Actor, stripe_shop: Intake
) -> None:
    result = _order(session, learner, "SQL101", "stripe-no-0001")
    declined = get_processor("stripe").confirm_intent(result.intent_id,
                                                      "pm_card_chargeCustomerFail")
    assert declined.failure_message == "Your card was declined."
    _wait(session, result.order_id, "failed", field="payment_status")
    payment = session.exec(select(Payment).where(Payment.order_id == result.order_id)).one()
    assert (payment.status, payment.failure_reason) == ("failed", "Your card was declined.")
    order = session.get(Order, result.order_id)
    assert order is not None and order.status == "pending"
    failed_mail = [m for m in session.exec(select(OutboxMessage)).all()
                   if (m.payload or {}).get("template") == "payment-failed"]
    assert len(failed_mail) == 1


def test_three_d_secure_requires_action_then_completes(
    session: Session, learner: Actor, stripe_shop: Intake, localstripe: str,
    stripe_client: stripe.StripeClient
) -> None:
    result = _order(session, learner, "ML301", "stripe-3ds-001")
    method = stripe_client.v1.payment_methods.create({
        "type": "card",
        "card": {"number": "4000002500003155", "exp_month": 12, "exp_year": 2034,
                 "cvc": "123"},  # type: ignore[typeddict-item]
    })
    challenged = get_processor("stripe").confirm_intent(result.intent_id, method.id)
    assert challenged.status.value == "requires_action"
    assert payments.confirm_payment(session=session, actor=learner,
                                    number=result.number).status.value == "requires_action"
    state = payments.payment_state(session=session, actor=learner, number=result.number)
    assert state["payment_status"] == "requires_action"
    # the learner passes the bank's challenge (what Stripe.js does in the page)
    request = urllib.request.Request(
        f"{localstripe}/v1/payment_intents/{result.intent_id}/_authenticate?success=true",
        data=json.dumps({"key": PUBLISHABLE_KEY, "client_secret": result.client_secret}).encode(),
        method="POST")
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 200
    order = _wait(session, result.order_id, "completed")
    assert order.payment_status == "completed"


def test_a_stripe_refund_is_paid_once_even_after_a_crash(
    session: Session, learner: Actor, super_admin: Actor, stripe_shop: Intake,
    monkeypatch: pytest.MonkeyPatch, localstripe_server: LocalStripe,
) -> None:
    from datetime import timedelta

    from commerce_dash.models.commerce import RefundRequest
    from commerce_dash.services.commerce import refunds

    result = _order(session, learner, "PY201", "stripe-refund-0001")
    get_processor("stripe").confirm_intent(result.intent_id, "pm_card_visa")
    _wait(session, result.order_id, "completed")
    request = refunds.request_refund(session=session, actor=learner, number=result.number,
                                     reason="Refund through Stripe, please.", amount=6_000)

    def crash(**_kwargs: object) -> None:
        raise RuntimeError("killed between Stripe and our commit")

    monkeypatch.setattr(refunds, "settle", crash)
    with pytest.raises(RuntimeError):
        refunds.approve(session=session, actor=super_admin, request_id=request.id or 0)
    monkeypatch.undo()
    assert refunds.retry_stuck(session=session, older_than=timedelta(seconds=-1)) == 1
    session.expire_all()
    done = session.get(RefundRequest, request.id)
    assert done is not None and done.status == "refunded"
    client = stripe.StripeClient(SECRET_KEY, base_addresses={"api": localstripe_server.base_url})
    listed = client.v1.refunds.list({"payment_intent": result.intent_id})
    assert [(r.id, r.amount) for r in listed.data] == [(done.processor_refund_id, 6_000)]
    payment = session.exec(select(Payment).where(Payment.order_id == result.order_id)).one()
    assert (payment.status, payment.refunded_amount) == ("partially_refunded", 6_000)


def _signed_stripe_event(event_type: str, obj: dict[str, object]) -> tuple[bytes, dict[str, str]]:
    """An event as Stripe signs it (``t=<ts>,v1=<HMAC-SHA256 of "<ts>.<body>">``)."""
    import hashlib
    import hmac

    body = json.dumps({"id": f"evt_{uuid.uuid4().hex[:24]}", "object": "event",
                       "type": event_type, "created": int(time.time()),
                       "data": {"object": obj}}).encode()
    stamp = str(int(time.time()))
    signature = hmac.new(WEBHOOK_SECRET.encode(), f"{stamp}.".encode() + body,
                         hashlib.sha256).hexdigest()
    return body, {"Stripe-Signature": f"t={stamp},v1={signature}"}


def test_refunds_and_disputes_made_at_stripe_reach_the_order(
    session: Session, learner: Actor, super_admin: Actor, stripe_shop: Intake,
    localstripe_server: LocalStripe,
) -> None:
    from commerce_dash.models.commerce import RefundRequest
    from commerce_dash.services.commerce import refunds

    result = _order(session, learner, "ML301", "stripe-outside-01")  # 20,000
    get_processor("stripe").confirm_intent(result.intent_id, "pm_card_visa")
    _wait(session, result.order_id, "completed")
    # given one refund through the app and one made in the Stripe Dashboard
    request = refunds.request_refund(session=session, actor=learner, number=result.number,
                                     reason="Part of it back, please.", amount=3_000)
    refunds.approve(session=session, actor=super_admin, request_id=request.id or 0)
    client = stripe.StripeClient(SECRET_KEY, base_addresses={"api": localstripe_server.base_url})
    client.v1.refunds.create({"payment_intent": result.intent_id, "amount": 5_000})
    listed = client.v1.refunds.list({"payment_intent": result.intent_id})
    charge = {"id": "ch_outside", "object": "charge", "payment_intent": result.intent_id,
              "amount": 20_000, "amount_refunded": 8_000, "currency": "usd",
              "refunds": {"object": "list", "data": [r.to_dict() for r in listed.data]}}
    # when Stripe's signed charge.refunded event arrives
    body, headers = _signed_stripe_event("charge.refunded", charge)
    outcome = payments.receive_webhook(session=session, processor="stripe", body=body,
                                       headers=headers)
    # then only the Dashboard's refund is recorded, with the same cascade
    assert outcome.status == "processed", outcome
    session.expire_all()
    order = session.get(Order, result.order_id)
    assert order is not None and (order.status, order.refunded_amount) == (
        "partially_refunded", 8_000)
    sources = sorted((r.source, r.approved_amount) for r in session.exec(select(RefundRequest)))
    assert sources == [("learner", 3_000), ("processor", 5_000)]
    # and a chargeback Stripe reports marks the order disputed
    dispute = {"id": "dp_outside", "object": "dispute", "payment_intent": result.intent_id,
               "amount": 12_000, "currency": "usd", "reason": "fraudulent",
               "status": "needs_response", "balance_transactions": [{"fee": 1_500}]}
    body, headers = _signed_stripe_event("charge.dispute.created", dispute)
    assert payments.receive_webhook(session=session, processor="stripe", body=body,
                                    headers=headers).status == "processed"
    session.expire_all()
    assert session.get(Order, result.order_id).status == "disputed"  # type: ignore[union-attr]


def test_stripes_own_fee_is_recorded_from_the_charges_balance_transaction(
    session: Session, learner: Actor, stripe_shop: Intake
) -> None:
    from commerce_dash.models.revenue import LedgerEntry

    result = _order(session, learner, "PY201", "stripe-fee-0001")
    confirmed = get_processor("stripe").confirm_intent(result.intent_id, "pm_card_visa")
    # localstripe's balance transactions report a fee of 0: what the processor says is kept
    assert confirmed.fee == 0
    learner_view = payments.confirm_payment(session=session, actor=learner,
                                            number=result.number)
    assert learner_view.fee == 0  # retrieved with the charge's balance transaction
    order = _wait(session, result.order_id, "completed")
    payment = session.exec(select(Payment).where(Payment.order_id == order.id)).one()
    entries = session.exec(select(LedgerEntry).where(LedgerEntry.order_id == order.id)).all()
    if payment.processor_fee is not None:  # the page's answer came before the webhook
        assert payment.processor_fee == 0
        assert {(e.fee_source, e.processor_fee) for e in entries} == {("processor", 0)}
    else:  # the webhook (no balance transaction in it) was first: the estimate, said so
        assert {e.fee_source for e in entries} == {"estimate"}
