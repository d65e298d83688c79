"""Certificate templates (dept-admins: their departments; super-admins: all).

The templates table, the editor (a wide dialog with a live PNG preview of the unsaved design)
and the department logos printed at the top of each department's certificates. Images are
uploaded straight from the drop zones into the image store; the form keeps only their ids.
"""

from __future__ import annotations

import base64
import logging
import re

import reflex as rx
from reflex.utils.imports import ImportVar
from reflex.vars import Var, VarData
from sqlmodel import Session

from commerce_dash.components.certificate_tabs import certificate_tabs
from commerce_dash.components.forms import form_error
from commerce_dash.components.shell import admin_shell
from commerce_dash.db import session_scope
from commerce_dash.domain.certificate_design import DEFAULT_BODY, FONTS, MAX_SIGNATURES, VARIABLES
from commerce_dash.domain.errors import DomainError
from commerce_dash.services import certificate_templates as templates_service
from commerce_dash.services.certificate_templates import SignatureIn, TemplateIn
from commerce_dash.state.admin import AdminState

log = logging.getLogger(__name__)

SECTION = "certificates"
FIELDS = (
    "department_id",
    "name",
    "orientation",
    "font",
    "primary_color",
    "title_text",
    "body_text",
    "footer_text",
    "background",
    "signatures",
)
IMAGE_TYPES = {"image/png": [".png"], "image/jpeg": [".jpg", ".jpeg"]}
MAX_IMAGE_BYTES = 2_000_000  # the image store refuses more
PREVIEW_WIDTH = 900
BACKGROUND_UPLOAD = "template-background-upload"
LOGO_UPLOAD = "department-logo-upload"
SIGNATURE_UPLOADS = tuple(f"template-signature-upload-{i}" for i in range(MAX_SIGNATURES))
HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
EMPTY_TEXT = (
    "No templates yet: certificates use the built-in design. Create one to add "
    "your logo, signatures and colours."
)


def _no_errors() -> dict[str, str]:
    return dict.fromkeys((*FIELDS, "form"), "")


def _blank_signature() -> dict[str, str]:
    return {"name": "", "title": "", "image_id": "", "image_url": ""}


def _logo_row(row: templates_service.LogoRow) -> dict[str, str]:
    return {
        "id": str(row.department_id),
        "department": row.department,
        "own": "yes" if row.own else "",
        "url": row.url,
        "inherited": "yes" if row.url and not row.own else "",
    }


