"""The filter bar above a list: a search box, drop-downs, a date range, Clear and Refresh."""

from __future__ import annotations

from typing import Any

import reflex as rx


def search_box(value: Any, on_change: Any, placeholder: str, id: str, width: Any = None) -> rx.Component:
    """A search input that asks the server 300 ms after typing stops."""
    return rx.input(
        placeholder=placeholder,
        aria_label=placeholder,
        value=value,
        on_change=on_change.debounce(300),
        width=width or ["100%", "240px"],
        id=id,
    )


def date_range(label: str, date_from: Any, set_from: Any, date_to: Any, set_to: Any,
               from_id: str = "date-from", to_id: str = "date-to") -> rx.Component:
    """"<label> [day] to [day]" with date inputs (they send YYYY-MM-DD)."""
    return rx.hstack(
        rx.text(label, size="2"),
        rx.input(type="date", value=date_from, on_change=set_from, id=from_id,
                 aria_label=f"{label} (first day)"),
        rx.text("to", size="2"),
        rx.input(type="date", value=date_to, on_change=set_to, id=to_id,
                 aria_label=f"{label} (last day)"),
        align="center",
        wrap="wrap",
    )


def filter_bar(*filters: rx.Component, on_clear: Any = None, on_refresh: Any = None) -> rx.Component:
    """The filters, then Clear filters and (at the end) Refresh when given."""
    tail: list[rx.Component] = []
    if on_clear is not None:
        tail.append(rx.button("Clear filters", variant="ghost", size="2", on_click=on_clear))
    if on_refresh is not None:
        tail += [
            rx.spacer(),
            rx.button(rx.icon("rotate-cw", size=16), "Refresh", variant="soft",
                      on_click=on_refresh),
        ]
    return rx.hstack(*filters, *tail, wrap="wrap", spacing="3", width="100%", align="center")
