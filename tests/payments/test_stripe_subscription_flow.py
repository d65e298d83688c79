"""Issue 16 through Stripe (localstripe) as the department's processor, app level.

The learner subscribes through ``commerce.subscribe`` with a localstripe PaymentMethod made
from a test card. localstripe posts no subscription webhooks to us and has no test clocks, so
after each step the test builds the events Stripe would send from the REAL localstripe objects
(``StripeSubscriptions.subscription_object`` / ``invoice_object``) and delivers them signed
through ``commerce.receive_webhook(processor="stripe")`` with ``created`` times the test
controls (an :class:`EventClock` inside Stripe's 300 s signature tolerance). A renewal is an
invoice made at localstripe for the customer and subscription and paid there (tagged with
the next period and ``subscription_cycle`` the way ``StripeSubscriptions`` bridges localstripe);
the app's billing time (grace expiry) moves with the SandboxClock offset, never by sleeping.
"""

from __future__ import annotations

import contextlib
import json
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import stripe
from dateutil.relativedelta import relativedelta
from sqlmodel import Session, col, select

from commerce_dash.domain.actor import Actor
from commerce_dash.domain.errors import DomainError
from commerce_dash.models.commerce import Order, OrderLine
from commerce_dash.models.delivery import OutboxMessage
from commerce_dash.models.enrollment import Enrollment
from commerce_dash.models.subscriptions import SandboxClock, Subscription, SubscriptionInvoice
from commerce_dash.payments.factory import reset_processors
from commerce_dash.payments.stripe_processor import StripeProcessor
from commerce_dash.payments.stripe_subscriptions import (
    BILLING_REASON,
    PERIOD_END,
    PERIOD_START,
    StripeSubscriptions,
)
from commerce_dash.services import catalog, commerce, enrollment
from commerce_dash.settings import get_settings
from tests.payments.conftest import PUBLISHABLE_KEY, SECRET_KEY, WEBHOOK_SECRET
from tests.payments.localstripe_server import LocalStripe
from tests.payments.stripe_events import signed_stripe_event

DAY = 86_400
VISA = "4242424242424242"
MASTERCARD = "5555555555554444"
CHALLENGE = "4000002500003155"  # 3-D Secure required
CHARGE_FAILS = "4000000000000341"  # attaches, every charge declined


# -- set-up ----------------------------------------------------------------------------------


@dataclass
class StripeDept:
    department_id: int
    courses: dict[str, int]
    monthly: int  # $29.00 a month, no trial
    annual: int  # $290.00 a year, 14-day trial
    subs: StripeSubscriptions
    client: stripe.StripeClient
    base_url: str


