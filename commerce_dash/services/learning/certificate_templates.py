"""Certificate templates (CERT-003), uploaded images and department logos.

Dept-admins manage the templates of their departments; one template per department may be
the default, which new certificates of that department (or of a subdepartment without its
own default) are issued with. Every edit bumps the template's ``version``, which is part of
each rendered PDF's cache fingerprint, so no stale PDF is served after a change.

This module holds the templates and is their public face: uploaded images and department
logos (``certificate_uploads.py``) are re-exported, so callers import them from here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from commerce_dash.domain.actor import Actor
from commerce_dash.domain.certificate_design import (
    DEFAULT_BODY,
    FONTS,
    MAX_SIGNATURES,
    Signature,
    TemplateDesign,
    validate_design,
)
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.errors import DomainError, ErrorKind, not_found
from commerce_dash.models.catalog import Department
from commerce_dash.models.certificates import Certificate, CertificateTemplate
from commerce_dash.services.learning.certificate_pdf import render_certificate_pdf
from commerce_dash.services.learning.certificate_preview import render_preview_png, sample_facts
from commerce_dash.services.learning.certificate_uploads import (
    SECTION,
    check_image,
    claim_images,
    department_logo_id,
    image_by_key,
    image_bytes,
    set_department_logo,
    store_image,
)
from commerce_dash.services.platform import (
    add_created,
    department_parents,
    managed_departments,
    record_audit,
    require_managed,
)
from commerce_dash.settings import get_settings

__all__ = [
    "SECTION",
    "SignatureIn",
    "TemplateIn",
    "TemplateRow",
    "create_template",
    "delete_template",
    "department_logo_id",
    "design_of",
    "get_template",
    "image_by_key",
    "list_templates",
    "preview_png",
    "set_default_template",
    "set_department_logo",
    "store_image",
    "template_for_department",
    "template_in_of",
    "update_template",
]


@dataclass(frozen=True)
class SignatureIn:
    name: str
    title: str = ""
    image_id: int | None = None


@dataclass(frozen=True)
class TemplateIn:
    department_id: int
    name: str
    orientation: str = "landscape"
    title_text: str = "Certificate of Completion"
    body_text: str = DEFAULT_BODY
    footer_text: str = ""
    font: str = "Helvetica"
    primary_color: str = "#1f4e79"
    background_image_id: int | None = None
    signatures: Sequence[SignatureIn] = ()


@dataclass(frozen=True)
class TemplateRow:
    id: int
    department_id: int
    department: str
    name: str
    orientation: str
    font: str
    primary_color: str
    is_default: bool
    version: int
    certificates: int
    updated_at: str


def _images_of(data: TemplateIn) -> list[int | None]:
    return [data.background_image_id, *(s.image_id for s in data.signatures)]


# -- templates -------------------------------------------------------------------------------


def _design(session: Session, data: TemplateIn, *, with_images: bool) -> TemplateDesign:
    signatures = tuple(
        Signature(s.name.strip(), s.title.strip(),
                  image_bytes(session, s.image_id) if with_images else None)
        for s in data.signatures
    )
    return TemplateDesign(
        orientation=data.orientation, title_text=data.title_text.strip(),
        body_text=data.body_text.strip(), footer_text=data.footer_text.strip(),
        font=data.font, primary_color=data.primary_color.strip().lower(),
        signatures=signatures,
        background=image_bytes(session, data.background_image_id) if with_images else None,
    )


def design_of(session: Session, template: CertificateTemplate | None,
              department_id: int) -> TemplateDesign:
    """The design to render: the template's (the built-in one when None), with the
    department's logo and every image loaded."""
    design = (_design(session, template_in_of(template), with_images=True) if template is not None
              else TemplateDesign())
    logo = image_bytes(session, department_logo_id(session, department_id))
    return TemplateDesign(**{**design.__dict__, "logo": logo})


def _validated(session: Session, actor: Actor, data: TemplateIn) -> TemplateIn:
    name = " ".join(data.name.split())
    if not name:
        raise DomainError("name_required", "Give the template a name.", field="name")
    if len(name) > 120:
        raise DomainError("name_too_long", "At most 120 characters.", field="name")
    if len(data.signatures) > MAX_SIGNATURES:
        raise DomainError("too_many_signatures", f"At most {MAX_SIGNATURES} signatures.",
                          field="signatures")
    validate_design(_design(session, data, with_images=False))
    check_image(session, actor, data.background_image_id, "background", data.department_id)
    for signature in data.signatures:
        check_image(session, actor, signature.image_id, "signatures", data.department_id)
    return data


