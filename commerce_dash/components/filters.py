"""The filter bar above a list: a search box, drop-downs, a date range, Clear and Refresh."""

from __future__ import annotations

from typing import Any

import reflex as rx

from commerce_dash.components.admin_forms import soft_action


def search_box(value: Any, on_change: Any, placeholder: str, id: str | None = None,
               width: Any = None, *, labelled: bool = True) -> rx.Component:
    """A search input that asks the server 300 ms after typing stops. Its placeholder is also
    its accessible name, except where a page had none (``labelled=False`` keeps it so)."""
    return rx.input(
        placeholder=placeholder,
        aria_label=placeholder if labelled else None,
        value=value,
        on_change=on_change.debounce(300),
        width=width or ["100%", "240px"],
        id=id,
    )


def date_range(label: str, date_from: Any, set_from: Any, date_to: Any, set_to: Any,
               from_id: str | None = "date-from", to_id: str | None = "date-to", *,
               labelled: bool = True) -> rx.Component:
    """"<label> [day] to [day]" with date inputs (they send YYYY-MM-DD); each input is named
    after the label, except where a page had no names (``labelled=False`` keeps it so)."""
    return rx.hstack(
        rx.text(label, size="2"),
        rx.input(type="date", value=date_from, on_change=set_from, id=from_id,
                 aria_label=f"{label} (first day)" if labelled else None),
        rx.text("to", size="2"),
        rx.input(type="date", value=date_to, on_change=set_to, id=to_id,
                 aria_label=f"{label} (last day)" if labelled else None),
        align="center",
        wrap="wrap",
    )


def filter_bar(*filters: rx.Component, on_clear: Any = None, on_refresh: Any = None,
               **props: Any) -> rx.Component:
    """The filters, then Clear filters and (at the end) Refresh when given. ``props`` change
    the row's layout (e.g. ``spacing``; ``align=None`` for the default alignment)."""
    tail: list[rx.Component] = []
    if on_clear is not None:
        tail.append(rx.button("Clear filters", variant="ghost", size="2", on_click=on_clear))
    if on_refresh is not None:
        tail += [
            rx.spacer(),
            soft_action("rotate-cw", "Refresh", on_refresh),
        ]
    layout = {"wrap": "wrap", "spacing": "3", "width": "100%", "align": "center", **props}
    return rx.hstack(*filters, *tail, **layout)
