"""The cancel buttons (issue 19): a learner cancels a registration waiting for approval from
the account page's registrations card; a billing admin cancels a completed order from the
admin order page, after a dialog that lists what it does and asks why."""

from __future__ import annotations

from sqlmodel import Session, select

from commerce_dash import routes
from commerce_dash.domain.actor import Actor
from commerce_dash.models.commerce import Order, RefundRequest
from commerce_dash.models.enrollment import Registration
from commerce_dash.pages.admin.order_cancel import OrderCancelState
from commerce_dash.pages.store.registrations_card import MyRegistrationsState
from tests.builders import number_of, pending_registration
from tests.pages.harness import run_event, state_as, toast_messages


def test_a_learner_cancels_a_pending_registration_from_the_card(
        session: Session, shop, learner: Actor) -> None:  # type: ignore[no-untyped-def]
    # given Lee's paid PY101 waits for approval
    registration = pending_registration(session, learner, shop.courses["PY101"])
    card = state_as(session, MyRegistrationsState, routes.ACCOUNT, email="lee@example.com")
    run_event(MyRegistrationsState.load, card)
    (row,) = card.registrations
    assert (row["can_cancel"], row["amount"]) == ("yes", "$100.00")

    # when Lee opens Cancel registration… and confirms
    run_event(MyRegistrationsState.open_cancel, card, row["id"])
    assert card.cancel_open and card.cancel_paid == "$100.00"
    events = run_event(MyRegistrationsState.confirm_cancel, card)

    # then it is cancelled, the card says a refund was asked, and no button is left
    assert toast_messages(events, "success") == [
        "Course PY101 is cancelled. We asked the billing team to return your payment; you "
        "get an email."]
    assert not card.cancel_open
    (row,) = card.registrations
    assert (row["status"], row["can_cancel"]) == ("cancelled", "")
    assert "Refund of $100.00" in row["refund"]
    session.expire_all()
    assert session.get(Registration, registration.id).status == "cancelled"  # type: ignore[union-attr]


def test_a_decided_registration_shows_no_cancel_button(
        session: Session, shop, learner: Actor) -> None:  # type: ignore[no-untyped-def]
    from tests.builders import buy

    buy(session, learner, shop, ("course", "PY101"))  # no approval needed: enrolled
    card = state_as(session, MyRegistrationsState, routes.ACCOUNT, email="lee@example.com")
    run_event(MyRegistrationsState.load, card)
    (row,) = card.registrations
    assert (row["status"], row["can_cancel"]) == ("enrolled", "")
    run_event(MyRegistrationsState.open_cancel, card, row["id"])
    assert not card.cancel_open


def test_a_billing_admin_cancels_an_order_after_the_dialog(
        session: Session, shop, learner: Actor, billing: Actor, earned) -> None:  # type: ignore[no-untyped-def]
    # given Lee's completed order of PY101 with its certificate
    order = session.exec(select(Order)).one()
    number = number_of(order)
    page = state_as(session, OrderCancelState, routes.admin_order_href(number),
                    email="bill@example.com", params={"number": number})
    run_event(OrderCancelState.load, page)
    assert page.can_cancel and page.cancel_number == number
    said = " | ".join(page.cancel_effects)
    assert "$100.00 (what is left of the payment) goes to the refund queue" in said
    assert "1 registration(s) cancelled" in said
    assert f"Certificates revoked: {earned.number}." in said

    # when the admin confirms without a reason: told beside the field, nothing done
    run_event(OrderCancelState.open_cancel, page)
    run_event(OrderCancelState.set_cancel_reason, page, "short")
    assert run_event(OrderCancelState.confirm_cancel, page) == []
    assert page.cancel_open and "at least" in page.cancel_error
    # and with one: cancelled, the card says so
    run_event(OrderCancelState.set_cancel_reason, page, "The learner asked us to cancel.")
    events = run_event(OrderCancelState.confirm_cancel, page)
    assert toast_messages(events, "success") == [
        f"Order {number} cancelled. $100.00 waits in the refund queue."]
    assert not page.cancel_open and not page.can_cancel
    assert page.cancel_note.startswith("Cancelled ")
    session.expire_all()
    assert session.exec(select(RefundRequest)).one().source == "order_cancelled"


def test_a_learner_gets_no_cancel_card_on_an_order(
        session: Session, shop, learner: Actor) -> None:  # type: ignore[no-untyped-def]
    from tests.builders import buy

    order = buy(session, learner, shop, ("course", "PY101"))
    number = number_of(order)
    page = state_as(session, OrderCancelState, routes.admin_order_href(number),
                    email="lee@example.com", params={"number": number})
    run_event(OrderCancelState.load, page)
    assert (page.can_cancel, page.cancel_number) == (False, "")
