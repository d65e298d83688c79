"""The state of the certificate templates page: the templates table, the editor's draft and
its live preview. What the drop zones upload and the department logos are the mixin of
``certificate_template_images``."""

from __future__ import annotations

import base64
import logging
import re

import reflex as rx
from sqlmodel import Session

from commerce_dash.db import session_scope
from commerce_dash.domain.certificate_design import DEFAULT_BODY, MAX_SIGNATURES
from commerce_dash.domain.errors import DomainError
from commerce_dash.domain.identifiers import parse_whole
from commerce_dash.pages.admin.certificate_template_images import TemplateImagesMixin
from commerce_dash.pages.admin.service_calls import attempt
from commerce_dash.services import learning as learning_area
from commerce_dash.services.learning import SignatureIn, TemplateIn
from commerce_dash.settings import get_settings
from commerce_dash.state.admin import AdminState
from commerce_dash.state.paging import fetch_or_toast
from commerce_dash.state.route_args import route_int
from commerce_dash.state.setters import value_setter

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
MAX_IMAGE_BYTES = get_settings().max_image_bytes  # the image store refuses more
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


def _logo_row(row: learning_area.LogoRow) -> dict[str, str]:
    return {
        "id": str(row.department_id),
        "department": row.department,
        "own": "yes" if row.own else "",
        "url": row.url,
        "inherited": "yes" if row.url and not row.own else "",
    }


class CertificateTemplatesState(TemplateImagesMixin, AdminState):
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

    @rx.var
    def picker_colour(self) -> str:
        colour = self.draft.get("primary_color", "")
        return colour if HEX_COLOUR.fullmatch(colour) else "#000000"

    # -- loading ------------------------------------------------------------------------------
    def _fetch(self) -> None:
        actor = self.current_actor()
        with session_scope() as session:
            options = learning_area.template_department_options(session=session, actor=actor)
            rows = learning_area.list_templates(session=session, actor=actor)
            self.logos = [_logo_row(r) for r in
                          learning_area.department_logos(session=session, actor=actor)]
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
        return fetch_or_toast(self._fetch)

    def _reload_then(self, toast):  # type: ignore[no-untyped-def]
        """Reload the tables after a change; a refused reload's toast wins over ``toast``."""
        error = self._refetch()
        return error if error is not None else toast

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
        self.background_url = learning_area.image_path(session, self.background_id) if session else ""
        slots = [
            {
                "name": s.name,
                "title": s.title,
                "image_id": str(s.image_id or ""),
                "image_url": learning_area.image_path(session, s.image_id) if session else "",
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
                template = learning_area.get_template(
                    session=session, actor=self.current_actor(),
                    template_id=route_int(template_id) or 0,  # 0: not found
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
                self._open(learning_area.template_in_of(template), session)
        except DomainError as exc:
            return rx.toast.error(exc.message)
        return None

    set_editor_open = value_setter("editor_open", bool)

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

    set_make_default = value_setter("make_default", bool)

    def _slot(self, index: object) -> int | None:
        """The signature slot a browser names (an int, or its digits), when it is one the
        editor shows; None for anything else, which the handlers then ignore."""
        if isinstance(index, bool):
            return None
        text = str(index) if isinstance(index, int | str) else ""
        slot = parse_whole(text.strip(), high=MAX_SIGNATURES - 1)
        return slot if slot is not None and slot < self.signature_count else None

    @rx.event
    def set_signature(self, index: int, key: str, value: str) -> None:
        slot = self._slot(index)
        if (slot is None or not isinstance(key, str) or key not in _blank_signature()
                or not isinstance(value, str)):
            return  # no slot shown, or no field of one
        slots = [dict(s) for s in self.signatures]
        slots[slot][key] = value
        self.signatures = slots
        self._changed("signatures")

    @rx.event
    def add_signature(self) -> None:
        if self.signature_count < MAX_SIGNATURES:
            self.signature_count += 1
            self._changed("signatures")

    @rx.event
    def remove_signature(self, index: int) -> None:
        slot = self._slot(index)
        if slot is None:
            return  # no slot shown: nothing to remove
        slots = [dict(s) for s in self.signatures]
        del slots[slot]
        self.signatures = [*slots, _blank_signature()]
        self.signature_count = max(0, self.signature_count - 1)
        self._changed("signatures")

    @rx.event
    def remove_background(self) -> None:
        self.background_id, self.background_url = 0, ""
        self._changed("background")

    def _template_in(self) -> TemplateIn:
        draft = self.draft
        department_id = route_int(draft.get("department_id", ""))
        if department_id is None:
            raise DomainError(
                "department_required",
                "Choose the department of the template.",
                field="department_id",
            )
        return TemplateIn(
            department_id=department_id,
            name=draft.get("name", ""),
            orientation=draft.get("orientation", ""),
            title_text=draft.get("title_text", ""),
            body_text=draft.get("body_text", ""),
            footer_text=draft.get("footer_text", ""),
            font=draft.get("font", ""),
            primary_color=draft.get("primary_color", ""),
            background_image_id=self.background_id or None,
            signatures=tuple(
                # an image id that is no id (0) is "not found" beside the signatures
                SignatureIn(s["name"], s["title"],
                            (route_int(s["image_id"]) or 0) if s["image_id"] else None)
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
                png = learning_area.preview_png(
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
                    template = learning_area.update_template(
                        session=session,
                        actor=actor,
                        template_id=self.editing_id,
                        data=data,
                        expected_version=self.editing_version,
                    )
                    if self.make_default and not template.is_default:
                        learning_area.set_default_template(
                            session=session, actor=actor, template_id=self.editing_id
                        )
                else:
                    learning_area.create_template(
                        session=session, actor=actor, data=data, make_default=self.make_default
                    )
        except DomainError as exc:
            return self._refuse(exc)
        self.editor_open = False
        return self._reload_then(rx.toast.success("Template saved"))

    @rx.event
    def reload_stale(self):  # type: ignore[no-untyped-def]
        return CertificateTemplatesState.open_edit(str(self.editing_id))

    # -- table actions ------------------------------------------------------------------------
    @rx.event
    def make_default_template(self, template_id: str, name: str):  # type: ignore[no-untyped-def]
        _done, refused = attempt(
            self,
            learning_area.set_default_template,
            template_id=route_int(template_id) or 0,  # 0: not found
        )
        if refused is not None:
            return refused
        return self._reload_then(
            rx.toast.success(f"{name} is now its department's default template.")
        )

    @rx.event
    def ask_delete(self, template_id: str, name: str) -> None:
        self.delete_id, self.delete_label = route_int(template_id) or 0, name  # 0: not found
        self.delete_open = True

    set_delete_open = value_setter("delete_open", bool)

    @rx.event
    def confirm_delete(self):  # type: ignore[no-untyped-def]
        self.delete_open = False
        _done, refused = attempt(
            self, learning_area.delete_template, template_id=self.delete_id
        )
        if refused is not None:
            return refused
        return self._reload_then(rx.toast.success(f"Template {self.delete_label} deleted."))
