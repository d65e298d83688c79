"""Issue 16, the learner's side, driven through the page states as a browser would (no
server): the subscribe page (plans, the quote, a code, the card, 3-D Secure, a decline, a
second subscription), My subscriptions (status, next charge, invoices, pause, resume, cancel),
and the course and department pages of courses a subscription includes."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
import reflex as rx
import stripe
from reflex.constants import RouteArgType
from sqlmodel import Session, select

from commerce_dash import routes
from commerce_dash.domain.actor import Actor
from commerce_dash.models.enrollment import Registration
from commerce_dash.pages.store.course import CourseState
from commerce_dash.pages.store.department import DepartmentState
from commerce_dash.pages.store.subscribe import subscribe_page
from commerce_dash.pages.store.subscribe_state import STRIPE_CARD_ID, SubscribeState
from commerce_dash.pages.store.subscriptions import my_subscriptions_page
from commerce_dash.pages.store.subscriptions_state import NEW_CARD_ID, MySubscriptionsState
from commerce_dash.payments.factory import reset_processors
from commerce_dash.payments.sandbox_cards import CHALLENGE_CARD, SUCCESS_CARD
from commerce_dash.services import catalog, commerce
from commerce_dash.settings import get_settings
from commerce_dash.state.auth import parse_notices
from tests.builders import make_code
from tests.pages.harness import PageAs, toast_messages
from tests.pages.harness import run_event as _run
from tests.payments.conftest import PUBLISHABLE_KEY, SECRET_KEY, WEBHOOK_SECRET
from tests.payments.localstripe_server import LocalStripe

# The app installs this when it registers /subscribe/[code] (and the store's [code] pages).
rx.State.setup_dynamic_args({"code": RouteArgType.SINGLE})

LEE = "lee@example.com"
DECLINED = "4000000000000002"


def _card(number: str) -> dict[str, str]:
    return {"card_number": number, "expiry": "12/40", "cvc": "123"}


@pytest.fixture
def plans(session: Session, super_admin: Actor, shop) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """The shop's department (SHOP) sells a monthly plan ($29, no trial) and a quarterly one
    ($69, 14-day trial)."""
    monthly = catalog.create_price(session=session, actor=super_admin, item_type="subscription",
                                   item_id=shop.department_id, price_type="subscription",
                                   amount=2900, currency="USD", interval="monthly")
    quarterly = catalog.create_price(session=session, actor=super_admin,
                                     item_type="subscription", item_id=shop.department_id,
                                     price_type="subscription", amount=6900, currency="USD",
                                     interval="quarterly", trial_days=14)
    return {"monthly": monthly.id or 0, "quarterly": quarterly.id or 0}


def _subscribe_page(page_as: PageAs, plan: int | None = None, email: str = LEE
                    ) -> SubscribeState:
    query = {"plan": str(plan)} if plan else None
    state = page_as(SubscribeState, f"{routes.SUBSCRIBE}/SHOP", email=email,
                    params={"code": "SHOP"}, query=query)
    _run(SubscribeState.load, state)
    return state


def _my_page(page_as: PageAs) -> MySubscriptionsState:
    state = page_as(MySubscriptionsState, routes.MY_SUBSCRIPTIONS, email=LEE)
    _run(MySubscriptionsState.load, state)
    return state


def _subscribed(page_as: PageAs, plan: int, card: str = SUCCESS_CARD) -> list[Any]:
    page = _subscribe_page(page_as, plan)
    return _run(SubscribeState.subscribe, page, _card(card))


def _redirects_to(events: list[Any], path: str) -> bool:
    return any(path in str(e) for e in events)


def test_the_pages_build() -> None:
    for page in (subscribe_page, my_subscriptions_page):
        page().render()


def test_the_plans_and_a_quote_that_is_the_services(
        session: Session, page_as: PageAs, learner: Actor, super_admin: Actor,
        plans: dict[str, int]) -> None:
    state = page_as(SubscribeState, f"{routes.SUBSCRIBE}/SHOP", email=LEE,
                    params={"code": "SHOP"}, query={"plan": str(plans["monthly"])})
    assert _scripts(_run(SubscribeState.load, state)) == []  # the test cards: no Stripe.js
    page = state
    assert (page.status, page.processor, page.publishable_key) == ("found", "sandbox", "")
    assert page.department_name
    assert [(p["interval"], p["price"], p["trial"]) for p in page.plans] == [
        ("Monthly", "$29.00", ""), ("Quarterly", "$69.00", "14-day free trial")]
    assert page.plan_id == str(plans["monthly"])
    quote = commerce.plan_quote(session=session, price_id=plans["monthly"],
                                user_id=learner.user_id)
    assert (page.first_total, page.renewal_total) == (quote.first_total, quote.renewal_total)
    assert page.summary["today"] == "$29.00"
    assert page.summary["then"].startswith("then $29.00 every month from ")

    # a 50% code for the first period: half today, the full price after
    make_code(session, super_admin, "HALFSUB", percent=50)
    _run(SubscribeState.apply_code, page, {"code": "halfsub"})
    half = commerce.plan_quote(session=session, price_id=plans["monthly"], code="HALFSUB",
                               user_id=learner.user_id)
    assert (page.first_total, page.renewal_total) == (half.first_total, half.renewal_total)
    assert (page.first_total, page.renewal_total) == (1450, 2900)
    assert page.summary["today"] == "$14.50"
    assert "on the first period" in page.summary["discount"]

    # a plan with a trial: nothing today
    _run(SubscribeState.choose_plan, page, str(plans["quarterly"]))
    assert page.summary["today"] == "$0.00"
    assert page.summary["trial"].endswith("(14-day trial)")
    trial = commerce.plan_quote(session=session, price_id=plans["quarterly"], code="HALFSUB",
                                user_id=learner.user_id)
    assert (page.first_total, page.renewal_total) == (trial.first_total, trial.renewal_total)
    assert "$34.50 on " in page.summary["then"] and "$69.00 every quarter" in page.summary["then"]

    # an unknown code is refused beside the field; a forged plan is a message
    _run(SubscribeState.remove_code, page)
    _run(SubscribeState.apply_code, page, {"code": "NOPE"})
    assert page.code_error and page.summary["discount"] == ""
    assert toast_messages(_run(SubscribeState.choose_plan, page, "999999"))


def test_a_visitor_is_asked_to_sign_in_and_comes_back(page_as: PageAs,
                                                      plans: dict[str, int]) -> None:
    page = _subscribe_page(page_as, plans["quarterly"], email="")
    assert page.plans and page.summary["today"] == "$0.00"
    assert page.signin_href == (f"{routes.LOGIN}?next=/subscribe/SHOP%3Fplan%3D"
                                f"{plans['quarterly']}")
    assert _redirects_to(_run(SubscribeState.subscribe, page, _card(SUCCESS_CARD)),
                         routes.LOGIN)
    mine = page_as(MySubscriptionsState, routes.MY_SUBSCRIPTIONS, email="")
    assert _redirects_to(_run(MySubscriptionsState.load, mine), routes.LOGIN)


def test_subscribing_lands_on_my_subscriptions_with_the_invoice(
        page_as: PageAs, learner: Actor, plans: dict[str, int]) -> None:
    page = _subscribe_page(page_as, plans["monthly"])
    events = _run(SubscribeState.subscribe, page, _card(SUCCESS_CARD))
    assert _redirects_to(events, routes.MY_SUBSCRIPTIONS)
    [notice] = parse_notices(page.notice_cookie)
    assert notice.startswith("You are subscribed to ") and "SUB-" in notice

    mine = _my_page(page_as)
    [sub] = mine.subscriptions
    assert (sub["status"], sub["status_label"], sub["interval"]) == ("active", "Active",
                                                                      "Monthly")
    assert sub["next"].startswith("Next charge: $29.00 on ")
    assert sub["card"].endswith("4242")
    [invoice] = mine.invoices
    assert (invoice["sub"], invoice["amount"], invoice["status"]) == (sub["number"], "$29.00",
                                                                      "paid")
    assert invoice["receipt"].startswith("ORD-")
    assert invoice["receipt_href"] == routes.order_href(invoice["receipt"])


def test_three_d_secure_asks_then_approve_makes_it_active(
        session: Session, page_as: PageAs, learner: Actor, plans: dict[str, int]) -> None:
    page = _subscribe_page(page_as, plans["monthly"])
    assert _run(SubscribeState.subscribe, page, _card(CHALLENGE_CARD)) == []
    assert page.step == "authenticate" and page.sub_ref.startswith("SUB-")
    assert page.authenticate_amount == "$29.00"
    events = _run(SubscribeState.authenticate, page, True)
    assert _redirects_to(events, routes.MY_SUBSCRIPTIONS)
    assert parse_notices(page.notice_cookie) == [
        "Payment authenticated: your subscription is active."]
    [view] = commerce.list_my_subscriptions(session=session, actor=learner)
    assert view.status == "active"


def test_a_declined_card_shows_the_processors_message_beside_the_card(
        session: Session, page_as: PageAs, learner: Actor, plans: dict[str, int]) -> None:
    page = _subscribe_page(page_as, plans["monthly"])
    assert _run(SubscribeState.subscribe, page, _card(DECLINED)) == []
    [view] = commerce.list_my_subscriptions(session=session, actor=learner)
    failed = [i.failure_message for i in view.invoices if i.failure_message]
    assert failed and page.card_error == failed[0] == "Your card was declined."
    assert page.step == "choose" and page.sub_ref == view.number
    # another card pays the same subscription
    events = _run(SubscribeState.subscribe, page, _card(SUCCESS_CARD))
    assert _redirects_to(events, routes.MY_SUBSCRIPTIONS)
    [view] = commerce.list_my_subscriptions(session=session, actor=learner)
    assert view.status == "active"


def test_card_details_that_are_wrong_are_refused_beside_the_card(
        page_as: PageAs, learner: Actor, plans: dict[str, int]) -> None:
    page = _subscribe_page(page_as, plans["monthly"])
    _run(SubscribeState.subscribe, page, {"card_number": "4242", "expiry": "12/40",
                                          "cvc": "123"})
    assert page.card_error == "Your card number is incorrect."
    _run(SubscribeState.subscribe, page, {"card_number": SUCCESS_CARD, "expiry": "1240",
                                          "cvc": "123"})
    assert page.card_error == "Enter the expiry as MM/YY."


def test_subscribing_twice_is_the_already_subscribed_message(
        page_as: PageAs, learner: Actor, plans: dict[str, int]) -> None:
    _subscribed(page_as, plans["monthly"])
    again = _subscribe_page(page_as, plans["quarterly"])
    events = _run(SubscribeState.subscribe, again, _card(SUCCESS_CARD))
    message = again.plan_error  # beside the plan choice (the refusal's field)
    assert message.startswith("You already have a ") and "(SUB-" in message
    assert "change its plan instead" in message
    assert not _redirects_to(events, routes.MY_SUBSCRIPTIONS)


def test_pause_resume_and_cancel_change_the_status_with_the_services_message(
        page_as: PageAs, learner: Actor, plans: dict[str, int]) -> None:
    _subscribed(page_as, plans["monthly"])
    mine = _my_page(page_as)
    number = mine.subscriptions[0]["number"]
    assert mine.subscriptions[0]["can_pause"] and not mine.subscriptions[0]["can_resume"]

    events = _run(MySubscriptionsState.pause, mine, number)
    assert toast_messages(events, "success") == [
        f"{number} is paused: no charge until you resume it."]
    assert (mine.subscriptions[0]["status"], mine.subscriptions[0]["next"]) == (
        "paused", "Paused: nothing is charged until you resume it")
    assert mine.subscriptions[0]["can_resume"] and not mine.subscriptions[0]["can_pause"]

    events = _run(MySubscriptionsState.resume, mine, number)
    [resumed] = toast_messages(events, "success")
    assert resumed.startswith(f"{number} is active again; next charge on ")
    assert mine.subscriptions[0]["status"] == "active"

    _run(MySubscriptionsState.open_cancel, mine, number)
    assert mine.cancel_open and mine.cancel_when == "period_end" and mine.cancel_end
    events = _run(MySubscriptionsState.confirm_cancel, mine)
    assert toast_messages(events, "success") == [
        f"{number} ends on {_service_day(mine.cancel_end)}; you keep access until then."]
    row = mine.subscriptions[0]
    assert row["next"] == f"Ends on {mine.cancel_end}" and row["can_undo"]
    assert not mine.cancel_open

    [kept] = toast_messages(_run(MySubscriptionsState.undo_cancel, mine, number), "success")
    assert kept.startswith(f"{number} will renew on ")
    assert mine.subscriptions[0]["can_cancel"]

    _run(MySubscriptionsState.open_cancel, mine, number)
    _run(MySubscriptionsState.set_cancel_when, mine, "now")
    [ended] = toast_messages(_run(MySubscriptionsState.confirm_cancel, mine), "success")
    assert ended.startswith(f"{number} is cancelled.")
    assert mine.subscriptions[0]["status"] == "cancelled"
    assert not mine.subscriptions[0]["can_pause"] and not mine.subscriptions[0]["can_cancel"]


def _service_day(day: str) -> str:
    """The page's ``Mar 04, 2026`` as the service writes it (``04 Mar 2026``)."""
    month, rest = day.split(" ", 1)
    number, year = rest.split(", ")
    return f"{number} {month} {year}"


