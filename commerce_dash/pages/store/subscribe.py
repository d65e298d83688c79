"""Subscribe to a department (/subscribe/[code]): plan, discount code, billing address,
what is charged today and then, the card (the sandbox's test-card form, or Stripe's card
field when the department bills through Stripe), and the 3-D Secure step of the first
payment."""

from __future__ import annotations

from typing import Any

import reflex as rx

from commerce_dash import routes
from commerce_dash.components.cells import only_if
from commerce_dash.components.forms import error_text, form_error, labelled
from commerce_dash.components.store_item import item_page
from commerce_dash.components.store_panels import back_link, card_column
from commerce_dash.pages.store.cart import COUNTRIES
from commerce_dash.pages.store.subscribe_state import STRIPE_CARD_ID, SubscribeState
from commerce_dash.payments.sandbox import TEST_CARDS
from commerce_dash.settings import get_settings
from commerce_dash.state.auth import AuthState


def card_fields(on_submit: Any, busy: Any, error: Any, label: Any, prefix: str,
                button_id: str) -> rx.Component:
    """The sandbox card form (number, expiry, CVC; the checkout page's fields) with its
    error beside it and the test cards under it. ``prefix`` keeps the ids of two forms on
    one page apart."""
    number, expiry, cvc = f"{prefix}-number", f"{prefix}-expiry", f"{prefix}-cvc"
    return rx.vstack(
        rx.form(
            rx.vstack(
                rx.text("Card number", as_="label", custom_attrs={"htmlFor": number}, size="2",
                        weight="medium"),
                rx.input(name="card_number", placeholder="4242 4242 4242 4242", id=number,
                         input_mode="numeric", auto_complete="cc-number", width="100%",
                         required=True),
                rx.hstack(
                    rx.vstack(rx.text("Expiry", as_="label", custom_attrs={"htmlFor": expiry}, size="2",
                                      weight="medium"),
                              rx.input(name="expiry", placeholder="MM/YY", id=expiry,
                                       auto_complete="cc-exp", required=True, width="100%"),
                              spacing="1", flex="1"),
                    rx.vstack(rx.text("CVC", as_="label", custom_attrs={"htmlFor": cvc}, size="2",
                                      weight="medium"),
                              rx.input(name="cvc", placeholder="123", id=cvc,
                                       input_mode="numeric", auto_complete="cc-csc",
                                       required=True, width="100%"),
                              spacing="1", flex="1"),
                    width="100%",
                ),
                only_if(error != "", rx.callout(error, icon="circle-alert", color_scheme="red",
                                                size="1", id=f"{prefix}-error",
                                                role="alert", width="100%")),
                rx.button(rx.icon("lock", size=16), label, type="submit", size="3",
                          width="100%", loading=busy, id=button_id),
                spacing="3",
                width="100%",
            ),
            on_submit=on_submit,
            reset_on_submit=False,
            width="100%",
        ),
        rx.box(
            rx.text("Test cards", size="1", weight="bold"),
            *[rx.text(f"{n[:4]} {n[4:8]} {n[8:12]} {n[12:]}: {label_}", size="1",
                      color_scheme="gray", font_family="monospace")
              for n, label_ in TEST_CARDS],
            rx.text("Any future expiry and any 3 digits for the CVC.", size="1",
                    color_scheme="gray"),
        ),
        spacing="3",
        width="100%",
    )


def stripe_card_field(on_click: Any, busy: Any, ready: Any, error: Any, label: Any,
                      element_id: str, button_id: str) -> rx.Component:
    """Stripe's card field (Stripe.js from ``settings.stripe_js_url``, mounted by the page's
    state into ``#element_id``, as on the checkout page), its error and the button."""
    return rx.vstack(
        rx.script(src=get_settings().stripe_js_url),
        rx.text("Card", size="2", weight="medium"),
        rx.box(id=element_id, padding="0.75em", border=f"1px solid {rx.color('gray', 6)}",
               border_radius="6px", width="100%", min_height="44px"),
        only_if(error != "", rx.callout(error, icon="circle-alert", color_scheme="red",
                                        size="1", id=f"{element_id}-error", role="alert",
                                        width="100%")),
        rx.button(rx.icon("lock", size=16), label, size="3", width="100%", loading=busy,
                  disabled=~ready, on_click=on_click, id=button_id),
        rx.text("Card details go straight to Stripe; we never see or store them.", size="1",
                color_scheme="gray"),
        spacing="3",
        width="100%",
    )


