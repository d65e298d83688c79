"""Form fields that show their error beside them."""

from __future__ import annotations

import reflex as rx

from commerce_dash.settings import get_settings


def field(
    label: str,
    name: str,
    error: rx.Var[str] | str = "",
    *,
    type: str = "text",
    placeholder: str = "",
    required: bool = False,
    auto_complete: str = "",
    default_value: str = "",
    hint: str = "",
) -> rx.Component:
    """A labelled input whose validation message sits under it."""
    return rx.vstack(
        rx.text(label, as_="label", html_for=name, size="2", weight="medium"),
        rx.input(
            id=name,
            name=name,
            type=type,
            placeholder=placeholder,
            required=required,
            auto_complete=auto_complete or "off",
            default_value=default_value,
            width="100%",
            size="3",
        ),
        rx.cond(
            error != "",
            rx.text(error, color_scheme="red", size="2", id=f"{name}-error"),
            rx.cond(hint != "", rx.text(hint, color_scheme="gray", size="1"), rx.fragment()),
        ),
        spacing="1",
        width="100%",
        align="start",
    )


def new_password_fields(error: rx.Var[str] | str, label: str = "Password") -> rx.Component:
    """A new password and its repetition (the error sits under the first)."""
    return rx.fragment(
        field(label, "password", error, type="password", required=True,
              auto_complete="new-password",
              hint=f"At least {get_settings().password_min_length} characters."),
        field(f"Repeat the {label.lower()}", "password_confirm", type="password",
              required=True, auto_complete="new-password"),
    )


def form_error(message: rx.Var[str]) -> rx.Component:
    """A banner for an error that belongs to the whole form."""
    return rx.cond(
        message != "",
        rx.callout(message, icon="triangle_alert", color_scheme="red", role="alert", width="100%"),
        rx.fragment(),
    )


def auth_card(title: str, subtitle: str, on_submit, *children: rx.Component) -> rx.Component:  # type: ignore[no-untyped-def]
    """The centred card of the sign-in, sign-up and set-password forms."""
    return rx.center(
        rx.card(
            rx.form(
                rx.vstack(
                    rx.heading(title, size="6"),
                    rx.text(subtitle, color_scheme="gray", size="2"),
                    *children,
                    spacing="4",
                    width="100%",
                ),
                on_submit=on_submit,
                reset_on_submit=False,
            ),
            width="100%",
            max_width="440px",
            size="4",
        ),
        padding_top="3em",
    )
