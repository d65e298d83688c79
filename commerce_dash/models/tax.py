"""Tax rates, tax exemptions and exchange rates (admin-maintained tables)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from commerce_dash.models.base import UTCDateTime, created_at_field, timestamp_field


class TaxRate(SQLModel, table=True):
    """A sales-tax rate for a country (``region`` empty) or one of its regions.

    ``department_id`` set makes it an override for that department's items. Rates are in
    parts per million (8.875 % is 88,750) so no float is ever stored.
    """

    __tablename__ = "tax_rate"
    __table_args__ = (
        Index("uq_tax_rate_scope", "country", "region", "department_id", unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    country: str = Field(max_length=2)
    region: str = Field(default="", max_length=8)
    department_id: int | None = Field(default=None, foreign_key="department.id")
    rate_ppm: int = Field(ge=0, le=1_000_000)
    label: str = Field(default="", max_length=80)
    is_active: bool = True
    updated_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    updated_at: datetime = created_at_field()


class TaxExemption(SQLModel, table=True):
    """A learner (``user_id``) or an organization (by e-mail domain) that pays no tax."""

    __tablename__ = "tax_exemption"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int | None = Field(default=None, foreign_key="app_user.id", unique=True)
    email_domain: str | None = Field(default=None, max_length=200, unique=True)
    organization: str = Field(default="", max_length=200)
    reference: str = Field(default="", max_length=120)  # exemption certificate number
    created_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = created_at_field()
    revoked_at: datetime | None = timestamp_field()


class FxRate(SQLModel, table=True):
    """One exchange rate quote: 1 unit of ``base`` buys ``rate`` units of ``quote``.

    Rows are only added; the newest row per pair is in force. ``rate`` is a decimal string
    (exact; parsed with ``Decimal``).
    """

    __tablename__ = "fx_rate"
    __table_args__ = (Index("ix_fx_rate_pair_time", "base", "quote", "effective_at"),)

    id: int | None = Field(default=None, primary_key=True)
    base: str = Field(max_length=3)
    quote: str = Field(max_length=3)
    rate: str = Field(max_length=32)
    source: str = Field(default="admin", max_length=32)
    effective_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    created_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = created_at_field()
