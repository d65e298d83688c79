"""The learner's account: profile, roles and password."""

from __future__ import annotations

import reflex as rx

from commerce_dash import routes
from commerce_dash.components.forms import field
from commerce_dash.components.shell import store_shell
from commerce_dash.db import session_scope
from commerce_dash.domain.errors import DomainError
from commerce_dash.pages.store.certificates import my_certificates_card
from commerce_dash.pages.store.my_courses import my_courses_card
from commerce_dash.pages.store.registrations_card import my_registrations_card
from commerce_dash.services import accounts
from commerce_dash.state.auth import AuthState


class AccountState(AuthState):
    current_password_error: str = ""
    password_error: str = ""

    @rx.event
    def load(self):  # type: ignore[no-untyped-def]
        self.load_session()
        if not self.signed_in:
            return rx.redirect(f"{routes.LOGIN}?next={routes.ACCOUNT}")
        return None

    @rx.event
    def change_password(self, form: dict[str, str]):  # type: ignore[no-untyped-def]
        self.current_password_error = self.password_error = ""
        actor = self.current_actor()
        if actor is None:
            return rx.redirect(f"{routes.LOGIN}?next={routes.ACCOUNT}")
        if form.get("new_password", "") != form.get("new_password_confirm", ""):
            self.password_error = "The two passwords do not match."
            return None
        try:
            with session_scope() as session:
                accounts.change_password(
                    session=session,
                    actor=actor,
                    current_password=form.get("current_password", ""),
                    new_password=form.get("new_password", ""),
                )
        except DomainError as exc:
            if exc.field == "current_password":
                self.current_password_error = exc.message
            else:
                self.password_error = exc.message
            return None
        return rx.toast.success("Your password was changed.")


def account_page() -> rx.Component:
    return store_shell(
        rx.vstack(
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
                        rx.fragment(),
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
                rx.form(
                    rx.vstack(
                        rx.heading("Change password", size="4"),
                        field(
                            "Current password",
                            "current_password",
                            AccountState.current_password_error,
                            type="password",
                            required=True,
                            auto_complete="current-password",
                        ),
                        field(
                            "New password",
                            "new_password",
                            AccountState.password_error,
                            type="password",
                            required=True,
                            auto_complete="new-password",
                        ),
                        field(
                            "Repeat the new password",
                            "new_password_confirm",
                            "",
                            type="password",
                            required=True,
                            auto_complete="new-password",
                        ),
                        rx.button("Change password", type="submit"),
                        spacing="3",
                        align="start",
                        width="100%",
                        max_width="420px",
                    ),
                    on_submit=AccountState.change_password,
                    reset_on_submit=True,
                ),
                width="100%",
            ),
            spacing="4",
            width="100%",
        )
    )
