"""The Credit packs card of the Pricing page: session credits sold alone, per department. Each
row says what the pack's price in force gives; create and edit a pack in a dialog, publish it,
then price it with "New price" (item type "Credit pack")."""

from __future__ import annotations

import reflex as rx

from commerce_dash.components.admin_forms import (
    description_field,
    edit_dialog,
    new_button,
    note,
    only_if,
    published_badge,
    row_actions,
    row_button,
    section_card,
    table_or_empty,
    toggle_button,
)
from commerce_dash.components.forms import error_text, field, labelled, select
from commerce_dash.pages.admin.credit_packs_state import CreditPacksState

C = CreditPacksState


def _row(row: rx.Var[dict[str, str]]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.code(row["code"])),
        rx.table.cell(rx.text(row["title"], weight="medium")),
        rx.table.cell(rx.text(row["department"], size="2")),
        rx.table.cell(published_badge(row)),
        rx.table.cell(
            rx.vstack(
                rx.cond(row["price"] != "", rx.text(row["price"], weight="medium"),
                        note("No price yet")),
                only_if(row["credits_note"] != "",
                        rx.text(row["credits_note"], size="1", class_name="credits-note")),
                spacing="0",
            )
        ),
        rx.table.cell(
            row_actions(
                row_button("Edit", C.open_edit(row["id"]),  # type: ignore[operator]
                           aria_label=f"Edit {row['code']}"),
                toggle_button(
                    row["published"] == "yes",
                    lambda published: C.set_published(row["id"], published),  # type: ignore[operator]
                    off=("Unpublish", "orange"),
                    on=("Publish", "green"),
                ),
            )
        ),
        class_name="credit-pack-row",
        data_code=row["code"],
    )


def _pack_dialog() -> rx.Component:
    return edit_dialog(
        rx.cond(C.edit_id == 0, "New credit pack", "Edit credit pack"),
        "What learners buy: its price (New price, item type Credit pack) says which credits "
        "it gives.",
        field("Code", "pack_code", C.code_error, required=True, placeholder="PRIVATE4",
              default_value=C.edit_code, hint="Letters, digits, '-' or '_'."),  # type: ignore[arg-type]
        field("Title", "pack_title", C.title_error, required=True,
              placeholder="Four private sessions", default_value=C.edit_title),  # type: ignore[arg-type]
        labelled(
            "Department",
            select(C.edit_department, C.set_edit_department, each=C.departments,
                   placeholder="Choose the department", width="100%", id="pack_department",
                   label="Department"),
            error_text(C.department_error, "pack_department-error"),
        ),
        description_field(C.edit_description, "3", error_text(C.description_error)),
        error=C.edit_error,
        submit="Save pack",
        submit_id="save-credit-pack",
        on_submit=C.save,
        key=C.edit_key.to_string(),
        max_width="560px",
        open=C.edit_open,
        on_open_change=C.set_edit_open,
    )


def credit_packs_card() -> rx.Component:
    return rx.box(
        only_if(C.can_manage, section_card(
            "Credit packs",
            "Private sessions and group classes sold alone. Publish a pack, then give it a "
            "price with New price.",
            table_or_empty(
                ["Code", "Title", "Department", "Status", "Price", "Actions"],
                C.packs,
                _row,
                note("No credit packs yet.", size="2"),
            ),
            actions=(new_button("plus", "New credit pack", C.open_new, "new-credit-pack"),),
            id="credit-packs",
        )),
        _pack_dialog(),
        width="100%",
        on_mount=C.load,
    )
