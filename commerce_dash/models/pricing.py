"""Prices with their history, discount codes and their redemptions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from commerce_dash.models.base import UTCDateTime, created_at_field, timestamp_field


class Price(SQLModel, table=True):
    """One price of one item in one currency over a window; rows are never deleted.

    ``item_type`` is course, program or subscription; for a subscription the item is the
    department and ``interval`` says monthly, quarterly or annual.
    """

    __tablename__ = "price"
    __table_args__ = (
        Index("ix_price_item_window", "item_type", "item_id", "currency", "effective_from"),
    )

    id: int | None = Field(default=None, primary_key=True)
    item_type: str = Field(max_length=16)
    item_id: int
    department_id: int = Field(foreign_key="department.id", index=True)
    price_type: str = Field(max_length=16)  # one_time | subscription | free
    interval: str = Field(default="", max_length=16)  # monthly | quarterly | annual
    trial_days: int = Field(default=0, ge=0)
    # a plan whose subscribers may also enroll in the department's subdepartments' courses
    includes_subdepartments: bool = False
    currency: str = Field(max_length=3)
    amount: int = Field(ge=0)
    # session credits a purchase at this price grants (a course "package" or a credit pack)
    private_credits: int = Field(default=0, ge=0)
    private_minutes: int = Field(default=60, ge=0)  # 30 or 60
    group_credits: int = Field(default=0, ge=0)
    credit_expiry_days: int = Field(default=0, ge=0)  # 0: the credits never expire
    effective_from: datetime = Field(sa_type=UTCDateTime, nullable=False)
    effective_until: datetime | None = timestamp_field()
    deactivated_at: datetime | None = timestamp_field()
    deactivated_reason: str = Field(default="", max_length=500)
    created_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = created_at_field()


class DiscountCode(SQLModel, table=True):
    __tablename__ = "discount_code"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)
    description: str = Field(default="", max_length=500)
    department_id: int | None = Field(default=None, foreign_key="department.id", index=True)
    kind: str = Field(max_length=16)  # percentage | fixed
    percent_bps: int = Field(default=0, ge=0)
    amount_off: int = Field(default=0, ge=0)
    currency: str = Field(default="", max_length=3)
    scope: str = Field(default="all", max_length=16)
    # for subscriptions: the first paid period only ("once") or every period ("forever")
    duration: str = Field(default="once", max_length=8)
    max_uses: int | None = None
    max_uses_per_user: int | None = None
    uses_count: int = Field(default=0, ge=0)
    min_purchase: int = Field(default=0, ge=0)
    valid_from: datetime = Field(sa_type=UTCDateTime, nullable=False)
    valid_until: datetime | None = timestamp_field()
    is_active: bool = True
    created_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()


class DiscountCodeItem(SQLModel, table=True):
    """A course or program a 'listed' discount code applies to."""

    __tablename__ = "discount_code_item"

    code_id: int = Field(foreign_key="discount_code.id", primary_key=True, ondelete="CASCADE")
    item_type: str = Field(max_length=16, primary_key=True)
    item_id: int = Field(primary_key=True)


class DiscountRedemption(SQLModel, table=True):
    """One use of a code by an order (written by checkout; one per order)."""

    __tablename__ = "discount_redemption"
    __table_args__ = (UniqueConstraint("order_ref"),)

    id: int | None = Field(default=None, primary_key=True)
    code_id: int = Field(foreign_key="discount_code.id", index=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    order_ref: str = Field(max_length=64)
    currency: str = Field(max_length=3)
    revenue_affected: int = Field(ge=0)  # eligible subtotal the discount applied to
    discount_amount: int = Field(ge=0)
    status: str = Field(default="reserved", max_length=16)  # reserved | redeemed | released
    at: datetime = Field(sa_type=UTCDateTime, nullable=False, index=True)
