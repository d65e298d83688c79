"""The fields of the certificate template editor: the design's text and look, the image drop
zones (background, signatures) and the variables help. ``certificate_template_editor`` lays them
out beside the live preview."""

from __future__ import annotations

import reflex as rx
from reflex.vars import Var

from commerce_dash.components.admin_forms import (
    form_button,
    icon_action,
    note,
    only_if,
    row_button,
)
from commerce_dash.components.backend_url import api_href
from commerce_dash.components.forms import labelled, select
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


def field_error(key: str) -> rx.Component:
    """The message of the draft's field ``key`` (the signatures have one for them all)."""
    return only_if(
        S.errors[key] != "",
        rx.text(S.errors[key], color_scheme="red", size="1", id=f"template-{key}-error"),
    )


def labelled_field(
    label: str, control: rx.Component, key: str, hint: str = "", html_for: str = ""
) -> rx.Component:
    """A design field: its caption, the control, its error and a hint."""
    return labelled(
        label,
        control,
        field_error(key),
        note(hint) if hint else rx.fragment(),
        html_for=html_for,
    )


def _on_draft(key: str):  # type: ignore[no-untyped-def]
    """The event that writes a control's new value into the draft's ``key``."""
    return lambda value: S.set_draft(key, value)


def _bound(key: str) -> dict:  # type: ignore[type-arg]
    """The props that show the draft's ``key`` in a control and write its changes back."""
    return {"value": S.draft[key], "on_change": _on_draft(key)}


def text_input(key: str, element_id: str, width: str = "100%", **props) -> rx.Component:  # type: ignore[no-untyped-def]
    """A text input bound to the draft's ``key``."""
    return rx.input(**_bound(key), id=element_id, width=width, **props)


def small_button(icon: str, label: str, on_click, **props) -> rx.Component:  # type: ignore[no-untyped-def]
    """A small ``form_button`` of the editor."""
    return form_button(icon, label, on_click, size="1", **props)


def department_field() -> rx.Component:
    choice = select(
        S.draft["department_id"],
        _on_draft("department_id"),
        each=S.departments,
        width="100%",
        id="template-department",
    )
    return rx.cond(
        S.editing_id == 0,
        labelled_field("Department", choice, "department_id"),
        labelled_field(
            "Department",
            rx.text(S.department_label, size="2"),
            "department_id",
            "A template stays in its department.",
        ),
    )


def look_fields() -> rx.Component:
    orientation = rx.segmented_control.root(
        rx.segmented_control.item("Landscape", value="landscape"),
        rx.segmented_control.item("Portrait", value="portrait"),
        value=S.draft["orientation"],
        on_change=_on_draft("orientation"),  # type: ignore[arg-type]
        id="template-orientation",
    )
    font = select(
        S.draft["font"], _on_draft("font"), list(FONTS.items()), width="100%", id="template-font"
    )
    colour = rx.hstack(
        rx.el.input(
            type="color",
            value=S.picker_colour,
            on_change=_on_draft("primary_color"),
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
        text_input(
            "primary_color", "template-colour", width="7em", placeholder="#1f4e79", max_length=7
        ),
        align="center",
        spacing="2",
    )
    return rx.flex(
        labelled_field("Orientation", orientation, "orientation"),
        labelled_field("Font", font, "font"),
        labelled_field("Primary colour", colour, "primary_color"),
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
                    note(description),
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


def text_fields() -> rx.Component:
    body = rx.text_area(
        **_bound("body_text"),
        rows="4",
        max_length=1000,
        width="100%",
        id="template-body",
    )
    return rx.vstack(
        labelled_field(
            "Title",
            text_input("title_text", "template-title", max_length=120),
            "title_text",
            html_for="template-title",
        ),
        labelled_field("Body", body, "body_text", html_for="template-body"),
        _variables_help(),
        labelled_field(
            "Footer (optional)",
            text_input("footer_text", "template-footer", max_length=300),
            "footer_text",
            "Small print at the bottom; variables work here too.",
            html_for="template-footer",
        ),
        spacing="3",
        width="100%",
    )


def background_field() -> rx.Component:
    return labelled_field(
        "Background image (optional)",
        rx.hstack(
            only_if(
                S.background_url != "",
                rx.hstack(
                    thumbnail(S.background_url, "Background", "64px"),
                    row_button(
                        "Remove",
                        S.remove_background,
                        color="red",
                        type="button",
                        id="remove-background",
                    ),
                    align="center",
                    spacing="2",
                ),
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


def _on_signature(index: int, key: str):  # type: ignore[no-untyped-def]
    """The event that writes a signature slot's ``key`` (name or title)."""
    return lambda value: S.set_signature(index, key, value)


def _signature_slot(index: int) -> rx.Component:
    slot = S.signatures[index]
    uploads = (S.upload_signature_0, S.upload_signature_1, S.upload_signature_2)
    return only_if(
        S.signature_count > index,
        rx.hstack(
            *[
                rx.input(
                    value=slot[key],
                    placeholder=placeholder,
                    max_length=80,
                    width="100%",
                    on_change=_on_signature(index, key),
                    aria_label=f"Signature {index + 1} {key}",
                )
                for key, placeholder in (("name", "Name"), ("title", "Title, e.g. Dean"))
            ],
            only_if(slot["image_url"] != "", thumbnail(slot["image_url"], "Signature", "36px")),
            upload_zone(SIGNATURE_UPLOADS[index], uploads[index], "Image"),
            icon_action(
                "trash-2",
                f"Remove signature {index + 1}",
                S.remove_signature(index),
                color_scheme="red",
            ),
            align="center",
            spacing="2",
            width="100%",
            class_name="template-signature",
        ),
    )


def signatures_field() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.text("Signatures", size="2", weight="medium"),
            note(f"up to {MAX_SIGNATURES}; the image is optional"),
            align="baseline",
            spacing="2",
        ),
        *[_signature_slot(i) for i in range(MAX_SIGNATURES)],
        field_error("signatures"),
        small_button(
            "plus",
            "Add signature",
            S.add_signature,
            disabled=S.signature_count >= MAX_SIGNATURES,
            id="add-signature",
        ),
        spacing="2",
        width="100%",
        align="start",
    )


def stale_banner() -> rx.Component:
    return only_if(
        S.stale,
        small_button("rotate-cw", "Reload the template", S.reload_stale, id="reload-template"),
    )
