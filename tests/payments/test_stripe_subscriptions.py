"""StripeSubscriptions against a real localstripe: every object it returns is parsed with
the app's own parse_subscription / parse_invoice, and Stripe-signed events around the real
objects go through StripeProcessor.verify_webhook as the app would receive them."""

from __future__ import annotations

import json
import time
import urllib.request
import uuid
from datetime import UTC, datetime
from urllib.parse import parse_qs

import pytest
import stripe
from dateutil.relativedelta import relativedelta

from commerce_dash.domain.subscriptions import add_months
from commerce_dash.payments.base import (
    CreateSubscription,
    EventKind,
    IntentStatus,
    ProcessorError,
    ProcessorSubscription,
    SubscriptionProcessor,
    WebhookSignatureError,
)
from commerce_dash.payments.events import parse_invoice, parse_subscription
from commerce_dash.payments.stripe_processor import StripeProcessor
from commerce_dash.payments.stripe_subscriptions import StripeSubscriptions
from tests.payments.conftest import PUBLISHABLE_KEY, WEBHOOK_SECRET, LoopbackServer, Reply
from tests.payments.stripe_events import signed_stripe_event

DAY = 86_400


@pytest.fixture
def subs(stripe_processor: StripeProcessor) -> StripeSubscriptions:
    return StripeSubscriptions(stripe_processor)


def card(client: stripe.StripeClient, number: str) -> str:
    return client.v1.payment_methods.create({
        "type": "card",
        "card": {"number": number, "exp_month": 12, "exp_year": 2034,
                 "cvc": "123"},  # type: ignore[typeddict-item]
    }).id


def subscribe(subs: StripeSubscriptions, payment_method: str = "pm_card_visa", *,
              amount: int = 2_500, first_amount: int | None = None, trial_days: int = 0,
              interval: str = "monthly") -> ProcessorSubscription:
    key = uuid.uuid4().hex[:10]
    return subs.create_subscription(CreateSubscription(
        customer_email="learner@example.com", customer_name="Ada Learner", currency="USD",
        amount=amount, first_amount=amount if first_amount is None else first_amount,
        interval=interval, trial_days=trial_days, idempotency_key=f"sub-{key}",
        description="Engineering, monthly", payment_method=payment_method,
        metadata={"subscription_id": "41", "department": "ENG"}))


def one_month_after(start: int) -> int:
    return int((datetime.fromtimestamp(start) + relativedelta(months=1)).timestamp())


def test_it_is_a_subscription_processor(subs: StripeSubscriptions) -> None:
    assert isinstance(subs, SubscriptionProcessor)
    assert subs.name == "stripe" and subs.localstripe_compat is True
    assert "sk_test" not in repr(subs)


def test_a_subscription_without_trial_is_paid_at_once(subs: StripeSubscriptions) -> None:
    before = int(time.time())
    sub = subscribe(subs)
    assert (sub.status, sub.paused, sub.cancel_at_period_end) == ("active", False, False)
    assert sub.subscription_id.startswith("sub_") and sub.customer_id.startswith("cus_")
    assert before <= sub.current_period_start <= int(time.time())
    assert sub.current_period_end == one_month_after(sub.current_period_start)
    assert (sub.card_brand, sub.card_last4) == ("visa", "4242")
    assert sub.metadata == {"subscription_id": "41", "department": "ENG"}
    assert sub.intent_status is IntentStatus.SUCCEEDED and sub.intent_id.startswith("pi_")
    invoice = sub.latest_invoice
    assert invoice is not None
    assert (invoice.status, invoice.currency, invoice.amount_due, invoice.amount_paid) == (
        "paid", "USD", 2_500, 2_500)
    assert (invoice.subscription_id, invoice.billing_reason, invoice.intent_id) == (
        sub.subscription_id, "subscription_create", sub.intent_id)
    assert (invoice.period_start, invoice.period_end) == (
        sub.current_period_start, sub.current_period_end)
    # the same, read back from Stripe
    again = subs.retrieve_subscription(sub.subscription_id)
    assert (again.status, again.latest_invoice) == ("active", invoice)


