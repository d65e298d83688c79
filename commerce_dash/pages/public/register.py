"""Create a learner account."""

from __future__ import annotations

import reflex as rx

from commerce_dash import routes
from commerce_dash.components.forms import auth_card, field, form_error
from commerce_dash.components.shell import store_shell
from commerce_dash.db import session_scope
from commerce_dash.domain.errors import DomainError
from commerce_dash.services import accounts
from commerce_dash.settings import get_settings
from commerce_dash.state.auth import AuthState


class RegisterState(AuthState):
    full_name_error: str = ""
    email_error: str = ""
    password_error: str = ""
    form_error: str = ""
    busy: bool = False

    @rx.event
    def submit(self, form: dict[str, str]):  # type: ignore[no-untyped-def]
        self.full_name_error = self.email_error = self.password_error = self.form_error = ""
        if form.get("password", "") != form.get("password_confirm", ""):
            self.password_error = "The two passwords do not match."
            return
        self.busy = True
        yield
        try:
            with session_scope() as session:
                signed = accounts.register_learner(
                    session=session,
                    email=form.get("email", ""),
                    full_name=form.get("full_name", ""),
                    password=form.get("password", ""),
                    client_ip=self._client_ip(),
                    user_agent=self.router.headers.user_agent,
                )
        except DomainError as exc:
            self.busy = False
            target = {
                "email": "email_error",
                "password": "password_error",
                "full_name": "full_name_error",
            }.get(exc.field or "", "form_error")
            setattr(self, target, exc.message)
            return
        self.busy = False
        merge_messages = self._start(signed)
        yield rx.toast.success("Your account is ready.")
        for message in merge_messages:
            yield rx.toast.info(message)
        yield rx.redirect(self._landing_for(signed.actor))


def register_page() -> rx.Component:
    min_len = get_settings().password_min_length
    return store_shell(
        auth_card(
            "Create your account",
            "Buy courses, follow your progress and earn certificates.",
            RegisterState.submit,
            form_error(RegisterState.form_error),
            field(
                "Full name",
                "full_name",
                RegisterState.full_name_error,
                required=True,
                auto_complete="name",
            ),
            field(
                "Email",
                "email",
                RegisterState.email_error,
                type="email",
                required=True,
                auto_complete="email",
            ),
            field(
                "Password",
                "password",
                RegisterState.password_error,
                type="password",
                required=True,
                auto_complete="new-password",
                hint=f"At least {min_len} characters.",
            ),
            field(
                "Repeat the password",
                "password_confirm",
                "",
                type="password",
                required=True,
                auto_complete="new-password",
            ),
            rx.button(
                "Create account",
                type="submit",
                width="100%",
                size="3",
                loading=RegisterState.busy,
                id="register-submit",
            ),
            rx.text("Already have an account? ", rx.link("Sign in", href=routes.LOGIN), size="2"),
        )
    )
