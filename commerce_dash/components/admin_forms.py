"""Pieces the admin list pages (catalog, pricing, discounts, tax, certificates) share: the small
buttons of a table row, the on/off pair that switches an item, a card's heading with its
actions, a scrolling table, the toolbar above a list and the dialog whose form is remounted
for each item it edits.

They render exactly what each page built by hand before; one place means that a row button or
a dialog footer looks the same on every page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import reflex as rx

from commerce_dash.components.cells import only_if
from commerce_dash.components.dialogs import Text, dialog, dialog_buttons
from commerce_dash.components.forms import form_error, labelled
from commerce_dash.components.store_panels import back_link, icon_label_button, icon_link_button
from commerce_dash.components.tables import header_cell, stacked_table


def row_button(
    label: Any,
    on_click: Any = None,
    *,
    color: str = "",
    when: Any = None,
    icon: str = "",
    **props: Any,
) -> rx.Component:
    """A small soft button in a table row (``color`` is its Radix colour; none: the accent;
    ``icon`` goes before the label).

    ``when``: the button shows only while it holds (the row allows its action).
    """
    if color:
        props["color_scheme"] = color
    if on_click is not None:
        props["on_click"] = on_click
    children = (rx.icon(icon, size=14), label) if icon else (label,)
    button = rx.button(*children, size="1", variant="soft", **props)
    return button if when is None else only_if(when, button)


def row_actions(*buttons: rx.Component) -> rx.Component:
    """The buttons of a row, side by side."""
    return rx.hstack(*buttons, spacing="2")


def toggle_button(
    is_on: rx.Var[bool],
    change: Callable[[bool], Any],
    *,
    off: tuple[str, str] = ("Deactivate", "red"),
    on: tuple[str, str] = ("Activate", "green"),
    **props: Any,
) -> rx.Component:
    """Switches an item: ``off`` (label, colour) while it is on, ``on`` while it is off.

    ``change(False)`` / ``change(True)`` is the event each button sends.
    """
    return rx.cond(
        is_on,
        row_button(off[0], change(False), color=off[1], **props),
        row_button(on[0], change(True), color=on[1], **props),
    )


def card_header(
    title: str, hint: str, *actions: rx.Component, padding_bottom: str = "0.5em"
) -> rx.Component:
    """A card's heading and what it is for, with its buttons at the end of the line."""
    return rx.hstack(
        rx.vstack(
            rx.heading(title, size="4"),
            rx.text(hint, size="2", color_scheme="gray"),
            spacing="1",
        ),
        rx.spacer(),
        *actions,
        align="start",
        wrap="wrap",
        width="100%",
        padding_bottom=padding_bottom,
    )


def section_card(
    title: str,
    hint: str,
    *body: rx.Component,
    actions: tuple[rx.Component, ...] = (),
    id: str,
    padding_bottom: str = "0.5em",
) -> rx.Component:
    """A card of a settings page: its ``card_header`` (with ``actions``), then ``body``."""
    return rx.card(
        card_header(title, hint, *actions, padding_bottom=padding_bottom),
        *body,
        width="100%",
        id=id,
    )


def titled_card(title: str, hint: Any, *body: rx.Component, **card: Any) -> rx.Component:
    """A card whose heading and gray hint stand over its ``body`` in one column (a report or
    queue below the page's main list); ``card`` props go to the card (e.g. its ``id``)."""
    return rx.card(
        rx.vstack(
            rx.heading(title, size="4"),
            note(hint, size="2"),
            *body,
            spacing="3",
            width="100%",
        ),
        width="100%",
        **card,
    )


def link_button(icon: str, label: str, href: Any) -> rx.Component:
    """A soft button with an icon that leads to another admin page."""
    return icon_link_button(icon, label, href, variant="soft")


def soft_action(icon: str, label: Any, on_click: Any, **props: Any) -> rx.Component:
    """A page's secondary action (Refresh, Reload, Export): a soft button with an icon."""
    return icon_label_button(icon, label, variant="soft", on_click=on_click, **props)


def back_and_reload(label: str, href: str, on_reload: Any) -> rx.Component:
    """A detail page's top row: the way back to its list, and Reload."""
    return rx.hstack(back_link(label, href), rx.spacer(),
                     soft_action("rotate-cw", "Reload", on_reload), align="center",
                     width="100%")


