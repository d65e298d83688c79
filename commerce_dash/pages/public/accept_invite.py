"""Set a password from an invitation link."""

from __future__ import annotations

import reflex as rx

from commerce_dash.components.forms import auth_card, field, form_error
from commerce_dash.components.shell import store_shell
from commerce_dash.db import session_scope
from commerce_dash.domain.errors import DomainError
from commerce_dash.services import accounts
from commerce_dash.state.auth import AuthState


class AcceptInviteState(AuthState):
    password_error: str = ""
    form_error: str = ""
    busy: bool = False

    @rx.event
    def submit(self, form: dict[str, str]):  # type: ignore[no-untyped-def]
        self.password_error = self.form_error = ""
        if form.get("password", "") != form.get("password_confirm", ""):
            self.password_error = "The two passwords do not match."
            return
        self.busy = True
        yield
        try:
            with session_scope() as session:
                signed = accounts.accept_invitation(
                    session=session,
                    token=self.router.url.query_parameters.get("token", ""),
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
        self._start(signed)
        yield rx.toast.success("Password set. Welcome!")
        yield rx.redirect(self._landing_for(signed.actor))


def accept_invite_page() -> rx.Component:
    return store_shell(
        auth_card(
            "Set your password",
            "You were invited to Commerce Dash. Choose a password to finish setting up your account.",
            AcceptInviteState.submit,
            form_error(AcceptInviteState.form_error),
            field(
                "Password",
                "password",
                AcceptInviteState.password_error,
                type="password",
                required=True,
                auto_complete="new-password",
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
                "Set password and sign in",
                type="submit",
                width="100%",
                size="3",
                loading=AcceptInviteState.busy,
            ),
        )
    )
