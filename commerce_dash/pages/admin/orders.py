"""Orders & payments (billing admins): every order with filters, paged on the server, and the
learners held for payment review after repeated declines."""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.vars import ObjectVar

from commerce_dash.components.badges import field_badge
from commerce_dash.components.forms import select
from commerce_dash.components.shell import admin_shell
from commerce_dash.components.tables import paged_table
from commerce_dash.pages.admin.orders_state import (
    PAYMENT_OPTIONS,
    SECTION,
    STATUS_OPTIONS,
    AdminOrdersState,
)


def _amount_input(placeholder: str, value: Any, on_change: Any, name: str) -> rx.Component:
    return rx.input(
        placeholder=placeholder,
        value=value,
        on_change=on_change,
        on_blur=AdminOrdersState.apply_amounts,
        width="7em",
        input_mode="decimal",
        name=name,
        id=name,
    )


def _filters() -> rx.Component:
    s = AdminOrdersState
    return rx.vstack(
        rx.hstack(
            rx.input(
                placeholder="Learner email or name",
                value=s.search,
                on_change=s.set_search.debounce(300),  # type: ignore[attr-defined]
                width=["100%", "240px"],
                id="learner-search",
            ),
            select(s.status_filter, s.set_status_filter, STATUS_OPTIONS, label="Order status"),
            select(s.payment_filter, s.set_payment_filter, PAYMENT_OPTIONS, label="Payment status"),
            select(s.processor_filter, s.set_processor_filter, label="Processor",
                   first=("all", "Any processor"), each=s.processors, each_value=None),
            rx.spacer(),
            rx.button(
                rx.icon("rotate-cw", size=16), "Refresh", variant="soft", on_click=s.refresh
            ),
            wrap="wrap",
            spacing="3",
            width="100%",
            align="center",
        ),
        rx.hstack(
            rx.hstack(
                rx.text("Placed from", size="2"),
                rx.input(type="date", value=s.date_from, on_change=s.set_date_from,
                         id="date-from"),
                rx.text("to", size="2"),
                rx.input(type="date", value=s.date_to, on_change=s.set_date_to, id="date-to"),
                align="center",
                wrap="wrap",
            ),
            rx.hstack(
                rx.text("Total (", s.currency, ") from", size="2"),
                _amount_input("0.00", s.min_total, s.set_min_total, "min-total"),
                rx.text("to", size="2"),
                _amount_input("any", s.max_total, s.set_max_total, "max-total"),
                align="center",
                wrap="wrap",
            ),
            rx.button("Clear filters", variant="ghost", size="2", on_click=s.reset_filters),
            wrap="wrap",
            spacing="4",
            width="100%",
            align="center",
        ),
        spacing="3",
        width="100%",
    )


def _row(row: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.link(rx.text(row["number"], weight="medium"), href=row["href"])),
        rx.table.cell(rx.text(row["date"], size="1", white_space="nowrap")),
        rx.table.cell(
            rx.vstack(
                rx.text(row["learner_name"], size="2"),
                rx.text(row["learner_email"], size="1", color_scheme="gray"),
                spacing="0",
            )
        ),
        rx.table.cell(rx.text(row["items"], size="2")),
        rx.table.cell(
            rx.vstack(
                rx.text(row["total"], size="2", weight="medium"),
                rx.cond(
                    row["display_total"] != "",
                    rx.text(row["display_total"], size="1", color_scheme="gray"),
                    rx.fragment(),
                ),
                spacing="0",
            )
        ),
        rx.table.cell(rx.text(row["processor"], size="2")),
        rx.table.cell(field_badge(row, "status")),
        rx.table.cell(
            rx.vstack(
                field_badge(row, "payment_status"),
                rx.cond(
                    row["failure_reason"] != "",
                    rx.text(row["failure_reason"], size="1", color_scheme="red", max_width="16em"),
                    rx.fragment(),
                ),
                spacing="1",
                align="start",
            )
        ),
        rx.table.cell(rx.link(rx.button("Open", size="1", variant="soft"), href=row["href"])),
        class_name="admin-order-row",
        data_number=row["number"],
    )


def _review(row: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.vstack(
                rx.text(row["learner_name"], size="2", weight="medium"),
                rx.text(row["learner_email"], size="1", color_scheme="gray"),
                spacing="0",
            )
        ),
        rx.table.cell(rx.text(row["reason"], size="2")),
        rx.table.cell(rx.text(row["failures"], size="2")),
        rx.table.cell(rx.text(row["since"], size="2", white_space="nowrap")),
        rx.table.cell(
            rx.button(
                rx.icon("check", size=14),
                "Clear",
                size="1",
                color_scheme="green",
                variant="soft",
                on_click=AdminOrdersState.clear_review(  # type: ignore[operator]
                    row["user_id"], row["learner_email"]
                ),
                class_name="clear-review",
            )
        ),
        class_name="review-row",
        data_email=row["learner_email"],
    )


def _reviews_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.icon("shield-alert", size=18),
                rx.heading("Payments under review", size="4"),
                rx.badge(AdminOrdersState.reviews.length().to_string(), variant="soft"),
                align="center",
                spacing="2",
            ),
            rx.cond(
                AdminOrdersState.reviews.length() > 0,
                rx.vstack(
                    rx.text(
                        "These learners cannot check out until the hold is cleared.",
                        size="2",
                        color_scheme="gray",
                    ),
                    rx.box(
                        rx.table.root(
                            rx.table.header(
                                rx.table.row(
                                    *[
                                        rx.table.column_header_cell(h)
                                        for h in ("Learner", "Reason", "Failures", "Since", "")
                                    ]
                                )
                            ),
                            rx.table.body(rx.foreach(AdminOrdersState.reviews, _review)),
                            width="100%",
                        ),
                        overflow_x="auto",
                        width="100%",
                    ),
                    width="100%",
                ),
                rx.text(
                    "Nobody is held: learners with repeated declined payments appear here.",
                    size="2",
                    color_scheme="gray",
                ),
            ),
            width="100%",
        ),
        width="100%",
        id="payment-reviews",
    )


def orders_admin_page() -> rx.Component:
    return admin_shell(
        SECTION,
        "Orders & payments",
        _filters(),
        paged_table(
            AdminOrdersState,
            ["Order", "Placed (UTC)", "Learner", "Items", "Total", "Processor", "Status",
             "Payment", ""],
            _row,
            (
                "receipt",
                "No orders match",
                "Widen the filters; orders appear here as soon as learners check out.",
            ),
        ),
        _reviews_card(),
    )
