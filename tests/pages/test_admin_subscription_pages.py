"""The admin side of subscriptions driven through the page states as a browser would (no
server): the list (filters, scope), one subscription's page (invoices with the link to the
order's refund form, the timeline, the actions behind their dialogs) and plans on Pricing."""

from __future__ import annotations

import pytest
import reflex as rx
from reflex.constants import RouteArgType
from sqlmodel import Session, select

from commerce_dash import routes
from commerce_dash.domain.access import RoleName
from commerce_dash.domain.actor import Actor, Grant
from commerce_dash.models.audit import AuditLog
from commerce_dash.models.commerce import RefundRequest
from commerce_dash.models.pricing import DiscountCode, Price
from commerce_dash.models.subscriptions import Subscription
from commerce_dash.pages.admin.discounts import DiscountsState
from commerce_dash.pages.admin.pricing_state import PricingState
from commerce_dash.pages.admin.subscription_detail_state import SubscriptionDetailState
from commerce_dash.pages.admin.subscriptions_state import SubscriptionsState
from commerce_dash.payments.sandbox_cards import SUCCESS_CARD
from commerce_dash.services import catalog, commerce
from tests.builders import a_department, a_learner
from tests.conftest import create_user
from tests.pages.harness import PageAs
from tests.pages.harness import run_event as _run
from tests.pages.harness import toast_messages as _toasts

# The app installs this when it registers /admin/subscriptions/[number].
rx.State.setup_dynamic_args({"number": RouteArgType.SINGLE})

BILLING = "bill@example.com"


def _plan(session: Session, admin: Actor, dept_id: int, amount: int, interval: str,
          trial_days: int = 0) -> int:
    price = catalog.create_price(session=session, actor=admin, item_type="subscription",
                                 item_id=dept_id, price_type="subscription", amount=amount,
                                 currency="USD", interval=interval, trial_days=trial_days)
    assert price.id is not None
    return price.id


@pytest.fixture
def subs(session: Session, super_admin: Actor, shop, learner: Actor,  # type: ignore[no-untyped-def]
         billing: Actor) -> dict[str, str]:
    """Lee pays a monthly plan ($29) of the shop's department; Ann is on the 14-day trial of
    its quarterly plan ($69). Their numbers by name."""
    monthly = _plan(session, super_admin, shop.department_id, 2900, "monthly")
    quarterly = _plan(session, super_admin, shop.department_id, 6900, "quarterly", 14)
    ann = a_learner(session, "ann@example.com", full_name="Ann Other")
    paid = commerce.subscribe(session=session, actor=learner, price_id=monthly,
                              payment_method=SUCCESS_CARD)
    trial = commerce.subscribe(session=session, actor=ann, price_id=quarterly,
                               payment_method=SUCCESS_CARD)
    return {"lee": f"SUB-{paid.id:06d}", "ann": f"SUB-{trial.id:06d}"}


def _list(page_as: PageAs, email: str = BILLING) -> SubscriptionsState:
    state = page_as(SubscriptionsState, routes.ADMIN_SUBSCRIPTIONS, email=email)
    assert _run(SubscriptionsState.load, state) == []
    return state


def _detail(page_as: PageAs, number: str, email: str = BILLING) -> SubscriptionDetailState:
    state = page_as(SubscriptionDetailState, routes.admin_subscription_href(number),
                    email=email, params={"number": number})
    _run(SubscriptionDetailState.load, state)
    return state


def _summary(state: SubscriptionDetailState) -> dict[str, str]:
    return {item["label"]: item["value"] for item in state.summary}


def _confirm(state: SubscriptionDetailState) -> list[str]:
    return _toasts(_run(SubscriptionDetailState.confirm_action, state), "success")


# -- the list ---------------------------------------------------------------------------------


