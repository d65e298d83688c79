"""Small pieces of table cells the admin lists share: plain text cells of a row's fields, a
main line over a grey second line, a line shown only when its value is not empty, and any piece shown only while a condition
holds."""

from __future__ import annotations

from typing import Any

import reflex as rx

RULED_ENTRY: dict[str, Any] = {
    "width": "100%",
    "padding_y": "0.75em",
    "border_bottom": f"1px solid {rx.color('gray', 4)}",
}
"""The layout of one entry of a stacked list (a payment event, a refund request): full width,
a thin rule under it. Spread it into the entry's props: ``rx.hstack(..., **RULED_ENTRY)``."""


def two_lines(main: Any, sub: Any, *, spacing: str = "0", **main_props: Any) -> rx.Component:
    """``main`` (styled by ``main_props``) over ``sub`` in small grey text: a name over an
    email, a number over a date."""
    return rx.vstack(
        rx.text(main, **main_props),
        rx.text(sub, size="1", color_scheme="gray"),
        spacing=spacing,
    )


def text_cells(row: Any, *keys: str, size: str = "2") -> list[rx.Component]:
    """A table cell of plain text for each of ``keys`` of ``row``, in that order: the columns
    of a list that show a field as it is."""
    return [rx.table.cell(rx.text(row[key], size=size)) for key in keys]


def only_if(condition: Any, component: rx.Component) -> rx.Component:
    """``component`` while ``condition`` holds, else nothing."""
    return rx.cond(condition, component, rx.fragment())


def text_if(value: Any, *parts: Any, **props: Any) -> rx.Component:
    """A line of ``parts`` (``value`` itself when none are given) shown only when ``value``
    is not "": an error, a reason, a note that most rows lack."""
    return only_if(value != "", rx.text(*(parts or (value,)), **props))
