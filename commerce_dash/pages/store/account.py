"""The learner's account: profile, roles, courses, certificates; security is its own page.

A container page: it composes the cards of ``my_courses.py``, ``certificates.py`` and
``registrations_card.py``.
"""

from __future__ import annotations

import reflex as rx

from commerce_dash import routes
from commerce_dash.components.shell import store_page
from commerce_dash.pages.store.certificates import my_certificates_card
from commerce_dash.pages.store.my_courses import my_courses_card
from commerce_dash.pages.store.registrations_card import my_registrations_card
from commerce_dash.state.auth import AuthState


class AccountState(AuthState):
    @rx.event
    def load(self):  # type: ignore[no-untyped-def]
        self.load_session()
        if not self.signed_in:
            return rx.redirect(f"{routes.LOGIN}?next={routes.ACCOUNT}")
        return None


def account_page() -> rx.Component:
    return store_page(
        rx.heading("My account", size="6"),
        rx.card(
            rx.vstack(
                rx.heading(AuthState.user_name, size="4", id="account-name"),
                rx.text(AuthState.user_email, color_scheme="gray"),
                rx.hstack(
                    rx.foreach(AuthState.role_labels, lambda r: rx.badge(r, variant="soft"))
                ),
                rx.cond(
                    AuthState.is_admin_user,
                    rx.link(
                        rx.button("Open the admin dashboard", variant="soft"), href=routes.ADMIN
                    ),
                ),
                spacing="2",
                align="start",
            ),
            width="100%",
        ),
        my_courses_card(),
        my_certificates_card(),
        my_registrations_card(),
        rx.card(
            rx.hstack(
                rx.icon("shield-check", size=22, aria_hidden="true"),
                rx.vstack(
                    rx.heading("Security", size="4"),
                    rx.text("Password, two-factor sign-in and where you are signed in.",
                            size="2", color_scheme="gray"),
                    spacing="1",
                    align="start",
                ),
                rx.spacer(),
                rx.link(rx.button("Manage", variant="soft"), href=routes.ACCOUNT_SECURITY,
                        id="account-security-link"),
                align="center",
                spacing="3",
                width="100%",
                wrap="wrap",
            ),
            width="100%",
        ),
    )
