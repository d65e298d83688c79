"""The cart page (the cart itself arrives with checkout; until then it is always empty)."""

from __future__ import annotations

import reflex as rx

from commerce_dash import routes
from commerce_dash.components.shell import store_shell
from commerce_dash.components.tables import empty_state


def cart_page() -> rx.Component:
    return store_shell(
        rx.vstack(
            rx.heading("Your cart", size="6"),
            rx.card(
                rx.vstack(
                    empty_state(
                        "shopping-cart",
                        "Your cart is empty",
                        "Browse the catalog to find a course or a program.",
                    ),
                    rx.link(rx.button("Browse courses"), href=routes.HOME),
                    align="center",
                ),
                width="100%",
            ),
            spacing="4",
            width="100%",
        )
    )