def test_change_plan_says_when_and_another_card_is_saved(
        page_as: PageAs, learner: Actor, plans: dict[str, int]) -> None:
    _subscribed(page_as, plans["monthly"])
    mine = _my_page(page_as)
    number = mine.subscriptions[0]["number"]
    _run(MySubscriptionsState.open_change, mine, number)
    [choice] = mine.change_choices
    assert choice["label"] == "Quarterly: $69.00 / quarter"
    assert choice["when"].startswith("An upgrade: it starts now")
    [moved] = toast_messages(_run(MySubscriptionsState.confirm_change, mine), "success")
    assert moved.startswith(f"{number} moved to the quarterly plan")
    assert mine.subscriptions[0]["interval"] == "Quarterly"

    _run(MySubscriptionsState.open_card, mine, number)
    _run(MySubscriptionsState.save_card, mine, {"card_number": "1", "expiry": "12/40",
                                                "cvc": "1"})
    assert mine.card_error == "Your card number is incorrect." and mine.card_open
    events = _run(MySubscriptionsState.save_card, mine, _card("5555555555554444"))
    assert toast_messages(events, "success") == [f"Card saved for {number}."]
    assert mine.subscriptions[0]["card"].endswith("4444") and not mine.card_open


def test_an_included_course_shows_so_and_enroll_registers_the_learner(
        session: Session, page_as: PageAs, learner: Actor, shop,  # type: ignore[no-untyped-def]
        plans: dict[str, int]) -> None:
    code = "SHOP-PY101"
    before = page_as(CourseState, f"{routes.STORE_COURSE}/{code}", email=LEE,
                     params={"code": code})
    _run(CourseState.load, before)
    assert not before.included and before.for_sale

    dept = page_as(DepartmentState, f"{routes.STORE_DEPARTMENT}/SHOP", email=LEE,
                   params={"code": "SHOP"})
    _run(DepartmentState.load, dept)
    assert [p["href"] for p in dept.plans] == [
        f"{routes.SUBSCRIBE}/SHOP?plan={plans['monthly']}",
        f"{routes.SUBSCRIBE}/SHOP?plan={plans['quarterly']}"]
    assert "Included in your subscription" not in [c["price_label"] for c in dept.cards]

    _subscribed(page_as, plans["monthly"])
    _run(DepartmentState.load, dept)
    assert {c["price_label"] for c in dept.cards if c["kind"] == "course"} == {
        "Included in your subscription"}

    page = page_as(CourseState, f"{routes.STORE_COURSE}/{code}", email=LEE,
                   params={"code": code})
    _run(CourseState.load, page)
    assert page.included and page.enroll_status == ""
    events = _run(CourseState.enroll, page)
    assert toast_messages(events, "success")
    assert page.enroll_status == "enrolled"
    assert page.learn_href == f"{routes.LEARN}/{code}"
    registration = session.exec(select(Registration).where(
        Registration.user_id == learner.user_id,
        Registration.course_id == shop.courses["PY101"])).one()
    assert registration.source == "subscription"

    again = page_as(CourseState, f"{routes.STORE_COURSE}/{code}", email=LEE,
                    params={"code": code})
    _run(CourseState.load, again)
    assert (again.included, again.enroll_status) == (True, "enrolled")


