"""The Revenue page's Recovered carts card (issue 19): orders completed from a reminded cart
over the page's period, with their revenue, for admins who may see revenue."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from commerce_dash import routes
from commerce_dash.domain.actor import Actor
from commerce_dash.domain.clock import utcnow
from commerce_dash.pages.admin.recovered_carts import RecoveredCartsState
from commerce_dash.services import commerce as commerce_area
from commerce_dash.services.commerce import cart as cart_service
from commerce_dash.settings import get_settings
from tests.builders import owner_of, paid_order
from tests.pages.harness import run_event, state_as


def test_the_card_counts_orders_recovered_in_the_period(
        session: Session, shop, learner: Actor, billing: Actor) -> None:  # type: ignore[no-untyped-def]
    # given Lee was reminded of the cart and bought from it today
    cart_service.add_item(session=session, owner=owner_of(learner), item_type="course",
                          item_id=shop.courses["PY101"])
    cart = cart_service.find_cart(session=session, owner=owner_of(learner))
    assert cart is not None
    cart.updated_at = utcnow() - timedelta(hours=get_settings().cart_reminder_after_hours + 1)
    session.add(cart)
    session.commit()
    assert commerce_area.send_cart_reminders(session) == 1
    session.commit()
    paid_order(session, learner, key="recovered-card")
    today = utcnow().date()

    # when the billing admin's revenue page shows today
    card = state_as(session, RecoveredCartsState, routes.ADMIN_REVENUE, email="bill@example.com")
    run_event(RecoveredCartsState.load, card, today.isoformat(), today.isoformat())

    # then the card says one order, $100.00, one reminder
    assert [(k["label"], k["value"]) for k in card.recovered] == [
        ("Recovered orders", "1"), ("Recovered revenue", "$100.00"), ("Reminders sent", "1")]
    # a period before it shows none; a broken period shows nothing rather than failing
    yesterday = (today - timedelta(days=1)).isoformat()
    run_event(RecoveredCartsState.load, card, yesterday, yesterday)
    assert card.recovered[0]["value"] == "0" and card.recovered[1]["value"] == "—"
    run_event(RecoveredCartsState.load, card, "not-a-day", yesterday)
    assert card.recovered == []
