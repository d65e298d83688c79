"""The certificate template editor: a wide dialog with the design's fields, image drop
zones, the variables help and a live PNG preview of the unsaved design."""

from __future__ import annotations

import reflex as rx
from reflex.vars import Var

from commerce_dash.components.backend_url import api_href
from commerce_dash.components.dialogs import dialog
from commerce_dash.components.forms import form_error
from commerce_dash.domain.certificate_design import FONTS, MAX_SIGNATURES, VARIABLES
from commerce_dash.pages.admin.certificate_templates_state import (
    BACKGROUND_UPLOAD,
    IMAGE_TYPES,
    MAX_IMAGE_BYTES,
    SIGNATURE_UPLOADS,
    CertificateTemplatesState,
)

S = CertificateTemplatesState


def thumbnail(path: Var[str], alt: str, height: str = "48px") -> rx.Component:
    return rx.image(
        src=api_href(path),
        alt=alt,
        height=height,
        max_width="160px",
        object_fit="contain",
        border=f"1px solid {rx.color('gray', 5)}",
        border_radius="4px",
        background="white",
    )


def upload_zone(upload_id: str, handler, label: str) -> rx.Component:  # type: ignore[no-untyped-def]
    return rx.upload(
        rx.hstack(
            rx.icon("upload", size=14), rx.text(label, size="2"), align="center", spacing="2"
        ),
        id=upload_id,
        multiple=False,
        max_files=1,
        max_size=MAX_IMAGE_BYTES,
        accept=IMAGE_TYPES,
        on_drop=handler,
        padding="0.4em 0.8em",
        border=f"1px dashed {rx.color('accent', 8)}",
        border_radius="6px",
        cursor="pointer",
        width="fit-content",
    )


def _error(key: str) -> rx.Component:
    return rx.cond(
        S.errors[key] != "",
        rx.text(S.errors[key], color_scheme="red", size="1", id=f"template-{key}-error"),
        rx.fragment(),
    )


def _labelled(
    label: str, control: rx.Component, key: str, hint: str = "", html_for: str = ""
) -> rx.Component:
    caption = (
        rx.text(label, as_="label", html_for=html_for, size="2", weight="medium")
        if html_for
        else rx.text(label, size="2", weight="medium")
    )
    return rx.vstack(
        caption,
        control,
        _error(key),
        rx.text(hint, size="1", color_scheme="gray") if hint else rx.fragment(),
        spacing="1",
        width="100%",
        align="start",
    )


def _text_input(key: str, element_id: str, **props) -> rx.Component:  # type: ignore[no-untyped-def]
    return rx.input(
        value=S.draft[key],
        on_change=lambda value: S.set_draft(key, value),
        id=element_id,
        width="100%",
        **props,
    )


def _department_field() -> rx.Component:
    select = rx.select.root(
        rx.select.trigger(width="100%", id="template-department"),
        rx.select.content(
            rx.foreach(S.departments, lambda d: rx.select.item(d["label"], value=d["id"]))
        ),
        value=S.draft["department_id"],
        on_change=lambda value: S.set_draft("department_id", value),
    )
    return rx.cond(
        S.editing_id == 0,
        _labelled("Department", select, "department_id"),
        _labelled(
            "Department",
            rx.text(S.department_label, size="2"),
            "department_id",
            "A template stays in its department.",
        ),
    )


