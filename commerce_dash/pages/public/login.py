"""Sign in."""

from __future__ import annotations

import reflex as rx

from commerce_dash import routes
from commerce_dash.components.forms import auth_card, field, form_error
from commerce_dash.components.shell import store_shell
from commerce_dash.db import session_scope
from commerce_dash.domain.errors import DomainError
from commerce_dash.services import accounts
from commerce_dash.state.auth import AuthState


class LoginState(AuthState):
    email_error: str = ""
    password_error: str = ""
    form_error: str = ""
    busy: bool = False

    @rx.event
    def clear(self) -> None:
        self.email_error = self.password_error = self.form_error = ""

    @rx.event
    def submit(self, form: dict[str, str]):  # type: ignore[no-untyped-def]
        self.clear()
        self.busy = True
        yield
        try:
            with session_scope() as session:
                signed = accounts.sign_in(
                    session=session,
                    email=form.get("email", ""),
                    password=form.get("password", ""),
                    client_ip=self._client_ip(),
                    user_agent=self.router.headers.user_agent,
                )
        except DomainError as exc:
            self.busy = False
            if exc.field == "password":
                self.password_error = exc.message
            else:
                self.form_error = exc.message
            return
        self.busy = False
        merge_messages = self._start(signed)
        yield rx.toast.success(f"Welcome back, {signed.actor.full_name}.")
        for message in merge_messages:
            yield rx.toast.info(message)
        yield rx.redirect(self._landing_for(signed.actor))


def login_page() -> rx.Component:
    return store_shell(
        auth_card(
            "Sign in",
            "Welcome back. Sign in to see your courses and orders.",
            LoginState.submit,
            form_error(LoginState.form_error),
            field(
                "Email",
                "email",
                LoginState.email_error,
                type="email",
                required=True,
                auto_complete="email",
            ),
            field(
                "Password",
                "password",
                LoginState.password_error,
                type="password",
                required=True,
                auto_complete="current-password",
            ),
            rx.button(
                "Sign in",
                type="submit",
                width="100%",
                size="3",
                loading=LoginState.busy,
                id="sign-in-submit",
            ),
            rx.text(
                "New here? ",
                rx.link("Create an account", href=routes.REGISTER),
                size="2",
            ),
        )
    )
