"""Idempotency keys of admin API calls that act once (issue 19): the key an admin sent with a
call and the row the call made, so the same key again answers that row instead of acting
twice."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from commerce_dash.models.base import created_at_field


class AdminIdempotency(SQLModel, table=True):
    __tablename__ = "admin_idempotency"
    __table_args__ = (
        UniqueConstraint("user_id", "scope", "key", name="uq_admin_idempotency_key"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id")
    scope: str = Field(max_length=40)  # what the call did, e.g. "payment_refund"
    key: str = Field(max_length=100)
    result_id: int
    created_at: datetime = created_at_field()