def _look_fields() -> rx.Component:
    orientation = rx.segmented_control.root(
        rx.segmented_control.item("Landscape", value="landscape"),
        rx.segmented_control.item("Portrait", value="portrait"),
        value=S.draft["orientation"],
        on_change=lambda value: S.set_draft("orientation", value),  # type: ignore[arg-type]
        id="template-orientation",
    )
    font = rx.select.root(
        rx.select.trigger(width="100%", id="template-font"),
        rx.select.content(*[rx.select.item(label, value=v) for v, label in FONTS.items()]),
        value=S.draft["font"],
        on_change=lambda value: S.set_draft("font", value),
    )
    colour = rx.hstack(
        rx.el.input(
            type="color",
            value=S.picker_colour,
            on_change=lambda value: S.set_draft("primary_color", value),
            aria_label="Pick the primary colour",
            style={
                "width": "2.5em",
                "height": "2em",
                "padding": "0",
                "border": "none",
                "background": "none",
                "cursor": "pointer",
            },
        ),
        rx.input(
            value=S.draft["primary_color"],
            on_change=lambda value: S.set_draft("primary_color", value),
            placeholder="#1f4e79",
            max_length=7,
            width="7em",
            id="template-colour",
        ),
        align="center",
        spacing="2",
    )
    return rx.flex(
        _labelled("Orientation", orientation, "orientation"),
        _labelled("Font", font, "font"),
        _labelled("Primary colour", colour, "primary_color"),
        direction=rx.breakpoints(initial="column", sm="row"),  # type: ignore[arg-type]
        spacing="4",
        width="100%",
    )


def _variables_help() -> rx.Component:
    return rx.box(
        rx.text("Variables (click to add to the text):", size="1", weight="medium"),
        rx.grid(
            *[
                rx.fragment(
                    rx.button(
                        "{{" + name + "}}",
                        size="1",
                        variant="ghost",
                        type="button",
                        on_click=S.insert_variable(name),
                        justify_content="start",
                        font_family="monospace",
                        class_name="template-variable",
                    ),
                    rx.text(description, size="1", color_scheme="gray"),
                )
                for name, description in VARIABLES.items()
            ],
            columns="auto 1fr",
            column_gap="0.75em",
            row_gap="0.15em",
            align_items="center",
        ),
        padding="0.5em 0.75em",
        border_radius="6px",
        background=rx.color("gray", 3),
        width="100%",
        id="template-variables",
    )


def _text_fields() -> rx.Component:
    body = rx.text_area(
        value=S.draft["body_text"],
        on_change=lambda value: S.set_draft("body_text", value),
        rows="4",
        max_length=1000,
        width="100%",
        id="template-body",
    )
    return rx.vstack(
        _labelled(
            "Title",
            _text_input("title_text", "template-title", max_length=120),
            "title_text",
            html_for="template-title",
        ),
        _labelled("Body", body, "body_text", html_for="template-body"),
        _variables_help(),
        _labelled(
            "Footer (optional)",
            _text_input("footer_text", "template-footer", max_length=300),
            "footer_text",
            "Small print at the bottom; variables work here too.",
            html_for="template-footer",
        ),
        spacing="3",
        width="100%",
    )


def _background_field() -> rx.Component:
    return _labelled(
        "Background image (optional)",
        rx.hstack(
            rx.cond(
                S.background_url != "",
                rx.hstack(
                    thumbnail(S.background_url, "Background", "64px"),
                    rx.button(
                        "Remove",
                        size="1",
                        variant="soft",
                        color_scheme="red",
                        type="button",
                        on_click=S.remove_background,
                        id="remove-background",
                    ),
                    align="center",
                    spacing="2",
                ),
                rx.fragment(),
            ),
            upload_zone(
                BACKGROUND_UPLOAD,
                S.upload_background,
                rx.cond(S.background_url != "", "Replace", "Upload PNG or JPEG"),
            ),  # type: ignore[arg-type]
            align="center",
            spacing="3",
            wrap="wrap",
        ),
        "background",
        "Drawn to fill the page, under the text; at most 2 MB.",
    )


