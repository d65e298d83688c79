"""Forgotten passwords: ask for a link by email, then choose a new password from it."""

from __future__ import annotations

import reflex as rx

from commerce_dash import routes
from commerce_dash.components.forms import auth_card, field, form_error, new_password_fields
from commerce_dash.components.shell import store_shell
from commerce_dash.components.store_panels import submit_button
from commerce_dash.domain.errors import DomainError
from commerce_dash.pages.public.link_password import link_submit
from commerce_dash.services import platform as platform_area
from commerce_dash.state.auth import AuthState
from commerce_dash.state.offload import with_session
from commerce_dash.state.password_link import PasswordLinkState


class ForgotPasswordState(AuthState):
    form_error: str = ""
    sent: str = ""
    busy: bool = False

    @rx.event
    def load(self) -> None:
        self.form_error = self.sent = ""
        self.busy = False

    @rx.event
    async def submit(self, form: dict[str, str]):  # type: ignore[no-untyped-def]
        self.form_error = ""
        self.busy = True
        yield
        email, client_ip = form.get("email", ""), self._client_ip()
        try:
            self.sent = await with_session(lambda session: platform_area.request_reset(
                session=session, email=email, client_ip=client_ip))
        except DomainError as exc:
            self.form_error = exc.message
        self.busy = False


class ResetPasswordState(PasswordLinkState):
    submit = link_submit(
        platform_area.reset_password,
        welcome="Your password was changed; every other session was signed out.",
    )


def forgot_password_page() -> rx.Component:
    return store_shell(
        auth_card(
            "Forgot your password?",
            "Enter your account's email address and we will send you a link to choose a "
            "new one.",
            ForgotPasswordState.submit,
            form_error(ForgotPasswordState.form_error),
            rx.cond(
                ForgotPasswordState.sent != "",
                rx.callout(ForgotPasswordState.sent, icon="mail", color_scheme="grass",
                           role="status", id="reset-sent", width="100%"),
            ),
            field("Email", "email", type="email", required=True, auto_complete="email"),
            submit_button("Send me a link", ForgotPasswordState.busy, id="forgot-submit"),
            rx.link("Back to sign in", href=routes.LOGIN, size="2"),
        )
    )


def reset_password_page() -> rx.Component:
    return store_shell(
        auth_card(
            "Choose a new password",
            "Every session of your account is signed out when it changes.",
            ResetPasswordState.submit,
            form_error(ResetPasswordState.form_error),
            new_password_fields(ResetPasswordState.password_error, "New password"),
            submit_button("Change password", ResetPasswordState.busy, id="reset-submit"),
            rx.cond(
                ResetPasswordState.form_error != "",
                rx.link("Ask for a new link", href=routes.FORGOT_PASSWORD, size="2"),
            ),
        )
    )