def data_table(
    headers: list[str] | tuple[str, ...], rows: rx.Var, row: Any, **box: Any
) -> rx.Component:
    """A table of ``rows`` (one ``row(item)`` each): cards under 640 px (``stacked_table``),
    scrolling sideways when it must on wider screens."""
    return rx.box(
        rx.table.root(
            rx.table.header(rx.table.row(*[header_cell(h) for h in headers])),
            rx.table.body(rx.foreach(rows, row)),
            width="100%",
        ),
        overflow_x="auto",
        width="100%",
        **{**stacked_table(headers), **box},
    )


def search_input(state: Any, placeholder: str, width: Any, **props: Any) -> rx.Component:
    """The search box of a paged list (``state`` has ``search``/``set_search``)."""
    return rx.input(
        placeholder=placeholder,
        value=state.search,
        on_change=state.set_search.debounce(300),
        width=width,
        **props,
    )


def toolbar(*controls: rx.Component, **props: Any) -> rx.Component:
    """The line of search box, filters and buttons above a list."""
    return rx.hstack(*controls, wrap="wrap", spacing="3", width="100%", **props)


def new_button(
    icon: str, label: str, on_click: Any, id: str | None = None, **props: Any
) -> rx.Component:
    """The button that adds an item to a list."""
    if id:
        props["id"] = id
    return icon_label_button(icon, label, on_click=on_click, **props)


def close_row(label: str = "Close") -> rx.Component:
    """The one button of a dialog that only shows something."""
    return rx.hstack(
        rx.dialog.close(rx.button(label, variant="soft")),
        justify="end",
        width="100%",
    )


def edit_dialog(
    title: Text,
    description: Text,
    *fields: rx.Component,
    error: Any,
    submit: Text,
    submit_id: str,
    on_submit: Any,
    open: Any,
    on_open_change: Any,
    key: Any = None,
    **content: Any,
) -> rx.Component:
    """A dialog whose form creates or edits one item: the form's error, its fields, then
    Cancel and ``submit``.

    The text inputs are uncontrolled (prefilled by ``default_value``); a new ``key`` remounts
    them so that they show the item just opened.
    """
    form_props: dict[str, Any] = {} if key is None else {"key": key}
    return dialog(
        title,
        description,
        rx.form(
            rx.vstack(
                form_error(error),
                *fields,
                dialog_buttons(rx.button(submit, type="submit", id=submit_id)),
                spacing="3",
            ),
            on_submit=on_submit,
            reset_on_submit=False,
            **form_props,
        ),
        open=open,
        on_open_change=on_open_change,
        **content,
    )


def description_field(default: Any, rows: str, *below: rx.Component) -> rx.Component:
    """The labelled free-text description of a course or program (prefilled, uncontrolled)."""
    area = rx.text_area(
        id="description", name="description", default_value=default, rows=rows, width="100%"
    )
    return labelled("Description", area, *below, html_for="description")


def published_badge(row: Any) -> rx.Component:
    """Whether a course or program row is published in the storefront or still a draft."""
    return rx.cond(
        row["published"] == "yes",
        rx.badge("published", color_scheme="green"),
        rx.badge("draft", color_scheme="gray"),
    )


def table_or_empty(
    headers: list[str] | tuple[str, ...], rows: rx.Var, row: Any, empty: rx.Component
) -> rx.Component:
    """``data_table`` of ``rows``, or ``empty`` when there are none."""
    return rx.cond(rows.length() > 0, data_table(headers, rows, row), empty)


def note(*text: Any, size: str = "1", **props: Any) -> rx.Component:
    """Quiet gray text: a hint under a field, a caption, what a card or a row says besides."""
    return rx.text(*text, size=size, color_scheme="gray", **props)


def catalog_cells(row: Any) -> list[rx.Component]:
    """The first cells of a course or program row: its code, title and department."""
    return [
        rx.table.cell(rx.code(row["code"])),
        rx.table.cell(rx.text(row["title"], weight="medium")),
        rx.table.cell(rx.text(row["department"], size="2")),
    ]


def icon_action(icon: str, label: Any, on_click: Any, **props: Any) -> rx.Component:
    """A small icon button inside a form (it never submits it); ``label`` names it for screen
    readers. ``variant`` defaults to soft."""
    props.setdefault("variant", "soft")
    return rx.icon_button(
        rx.icon(icon, size=14),
        size="1",
        type="button",
        aria_label=label,
        on_click=on_click,
        **props,
    )


def form_button(icon: str, label: Any, on_click: Any, **props: Any) -> rx.Component:
    """A soft button with an icon inside a form that acts without submitting it (Add,
    Preview, Reload)."""
    return rx.button(
        rx.icon(icon, size=14), label, variant="soft", type="button", on_click=on_click, **props
    )
