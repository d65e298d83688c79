"""The revenue ledger (append-only) and the revenue-share rules that split it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, event
from sqlmodel import Field, SQLModel

from commerce_dash.models.base import created_at_field


class RevenueShareRule(SQLModel, table=True):
    """How net revenue splits: per course, else per department, else the default.

    ``scope_key`` is ``course:<id>``, ``department:<id>`` or ``default``; the three shares are
    basis points summing to 10,000.
    """

    __tablename__ = "revenue_share_rule"

    id: int | None = Field(default=None, primary_key=True)
    scope_key: str = Field(max_length=40, unique=True)
    course_id: int | None = Field(default=None, foreign_key="course.id")
    department_id: int | None = Field(default=None, foreign_key="department.id")
    platform_bps: int = Field(ge=0, le=10_000)
    creator_bps: int = Field(ge=0, le=10_000)
    instructor_bps: int = Field(ge=0, le=10_000)
    updated_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    updated_at: datetime = created_at_field()


class LedgerEntry(SQLModel, table=True):
    """One course's share of an order line (a sale) or of a refund (a reversal, negative).

    Never updated or deleted: a refund writes reversal rows. Amounts are minor units of
    ``currency`` (the settlement currency); ``gross`` excludes tax, which is kept beside it.
    platform + creator + instructor == net == gross - processor_fee, always.
    """

    __tablename__ = "ledger_entry"
    __table_args__ = (
        Index("ix_ledger_recorded", "recorded_at"),
        Index("ix_ledger_course_recorded", "course_id", "recorded_at"),
        Index("ix_ledger_department_recorded", "department_id", "recorded_at"),
        Index("ix_ledger_creator_recorded", "creator_id", "recorded_at"),
        Index("ix_ledger_instructor_recorded", "instructor_id", "recorded_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    dedupe_key: str = Field(max_length=80, unique=True)
    entry_type: str = Field(max_length=12)  # sale | reversal
    order_id: int = Field(foreign_key="orders.id", index=True)
    order_line_id: int = Field(foreign_key="order_line.id")
    refund_request_id: int | None = Field(default=None, foreign_key="refund_request.id",
                                          index=True)
    reverses_id: int | None = Field(default=None, foreign_key="ledger_entry.id", index=True)
    transaction_id: str = Field(default="", max_length=100)
    # None for a subscription invoice: its revenue is the department's, not a course's
    course_id: int | None = Field(default=None, foreign_key="course.id")
    department_id: int = Field(foreign_key="department.id")
    learner_id: int = Field(foreign_key="app_user.id")
    instructor_id: int | None = Field(default=None, foreign_key="app_user.id")
    creator_id: int | None = Field(default=None, foreign_key="app_user.id")
    currency: str = Field(max_length=3)
    gross: int
    tax: int = 0
    processor_fee: int = 0
    # "processor": the fee the processor reported for the charge; "estimate": the settings'
    # rate (COMMERCE_PROCESSOR_FEE_BPS + _FIXED) where the processor reports none
    fee_source: str = Field(default="estimate", max_length=16)
    net: int
    platform_bps: int
    creator_bps: int
    instructor_bps: int
    platform_amount: int
    creator_amount: int
    instructor_amount: int
    recorded_at: datetime = created_at_field()


class LedgerIsAppendOnly(RuntimeError):
    pass


@event.listens_for(LedgerEntry, "before_update")
def _refuse_update(*_args: object) -> None:
    raise LedgerIsAppendOnly("ledger entries are never updated")


@event.listens_for(LedgerEntry, "before_delete")
def _refuse_delete(*_args: object) -> None:
    raise LedgerIsAppendOnly("ledger entries are never deleted")
