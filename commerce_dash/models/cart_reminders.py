"""Abandoned-cart reminders (issue 19): each reminder sent, so orders completed from a
reminded cart count as recovered; and the learners who opted out of such emails.

A reminder row keeps the cart's id without a foreign key: carts are deleted when they expire,
the record of the reminder (and of what it recovered) stays.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from commerce_dash.models.base import created_at_field


class CartReminder(SQLModel, table=True):
    """One abandoned-cart reminder queued for a learner's cart."""

    __tablename__ = "cart_reminder"

    id: int | None = Field(default=None, primary_key=True)
    cart_id: int = Field(index=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    sent_at: datetime = created_at_field()


class EmailOptOut(SQLModel, table=True):
    """A learner's opt-out of one kind of marketing email (``cart_reminders``). Order
    receipts and other transactional emails never look here."""

    __tablename__ = "email_opt_out"
    __table_args__ = (UniqueConstraint("user_id", "kind", name="uq_email_opt_out_user_kind"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    kind: str = Field(max_length=32)
    created_at: datetime = created_at_field()