def _signature_slot(index: int) -> rx.Component:
    slot = S.signatures[index]
    uploads = (S.upload_signature_0, S.upload_signature_1, S.upload_signature_2)
    return rx.cond(
        S.signature_count > index,
        rx.hstack(
            rx.input(
                value=slot["name"],
                placeholder="Name",
                max_length=80,
                width="100%",
                on_change=lambda value: S.set_signature(index, "name", value),
                aria_label=f"Signature {index + 1} name",
            ),
            rx.input(
                value=slot["title"],
                placeholder="Title, e.g. Dean",
                max_length=80,
                width="100%",
                on_change=lambda value: S.set_signature(index, "title", value),
                aria_label=f"Signature {index + 1} title",
            ),
            rx.cond(
                slot["image_url"] != "",
                thumbnail(slot["image_url"], "Signature", "36px"),
                rx.fragment(),
            ),
            upload_zone(SIGNATURE_UPLOADS[index], uploads[index], "Image"),
            rx.icon_button(
                rx.icon("trash-2", size=14),
                size="1",
                variant="soft",
                color_scheme="red",
                type="button",
                on_click=S.remove_signature(index),
                aria_label=f"Remove signature {index + 1}",
            ),
            align="center",
            spacing="2",
            width="100%",
            class_name="template-signature",
        ),
        rx.fragment(),
    )


def _signatures_field() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.text("Signatures", size="2", weight="medium"),
            rx.text(
                f"up to {MAX_SIGNATURES}; the image is optional", size="1", color_scheme="gray"
            ),
            align="baseline",
            spacing="2",
        ),
        *[_signature_slot(i) for i in range(MAX_SIGNATURES)],
        _error("signatures"),
        rx.button(
            rx.icon("plus", size=14),
            "Add signature",
            size="1",
            variant="soft",
            type="button",
            on_click=S.add_signature,
            disabled=S.signature_count >= MAX_SIGNATURES,
            id="add-signature",
        ),
        spacing="2",
        width="100%",
        align="start",
    )


def _stale_banner() -> rx.Component:
    return rx.cond(
        S.stale,
        rx.button(
            rx.icon("rotate-cw", size=14),
            "Reload the template",
            size="1",
            variant="soft",
            type="button",
            on_click=S.reload_stale,
            id="reload-template",
        ),
        rx.fragment(),
    )


def _editor_form() -> rx.Component:
    return rx.vstack(
        form_error(S.errors["form"]),
        _stale_banner(),
        _department_field(),
        _labelled(
            "Name",
            _text_input("name", "template-name", max_length=120, placeholder="Engineering 2026"),
            "name",
            "Only admins see the name.",
            html_for="template-name",
        ),
        _look_fields(),
        _text_fields(),
        _background_field(),
        _signatures_field(),
        rx.checkbox(
            "Make this the department's default",
            checked=S.make_default,
            on_change=S.set_make_default,
            disabled=S.editing_default,
            id="template-make-default",
        ),
        rx.text(
            "New certificates of the department (and of subdepartments without a default "
            "of their own) use the default template; the department logo is added by "
            "itself.",
            size="1",
            color_scheme="gray",
        ),
        spacing="4",
        width="100%",
        min_width="0",
    )


def _preview_panel() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.text("Preview", size="2", weight="medium"),
            rx.cond(S.previewing, rx.spinner(size="2"), rx.fragment()),
            rx.spacer(),
            rx.button(
                rx.icon("eye", size=14),
                "Preview",
                variant="soft",
                type="button",
                on_click=S.render_preview,
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
                    rx.text(
                        "Sample learner and course; your department's logo.",
                        size="1",
                        color_scheme="gray",
                    ),
                ),
                spacing="1",
                width="100%",
            ),
            rx.center(
                rx.text(
                    "Click Preview to see the certificate with sample data, before saving.",
                    size="2",
                    color_scheme="gray",
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
        rx.hstack(
            rx.dialog.close(
                rx.button("Cancel", variant="soft", color_scheme="gray", type="button")
            ),
            rx.button("Save template", on_click=S.save, type="button", id="template-save"),
            justify="end",
            spacing="3",
            width="100%",
        ),
        max_width="1200px",
        width="96vw",
        max_height="92vh",
        overflow_y="auto",
        id="template-editor",
        open=S.editor_open,
        on_open_change=S.set_editor_open,
    )