# -- a department billed through Stripe (localstripe) -----------------------------------------

VISA_3DS = "4000002500003155"  # Stripe's test card that asks for 3-D Secure


@pytest.fixture
def stripe_shop(localstripe_server: LocalStripe, monkeypatch: pytest.MonkeyPatch
                ) -> Iterator[stripe.StripeClient]:
    """The shop's department (SHOP) bills through Stripe (localstripe); the bare SDK on
    localstripe stands in for Stripe.js in the browser (it makes the PaymentMethods)."""
    monkeypatch.setenv("COMMERCE_PAYMENT_PROCESSOR", "sandbox")
    monkeypatch.setenv("COMMERCE_PROCESSOR_BY_DEPARTMENT", json.dumps({"SHOP": "stripe"}))
    monkeypatch.setenv("COMMERCE_STRIPE_SECRET_KEY", SECRET_KEY)
    monkeypatch.setenv("COMMERCE_STRIPE_PUBLISHABLE_KEY", PUBLISHABLE_KEY)
    monkeypatch.setenv("COMMERCE_STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET)
    monkeypatch.setenv("COMMERCE_STRIPE_API_BASE", localstripe_server.base_url)
    get_settings.cache_clear()
    reset_processors()
    try:
        yield stripe.StripeClient(SECRET_KEY,
                                  base_addresses={"api": localstripe_server.base_url},
                                  max_network_retries=0,
                                  http_client=stripe.RequestsClient(timeout=10.0))
    finally:
        get_settings.cache_clear()
        reset_processors()


def _payment_method(client: stripe.StripeClient, number: str) -> str:
    """What Stripe.js's createPaymentMethod gives the page for a card number."""
    return client.v1.payment_methods.create({
        "type": "card",
        "card": {"number": number, "exp_month": 12, "exp_year": 2034,
                 "cvc": "123"},  # type: ignore[typeddict-item]
    }).id


def _scripts(events: list[Any]) -> list[tuple[str, str]]:
    """(the script, the handler its answer goes to) of each rx.call_script among events."""
    found = []
    for event in events:
        if not isinstance(event, rx.event.EventSpec):
            continue
        args = {str(name._js_expr): value for name, value in event.args}
        if "javascript_code" in args:
            found.append((str(getattr(args["javascript_code"], "_var_value", "")),
                          str(getattr(args.get("callback"), "_js_expr", ""))))
    return found


def _answer(**fields: object) -> str:
    return json.dumps({"ok": False, "payment_method": "", "status": "", "message": "",
                       **fields})


def test_a_stripe_department_shows_stripes_card_field_not_the_test_cards(
        page_as: PageAs, learner: Actor, stripe_shop: stripe.StripeClient,
        plans: dict[str, int]) -> None:
    page = page_as(SubscribeState, f"{routes.SUBSCRIBE}/SHOP", email=LEE,
                   params={"code": "SHOP"})
    events = _run(SubscribeState.load, page)
    assert (page.processor, page.publishable_key) == ("stripe", PUBLISHABLE_KEY)
    [(script, callback)] = _scripts(events)  # Stripe's card field is mounted
    assert '"mount"' in script and json.dumps(PUBLISHABLE_KEY) in script
    assert json.dumps(STRIPE_CARD_ID) in script and "card_mounted" in callback
    _run(SubscribeState.card_mounted, page, _answer(ok=True))
    assert page.card_ready
    # the page shows Stripe's field when the processor is stripe, the test cards otherwise
    rendered = str(subscribe_page().render())
    assert STRIPE_CARD_ID in rendered and get_settings().stripe_js_url in rendered
    # the sandbox's form is refused on a Stripe department: no card number reaches Stripe
    assert toast_messages(_run(SubscribeState.subscribe, page, _card(SUCCESS_CARD)))
    # a field that could not load says so beside the card
    _run(SubscribeState.card_mounted, page, _answer(message="Stripe.js is missing."))
    assert (page.card_ready, page.card_error) == (False, "Stripe.js is missing.")


def test_with_stripe_the_cards_payment_method_subscribes_and_lands_on_my_subscriptions(
        session: Session, page_as: PageAs, learner: Actor, stripe_shop: stripe.StripeClient,
        plans: dict[str, int]) -> None:
    page = _subscribe_page(page_as, plans["monthly"])
    [(script, callback)] = _scripts(_run(SubscribeState.subscribe_stripe, page))
    assert '"method"' in script and "stripe_method" in callback and page.busy
    pm = _payment_method(stripe_shop, SUCCESS_CARD)
    events = _run(SubscribeState.stripe_method, page, _answer(ok=True, payment_method=pm))
    assert _redirects_to(events, routes.MY_SUBSCRIPTIONS)
    [notice] = parse_notices(page.notice_cookie)
    assert notice.startswith("You are subscribed to ") and "SUB-" in notice
    [view] = commerce.list_my_subscriptions(session=session, actor=learner)
    assert (view.processor, view.status, view.card[-4:]) == ("stripe", "active", "4242")

    mine = _my_page(page_as)
    assert mine.subscriptions[0]["status"] == "active"
    assert mine.subscriptions[0]["card"].endswith("4242")


def test_with_stripe_a_trial_takes_the_card_and_charges_nothing(
        session: Session, page_as: PageAs, learner: Actor, stripe_shop: stripe.StripeClient,
        plans: dict[str, int]) -> None:
    page = _subscribe_page(page_as, plans["quarterly"])
    assert page.summary["today"] == "$0.00"
    _run(SubscribeState.subscribe_stripe, page)
    pm = _payment_method(stripe_shop, SUCCESS_CARD)
    events = _run(SubscribeState.stripe_method, page, _answer(ok=True, payment_method=pm))
    assert _redirects_to(events, routes.MY_SUBSCRIPTIONS)
    assert parse_notices(page.notice_cookie)[0].startswith("Your ")
    [view] = commerce.list_my_subscriptions(session=session, actor=learner)
    assert (view.status, view.card[-4:]) == ("trialing", "4242")
    assert [i for i in view.invoices if i.status == "paid" and i.amount] == []


def test_with_stripe_no_card_from_stripe_js_is_its_message_beside_the_card(
        session: Session, page_as: PageAs, learner: Actor, stripe_shop: stripe.StripeClient,
        plans: dict[str, int]) -> None:
    page = _subscribe_page(page_as, plans["monthly"])
    _run(SubscribeState.subscribe_stripe, page)
    message = "Your card number is incomplete."
    assert _run(SubscribeState.stripe_method, page, _answer(message=message)) == []
    assert (page.card_error, page.busy) == (message, False)
    # a forged answer (no pm_ id) subscribes nothing either
    _run(SubscribeState.stripe_method, page, _answer(ok=True, payment_method="4242"))
    assert page.card_error == "Check your card details."
    assert commerce.list_my_subscriptions(session=session, actor=learner) == []


def test_with_stripe_3d_secure_is_stripe_js_confirming_the_first_invoices_payment(
        session: Session, page_as: PageAs, learner: Actor, stripe_shop: stripe.StripeClient,
        plans: dict[str, int]) -> None:
    page = _subscribe_page(page_as, plans["monthly"])
    _run(SubscribeState.subscribe_stripe, page)
    pm = _payment_method(stripe_shop, VISA_3DS)
    events = _run(SubscribeState.stripe_method, page, _answer(ok=True, payment_method=pm))
    [view] = commerce.list_my_subscriptions(session=session, actor=learner)
    assert (view.status, page.sub_ref) == ("incomplete", view.number) and view.client_secret
    [(script, callback)] = _scripts(events)  # Stripe.js confirms the invoice's intent
    assert '"confirm"' in script and json.dumps(view.client_secret) in script
    assert "stripe_confirmed" in callback and page.step == "choose"

    # the bank's challenge failed: the message beside the card, the subscription kept
    failed = "We are unable to authenticate your payment method."
    events = _run(SubscribeState.stripe_confirmed, page, _answer(message=failed))
    assert page.card_error == failed and toast_messages(events) == [failed]
    assert page.sub_ref == view.number and not page.busy

    # passed (what Stripe.js does in the page): the learner lands on My subscriptions
    intent_id = view.client_secret.split("_secret_")[0]
    base = str(get_settings().stripe_api_base)
    request = urllib.request.Request(
        f"{base}/v1/payment_intents/{intent_id}/_authenticate?success=true",
        data=json.dumps({"key": PUBLISHABLE_KEY, "client_secret": view.client_secret}).encode(),
        method="POST")
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 200
    events = _run(SubscribeState.stripe_confirmed, page,
                  _answer(ok=True, status="succeeded"))
    assert _redirects_to(events, routes.MY_SUBSCRIPTIONS)
    assert parse_notices(page.notice_cookie) == [
        f"Payment authenticated: {view.number} starts as soon as Stripe confirms the "
        "payment."]


def test_with_stripe_update_card_takes_a_payment_method_from_stripes_field(
        page_as: PageAs, learner: Actor, stripe_shop: stripe.StripeClient,
        plans: dict[str, int]) -> None:
    page = _subscribe_page(page_as, plans["monthly"])
    _run(SubscribeState.stripe_method, page,
         _answer(ok=True, payment_method=_payment_method(stripe_shop, SUCCESS_CARD)))
    mine = _my_page(page_as)
    number = mine.subscriptions[0]["number"]
    [(script, callback)] = _scripts(_run(MySubscriptionsState.open_card, mine, number))
    assert (mine.card_open, mine.card_processor) == (True, "stripe")
    assert '"mount"' in script and json.dumps(NEW_CARD_ID) in script
    assert "card_mounted" in callback
    assert str(NEW_CARD_ID) in str(my_subscriptions_page().render())
    # the sandbox's form is no way around Stripe's field
    _run(MySubscriptionsState.save_card, mine, _card("5555555555554444"))
    assert mine.card_error == "Enter the card in the card field."

    [(script, callback)] = _scripts(_run(MySubscriptionsState.save_card_stripe, mine))
    assert '"method"' in script and "stripe_card" in callback
    pm = _payment_method(stripe_shop, "5555555555554444")
    events = _run(MySubscriptionsState.stripe_card, mine, _answer(ok=True, payment_method=pm))
    assert toast_messages(events, "success") == [f"Card saved for {number}."]
    assert mine.subscriptions[0]["card"].endswith("4444") and not mine.card_open