def test_a_first_period_discount_lowers_only_the_first_invoice(
        subs: StripeSubscriptions) -> None:
    sub = subscribe(subs, amount=3_000, first_amount=2_100)
    assert sub.latest_invoice is not None
    assert (sub.latest_invoice.amount_due, sub.latest_invoice.amount_paid) == (2_100, 2_100)
    plan = subs.subscription_object(sub.subscription_id)["items"]["data"][0]["plan"]
    assert (plan["amount"], plan["interval"], plan["interval_count"]) == (3_000, "month", 1)


@pytest.mark.parametrize(("interval", "unit", "count"), [
    ("quarterly", "month", 3), ("annual", "year", 1)])
def test_intervals_become_stripe_recurring_prices(
        subs: StripeSubscriptions, interval: str, unit: str, count: int) -> None:
    sub = subscribe(subs, interval=interval)
    plan = subs.subscription_object(sub.subscription_id)["items"]["data"][0]["plan"]
    assert (plan["interval"], plan["interval_count"], plan["currency"]) == (unit, count, "usd")


def test_an_unknown_interval_is_refused(subs: StripeSubscriptions) -> None:
    with pytest.raises(ProcessorError) as refused:
        subscribe(subs, interval="weekly")
    assert refused.value.code == "invalid_interval" and not refused.value.retryable


def test_a_trial_charges_nothing_until_it_ends(
        subs: StripeSubscriptions, stripe_client: stripe.StripeClient) -> None:
    before = int(time.time())
    sub = subscribe(subs, trial_days=14)
    assert sub.status == "trialing"
    assert before + 14 * DAY <= sub.trial_end <= int(time.time()) + 14 * DAY
    assert sub.current_period_end == sub.trial_end
    assert sub.latest_invoice is None and sub.intent_id == ""
    assert stripe_client.v1.invoices.list({"customer": sub.customer_id}).data == []
    assert stripe_client.v1.charges.list({"customer": sub.customer_id}).data == []


def test_three_d_secure_on_the_first_payment(
        subs: StripeSubscriptions, stripe_client: stripe.StripeClient, localstripe: str) -> None:
    sub = subscribe(subs, card(stripe_client, "4000002500003155"))
    assert (sub.status, sub.intent_status) == ("incomplete", IntentStatus.REQUIRES_ACTION)
    assert sub.client_secret.startswith(sub.intent_id + "_secret_")
    assert sub.latest_invoice is not None and sub.latest_invoice.status == "open"
    # the learner passes the bank's challenge (what Stripe.js does in the page)
    request = urllib.request.Request(
        f"{localstripe}/v1/payment_intents/{sub.intent_id}/_authenticate?success=true",
        data=json.dumps({"key": PUBLISHABLE_KEY, "client_secret": sub.client_secret}).encode(),
        method="POST")
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 200
    done = subs.retrieve_subscription(sub.subscription_id)
    assert (done.status, done.intent_status) == ("active", IntentStatus.SUCCEEDED)
    assert done.latest_invoice is not None
    assert (done.latest_invoice.status, done.latest_invoice.amount_paid) == ("paid", 2_500)


def test_a_declined_first_payment_leaves_it_incomplete_until_a_new_card_pays(
        subs: StripeSubscriptions, stripe_client: stripe.StripeClient) -> None:
    sub = subscribe(subs, "pm_card_chargeCustomerFail")
    assert sub.status == "incomplete"
    assert sub.intent_status is IntentStatus.REQUIRES_PAYMENT
    invoice = sub.latest_invoice
    assert invoice is not None
    assert (invoice.status, invoice.amount_paid) == ("open", 0)
    assert (invoice.failure_code, invoice.failure_message) == (
        "card_declined", "Your card was declined.")
    fixed = subs.update_payment_method(sub.subscription_id, card(stripe_client,
                                                                 "5555555555554444"))
    assert fixed.status == "active" and fixed.card_last4 == "4444"
    assert fixed.latest_invoice is not None
    assert (fixed.latest_invoice.invoice_id, fixed.latest_invoice.status,
            fixed.latest_invoice.amount_paid) == (invoice.invoice_id, "paid", 2_500)
    assert fixed.intent_id != sub.intent_id  # a new payment of the same invoice
    assert subs.invoice_ids(sub.subscription_id) == [invoice.invoice_id]


