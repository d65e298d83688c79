"""Key figure cards (label, value, hint) in a grid: the admin overview and the revenue
report show their figures the same way."""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.vars import ObjectVar


def _kpi_body(item: ObjectVar[dict[str, str]], value_size: str) -> rx.Component:
    return rx.vstack(
        rx.text(item["label"], size="2", color_scheme="gray"),
        rx.heading(item["value"], size=value_size, class_name="kpi-value", as_="p"),
        rx.text(item["hint"], size="1", color_scheme="gray"),
        spacing="1",
        align="start",
    )


def _kpi_card(item: ObjectVar[dict[str, str]], value_size: str) -> rx.Component:
    """A card of one figure; with an ``href`` the whole card is a link to the page where the
    figure is worked on (an item without one, or with "", is a plain card)."""
    return rx.cond(
        item["href"],
        rx.card(
            rx.link(_kpi_body(item, value_size), href=item["href"], underline="none",
                    color="inherit", class_name="kpi-link"),
            as_child=True,
            data_kpi=item["label"],
            _hover={"background": rx.color("accent", 2)},
        ),
        rx.card(_kpi_body(item, value_size), data_kpi=item["label"]),
    )


def kpi_grid(items: Any, *, value_size: str, columns: Any) -> rx.Component:
    """One card per item of the list var ``items`` (dicts with ``label``, ``value`` and
    ``hint``); ``columns`` is the grid's responsive column count."""
    return rx.grid(
        rx.foreach(items, lambda item: _kpi_card(item, value_size)),
        columns=columns,
        spacing="3",
        width="100%",
    )
