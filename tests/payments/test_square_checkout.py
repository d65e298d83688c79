"""Checkout paid through Square: the app's SquareProcessor (the official SDK) against a
loopback fake of Square's API, whose signed webhooks reach the app's webhook intake."""

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
from commerce_dash.models.commerce import Order, Payment, RefundRequest
from commerce_dash.models.revenue import LedgerEntry
from commerce_dash.payments.base import IntentStatus
from commerce_dash.payments.factory import get_processor, reset_processors
from commerce_dash.services.commerce import checkout_summary, payments, refunds
from commerce_dash.services.commerce.checkout_views import CheckoutResult
from commerce_dash.settings import get_settings
from tests.builders import a_course, a_department, checked_out, number_of
from tests.payments.square_fake import SquareFake
from tests.payments.webhook_intake import WebhookIntake

TOKEN, APP_ID, SIGNATURE_KEY = "EAAAE-square-test-token", "sandbox-sq0idb-Fake", "sq-sig-key"
PRICE, OTHER = 12_900, 4_500
CARD, DECLINED, GOOGLE_PAY = "cnon:card-nonce-ok", "cnon:card-nonce-declined", \
    "cnon:gpay-nonce-ok"


@dataclass
class Shop:
    fake: SquareFake
    intake: WebhookIntake
    course_id: int
    other_course_id: int


@pytest.fixture
def square_shop(session: Session, super_admin: Actor, monkeypatch: pytest.MonkeyPatch
                ) -> Iterator[Shop]:
    intake = WebhookIntake("square")
    with SquareFake(TOKEN, SIGNATURE_KEY, notification_url=intake.url) as fake:
        monkeypatch.setenv("COMMERCE_PROCESSOR_BY_DEPARTMENT", json.dumps({"SQR": "square"}))
        monkeypatch.setenv("COMMERCE_SQUARE_ACCESS_TOKEN", TOKEN)
        monkeypatch.setenv("COMMERCE_SQUARE_APPLICATION_ID", APP_ID)
        monkeypatch.setenv("COMMERCE_SQUARE_LOCATION_ID", fake.location_id)
        monkeypatch.setenv("COMMERCE_SQUARE_WEBHOOK_SIGNATURE_KEY", SIGNATURE_KEY)
        monkeypatch.setenv("COMMERCE_SQUARE_WEBHOOK_URL", intake.url)
        monkeypatch.setenv("COMMERCE_SQUARE_API_BASE", fake.base_url)
        monkeypatch.setenv("COMMERCE_SQUARE_WEB_SDK_URL", fake.web_sdk_url)
        get_settings.cache_clear()
        reset_processors()
        dept = a_department(session, super_admin, "SQR", name="Square School")
        course = a_course(session, super_admin, "SQR-101", department_id=dept, price=PRICE)
        other = a_course(session, super_admin, "SQR-102", department_id=dept, price=OTHER)
        try:
            yield Shop(fake, intake, course, other)
        finally:
            intake.stop()
            get_settings.cache_clear()
            reset_processors()


def _fresh(session: Session, order_id: int) -> tuple[Order, Payment]:
    session.expire_all()
    order = session.get(Order, order_id)
    assert order is not None
    return order, session.exec(select(Payment).where(Payment.order_id == order_id)).one()


def _pay(session: Session, learner: Actor, result: CheckoutResult, token: str):  # type: ignore[no-untyped-def]
    return payments.hosted_checkout_pay(session=session, actor=learner, number=result.number,
                                        fields={"source_id": token})


def test_a_card_pays_the_square_order_once_with_squares_fee_and_webhooks_change_nothing(
    session: Session, learner: Actor, square_shop: Shop
) -> None:
    result = checked_out(session, learner, ("course", square_shop.course_id))
    summary = checkout_summary(session=session, actor=learner, number=result.number)
    assert summary.hosted["application_id"] == APP_ID
    assert summary.hosted["order_id"] == result.intent_id
    assert (summary.hosted["amount_decimal"], summary.hosted["currency"]) == ("129.00", "USD")
    assert square_shop.fake.orders[result.intent_id]["reference_id"] == result.number

    answer = _pay(session, learner, result, CARD)

    assert answer.status is IntentStatus.SUCCEEDED
    square_shop.fake.wait_for_webhooks()
    order, payment = _fresh(session, result.order_id)
    assert (order.status, payment.status) == ("completed", "succeeded")
    fee = square_shop.fake.fee_for(PRICE)
    assert payment.processor_fee == fee > 0
    sales = session.exec(select(LedgerEntry).where(LedgerEntry.order_id == order.id)).all()
    assert [(s.processor_fee, s.fee_source) for s in sales] == [(fee, "processor")]
    assert "error" not in " ".join(square_shop.intake.outcomes)
    square_shop.fake.redeliver(0)
    square_shop.fake.wait_for_webhooks()
    assert square_shop.intake.outcomes[-1] == "duplicate"
    # a second press of Pay never charges twice
    with pytest.raises(DomainError) as again:
        _pay(session, learner, result, CARD)
    assert again.value.code == "order_not_payable"
    assert len(square_shop.fake.payments) == 1


