"""Pricing (billing admins: all; dept-admins: their departments): prices, schedules, history."""

from __future__ import annotations

import reflex as rx

from commerce_dash.components.badges import status_badge
from commerce_dash.components.dialogs import confirm_dialog, dialog
from commerce_dash.components.forms import error_text, field, form_error, select
from commerce_dash.components.shell import admin_shell
from commerce_dash.components.tables import paged_table
from commerce_dash.domain.pricing import ItemType, PriceStatus, PriceType
from commerce_dash.pages.admin.pricing_state import (
    ITEM_TYPE_LABELS,
    PricingState,
)


def _new_price_dialog() -> rx.Component:
    plan = PricingState.new_item_type == ItemType.SUBSCRIPTION.value
    return dialog(
        "New price",
        "A new price closes the open-ended one in force at its start; old prices stay "
        "as history.",
        rx.form(
            rx.vstack(
                form_error(PricingState.new_error),
                rx.text("Price for", size="2", weight="medium"),
                select(
                    PricingState.new_item_type,
                    PricingState.set_new_item_type,
                    [(t.value, label) for t, label in ITEM_TYPE_LABELS.items()],
                    width="100%",
                ),
                rx.cond(
                    PricingState.item_choices.length() > 0,
                    select(
                        PricingState.new_item,
                        PricingState.set_new_item,
                        each=PricingState.item_choices,
                        placeholder="Choose the item",
                        width="100%",
                    ),
                    rx.text(
                        "Nothing to price here yet: publish a course or program first.",
                        size="2",
                        color_scheme="gray",
                    ),
                ),
                error_text(PricingState.item_error, "item-error"),
                rx.text("Price type", size="2", weight="medium"),
                rx.cond(
                    plan,
                    select(
                        PricingState.new_price_type,
                        PricingState.set_new_price_type,
                        [("subscription", "Subscription"), ("free", "Free")],
                        width="100%",
                    ),
                    select(
                        PricingState.new_price_type,
                        PricingState.set_new_price_type,
                        [("one_time", "One-time"), ("free", "Free")],
                        width="100%",
                    ),
                ),
                error_text(PricingState.price_type_error, "price-type-error"),
                rx.hstack(
                    rx.cond(
                        PricingState.new_price_type != PriceType.FREE.value,
                        rx.box(
                            field(
                                "Amount",
                                "amount",
                                PricingState.amount_error,
                                placeholder="19.99",
                                required=True,
                            ),
                            flex="2",
                            min_width="160px",
                        ),
                        rx.fragment(),
                    ),
                    rx.box(
                        field(
                            "Currency",
                            "currency",
                            PricingState.currency_error,
                            default_value=PricingState.settlement_currency,  # type: ignore[arg-type]
                            hint="ISO code, e.g. USD",
                        ),
                        flex="1",
                        min_width="110px",
                    ),
                    wrap="wrap",
                    width="100%",
                ),
                rx.cond(
                    plan,
                    rx.hstack(
                        rx.vstack(
                            rx.text("Billing interval", size="2", weight="medium"),
                            select(
                                PricingState.new_interval,
                                PricingState.set_new_interval,
                                [
                                    ("monthly", "Monthly"),
                                    ("quarterly", "Quarterly"),
                                    ("annual", "Annual"),
                                ],
                            ),
                            error_text(PricingState.interval_error, "interval-error"),
                            spacing="1",
                        ),
                        rx.box(
                            field(
                                "Trial days",
                                "trial_days",
                                PricingState.trial_error,
                                type="number",
                                default_value="0",
                            ),
                            min_width="120px",
                        ),
                        wrap="wrap",
                        width="100%",
                    ),
                    rx.fragment(),
                ),
                field(
                    "Starts (UTC)",
                    "effective_from",
                    PricingState.from_error,
                    type="datetime-local",
                    hint="Leave empty to start now. Times are in UTC.",
                ),
                field(
                    "Ends (UTC, optional)",
                    "effective_until",
                    PricingState.until_error,
                    type="datetime-local",
                    hint="Leave empty for a price that runs until replaced.",
                ),
                rx.hstack(
                    rx.dialog.close(
                        rx.button("Cancel", variant="soft", color_scheme="gray", type="button")
                    ),
                    rx.button("Save price", type="submit", id="create-price-submit"),
                    justify="end",
                    width="100%",
                ),
                spacing="3",
            ),
            on_submit=PricingState.create_price,
            reset_on_submit=False,
            key=PricingState.new_key.to_string(),
        ),
        max_width="560px",
        open=PricingState.new_open,
        on_open_change=PricingState.set_new_open,
    )


def _history_row(row: rx.Var[dict[str, str]]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(row["currency"], size="2")),
        rx.table.cell(rx.text(row["kind"], size="2")),
        rx.table.cell(rx.text(row["amount"], weight="medium")),
        rx.table.cell(rx.text(row["from"], size="1")),
        rx.table.cell(rx.text(row["until"], size="1")),
        rx.table.cell(
            rx.vstack(
                status_badge(row["status"]),
                rx.cond(
                    row["reason"] != "",
                    rx.text(row["reason"], size="1", color_scheme="gray"),
                    rx.fragment(),
                ),
                spacing="1",
            )
        ),
        class_name="history-row",
        data_status=row["status"],
    )