def test_a_billing_admin_sees_every_subscription_and_filters_by_status(
        page_as: PageAs, subs: dict[str, str]) -> None:
    page = _list(page_as)
    assert page.access == "allowed" and page.total == 2 and not page.filtered
    rows = {r["number"]: r for r in page.rows}
    lee, ann = rows[subs["lee"]], rows[subs["ann"]]
    assert lee["href"] == f"{routes.ADMIN_SUBSCRIPTIONS}/{subs['lee']}"
    assert (lee["learner_email"], lee["department"], lee["plan"], lee["status_label"],
            lee["amount"]) == ("lee@example.com", "SHOP School", "Monthly", "Active", "$29.00")
    assert (ann["plan"], ann["status_label"], ann["amount"]) == ("Quarterly", "Trialing",
                                                                 "$69.00")
    assert lee["next_charge"] != "—" and lee["created"]
    assert [d["label"] for d in page.departments] == ["SHOP School"]
    # when the admin keeps only trials
    _run(SubscriptionsState.set_status_filter, page, "trialing")
    assert [r["number"] for r in page.rows] == [subs["ann"]] and page.filtered
    # and then searches a learner who is not on a trial
    _run(SubscriptionsState.set_search, page, "lee@")
    assert page.rows == [] and page.total == 0
    # clearing brings both back
    events = _run(SubscriptionsState.reset_filters, page)
    assert _toasts(events, "info") == ["Filters cleared."] and page.total == 2
    _run(SubscriptionsState.set_interval_filter, page, "monthly")
    assert [r["number"] for r in page.rows] == [subs["lee"]]


def test_a_department_admin_of_another_department_sees_none(
        session: Session, page_as: PageAs, super_admin: Actor, subs: dict[str, str]) -> None:
    other = a_department(session, super_admin, "ART")
    create_user(session, "dana@example.com", full_name="Dana Dept",
                grants=(Grant(RoleName.DEPT_ADMIN, other),))
    page = _list(page_as, "dana@example.com")
    assert page.access == "allowed" and page.rows == [] and page.total == 0
    assert [d["label"] for d in page.departments] == ["ART School"]
    # choosing the shop's department by a forged value shows nothing either
    shop_dept = session.get(Subscription, int(subs["lee"][4:]))
    assert shop_dept is not None
    _run(SubscriptionsState.set_department_filter, page, str(shop_dept.department_id))
    assert page.rows == []
    # and its page says not found
    detail = _detail(page_as, subs["lee"], "dana@example.com")
    assert detail.found == "missing" and detail.summary == [] and detail.invoices == []


def test_a_learner_is_refused_the_list(page_as: PageAs, subs: dict[str, str]) -> None:
    page = _list(page_as, "lee@example.com")
    assert page.access == "denied" and page.rows == []


# -- one subscription -------------------------------------------------------------------------


def test_the_page_shows_invoices_with_the_refund_link_and_the_timeline(
        page_as: PageAs, subs: dict[str, str]) -> None:
    page = _detail(page_as, subs["lee"])
    assert page.found == "found" and page.status["status_label"] == "Active"
    summary = _summary(page)
    assert summary["Learner"] == "Lee Learner · lee@example.com"
    assert summary["Department"] == "SHOP School"
    assert summary["Plan"] == "Monthly · $29.00"
    assert summary["Card"].endswith("•••• 4242")
    assert summary["Next charge"].startswith("$29.00 on ")
    [invoice] = page.invoices
    assert (invoice["amount"], invoice["status_label"], invoice["failure"]) == (
        "$29.00", "Paid", "")
    assert invoice["order_number"].startswith("ORD-")
    assert invoice["receipt_href"] == routes.admin_order_href(invoice["order_number"])
    assert invoice["receipt_label"] == "Refund"
    assert [(e["action"], e["label"]) for e in page.timeline] == [
        ("subscription.active", "Active"), ("subscription.created", "Created")]
    assert all(e["at"] and e["actor"] for e in page.timeline)
    assert page.actions == ["cancel_at_period_end", "pause", "cancel_now"]


