"""The admin's tax rate table: one rate per scope (country, region, department), set,
deactivated and reactivated; each change writes an audit row and commits. The manual tax
provider (``tax.py``) prices from the active rows.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from commerce_dash.domain.actor import Actor, require_section
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.errors import DomainError, ErrorKind, not_found
from commerce_dash.domain.tax import (
    percent_label,
    validate_country,
    validate_label,
    validate_rate_percent,
    validate_region,
)
from commerce_dash.models.catalog import Department
from commerce_dash.models.tax import TaxRate
from commerce_dash.services.platform import flush_unique, record_audit, save_switch

SECTION = "settings"


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
    flush_unique(session, row, DomainError(
        "tax_rate_scope_taken", "Another rate already covers that country, region and "
        "department.", kind=ErrorKind.CONFLICT, field="region"))
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
    row.updated_by_id = actor.user_id
    save_switch(session=session, actor=actor, row=row, flag="is_active", value=active,
                actions=("tax_rate.activated", "tax_rate.deactivated"), entity_type="tax_rate",
                entity_id=rate_id)
    return row


def deactivate_tax_rate(*, session: Session, actor: Actor | None, rate_id: int) -> TaxRate:
    """Stop applying a rate (the row stays, for history and reactivation)."""
    return _set_rate_active(session, actor, rate_id, False)


def reactivate_tax_rate(*, session: Session, actor: Actor | None, rate_id: int) -> TaxRate:
    """Apply a deactivated rate again."""
    return _set_rate_active(session, actor, rate_id, True)

