"""Set a password from an invitation link."""

from __future__ import annotations

import reflex as rx

from commerce_dash.components.forms import auth_card, form_error, new_password_fields
from commerce_dash.components.shell import store_shell
from commerce_dash.components.store_panels import submit_button
from commerce_dash.pages.public.link_password import link_submit
from commerce_dash.services import platform as platform_area
from commerce_dash.state.password_link import PasswordLinkState


class AcceptInviteState(PasswordLinkState):
    submit = link_submit(platform_area.accept_invitation, welcome="Password set. Welcome!")


def accept_invite_page() -> rx.Component:
    return store_shell(
        auth_card(
            "Set your password",
            "You were invited to Commerce Dash. Choose a password to finish setting up your account.",
            AcceptInviteState.submit,
            form_error(AcceptInviteState.form_error),
            new_password_fields(AcceptInviteState.password_error),
            submit_button("Set password and sign in", AcceptInviteState.busy),
        )
    )
