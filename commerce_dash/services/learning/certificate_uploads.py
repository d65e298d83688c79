"""Images uploaded for certificates (logos, signatures, backgrounds) and department logos:
storing an upload, serving it by key, and setting or finding a department's logo.

Re-exported by ``certificate_templates.py``, the templates' public face.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import update
from sqlmodel import Session, col, select

from commerce_dash.domain.actor import Actor, require_section
from commerce_dash.domain.errors import DomainError, not_found
from commerce_dash.models.catalog import Department
from commerce_dash.models.certificates import StoredImage
from commerce_dash.services.learning.certificate_images import inspect_image
from commerce_dash.services.platform import (
    add_created,
    department_options,
    department_parents,
    managed_departments,
    require_managed,
    save_change,
)
from commerce_dash.settings import get_settings

SECTION = "certificates"


IMAGE_PURPOSES = ("logo", "signature", "background")


def upload_department(*, session: Session, actor: Actor | None,
                      department_id: int | None) -> int | None:
    """The department an upload is stored for, checked before the file is read: one the
    actor manages (the one given, else their only one), or None (no department yet) for a
    super-admin who names none."""
    actor = require_section(actor, SECTION)
    if department_id is not None:
        require_managed(session, actor, SECTION, department_id)
        if session.get(Department, department_id) is None:
            raise not_found("department", department_id)
        return department_id
    scope = managed_departments(session=session, actor=actor, section=SECTION)
    if scope is None:
        return None
    if len(scope) == 1:
        return next(iter(scope))
    raise DomainError("department_required", "Choose the department the image is for.",
                      field="department_id")


def store_image(*, session: Session, actor: Actor | None, data: bytes, filename: str,
                purpose: str, department_id: int | None = None) -> StoredImage:
    """Validate and keep an uploaded PNG or JPEG for a department (see ``upload_department``;
    commits); returns the stored row."""
    department = upload_department(session=session, actor=actor, department_id=department_id)
    actor = require_section(actor, SECTION)
    if purpose not in IMAGE_PURPOSES:
        raise DomainError("invalid_purpose", "Unknown image purpose.", field="purpose")
    content_type, width, height = inspect_image(data, max_bytes=get_settings().max_image_bytes)
    row = StoredImage(
        key=secrets.token_urlsafe(16)[:22], purpose=purpose, filename=filename[:200],
        content_type=content_type, sha256=hashlib.sha256(data).hexdigest(), width=width,
        height=height, size_bytes=len(data), data=data, uploaded_by_id=actor.user_id,
        department_id=department,
    )
    add_created(session=session, actor=actor, row=row, action="image.uploaded",
                entity_type="image", after={"purpose": purpose, "filename": row.filename,
                                            "bytes": len(data), "department_id": department})
    session.commit()
    session.refresh(row)
    return row


def image_by_key(*, session: Session, key: str) -> StoredImage:
    row = session.exec(select(StoredImage).where(StoredImage.key == key)).first()
    if row is None:
        raise not_found("image", key)
    return row


def image_url(key: str) -> str:
    return f"/api/v2/images/{key}"


def image_path(session: Session, image_id: int | None) -> str:
    """The address an image is served at ("" for none)."""
    key = session.exec(select(StoredImage.key).where(StoredImage.id == image_id)
                       ).first() if image_id else None
    return image_url(key) if key else ""


@dataclass(frozen=True)
class LogoRow:
    department_id: int
    department: str
    own: bool  # the department has its own logo (else it shows its parent's, if any)
    url: str


def department_logos(*, session: Session, actor: Actor | None) -> list[LogoRow]:
    """The logo each department the actor manages prints on its certificates."""
    rows = []
    for department_id, label in template_department_options(session=session, actor=actor):
        own = session.exec(select(Department.logo_image_id)
                           .where(Department.id == department_id)).first()
        shown = own or department_logo_id(session, department_id)
        rows.append(LogoRow(department_id, label, own is not None, image_path(session, shown)))
    return rows


def image_bytes(session: Session, image_id: int | None) -> bytes | None:
    if image_id is None:
        return None
    return session.exec(select(StoredImage.data).where(StoredImage.id == image_id)).first()


def check_image(session: Session, actor: Actor, image_id: int | None, field: str,
                 department_id: int) -> None:
    """An image may be used only by its own department; one of no department only by a
    super-admin (``claim_images`` then makes it the department's)."""
    if image_id is None:
        return
    image = session.get(StoredImage, image_id)
    if image is None:
        raise DomainError("image_not_found", "That image is no longer available; upload it "
                          "again.", field=field)
    if image.department_id == department_id or (
            image.department_id is None and actor.is_super_admin):
        return
    raise DomainError("image_other_department", "That image belongs to another department; "
                      "upload it again for this one.", field=field)


def claim_images(session: Session, image_ids: Sequence[int | None],
                  department_id: int) -> None:
    """Images of no department that a super-admin has just used become the department's."""
    ids = {i for i in image_ids if i is not None}
    if ids:
        session.execute(update(StoredImage)
                        .where(col(StoredImage.id).in_(ids),
                               col(StoredImage.department_id).is_(None))
                        .values(department_id=department_id))


def set_department_logo(*, session: Session, actor: Actor | None, department_id: int,
                        image_id: int | None) -> None:
    """Set (or clear) the logo printed on the department's certificates (commits)."""
    actor = require_managed(session, actor, SECTION, department_id)
    department = session.get(Department, department_id)
    if department is None:
        raise not_found("department", department_id)
    check_image(session, actor, image_id, "logo", department_id)
    claim_images(session, [image_id], department_id)
    before = department.logo_image_id
    department.logo_image_id = image_id
    if image_id is not None:
        image = session.get(StoredImage, image_id)
        assert image is not None
        department.logo_url = image_url(image.key)
    elif department.logo_url.startswith("/api/v2/images/"):
        department.logo_url = ""
    save_change(session=session, actor=actor, row=department, action="department.logo_changed",
                entity_type="department", entity_id=department_id,
                before={"logo_image_id": before}, after={"logo_image_id": image_id})


def department_logo_id(session: Session, department_id: int) -> int | None:
    """The logo of the department, else of its nearest ancestor that has one."""
    parents = department_parents(session=session)
    current: int | None = department_id
    seen: set[int] = set()
    while current is not None and current not in seen:
        seen.add(current)
        logo = session.exec(
            select(Department.logo_image_id).where(Department.id == current)).first()
        if logo is not None:
            return logo
        current = parents.get(current)
    return None


def template_department_options(*, session: Session,
                                actor: Actor | None) -> list[tuple[int, str]]:
    scope = managed_departments(session=session, actor=actor, section=SECTION)
    return department_options(session=session, within=scope)
