"""The selection bar and the per-item results of a bulk action on a queue page."""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.vars import ObjectVar

from commerce_dash.components.cells import only_if


def bulk_bar(count: rx.Var[int], *actions: rx.Component, on_clear: Any) -> rx.Component:
    """'N selected:' with the page's action buttons, shown while anything is ticked."""
    return only_if(
        count > 0,
        rx.card(
            rx.hstack(
                rx.text(count.to_string(), " selected:", weight="medium", size="2"),
                *actions,
                rx.spacer(),
                rx.button("Clear selection", size="2", variant="ghost", on_click=on_clear),
                align="center", spacing="3", width="100%", wrap="wrap",
            ),
            width="100%", id="bulk-bar",
        ),
    )


def _result_row(item: ObjectVar[dict[str, str]], failed_label: str) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(item["number"], weight="medium", size="2")),
        rx.table.cell(
            rx.cond(
                item["ok"] == "yes",
                rx.badge(rx.icon("check", size=12), "OK", color_scheme="green", variant="soft"),
                rx.badge(failed_label, color_scheme="red", variant="soft"),
            )
        ),
        rx.table.cell(rx.text(item["message"], size="2")),
        class_name="bulk-result-row", data_number=item["number"], data_ok=item["ok"],
    )


def bulk_results(results: rx.Var[list[dict[str, str]]], summary: rx.Var[str],
                 failed: rx.Var[int], on_dismiss: Any, *, item_header: str,
                 failed_label: str) -> rx.Component:
    """What happened to each item of the last bulk action (``number``, ``ok``, ``message``)."""
    return only_if(
        results.length() > 0,
        rx.callout.root(
            rx.callout.icon(
                rx.cond(failed > 0, rx.icon("triangle-alert"), rx.icon("circle-check"))
            ),
            rx.vstack(
                rx.hstack(
                    rx.callout.text(summary, weight="medium"),
                    rx.spacer(),
                    rx.button("Dismiss", size="1", variant="ghost", on_click=on_dismiss),
                    width="100%", align="center",
                ),
                rx.box(
                    rx.table.root(
                        rx.table.header(rx.table.row(
                            rx.table.column_header_cell(item_header),
                            rx.table.column_header_cell("Result"),
                            rx.table.column_header_cell("Details"),
                        )),
                        rx.table.body(rx.foreach(results,
                                                 lambda r: _result_row(r, failed_label))),
                        size="1", width="100%",
                    ),
                    max_height="16em", overflow_y="auto", width="100%",
                ),
                spacing="2", width="100%",
            ),
            color_scheme=rx.cond(failed > 0, "amber", "green"),  # type: ignore[arg-type]
            width="100%", id="bulk-results",
        ),
    )
