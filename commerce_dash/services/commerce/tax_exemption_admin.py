"""The admin side of tax exemptions: a learner (by e-mail) or an organization (by e-mail
domain, its subdomains included) exempted, listed and revoked; each change writes an audit
row and commits. Whether a buyer is exempt is read in ``tax_exemptions.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from commerce_dash.domain.accounts import normalise_email
from commerce_dash.domain.actor import Actor, require_section
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.errors import DomainError, ErrorKind, not_found
from commerce_dash.domain.paging import Page, PageRequest
from commerce_dash.models.accounts import User
from commerce_dash.models.tax import TaxExemption
from commerce_dash.services.platform import flush_unique, record_audit

SECTION = "settings"
_DOMAIN_LABEL_MAX = 63


@dataclass(frozen=True)
class ExemptionRow:
    id: int
    kind: str  # "user" | "domain"
    subject: str  # the learner's e-mail, or "@domain"
    organization: str
    reference: str
    created_at: datetime
    revoked_at: datetime | None


def _clean_domain(text: str) -> str:
    domain = text.strip().lower().removeprefix("@").rstrip(".")
    labels = domain.split(".")
    valid = (
        len(labels) >= 2
        and len(domain) <= 200
        and all(
            0 < len(lb) <= _DOMAIN_LABEL_MAX
            and lb.replace("-", "").isalnum()
            and lb.isascii()
            and not lb.startswith("-")
            and not lb.endswith("-")
            for lb in labels
        )
        and not labels[-1].isdigit()
    )
    if not valid:
        raise DomainError(
            "invalid_domain",
            "Enter a learner's e-mail or an organization's e-mail domain like example.org.",
            field="subject",
        )
    return domain


def _exemption_snapshot(row: TaxExemption, subject: str) -> dict[str, object]:
    return {
        "user_id": row.user_id,
        "email_domain": row.email_domain,
        "subject": subject,
        "organization": row.organization,
        "reference": row.reference,
        "revoked_at": row.revoked_at.isoformat() if row.revoked_at else None,
    }


def list_exemptions(
    *,
    session: Session,
    actor: Actor | None,
    page: PageRequest | None = None,
    include_revoked: bool = True,
) -> Page[ExemptionRow]:
    """Exemptions, in force first, newest first."""
    require_section(actor, SECTION)
    page = page or PageRequest(1, 50)
    query = select(TaxExemption, User.email).join(
        User, col(User.id) == col(TaxExemption.user_id), isouter=True
    )
    if not include_revoked:
        query = query.where(col(TaxExemption.revoked_at).is_(None))
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(
        query.order_by(
            col(TaxExemption.revoked_at).is_not(None),
            col(TaxExemption.created_at).desc(),
            col(TaxExemption.id).desc(),
        )
        .offset(page.offset)
        .limit(page.page_size)
    ).all()
    items = [
        ExemptionRow(
            id=row.id or 0,
            kind="user" if row.user_id is not None else "domain",
            subject=email if row.user_id is not None else f"@{row.email_domain}",
            organization=row.organization,
            reference=row.reference,
            created_at=row.created_at,
            revoked_at=row.revoked_at,
        )
        for row, email in rows
    ]
    return Page(items, int(total), page.page, page.page_size)


def add_exemption(
    *,
    session: Session,
    actor: Actor | None,
    subject: str,
    organization: str,
    reference: str = "",
) -> TaxExemption:
    """Exempt a learner (``subject`` is their e-mail) or an organization (``subject`` is an
    e-mail domain such as ``acme.org``; its subdomains are covered too).

    A revoked exemption of the same learner or domain is restored with the new details.
    """
    actor = require_section(actor, SECTION)
    text = (subject or "").strip()
    if not text:
        raise DomainError(
            "subject_required",
            "Enter the learner's e-mail or the organization's e-mail domain.",
            field="subject",
        )
    organization = " ".join((organization or "").split())
    reference = " ".join((reference or "").split())
    if not organization:
        raise DomainError(
            "organization_required", "Name the exempt organization.", field="organization"
        )
    if len(organization) > 200:
        raise DomainError(
            "organization_too_long",
            "Keep the organization under 200 characters.",
            field="organization",
        )
    if len(reference) > 120:
        raise DomainError(
            "reference_too_long",
            "Keep the certificate reference under 120 characters.",
            field="reference",
        )
    user_id: int | None = None
    domain: str | None = None
    if "@" in text and not text.startswith("@"):
        try:
            email = normalise_email(text)
        except DomainError as exc:
            raise DomainError(exc.code, exc.message, field="subject") from None
        user = session.exec(select(User).where(func.lower(User.email) == email)).first()
        if user is None or user.id is None:
            raise DomainError(
                "user_not_found",
                f"No account uses {email}; exempt its domain instead, or invite the learner.",
                kind=ErrorKind.NOT_FOUND,
                field="subject",
            )
        user_id, shown = user.id, email
        existing = session.exec(select(TaxExemption).where(TaxExemption.user_id == user_id)).first()
    else:
        domain = _clean_domain(text)
        shown = f"@{domain}"
        existing = session.exec(
            select(TaxExemption).where(TaxExemption.email_domain == domain)
        ).first()
    if existing is not None and existing.revoked_at is None:
        raise DomainError(
            "already_exempt",
            f"{shown} is already tax exempt.",
            kind=ErrorKind.CONFLICT,
            field="subject",
        )
    before = _exemption_snapshot(existing, shown) if existing is not None else None
    row = existing or TaxExemption(user_id=user_id, email_domain=domain)
    row.organization, row.reference, row.revoked_at = organization, reference, None
    row.created_by_id = actor.user_id
    if existing is not None:
        row.created_at = utcnow()
    flush_unique(session, row, DomainError(
        "already_exempt", f"{shown} is already tax exempt.", kind=ErrorKind.CONFLICT,
        field="subject"))
    record_audit(
        session=session,
        actor=actor,
        action="tax_exemption.restored" if existing is not None else "tax_exemption.added",
        entity_type="tax_exemption",
        entity_id=row.id,
        before=before,
        after=_exemption_snapshot(row, shown),
    )
    session.commit()
    return row


def revoke_exemption(
    *, session: Session, actor: Actor | None, exemption_id: int, reason: str = ""
) -> TaxExemption:
    """End an exemption at once; later quotes include tax again. Revoking twice is a no-op."""
    actor = require_section(actor, SECTION)
    row = session.get(TaxExemption, exemption_id)
    if row is None:
        raise not_found("tax_exemption", exemption_id)
    if row.revoked_at is not None:
        return row
    row.revoked_at = utcnow()
    session.add(row)
    record_audit(
        session=session,
        actor=actor,
        action="tax_exemption.revoked",
        entity_type="tax_exemption",
        entity_id=exemption_id,
        before={"revoked_at": None},
        after={"revoked_at": row.revoked_at.isoformat()},
        reason=" ".join(reason.split())[:500],
    )
    session.commit()
    return row

