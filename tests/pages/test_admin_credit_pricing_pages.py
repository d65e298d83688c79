"""The Pricing page's session credits driven as a browser would (no server): a course price
that gives private sessions says so under the item, a bad field is said beside it, and a
credit pack is created, published and priced from the page's Credit packs card; the pricing
API takes the same credits, strictly (issue 17)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from commerce_dash import routes
from commerce_dash.api import create_api
from commerce_dash.domain.access import RoleName
from commerce_dash.domain.actor import Actor, Grant
from commerce_dash.models.audit import AuditLog
from commerce_dash.models.pricing import Price
from commerce_dash.pages.admin.credit_packs_state import CreditPacksState
from commerce_dash.pages.admin.pricing_state import PricingState
from tests.api.conftest import signed_in
from tests.builders import a_course, a_department, an_admin
from tests.pages.harness import PageAs, run_event, toast_messages

PRICES = "/api/v2/admin/pricing"
NOTE = "Includes 2 private sessions (60 min), valid 90 days"


def _pricing(page_as: PageAs, email: str = "root@example.com") -> PricingState:
    state = page_as(PricingState, routes.ADMIN_PRICING, email=email)
    run_event(PricingState.load, state)
    run_event(PricingState.open_new, state)
    return state


def _new_price(state: PricingState, item_type: str, item_id: int) -> None:
    run_event(PricingState.set_new_item_type, state, item_type)
    run_event(PricingState.set_new_item, state, str(item_id))


def test_a_course_price_with_credits_shows_its_note(session: Session, super_admin: Actor,
                                                    page_as: PageAs) -> None:
    course = a_course(session, super_admin, "PKG", price=None)
    state = _pricing(page_as)
    _new_price(state, "course", course)
    assert state.gives_credits
    run_event(PricingState.set_new_private_minutes, state, "60")
    said = toast_messages(run_event(PricingState.create_price, state, {
        "amount": "300.00", "currency": "USD", "private_credits": "2",
        "group_credits": "0", "credit_expiry_days": "90"}), "success")
    assert said == ["Price created and in force now."]
    assert not state.new_open
    (row,) = [r for r in state.rows if r["item"] == "Course PKG"]
    assert row["credits_note"] == NOTE
    price = session.exec(select(Price).where(Price.item_id == course)).one()
    assert (price.private_credits, price.private_minutes, price.group_credits,
            price.credit_expiry_days) == (2, 60, 0, 90)


def test_credit_fields_are_refused_beside_the_field(session: Session, super_admin: Actor,
                                                    page_as: PageAs) -> None:
    course = a_course(session, super_admin, "PKG", price=None)
    state = _pricing(page_as)
    _new_price(state, "course", course)
    form = {"amount": "300.00", "currency": "USD", "private_credits": "2",
            "group_credits": "", "credit_expiry_days": "90"}
    # a length that is neither 30 nor 60 minutes
    run_event(PricingState.set_new_private_minutes, state, "45")
    assert run_event(PricingState.create_price, state, form) == []
    assert state.private_minutes_error == "Private sessions last 30 or 60 minutes."
    assert state.new_open and state.new_error == ""
    run_event(PricingState.set_new_private_minutes, state, "30")
    # too many credits, an expiry too far, and text that is no number
    for name, value, attr, message in (
            ("private_credits", "101", "private_credits_error", "Enter 0 to 100 credits."),
            ("group_credits", "two", "group_credits_error", "Enter 0 to 100 credits."),
            ("credit_expiry_days", "4000", "expiry_error",
             "Credits expire after 0 to 3,650 days.")):
        assert run_event(PricingState.create_price, state, {**form, name: value}) == []
        assert getattr(state, attr) == message, name
        assert state.private_minutes_error == ""
    assert session.exec(select(Price).where(Price.item_id == course)).first() is None


def test_a_program_price_sends_no_credits(session: Session, super_admin: Actor,
                                          page_as: PageAs) -> None:
    state = _pricing(page_as)
    run_event(PricingState.set_new_item_type, state, "program")
    assert not state.gives_credits


def test_a_credit_pack_is_created_published_and_priced(session: Session, super_admin: Actor,
                                                       page_as: PageAs) -> None:
    dept = a_department(session, super_admin, "LIVE", name="Live School")
    packs = page_as(CreditPacksState, routes.ADMIN_PRICING)
    run_event(CreditPacksState.load, packs)
    assert packs.packs == []
    # created from the card's dialog; a missing title is said beside the field
    run_event(CreditPacksState.open_new, packs)
    assert packs.edit_open and packs.edit_id == 0
    run_event(CreditPacksState.set_edit_department, packs, str(dept))
    form = {"pack_code": "private4", "pack_title": "", "description": "Any instructor."}
    assert run_event(CreditPacksState.save, packs, form) == []
    assert packs.title_error == "Enter a pack title." and packs.edit_open
    said = toast_messages(run_event(CreditPacksState.save, packs, {
        **form, "pack_title": "Four private sessions"}), "success")
    assert said == ["PRIVATE4 created as a draft: publish it, then give it a price with "
                    "New price."]
    (row,) = packs.packs
    assert (row["code"], row["title"], row["department"], row["published"], row["price"]) == (
        "PRIVATE4", "Four private sessions", "Live School", "", "")
    # a draft cannot be priced yet: it is not among the choices
    pricing = _pricing(page_as)
    run_event(PricingState.set_new_item_type, pricing, "credit_pack")
    assert pricing.item_choices == []
    # edited, then published
    run_event(CreditPacksState.open_edit, packs, row["id"])
    assert (packs.edit_code, packs.edit_description) == ("PRIVATE4", "Any instructor.")
    said = toast_messages(run_event(CreditPacksState.save, packs, {
        "pack_code": "PRIVATE4", "pack_title": "Four private lessons",
        "description": "Any instructor."}), "success")
    assert said == ["PRIVATE4 saved."]
    said = toast_messages(run_event(CreditPacksState.set_published, packs, row["id"], True),
                          "success")
    assert said == ["PRIVATE4 is on sale once it has a price."]
    assert packs.packs[0]["published"] == "yes"
    # priced: one-time only, the credits required
    pricing = _pricing(page_as)
    run_event(PricingState.set_new_item_type, pricing, "credit_pack")
    assert pricing.new_price_type == "one_time"
    run_event(PricingState.set_new_price_type, pricing, "free")
    assert pricing.new_price_type == "one_time"
    assert [c["label"] for c in pricing.item_choices] == ["PRIVATE4 — Four private lessons"]
    run_event(PricingState.set_new_item, pricing, row["id"])
    run_event(PricingState.set_new_private_minutes, pricing, "30")
    price_form = {"amount": "200.00", "currency": "USD", "private_credits": "0",
                  "group_credits": "0", "credit_expiry_days": "0"}
    assert run_event(PricingState.create_price, pricing, price_form) == []
    assert pricing.private_credits_error.startswith("A credit pack's price gives at least one")
    events = run_event(PricingState.create_price, pricing, {
        **price_form, "private_credits": "4", "credit_expiry_days": "180"})
    assert toast_messages(events, "success") == ["Price created and in force now."]
    (priced,) = [r for r in pricing.rows if r["item_type"] == "credit_pack"]
    assert (priced["item"], priced["item_kind"]) == ("Four private lessons", "Credit pack")
    assert priced["credits_note"] == "Includes 4 private sessions (30 min), valid 180 days"
    # the card shows the price in force and what it gives
    run_event(CreditPacksState.load, packs)
    assert packs.packs[0]["price"] == "$200.00"
    assert packs.packs[0]["credits_note"] == priced["credits_note"]
    actions = set(session.exec(select(AuditLog.action)).all())
    assert {"credit_pack.created", "credit_pack.updated", "credit_pack.published",
            "price.created"} <= actions


def test_an_admin_of_another_department_cannot_edit_a_pack(
        session: Session, super_admin: Actor, page_as: PageAs) -> None:
    mine = a_department(session, super_admin, "MINE")
    theirs = a_department(session, super_admin, "THEIRS")
    root = page_as(CreditPacksState, routes.ADMIN_PRICING)
    run_event(CreditPacksState.open_new, root)
    run_event(CreditPacksState.set_edit_department, root, str(theirs))
    run_event(CreditPacksState.save, root, {"pack_code": "THEIRS4", "pack_title": "Theirs",
                                            "description": ""})
    pack_id = root.packs[0]["id"]
    an_admin(session, "dept@example.com",
             grants=(Grant(RoleName.DEPT_ADMIN, department_id=mine),))
    state = page_as(CreditPacksState, routes.ADMIN_PRICING, email="dept@example.com")
    run_event(CreditPacksState.load, state)
    assert state.packs == []  # only the packs of their departments
    assert toast_messages(run_event(CreditPacksState.open_edit, state, pack_id)) == [
        "You can only manage the credit packs of your departments."]
    assert toast_messages(run_event(CreditPacksState.set_published, state, pack_id, True)) == [
        "You can only manage the credit packs of your departments."]


def test_the_pricing_api_takes_the_same_credits_strictly(session: Session,
                                                        super_admin: Actor) -> None:
    course = a_course(session, super_admin, "PKG", price=None)
    body = {"item_type": "course", "item_id": course, "price_type": "one_time",
            "amount": 30_000, "currency": "USD"}
    with TestClient(create_api()) as client:
        headers = signed_in(client, "root@example.com")
        for wrong in ({"private_minutes": 45}, {"private_minutes": "30"},
                      {"private_credits": 101}, {"group_credits": 2.0},
                      {"credit_expiry_days": 3_651}):
            answer = client.post(PRICES, headers=headers, json={**body, **wrong})
            assert answer.status_code == 422, (wrong, answer.text)
            assert answer.json()["code"] == "invalid_request"
            assert next(iter(wrong)) in answer.json()["message"], answer.json()
        answer = client.post(PRICES, headers=headers, json={
            **body, "private_credits": 2, "private_minutes": 60, "credit_expiry_days": 90})
    assert answer.status_code == 201, answer.text
    out = answer.json()
    assert (out["private_credits"], out["private_minutes"], out["group_credits"],
            out["credit_expiry_days"], out["credits_note"]) == (2, 60, 0, 90, NOTE)


def test_a_billing_admin_prices_packs_but_has_no_packs_card(
        session: Session, super_admin: Actor, billing: Actor, page_as: PageAs) -> None:
    state = page_as(CreditPacksState, routes.ADMIN_PRICING, email=billing.email)
    assert run_event(CreditPacksState.load, state) == []  # no error toast
    assert not state.can_manage and state.packs == []
    root = page_as(CreditPacksState, routes.ADMIN_PRICING)
    run_event(CreditPacksState.load, root)
    assert root.can_manage
