"""Dialogs: every one has a title and a description (screen readers announce both), a body and
a row of buttons that ends with the action; Cancel closes it.

``dialog`` is the frame; ``confirm_dialog`` asks yes or no, ``form_dialog`` wraps fields in a form
and ``reason_dialog`` asks for a written reason with a length counter.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from commerce_dash.components.forms import reason_footer

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
    tall: bool = False,
    **content_props,
) -> rx.Component:
    """The frame of every dialog: its title, its description and then ``body``.

    ``alert`` makes it an alert dialog (it asks before something that cannot be undone).
    ``tall``: it may be longer than the screen, so it takes at most 90% of the screen's height
    and scrolls inside.
    """
    if tall:
        content_props = {"max_height": "90vh", "overflow_y": "auto", **content_props}
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
    *buttons: rx.Component, cancel: str = "Cancel", alert: bool = False, **layout: Any
) -> rx.Component:
    """Cancel (closes the dialog, never submits) then the dialog's own buttons, at the end;
    ``layout`` adds to the row's (e.g. ``wrap="wrap"`` for long labels)."""
    close = rx.alert_dialog.cancel if alert else rx.dialog.close
    return rx.hstack(
        close(rx.button(cancel, variant="soft", color_scheme="gray", type="button")),
        *buttons,
        justify="end",
        spacing="3",
        width="100%",
        **layout,
    )


def action_button(  # type: ignore[no-untyped-def]
    label: Text, on_click=None, *, color: str = "", id: str | None = None, loading=False,
    submit: bool = False, **props,
) -> rx.Component:
    """The button that does what the dialog is for. A red one is drawn in high contrast:
    white on Radix red-9 is 3.9:1, under the 4.5:1 text needs (axe color-contrast)."""
    if color:
        props["color_scheme"] = color
        props.setdefault("high_contrast", color == "red")
    if on_click is not None:
        props["on_click"] = on_click
    if id:
        props["id"] = id
    return rx.button(*_parts(label), loading=loading, type="submit" if submit else "button", **props)


def _action_dialog(  # type: ignore[no-untyped-def]
    title: Text,
    description: Text,
    body: tuple[rx.Component, ...],
    action: rx.Component,
    *,
    open,
    on_open_change,
    max_width: str | None,
    alert: bool,
    form: dict[str, Any] | None = None,
) -> rx.Component:
    """The one layout of a confirm or form dialog: under its description ``body``, then Cancel
    and ``action``; with ``form`` (the form's props) all of it is one form."""
    content = rx.vstack(
        *body,
        dialog_buttons(action, alert=alert),
        spacing="3",
        padding_top="1em",
        width="100%",
    )
    if form is not None:
        content = rx.form(content, **form)
    return dialog(
        title,
        description,
        content,
        open=open,
        on_open_change=on_open_change,
        max_width=max_width,
        alert=alert,
    )


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
    return _action_dialog(
        title,
        description,
        body,
        action_button(confirm, on_confirm, color=color, id=confirm_id, loading=loading),
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
    form: dict[str, Any] = {"on_submit": on_submit, "reset_on_submit": False}
    if form_id:
        form["id"] = form_id
    return _action_dialog(
        title,
        description,
        fields,
        action_button(submit, color=color, id=submit_id, loading=loading, submit=True),
        open=open,
        on_open_change=on_open_change,
        max_width=max_width,
        alert=alert,
        form=form,
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
        reason_footer(error, error_id, length, minimum, f" / {maximum}"),
        confirm=confirm,
        on_confirm=on_confirm,
        open=open,
        on_open_change=on_open_change,
        color=color,
        confirm_id=confirm_id,
        loading=loading,
        max_width="520px",
    )
