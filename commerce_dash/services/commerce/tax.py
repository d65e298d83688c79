"""Sales tax: the provider behind checkout (manual rate table or TaxJar) and its admin side.

``quote_tax`` is the one entry point carts and checkout call. Exemptions (a learner, or an
organization by e-mail domain) are honoured before any provider is asked. The admin functions
maintain the rate table and the exemptions; each writes an audit row and commits.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from commerce_dash.domain.accounts import normalise_email
from commerce_dash.domain.actor import Actor, require_section
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.errors import DomainError, ErrorKind, not_found
from commerce_dash.domain.paging import Page, PageRequest
from commerce_dash.domain.tax import (
    RateRule,
    TaxableLine,
    TaxAddress,
    TaxQuote,
    manual_quote,
    percent_label,
    validate_country,
    validate_label,
    validate_rate_percent,
    validate_region,
    zero_quote,
)
from commerce_dash.models.accounts import User
from commerce_dash.models.catalog import Department
from commerce_dash.models.tax import TaxExemption, TaxRate
from commerce_dash.services.commerce.tax_exemptions import is_exempt
from commerce_dash.services.commerce.taxjar_provider import TaxJarProvider
from commerce_dash.services.platform.audit import record_audit
from commerce_dash.settings import Settings, get_settings

log = logging.getLogger(__name__)

SECTION = "settings"
NO_ADDRESS_LABEL = "Tax calculated at checkout"
_DOMAIN_LABEL_MAX = 63


class TaxProvider(Protocol):
    """Something that prices the tax of a set of lines for a buyer."""

    name: str

    def quote(
        self,
        *,
        session: Session,
        lines: Sequence[TaxableLine],
        currency: str,
        address: TaxAddress,
        user_id: int | None,
        user_email: str | None,
    ) -> TaxQuote: ...


# -- providers -------------------------------------------------------------------------------


def active_rules(*, session: Session, country: str) -> list[RateRule]:
    """The active rate rules of a country."""
    rows = session.exec(
        select(TaxRate).where(TaxRate.country == country, col(TaxRate.is_active).is_(True))
    ).all()
    return [RateRule(r.country, r.region, r.department_id, r.rate_ppm, r.label) for r in rows]


class ManualTaxProvider:
    """Rates from the admin-maintained table, by country, region and department."""

    name = "manual"

    def quote(
        self,
        *,
        session: Session,
        lines: Sequence[TaxableLine],
        currency: str,
        address: TaxAddress,
        user_id: int | None,
        user_email: str | None,
    ) -> TaxQuote:
        exempt = is_exempt(session=session, user_id=user_id, user_email=user_email)
        rules = [] if exempt else active_rules(session=session, country=address.country)
        return manual_quote(lines, address, rules, currency, exempt, provider=self.name)


def tax_provider(settings: Settings | None = None) -> TaxProvider:
    """The configured provider; TaxJar without an API key falls back to the rate table."""
    settings = settings or get_settings()
    if settings.tax_provider == "taxjar":
        if settings.taxjar_api_key.get_secret_value():
            return TaxJarProvider(settings)
        log.warning("tax_provider is taxjar but no TaxJar API key is set; using the rate table")
    return ManualTaxProvider()


def quote_tax(
    *,
    session: Session,
    lines: Sequence[TaxableLine],
    currency: str,
    address: TaxAddress | None,
    user_id: int | None,
    user_email: str | None,
    provider: TaxProvider | None = None,
) -> TaxQuote:
    """The tax of ``lines`` (amounts after discount, minor units of ``currency``).

    With no address (or no country) yet the tax is zero, labelled "Tax calculated at
    checkout". Raises ``DomainError`` ``invalid_country`` for a bad country and
    ``tax_unavailable`` when an external provider cannot answer.
    """
    if address is None or not address.country:
        return zero_quote(lines, NO_ADDRESS_LABEL, "none")
    address = TaxAddress(validate_country(address.country), address.region, address.postal_code)
    chosen = provider or tax_provider()
    return chosen.quote(
        session=session,
        lines=lines,
        currency=currency,
        address=address,
        user_id=user_id,
        user_email=user_email,
    )


# -- admin: rates ----------------------------------------------------------------------------


def _rate_snapshot(row: TaxRate) -> dict[str, object]:
    return {
        "country": row.country,
        "region": row.region,
        "department_id": row.department_id,
        "rate_ppm": row.rate_ppm,
        "rate_percent": percent_label(row.rate_ppm),
        "label": row.label,
        "is_active": row.is_active,
    }


def _scope_row(
    session: Session, country: str, region: str, department_id: int | None
) -> TaxRate | None:
    department = (
        col(TaxRate.department_id).is_(None)
        if department_id is None
        else col(TaxRate.department_id) == department_id
    )
    return session.exec(
        select(TaxRate)
        .where(TaxRate.country == country, TaxRate.region == region, department)
        .order_by(col(TaxRate.id))
    ).first()


def list_tax_rates(*, session: Session, actor: Actor | None) -> list[TaxRate]:
    """Every rate row, by country, region, then department (all-departments rows first)."""
    require_section(actor, SECTION)
    rows = session.exec(
        select(TaxRate).order_by(
            col(TaxRate.country),
            col(TaxRate.region),
            col(TaxRate.department_id).is_not(None),
            col(TaxRate.department_id),
        )
    ).all()
    return list(rows)


def upsert_tax_rate(
    *,
    session: Session,
    actor: Actor | None,
    country: str,
    region: str,
    department_id: int | None,
    rate_text: str,
    label: str,
    rate_id: int | None = None,
) -> TaxRate:
    """Set the rate of a scope (country, region, department); one row per scope.

    Without ``rate_id`` the row of that scope is updated, or created. With ``rate_id`` that
    row is edited (its scope may change, unless another row already has the new scope).
    Saving a rate makes it active.
    """
    actor = require_section(actor, SECTION)
    country = validate_country(country)
    region = validate_region(region)
    rate_ppm = validate_rate_percent(rate_text)
    label = validate_label(label)
    if department_id is not None and session.get(Department, department_id) is None:
        raise DomainError(
            "department_not_found", f"No department {department_id} exists.", field="department"
        )
    existing = _scope_row(session, country, region, department_id)
    if rate_id is not None:
        row = session.get(TaxRate, rate_id)
        if row is None:
            raise not_found("tax_rate", rate_id)
        if existing is not None and existing.id != row.id:
            raise DomainError(
                "tax_rate_scope_taken",
                "Another rate already covers that country, region and department; edit it.",
                kind=ErrorKind.CONFLICT,
                field="region",
            )
    else:
        row = existing
    before = _rate_snapshot(row) if row is not None else None
    if row is None:
        row = TaxRate(country=country, region=region, department_id=department_id, rate_ppm=0)
    row.country, row.region, row.department_id = country, region, department_id
    row.rate_ppm, row.label, row.is_active = rate_ppm, label, True
    row.updated_by_id, row.updated_at = actor.user_id, utcnow()
    session.add(row)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise DomainError(
            "tax_rate_scope_taken",
            "Another rate already covers that country, region and department.",
            kind=ErrorKind.CONFLICT,
            field="region",
        ) from None
    record_audit(
        session=session,
        actor=actor,
        action="tax_rate.created" if before is None else "tax_rate.updated",
        entity_type="tax_rate",
        entity_id=row.id,
        before=before,
        after=_rate_snapshot(row),
    )
    session.commit()
    return row


def _set_rate_active(session: Session, actor: Actor | None, rate_id: int, active: bool) -> TaxRate:
    actor = require_section(actor, SECTION)
    row = session.get(TaxRate, rate_id)
    if row is None:
        raise not_found("tax_rate", rate_id)
    if row.is_active == active:
        return row
    if active:
        # The unique index cannot see two all-department rows of one scope (NULLs differ).
        clash = _scope_row(session, row.country, row.region, row.department_id)
        if clash is not None and clash.id != row.id and clash.is_active:
            raise DomainError(
                "tax_rate_scope_taken",
                "Another active rate already covers that scope.",
                kind=ErrorKind.CONFLICT,
            )
    row.is_active = active
    row.updated_by_id, row.updated_at = actor.user_id, utcnow()
    session.add(row)
    record_audit(
        session=session,
        actor=actor,
        action="tax_rate.activated" if active else "tax_rate.deactivated",
        entity_type="tax_rate",
        entity_id=rate_id,
        before={"is_active": not active},
        after={"is_active": active},
    )
    session.commit()
    return row


def deactivate_tax_rate(*, session: Session, actor: Actor | None, rate_id: int) -> TaxRate:
    """Stop applying a rate (the row stays, for history and reactivation)."""
    return _set_rate_active(session, actor, rate_id, False)


def reactivate_tax_rate(*, session: Session, actor: Actor | None, rate_id: int) -> TaxRate:
    """Apply a deactivated rate again."""
    return _set_rate_active(session, actor, rate_id, True)


# -- admin: exemptions -----------------------------------------------------------------------


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
    session.add(row)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise DomainError(
            "already_exempt",
            f"{shown} is already tax exempt.",
            kind=ErrorKind.CONFLICT,
            field="subject",
        ) from None
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
