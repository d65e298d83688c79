"""The learner's account: profile, roles, courses, certificates; security is its own page.

A container page: it composes the cards of ``my_courses.py``, ``certificates.py`` and
``registrations_card.py``, and "Your data": a copy of it as a file, and deleting the account
(``personal_data_state.py``).
"""

from __future__ import annotations

import reflex as rx

from commerce_dash import routes
from commerce_dash.components.backend_url import api_href
from commerce_dash.components.forms import field
from commerce_dash.components.shell import store_page
from commerce_dash.pages.store.certificates import my_certificates_card
from commerce_dash.pages.store.my_courses import my_courses_card
from commerce_dash.pages.store.personal_data_state import PersonalDataState
from commerce_dash.pages.store.registrations_card import my_registrations_card
from commerce_dash.state.auth import AuthState


class AccountState(AuthState):
    @rx.event
    def load(self):  # type: ignore[no-untyped-def]
        self.load_session()
        if not self.signed_in:
            return rx.redirect(f"{routes.LOGIN}?next={routes.ACCOUNT}")
        return PersonalDataState.load


def _delete_dialog() -> rx.Component:
    blocked = PersonalDataState.blockers.length() > 0
    return rx.dialog.root(
        rx.dialog.trigger(
            rx.button(rx.icon("trash-2", size=14), "Delete my account", color_scheme="red",
                      variant="soft", id="delete-account-open"),
        ),
        rx.dialog.content(
            rx.dialog.title("Delete your account"),
            rx.dialog.description(
                "Your name, email and password are removed and you are signed out everywhere. "
                "Registrations still running end. Orders, payments and invoices stay on "
                "record for accounting; your certificates still verify, shown as held by a "
                "deleted account. This cannot be undone.",
                size="2",
            ),
            rx.cond(
                blocked,
                rx.callout.root(
                    rx.callout.icon(rx.icon("circle-alert")),
                    rx.callout.text(rx.foreach(PersonalDataState.blockers,
                                               lambda b: rx.text(b, as_="div"))),
                    color_scheme="amber",
                    high_contrast=True,
                    margin_top="1em",
                    id="delete-account-blocked",
                ),
            ),
            rx.form(
                rx.vstack(
                    field("Type your email to confirm", "confirm_email",
                          PersonalDataState.confirm_email_error, type="email", required=True,
                          auto_complete="off"),
                    field("Password", "password", PersonalDataState.delete_password_error,
                          type="password", required=True, auto_complete="current-password"),
                    rx.cond(
                        PersonalDataState.delete_error != "",
                        rx.text(PersonalDataState.delete_error, color_scheme="red", size="2",
                                id="delete-account-error", role="alert"),
                    ),
                    rx.hstack(
                        rx.dialog.close(rx.button("Keep my account", variant="soft",
                                                  color_scheme="gray", type="button")),
                        rx.button("Delete my account", type="submit", color_scheme="red",
                                  loading=PersonalDataState.deleting, disabled=blocked,
                                  id="delete-account-submit"),
                        justify="end",
                        width="100%",
                        wrap="wrap",
                    ),
                    spacing="3",
                    width="100%",
                    margin_top="1em",
                ),
                on_submit=PersonalDataState.delete_account,
                reset_on_submit=False,
            ),
            max_width="480px",
        ),
    )


def _my_data_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Your data", size="4"),
            rx.text(
                "Download everything we keep about you (profile, orders and payments, "
                "registrations, progress, certificates, subscriptions, bookings) as a JSON "
                "file, or delete your account.",
                size="2",
                color_scheme="gray",
            ),
            rx.hstack(
                rx.cond(
                    PersonalDataState.data_path != "",
                    rx.el.a(
                        rx.button(rx.icon("download", size=14), "Download my data",
                                  variant="soft"),
                        href=api_href(PersonalDataState.data_path),
                        download="",
                        reload_document=True,
                        id="download-my-data",
                    ),
                ),
                _delete_dialog(),
                spacing="3",
                wrap="wrap",
            ),
            spacing="2",
            align="start",
        ),
        width="100%",
        id="my-data-card",
    )


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
        _my_data_card(),
    )
