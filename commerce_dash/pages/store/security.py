"""Account security (/account/security): password, where you are signed in, two-factor
sign-in with its recovery codes. Password checks run argon2, so those handlers hand their
work to a worker thread."""

from __future__ import annotations

import reflex as rx

from commerce_dash import routes
from commerce_dash.components.forms import field, form_error
from commerce_dash.components.shell import store_page
from commerce_dash.components.store_panels import card_column
from commerce_dash.pages.store.security_state import (
    SecurityState,
)


def _card(title: str, *children: rx.Component, **props: object) -> rx.Component:
    return card_column(rx.heading(title, size="4"), *children, **props)


def _secret_form(  # type: ignore[no-untyped-def]
    on_submit, *children: rx.Component, spacing: str = "2", **column: str
) -> rx.Component:
    """A form of this page in one column; it empties once sent, so no password or code stays
    in the page. ``column`` (width, max_width) sizes the column; the form takes the same
    width."""
    column.setdefault("max_width", "320px")
    return rx.form(
        rx.vstack(*children, spacing=spacing, align="start", **column),
        on_submit=on_submit,
        reset_on_submit=True,
        **({"width": column["width"]} if "width" in column else {}),
    )


def _password_card() -> rx.Component:
    return _card(
        "Password",
        _secret_form(
            SecurityState.change_password,
            field("Current password", "current_password",
                  SecurityState.current_password_error, type="password", required=True,
                  auto_complete="current-password"),
            field("New password", "new_password", SecurityState.password_error,
                  type="password", required=True, auto_complete="new-password"),
            field("Repeat the new password", "new_password_confirm", type="password",
                  required=True, auto_complete="new-password"),
            rx.text("Changing it signs out every other session of your account.",
                    size="2", color_scheme="gray"),
            rx.button("Change password", type="submit", loading=SecurityState.busy,
                      id="change-password-submit"),
            spacing="3",
            width="100%",
            max_width="420px",
        ),
    )


def _session_row(row: rx.Var[dict[str, str]]) -> rx.Component:
    return rx.hstack(
        rx.icon("monitor-smartphone", size=18, aria_hidden="true"),
        rx.vstack(
            rx.hstack(
                rx.text(row["device"], weight="medium"),
                rx.cond(row["current"] != "", rx.badge("This session", color_scheme="grass")),
                rx.cond(row["code"] != "", rx.badge("Code checked", variant="soft")),
                wrap="wrap",
                spacing="2",
            ),
            rx.text(row["address"], " · since ", row["since"],
                    rx.cond(row["seen"] != "", rx.text.span(" · last used ", row["seen"])),
                    size="1", color_scheme="gray"),
            spacing="0",
            align="start",
        ),
        class_name="session-row",
        spacing="3",
        align="center",
        width="100%",
    )


def _sessions_card() -> rx.Component:
    return _card(
        "Where you are signed in",
        rx.vstack(rx.foreach(SecurityState.sessions, _session_row), spacing="3", width="100%",
                  id="open-sessions"),
        rx.hstack(
            rx.button("Sign out other sessions", variant="soft",
                      on_click=SecurityState.sign_out_others, id="sign-out-others"),
            rx.button("Sign out everywhere", variant="soft", color_scheme="red",
                      on_click=SecurityState.sign_out_everywhere, id="sign-out-everywhere"),
            wrap="wrap",
        ),
    )


def _recovery_codes_panel() -> rx.Component:
    return rx.callout.root(
        rx.vstack(
            rx.text("Your recovery codes", weight="bold"),
            rx.text("Each works once in place of a code, if you lose your phone. Keep them "
                    "somewhere safe: they are not shown again.", size="2"),
            rx.grid(
                rx.foreach(SecurityState.recovery_codes,
                           lambda c: rx.code(c, class_name="recovery-code")),
                columns="2",
                spacing="2",
                id="recovery-codes",
            ),
            rx.button("I have saved them", size="1", variant="soft",
                      on_click=SecurityState.hide_recovery_codes),
            spacing="2",
            align="start",
        ),
        color_scheme="amber",
        role="status",
        width="100%",
    )