class CertificateTemplatesState(AdminState):
    rows: list[dict[str, str]] = []
    departments: list[dict[str, str]] = []
    logos: list[dict[str, str]] = []

    # the editor; text fields live in ``draft``, signatures in MAX_SIGNATURES fixed slots
    editor_open: bool = False
    editing_id: int = 0
    editing_version: int = 0
    editing_default: bool = False
    department_label: str = ""
    draft: dict[str, str] = {}
    background_id: int = 0
    background_url: str = ""
    signatures: list[dict[str, str]] = [_blank_signature() for _ in range(MAX_SIGNATURES)]
    signature_count: int = 0
    make_default: bool = False
    errors: dict[str, str] = _no_errors()
    stale: bool = False
    preview_src: str = ""
    preview_stale: bool = False
    previewing: bool = False

    delete_open: bool = False
    delete_id: int = 0
    delete_label: str = ""

    logo_open: bool = False
    logo_department_id: int = 0
    logo_department: str = ""

    @rx.var
    def picker_colour(self) -> str:
        colour = self.draft.get("primary_color", "")
        return colour if HEX_COLOUR.fullmatch(colour) else "#000000"

    # -- loading ------------------------------------------------------------------------------
    def _fetch(self) -> None:
        actor = self.current_actor()
        with session_scope() as session:
            options = templates_service.template_department_options(session=session, actor=actor)
            rows = templates_service.list_templates(session=session, actor=actor)
            self.logos = [_logo_row(r) for r in
                          templates_service.department_logos(session=session, actor=actor)]
        self.departments = [{"id": str(i), "label": label} for i, label in options]
        self.rows = [
            {
                "id": str(r.id),
                "name": r.name,
                "department": r.department,
                "orientation": r.orientation.capitalize(),
                "font": r.font,
                "colour": r.primary_color,
                "default": "yes" if r.is_default else "",
                "certificates": str(r.certificates),
                "updated": r.updated_at,
            }
            for r in rows
        ]

    def _refetch(self):  # type: ignore[no-untyped-def]
        try:
            self._fetch()
        except DomainError as exc:
            return rx.toast.error(exc.message)
        return None

    @rx.event
    def load(self):  # type: ignore[no-untyped-def]
        if self.guard(SECTION) is None:
            return self.refused()
        return self._refetch()

    # -- the editor ---------------------------------------------------------------------------
    def _open(self, data: TemplateIn, session: Session | None) -> None:
        self.draft = {
            "department_id": str(data.department_id or ""),
            "name": data.name,
            "orientation": data.orientation,
            "font": data.font,
            "primary_color": data.primary_color,
            "title_text": data.title_text,
            "body_text": data.body_text,
            "footer_text": data.footer_text,
        }
        self.background_id = data.background_image_id or 0
        self.background_url = templates_service.image_path(session, self.background_id) if session else ""
        slots = [
            {
                "name": s.name,
                "title": s.title,
                "image_id": str(s.image_id or ""),
                "image_url": templates_service.image_path(session, s.image_id) if session else "",
            }
            for s in data.signatures[:MAX_SIGNATURES]
        ]
        self.signature_count = len(slots)
        self.signatures = slots + [_blank_signature() for _ in range(MAX_SIGNATURES - len(slots))]
        self.errors, self.stale = _no_errors(), False
        self.preview_src, self.preview_stale = "", False
        self.editor_open = True

    @rx.event
    def open_new(self):  # type: ignore[no-untyped-def]
        if self.guard(SECTION) is None:
            return None
        if not self.departments:
            return rx.toast.error("You manage no departments, so you cannot create templates.")
        self.editing_id = self.editing_version = 0
        self.editing_default = self.make_default = False
        self.department_label = ""
        first = int(self.departments[0]["id"])
        self._open(TemplateIn(department_id=first, name="", body_text=DEFAULT_BODY), None)
        return None

    @rx.event
    def open_edit(self, template_id: str):  # type: ignore[no-untyped-def]
        try:
            with session_scope() as session:
                template = templates_service.get_template(
                    session=session, actor=self.current_actor(), template_id=int(template_id)
                )
                self.editing_id, self.editing_version = template.id or 0, template.version
                self.editing_default = self.make_default = template.is_default
                self.department_label = next(
                    (
                        d["label"]
                        for d in self.departments
                        if d["id"] == str(template.department_id)
                    ),
                    "",
                )
                self._open(templates_service.template_in_of(template), session)
        except DomainError as exc:
            return rx.toast.error(exc.message)
        return None

    @rx.event
    def set_editor_open(self, value: bool) -> None:
        self.editor_open = value

    def _changed(self, key: str) -> None:
        if self.errors.get(key):
            self.errors = {**self.errors, key: ""}
        self.preview_stale = self.preview_src != ""

    def _put(self, key: str, value: str) -> None:
        self.draft = {**self.draft, key: value}
        self._changed(key)

    @rx.event
    def set_draft(self, key: str, value: str) -> None:
        self._put(key, value)

    @rx.event
    def insert_variable(self, name: str) -> None:
        body = self.draft.get("body_text", "")
        gap = "" if not body or body[-1].isspace() else " "
        self._put("body_text", f"{body}{gap}{{{{{name}}}}}")

    @rx.event
    def set_make_default(self, value: bool) -> None:
        self.make_default = value

    @rx.event
    def set_signature(self, index: int, key: str, value: str) -> None:
        slots = [dict(s) for s in self.signatures]
        slots[index][key] = value
        self.signatures = slots
        self._changed("signatures")

    @rx.event
    def add_signature(self) -> None:
        if self.signature_count < MAX_SIGNATURES:
            self.signature_count += 1
            self._changed("signatures")

    @rx.event
    def remove_signature(self, index: int) -> None:
        slots = [dict(s) for s in self.signatures]
        del slots[index]
        self.signatures = [*slots, _blank_signature()]
        self.signature_count = max(0, self.signature_count - 1)
        self._changed("signatures")

    @rx.event
    def remove_background(self) -> None:
        self.background_id, self.background_url = 0, ""
        self._changed("background")

    def _template_in(self) -> TemplateIn:
        draft = self.draft
        if not draft.get("department_id", "").isdigit():
            raise DomainError(
                "department_required",
                "Choose the department of the template.",
                field="department_id",
            )
        return TemplateIn(
            department_id=int(draft["department_id"]),
            name=draft.get("name", ""),
            orientation=draft.get("orientation", ""),
            title_text=draft.get("title_text", ""),
            body_text=draft.get("body_text", ""),
            footer_text=draft.get("footer_text", ""),
            font=draft.get("font", ""),
            primary_color=draft.get("primary_color", ""),
            background_image_id=self.background_id or None,
            signatures=tuple(
                SignatureIn(s["name"], s["title"], int(s["image_id"]) if s["image_id"] else None)
                for s in self.signatures[: self.signature_count]
            ),
        )

    def _refuse(self, exc: DomainError):  # type: ignore[no-untyped-def]
        key = exc.field if exc.field in FIELDS else "form"
        self.errors = {**_no_errors(), key: exc.message}
        self.stale = exc.code == "stale_template"
        return rx.toast.error(exc.message)

    @rx.event
    def render_preview(self):  # type: ignore[no-untyped-def]
        self.errors, self.previewing = _no_errors(), True
        yield
        try:
            data = self._template_in()
            with session_scope() as session:
                png = templates_service.preview_png(
                    session=session, actor=self.current_actor(), data=data, width_px=PREVIEW_WIDTH
                )
        except DomainError as exc:
            yield self._refuse(exc)
            return
        except Exception:  # a rendering failure must show as a message, not a dead spinner
            log.exception("certificate template preview failed")
            yield rx.toast.error("The preview could not be rendered; check the images.")
            return
        finally:
            self.previewing = False
        self.preview_src = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
        self.preview_stale = False

    @rx.event
    def save(self):  # type: ignore[no-untyped-def]
        self.errors, self.stale = _no_errors(), False
        try:
            data = self._template_in()
            with session_scope() as session:
                actor = self.current_actor()
                if self.editing_id:
                    template = templates_service.update_template(
                        session=session,
                        actor=actor,
                        template_id=self.editing_id,
                        data=data,
                        expected_version=self.editing_version,
                    )
                    if self.make_default and not template.is_default:
                        templates_service.set_default_template(
                            session=session, actor=actor, template_id=self.editing_id
                        )
                else:
                    templates_service.create_template(
                        session=session, actor=actor, data=data, make_default=self.make_default
                    )
        except DomainError as exc:
            return self._refuse(exc)
        self.editor_open = False
        error = self._refetch()
        return error if error is not None else rx.toast.success("Template saved")

    @rx.event
    def reload_stale(self):  # type: ignore[no-untyped-def]
        return CertificateTemplatesState.open_edit(str(self.editing_id))

    # -- uploads (each drop zone sends its file straight here) ----------------------------------
    async def _store(self, files: list[rx.UploadFile], purpose: str) -> tuple[int, str]:
        if not files:
            raise DomainError("invalid_image", "Choose a PNG or JPEG image.", field="image")
        upload = files[0]
        data = await upload.read()
        with session_scope() as session:
            image = templates_service.store_image(
                session=session,
                actor=self.current_actor(),
                data=data,
                filename=upload.name or f"{purpose}.png",
                purpose=purpose,
            )
            return image.id or 0, templates_service.image_url(image.key)

    async def _signature_image(self, files: list[rx.UploadFile], index: int):  # type: ignore[no-untyped-def]
        try:
            image_id, url = await self._store(files, "signature")
        except DomainError as exc:
            self.errors = {**self.errors, "signatures": exc.message}
            return rx.toast.error(exc.message)
        slots = [dict(s) for s in self.signatures]
        slots[index].update(image_id=str(image_id), image_url=url)
        self.signatures = slots
        self._changed("signatures")
        return None

    @rx.event
    async def upload_background(self, files: list[rx.UploadFile]):  # type: ignore[no-untyped-def]
        try:
            self.background_id, self.background_url = await self._store(files, "background")
        except DomainError as exc:
            self.errors = {**self.errors, "background": exc.message}
            return rx.toast.error(exc.message)
        self._changed("background")
        return None

    @rx.event
    async def upload_signature_0(self, files: list[rx.UploadFile]):  # type: ignore[no-untyped-def]
        return await self._signature_image(files, 0)

    @rx.event
    async def upload_signature_1(self, files: list[rx.UploadFile]):  # type: ignore[no-untyped-def]
        return await self._signature_image(files, 1)

    @rx.event
    async def upload_signature_2(self, files: list[rx.UploadFile]):  # type: ignore[no-untyped-def]
        return await self._signature_image(files, 2)

    # -- table actions ------------------------------------------------------------------------
    @rx.event
    def make_default_template(self, template_id: str, name: str):  # type: ignore[no-untyped-def]
        try:
            with session_scope() as session:
                templates_service.set_default_template(
                    session=session, actor=self.current_actor(), template_id=int(template_id)
                )
        except DomainError as exc:
            return rx.toast.error(exc.message)
        error = self._refetch()
        return (
            error
            if error is not None
            else rx.toast.success(f"{name} is now its department's default template.")
        )

    @rx.event
    def ask_delete(self, template_id: str, name: str) -> None:
        self.delete_id, self.delete_label = int(template_id), name
        self.delete_open = True

    @rx.event
    def set_delete_open(self, value: bool) -> None:
        self.delete_open = value

    @rx.event
    def confirm_delete(self):  # type: ignore[no-untyped-def]
        self.delete_open = False
        try:
            with session_scope() as session:
                templates_service.delete_template(
                    session=session, actor=self.current_actor(), template_id=self.delete_id
                )
        except DomainError as exc:
            return rx.toast.error(exc.message)
        error = self._refetch()
        return (
            error
            if error is not None
            else rx.toast.success(f"Template {self.delete_label} deleted.")
        )

    # -- department logos ---------------------------------------------------------------------
    @rx.event
    def open_logo(self, department_id: str, label: str) -> None:
        self.logo_department_id, self.logo_department = int(department_id), label
        self.logo_open = True

    @rx.event
    def set_logo_open(self, value: bool) -> None:
        self.logo_open = value

    def _set_logo(self, department_id: int, image_id: int | None) -> None:
        with session_scope() as session:
            templates_service.set_department_logo(
                session=session,
                actor=self.current_actor(),
                department_id=department_id,
                image_id=image_id,
            )

    @rx.event
    async def upload_logo(self, files: list[rx.UploadFile]):  # type: ignore[no-untyped-def]
        try:
            image_id, _url = await self._store(files, "logo")
            self._set_logo(self.logo_department_id, image_id)
        except DomainError as exc:
            return rx.toast.error(exc.message)
        self.logo_open = False
        error = self._refetch()
        return (
            error
            if error is not None
            else rx.toast.success(f"Logo saved for {self.logo_department}.")
        )

    @rx.event
    def remove_logo(self, department_id: str, label: str):  # type: ignore[no-untyped-def]
        try:
            self._set_logo(int(department_id), None)
        except DomainError as exc:
            return rx.toast.error(exc.message)
        error = self._refetch()
        return error if error is not None else rx.toast.success(f"Logo removed from {label}.")


