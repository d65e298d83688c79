"""The code step of a two-factor sign-in: a code from the authenticator app, or a recovery
code. Reached after a right password (or an emailed link) for an account that has it on."""

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


class SecondFactorState(AuthState):
    code_error: str = ""
    form_error: str = ""
    busy: bool = False

    @rx.event
    def load(self):  # type: ignore[no-untyped-def]
        self.code_error = self.form_error = ""
        self.busy = False
        if not self._challenge:
            return rx.redirect(routes.LOGIN)
        return None

    @rx.event
    async def submit(self, form: dict[str, str]):  # type: ignore[no-untyped-def]
        self.code_error = self.form_error = ""
        challenge, code = self._challenge, form.get("code", "")
        if not challenge:
            yield rx.redirect(routes.LOGIN)
            return
        self.busy = True
        yield
        try:
            verified = await with_session(lambda session: platform_area.complete(
                session=session, challenge=challenge, code=code))
        except DomainError as exc:
            self.busy = False
            show_field_error(self, exc, {"code": "code_error"})
            return
        landing = self._landing_for(verified.actor, self._challenge_landing)
        welcome = self._challenge_welcome
        self._challenge = self._challenge_landing = self._challenge_welcome = ""
        yield await self._enter(verified, landing, welcome)


def second_factor_page() -> rx.Component:
    return store_shell(
        auth_card(
            "Enter your code",
            "Open your authenticator app and enter the 6-digit code it shows for "
            "Commerce Dash.",
            SecondFactorState.submit,
            form_error(SecondFactorState.form_error),
            field(
                "Code",
                "code",
                SecondFactorState.code_error,
                required=True,
                auto_complete="one-time-code",
                hint="Lost your phone? Enter one of your recovery codes instead.",
            ),
            submit_button("Continue", SecondFactorState.busy, id="second-factor-submit"),
            rx.link("Start over", href=routes.LOGIN, size="2"),
        )
    )
