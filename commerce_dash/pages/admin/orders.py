"""Orders & payments (billing admins): every order with filters, paged on the server, and the
learners held for payment review after repeated declines."""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.vars import ObjectVar

from commerce_dash.components.admin_forms import note, row_button, soft_action
from commerce_dash.components.badges import field_badge
from commerce_dash.components.cells import text_cells, text_if, two_lines
from commerce_dash.components.filters import date_range, filter_bar, search_box
from commerce_dash.components.forms import select
from commerce_dash.components.shell import admin_shell
from commerce_dash.components.tables import paged_table, table_box
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
        filter_bar(
            search_box(s.search, s.set_search, "Learner email or name", "learner-search"),
            select(s.status_filter, s.set_status_filter, STATUS_OPTIONS, label="Order status"),
            select(s.payment_filter, s.set_payment_filter, PAYMENT_OPTIONS, label="Payment status"),
            select(s.processor_filter, s.set_processor_filter, label="Processor",
                   first=("all", "Any processor"), each=s.processors, each_value=None),
            on_refresh=s.refresh,
        ),
        filter_bar(
            date_range("Placed from", s.date_from, s.set_date_from, s.date_to, s.set_date_to),
            rx.hstack(
                rx.text("Total (", s.currency, ") from", size="2"),
                _amount_input("0.00", s.min_total, s.set_min_total, "min-total"),
                rx.text("to", size="2"),
                _amount_input("any", s.max_total, s.set_max_total, "max-total"),
                align="center",
                wrap="wrap",
            ),
            on_clear=s.reset_filters,
            spacing="4",
        ),
        rx.hstack(
            note("For accounting: every order the filters match (all pages) with its payment, "
                 "amounts exact with their currency.", size="2"),
            rx.spacer(),
            soft_action("file-text", "Export CSV", s.export_csv, id="orders-export-csv"),
            soft_action("sheet", "Export XLSX", s.export_xlsx, id="orders-export-xlsx"),
            align="center",
            spacing="3",
            wrap="wrap",
            width="100%",
        ),
        spacing="3",
        width="100%",
    )


def _row(row: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.link(rx.text(row["number"], weight="medium"), href=row["href"])),
        rx.table.cell(rx.text(row["date"], size="1", white_space="nowrap")),
        rx.table.cell(two_lines(row["learner_name"], row["learner_email"], size="2")),
        rx.table.cell(rx.text(row["items"], size="2")),
        rx.table.cell(
            rx.vstack(
                rx.text(row["total"], size="2", weight="medium"),
                text_if(row["display_total"], size="1", color_scheme="gray"),
                spacing="0",
            )
        ),
        rx.table.cell(rx.text(row["processor"], size="2")),
        rx.table.cell(field_badge(row, "status")),
        rx.table.cell(
            rx.vstack(
                field_badge(row, "payment_status"),
                text_if(row["failure_reason"], size="1", color_scheme="red", max_width="16em"),
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
            two_lines(row["learner_name"], row["learner_email"], size="2", weight="medium")
        ),
        *text_cells(row, "reason", "failures"),
        rx.table.cell(rx.text(row["since"], size="2", white_space="nowrap")),
        rx.table.cell(
            row_button(
                "Clear",
                AdminOrdersState.clear_review(  # type: ignore[operator]
                    row["user_id"], row["learner_email"]
                ),
                color="green",
                icon="check",
                class_name="clear-review",
            )
        ),
        class_name="review-row",
        data_email=row["learner_email"],
    )


def _reviews() -> rx.Component:
    """The learners held for payment review, or a line saying nobody is."""
    held = rx.vstack(
        rx.text("These learners cannot check out until the hold is cleared.", size="2",
                color_scheme="gray"),
        table_box(("Learner", "Reason", "Failures", "Since", ""), AdminOrdersState.reviews,
                  _review),
        width="100%",
    )
    nobody = rx.text("Nobody is held: learners with repeated declined payments appear here.",
                     size="2", color_scheme="gray")
    return rx.cond(AdminOrdersState.reviews.length() > 0, held, nobody)


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
            _reviews(),
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