def _code_form(on_submit, label: str, button: str, button_id: str) -> rx.Component:  # type: ignore[no-untyped-def]
    return _secret_form(
        on_submit,
        field(label, "code", SecurityState.code_error, required=True,
              auto_complete="one-time-code"),
        rx.button(button, type="submit", id=button_id),
    )


def _enrolment() -> rx.Component:
    return rx.vstack(
        rx.text("1. Scan this code with an authenticator app (or type the key below).",
                size="2"),
        rx.image(src=SecurityState.enrol_qr, alt="QR code to add Commerce Dash to your "
                 "authenticator app", width="200px", height="200px", id="enrol-qr"),
        rx.text("Key: ", rx.code(SecurityState.enrol_secret, id="enrol-secret"), size="2"),
        rx.text("2. Enter the 6-digit code the app shows.", size="2"),
        _code_form(SecurityState.confirm_enrolment, "Code from the app", "Turn on",
                   "confirm-enrolment"),
        rx.button("Cancel", variant="ghost", size="1", on_click=SecurityState.cancel_enrolment),
        spacing="2",
        align="start",
    )


def _second_factor_card() -> rx.Component:
    return _card(
        "Two-factor sign-in",
        rx.cond(SecurityState.recovery_codes.length() > 0, _recovery_codes_panel()),
        rx.cond(
            SecurityState.second_factor_on,
            rx.vstack(
                rx.hstack(rx.badge("On", color_scheme="grass", id="second-factor-status"),
                          rx.text(SecurityState.recovery_codes_left,
                                  " recovery codes left", size="2")),
                rx.text("Signing in asks for a code from your authenticator app.", size="2"),
                _code_form(SecurityState.replace_recovery_codes, "Code from the app",
                           "Make new recovery codes", "replace-recovery-codes"),
                _secret_form(
                    SecurityState.disable_second_factor,
                    field("Password", "password", SecurityState.disable_error,
                          type="password", required=True,
                          auto_complete="current-password"),
                    rx.button("Turn off two-factor sign-in", type="submit",
                              color_scheme="red", variant="soft",
                              id="disable-second-factor"),
                ),
                spacing="3",
                align="start",
            ),
            rx.cond(
                SecurityState.enrol_qr != "",
                _enrolment(),
                rx.vstack(
                    rx.hstack(rx.badge("Off", color_scheme="gray", id="second-factor-status")),
                    rx.text("Add a code from your phone to your password, so a stolen "
                            "password alone cannot sign in.", size="2"),
                    rx.button("Set up two-factor sign-in", on_click=SecurityState.start_enrolment,
                              id="start-enrolment"),
                    spacing="2",
                    align="start",
                ),
            ),
        ),
        id="second-factor-card",
    )


def security_page() -> rx.Component:
    return store_page(
        rx.hstack(
            rx.link("My account", href=routes.ACCOUNT, size="2"),
            rx.text("/", size="2", color_scheme="gray"),
            spacing="2",
        ),
        rx.heading("Security", size="6"),
        form_error(SecurityState.form_error),
        rx.cond(
            SecurityState.second_factor_missing,
            rx.callout("Your admin role needs two-factor sign-in: set it up below (or "
                       "sign in again with your code) to open the admin pages.",
                       icon="shield-alert", color_scheme="amber", role="alert",
                       width="100%", id="second-factor-required"),
        ),
        rx.cond(
            SecurityState.email_verified,
            rx.fragment(),
            rx.callout.root(
                rx.callout.text("Your email address is not confirmed yet: paying needs "
                                "it. "),
                rx.button("Send the link again", size="1", variant="soft",
                          on_click=SecurityState.resend_confirmation),
                color_scheme="amber",
                width="100%",
            ),
        ),
        _second_factor_card(),
        _password_card(),
        _sessions_card(),
    )