def _history_dialog() -> rx.Component:
    return dialog(
        ("Price history · ", PricingState.history_title),
        "Every price this item had, in every currency, oldest first. Times are UTC.",
        rx.box(
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        *[
                            rx.table.column_header_cell(h)
                            for h in ("Currency", "Type", "Amount", "From", "Until", "Status")
                        ]
                    )
                ),
                rx.table.body(rx.foreach(PricingState.history_rows, _history_row)),
                width="100%",
            ),
            overflow_x="auto",
            width="100%",
            padding_y="0.75em",
        ),
        rx.hstack(
            rx.dialog.close(rx.button("Close", variant="soft")),
            justify="end",
            width="100%",
        ),
        max_width="760px",
        id="price-history",
        open=PricingState.history_open,
        on_open_change=PricingState.set_history_open,
    )


def _deactivate_dialog() -> rx.Component:
    return confirm_dialog(
        ("Deactivate the price of ", PricingState.deactivate_label, "?"),
        "It stops applying at once and stays in the history. Say why, for the audit log.",
        rx.input(
            placeholder="Reason (at least 5 characters)",
            aria_label="Reason",
            value=PricingState.deactivate_reason,
            on_change=PricingState.set_deactivate_reason,
            width="100%",
            id="deactivate-reason",
        ),
        error_text(PricingState.deactivate_error, "deactivate-error"),
        confirm="Deactivate",
        on_confirm=PricingState.confirm_deactivate,
        confirm_id="deactivate-price-submit",
        open=PricingState.deactivate_open,
        on_open_change=PricingState.set_deactivate_open,
        alert=True,
    )


def _row(row: rx.Var[dict[str, str]]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.vstack(
                rx.text(row["item"], weight="medium"),
                rx.text(row["item_kind"], " · ", row["department"], size="1", color_scheme="gray"),
                spacing="0",
            )
        ),
        rx.table.cell(
            rx.vstack(
                rx.text(row["kind"], size="2"),
                rx.cond(row["trial"] != "", rx.text(row["trial"], size="1"), rx.fragment()),
                spacing="0",
            )
        ),
        rx.table.cell(rx.text(row["amount"], weight="medium")),
        rx.table.cell(
            rx.vstack(
                rx.text(row["from"], size="1"),
                rx.text("until ", row["until"], size="1", color_scheme="gray"),
                spacing="0",
            )
        ),
        rx.table.cell(status_badge(row["status"])),
        rx.table.cell(
            rx.hstack(
                rx.button(
                    "History",
                    size="1",
                    variant="soft",
                    on_click=PricingState.open_history(
                        row["item_type"], row["item_id"], row["item"]
                    ),
                ),
                rx.cond(
                    (row["status"] == PriceStatus.ACTIVE.value)
                    | (row["status"] == PriceStatus.SCHEDULED.value),
                    rx.button(
                        "Deactivate",
                        size="1",
                        variant="soft",
                        color_scheme="red",
                        on_click=PricingState.open_deactivate(row["id"], row["item"]),
                    ),
                    rx.fragment(),
                ),
                spacing="2",
            )
        ),
        data_price_id=row["id"],
        data_status=row["status"],
    )


def _filters() -> rx.Component:
    return rx.hstack(
        rx.input(
            placeholder="Search item",
            value=PricingState.search,
            on_change=PricingState.set_search.debounce(300),
            width=["100%", "220px"],
        ),
        select(
            PricingState.type_filter,
            PricingState.set_type_filter,
            [("all", "All items"), *[(t.value, label) for t, label in ITEM_TYPE_LABELS.items()]],
        ),
        select(
            PricingState.department_filter,
            PricingState.set_department_filter,
            first=("all", "All departments"),
            each=PricingState.departments,
            placeholder="Department",
        ),
        rx.input(
            placeholder="Currency",
            value=PricingState.currency_filter,
            on_change=PricingState.set_currency_filter.debounce(300),
            max_length=3,
            width="100px",
        ),
        select(
            PricingState.status_filter,
            PricingState.set_status_filter,
            [("all", "Any status"), *[(s.value, s.value.capitalize()) for s in PriceStatus]],
        ),
        rx.spacer(),
        rx.button(
            rx.icon("plus", size=16), "New price", on_click=PricingState.open_new, id="new-price"
        ),
        wrap="wrap",
        spacing="3",
        width="100%",
    )


def pricing_page() -> rx.Component:
    return admin_shell(
        "pricing",
        "Pricing",
        _filters(),
        paged_table(
            PricingState,
            ["Item", "Type", "Amount", "Window (UTC)", "Status", "Actions"],
            _row,
            (
                "tags",
                "No prices match",
                "Change the filters, or add a price for a published course, program or plan.",
            ),
        ),
        _new_price_dialog(),
        _history_dialog(),
        _deactivate_dialog(),
    )