# -- components -------------------------------------------------------------------------------

S = CertificateTemplatesState
_BACKEND_URL = VarData(
    imports={
        "$/utils/state": [ImportVar(tag="getBackendURL")],
        "$/env.json": [ImportVar(tag="env", is_default=True)],
    }
)


def image_src(path: Var[str]) -> Var[str]:
    """A stored image's address: the API lives on the backend, which has its own port in dev."""
    return Var(
        _js_expr=f"new URL({path!s}, getBackendURL(env.UPLOAD)).href",
        _var_type=str,
        _var_data=VarData.merge(path._get_all_var_data(), _BACKEND_URL),
    ).to(str)


def _thumbnail(path: Var[str], alt: str, height: str = "48px") -> rx.Component:
    return rx.image(
        src=image_src(path),
        alt=alt,
        height=height,
        max_width="160px",
        object_fit="contain",
        border=f"1px solid {rx.color('gray', 5)}",
        border_radius="4px",
        background="white",
    )


def _upload_zone(upload_id: str, handler, label: str) -> rx.Component:  # type: ignore[no-untyped-def]
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
                    _thumbnail(S.background_url, "Background", "64px"),
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
            _upload_zone(
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
                _thumbnail(slot["image_url"], "Signature", "36px"),
                rx.fragment(),
            ),
            _upload_zone(SIGNATURE_UPLOADS[index], uploads[index], "Image"),
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