def test_cancel_now_with_a_refund_files_the_request_and_says_so(
        session: Session, page_as: PageAs, subs: dict[str, str]) -> None:
    page = _detail(page_as, subs["lee"])
    _run(SubscriptionDetailState.open_action, page, "cancel_now")
    assert page.action_open and page.action_confirm == "Cancel now" and page.refund_unused
    assert "Access ends at once" in page.action_text
    messages = _confirm(page)
    assert messages == [f"{subs['lee']} is cancelled. The unused part of the period is "
                        "waiting for a refund decision."]
    assert not page.action_open and not page.busy
    assert page.status["status"] == "cancelled" and page.actions == []
    request = session.exec(select(RefundRequest)).one()
    assert request.status == "requested" and 0 < request.amount < 2900
    assert page.timeline[0]["action"] == "subscription.cancelled"


def test_cancel_now_without_the_refund_files_nothing(
        session: Session, page_as: PageAs, subs: dict[str, str]) -> None:
    page = _detail(page_as, subs["lee"])
    _run(SubscriptionDetailState.open_action, page, "cancel_now")
    _run(SubscriptionDetailState.set_refund_unused, page, False)
    assert _confirm(page) == [f"{subs['lee']} is cancelled."]
    assert session.exec(select(RefundRequest)).first() is None


def test_pause_then_resume_and_cancel_at_period_end(
        page_as: PageAs, subs: dict[str, str]) -> None:
    page = _detail(page_as, subs["lee"])
    _run(SubscriptionDetailState.open_action, page, "pause")
    assert _confirm(page) == [f"{subs['lee']} is paused: no charge until you resume it."]
    assert page.actions == ["resume", "cancel_now"] and _summary(page)["Next charge"] == "None"
    _run(SubscriptionDetailState.open_action, page, "resume")
    [resumed] = _confirm(page)
    assert resumed.startswith(f"{subs['lee']} is active again; next charge on ")
    _run(SubscriptionDetailState.open_action, page, "cancel_at_period_end")
    [ending] = _confirm(page)
    assert ending.endswith("you keep access until then.")
    assert page.actions == ["undo_cancel", "pause", "cancel_now"]
    assert _summary(page)["Next charge"].startswith("None: ends on ")
    assert [e["action"] for e in page.timeline][:3] == [
        "subscription.cancel_scheduled", "subscription.active", "subscription.paused"]


def test_extending_a_trial_by_zero_days_is_refused_beside_the_field(
        page_as: PageAs, subs: dict[str, str]) -> None:
    page = _detail(page_as, subs["ann"])
    assert "extend_trial" in page.actions
    before = _summary(page)["Trial ends"]
    _run(SubscriptionDetailState.open_action, page, "extend_trial")
    _run(SubscriptionDetailState.set_trial_days, page, "0")
    assert _run(SubscriptionDetailState.confirm_action, page) == []
    assert page.days_error == "Extend a trial by 1 to 90 days." and page.action_open
    _run(SubscriptionDetailState.set_trial_days, page, "¹")
    assert page.days_error == ""
    _run(SubscriptionDetailState.confirm_action, page)
    assert page.days_error == "Enter a whole number of days from 1 to 90." and page.action_open
    assert _summary(page)["Trial ends"] == before


def test_extending_a_trial_by_ten_days_moves_its_end(
        page_as: PageAs, subs: dict[str, str]) -> None:
    page = _detail(page_as, subs["ann"])
    before = _summary(page)["Trial ends"]
    _run(SubscriptionDetailState.open_action, page, "extend_trial")
    _run(SubscriptionDetailState.set_trial_days, page, "10")
    [message] = _confirm(page)
    assert message.startswith("The trial now ends on ") and not page.action_open
    assert _summary(page)["Trial ends"] != before
    assert page.timeline[0]["action"] == "subscription.trial_extended"