def test_a_card_refused_when_saved_is_a_card_error_not_retried(
        subs: StripeSubscriptions, stripe_client: stripe.StripeClient) -> None:
    with pytest.raises(ProcessorError) as refused:
        subscribe(subs, card(stripe_client, "4000000000000002"))
    assert (refused.value.code, refused.value.message, refused.value.retryable) == (
        "card_declined", "Your card was declined.", False)


def test_an_unreachable_stripe_is_retryable(stripe_processor: StripeProcessor) -> None:
    down = StripeSubscriptions(StripeProcessor(
        secret_key="sk_test_x", webhook_secret=WEBHOOK_SECRET, api_base="http://127.0.0.1:9",
        max_network_retries=0, timeout_seconds=2.0))
    with pytest.raises(ProcessorError) as failed:
        down.retrieve_subscription("sub_missing")
    assert failed.value.retryable and failed.value.code == "api_connection_error"


def test_an_unknown_subscription_is_not_found(subs: StripeSubscriptions) -> None:
    with pytest.raises(ProcessorError) as missing:
        subs.retrieve_subscription("sub_doesnotexist")
    assert not missing.value.retryable


def test_cancel_at_period_end_then_undo(subs: StripeSubscriptions) -> None:
    sub = subscribe(subs)
    ending = subs.cancel_subscription(sub.subscription_id, at_period_end=True)
    assert (ending.status, ending.cancel_at_period_end) == ("active", True)
    assert ending.current_period_end == sub.current_period_end
    kept = subs.undo_cancel(sub.subscription_id)
    assert (kept.status, kept.cancel_at_period_end) == ("active", False)


def test_cancel_now(subs: StripeSubscriptions) -> None:
    sub = subscribe(subs)
    before = int(time.time())
    ended = subs.cancel_subscription(sub.subscription_id, at_period_end=False)
    assert ended.status == "canceled"
    assert before <= ended.canceled_at <= int(time.time())


def test_pause_then_resume_at_the_extended_period_end(subs: StripeSubscriptions) -> None:
    sub = subscribe(subs)
    paused = subs.pause_subscription(sub.subscription_id)
    assert paused.paused is True
    assert paused.trial_end >= int(time.time()) + 700 * DAY  # nothing falls due
    resume_at = sub.current_period_end + 9 * DAY
    resumed = subs.resume_subscription(sub.subscription_id, period_end=resume_at)
    assert (resumed.paused, resumed.status, resumed.trial_end) == (False, "active", resume_at)
    assert subs.invoice_ids(sub.subscription_id) == [sub.latest_invoice.invoice_id
                                                     if sub.latest_invoice else ""]


