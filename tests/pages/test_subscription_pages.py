"""Issue 16, the learner's side, driven through the page states as a browser would (no
server): the subscribe page (plans, the quote, a code, the card, 3-D Secure, a decline, a
second subscription), My subscriptions (status, next charge, invoices, pause, resume, cancel),
and the course and department pages of courses a subscription includes."""

from __future__ import annotations

from typing import Any

import pytest
import reflex as rx
from reflex.constants import RouteArgType
from sqlmodel import Session, select

from commerce_dash import routes
from commerce_dash.domain.actor import Actor
from commerce_dash.models.enrollment import Registration
from commerce_dash.pages.store.course import CourseState
from commerce_dash.pages.store.department import DepartmentState
from commerce_dash.pages.store.subscribe import subscribe_page
from commerce_dash.pages.store.subscribe_state import SubscribeState
from commerce_dash.pages.store.subscriptions import my_subscriptions_page
from commerce_dash.pages.store.subscriptions_state import MySubscriptionsState
from commerce_dash.payments.sandbox_cards import CHALLENGE_CARD, SUCCESS_CARD
from commerce_dash.services import catalog, commerce
from commerce_dash.state.auth import parse_notices
from tests.builders import make_code
from tests.pages.harness import PageAs, toast_messages
from tests.pages.harness import run_event as _run

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
    page = _subscribe_page(page_as, plans["monthly"])
    assert page.status == "found" and page.department_name
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
