"""Create a learner account: the emailed link finishes it (pages/public/confirm_email.py).

``?next=<path>`` (the cart's "Create an account" link) is remembered in the browser, so
the learner lands back there once the emailed link signs them in; the "Sign in" link carries
it on to the sign-in page."""

from __future__ import annotations

import reflex as rx

from commerce_dash import routes
from commerce_dash.components.forms import auth_card, field, form_error, new_password_fields
from commerce_dash.components.shell import store_shell
from commerce_dash.components.store_panels import submit_button
from commerce_dash.domain.errors import DomainError
from commerce_dash.services import platform as platform_area
from commerce_dash.state.auth import AuthState
from commerce_dash.state.field_errors import show_field_error
from commerce_dash.state.offload import with_session


class RegisterState(AuthState):
    full_name_error: str = ""
    email_error: str = ""
    password_error: str = ""
    form_error: str = ""
    busy: bool = False
    # the answer once the form went through (the same whether or not the address had an account)
    sent: str = ""
    login_href: str = routes.LOGIN  # with this page's ``next``, when it has one
    _email: str = ""

    @rx.event
    def load(self) -> None:
        self.full_name_error = self.email_error = self.password_error = self.form_error = ""
        self.sent = ""
        self.busy = False
        self.login_href = routes.LOGIN + self.next_query()

    @rx.event
    async def submit(self, form: dict[str, str]):  # type: ignore[no-untyped-def]
        self.full_name_error = self.email_error = self.password_error = self.form_error = ""
        if form.get("password", "") != form.get("password_confirm", ""):
            self.password_error = "The two passwords do not match."
            return
        self.busy = True
        yield
        email, name, password = (form.get("email", ""), form.get("full_name", ""),
                                 form.get("password", ""))
        client_ip = self._client_ip()
        try:
            # argon2 runs either way: a worker thread, never the event loop
            message = await with_session(lambda session: platform_area.register_learner(
                session=session, email=email, full_name=name, password=password,
                client_ip=client_ip))
        except DomainError as exc:
            self.busy = False
            show_field_error(self, exc, {
                "email": "email_error",
                "password": "password_error",
                "full_name": "full_name_error",
            })
            return
        self.busy = False
        self._email = email
        self.sent = message
        self.remember_return()  # the emailed link brings the learner back there

    @rx.event
    async def resend(self):  # type: ignore[no-untyped-def]
        email, client_ip = self._email, self._client_ip()
        try:
            message = await with_session(lambda session: platform_area.resend_confirmation(
                session=session, email=email, client_ip=client_ip))
        except DomainError as exc:
            yield rx.toast.error(exc.message)
            return
        yield rx.toast.success(message)


def _sent_panel() -> rx.Component:
    return rx.center(
        rx.card(
            rx.vstack(
                rx.icon("mail-check", size=36, color=rx.color("grass", 11)),
                rx.heading("Check your email", size="6"),
                rx.text(RegisterState.sent, id="register-sent"),
                rx.text("You can browse the catalog and fill your cart meanwhile; paying "
                        "needs the confirmed address.", color_scheme="gray", size="2"),
                rx.hstack(
                    rx.button("Send the link again", variant="soft",
                              on_click=RegisterState.resend, id="resend-confirmation"),
                    rx.link(rx.button("Browse courses"), href=routes.STORE),
                    wrap="wrap",
                ),
                spacing="3",
                align="start",
            ),
            width="100%",
            max_width="440px",
            size="4",
        ),
        padding_top="3em",
    )


def register_page() -> rx.Component:
    return store_shell(
        rx.cond(
            RegisterState.sent != "",
            _sent_panel(),
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
                new_password_fields(RegisterState.password_error),
                submit_button("Create account", RegisterState.busy, id="register-submit"),
                rx.text("Already have an account? ",
                        rx.link("Sign in", href=RegisterState.login_href, id="sign-in-link",
                                underline="always"),
                        size="2"),
            ),
        )
    )