def _signatures_json(data: TemplateIn) -> list[dict[str, Any]]:
    return [{"name": s.name.strip(), "title": s.title.strip(), "image_id": s.image_id}
            for s in data.signatures]


def _snapshot(t: CertificateTemplate) -> dict[str, Any]:
    return {"name": t.name, "orientation": t.orientation, "title_text": t.title_text,
            "body_text": t.body_text, "footer_text": t.footer_text, "font": t.font,
            "primary_color": t.primary_color, "background_image_id": t.background_image_id,
            "signatures": t.signatures, "is_default": t.is_default, "version": t.version}


def create_template(*, session: Session, actor: Actor | None, data: TemplateIn,
                    make_default: bool = False) -> CertificateTemplate:
    actor = require_managed(session, actor, SECTION, data.department_id)
    if session.get(Department, data.department_id) is None:
        raise not_found("department", data.department_id)
    data = _validated(session, actor, data)
    claim_images(session, _images_of(data), data.department_id)
    design = _design(session, data, with_images=False)
    template = CertificateTemplate(
        department_id=data.department_id, name=" ".join(data.name.split()),
        orientation=design.orientation, title_text=design.title_text,
        body_text=design.body_text, footer_text=design.footer_text, font=design.font,
        primary_color=design.primary_color, background_image_id=data.background_image_id,
        signatures=_signatures_json(data), created_by_id=actor.user_id,
    )
    add_created(session=session, actor=actor, row=template,
                action="certificate_template.created", entity_type="certificate_template",
                after=_snapshot(template))
    if make_default or not _has_default(session, data.department_id):
        _make_default(session, actor, template)
    session.commit()
    session.refresh(template)
    return template


def _has_default(session: Session, department_id: int) -> bool:
    return session.exec(select(CertificateTemplate.id).where(
        CertificateTemplate.department_id == department_id,
        col(CertificateTemplate.is_default).is_(True))).first() is not None


def _managed_template(session: Session, actor: Actor | None,
                      template_id: int) -> tuple[Actor, CertificateTemplate]:
    template = session.get(CertificateTemplate, template_id)
    scope = managed_departments(session=session, actor=actor, section=SECTION)
    assert actor is not None
    if template is None or (scope is not None and template.department_id not in scope):
        raise not_found("certificate_template", template_id)
    return actor, template


def update_template(*, session: Session, actor: Actor | None, template_id: int,
                    data: TemplateIn, expected_version: int | None = None
                    ) -> CertificateTemplate:
    """Save an edit (commits); a stale ``expected_version`` is refused, not overwritten."""
    actor, template = _managed_template(session, actor, template_id)
    if expected_version is not None and template.version != expected_version:
        raise DomainError("stale_template", "Someone else changed this template; reload it "
                          "and make your change again.", kind=ErrorKind.CONFLICT)
    if data.department_id != template.department_id:
        raise DomainError("department_fixed", "A template stays in its department; create "
                          "a new one instead.", field="department_id")
    data = _validated(session, actor, data)
    claim_images(session, _images_of(data), data.department_id)
    before = _snapshot(template)
    design = _design(session, data, with_images=False)
    template.name = " ".join(data.name.split())
    template.orientation = design.orientation
    template.title_text = design.title_text
    template.body_text = design.body_text
    template.footer_text = design.footer_text
    template.font = design.font
    template.primary_color = design.primary_color
    template.background_image_id = data.background_image_id
    template.signatures = _signatures_json(data)
    template.version += 1
    template.updated_at = utcnow()
    session.add(template)
    record_audit(session=session, actor=actor, action="certificate_template.updated",
                 entity_type="certificate_template", entity_id=template.id,
                 before=before, after=_snapshot(template))
    session.commit()
    session.refresh(template)
    return template


