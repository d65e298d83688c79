"""Pricing (billing admins: all; dept-admins: their departments): prices, schedules, history;
the session credits a course's or a credit pack's price gives, and the credit packs card
(``credit_packs.py``)."""

from __future__ import annotations

import reflex as rx

from commerce_dash.components.admin_forms import (
    close_row,
    data_table,
    edit_dialog,
    new_button,
    note,
    only_if,
    row_actions,
    row_button,
    search_input,
    toolbar,
)
from commerce_dash.components.badges import status_badge
from commerce_dash.components.cells import text_cells
from commerce_dash.components.dialogs import confirm_dialog, dialog
from commerce_dash.components.forms import error_text, field, labelled, select
from commerce_dash.components.shell import admin_shell
from commerce_dash.components.tables import paged_table
from commerce_dash.domain.pricing import ItemType, PriceStatus, PriceType
from commerce_dash.pages.admin.credit_packs import credit_packs_card
from commerce_dash.pages.admin.pricing_state import (
    ITEM_TYPE_LABELS,
    PricingState,
)


def _credit_fields() -> rx.Component:
    """What a course's or a credit pack's price gives with it: session credits."""
    return only_if(
        PricingState.gives_credits,
        rx.vstack(
            rx.text("Session credits", size="2", weight="medium"),
            note("Each purchase at this price grants them. A credit pack gives at least one."),
            rx.grid(
                field("Private session credits", "private_credits",
                      PricingState.private_credits_error, type="number", default_value="0"),
                labelled(
                    "Length",
                    select(
                        PricingState.new_private_minutes,
                        PricingState.set_new_private_minutes,
                        [("30", "30 min"), ("60", "60 min")],
                        label="Length of a private session",
                        width="100%",
                        id="private_minutes",
                    ),
                    error_text(PricingState.private_minutes_error, "private_minutes-error"),
                ),
                field("Group class credits", "group_credits",
                      PricingState.group_credits_error, type="number", default_value="0"),
                field("Credits expire after (days, 0 = never)", "credit_expiry_days",
                      PricingState.expiry_error, type="number", default_value="0"),
                columns=rx.breakpoints(initial="1", sm="2"),
                spacing="3",
                width="100%",
            ),
            spacing="2",
            width="100%",
            id="price-credits",
        ),
    )


def _new_price_dialog() -> rx.Component:
    plan = PricingState.new_item_type == ItemType.SUBSCRIPTION.value
    pack = PricingState.new_item_type == ItemType.CREDIT_PACK.value
    return edit_dialog(
        "New price",
        "A new price closes the open-ended one in force at its start; old prices stay as history.",
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
            note("Nothing to price here yet: publish a course, program or credit pack first.",
                 size="2"),
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
            rx.cond(
                pack,
                select(
                    PricingState.new_price_type,
                    PricingState.set_new_price_type,
                    [("one_time", "One-time")],
                    width="100%",
                ),
                select(
                    PricingState.new_price_type,
                    PricingState.set_new_price_type,
                    [("one_time", "One-time"), ("free", "Free")],
                    width="100%",
                ),
            ),
        ),
        error_text(PricingState.price_type_error, "price-type-error"),
        rx.hstack(
            only_if(
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
        only_if(
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
                        label="Billing interval",
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
                rx.vstack(
                    # the label wraps the box: it names it (no id, so the form does not send it)
                    rx.text(
                        rx.flex(
                            rx.checkbox(
                                checked=PricingState.new_includes_subdepartments,
                                on_change=PricingState.set_new_includes_subdepartments,
                                class_name="includes-subdepartments",
                            ),
                            "Includes subdepartments",
                            gap="2",
                            align="center",
                        ),
                        as_="label",
                        size="2",
                    ),
                    note("Subscribers also get the courses of this department's subdepartments."),
                    spacing="1",
                    width="100%",
                ),
                wrap="wrap",
                width="100%",
            ),
        ),
        _credit_fields(),
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
        error=PricingState.new_error,
        submit="Save price",
        submit_id="create-price-submit",
        on_submit=PricingState.create_price,
        key=PricingState.new_key.to_string(),
        max_width="560px",
        open=PricingState.new_open,
        on_open_change=PricingState.set_new_open,
    )


def _history_row(row: rx.Var[dict[str, str]]) -> rx.Component:
    return rx.table.row(
        *text_cells(row, "currency", "kind"),
        rx.table.cell(rx.text(row["amount"], weight="medium")),
        *text_cells(row, "from", "until", size="1"),
        rx.table.cell(
            rx.vstack(
                status_badge(row["status"]),
                only_if(row["reason"] != "", note(row["reason"])),
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
        data_table(
            ("Currency", "Type", "Amount", "From", "Until", "Status"),
            PricingState.history_rows,
            _history_row,
            padding_y="0.75em",
        ),
        close_row(),
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
                note(row["item_kind"], " · ", row["department"]),
                only_if(row["credits_note"] != "",
                        rx.text(row["credits_note"], size="1", class_name="credits-note")),
                spacing="0",
            )
        ),
        rx.table.cell(
            rx.vstack(
                rx.text(row["kind"], size="2"),
                only_if(row["trial"] != "", rx.text(row["trial"], size="1")),
                spacing="0",
            )
        ),
        rx.table.cell(rx.text(row["amount"], weight="medium")),
        rx.table.cell(
            rx.vstack(
                rx.text(row["from"], size="1"),
                note("until ", row["until"]),
                spacing="0",
            )
        ),
        rx.table.cell(status_badge(row["status"])),
        rx.table.cell(
            row_actions(
                row_button(
                    "History",
                    PricingState.open_history(row["item_type"], row["item_id"], row["item"]),
                ),
                row_button(
                    "Deactivate",
                    PricingState.open_deactivate(row["id"], row["item"]),
                    color="red",
                    when=(row["status"] == PriceStatus.ACTIVE.value)
                    | (row["status"] == PriceStatus.SCHEDULED.value),
                ),
            )
        ),
        data_price_id=row["id"],
        data_status=row["status"],
    )


def _filters() -> rx.Component:
    return toolbar(
        search_input(PricingState, "Search item", ["100%", "220px"]),
        select(
            PricingState.type_filter,
            PricingState.set_type_filter,
            [("all", "All items"), *[(t.value, label) for t, label in ITEM_TYPE_LABELS.items()]],
            label="Item type",
        ),
        select(
            PricingState.department_filter,
            PricingState.set_department_filter,
            first=("all", "All departments"),
            each=PricingState.departments,
            placeholder="Department",
            label="Department",
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
            label="Price status",
        ),
        rx.spacer(),
        new_button("plus", "New price", PricingState.open_new, "new-price"),
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
                "Change the filters, or add a price for a published course, program, plan or "
                "credit pack.",
            ),
        ),
        credit_packs_card(),
        _new_price_dialog(),
        _history_dialog(),
        _deactivate_dialog(),
    )
