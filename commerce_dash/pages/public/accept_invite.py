"""Set a password from an invitation link."""

from __future__ import annotations

import reflex as rx

from commerce_dash.components.forms import auth_card, field, form_error
from commerce_dash.components.shell import store_shell
from commerce_dash.domain.errors import DomainError
from commerce_dash.services import registration
from commerce_dash.state.auth import AuthState
from commerce_dash.state.offload import with_session


class AcceptInviteState(AuthState):
    password_error: str = ""
    form_error: str = ""
    busy: bool = False

    @rx.event
    async def submit(self, form: dict[str, str]):  # type: ignore[no-untyped-def]
        self.password_error = self.form_error = ""
        password = form.get("password", "")
        if password != form.get("password_confirm", ""):
            self.password_error = "The two passwords do not match."
            return
        self.busy = True
        yield
        token = self.router.url.query_parameters.get("token", "")
        try:
            proven = await with_session(lambda session: registration.accept_invitation(
                session=session, token=token, password=password))
        except DomainError as exc:
            self.busy = False
            if exc.field == "password":
                self.password_error = exc.message
            else:
                self.form_error = exc.message
            return
        yield await self._after_proof(proven, welcome="Password set. Welcome!")


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
