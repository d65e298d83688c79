"""The certificate template editor: a wide dialog with the design's fields (laid out from
``certificate_template_fields``) beside a live PNG preview of the unsaved design."""

from __future__ import annotations

import reflex as rx

from commerce_dash.components.admin_forms import form_button, note, only_if
from commerce_dash.components.dialogs import dialog, dialog_buttons
from commerce_dash.components.forms import form_error
from commerce_dash.pages.admin.certificate_template_fields import (
    background_field,
    department_field,
    labelled_field,
    look_fields,
    signatures_field,
    stale_banner,
    text_fields,
    text_input,
    thumbnail,
    upload_zone,
)
from commerce_dash.pages.admin.certificate_templates_state import CertificateTemplatesState

__all__ = ["editor_dialog", "thumbnail", "upload_zone"]

S = CertificateTemplatesState


def _editor_form() -> rx.Component:
    return rx.vstack(
        form_error(S.errors["form"]),
        stale_banner(),
        department_field(),
        labelled_field(
            "Name",
            text_input("name", "template-name", max_length=120, placeholder="Engineering 2026"),
            "name",
            "Only admins see the name.",
            html_for="template-name",
        ),
        look_fields(),
        text_fields(),
        background_field(),
        signatures_field(),
        rx.checkbox(
            "Make this the department's default",
            checked=S.make_default,
            on_change=S.set_make_default,
            disabled=S.editing_default,
            id="template-make-default",
        ),
        note(
            "New certificates of the department (and of subdepartments without a default "
            "of their own) use the default template; the department logo is added by "
            "itself."
        ),
        spacing="4",
        width="100%",
        min_width="0",
    )


def _preview_panel() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.text("Preview", size="2", weight="medium"),
            only_if(S.previewing, rx.spinner(size="2")),
            rx.spacer(),
            form_button(
                "eye",
                "Preview",
                S.render_preview,
                loading=S.previewing,
                id="template-preview-button",
            ),
            align="center",
            width="100%",
        ),
        rx.cond(
            S.preview_src != "",
            rx.vstack(
                rx.image(
                    src=S.preview_src,
                    alt="Certificate preview",
                    width="100%",
                    border=f"1px solid {rx.color('gray', 6)}",
                    border_radius="4px",
                    opacity=rx.cond(S.previewing, "0.5", "1"),
                    id="template-preview",
                ),
                rx.cond(
                    S.preview_stale,
                    rx.text(
                        "The form changed since this preview; click Preview again.",
                        size="1",
                        color_scheme="amber",
                    ),
                    note("Sample learner and course; your department's logo."),
                ),
                spacing="1",
                width="100%",
            ),
            rx.center(
                note(
                    "Click Preview to see the certificate with sample data, before saving.",
                    size="2",
                    text_align="center",
                ),
                padding="3em 1em",
                border=f"1px dashed {rx.color('gray', 6)}",
                border_radius="6px",
                width="100%",
            ),
        ),
        spacing="2",
        width="100%",
        position="sticky",
        top="0",
    )


def editor_dialog() -> rx.Component:
    return dialog(
        rx.cond(S.editing_id == 0, "New template", "Edit template"),
        "Changes apply to certificates issued or downloaded after you save.",
        rx.grid(
            _editor_form(),
            _preview_panel(),
            columns=rx.breakpoints(initial="1", md="2"),  # type: ignore[arg-type]
            spacing="5",
            width="100%",
            padding_y="1em",
            align_items="start",
        ),
        dialog_buttons(
            rx.button("Save template", on_click=S.save, type="button", id="template-save")
        ),
        max_width="1200px",
        width="96vw",
        max_height="92vh",
        overflow_y="auto",
        id="template-editor",
        open=S.editor_open,
        on_open_change=S.set_editor_open,
    )