def _plan_choice(plan: rx.Var[dict[str, str]]) -> rx.Component:
    return rx.radio_group.item(
        rx.hstack(
            rx.vstack(
                rx.text(plan["interval"], weight="bold"),
                rx.hstack(
                    rx.cond(plan["trial"] != "",
                            rx.badge(plan["trial"], color_scheme="green", variant="soft")),
                    rx.cond(plan["subdepartments"] != "",
                            rx.badge(plan["subdepartments"], variant="soft")),
                    spacing="2",
                    wrap="wrap",
                ),
                spacing="1",
                align="start",
            ),
            rx.spacer(),
            rx.text(plan["price"], " / ", plan["per"], weight="medium", white_space="nowrap"),
            width="100%",
            align="center",
        ),
        value=plan["id"],
        class_name="subscribe-plan",
        padding="0.75em",
        border=f"1px solid {rx.color('gray', 5)}",
        border_radius="8px",
        width="100%",
    )


def _plans() -> rx.Component:
    return card_column(
        rx.heading("Choose a plan", size="4", id="plans-heading"),
        rx.radio_group.root(
            rx.vstack(rx.foreach(SubscribeState.plans, _plan_choice), spacing="2",
                      width="100%"),
            value=SubscribeState.plan_id,
            on_change=SubscribeState.choose_plan,
            aria_labelledby="plans-heading",
            id="subscribe-plans",
            width="100%",
        ),
        error_text(SubscribeState.plan_error, "plan-error"),
    )


def _code_box() -> rx.Component:
    return rx.cond(
        SubscribeState.summary["discount"] != "",
        rx.hstack(
            rx.badge(rx.icon("ticket-percent", size=14), SubscribeState.summary["discount"],
                     size="2", color_scheme="green", id="applied-code", white_space="normal"),
            rx.spacer(),
            rx.button("Remove code", variant="ghost", size="1",
                      on_click=SubscribeState.remove_code),
            align="center",
            width="100%",
        ),
        rx.form(
            rx.vstack(
                rx.text("Discount code", as_="label", custom_attrs={"htmlFor": "discount-code"}, size="2",
                        weight="medium"),
                rx.hstack(
                    rx.input(name="code", placeholder="Discount code", id="discount-code",
                             flex="1"),
                    rx.button("Apply", type="submit", variant="soft", id="apply-code"),
                    width="100%",
                ),
                error_text(SubscribeState.code_error, "code-error"),
                width="100%",
                spacing="1",
            ),
            on_submit=SubscribeState.apply_code,
            reset_on_submit=False,
            width="100%",
        ),
    )


def _address() -> rx.Component:
    return rx.vstack(
        labelled(
            "Billing country (for tax)",
            rx.select.root(
                rx.select.trigger(placeholder="Choose your country", width="100%",
                                  id="billing-country"),
                rx.select.content(*[rx.select.item(name, value=code) for code, name in COUNTRIES]),
                value=SubscribeState.billing_country,
                on_change=SubscribeState.set_country,
            ),
            html_for="billing-country",
        ),
        rx.form(
            rx.flex(
                rx.input(name="region", placeholder="State / region (e.g. NY)",
                         default_value=SubscribeState.billing_region, flex="1",
                         aria_label="State or region", id="billing-region"),
                rx.input(name="postal_code", placeholder="Postal code",
                         default_value=SubscribeState.billing_postal_code, flex="1",
                         aria_label="Postal code", id="billing-postal-code"),
                rx.button("Update", type="submit", variant="soft", size="2"),
                spacing="2",
                width="100%",
                wrap="wrap",
            ),
            on_submit=SubscribeState.set_region,
            reset_on_submit=False,
            width="100%",
        ),
        spacing="2",
        width="100%",
    )


def _row(label: Any, value: Any, **props: Any) -> rx.Component:
    return rx.hstack(rx.text(label, size="2"), rx.spacer(), rx.text(value, size="2", **props),
                     width="100%")