def test_a_refused_action_closes_the_dialog_with_the_reason(
        page_as: PageAs, subs: dict[str, str]) -> None:
    page = _detail(page_as, subs["lee"])
    other = _detail(page_as, subs["lee"])  # a second tab pauses it first
    _run(SubscriptionDetailState.open_action, other, "pause")
    _confirm(other)
    _run(SubscriptionDetailState.open_action, page, "extend_trial")
    _run(SubscriptionDetailState.set_trial_days, page, "5")
    events = _run(SubscriptionDetailState.confirm_action, page)
    assert _toasts(events) and not page.action_open and not page.busy
    assert page.status["status"] == "paused"  # the page was reloaded


def test_an_unknown_number_or_action_is_handled(page_as: PageAs, subs: dict[str, str]) -> None:
    page = _detail(page_as, "SUB-999999")
    assert page.found == "missing" and page.missing_message
    page = _detail(page_as, "SUB-\x00")
    assert page.found == "missing"
    page = _detail(page_as, subs["lee"])
    _run(SubscriptionDetailState.open_action, page, "delete_everything")
    assert not page.action_open


# -- plans on the pricing page ----------------------------------------------------------------


def test_pricing_creates_a_plan_with_subdepartments_and_refuses_a_zero_price(
        session: Session, page_as: PageAs, shop) -> None:  # type: ignore[no-untyped-def]
    page = page_as(PricingState, routes.ADMIN_PRICING)  # a super-admin
    _run(PricingState.load, page)
    _run(PricingState.open_new, page)
    _run(PricingState.set_new_item_type, page, "subscription")
    assert page.new_price_type == "subscription" and not page.new_includes_subdepartments
    assert {c["id"] for c in page.item_choices} >= {str(shop.department_id)}
    _run(PricingState.set_new_item, page, str(shop.department_id))
    _run(PricingState.set_new_interval, page, "annual")
    _run(PricingState.set_new_includes_subdepartments, page, True)
    form = {"amount": "0", "currency": "USD", "trial_days": "7"}
    assert _run(PricingState.create_price, page, form) == []
    assert page.amount_error == "A paid price must be more than zero." and page.new_open
    assert session.exec(select(Price).where(Price.item_type == "subscription")).first() is None
    events = _run(PricingState.create_price, page, {**form, "amount": "290.00"})
    assert _toasts(events, "success") == ["Price created and in force now."]
    assert not page.new_open and page.amount_error == ""
    plan = session.exec(select(Price).where(Price.item_type == "subscription")).one()
    assert (plan.item_id, plan.amount, plan.interval, plan.trial_days,
            plan.includes_subdepartments) == (shop.department_id, 29000, "annual", 7, True)
    [option] = commerce.department_plans(session=session, department_code="SHOP")
    assert option.includes_subdepartments and option.interval == "annual"


# -- how long a subscription discount lasts -----------------------------------------------------


def test_a_discount_code_says_how_long_it_lasts_on_a_subscription(
        session: Session, page_as: PageAs, super_admin: Actor) -> None:
    page = page_as(DiscountsState, routes.ADMIN_DISCOUNTS)
    _run(DiscountsState.load, page)
    _run(DiscountsState.open_create, page)
    assert page.form_duration == "once"
    _run(DiscountsState.set_form_scope, page, "subscriptions")
    form = {"code": "SUBEVERY", "percent": "10", "currency": "USD"}
    # a value no choice has (a forged event) is refused beside the choice
    _run(DiscountsState.set_form_duration, page, "always")
    assert _run(DiscountsState.save_code, page, form) == []
    assert page.errors["duration"] == "Choose the first period or every period."
    _run(DiscountsState.set_form_duration, page, "forever")
    events = _run(DiscountsState.save_code, page, form)
    assert _toasts(events, "success") == ["Code SUBEVERY created"]
    code = session.exec(select(DiscountCode).where(DiscountCode.code == "SUBEVERY")).one()
    assert code.duration == "forever"
    audit = session.exec(select(AuditLog).where(AuditLog.action == "discount.created")).one()
    assert (audit.after or {})["duration"] == "forever"
    # editing shows the choice made
    _run(DiscountsState.open_edit, page, str(code.id))
    assert page.form_duration == "forever"
