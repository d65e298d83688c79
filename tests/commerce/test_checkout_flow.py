"""Checkout and payment through the sandbox processor: what the learner and the books see."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from sqlmodel import Session, col, select

from commerce_dash.domain.actor import Actor
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.errors import DomainError
from commerce_dash.models.commerce import Order, OrderLine, Payment, PaymentEvent, SandboxIntent
from commerce_dash.models.delivery import OutboxMessage
from commerce_dash.models.pricing import DiscountCode, DiscountRedemption
from commerce_dash.payments.factory import get_processor
from commerce_dash.payments.sandbox import CardInput, SandboxProcessor
from commerce_dash.services.commerce import cart as cart_service
from commerce_dash.services.commerce import payments
from commerce_dash.services.commerce.checkout import CheckoutRequest, checkout
from tests.builders import make_code, owner_of
from tests.conftest import create_user

GOOD = CardInput("4242 4242 4242 4242", 12, 2040, "123")
DECLINED = CardInput("4000000000000002", 12, 2040, "123")
CHALLENGE = CardInput("4000002500003155", 12, 2040, "123")



def _fill(session: Session, actor: Actor, shop, *codes: str) -> None:  # type: ignore[no-untyped-def]
    for code in codes:
        cart_service.add_item(session=session, owner=owner_of(actor), item_type="course",
                              item_id=shop.courses[code])


def _emails(session: Session, template: str) -> list[OutboxMessage]:
    return [m for m in session.exec(select(OutboxMessage).where(OutboxMessage.topic == "email"))
            if (m.payload or {}).get("template") == template]


def test_checkout_creates_a_pending_order_with_locked_lines(session: Session, shop,  # type: ignore[no-untyped-def]
                                                            learner: Actor) -> None:
    _fill(session, learner, shop, "PY101", "SQL101")
    result = checkout(session=session, actor=learner, request=CheckoutRequest("key-0000001"))
    assert re.fullmatch(rf"ORD-{utcnow().year}-\d{{5}}", result.number)
    assert (result.status, result.processor, result.total) == ("pending", "sandbox", 18_000)
    assert result.client_secret.startswith(result.intent_id + "_secret_")
    order = session.get(Order, result.order_id)
    assert order is not None and order.prices_locked_until > utcnow() + timedelta(minutes=25)
    lines = session.exec(select(OrderLine).where(OrderLine.order_id == result.order_id)
                         .order_by(col(OrderLine.position))).all()
    assert [(li.title, li.list_amount, li.total) for li in lines] == [
        ("Course PY101", 10_000, 10_000), ("Course SQL101", 8_000, 8_000)]


def test_same_key_returns_the_same_order_and_intent_other_body_is_refused(  # type: ignore[no-untyped-def]
    session: Session, shop, learner: Actor
) -> None:
    _fill(session, learner, shop, "PY101")
    first = checkout(session=session, actor=learner, request=CheckoutRequest("same-key-01"))
    again = checkout(session=session, actor=learner, request=CheckoutRequest("same-key-01"))
    assert (again.order_id, again.intent_id, again.replayed) == (first.order_id, first.intent_id,
                                                                  True)
    with pytest.raises(DomainError) as err:
        checkout(session=session, actor=learner,
                 request=CheckoutRequest("same-key-01", billing_country="US"))
    assert err.value.code == "idempotency_conflict"
    assert len(session.exec(select(Order)).all()) == 1
    assert len(session.exec(select(SandboxIntent)).all()) == 1


def test_sandbox_payment_completes_the_order_once(session: Session, shop, super_admin: Actor,  # type: ignore[no-untyped-def]
                                                  learner: Actor) -> None:
    make_code(session, super_admin, "SAVE20", percent=20)
    _fill(session, learner, shop, "PY101", "PY201")
    cart_service.apply_code(session=session, owner=owner_of(learner), code="SAVE20")
    result = checkout(session=session, actor=learner, request=CheckoutRequest("pay-once-01"))
    assert result.total == 20_000
    code = session.exec(select(DiscountCode).where(DiscountCode.code == "SAVE20")).one()
    assert code.uses_count == 1
    intent = payments.sandbox_pay(session=session, actor=learner, number=result.number,
                                  card=GOOD)
    assert intent.status.value == "succeeded"
    session.expire_all()
    order = session.get(Order, result.order_id)
    assert order is not None
    assert (order.status, order.payment_status) == ("completed", "completed")
    payment = session.exec(select(Payment).where(Payment.order_id == order.id)).one()
    assert payment.status == "succeeded"
    redemption = session.exec(select(DiscountRedemption)).one()
    assert (redemption.status, redemption.discount_amount) == ("redeemed", 5_000)
    confirmations = _emails(session, "order-confirmation")
    assert len(confirmations) == 1
    assert result.number in confirmations[0].payload["subject"]  # type: ignore[index]
    assert cart_service.view_cart(session=session, owner=owner_of(learner)).lines == []
    # Paying again is refused and changes nothing.
    with pytest.raises(DomainError):
        payments.sandbox_pay(session=session, actor=learner, number=result.number, card=GOOD)
    assert len(_emails(session, "order-confirmation")) == 1


def test_decline_keeps_the_order_open_and_a_retry_succeeds(session: Session, shop,  # type: ignore[no-untyped-def]
                                                           learner: Actor) -> None:
    _fill(session, learner, shop, "ML301")
    result = checkout(session=session, actor=learner, request=CheckoutRequest("decline-then-ok"))
    declined = payments.sandbox_pay(session=session, actor=learner, number=result.number,
                                    card=DECLINED)
    assert declined.failure_message == "Your card was declined."
    state = payments.payment_state(session=session, actor=learner, number=result.number)
    assert state == {"order_status": "pending", "payment_status": "failed",
                     "failure_reason": "Your card was declined.", "next_action_url": ""}
    failed = _emails(session, "payment-failed")
    assert len(failed) == 1 and "Your card was declined." in failed[0].payload["text"]  # type: ignore[index]
    payments.sandbox_pay(session=session, actor=learner, number=result.number, card=GOOD)
    state = payments.payment_state(session=session, actor=learner, number=result.number)
    assert (state["order_status"], state["payment_status"]) == ("completed", "succeeded")


def test_three_d_secure_challenge_approved_and_failed(session: Session, shop,  # type: ignore[no-untyped-def]
                                                      learner: Actor) -> None:
    _fill(session, learner, shop, "PY101")
    result = checkout(session=session, actor=learner, request=CheckoutRequest("three-ds-001"))
    challenge = payments.sandbox_pay(session=session, actor=learner, number=result.number,
                                     card=CHALLENGE)
    assert challenge.status.value == "requires_action"
    assert challenge.next_action_url.endswith(f"/sandbox/3ds/{result.intent_id}")
    state = payments.payment_state(session=session, actor=learner, number=result.number)
    assert state["payment_status"] == "requires_action"
    failed, _ = payments.sandbox_challenge(session=session, actor=learner,
                                           intent_id=result.intent_id, approve=False)
    assert "couldn't authenticate" in failed.failure_message
    payments.sandbox_pay(session=session, actor=learner, number=result.number, card=CHALLENGE)
    ok, number = payments.sandbox_challenge(session=session, actor=learner,
                                            intent_id=result.intent_id, approve=True)
    assert (ok.status.value, number) == ("succeeded", result.number)
    order = session.get(Order, result.order_id)
    session.refresh(order)
    assert order is not None and order.status == "completed"


def _signed(event_type: str, intent_id: str, amount: int, event_id: str) -> tuple[bytes, dict]:  # type: ignore[type-arg]
    sandbox = get_processor("sandbox")
    assert isinstance(sandbox, SandboxProcessor)
    body = json.dumps({"id": event_id, "type": event_type, "created": 1,
                       "data": {"object": {"id": intent_id, "amount": amount,
                                           "currency": "usd"}}}).encode()
    return body, sandbox.sign_body(body)


def test_duplicate_replayed_out_of_order_and_forged_webhooks(session: Session, shop,  # type: ignore[no-untyped-def]
                                                             learner: Actor) -> None:
    _fill(session, learner, shop, "PY101")
    result = checkout(session=session, actor=learner, request=CheckoutRequest("webhooks-0001"))
    body, headers = _signed("payment_intent.succeeded", result.intent_id, 10_000, "evt_A")
    first = payments.receive_webhook(session=session, processor="sandbox", body=body,
                                     headers=headers)
    assert (first.status, first.detail) == ("processed", "order completed")
    again = payments.receive_webhook(session=session, processor="sandbox", body=body,
                                     headers=headers)
    assert again.status == "duplicate"
    late_fail, h2 = _signed("payment_intent.payment_failed", result.intent_id, 10_000, "evt_B")
    late = payments.receive_webhook(session=session, processor="sandbox", body=late_fail,
                                    headers=h2)
    assert late.status == "ignored"
    early, h3 = _signed("payment_intent.requires_action", result.intent_id, 10_000, "evt_C")
    assert payments.receive_webhook(session=session, processor="sandbox", body=early,
                                    headers=h3).status == "ignored"
    forged_headers = {**headers, "sandbox-signature": headers["sandbox-signature"][:-4] + "beef"}
    with pytest.raises(DomainError) as err:
        payments.receive_webhook(session=session, processor="sandbox",
                                 body=body.replace(b"evt_A", b"evt_Z"), headers=forged_headers)
    assert err.value.code == "invalid_signature"
    session.expire_all()
    assert session.get(Order, result.order_id).status == "completed"  # type: ignore[union-attr]
    assert len(_emails(session, "order-confirmation")) == 1
    assert len(_emails(session, "payment-failed")) == 0
    assert len(session.exec(select(Payment)).all()) == 1


def test_a_succeeded_event_with_the_wrong_amount_changes_nothing(session: Session, shop,  # type: ignore[no-untyped-def]
                                                                 learner: Actor) -> None:
    _fill(session, learner, shop, "PY101")
    result = checkout(session=session, actor=learner, request=CheckoutRequest("wrong-amount-1"))
    body, headers = _signed("payment_intent.succeeded", result.intent_id, 1, "evt_cheap")
    outcome = payments.receive_webhook(session=session, processor="sandbox", body=body,
                                       headers=headers)
    assert outcome.status == "ignored"
    assert session.get(Order, result.order_id).status == "pending"  # type: ignore[union-attr]


def test_event_for_an_unknown_intent_is_retried_then_dead_then_replayed(  # type: ignore[no-untyped-def]
    session: Session, shop, learner: Actor, super_admin: Actor, monkeypatch
) -> None:
    monkeypatch.setenv("COMMERCE_WEBHOOK_MAX_ATTEMPTS", "2")
    from commerce_dash.settings import get_settings

    get_settings.cache_clear()
    try:
        body, headers = _signed("payment_intent.succeeded", "sbpi_not_yet", 10_000, "evt_early")
        outcome = payments.receive_webhook(session=session, processor="sandbox", body=body,
                                           headers=headers)
        assert outcome.status == "failed"
        row = session.exec(select(PaymentEvent).where(PaymentEvent.event_id == "evt_early")).one()
        assert row.next_attempt_at is not None and row.next_attempt_at > utcnow()
        row.next_attempt_at = utcnow() - timedelta(seconds=1)
        row.received_at = utcnow() - timedelta(minutes=1)
        session.add(row)
        session.commit()
        assert payments.retry_due_events(session=session) == 1
        session.refresh(row)
        assert row.status == "dead" and "No payment for intent" in row.last_error
        # The order arrives; the admin replays the event and it settles the payment.
        _fill(session, learner, shop, "PY101")
        result = checkout(session=session, actor=learner, request=CheckoutRequest("replay-001"))
        row.intent_id = result.intent_id
        row.payload = {**(row.payload or {}), "data": {"object": {
            "id": result.intent_id, "amount": 10_000, "currency": "usd"}}}
        session.add(row)
        session.commit()
        assert row.id is not None
        replayed = payments.replay_event(session=session, actor=super_admin, event_row_id=row.id)
        assert replayed.status == "processed"
        assert session.get(Order, result.order_id).status == "completed"  # type: ignore[union-attr]
    finally:
        get_settings.cache_clear()


def test_a_free_cart_completes_without_a_processor(session: Session, shop, super_admin: Actor,  # type: ignore[no-untyped-def]
                                                   learner: Actor) -> None:
    make_code(session, super_admin, "ALLFREE", percent=100)
    _fill(session, learner, shop, "SQL101")
    cart_service.apply_code(session=session, owner=owner_of(learner), code="ALLFREE")
    result = checkout(session=session, actor=learner, request=CheckoutRequest("free-order-1"))
    assert (result.status, result.processor, result.total) == ("completed", "none", 0)
    assert session.exec(select(SandboxIntent)).all() == []
    assert len(_emails(session, "order-confirmation")) == 1


def test_repeated_failures_put_the_learner_under_review(session: Session, shop,  # type: ignore[no-untyped-def]
                                                        learner: Actor) -> None:
    _fill(session, learner, shop, "PY101")
    result = checkout(session=session, actor=learner, request=CheckoutRequest("review-0001"))
    for _ in range(5):
        payments.sandbox_pay(session=session, actor=learner, number=result.number, card=DECLINED)
    _fill(session, learner, shop, "PY201")
    with pytest.raises(DomainError) as err:
        checkout(session=session, actor=learner, request=CheckoutRequest("review-0002"))
    assert err.value.code == "payment_review"
    assert "being reviewed" in err.value.message


def test_janitor_expires_an_unpaid_checkout_and_gives_the_code_back(  # type: ignore[no-untyped-def]
    session: Session, shop, super_admin: Actor, learner: Actor
) -> None:
    make_code(session, super_admin, "ONCE", percent=10, max_uses=1)
    _fill(session, learner, shop, "PY101")
    cart_service.apply_code(session=session, owner=owner_of(learner), code="ONCE")
    result = checkout(session=session, actor=learner, request=CheckoutRequest("expire-0001"))
    order = session.get(Order, result.order_id)
    assert order is not None
    order.prices_locked_until = utcnow() - timedelta(minutes=1)
    session.add(order)
    session.commit()
    counts = payments.janitor(session=session)
    assert counts["expired"] == 1
    session.expire_all()
    order = session.get(Order, result.order_id)
    assert order is not None and order.status == "failed"
    assert session.get(SandboxIntent, result.intent_id).status == "canceled"  # type: ignore[union-attr]
    code = session.exec(select(DiscountCode).where(DiscountCode.code == "ONCE")).one()
    assert code.uses_count == 0
    assert session.exec(select(DiscountRedemption)).one().status == "released"
    # The cart is still there and can be checked out again with the code.
    again = checkout(session=session, actor=learner, request=CheckoutRequest("expire-0002"))
    assert again.total == 9_000


def test_other_learners_cannot_pay_or_see_my_order(session: Session, shop,  # type: ignore[no-untyped-def]
                                                   learner: Actor) -> None:
    _fill(session, learner, shop, "PY101")
    result = checkout(session=session, actor=learner, request=CheckoutRequest("mine-only-1"))
    other = create_user(session, "other@example.com")
    with pytest.raises(DomainError) as err:
        payments.sandbox_pay(session=session, actor=other, number=result.number, card=GOOD)
    assert err.value.code == "order_not_found"


def test_the_overview_shows_the_days_sales_to_billing_admins(session: Session, shop,  # type: ignore[no-untyped-def]
                                                             super_admin: Actor,
                                                             learner: Actor) -> None:
    from commerce_dash.domain.access import RoleName
    from commerce_dash.domain.actor import Grant
    from commerce_dash.services.commerce.overview import admin_overview

    _fill(session, learner, shop, "PY101", "SQL101")
    paid = checkout(session=session, actor=learner, request=CheckoutRequest("overview-001"))
    payments.sandbox_pay(session=session, actor=learner, number=paid.number, card=GOOD)
    _fill(session, learner, shop, "ML301")
    checkout(session=session, actor=learner, request=CheckoutRequest("overview-002"))
    billing = create_user(session, "bill@example.com", grants=(Grant(RoleName.BILLING_ADMIN),))
    sales = admin_overview(session=session, actor=billing).sales
    assert sales is not None
    assert (sales.orders_24h, sales.revenue_24h, sales.pending_checkouts) == (1, 18_000, 1)
    dept = create_user(session, "dept@example.com",
                       grants=(Grant(RoleName.DEPT_ADMIN, shop.department_id),))
    assert admin_overview(session=session, actor=dept).sales is None


def test_a_card_number_in_other_digits_is_refused_as_incorrect(session: Session, shop,  # type: ignore[no-untyped-def]
                                                                learner: Actor) -> None:
    _fill(session, learner, shop, "PY101")
    result = checkout(session=session, actor=learner, request=CheckoutRequest("odd-digits-1"))
    for number in ("⁴²⁴²⁴²⁴²⁴²⁴²⁴²⁴²", "４２４２４２４２４２４２４２４２"):
        answer = payments.sandbox_pay(session=session, actor=learner, number=result.number,
                                      card=CardInput(number, 12, 2040, "123"))
        assert answer.failure_message == "Your card number is incorrect."
