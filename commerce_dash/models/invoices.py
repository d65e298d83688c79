"""Invoices and credit notes (issue 19): the seller's details a billing admin keeps, the
per-year number counters, and the documents themselves.

A document is frozen when it is issued: ``content`` holds everything its PDF shows (seller,
buyer, lines, tax by rate, totals), so a later change of the seller's details, of a course
title or of the learner's name never changes an issued invoice. Numbers are gap-free per
kind and year: the counter row is moved in the transaction that records the document.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from commerce_dash.models.base import created_at_field, json_field


class SellerDetails(SQLModel, table=True):
    """Who sells, as printed on invoices: one row (``id`` 1), edited by billing admins."""

    __tablename__ = "seller_details"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    address: str = Field(default="", sa_type=Text)
    tax_id: str = Field(default="", max_length=64)
    email: str = Field(default="", max_length=254)
    updated_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    updated_at: datetime = created_at_field()


class InvoiceCounter(SQLModel, table=True):
    """The last number given for a kind of document (``invoice`` | ``credit_note``) in a
    year; moved under a row lock in the transaction that records the document."""

    __tablename__ = "invoice_counter"

    kind: str = Field(primary_key=True, max_length=16)
    year: int = Field(primary_key=True)
    last_number: int = 0


class Invoice(SQLModel, table=True):
    """The invoice of a paid order: one per order (``order_id`` unique)."""

    __tablename__ = "invoice"
    __table_args__ = (UniqueConstraint("year", "sequence", name="uq_invoice_year_sequence"),)

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=32, unique=True)  # INV-2026-000001
    year: int
    sequence: int
    order_id: int = Field(foreign_key="orders.id", unique=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    currency: str = Field(max_length=3)
    total: int
    content: dict[str, Any] | None = json_field()
    issued_at: datetime = created_at_field()


class CreditNote(SQLModel, table=True):
    """The credit note of one paid refund (``refund_request_id`` unique); its amounts are
    negative and sum to the refund."""

    __tablename__ = "credit_note"
    __table_args__ = (UniqueConstraint("year", "sequence", name="uq_credit_note_year_sequence"),)

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=32, unique=True)  # CN-2026-000001
    year: int
    sequence: int
    order_id: int = Field(foreign_key="orders.id", index=True)
    invoice_id: int | None = Field(default=None, foreign_key="invoice.id")
    refund_request_id: int = Field(foreign_key="refund_request.id", unique=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    currency: str = Field(max_length=3)
    total: int  # negative: what was given back
    content: dict[str, Any] | None = json_field()
    issued_at: datetime = created_at_field()