def test_change_amount_with_a_charge_now_invoices_exactly_that_once(
        subs: StripeSubscriptions, stripe_client: stripe.StripeClient) -> None:
    sub = subscribe(subs)
    first = sub.latest_invoice
    assert first is not None
    changed = subs.change_amount(sub.subscription_id, amount=4_000, charge_now=1_234,
                                 idempotency_key="upgrade-41-1")
    plan = subs.subscription_object(sub.subscription_id)["items"]["data"][0]["plan"]
    assert plan["amount"] == 4_000
    assert changed.status == "active"
    ids = subs.invoice_ids(sub.subscription_id)
    assert len(ids) == 2 and first.invoice_id in ids
    extra = parse_invoice(subs.invoice_object(next(i for i in ids if i != first.invoice_id)))
    assert (extra.status, extra.currency, extra.amount_due, extra.amount_paid) == (
        "paid", "USD", 1_234, 1_234)
    assert (extra.subscription_id, extra.billing_reason) == (
        sub.subscription_id, "subscription_update")
    assert extra.intent_id.startswith("pi_")
    # a retry with the same key charges nothing more
    subs.change_amount(sub.subscription_id, amount=4_000, charge_now=1_234,
                       idempotency_key="upgrade-41-1")
    assert sorted(subs.invoice_ids(sub.subscription_id)) == sorted(ids)
    # no proration by Stripe left waiting for the next invoice
    assert stripe_client.v1.invoice_items.list({"customer": sub.customer_id}).data == []


def test_change_amount_without_charge_applies_from_the_next_period(
        subs: StripeSubscriptions, stripe_client: stripe.StripeClient) -> None:
    sub = subscribe(subs)
    changed = subs.change_amount(sub.subscription_id, amount=1_500, charge_now=0,
                                 idempotency_key="downgrade-41-1")
    plan = subs.subscription_object(sub.subscription_id)["items"]["data"][0]["plan"]
    assert (plan["amount"], plan["interval"]) == (1_500, "month")
    assert (changed.status, changed.current_period_end) == ("active", sub.current_period_end)
    assert changed.latest_invoice == sub.latest_invoice
    assert stripe_client.v1.invoice_items.list({"customer": sub.customer_id}).data == []


def charged(client: stripe.StripeClient, customer_id: str) -> list[int]:
    return sorted(c.amount for c in client.v1.charges.list({"customer": customer_id}).data
                  if c.status == "succeeded")


def test_monthly_to_annual_with_a_restart_charges_the_difference_and_starts_a_year_now(
        stripe_processor: StripeProcessor, stripe_client: stripe.StripeClient) -> None:
    now = int(time.time())
    subs = StripeSubscriptions(stripe_processor, now=lambda: now)
    sub = subscribe(subs)
    assert sub.latest_invoice is not None
    a_year_on = int(add_months(datetime.fromtimestamp(now, UTC), 12).timestamp())

    changed = subs.change_amount(sub.subscription_id, amount=25_000, charge_now=23_400,
                                 idempotency_key="upgrade-41-annual", interval="annual",
                                 restart_period=True)

    assert (changed.status, changed.current_period_start, changed.current_period_end) == (
        "active", now, a_year_on)
    plan = subs.subscription_object(sub.subscription_id)["items"]["data"][0]["plan"]
    assert (plan["amount"], plan["interval"], plan["interval_count"]) == (25_000, "year", 1)
    ids = subs.invoice_ids(sub.subscription_id)
    assert len(ids) == 2 and sub.latest_invoice.invoice_id in ids
    extra = parse_invoice(subs.invoice_object(
        next(i for i in ids if i != sub.latest_invoice.invoice_id)))
    assert (extra.status, extra.amount_due, extra.amount_paid, extra.billing_reason) == (
        "paid", 23_400, 23_400, "subscription_update")
    assert (extra.period_start, extra.period_end) == (now, a_year_on)
    assert changed.latest_invoice == extra
    assert charged(stripe_client, sub.customer_id) == [2_500, 23_400]
    assert stripe_client.v1.invoice_items.list({"customer": sub.customer_id}).data == []
    again = subs.retrieve_subscription(sub.subscription_id)
    assert (again.current_period_start, again.current_period_end) == (now, a_year_on)

    # a repeat with the same key charges nothing and moves nothing
    repeat = subs.change_amount(sub.subscription_id, amount=25_000, charge_now=23_400,
                                idempotency_key="upgrade-41-annual", interval="annual",
                                restart_period=True)
    assert (repeat.current_period_start, repeat.current_period_end) == (now, a_year_on)
    assert sorted(subs.invoice_ids(sub.subscription_id)) == sorted(ids)
    assert charged(stripe_client, sub.customer_id) == [2_500, 23_400]