def _summary() -> rx.Component:
    s = SubscribeState.summary
    return card_column(
        rx.heading("Summary", size="4"),
        _code_box(),
        _address(),
        rx.divider(),
        rx.cond(
            s["today"],
            rx.vstack(
                _row("Plan", s["price"], id="quote-price"),
                _row(s["tax_label"], s["tax"], id="quote-tax"),
                only_if(s["trial"] != "", rx.text(s["trial"], size="2", color_scheme="green",
                                                  id="quote-trial")),
                rx.divider(),
                rx.hstack(rx.text("Today", weight="bold"), rx.spacer(),
                          rx.text(s["today"], weight="bold", size="5", id="quote-today"),
                          width="100%", align="center"),
                rx.text(s["then"], size="2", color_scheme="gray", id="quote-then"),
                spacing="2",
                width="100%",
            ),
            rx.text("Choose a plan to see its price.", size="2", color_scheme="gray"),
        ),
    )


def _pay() -> rx.Component:
    return card_column(
        rx.heading("Payment", size="4"),
        form_error(SubscribeState.form_error),
        rx.cond(
            AuthState.signed_in,
            rx.cond(
                SubscribeState.step == "authenticate",
                _authenticate(),
                rx.vstack(
                    rx.cond(
                        SubscribeState.processor == "stripe",
                        stripe_card_field(SubscribeState.subscribe_stripe, SubscribeState.busy,
                                          SubscribeState.card_ready, SubscribeState.card_error,
                                          "Subscribe", STRIPE_CARD_ID, "subscribe"),
                        rx.vstack(
                            rx.callout("Test mode: no real card is charged. Use a test card "
                                       "below.", icon="flask-conical", color_scheme="blue",
                                       size="1"),
                            card_fields(SubscribeState.subscribe, SubscribeState.busy,
                                        SubscribeState.card_error, "Subscribe", "card",
                                        "subscribe"),
                            spacing="3",
                            width="100%",
                        ),
                    ),
                    rx.text("Cancel or pause at any time from My subscriptions.", size="1",
                            color_scheme="gray"),
                    spacing="3",
                    width="100%",
                ),
            ),
            rx.vstack(
                rx.text("Sign in to subscribe; you come back here after.", size="2"),
                rx.link(rx.button("Sign in to subscribe", size="3", width="100%"),
                        href=SubscribeState.signin_href, id="signin-to-subscribe",
                        width="100%"),
                spacing="2",
                width="100%",
            ),
        ),
    )


def _authenticate() -> rx.Component:
    return rx.vstack(
        rx.hstack(rx.icon("shield-check", size=24, color=rx.color("indigo", 9)),
                  rx.heading("Sandbox Bank · 3-D Secure", size="3"), align="center"),
        rx.text("Your bank asks you to approve the first payment of ",
                rx.text.strong(SubscribeState.authenticate_amount), " for subscription ",
                SubscribeState.sub_ref, ".", id="authenticate-step"),
        rx.text("This is the sandbox's stand-in for your bank's check.", size="1",
                color_scheme="gray"),
        rx.hstack(
            rx.button("Complete authentication", id="approve-3ds",
                      loading=SubscribeState.busy,
                      on_click=SubscribeState.authenticate(True)),
            rx.button("Fail authentication", variant="soft", color_scheme="red",
                      id="fail-3ds", on_click=SubscribeState.authenticate(False)),
            spacing="3",
            wrap="wrap",
        ),
        spacing="3",
        width="100%",
    )


def _found() -> rx.Component:
    return rx.vstack(
        back_link("Back to the department",
                  f"{routes.STORE_DEPARTMENT}/" + SubscribeState.department_code),
        rx.heading("Subscribe to ", SubscribeState.department_name, size="6",
                   id="subscribe-title"),
        rx.cond(
            SubscribeState.plans.length() > 0,
            rx.flex(
                rx.vstack(_plans(), _summary(), flex="1", width="100%", spacing="4"),
                rx.box(_pay(), flex="1", width="100%"),
                direction=rx.breakpoints(initial="column", md="row"),
                spacing="4",
                width="100%",
                align="start",
            ),
            rx.callout("This department has no subscription plans right now.", icon="info",
                       color_scheme="gray", id="no-plans"),
        ),
        spacing="4",
        width="100%",
    )


def subscribe_page() -> rx.Component:
    return item_page(
        SubscribeState.status,
        _found(),
        "Department not found",
        "Check the address, or browse the catalog by department.",
    )