@pytest.fixture
def stripe_dept(session: Session, super_admin: Actor, shop, localstripe_server: LocalStripe,  # type: ignore[no-untyped-def]
                monkeypatch: pytest.MonkeyPatch) -> Iterator[StripeDept]:
    """The shop's department (SHOP) bills through Stripe, everything else through the
    sandbox; it sells a monthly plan and an annual one with a trial."""
    monkeypatch.setenv("COMMERCE_PAYMENT_PROCESSOR", "sandbox")
    monkeypatch.setenv("COMMERCE_PROCESSOR_BY_DEPARTMENT", json.dumps({"SHOP": "stripe"}))
    monkeypatch.setenv("COMMERCE_STRIPE_SECRET_KEY", SECRET_KEY)
    monkeypatch.setenv("COMMERCE_STRIPE_PUBLISHABLE_KEY", PUBLISHABLE_KEY)
    monkeypatch.setenv("COMMERCE_STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET)
    monkeypatch.setenv("COMMERCE_STRIPE_API_BASE", localstripe_server.base_url)
    get_settings.cache_clear()
    reset_processors()
    monthly = catalog.create_price(session=session, actor=super_admin, item_type="subscription",
                                   item_id=shop.department_id, price_type="subscription",
                                   amount=2900, currency="USD", interval="monthly")
    annual = catalog.create_price(session=session, actor=super_admin, item_type="subscription",
                                  item_id=shop.department_id, price_type="subscription",
                                  amount=29000, currency="USD", interval="annual",
                                  trial_days=14)
    processor = StripeProcessor(secret_key=SECRET_KEY, webhook_secret=WEBHOOK_SECRET,
                                api_base=localstripe_server.base_url, max_network_retries=0,
                                timeout_seconds=10.0)
    client = stripe.StripeClient(SECRET_KEY, base_addresses={"api": localstripe_server.base_url},
                                 max_network_retries=0,
                                 http_client=stripe.RequestsClient(timeout=10.0))
    try:
        yield StripeDept(shop.department_id, shop.courses, monthly.id or 0, annual.id or 0,
                         StripeSubscriptions(processor), client, localstripe_server.base_url)
    finally:
        get_settings.cache_clear()
        reset_processors()


class EventClock:
    """The ``created`` time of each event Stripe would send, strictly increasing, starting a
    few minutes back so that every signature stays inside Stripe's 300 s tolerance."""

    def __init__(self) -> None:
        self.now = int(time.time()) - 200

    def tick(self) -> int:
        self.now += 1
        return self.now


@pytest.fixture
def events() -> EventClock:
    return EventClock()


def card(client: stripe.StripeClient, number: str) -> str:
    """A localstripe PaymentMethod for a test card number (what Stripe.js gives the page)."""
    return client.v1.payment_methods.create({
        "type": "card",
        "card": {"number": number, "exp_month": 12, "exp_year": 2034,
                 "cvc": "123"},  # type: ignore[typeddict-item]
    }).id


def deliver(session: Session, event_type: str, obj: dict[str, Any], *, created: int,
            event_id: str = "") -> tuple[str, tuple[bytes, dict[str, str]]]:
    """Stripe's signed event through the app's webhook intake: (outcome status, signed)."""
    signed = signed_stripe_event(event_type, obj, created=created, event_id=event_id)
    outcome = commerce.receive_webhook(session=session, processor="stripe", body=signed[0],
                                       headers=signed[1])
    return outcome.status, signed


def sub_row(session: Session, sub_id: int | None) -> Subscription:
    session.expire_all()
    row = session.get(Subscription, sub_id)
    assert row is not None
    return row


def orders(session: Session, sub_id: int | None) -> list[Order]:
    session.expire_all()
    ids = session.exec(select(SubscriptionInvoice.order_id).where(
        SubscriptionInvoice.subscription_id == sub_id,
        col(SubscriptionInvoice.order_id).is_not(None))
        .order_by(col(SubscriptionInvoice.id))).all()
    return [o for o in (session.get(Order, i) for i in ids) if o is not None]


def emails(session: Session, template: str) -> list[OutboxMessage]:
    session.expire_all()
    return [m for m in session.exec(select(OutboxMessage)).all()
            if (m.payload or {}).get("template") == template]


def enrollments(session: Session, learner: Actor) -> list[str]:
    session.expire_all()
    return [e.status for e in session.exec(select(Enrollment).where(
        Enrollment.user_id == learner.user_id)).all()]


def move_billing_clock(session: Session, days: float) -> None:
    """The app's billing time runs ``days`` ahead (SandboxClock, outside production only)."""
    clock = session.get(SandboxClock, 1) or SandboxClock(id=1)
    clock.offset_seconds = int(days * DAY)
    session.add(clock)
    session.commit()


def stripe_id(sub: Subscription) -> str:
    """The subscription's id at Stripe."""
    assert sub.processor_subscription_id
    return sub.processor_subscription_id


def remote_sub(dept: StripeDept, sub: Subscription) -> dict[str, Any]:
    """The real localstripe subscription, Stripe-shaped (what customer.subscription.* carry)."""
    return dept.subs.subscription_object(stripe_id(sub))


def first_invoice(dept: StripeDept, sub: Subscription) -> dict[str, Any]:
    ids = dept.subs.invoice_ids(stripe_id(sub))
    assert len(ids) == 1
    return dept.subs.invoice_object(ids[0])


def stamp(moment: datetime) -> int:
    """Unix seconds of a stored time (naive ones are UTC)."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return int(aware.timestamp())


def one_month_after(stamp: int) -> int:
    return int((datetime.fromtimestamp(stamp, UTC) + relativedelta(months=1)).timestamp())


def renewal_invoice(dept: StripeDept, sub: Subscription) -> str:
    """What Stripe does at the period end, made by hand at localstripe: an invoice of the
    subscription for the next period (its price line), tagged with that period and
    ``subscription_cycle`` as StripeSubscriptions reads localstripe's invoices, then paid
    with the customer's default card (a decline stays on the invoice). Returns its id."""
    remote = remote_sub(dept, sub)
    start = int(remote["current_period_end"])
    end = one_month_after(start)
    invoice = dept.client.v1.invoices.create({"customer": sub.processor_customer_id or "",
                                              "subscription": stripe_id(sub)})
    dept.client.v1.invoices.update(invoice.id, {"metadata": {
        BILLING_REASON: "subscription_cycle", PERIOD_START: str(start),
        PERIOD_END: str(end)}})
    with contextlib.suppress(stripe.CardError):  # a decline stays on the invoice's intent
        dept.client.v1.invoices.pay(invoice.id)
    # Stripe moves the subscription into the new period whether or not it is paid;
    # localstripe computes every period from the start, so the period the subscription
    # reports goes on its item's metadata (StripeSubscriptions reads it back from there)
    item_id = remote["items"]["data"][0]["id"]
    dept.client.v1.subscription_items.update(item_id, {"metadata": {
        PERIOD_START: str(start), PERIOD_END: str(end)}})
    return invoice.id


def as_stripe_reports_it(obj: dict[str, Any], status: str) -> dict[str, Any]:
    """localstripe leaves a subscription ``active`` when an invoice made by hand is declined
    (its past-due hook runs only on its own renewal path); Stripe marks it ``past_due``: the
    real object with the status Stripe would report."""
    return {**obj, "status": status}


def subscribed(session: Session, learner: Actor, dept: StripeDept, events: EventClock, *,
               number: str = VISA) -> Subscription:
    """Subscribed to the monthly plan, Stripe's first invoice.paid and
    customer.subscription.created delivered."""
    sub = commerce.subscribe(session=session, actor=learner, price_id=dept.monthly,
                             payment_method=card(dept.client, number))
    assert sub.status == "active", sub.status
    status, _ = deliver(session, "invoice.paid", first_invoice(dept, sub), created=events.tick())
    assert status == "processed"
    status, _ = deliver(session, "customer.subscription.created",
                        remote_sub(dept, sub),
                        created=events.tick())
    assert status == "processed"
    return sub_row(session, sub.id)


# -- subscribe -------------------------------------------------------------------------------


def test_subscribe_without_a_trial_is_charged_at_once_and_the_invoice_becomes_an_order(
        session: Session, learner: Actor, stripe_dept: StripeDept, events: EventClock) -> None:
    before = int(time.time()) - 5
    sub = commerce.subscribe(session=session, actor=learner, price_id=stripe_dept.monthly,
                             payment_method=card(stripe_dept.client, VISA))
    assert (sub.processor, sub.status) == ("stripe", "active")
    assert stripe_id(sub).startswith("sub_")
    assert (sub.card_brand, sub.card_last4) == ("visa", "4242")
    # nothing is an order until Stripe says the invoice is paid
    assert orders(session, sub.id) == []
    invoice = first_invoice(stripe_dept, sub)
    assert (invoice["status"], invoice["amount_paid"]) == ("paid", 2900)
    status, _ = deliver(session, "invoice.paid", invoice, created=events.tick())
    assert status == "processed"
    status, _ = deliver(session, "customer.subscription.created",
                        remote_sub(stripe_dept, sub),
                        created=events.tick())
    assert status == "processed"
    sub = sub_row(session, sub.id)
    assert sub.status == "active"
    paid = orders(session, sub.id)
    assert [(o.status, o.total, o.currency, o.processor) for o in paid] == [
        ("completed", 2900, "USD", "stripe")]
    line = session.exec(select(OrderLine).where(OrderLine.order_id == paid[0].id)).one()
    assert (line.item_type, line.item_id, line.total) == ("subscription", sub.id, 2900)
    view = commerce.get_subscription(session=session, actor=learner, ref=sub.id or 0)
    assert (view.status, view.processor, view.card, view.has_access) == (
        "active", "stripe", "visa •••• 4242", True)
    assert [(i.billing_reason, i.status, i.amount) for i in view.invoices] == [
        ("subscription_create", "paid", 2900)]
    assert view.invoices[0].order_number.startswith("ORD-")
    assert view.current_period_start is not None and view.current_period_end is not None
    assert stamp(view.current_period_start) >= before
    assert stamp(view.current_period_end) == one_month_after(stamp(view.current_period_start))
    assert len(emails(session, "subscription-invoice-paid")) == 1
    # the learner may now enroll in the department's courses
    enrollment.self_enroll(session=session, actor=learner, course_id=stripe_dept.courses["PY101"],
                           now=commerce.billing_now(session))
    assert enrollments(session, learner) == ["active"]


def test_a_trial_charges_nothing_reminds_once_then_the_first_charge_is_an_order(
        session: Session, learner: Actor, stripe_dept: StripeDept, events: EventClock) -> None:
    sub = commerce.subscribe(session=session, actor=learner, price_id=stripe_dept.annual,
                             payment_method=card(stripe_dept.client, VISA))
    sub = sub_row(session, sub.id)
    assert sub.status == "trialing" and sub.trial_ends_at is not None
    assert stripe_dept.subs.invoice_ids(stripe_id(sub)) == []
    assert orders(session, sub.id) == []
    obj = remote_sub(stripe_dept, sub)
    trial_end = int(obj["trial_end"])
    assert abs(trial_end - stamp(sub.trial_ends_at)) <= 5
    # three days before the trial ends Stripe sends trial_will_end (twice: once counts)
    for _ in range(2):
        deliver(session, "customer.subscription.trial_will_end", obj, created=events.tick())
    assert len(emails(session, "subscription-trial-ending")) == 1
    assert sub_row(session, sub.id).status == "trialing"
    # at the trial end Stripe charges the first year
    invoice_id = renewal_invoice(stripe_dept, sub)
    invoice = stripe_dept.subs.invoice_object(invoice_id)
    assert (invoice["status"], invoice["amount_paid"]) == ("paid", 29000)
    assert deliver(session, "invoice.paid", invoice, created=events.tick())[0] == "processed"
    deliver(session, "customer.subscription.updated",
            remote_sub(stripe_dept, sub),
            created=events.tick())
    sub = sub_row(session, sub.id)
    assert sub.status == "active"
    assert [(o.status, o.total) for o in orders(session, sub.id)] == [("completed", 29000)]
    assert len(emails(session, "subscription-invoice-paid")) == 1


def test_three_d_secure_on_the_first_payment(
        session: Session, learner: Actor, stripe_dept: StripeDept, events: EventClock) -> None:
    sub = commerce.subscribe(session=session, actor=learner, price_id=stripe_dept.monthly,
                             payment_method=card(stripe_dept.client, CHALLENGE))
    assert sub.status == "incomplete" and sub.client_secret
    view = commerce.get_subscription(session=session, actor=learner, ref=sub.id or 0)
    assert (view.status, view.has_access, view.client_secret) == (
        "incomplete", False, sub.client_secret)
    with pytest.raises(DomainError) as refused:
        enrollment.self_enroll(session=session, actor=learner,
                               course_id=stripe_dept.courses["PY101"],
                               now=commerce.billing_now(session))
    assert refused.value.code == "subscription_required"
    # Stripe asks for the payment's action: nothing is charged yet
    invoice = first_invoice(stripe_dept, sub)
    deliver(session, "invoice.payment_action_required", invoice, created=events.tick())
    assert sub_row(session, sub.id).status == "incomplete"
    assert orders(session, sub.id) == []
    # the learner passes the bank's challenge (what Stripe.js does in the page)
    intent_id = sub.client_secret.split("_secret_")[0]
    request = urllib.request.Request(
        f"{stripe_dept.base_url}/v1/payment_intents/{intent_id}/_authenticate?success=true",
        data=json.dumps({"key": PUBLISHABLE_KEY, "client_secret": sub.client_secret}).encode(),
        method="POST")
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 200
    assert deliver(session, "invoice.paid", first_invoice(stripe_dept, sub),
                   created=events.tick())[0] == "processed"
    deliver(session, "customer.subscription.updated",
            remote_sub(stripe_dept, sub),
            created=events.tick())
    sub = sub_row(session, sub.id)
    assert (sub.status, sub.client_secret) == ("active", "")
    assert [o.total for o in orders(session, sub.id)] == [2900]


# -- renewals --------------------------------------------------------------------------------


def test_a_renewal_paid_is_one_more_order_and_duplicates_change_nothing(
        session: Session, learner: Actor, stripe_dept: StripeDept, events: EventClock) -> None:
    sub = subscribed(session, learner, stripe_dept, events)
    first_end = sub.current_period_end
    assert first_end is not None
    invoice_id = renewal_invoice(stripe_dept, sub)
    invoice = stripe_dept.subs.invoice_object(invoice_id)
    assert (invoice["status"], invoice["amount_paid"], invoice["billing_reason"]) == (
        "paid", 2900, "subscription_cycle")
    status, paid_event = deliver(session, "invoice.paid", invoice, created=events.tick())
    assert status == "processed"
    updated = remote_sub(stripe_dept, sub)
    assert deliver(session, "customer.subscription.updated", updated,
                   created=events.tick())[0] == "processed"
    sub = sub_row(session, sub.id)
    assert sub.status == "active"
    assert [(o.status, o.total) for o in orders(session, sub.id)] == [
        ("completed", 2900), ("completed", 2900)]
    # the new period starts where the paid one ended (as Stripe reports it after renewing)
    assert sub.current_period_start == first_end
    view = commerce.get_subscription(session=session, actor=learner, ref=sub.id or 0)
    assert sorted((i.billing_reason, i.status) for i in view.invoices) == [
        ("subscription_create", "paid"), ("subscription_cycle", "paid")]
    assert len(emails(session, "subscription-invoice-paid")) == 2
    # the same event again (Stripe retries deliveries): duplicate, nothing twice
    again = commerce.receive_webhook(session=session, processor="stripe", body=paid_event[0],
                                     headers=paid_event[1])
    assert again.status == "duplicate"
    # the same invoice paid under another event id: still one order for it
    status, _ = deliver(session, "invoice.payment_succeeded", invoice, created=events.tick())
    assert status == "ignored"
    assert len(orders(session, sub.id)) == 2
    assert len(emails(session, "subscription-invoice-paid")) == 2


def test_a_failed_renewal_recovered_inside_the_grace_period(
        session: Session, learner: Actor, stripe_dept: StripeDept, events: EventClock) -> None:
    sub = subscribed(session, learner, stripe_dept, events)
    enrollment.self_enroll(session=session, actor=learner, course_id=stripe_dept.courses["PY101"],
                           now=commerce.billing_now(session))
    # the card on file starts declining
    commerce.update_card(session=session, actor=learner, ref=sub.id or 0,
                         payment_method=card(stripe_dept.client, CHARGE_FAILS))
    invoice_id = renewal_invoice(stripe_dept, sub)
    invoice = stripe_dept.subs.invoice_object(invoice_id)
    assert (invoice["status"], invoice["amount_paid"]) == ("open", 0)
    assert deliver(session, "invoice.payment_failed", invoice,
                   created=events.tick())[0] == "processed"
    remote = remote_sub(stripe_dept, sub)
    assert remote["status"] == "active"  # localstripe's limit, see as_stripe_reports_it
    deliver(session, "customer.subscription.updated", as_stripe_reports_it(remote, "past_due"),
            created=events.tick())
    sub = sub_row(session, sub.id)
    assert sub.status == "past_due" and sub.grace_ends_at is not None
    failed = emails(session, "subscription-payment-failed")
    assert len(failed) == 1 and "/account/subscriptions" in json.dumps(failed[0].payload)
    view = commerce.get_subscription(session=session, actor=learner, ref=sub.id or 0)
    failed_invoice = next(i for i in view.invoices if i.processor_invoice_id == invoice_id)
    assert (failed_invoice.status, failed_invoice.failure_message) == (
        "failed", "Your card was declined.")
    assert view.has_access is True
    # days later, still inside the grace period: the learner keeps the course
    move_billing_clock(session, get_settings().subscription_grace_days - 1)
    assert commerce.expire_grace(session=session) == 0
    assert enrollments(session, learner) == ["active"]
    # a new card pays the open invoice at Stripe; Stripe says so
    outcome = commerce.update_card(session=session, actor=learner, ref=sub.id or 0,
                                   payment_method=card(stripe_dept.client, MASTERCARD))
    assert outcome.subscription.card_last4 == "4444"
    paid = stripe_dept.subs.invoice_object(invoice_id)
    assert paid["status"] == "paid"
    assert deliver(session, "invoice.paid", paid, created=events.tick())[0] == "processed"
    deliver(session, "customer.subscription.updated",
            remote_sub(stripe_dept, sub),
            created=events.tick())
    sub = sub_row(session, sub.id)
    assert (sub.status, sub.grace_ends_at, sub.next_retry_at) == ("active", None, None)
    assert [o.total for o in orders(session, sub.id)] == [2900, 2900]
    assert enrollments(session, learner) == ["active"]
    assert len(emails(session, "subscription-payment-failed")) == 1


def test_a_failed_renewal_past_the_grace_period_ends_access_then_cancels(
        session: Session, learner: Actor, stripe_dept: StripeDept, events: EventClock) -> None:
    sub = subscribed(session, learner, stripe_dept, events)
    enrollment.self_enroll(session=session, actor=learner, course_id=stripe_dept.courses["PY101"],
                           now=commerce.billing_now(session))
    commerce.update_card(session=session, actor=learner, ref=sub.id or 0,
                         payment_method=card(stripe_dept.client, CHARGE_FAILS))
    invoice = stripe_dept.subs.invoice_object(renewal_invoice(stripe_dept, sub))
    deliver(session, "invoice.payment_failed", invoice, created=events.tick())
    assert sub_row(session, sub.id).status == "past_due"
    move_billing_clock(session, get_settings().subscription_grace_days + 1)
    assert commerce.expire_grace(session=session) == 1
    sub = sub_row(session, sub.id)
    assert sub.status == "cancelled" and sub.access_ended_at is not None
    assert sub.cancel_reason == "Unpaid after the grace period"
    assert enrollments(session, learner) == ["ended"]
    assert len(emails(session, "subscription-cancelled")) == 1
    remote = remote_sub(stripe_dept, sub)
    assert remote["status"] == "canceled"
    # Stripe's own customer.subscription.deleted then changes nothing more
    deliver(session, "customer.subscription.deleted", remote, created=events.tick())
    assert sub_row(session, sub.id).status == "cancelled"
    assert len(emails(session, "subscription-cancelled")) == 1
    assert [o.total for o in orders(session, sub.id)] == [2900]
    assert commerce.expire_grace(session=session) == 0
    with pytest.raises(DomainError) as refused:
        enrollment.self_enroll(session=session, actor=learner,
                               course_id=stripe_dept.courses["PY201"],
                               now=commerce.billing_now(session))
    assert refused.value.code == "subscription_required"


# -- cancel, pause, resume -------------------------------------------------------------------


def test_cancel_at_period_end_keeps_access_until_stripe_ends_it(
        session: Session, learner: Actor, stripe_dept: StripeDept, events: EventClock) -> None:
    sub = subscribed(session, learner, stripe_dept, events)
    enrollment.self_enroll(session=session, actor=learner, course_id=stripe_dept.courses["PY101"],
                           now=commerce.billing_now(session))
    outcome = commerce.cancel_subscription(session=session, actor=learner, ref=sub.id or 0,
                                           at_period_end=True)
    assert (outcome.subscription.status, outcome.subscription.cancel_at_period_end) == (
        "active", True)
    remote = remote_sub(stripe_dept, sub)
    assert remote["cancel_at_period_end"] is True
    deliver(session, "customer.subscription.updated", remote, created=events.tick())
    view = commerce.get_subscription(session=session, actor=learner, ref=sub.id or 0)
    assert (view.status, view.cancel_at_period_end, view.has_access, view.next_charge_at) == (
        "active", True, True, None)
    assert enrollments(session, learner) == ["active"]
    # at the period end Stripe ends it and says so
    stripe_dept.client.v1.subscriptions.cancel(stripe_id(sub))
    ended = remote_sub(stripe_dept, sub)
    assert deliver(session, "customer.subscription.deleted", ended,
                   created=events.tick())[0] == "processed"
    sub = sub_row(session, sub.id)
    assert sub.status == "cancelled" and sub.cancelled_at is not None
    assert enrollments(session, learner) == ["ended"]
    assert len(emails(session, "subscription-cancelled")) == 1
    assert [o.total for o in orders(session, sub.id)] == [2900]


def test_pause_and_resume_and_an_older_event_does_not_move_the_status_back(
        session: Session, learner: Actor, stripe_dept: StripeDept, events: EventClock) -> None:
    sub = subscribed(session, learner, stripe_dept, events)
    end = sub.current_period_end
    assert end is not None
    outcome = commerce.pause_subscription(session=session, actor=learner, ref=sub.id or 0)
    assert outcome.subscription.status == "paused"
    paused_obj = remote_sub(stripe_dept, sub)
    assert paused_obj.get("pause_collection")
    paused_at = events.tick()
    assert deliver(session, "customer.subscription.updated", paused_obj,
                   created=paused_at)[0] == "processed"
    assert sub_row(session, sub.id).status == "paused"
    # ten days later the learner resumes: the paid period moves back by the pause
    move_billing_clock(session, 10)
    resumed = commerce.resume_subscription(session=session, actor=learner, ref=sub.id or 0)
    assert resumed.subscription.status == "active"
    new_end = resumed.subscription.current_period_end
    assert new_end is not None and new_end >= end + timedelta(days=10) - timedelta(seconds=5)
    active_obj = remote_sub(stripe_dept, sub)
    assert not active_obj.get("pause_collection")
    assert deliver(session, "customer.subscription.updated", active_obj,
                   created=events.tick())[0] == "processed"
    sub = sub_row(session, sub.id)
    assert sub.status == "active"
    # the pause's event arrives again, late, under another id: the status stays active
    deliver(session, "customer.subscription.updated", paused_obj, created=paused_at)
    sub = sub_row(session, sub.id)
    assert sub.status == "active"
    assert len(orders(session, sub.id)) == 1  # nothing was charged for the pause


# -- Stripe's current API shape ----------------------------------------------------------------


def test_an_invoice_event_in_the_pinned_api_version_finds_its_subscription(
        session: Session, learner: Actor, stripe_dept: StripeDept, events: EventClock) -> None:
    """Since API version 2025-03-31.basil (the SDK pins a later one) an invoice has no
    top-level ``subscription``: Stripe's invoice.* events name it, with the subscription's
    metadata, under ``parent.subscription_details``. localstripe already sends ``parent``;
    here the real invoice goes out as the pinned version sends it."""
    assert stripe.api_version >= "2025-03-31"
    sub = commerce.subscribe(session=session, actor=learner, price_id=stripe_dept.monthly,
                             payment_method=card(stripe_dept.client, VISA))
    invoice = first_invoice(stripe_dept, sub)
    assert invoice["parent"]["subscription_details"]["subscription"] == \
        stripe_id(sub)
    metadata = remote_sub(stripe_dept, sub)["metadata"]
    current = {key: value for key, value in invoice.items()
               if key not in ("subscription", "subscription_details")}
    current["parent"] = {"type": "subscription_details", "subscription_details": {
        "subscription": stripe_id(sub), "metadata": metadata}}
    status, _ = deliver(session, "invoice.paid", current, created=events.tick())
    assert status == "processed"
    assert [(o.status, o.total) for o in orders(session, sub.id)] == [("completed", 2900)]


def test_an_upgrade_charges_now_and_its_invoice_becomes_a_plan_change_order(
        session: Session, learner: Actor, stripe_dept: StripeDept, events: EventClock) -> None:
    sub = subscribed(session, learner, stripe_dept, events)
    first_id = first_invoice(stripe_dept, sub)["id"]
    outcome = commerce.change_plan(session=session, actor=learner, ref=sub.id or 0,
                                   price_id=stripe_dept.annual)
    assert outcome.subscription.interval == "annual"
    extra_id = next(i for i in stripe_dept.subs.invoice_ids(stripe_id(sub))
                    if i != first_id)
    invoice = stripe_dept.subs.invoice_object(extra_id)
    assert (invoice["status"], invoice["billing_reason"]) == ("paid", "subscription_update")
    charge = invoice["amount_paid"]
    assert 29000 - 2900 <= charge <= 29000
    assert deliver(session, "invoice.paid", invoice, created=events.tick())[0] == "processed"
    deliver(session, "customer.subscription.updated",
            remote_sub(stripe_dept, sub),
            created=events.tick())
    sub = sub_row(session, sub.id)
    assert (sub.status, sub.interval) == ("active", "annual")
    assert sub.current_period_start is not None and sub.current_period_end is not None
    assert stamp(sub.current_period_end) - stamp(sub.current_period_start) >= 365 * DAY
    assert [o.total for o in orders(session, sub.id)] == [2900, charge]
    view = commerce.get_subscription(session=session, actor=learner, ref=sub.id or 0)
    assert sorted(i.billing_reason for i in view.invoices) == [
        "subscription_create", "subscription_update"]
    assert len(emails(session, "subscription-invoice-paid")) == 2