def test_a_restart_in_the_same_interval_charges_exactly_the_charge_now(
        stripe_processor: StripeProcessor, stripe_client: stripe.StripeClient) -> None:
    now = int(time.time())
    subs = StripeSubscriptions(stripe_processor, now=lambda: now)
    sub = subscribe(subs)
    changed = subs.change_amount(sub.subscription_id, amount=4_000, charge_now=3_100,
                                 idempotency_key="upgrade-41-restart", restart_period=True)
    a_month_on = int(add_months(datetime.fromtimestamp(now, UTC), 1).timestamp())
    assert (changed.current_period_start, changed.current_period_end) == (now, a_month_on)
    assert changed.latest_invoice is not None
    assert (changed.latest_invoice.amount_paid, changed.latest_invoice.billing_reason) == (
        3_100, "subscription_update")
    subs.change_amount(sub.subscription_id, amount=4_000, charge_now=3_100,
                       idempotency_key="upgrade-41-restart", restart_period=True)
    assert charged(stripe_client, sub.customer_id) == [2_500, 3_100]


def test_annual_to_monthly_without_restart_keeps_the_paid_year(
        subs: StripeSubscriptions, stripe_client: stripe.StripeClient) -> None:
    sub = subscribe(subs, amount=25_000, interval="annual")
    changed = subs.change_amount(sub.subscription_id, amount=2_500, charge_now=0,
                                 idempotency_key="downgrade-41-monthly", interval="monthly")
    assert (changed.status, changed.current_period_start, changed.current_period_end) == (
        "active", sub.current_period_start, sub.current_period_end)
    plan = subs.subscription_object(sub.subscription_id)["items"]["data"][0]["plan"]
    assert (plan["amount"], plan["interval"], plan["interval_count"]) == (2_500, "month", 1)
    assert charged(stripe_client, sub.customer_id) == [25_000]
    assert stripe_client.v1.invoice_items.list({"customer": sub.customer_id}).data == []
    ids = subs.invoice_ids(sub.subscription_id)
    assert sum(parse_invoice(subs.invoice_object(i)).amount_paid for i in ids) == 25_000

    repeat = subs.change_amount(sub.subscription_id, amount=2_500, charge_now=0,
                                idempotency_key="downgrade-41-monthly", interval="monthly")
    assert (repeat.current_period_start, repeat.current_period_end) == (
        sub.current_period_start, sub.current_period_end)
    assert sorted(subs.invoice_ids(sub.subscription_id)) == sorted(ids)
    assert charged(stripe_client, sub.customer_id) == [25_000]


def test_change_to_an_unknown_interval_is_refused(subs: StripeSubscriptions) -> None:
    sub = subscribe(subs)
    with pytest.raises(ProcessorError) as refused:
        subs.change_amount(sub.subscription_id, amount=2_500, charge_now=0,
                           idempotency_key="weekly-41", interval="weekly")
    assert refused.value.code == "invalid_interval" and not refused.value.retryable