def _make_default(session: Session, actor: Actor, template: CertificateTemplate) -> None:
    session.execute(
        update(CertificateTemplate)
        .where(col(CertificateTemplate.department_id) == template.department_id,
               col(CertificateTemplate.id) != template.id)
        .values(is_default=False)
    )
    session.flush()
    template.is_default = True
    session.add(template)
    record_audit(session=session, actor=actor, action="certificate_template.made_default",
                 entity_type="certificate_template", entity_id=template.id,
                 after={"department_id": template.department_id})


def set_default_template(*, session: Session, actor: Actor | None, template_id: int) -> None:
    actor, template = _managed_template(session, actor, template_id)
    if not template.is_default:
        _make_default(session, actor, template)
    session.commit()


def delete_template(*, session: Session, actor: Actor | None, template_id: int) -> None:
    """Delete an unused template (commits); one certificates use is kept."""
    actor, template = _managed_template(session, actor, template_id)
    used = session.exec(select(func.count()).select_from(Certificate)
                        .where(Certificate.template_id == template_id)).one()
    if used:
        raise DomainError(
            "template_in_use",
            f"{used} certificate{'s' if used != 1 else ''} use this template, so it cannot be "
            "deleted. Make another template the default instead.",
            kind=ErrorKind.CONFLICT)
    record_audit(session=session, actor=actor, action="certificate_template.deleted",
                 entity_type="certificate_template", entity_id=template_id,
                 before=_snapshot(template))
    session.delete(template)
    session.commit()


def get_template(*, session: Session, actor: Actor | None,
                 template_id: int) -> CertificateTemplate:
    return _managed_template(session, actor, template_id)[1]


def list_templates(*, session: Session, actor: Actor | None) -> list[TemplateRow]:
    scope = managed_departments(session=session, actor=actor, section=SECTION)
    used = (select(Certificate.template_id, func.count().label("n"))
            .group_by(col(Certificate.template_id)).subquery())
    query = (select(CertificateTemplate, Department.name, used.c.n)
             .join(Department, col(Department.id) == CertificateTemplate.department_id)
             .outerjoin(used, used.c.template_id == CertificateTemplate.id))
    if scope is not None:
        query = query.where(col(CertificateTemplate.department_id).in_(scope or {0}))
    rows = session.exec(query.order_by(col(Department.name), col(CertificateTemplate.name))).all()
    return [
        TemplateRow(t.id or 0, t.department_id, dept, t.name, t.orientation,
                    FONTS.get(t.font, t.font), t.primary_color, t.is_default, t.version,
                    int(n or 0), f"{t.updated_at:%Y-%m-%d %H:%M}")
        for t, dept, n in rows
    ]


def template_for_department(session: Session, department_id: int) -> CertificateTemplate | None:
    """The default template of the department, else of its nearest ancestor with one."""
    parents = department_parents(session=session)
    current: int | None = department_id
    seen: set[int] = set()
    while current is not None and current not in seen:
        seen.add(current)
        found = session.exec(select(CertificateTemplate).where(
            CertificateTemplate.department_id == current,
            col(CertificateTemplate.is_default).is_(True))).first()
        if found is not None:
            return found
        current = parents.get(current)
    return None


def preview_png(*, session: Session, actor: Actor | None, data: TemplateIn,
                width_px: int = 1000) -> bytes:
    """A rendered first page of the (unsaved) design with sample facts, as a PNG."""
    actor = require_managed(session, actor, SECTION, data.department_id)
    data = _validated(session, actor, data)
    design = _design(session, data, with_images=True)
    logo = image_bytes(session, department_logo_id(session, data.department_id))
    design = TemplateDesign(**{**design.__dict__, "logo": logo})
    department = session.get(Department, data.department_id)
    facts = sample_facts(f"{get_settings().public_url.rstrip('/')}/verify")
    if department is not None:
        facts = type(facts)(**{**facts.__dict__, "department_name": department.name})
    return render_preview_png(render_certificate_pdf(facts, design), width_px=width_px)


def template_in_of(template: CertificateTemplate) -> TemplateIn:
    """The editable form of a saved template."""
    return TemplateIn(
        department_id=template.department_id, name=template.name,
        orientation=template.orientation, title_text=template.title_text,
        body_text=template.body_text, footer_text=template.footer_text, font=template.font,
        primary_color=template.primary_color, background_image_id=template.background_image_id,
        signatures=tuple(SignatureIn(s.get("name", ""), s.get("title", ""), s.get("image_id"))
                         for s in (template.signatures or [])),
    )
