"""Issue 16: department subscriptions end to end on the sandbox, with time moved by the
sandbox's test clock (never by sleeping): subscribe with and without a trial, 3-D Secure on
the first payment, renewals paid, a failed renewal recovered inside the grace period, one
that runs past it (access suspended, then cancelled), cancel at period end and now (the
unused part to the refund queue), pause and resume, plan changes, self-enrollment while the
subscription gives access, duplicate and reordered webhooks, an unknown subscription's
webhook, and the money: every paid invoice an order whose amounts add up.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlmodel import Session, col, select

from commerce_dash.domain.actor import Actor
from commerce_dash.domain.errors import DomainError
from commerce_dash.models.commerce import Order, OrderLine, PaymentEvent, RefundRequest
from commerce_dash.models.delivery import OutboxMessage
from commerce_dash.models.enrollment import Enrollment, Registration
from commerce_dash.models.revenue import LedgerEntry
from commerce_dash.models.subscriptions import Subscription, SubscriptionInvoice
from commerce_dash.payments.factory import sandbox_secret
from commerce_dash.payments.sandbox import SandboxProcessor
from commerce_dash.payments.sandbox_cards import CHALLENGE_CARD, SUCCESS_CARD
from commerce_dash.services import catalog, commerce, enrollment
from commerce_dash.services.commerce import CartOwner
from commerce_dash.settings import get_settings
from tests.builders import a_learner, make_code

pytestmark = pytest.mark.usefixtures("both_databases")

DECLINE_CARD = "4000000000009995"  # insufficient funds


@pytest.fixture
def plans(session: Session, super_admin: Actor, shop) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """The shop's department sells a monthly plan ($29, no trial) and a quarterly one
    ($69, 14-day trial)."""
    monthly = catalog.create_price(session=session, actor=super_admin, item_type="subscription",
                                   item_id=shop.department_id, price_type="subscription",
                                   amount=2900, currency="USD", interval="monthly")
    quarterly = catalog.create_price(session=session, actor=super_admin,
                                     item_type="subscription", item_id=shop.department_id,
                                     price_type="subscription", amount=6900, currency="USD",
                                     interval="quarterly", trial_days=14)
    return {"monthly": monthly.id or 0, "quarterly": quarterly.id or 0}


def _advance(session: Session, days: int) -> None:
    commerce.advance_test_clock(session=session, days=days)


def _sub(session: Session, sub_id: int | None) -> Subscription:
    session.expire_all()
    row = session.get(Subscription, sub_id)
    assert row is not None
    return row


def _orders(session: Session, sub_id: int | None) -> list[Order]:
    session.expire_all()
    ids = session.exec(select(SubscriptionInvoice.order_id).where(
        SubscriptionInvoice.subscription_id == sub_id,
        col(SubscriptionInvoice.order_id).is_not(None))
        .order_by(col(SubscriptionInvoice.id))).all()
    return [o for o in (session.get(Order, i) for i in ids) if o is not None]


def _emails(session: Session, template: str) -> list[OutboxMessage]:
    return [m for m in session.exec(select(OutboxMessage)).all()
            if (m.payload or {}).get("template") == template]


def test_subscribe_without_a_trial_pays_at_once_and_renews_on_the_anchor_day(
        session: Session, learner: Actor, plans: dict[str, int]) -> None:
    sub = commerce.subscribe(session=session, actor=learner, price_id=plans["monthly"],
                             payment_method=SUCCESS_CARD)
    sub = _sub(session, sub.id)
    assert sub.status == "active" and sub.card_last4 == SUCCESS_CARD[-4:]
    first = _orders(session, sub.id)
    assert [(o.status, o.total) for o in first] == [("completed", 2900)]
    line = session.exec(select(OrderLine).where(OrderLine.order_id == first[0].id)).one()
    assert (line.item_type, line.item_id, line.list_amount, line.total) == (
        "subscription", sub.id, 2900, 2900)
    assert _emails(session, "subscription-invoice-paid")
    end = sub.current_period_end
    assert end is not None
    _advance(session, 31)
    sub = _sub(session, sub.id)
    assert sub.status == "active"
    assert [o.total for o in _orders(session, sub.id)] == [2900, 2900]
    assert sub.current_period_start == end
    view = commerce.get_subscription(session=session, actor=learner, ref=sub.id or 0)
    assert [i.status for i in view.invoices] == ["paid", "paid"]
    assert all(i.order_number.startswith("ORD-") for i in view.invoices)


def test_a_trial_charges_nothing_until_it_ends_and_reminds_before(
        session: Session, learner: Actor, plans: dict[str, int]) -> None:
    sub = commerce.subscribe(session=session, actor=learner, price_id=plans["quarterly"],
                             payment_method=SUCCESS_CARD)
    sub = _sub(session, sub.id)
    assert sub.status == "trialing" and _orders(session, sub.id) == []
    _advance(session, 12)
    assert _emails(session, "subscription-trial-ending")
    assert _sub(session, sub.id).status == "trialing" and _orders(session, sub.id) == []
    _advance(session, 3)
    sub = _sub(session, sub.id)
    assert sub.status == "active"
    assert [o.total for o in _orders(session, sub.id)] == [6900]


def test_three_d_secure_on_the_first_payment(
        session: Session, learner: Actor, plans: dict[str, int]) -> None:
    sub = commerce.subscribe(session=session, actor=learner, price_id=plans["monthly"],
                             payment_method=CHALLENGE_CARD)
    sub = _sub(session, sub.id)
    assert sub.status == "incomplete" and sub.client_secret
    outcome = commerce.complete_first_payment(session=session, actor=learner, ref=sub.id or 0,
                                              approve=True)
    assert outcome.subscription.status == "active"
    assert [o.total for o in _orders(session, sub.id)] == [2900]


def test_a_failed_renewal_recovers_inside_the_grace_period(
        session: Session, learner: Actor, plans: dict[str, int], shop) -> None:  # type: ignore[no-untyped-def]
    sub = commerce.subscribe(session=session, actor=learner, price_id=plans["monthly"],
                             payment_method=SUCCESS_CARD)
    commerce.update_card(session=session, actor=learner, ref=sub.id or 0,
                         payment_method=DECLINE_CARD)
    enrollment.self_enroll(session=session, actor=learner, course_id=shop.courses["PY101"],
                           now=commerce.billing_now(session))
    _advance(session, 31)
    sub = _sub(session, sub.id)
    assert sub.status == "past_due" and sub.grace_ends_at is not None
    failed = _emails(session, "subscription-payment-failed")
    assert failed and "/account/subscriptions" in json.dumps(failed[0].payload)
    # still inside the grace period: the learner keeps the course
    live = session.exec(select(Enrollment).where(Enrollment.user_id == learner.user_id)).all()
    assert [e.status for e in live] == ["active"]
    outcome = commerce.update_card(session=session, actor=learner, ref=sub.id or 0,
                                   payment_method=SUCCESS_CARD)
    assert outcome.subscription.status == "active"
    assert [o.total for o in _orders(session, sub.id)] == [2900, 2900]


def test_past_the_grace_period_access_ends_then_the_subscription(
        session: Session, learner: Actor, plans: dict[str, int], shop) -> None:  # type: ignore[no-untyped-def]
    sub = commerce.subscribe(session=session, actor=learner, price_id=plans["monthly"],
                             payment_method=SUCCESS_CARD)
    enrollment.self_enroll(session=session, actor=learner, course_id=shop.courses["PY101"],
                           now=commerce.billing_now(session))
    commerce.update_card(session=session, actor=learner, ref=sub.id or 0,
                         payment_method=DECLINE_CARD)
    _advance(session, 31)
    assert _sub(session, sub.id).status == "past_due"
    _advance(session, get_settings().subscription_grace_days + 1)
    sub = _sub(session, sub.id)
    assert sub.status == "cancelled" and sub.access_ended_at is not None
    ended = session.exec(select(Enrollment).where(Enrollment.user_id == learner.user_id)).all()
    assert [e.status for e in ended] == ["ended"]
    assert _emails(session, "subscription-cancelled")
    with pytest.raises(DomainError) as refused:
        enrollment.self_enroll(session=session, actor=learner, course_id=shop.courses["PY201"],
                               now=commerce.billing_now(session))
    assert refused.value.code == "subscription_required"


def test_self_enrollment_while_active_and_the_cart_refuses_included_courses(
        session: Session, learner: Actor, plans: dict[str, int], shop) -> None:  # type: ignore[no-untyped-def]
    commerce.subscribe(session=session, actor=learner, price_id=plans["monthly"],
                       payment_method=SUCCESS_CARD)
    row = enrollment.self_enroll(session=session, actor=learner,
                                 course_id=shop.courses["PY101"],
                                 now=commerce.billing_now(session))
    again = enrollment.self_enroll(session=session, actor=learner,
                                   course_id=shop.courses["PY101"],
                                   now=commerce.billing_now(session))
    assert row.id == again.id
    reg = session.exec(select(Registration).where(Registration.user_id == learner.user_id)
                       ).one()
    assert (reg.source, reg.order_id, reg.status) == ("subscription", None, "enrolled")
    with pytest.raises(DomainError) as refused:
        commerce.add_item(session=session, owner=CartOwner(user_id=learner.user_id),
                          item_type="course", item_id=shop.courses["PY201"])
    assert "included in your subscription" in refused.value.message


def test_subscribing_twice_is_refused_naming_the_first(
        session: Session, learner: Actor, plans: dict[str, int]) -> None:
    first = commerce.subscribe(session=session, actor=learner, price_id=plans["monthly"],
                               payment_method=SUCCESS_CARD)
    with pytest.raises(DomainError) as refused:
        commerce.subscribe(session=session, actor=learner, price_id=plans["quarterly"],
                           payment_method=SUCCESS_CARD)
    assert refused.value.code == "already_subscribed"
    assert f"SUB-{first.id:06d}" in refused.value.message


def test_cancel_at_period_end_keeps_access_until_then(
        session: Session, learner: Actor, plans: dict[str, int]) -> None:
    sub = commerce.subscribe(session=session, actor=learner, price_id=plans["monthly"],
                             payment_method=SUCCESS_CARD)
    outcome = commerce.cancel_subscription(session=session, actor=learner, ref=sub.id or 0,
                                           at_period_end=True)
    assert outcome.subscription.status == "active" and outcome.subscription.cancel_at_period_end
    again = commerce.cancel_subscription(session=session, actor=learner, ref=sub.id or 0,
                                         at_period_end=True)
    assert "already ends" in again.message
    _advance(session, 31)
    sub = _sub(session, sub.id)
    assert sub.status == "cancelled"
    assert [o.total for o in _orders(session, sub.id)] == [2900]


def test_cancel_now_sends_the_unused_part_to_the_refund_queue(
        session: Session, learner: Actor, plans: dict[str, int]) -> None:
    sub = commerce.subscribe(session=session, actor=learner, price_id=plans["monthly"],
                             payment_method=SUCCESS_CARD)
    _advance(session, 10)
    outcome = commerce.cancel_subscription(session=session, actor=learner, ref=sub.id or 0,
                                           at_period_end=False)
    assert outcome.subscription.status == "cancelled"
    request = session.get(RefundRequest, outcome.refund_request_id)
    assert request is not None and request.status == "requested"
    # 10 of the period's days used: the unused part of $29.00, rounded down
    assert 0 < request.amount < 2900
    order = _orders(session, sub.id)[0]
    assert request.order_id == order.id


def test_pause_stops_charges_and_resume_extends_the_period(
        session: Session, learner: Actor, plans: dict[str, int]) -> None:
    sub = commerce.subscribe(session=session, actor=learner, price_id=plans["monthly"],
                             payment_method=SUCCESS_CARD)
    end = _sub(session, sub.id).current_period_end
    assert end is not None
    commerce.pause_subscription(session=session, actor=learner, ref=sub.id or 0)
    _advance(session, 40)
    assert _sub(session, sub.id).status == "paused"
    assert len(_orders(session, sub.id)) == 1
    resumed = commerce.resume_subscription(session=session, actor=learner, ref=sub.id or 0)
    assert resumed.subscription.status == "active"
    assert resumed.subscription.current_period_end is not None
    assert resumed.subscription.current_period_end >= end + timedelta(days=39)


def test_a_subscriptions_code_applies_to_the_first_period_only(
        session: Session, learner: Actor, super_admin: Actor, plans: dict[str, int]) -> None:
    make_code(session, super_admin, "HALFSUB", percent=50)
    sub = commerce.subscribe(session=session, actor=learner, price_id=plans["monthly"],
                             code="HALFSUB", payment_method=SUCCESS_CARD)
    _advance(session, 31)
    assert [o.total for o in _orders(session, sub.id)] == [1450, 2900]
    first = _orders(session, sub.id)[0]
    assert (first.subtotal, first.discount_amount) == (2900, 1450)
    # each paid invoice is one sale in the ledger: the department's, no course, split exactly
    for order in _orders(session, sub.id):
        sale = session.exec(select(LedgerEntry).where(LedgerEntry.order_id == order.id)).one()
        assert (sale.course_id, sale.department_id) == (None, sub.department_id)
        assert sale.gross + sale.tax == order.total
        assert sale.platform_amount + sale.creator_amount + sale.instructor_amount == sale.net
        assert sale.net == sale.gross - sale.processor_fee


def test_duplicate_and_unknown_webhooks_change_nothing_twice(
        session: Session, learner: Actor, plans: dict[str, int]) -> None:
    sub = commerce.subscribe(session=session, actor=learner, price_id=plans["monthly"],
                             payment_method=SUCCESS_CARD)
    stored = session.exec(select(PaymentEvent).where(
        PaymentEvent.event_type == "invoice.paid")).one()
    sandbox = SandboxProcessor(webhook_secret=sandbox_secret(get_settings()), challenge_url="")
    body = json.dumps(stored.payload).encode()
    again = commerce.receive_webhook(session=session, processor="sandbox", body=body,
                                     headers=sandbox.sign_body(body))
    assert again.status == "duplicate"
    assert len(_orders(session, sub.id)) == 1
    stranger = dict(stored.payload or {})
    stranger["id"] = "evt_unknown_subscription"
    obj = dict(stranger["data"]["object"])
    obj.update(subscription="sbsub_nobody", subscription_details={"metadata": {}})
    stranger["data"] = {"object": obj}
    body = json.dumps(stranger).encode()
    outcome = commerce.receive_webhook(session=session, processor="sandbox", body=body,
                                       headers=sandbox.sign_body(body))
    assert outcome.status == "failed"
    row = session.exec(select(PaymentEvent).where(
        PaymentEvent.event_id == "evt_unknown_subscription")).one()
    assert "No subscription" in row.last_error


def test_an_older_subscription_event_does_not_undo_a_newer_one(
        session: Session, learner: Actor, plans: dict[str, int]) -> None:
    sub = commerce.subscribe(session=session, actor=learner, price_id=plans["monthly"],
                             payment_method=SUCCESS_CARD)
    commerce.pause_subscription(session=session, actor=learner, ref=sub.id or 0)
    older = session.exec(select(PaymentEvent).where(
        PaymentEvent.event_type == "customer.subscription.created")).one()
    replay = dict(older.payload or {})
    replay["id"] = "evt_replayed_old_state"
    body = json.dumps(replay).encode()
    sandbox = SandboxProcessor(webhook_secret=sandbox_secret(get_settings()), challenge_url="")
    commerce.receive_webhook(session=session, processor="sandbox", body=body,
                             headers=sandbox.sign_body(body))
    assert _sub(session, sub.id).status == "paused"


def test_an_upgrade_charges_the_difference_now_and_a_downgrade_waits(
        session: Session, learner: Actor, plans: dict[str, int]) -> None:
    sub = commerce.subscribe(session=session, actor=learner, price_id=plans["monthly"],
                             payment_method=SUCCESS_CARD)
    _advance(session, 15)
    up = commerce.change_plan(session=session, actor=learner, ref=sub.id or 0,
                              price_id=plans["quarterly"])
    assert up.subscription.interval == "quarterly"
    totals = [o.total for o in _orders(session, sub.id)]
    assert totals[0] == 2900 and len(totals) == 2 and 6900 - 2900 < totals[1] < 6900
    down = commerce.change_plan(session=session, actor=learner, ref=sub.id or 0,
                                price_id=plans["monthly"])
    assert down.subscription.interval == "quarterly"
    assert down.subscription.pending_price_id == plans["monthly"]


def test_a_second_learner_cannot_see_or_change_anothers_subscription(
        session: Session, learner: Actor, plans: dict[str, int]) -> None:
    sub = commerce.subscribe(session=session, actor=learner, price_id=plans["monthly"],
                             payment_method=SUCCESS_CARD)
    other = a_learner(session, "kim@example.com")
    with pytest.raises(DomainError) as refused:
        commerce.cancel_subscription(session=session, actor=other, ref=sub.id or 0)
    assert refused.value.code == "subscription_not_found"