def _editor_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(rx.cond(S.editing_id == 0, "New template", "Edit template")),
            rx.dialog.description(
                "Changes apply to certificates issued or downloaded after you save.",
                size="2",
                color_scheme="gray",
            ),
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
        ),
        open=S.editor_open,
        on_open_change=S.set_editor_open,
    )


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
                    _thumbnail(row["url"], "Logo"),
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
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title("Delete the template ", S.delete_label, "?"),
            rx.alert_dialog.description(
                "Only a template no certificate uses can be deleted; its department then "
                "uses another default or the built-in design.",
                size="2",
            ),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button("Cancel", variant="soft", color_scheme="gray")),
                rx.button(
                    "Delete",
                    color_scheme="red",
                    on_click=S.confirm_delete,
                    id="confirm-delete-template",
                ),
                justify="end",
                spacing="3",
                width="100%",
                padding_top="1em",
            ),
        ),
        open=S.delete_open,
        on_open_change=S.set_delete_open,
    )


def _logo_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Logo of ", S.logo_department),
            rx.dialog.description(
                "Printed at the top of this department's certificates. A PNG or JPEG of at "
                "most 2 MB; a transparent PNG looks best.",
                size="2",
                color_scheme="gray",
            ),
            rx.center(
                _upload_zone(LOGO_UPLOAD, S.upload_logo, "Choose or drop an image"), padding="1.5em"
            ),
            rx.hstack(
                rx.dialog.close(rx.button("Cancel", variant="soft", color_scheme="gray")),
                justify="end",
                width="100%",
            ),
            max_width="460px",
        ),
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
        _editor_dialog(),
        _delete_dialog(),
        _logo_dialog(),
    )
