"""The checkout page of an enrollment an app started through the API links back to the app:
its success address once paid, its cancel address while paying."""

from __future__ import annotations

import reflex as rx
from reflex.constants import RouteArgType
from sqlmodel import Session

from commerce_dash import routes
from commerce_dash.domain.actor import Actor
from commerce_dash.pages.store.checkout import CheckoutState
from commerce_dash.payments.sandbox import CardInput
from commerce_dash.services import commerce as commerce_area
from commerce_dash.services.commerce import payments
from tests.pages.harness import page_state, run_event, token_for

rx.State.setup_dynamic_args({"number": RouteArgType.SINGLE})


def test_the_checkout_page_links_back_to_the_app(
        session: Session, learner: Actor, shop) -> None:  # type: ignore[no-untyped-def]
    started = commerce_area.initialize_enrollment(
        session=session, actor=learner, request=commerce_area.EnrollmentRequest(
            idempotency_key="app-return-0001", course_id=shop.courses["PY101"],
            success_url="https://app.example.com/enrolled",
            cancel_url="https://app.example.com/cancelled"))
    number = started.enrollment_id
    state = page_state(CheckoutState, f"{routes.CHECKOUT}/{number}", {"number": number},
                       token_for(session, learner.email))

    run_event(CheckoutState.load, state)

    assert state.phase == "pay"
    assert state.cancel_url == "https://app.example.com/cancelled"
    payments.sandbox_pay(session=session, actor=learner, number=number,
                         card=CardInput("4242424242424242", 12, 2099, "123"))
    run_event(CheckoutState.load, state)
    assert state.phase == "done"
    assert state.success_url == "https://app.example.com/enrolled"
