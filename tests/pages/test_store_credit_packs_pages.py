"""Issue 17 in the storefront, driven through the page states (no server): a department page
lists its published credit packs (title, description, price, what they include) with "Add to
cart"; adding one puts it in the cart (a guest's too), and the cart and checkout show what
each line includes under its title."""

from __future__ import annotations

import pytest
import reflex as rx
from reflex.constants import RouteArgType
from sqlmodel import Session

from commerce_dash import routes
from commerce_dash.domain.actor import Actor
from commerce_dash.pages.store.cart import CartState, cart_page
from commerce_dash.pages.store.checkout import CheckoutState, checkout_page
from commerce_dash.pages.store.department import DepartmentState, department_page
from commerce_dash.pages.store.order_detail import order_detail_page
from commerce_dash.services.catalog import (
    CreditPackIn,
    create_credit_pack,
    pricing,
    publish_credit_pack,
)
from commerce_dash.services.commerce import view_cart
from tests.builders import a_course, a_department, owner_of
from tests.pages.harness import PageAs, toast_messages
from tests.pages.harness import run_event as _run

rx.State.setup_dynamic_args({"code": RouteArgType.SINGLE, "number": RouteArgType.SINGLE})

LEE = "lee@example.com"
MIX_NOTE = "Includes 1 private session (30 min) and 3 group classes, valid 30 days"


@pytest.fixture
def packs(session: Session, super_admin: Actor) -> dict[str, int]:
    """The Music department sells "Mixed pack" ($99.99: 1 private 30-minute session and 3
    group classes for 30 days); "Draft pack" is priced but not published; a course sells
    for $100."""
    music = a_department(session, super_admin, "MUS", name="Music")
    a_course(session, super_admin, "PNO1", title="Piano", department_id=music)
    ids = {}
    for code, title, published in (("MIX4", "Mixed pack", True), ("DRAFT", "Draft pack", False)):
        pack = create_credit_pack(session=session, actor=super_admin, published=True,
                                  data=CreditPackIn(code=code, title=title,
                                                    department_id=music,
                                                    description="Use them within a month."))
        assert pack.id is not None
        pricing.create_price(session=session, actor=super_admin, item_type="credit_pack",
                             item_id=pack.id, price_type="one_time", amount=9_999,
                             currency="USD", private_credits=1, private_minutes=30,
                             group_credits=3, credit_expiry_days=30)
        if not published:  # priced while on sale, then taken off
            publish_credit_pack(session=session, actor=super_admin, pack_id=pack.id,
                                published=False)
        ids[code] = pack.id
    session.commit()
    return ids


def _department(page_as: PageAs, email: str = LEE) -> DepartmentState:
    state = page_as(DepartmentState, f"{routes.STORE_DEPARTMENT}/MUS", email=email,
                    params={"code": "MUS"})
    _run(DepartmentState.load, state)
    assert state.status == "found"
    return state


def test_the_pages_build() -> None:
    for page in (department_page, cart_page, checkout_page, order_detail_page):
        page().render()


def test_the_department_lists_its_published_packs_and_adds_one_to_the_cart(
        session: Session, page_as: PageAs, learner: Actor, packs: dict[str, int]) -> None:
    dept = _department(page_as)
    assert [(p["title"], p["price"], p["credits_note"], p["description"])
            for p in dept.packs] == [("Mixed pack", "$99.99", MIX_NOTE,
                                      "Use them within a month.")]
    assert dept.packs[0]["id"] == str(packs["MIX4"])

    events = _run(DepartmentState.add_pack, dept, dept.packs[0]["id"])
    assert toast_messages(events, "error") == []
    assert len(toast_messages(events, "success")) == 1
    assert dept.cart_count == 1 and dept.adding_pack == ""
    [line] = view_cart(session=session, owner=owner_of(learner)).lines
    assert (line.item_type, line.item_id, line.amount) == ("credit_pack", packs["MIX4"], 9_999)

    # the cart says what the line includes, under its title (no page to link to)
    cart = page_as(CartState, routes.CART, email=LEE)
    _run(CartState.load, cart)
    [shown] = cart.lines
    assert (shown["title"], shown["kind"], shown["credits_note"], shown["href"]) == (
        "Mixed pack", "Credit pack", MIX_NOTE, "")
    assert shown["price"] == "$99.99"

    # and so does checkout
    events = _run(CartState.check_out, cart)
    [hop] = [str(e) for e in events if routes.CHECKOUT in str(e)]
    number = hop.split(f"{routes.CHECKOUT}/", 1)[1].split('"', 1)[0].split("\\", 1)[0]
    checkout = page_as(CheckoutState, f"{routes.CHECKOUT}/{number}", email=LEE,
                       params={"number": number})
    _run(CheckoutState.load, checkout)
    assert [(line["title"], line["credits_note"]) for line in checkout.lines] == [
        ("Mixed pack", MIX_NOTE)]


def test_an_unpublished_or_unknown_pack_is_not_added(
        session: Session, page_as: PageAs, learner: Actor, super_admin: Actor,
        packs: dict[str, int]) -> None:
    dept = _department(page_as)
    for forged in (str(packs["DRAFT"]), "999999", "x\x00", ""):
        events = _run(DepartmentState.add_pack, dept, forged)
        assert toast_messages(events, "error") == ["This credit pack is no longer for sale."]
    # a pack taken off sale after the page was shown: the cart says why
    publish_credit_pack(session=session, actor=super_admin, pack_id=packs["MIX4"],
                        published=False)
    events = _run(DepartmentState.add_pack, dept, str(packs["MIX4"]))
    [refused] = toast_messages(events, "error")
    assert "not for sale" in refused
    assert view_cart(session=session, owner=owner_of(learner)).lines == []
    # reloaded, the department lists no pack
    assert _department(page_as).packs == []


def test_a_guest_adds_a_pack_to_a_cart_of_their_own(page_as: PageAs,
                                                    packs: dict[str, int]) -> None:
    dept = _department(page_as, email="")
    events = _run(DepartmentState.add_pack, dept, str(packs["MIX4"]))
    assert toast_messages(events, "success")
    assert dept.cart_token and dept.cart_count == 1