def test_real_stripe_restart_resets_the_anchor_without_prorations(
        loopback: LoopbackServer) -> None:
    """Against a scripted Stripe: the request real Stripe would get for a restart."""
    subs = StripeSubscriptions(StripeProcessor(
        "sk_test_x", WEBHOOK_SECRET, loopback.url, max_network_retries=0, timeout_seconds=5,
        localstripe_compat=False))
    loopback.replies.extend([
        Reply(body={"id": "sub_1", "object": "subscription", "customer": "cus_1",
                    "items": {"data": [{"id": "si_1", "quantity": 1, "price": {
                        "id": "price_m", "unit_amount": 2_500, "currency": "usd",
                        "recurring": {"interval": "month", "interval_count": 1},
                        "product": {"id": "prod_1", "name": "Engineering"}}}]}}),
        Reply(body={"object": "list", "data": []}),  # no invoice with our key yet
        Reply(body={"id": "ii_1", "object": "invoiceitem"}),
        Reply(body={"id": "prod_2", "object": "product"}),
        Reply(body={"id": "sub_1", "object": "subscription",
                    "latest_invoice": {"id": "in_2", "object": "invoice", "status": "paid"}}),
        Reply(body={"id": "in_2", "object": "invoice", "status": "paid"}),
    ])
    subs.change_amount("sub_1", amount=25_000, charge_now=23_400, idempotency_key="up-1",
                       interval="annual", restart_period=True)
    posts = [(r.path, parse_qs(r.body.decode())) for r in loopback.requests
             if r.method == "POST"]
    item = next(body for path, body in posts if path == "/v1/invoiceitems")
    assert (item["amount"], item["subscription"]) == (["-1600"], ["sub_1"])
    update = next(body for path, body in posts if path == "/v1/subscriptions/sub_1")
    assert update["billing_cycle_anchor[type]"] == ["now"]
    assert update["proration_behavior"] == ["none"]
    assert update["items[0][id]"] == ["si_1"]
    assert (update["items[0][price_data][unit_amount]"],
            update["items[0][price_data][recurring][interval]"]) == (["25000"], ["year"])
    tagged = next(body for path, body in posts if path == "/v1/invoices/in_2")
    assert tagged["metadata[commerce_idempotency_key]"] == ["up-1"]


# -- signed events around real localstripe objects ------------------------------------


def test_signed_invoice_and_subscription_events_parse_like_the_objects(
        subs: StripeSubscriptions, stripe_processor: StripeProcessor) -> None:
    sub = subscribe(subs)
    assert sub.latest_invoice is not None
    invoice = subs.invoice_object(sub.latest_invoice.invoice_id)
    body, headers = signed_stripe_event("invoice.paid", invoice, created=int(time.time()))
    event = stripe_processor.verify_webhook(body, headers)
    assert (event.kind, event.event_type, event.amount, event.currency) == (
        EventKind.INVOICE, "invoice.paid", 2_500, "USD")
    assert event.invoice == parse_invoice(invoice) == sub.latest_invoice

    obj = subs.subscription_object(sub.subscription_id)
    body, headers = signed_stripe_event("customer.subscription.updated", obj,
                                        created=int(time.time()))
    event = stripe_processor.verify_webhook(body, headers)
    assert event.kind is EventKind.SUBSCRIPTION and event.subscription is not None
    parsed = parse_subscription(obj)
    assert (event.subscription.subscription_id, event.subscription.status,
            event.subscription.current_period_end, event.subscription.latest_invoice) == (
        sub.subscription_id, "active", sub.current_period_end, parsed.latest_invoice)

    forged = {"Stripe-Signature": headers["Stripe-Signature"].replace("v1=", "v1=0")}
    with pytest.raises(WebhookSignatureError):
        stripe_processor.verify_webhook(body, forged)
    _, other = signed_stripe_event("invoice.paid", invoice, "whsec_other",
                                   created=int(time.time()))
    with pytest.raises(WebhookSignatureError):
        stripe_processor.verify_webhook(body, other)


def test_a_failed_invoice_event_carries_the_decline(
        subs: StripeSubscriptions, stripe_processor: StripeProcessor) -> None:
    sub = subscribe(subs, "pm_card_chargeCustomerFail")
    assert sub.latest_invoice is not None
    invoice = subs.invoice_object(sub.latest_invoice.invoice_id)
    body, headers = signed_stripe_event("invoice.payment_failed", invoice,
                                        created=int(time.time()))
    event = stripe_processor.verify_webhook(body, headers)
    assert event.kind is EventKind.INVOICE and event.invoice is not None
    assert (event.invoice.status, event.invoice.subscription_id, event.failure_code,
            event.failure_message) == ("open", sub.subscription_id, "card_declined",
                                       "Your card was declined.")
