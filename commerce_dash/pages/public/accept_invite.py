"""Set a password from an invitation link."""

from __future__ import annotations

import reflex as rx

from commerce_dash.components.forms import auth_card, form_error, new_password_fields
from commerce_dash.components.shell import store_shell
from commerce_dash.services.platform import signup as registration
from commerce_dash.state.password_link import PasswordLinkState


class AcceptInviteState(PasswordLinkState):
    @rx.event
    async def submit(self, form: dict[str, str]):  # type: ignore[no-untyped-def]
        async for event in self._set_password(
            form,
            lambda session, token, password: registration.accept_invitation(
                session=session, token=token, password=password),
            welcome="Password set. Welcome!",
        ):
            yield event


def accept_invite_page() -> rx.Component:
    return store_shell(
        auth_card(
            "Set your password",
            "You were invited to Commerce Dash. Choose a password to finish setting up your account.",
            AcceptInviteState.submit,
            form_error(AcceptInviteState.form_error),
            new_password_fields(AcceptInviteState.password_error),
            rx.button(
                "Set password and sign in",
                type="submit",
                width="100%",
                size="3",
                loading=AcceptInviteState.busy,
            ),
        )
    )
