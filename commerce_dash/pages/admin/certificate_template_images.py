"""The images of the certificate templates page: what its drop zones upload (a template's
background and signatures, a department's logo) into the image store, and the department
logos themselves.

A mixin of ``CertificateTemplatesState``: the handlers stay events of that state (the upload
gate and the pages name them there); they use its draft (``draft``, ``signatures``,
``errors``, ``_changed``) and its reload (``_reload_then``).
"""

from __future__ import annotations

import reflex as rx

from commerce_dash.db import session_scope
from commerce_dash.domain.errors import DomainError
from commerce_dash.pages.admin.service_calls import attempt
from commerce_dash.services import learning as learning_area
from commerce_dash.settings import get_settings
from commerce_dash.state.route_args import route_int
from commerce_dash.state.service_call import as_admin
from commerce_dash.state.setters import value_setter


async def _read_capped(upload: rx.UploadFile, cap: int) -> bytes:
    """The file's bytes, never more than ``cap`` + 1 of them in memory: a larger file is
    refused (by its declared size when it has one, else by what the read returned)."""
    too_large = DomainError(
        "invalid_image", f"The image is too large: at most {cap / 1_000_000:g} MB.",
        field="image",
    )
    if upload.size is not None and upload.size > cap:
        raise too_large
    data = await upload.read(cap + 1)
    if len(data) > cap:
        raise too_large
    return data


class TemplateImagesMixin(rx.State, mixin=True):
    logo_open: bool = False
    logo_department_id: int = 0
    logo_department: str = ""

    # -- uploads (each drop zone sends its file straight here) ----------------------------------
    async def _store(
        self, files: list[rx.UploadFile], purpose: str, department_id: int
    ) -> tuple[int, str]:
        # who may upload, and for which department, is settled before the file is read; the
        # app refuses the request itself earlier still (api/app.py GateUploads)
        actor = self.current_actor()  # type: ignore[attr-defined]
        with session_scope() as session:
            stored_for = learning_area.upload_department(
                session=session, actor=actor, department_id=department_id
            )
        if not files:
            raise DomainError("invalid_image", "Choose a PNG or JPEG image.", field="image")
        upload = files[0]
        data = await _read_capped(upload, get_settings().max_image_bytes)
        with session_scope() as session:
            image = learning_area.store_image(
                session=session,
                actor=actor,
                data=data,
                filename=upload.name or f"{purpose}.png",
                purpose=purpose,
                department_id=stored_for,
            )
            return image.id or 0, learning_area.image_url(image.key)

    def _draft_department(self) -> int:
        draft: dict[str, str] = self.draft  # type: ignore[attr-defined]
        return route_int(draft.get("department_id", "")) or 0  # 0: no such department

    async def _draft_image(self, files: list[rx.UploadFile], purpose: str, error_key: str):  # type: ignore[no-untyped-def]
        """Store an image of the draft's department: ``((id, url), None)``, or ``(None,
        toast)`` when refused, the message then also shown under the draft's ``error_key``."""
        try:
            return await self._store(files, purpose, self._draft_department()), None
        except DomainError as exc:
            self.errors = {**self.errors, error_key: exc.message}  # type: ignore[has-type]
            return None, rx.toast.error(exc.message)

    async def _signature_image(self, files: list[rx.UploadFile], index: int):  # type: ignore[no-untyped-def]
        stored, refused = await self._draft_image(files, "signature", "signatures")
        if stored is None:
            return refused
        slots = [dict(s) for s in self.signatures]  # type: ignore[has-type]
        slots[index].update(image_id=str(stored[0]), image_url=stored[1])
        self.signatures = slots
        self._changed("signatures")  # type: ignore[attr-defined]
        return None

    @rx.event
    async def upload_background(self, files: list[rx.UploadFile]):  # type: ignore[no-untyped-def]
        stored, refused = await self._draft_image(files, "background", "background")
        if stored is None:
            return refused
        self.background_id, self.background_url = stored
        self._changed("background")  # type: ignore[attr-defined]
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

    # -- department logos ---------------------------------------------------------------------
    @rx.event
    def open_logo(self, department_id: str, label: str) -> None:
        self.logo_department_id = route_int(department_id) or 0  # 0: no such department
        self.logo_department = label
        self.logo_open = True

    set_logo_open = value_setter("logo_open", bool)

    @rx.event
    async def upload_logo(self, files: list[rx.UploadFile]):  # type: ignore[no-untyped-def]
        try:
            image_id, _url = await self._store(files, "logo", self.logo_department_id)
            as_admin(
                self,
                learning_area.set_department_logo,
                department_id=self.logo_department_id,
                image_id=image_id,
            )
        except DomainError as exc:
            return rx.toast.error(exc.message)
        self.logo_open = False
        return self._reload_then(  # type: ignore[attr-defined]
            rx.toast.success(f"Logo saved for {self.logo_department}.")
        )

    @rx.event
    def remove_logo(self, department_id: str, label: str):  # type: ignore[no-untyped-def]
        _done, refused = attempt(
            self,
            learning_area.set_department_logo,
            department_id=route_int(department_id) or 0,  # 0: no such department
            image_id=None,
        )
        if refused is not None:
            return refused
        return self._reload_then(  # type: ignore[attr-defined]
            rx.toast.success(f"Logo removed from {label}.")
        )
