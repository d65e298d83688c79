"""The link of the registration email. Confirming takes a click (mail scanners open links,
and must not use them up); then the learner is signed in."""

from __future__ import annotations

import reflex as rx

from commerce_dash import routes
from commerce_dash.components.forms import auth_card, field, form_error
from commerce_dash.components.shell import store_page
from commerce_dash.components.store_panels import submit_button
from commerce_dash.domain.errors import DomainError
from commerce_dash.services import platform as platform_area
from commerce_dash.state.auth import AuthState
from commerce_dash.state.offload import with_session


class ConfirmEmailState(AuthState):
    form_error: str = ""
    busy: bool = False
    resent: str = ""

    @rx.event
    def load(self) -> None:
        self.form_error = self.resent = ""
        self.busy = False

    @rx.event
    async def confirm(self, _form: dict[str, str]):  # type: ignore[no-untyped-def]
        self.form_error = ""
        self.busy = True
        yield
        token = self.router.url.query_parameters.get("token", "")
        try:
            proven = await with_session(lambda session: platform_area.confirm_email(
                session=session, token=token))
        except DomainError as exc:
            self.busy = False
            self.form_error = exc.message
            return
        yield await self._after_proof(
            proven, welcome="Your email address is confirmed. Welcome to Commerce Dash!",
            landing=routes.STORE)

    @rx.event
    async def resend(self, form: dict[str, str]):  # type: ignore[no-untyped-def]
        email, client_ip = form.get("email", ""), self._client_ip()
        try:
            self.resent = await with_session(lambda session: platform_area.resend_confirmation(
                session=session, email=email, client_ip=client_ip))
        except DomainError as exc:
            self.resent = exc.message


def confirm_email_page() -> rx.Component:
    return store_page(
        auth_card(
            "Confirm your email",
            "One click finishes your account; you are signed in right after.",
            ConfirmEmailState.confirm,
            form_error(ConfirmEmailState.form_error),
            submit_button("Confirm my email address", ConfirmEmailState.busy, id="confirm-email-submit"),
        ),
        rx.cond(
            ConfirmEmailState.form_error != "",
            rx.center(rx.card(
                rx.form(
                    rx.vstack(
                        rx.heading("Get a new link", size="4"),
                        field("Email", "email", type="email", required=True,
                              auto_complete="email"),
                        rx.button("Send a new link", type="submit", id="resend-submit"),
                        rx.cond(ConfirmEmailState.resent != "",
                                rx.text(ConfirmEmailState.resent, size="2", role="status")),
                        spacing="3",
                        align="start",
                        width="100%",
                    ),
                    on_submit=ConfirmEmailState.resend,
                    reset_on_submit=False,
                ),
                width="100%",
                max_width="440px",
            )),
        ),
    )
