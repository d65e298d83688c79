"""Certificate templates (dept-admins: their departments; super-admins: all).

The templates table, the editor (a wide dialog with a live PNG preview of the unsaved design)
and the department logos printed at the top of each department's certificates. Images are
uploaded straight from the drop zones into the image store; the form keeps only their ids.

A container page: the editor dialog is ``certificate_template_editor.py``; the state is
``certificate_templates_state.py``.
"""

from __future__ import annotations

import reflex as rx

from commerce_dash.components.certificate_tabs import certificate_tabs
from commerce_dash.components.dialogs import confirm_dialog, dialog
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
        rx.table.cell(rx.text(row["department"], size="2")),
        rx.table.cell(rx.text(row["orientation"], size="2")),
        rx.table.cell(rx.text(row["font"], size="2")),
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
            rx.cond(
                row["default"] == "yes",
                rx.badge("Default", color_scheme="green", variant="soft"),
                rx.fragment(),
            )
        ),
        rx.table.cell(rx.text(row["certificates"], size="2")),
        rx.table.cell(rx.text(row["updated"], size="1", white_space="nowrap")),
        rx.table.cell(
            rx.hstack(
                rx.button(
                    "Edit",
                    size="1",
                    variant="soft",
                    on_click=S.open_edit(row["id"]),
                    class_name="edit-template",
                ),
                rx.cond(
                    row["default"] == "yes",
                    rx.fragment(),
                    rx.button(
                        "Make default",
                        size="1",
                        variant="soft",
                        color_scheme="green",
                        on_click=S.make_default_template(row["id"], row["name"]),
                        class_name="make-default-template",
                    ),
                ),
                rx.button(
                    "Delete",
                    size="1",
                    variant="soft",
                    color_scheme="red",
                    on_click=S.ask_delete(row["id"], row["name"]),
                    class_name="delete-template",
                ),
                spacing="2",
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
    return rx.card(
        rx.hstack(
            rx.vstack(
                rx.heading("Templates", size="4"),
                rx.text(
                    "The default template of a department designs its new certificates; "
                    "a subdepartment without one uses its parent's.",
                    size="2",
                    color_scheme="gray",
                ),
                spacing="1",
            ),
            rx.spacer(),
            rx.button(
                rx.icon("plus", size=16), "New template", on_click=S.open_new, id="new-template"
            ),
            align="start",
            width="100%",
            wrap="wrap",
            padding_bottom="0.75em",
        ),
        rx.cond(
            S.rows.length() > 0,
            rx.box(
                rx.table.root(
                    rx.table.header(
                        rx.table.row(*[rx.table.column_header_cell(h) for h in headers])
                    ),
                    rx.table.body(rx.foreach(S.rows, _template_row)),
                    width="100%",
                ),
                overflow_x="auto",
                width="100%",
            ),
            rx.center(
                rx.vstack(
                    rx.icon("layout-template", size=32, color=rx.color("gray", 9)),
                    rx.text(
                        EMPTY_TEXT,
                        color_scheme="gray",
                        size="2",
                        text_align="center",
                        id="templates-empty",
                    ),
                    rx.button(
                        rx.icon("plus", size=16),
                        "New template",
                        on_click=S.open_new,
                        variant="soft",
                    ),
                    align="center",
                    spacing="3",
                    max_width="480px",
                ),
                padding="3em 1em",
                width="100%",
            ),
        ),
        width="100%",
        id="templates-card",
    )


def _logo_row_view(row: rx.Var[dict[str, str]]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(row["department"], weight="medium", size="2")),
        rx.table.cell(
            rx.cond(
                row["url"] != "",
                rx.hstack(
                    thumbnail(row["url"], "Logo"),
                    rx.cond(
                        row["inherited"] == "yes",
                        rx.text("From a parent department", size="1", color_scheme="gray"),
                        rx.fragment(),
                    ),
                    align="center",
                    spacing="2",
                ),
                rx.text("No logo", size="2", color_scheme="gray"),
            )
        ),
        rx.table.cell(
            rx.hstack(
                rx.button(
                    rx.icon("upload", size=14),
                    rx.cond(row["own"] == "yes", "Replace", "Upload logo"),
                    size="1",
                    variant="soft",
                    on_click=S.open_logo(row["id"], row["department"]),
                    class_name="upload-logo",
                ),
                rx.cond(
                    row["own"] == "yes",
                    rx.button(
                        "Remove",
                        size="1",
                        variant="soft",
                        color_scheme="red",
                        on_click=S.remove_logo(row["id"], row["department"]),
                        class_name="remove-logo",
                    ),
                    rx.fragment(),
                ),
                spacing="2",
            )
        ),
        class_name="department-logo-row",
        data_department=row["department"],
    )


def _logos_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Department logos", size="4"),
            rx.text(
                "Printed at the top of this department's certificates. A subdepartment "
                "without a logo uses its parent's.",
                size="2",
                color_scheme="gray",
            ),
            spacing="1",
            padding_bottom="0.75em",
        ),
        rx.cond(
            S.logos.length() > 0,
            rx.box(
                rx.table.root(
                    rx.table.header(
                        rx.table.row(
                            *[rx.table.column_header_cell(h) for h in ("Department", "Logo", "")]
                        )
                    ),
                    rx.table.body(rx.foreach(S.logos, _logo_row_view)),
                    width="100%",
                ),
                overflow_x="auto",
                width="100%",
            ),
            rx.text(
                "You manage no departments yet; ask a super-admin to grant you one.",
                size="2",
                color_scheme="gray",
            ),
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
        rx.hstack(
            rx.dialog.close(rx.button("Cancel", variant="soft", color_scheme="gray")),
            justify="end",
            width="100%",
        ),
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
