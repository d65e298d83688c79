"""Form fields that show their error beside them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import reflex as rx

from commerce_dash.components.cells import only_if
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
        rx.text(label, as_="label", custom_attrs={"htmlFor": name}, size="2", weight="medium"),
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
            only_if(hint != "", rx.text(hint, color_scheme="gray", size="1")),
        ),
        spacing="1",
        width="100%",
        align="start",
    )


class Input(NamedTuple):
    """What a text field of a form is: its name, its label and what helps to fill it."""

    name: str
    label: str
    placeholder: str = ""
    hint: str = ""
    required: bool = False


def input_fields(errors: Any, inputs: Sequence[Input], draft: Any = None) -> list[rx.Component]:
    """A ``field`` for each of ``inputs``, its error from ``errors[name]`` and, with a
    ``draft``, prefilled from ``draft[name]``."""
    return [
        field(
            i.label,
            i.name,
            errors[i.name],
            placeholder=i.placeholder,
            required=i.required,
            hint=i.hint,
            **({} if draft is None else {"default_value": draft[i.name]}),
        )
        for i in inputs
    ]


def labelled(
    label: str, control: rx.Component, *below: rx.Component, html_for: str = ""
) -> rx.Component:
    """A caption over a control that is no plain text input (a select, a radio group...), with
    what goes under it (its error, a hint). ``html_for`` ties the caption to the control's id."""
    caption = (
        rx.text(label, as_="label", custom_attrs={"htmlFor": html_for}, size="2", weight="medium")
        if html_for
        else rx.text(label, size="2", weight="medium")
    )
    return rx.vstack(caption, control, *below, spacing="1", width="100%", align="start")


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
    return only_if(
        message != "",
        rx.callout(message, icon="triangle_alert", color_scheme="red", role="alert", width="100%"),
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


def select(  # type: ignore[no-untyped-def]
    value,
    on_change,
    options: Sequence[tuple[str, str]] = (),
    *,
    label: str = "",
    first: tuple[str, str] | None = None,
    each: rx.Var | None = None,
    each_value: str | None = "id",
    each_label: str = "label",
    extra: Sequence[rx.Component] = (),
    **trigger,
) -> rx.Component:
    """A drop-down of ``(value, text)`` options.

    ``label`` names it for screen readers (when no visible label points at it); ``first`` is an
    option put before the rest ("Any course"); ``each`` is a state list whose items become
    options (dicts read through ``each_value``/``each_label``, or plain strings when
    ``each_value`` is None); ``extra`` are further ready-made items; the other keyword
    arguments go to the trigger (``id``, ``width``, ``placeholder``...).
    """
    if label:
        trigger.setdefault("aria_label", label)
    items: list[rx.Component] = []
    if first is not None:
        items.append(rx.select.item(first[1], value=first[0]))
    items += [rx.select.item(text, value=v) for v, text in options]
    if each is not None:
        if each_value is None:
            items.append(rx.foreach(each, lambda o: rx.select.item(o, value=o)))
        else:
            items.append(
                rx.foreach(each, lambda o: rx.select.item(o[each_label], value=o[each_value]))
            )
    items += list(extra)
    return rx.select.root(
        rx.select.trigger(**trigger),
        rx.select.content(*items),
        value=value,
        on_change=on_change,
    )


def error_text(message: rx.Var[str] | str, id: str = "") -> rx.Component:
    """A field's error message in red (nothing when it is empty)."""
    props = {"id": id} if id else {}
    return only_if(message != "", rx.text(message, color_scheme="red", size="2", **props))


def reason_footer(  # type: ignore[no-untyped-def]
    error: rx.Var[str] | str, error_id: str, length, minimum: int, count: str, **count_props
) -> rx.Component:
    """The line under a written reason: its error, and how long it is (``count`` follows the
    number, e.g. " / 500"), gray until it reaches ``minimum`` characters, then green."""
    return rx.hstack(
        error_text(error, error_id),
        rx.spacer(),
        rx.text(
            length.to_string(),
            count,
            size="1",
            color_scheme=rx.cond(length < minimum, "gray", "green"),  # type: ignore[arg-type]
            **count_props,
        ),
        width="100%",
    )
