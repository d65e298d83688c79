"""Dialogs: every one has a title and a description (screen readers announce both), a body and
a row of buttons that ends with the action; Cancel closes it.

``dialog`` is the frame; ``confirm_dialog`` asks yes or no, ``form_dialog`` wraps fields in a form
and ``reason_dialog`` asks for a written reason with a length counter.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from commerce_dash.components.forms import error_text

Text = Any  # a str, a Var, or a tuple of both to join


def _parts(text: Text) -> tuple[Any, ...]:
    return text if isinstance(text, tuple) else (text,)


def dialog(  # type: ignore[no-untyped-def]
    title: Text,
    description: Text,
    *body: rx.Component,
    open,
    on_open_change,
    max_width: str | None = None,
    alert: bool = False,
    **content_props,
) -> rx.Component:
    """The frame of every dialog: its title, its description and then ``body``.

    ``alert`` makes it an alert dialog (it asks before something that cannot be undone).
    """
    kind = rx.alert_dialog if alert else rx.dialog
    return kind.root(
        kind.content(
            kind.title(*_parts(title)),
            kind.description(*_parts(description), size="2", color_scheme="gray"),
            *body,
            **({"max_width": max_width} if max_width else {}),
            **content_props,
        ),
        open=open,
        on_open_change=on_open_change,
    )


def dialog_buttons(
    *buttons: rx.Component, cancel: str = "Cancel", alert: bool = False
) -> rx.Component:
    """Cancel (closes the dialog, never submits) then the dialog's own buttons, at the end."""
    close = rx.alert_dialog.cancel if alert else rx.dialog.close
    return rx.hstack(
        close(rx.button(cancel, variant="soft", color_scheme="gray", type="button")),
        *buttons,
        justify="end",
        spacing="3",
        width="100%",
    )


def action_button(  # type: ignore[no-untyped-def]
    label: Text, on_click=None, *, color: str = "", id: str | None = None, loading=False,
    submit: bool = False, **props,
) -> rx.Component:
    """The button that does what the dialog is for."""
    if color:
        props["color_scheme"] = color
    if on_click is not None:
        props["on_click"] = on_click
    if id:
        props["id"] = id
    return rx.button(*_parts(label), loading=loading, type="submit" if submit else "button", **props)


def confirm_dialog(  # type: ignore[no-untyped-def]
    title: Text,
    description: Text,
    *body: rx.Component,
    confirm: Text,
    on_confirm,
    open,
    on_open_change,
    color: str = "red",
    confirm_id: str | None = None,
    loading=False,
    max_width: str | None = None,
    alert: bool = False,
) -> rx.Component:
    """Asks before an action: what happens, then Cancel or ``confirm``."""
    return dialog(
        title,
        description,
        rx.vstack(
            *body,
            dialog_buttons(
                action_button(confirm, on_confirm, color=color, id=confirm_id, loading=loading),
                alert=alert,
            ),
            spacing="3",
            padding_top="1em",
            width="100%",
        ),
        open=open,
        on_open_change=on_open_change,
        max_width=max_width,
        alert=alert,
    )


def form_dialog(  # type: ignore[no-untyped-def]
    title: Text,
    description: Text,
    *fields: rx.Component,
    submit: Text,
    on_submit,
    open,
    on_open_change,
    submit_id: str | None = None,
    color: str = "",
    loading=False,
    max_width: str | None = None,
    form_id: str | None = None,
    alert: bool = False,
) -> rx.Component:
    """A form in a dialog: its fields, then Cancel and ``submit``."""
    form_props: dict[str, Any] = {"id": form_id} if form_id else {}
    return dialog(
        title,
        description,
        rx.form(
            rx.vstack(
                *fields,
                dialog_buttons(
                    action_button(submit, color=color, id=submit_id, loading=loading, submit=True),
                    alert=alert,
                ),
                spacing="3",
                padding_top="1em",
                width="100%",
            ),
            on_submit=on_submit,
            reset_on_submit=False,
            **form_props,
        ),
        open=open,
        on_open_change=on_open_change,
        max_width=max_width,
        alert=alert,
    )


def reason_dialog(  # type: ignore[no-untyped-def]
    title: Text,
    description: Text,
    *,
    value,
    on_change,
    length,
    minimum: int,
    maximum: int,
    error,
    error_id: str,
    reason_id: str,
    placeholder: str,
    confirm: Text,
    on_confirm,
    confirm_id: str,
    open,
    on_open_change,
    color: str = "red",
    loading=False,
) -> rx.Component:
    """Asks for a written reason (``minimum`` to ``maximum`` characters) before an action."""
    return confirm_dialog(
        title,
        description,
        rx.text_area(
            placeholder=placeholder,
            value=value,
            on_change=on_change,
            rows="4",
            max_length=maximum,
            width="100%",
            id=reason_id,
            aria_label=placeholder,
            auto_focus=True,
        ),
        rx.hstack(
            error_text(error, error_id),
            rx.spacer(),
            rx.text(
                length.to_string(),
                f" / {maximum}",
                size="1",
                color_scheme=rx.cond(length < minimum, "gray", "green"),  # type: ignore[arg-type]
            ),
            width="100%",
        ),
        confirm=confirm,
        on_confirm=on_confirm,
        open=open,
        on_open_change=on_open_change,
        color=color,
        confirm_id=confirm_id,
        loading=loading,
        max_width="520px",
    )
