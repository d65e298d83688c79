"""Sign in (the password step; the code step is pages/public/second_factor.py).

``?next=<path>`` (a path of this site only) is where signing in lands, through the code step
too; the "Create an account" link carries it on to the register page."""

from __future__ import annotations

import reflex as rx

from commerce_dash import routes
from commerce_dash.components.forms import auth_card, field, form_error
from commerce_dash.components.shell import store_shell
from commerce_dash.components.store_panels import submit_button
from commerce_dash.domain.errors import DomainError
from commerce_dash.services import platform as platform_area
from commerce_dash.state.auth import AuthState
from commerce_dash.state.field_errors import show_field_error
from commerce_dash.state.offload import with_session

EXPIRED = "That sign-in took too long. Sign in again."


class LoginState(AuthState):
    email_error: str = ""
    password_error: str = ""
    form_error: str = ""
    busy: bool = False
    register_href: str = routes.REGISTER  # with this page's ``next``, when it has one

    @rx.event
    def clear(self) -> None:
        self.email_error = self.password_error = self.form_error = ""

    @rx.event
    def load(self) -> None:
        self.clear()
        self.busy = False
        self.register_href = routes.REGISTER + self.next_query()
        if self.router.url.query_parameters.get("expired"):
            self.form_error = EXPIRED

    @rx.event
    async def submit(self, form: dict[str, str]):  # type: ignore[no-untyped-def]
        self.clear()
        self.busy = True
        yield
        email, password = form.get("email", ""), form.get("password", "")
        client_ip = self._client_ip()
        try:
            # argon2 takes ~0.1 s of CPU: a worker thread, never the event loop
            proven = await with_session(lambda session: platform_area.sign_in(
                session=session, email=email, password=password, client_ip=client_ip))
        except DomainError as exc:
            self.busy = False
            show_field_error(self, exc, {"password": "password_error"})
            return
        name = proven.actor.full_name if isinstance(proven, platform_area.Verified) else ""
        yield await self._after_proof(proven, welcome=f"Welcome back, {name}." if name else
                                      "Welcome back.")


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
            submit_button("Sign in", LoginState.busy, id="sign-in-submit"),
            rx.hstack(
                rx.link("Forgot your password?", href=routes.FORGOT_PASSWORD, size="2",
                        id="forgot-password-link"),
                rx.text("New here? ", rx.link("Create an account", href=LoginState.register_href,
                                                id="register-link"),
                        size="2"),
                justify="between",
                wrap="wrap",
                width="100%",
                spacing="2",
            ),
        )
    )