def test_a_forged_square_webhook_is_refused(session: Session, square_shop: Shop) -> None:
    body, headers = square_shop.fake.signed_webhook("payment.updated", {"payment": {
        "id": "forged", "order_id": "nope", "status": "COMPLETED",
        "amount_money": {"amount": PRICE, "currency": "USD"}}})
    headers = {**headers, "x-square-hmacsha256-signature": "AAAA"}
    with pytest.raises(DomainError) as refused:
        payments.receive_webhook(session=session, processor="square", body=body,
                                 headers=headers)
    assert refused.value.code == "invalid_signature"


def test_a_declined_card_is_explained_then_google_pay_pays(
    session: Session, learner: Actor, square_shop: Shop
) -> None:
    result = checked_out(session, learner, ("course", square_shop.course_id))

    declined = _pay(session, learner, result, DECLINED)

    assert declined.status is IntentStatus.FAILED
    assert "declined" in declined.failure_message.lower()
    square_shop.fake.wait_for_webhooks()
    order, payment = _fresh(session, result.order_id)
    assert (order.status, payment.status) == ("pending", "failed")
    assert "declined" in payment.failure_reason.lower()

    paid = _pay(session, learner, result, GOOGLE_PAY)

    assert paid.status is IntentStatus.SUCCEEDED
    order, _ = _fresh(session, result.order_id)
    assert order.status == "completed"


def test_the_janitor_settles_a_square_payment_the_app_never_heard_of(
    session: Session, learner: Actor, square_shop: Shop
) -> None:
    result = checked_out(session, learner, ("course", square_shop.course_id))
    square_shop.fake.notification_url = ""  # no webhook reaches the app
    get_processor("square").confirm_intent(result.intent_id, CARD)  # the tab closed after
    _, payment = _fresh(session, result.order_id)
    payment.updated_at = utcnow() - timedelta(hours=1)
    session.add(payment)
    session.commit()

    assert payments.janitor(session=session)["settled"] == 1

    order, payment = _fresh(session, result.order_id)
    assert (order.status, payment.status) == ("completed", "succeeded")


def test_a_partial_square_refund_then_the_rest_and_their_webhooks_are_known_as_ours(
    session: Session, learner: Actor, super_admin: Actor, square_shop: Shop
) -> None:
    result = checked_out(session, learner, ("course", square_shop.course_id),
                         ("course", square_shop.other_course_id))
    _pay(session, learner, result, CARD)
    order, _ = _fresh(session, result.order_id)
    number = number_of(order)

    first = refunds.request_refund(session=session, actor=learner, number=number,
                                   reason="Part of the order please", amount=OTHER)
    refunds.approve(session=session, actor=super_admin, request_id=first.id or 0)
    rest = refunds.request_refund(session=session, actor=learner, number=number,
                                  reason="The rest of the order")
    refunds.approve(session=session, actor=super_admin, request_id=rest.id or 0)
    square_shop.fake.wait_for_webhooks()

    order, payment = _fresh(session, result.order_id)
    assert payment.refunded_amount == PRICE + OTHER and order.status == "refunded"
    assert sorted(r["amount_money"]["amount"] for r in square_shop.fake.refunds.values()) == \
        [OTHER, PRICE]
    assert len(session.exec(select(RefundRequest).where(
        RefundRequest.order_id == order.id)).all()) == 2
    with pytest.raises(DomainError) as more:
        refunds.request_refund(session=session, actor=learner, number=number,
                               reason="One more refund please", amount=100)
    assert more.value.code == "not_refundable"
