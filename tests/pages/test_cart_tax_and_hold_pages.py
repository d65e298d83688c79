"""Issue 19 on the cart, checkout and receipt pages: the billing address tax needs asked beside
its fields (Check out disabled with the reason until it is given), the tax line from the cart
on, the same tax by rate on the checkout page and the receipt; the payment-review hold as a
lasting banner with Check out disabled."""

from __future__ import annotations

import reflex as rx
from reflex.constants import RouteArgType
from sqlmodel import Session

from commerce_dash import routes
from commerce_dash.domain.actor import Actor
from commerce_dash.models.commerce import PaymentReview
from commerce_dash.pages.store.cart import CartState
from commerce_dash.pages.store.checkout import CheckoutState
from commerce_dash.pages.store.order_detail_state import OrderDetailState
from commerce_dash.payments.sandbox import CardInput
from commerce_dash.services.commerce import cart as cart_service
from commerce_dash.services.commerce import payments
from commerce_dash.services.commerce import tax as tax_service
from tests.builders import owner_of
from tests.pages.harness import page_state, run_event, toasts, token_for

rx.State.setup_dynamic_args({"number": RouteArgType.SINGLE})


def _cart_with_tax(session: Session, admin: Actor, learner: Actor, shop) -> None:  # type: ignore[no-untyped-def]
    for country, region, percent, label in (
        ("US", "NY", "8.875", "Sales tax"),
        ("DE", "", "19", "VAT"),
    ):
        tax_service.upsert_tax_rate(
            session=session,
            actor=admin,
            country=country,
            region=region,
            department_id=None,
            rate_text=percent,
            label=label,
        )
    cart_service.add_item(
        session=session, owner=owner_of(learner), item_type="course", item_id=shop.courses["PY101"]
    )


def test_the_cart_asks_for_the_address_then_shows_the_tax_the_learner_pays(  # type: ignore[no-untyped-def]
    session: Session, super_admin: Actor, learner: Actor, shop
) -> None:
    _cart_with_tax(session, super_admin, learner, shop)
    token = token_for(session, learner.email)
    cart = page_state(CartState, routes.CART, {}, token)

    run_event(CartState.load, cart)
    assert cart.country_error == "Choose your billing country: the tax depends on it."
    assert (cart.can_check_out, cart.tax_label, cart.tax_amount_label) == (
        False,
        "Tax",
        "Needs your billing country",
    )
    assert cart.checkout_reason == "Add your billing address above so the tax can be calculated."
    # pressing Check out anyway: refused, the message stays beside the field, no toast
    assert run_event(CartState.check_out, cart) == []
    assert cart.country_error and not cart.busy

    run_event(CartState.set_country, cart, "US")
    assert (cart.country_error, cart.region_error) == (
        "",
        "Enter your state (e.g. NY): the tax depends on it.",
    )
    run_event(CartState.set_region, cart, {"region": "ny", "postal_code": ""})
    assert (cart.region_error, cart.can_check_out, cart.checkout_reason) == ("", True, "")
    assert (cart.tax_label, cart.tax_amount_label, cart.labels["total"]) == (
        "Sales tax 8.875% (US-NY)",
        "$8.88",
        "$108.88",
    )

    events = run_event(CartState.check_out, cart)
    assert "/checkout/ORD-" in toasts(events), events
    number = toasts(events).split("/checkout/")[1][:14]
    checkout = page_state(CheckoutState, f"{routes.CHECKOUT}/{number}", {"number": number}, token)
    run_event(CheckoutState.load, checkout)
    assert (checkout.tax_label, checkout.labels["tax"], checkout.labels["total"]) == (
        "Sales tax 8.875% (US-NY)",
        "$8.88",
        "$108.88",
    )
    assert checkout.review_hold == ""

    payments.sandbox_pay(
        session=session,
        actor=learner,
        number=number,
        card=CardInput("4242424242424242", 12, 2099, "123"),
    )
    receipt = page_state(OrderDetailState, f"{routes.ORDERS}/{number}", {"number": number}, token)
    run_event(OrderDetailState.load, receipt)
    assert receipt.tax_rates == [["Sales tax 8.875% (US-NY)", "$8.88"]]
    assert receipt.receipt["total"] == "$108.88"
    assert receipt.receipt["tax_source"] == "Rate table"


def test_a_held_learner_sees_a_lasting_banner_and_check_out_is_disabled(  # type: ignore[no-untyped-def]
    session: Session, learner: Actor, shop
) -> None:
    cart_service.add_item(
        session=session, owner=owner_of(learner), item_type="course", item_id=shop.courses["PY101"]
    )
    session.add(
        PaymentReview(
            user_id=learner.user_id, reason="5 declined payments within 24 hours", failures=5
        )
    )
    session.commit()
    cart = page_state(CartState, routes.CART, {}, token_for(session, learner.email))

    run_event(CartState.load, cart)

    assert cart.review_hold.startswith("Checkout is paused: your account is being reviewed")
    assert "does not lift by waiting" in cart.review_hold
    assert not cart.can_check_out
    assert cart.checkout_reason == "Checkout is paused while your account is reviewed (see above)."
    run_event(CartState.load, cart)  # still there on the next visit: not a toast
    assert cart.review_hold
