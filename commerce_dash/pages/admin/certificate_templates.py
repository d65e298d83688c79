"""Certificate templates (dept-admins: their departments; super-admins: all).

The templates table, the editor (a wide dialog with a live PNG preview of the unsaved design)
and the department logos printed at the top of each department's certificates. Images are
uploaded straight from the drop zones into the image store; the form keeps only their ids.

A container page: the editor dialog is ``certificate_template_editor.py``; the state is
``certificate_templates_state.py``.
"""

from __future__ import annotations

import reflex as rx

from commerce_dash.components.admin_forms import (
    new_button,
    note,
    only_if,
    row_actions,
    row_button,
    section_card,
    table_or_empty,
)
from commerce_dash.components.cells import text_cells
from commerce_dash.components.certificate_tabs import certificate_tabs
from commerce_dash.components.dialogs import confirm_dialog, dialog, dialog_buttons
from commerce_dash.components.shell import admin_shell
from commerce_dash.pages.admin.certificate_template_editor import (
    editor_dialog,
    thumbnail,
    upload_zone,
)
from commerce_dash.pages.admin.certificate_templates_state import (
    EMPTY_TEXT,
    LOGO_UPLOAD,
    SECTION,
    CertificateTemplatesState,
)

S = CertificateTemplatesState


def _template_row(row: rx.Var[dict[str, str]]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(row["name"], weight="medium", size="2")),
        *text_cells(row, "department", "orientation", "font"),
        rx.table.cell(
            rx.hstack(
                rx.box(
                    width="18px",
                    height="18px",
                    border_radius="4px",
                    background=row["colour"],
                    border=f"1px solid {rx.color('gray', 6)}",
                ),
                rx.code(row["colour"], size="1"),
                align="center",
                spacing="2",
            )
        ),
        rx.table.cell(
            only_if(
                row["default"] == "yes", rx.badge("Default", color_scheme="green", variant="soft")
            )
        ),
        rx.table.cell(rx.text(row["certificates"], size="2")),
        rx.table.cell(rx.text(row["updated"], size="1", white_space="nowrap")),
        rx.table.cell(
            row_actions(
                row_button("Edit", S.open_edit(row["id"]), class_name="edit-template"),
                rx.cond(
                    row["default"] == "yes",
                    rx.fragment(),
                    row_button(
                        "Make default",
                        S.make_default_template(row["id"], row["name"]),
                        color="green",
                        class_name="make-default-template",
                    ),
                ),
                row_button(
                    "Delete",
                    S.ask_delete(row["id"], row["name"]),
                    color="red",
                    class_name="delete-template",
                ),
            )
        ),
        class_name="template-row",
        data_name=row["name"],
        data_default=row["default"],
    )


def _templates_card() -> rx.Component:
    headers = [
        "Name",
        "Department",
        "Orientation",
        "Font",
        "Colour",
        "Default",
        "Certificates",
        "Updated (UTC)",
        "Actions",
    ]
    return section_card(
        "Templates",
        "The default template of a department designs its new certificates; "
        "a subdepartment without one uses its parent's.",
        table_or_empty(
            headers,
            S.rows,
            _template_row,
            rx.center(
                rx.vstack(
                    rx.icon("layout-template", size=32, color=rx.color("gray", 9)),
                    note(EMPTY_TEXT, size="2", text_align="center", id="templates-empty"),
                    new_button("plus", "New template", S.open_new, variant="soft"),
                    align="center",
                    spacing="3",
                    max_width="480px",
                ),
                padding="3em 1em",
                width="100%",
            ),
        ),
        actions=(new_button("plus", "New template", S.open_new, "new-template"),),
        id="templates-card",
        padding_bottom="0.75em",
    )


def _logo_row_view(row: rx.Var[dict[str, str]]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(row["department"], weight="medium", size="2")),
        rx.table.cell(
            rx.cond(
                row["url"] != "",
                rx.hstack(
                    thumbnail(row["url"], "Logo"),
                    only_if(
                        row["inherited"] == "yes",
                        note("From a parent department"),
                    ),
                    align="center",
                    spacing="2",
                ),
                note("No logo", size="2"),
            )
        ),
        rx.table.cell(
            row_actions(
                row_button(
                    rx.cond(row["own"] == "yes", "Replace", "Upload logo"),
                    S.open_logo(row["id"], row["department"]),
                    icon="upload",
                    class_name="upload-logo",
                ),
                row_button(
                    "Remove",
                    S.remove_logo(row["id"], row["department"]),
                    color="red",
                    class_name="remove-logo",
                    when=row["own"] == "yes",
                ),
            )
        ),
        class_name="department-logo-row",
        data_department=row["department"],
    )


def _logos_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Department logos", size="4"),
            note(
                "Printed at the top of this department's certificates. A subdepartment "
                "without a logo uses its parent's.",
                size="2",
            ),
            spacing="1",
            padding_bottom="0.75em",
        ),
        table_or_empty(
            ("Department", "Logo", ""),
            S.logos,
            _logo_row_view,
            note("You manage no departments yet; ask a super-admin to grant you one.", size="2"),
        ),
        width="100%",
        id="department-logos-card",
    )


def _delete_dialog() -> rx.Component:
    return confirm_dialog(
        ("Delete the template ", S.delete_label, "?"),
        "Only a template no certificate uses can be deleted; its department then "
        "uses another default or the built-in design.",
        confirm="Delete",
        on_confirm=S.confirm_delete,
        confirm_id="confirm-delete-template",
        open=S.delete_open,
        on_open_change=S.set_delete_open,
        alert=True,
    )


def _logo_dialog() -> rx.Component:
    return dialog(
        ("Logo of ", S.logo_department),
        "Printed at the top of this department's certificates. A PNG or JPEG of at "
        "most 2 MB; a transparent PNG looks best.",
        rx.center(
            upload_zone(LOGO_UPLOAD, S.upload_logo, "Choose or drop an image"), padding="1.5em"
        ),
        dialog_buttons(),
        max_width="460px",
        open=S.logo_open,
        on_open_change=S.set_logo_open,
    )


def certificate_templates_page() -> rx.Component:
    return admin_shell(
        SECTION,
        "Certificate templates",
        certificate_tabs("templates"),
        _templates_card(),
        _logos_card(),
        editor_dialog(),
        _delete_dialog(),
        _logo_dialog(),
    )
