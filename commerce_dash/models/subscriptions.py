"""Department subscriptions, their invoices, and the sandbox processor's own subscriptions.

A plan is a ``price`` row of item type ``subscription`` (the item is the department; its
``interval``, ``trial_days`` and ``includes_subdepartments`` say what it sells). A
subscription keeps the price it was bought at (``unit_amount``) until the learner changes
plan. Each paid invoice is also an order (one ``order_line`` of item type ``subscription``),
so receipts, the ledger, refunds, payouts and reconciliation treat it like any sale.
Amounts are integer minor units of ``currency``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from commerce_dash.models.base import created_at_field, json_field, timestamp_field


class Subscription(SQLModel, table=True):
    """A learner's subscription to a department's plan, mirrored from its processor.

    ``live_key`` ("<user>:<department>") is set while the subscription is not cancelled and
    cleared when it is: the unique index makes one live subscription per learner and
    department, on SQLite and PostgreSQL alike (NULLs never collide).
    """

    __tablename__ = "subscription"
    __table_args__ = (
        UniqueConstraint("processor", "processor_subscription_id",
                         name="uq_subscription_processor_id"),
        Index("ix_subscription_status_period", "status", "current_period_end"),
        Index("ix_subscription_user", "user_id", "created_at"),
        Index("ix_subscription_department_status", "department_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id")
    department_id: int = Field(foreign_key="department.id")
    live_key: str | None = Field(default=None, max_length=40, unique=True)
    price_id: int = Field(foreign_key="price.id")  # the plan price this subscriber keeps
    interval: str = Field(max_length=16)  # monthly | quarterly | annual
    includes_subdepartments: bool = False
    currency: str = Field(max_length=3)
    unit_amount: int = Field(gt=0)  # the plan's price per period, before discount and tax
    # The discount of a subscriptions-scope code: per period, for the first period only
    # ("once") or for every period ("forever").
    discount_code_id: int | None = Field(default=None, foreign_key="discount_code.id")
    discount_code: str = Field(default="", max_length=32)
    discount_amount: int = Field(default=0, ge=0)
    discount_duration: str = Field(default="", max_length=8)  # once | forever | ""
    tax_amount: int = Field(default=0, ge=0)  # per full-price period
    first_tax_amount: int = Field(default=0, ge=0)  # the first period's (after a "once" code)
    tax_label: str = Field(default="", max_length=120)
    tax_provider: str = Field(default="", max_length=16)
    billing_country: str = Field(default="", max_length=2)
    billing_region: str = Field(default="", max_length=8)
    billing_postal_code: str = Field(default="", max_length=16)
    # incomplete | trialing | active | past_due | paused | cancelled (domain.subscriptions)
    status: str = Field(default="incomplete", max_length=16)
    processor: str = Field(max_length=16)
    processor_customer_id: str = Field(default="", max_length=100)
    processor_subscription_id: str | None = Field(default=None, max_length=100)
    # the first payment's client secret (3-D Secure on the first invoice is completed by it)
    client_secret: str = Field(default="", max_length=200)
    card_brand: str = Field(default="", max_length=16)
    card_last4: str = Field(default="", max_length=4)
    idempotency_key: str = Field(max_length=100, unique=True)
    anchor_at: datetime = created_at_field()  # the billing anchor: periods follow its day
    trial_ends_at: datetime | None = timestamp_field()
    current_period_start: datetime | None = timestamp_field()
    current_period_end: datetime | None = timestamp_field()
    cancel_at_period_end: bool = False
    cancel_reason: str = Field(default="", max_length=500)
    cancelled_at: datetime | None = timestamp_field()
    paused_at: datetime | None = timestamp_field()
    # a downgrade waiting for the period end (upgrades apply at once)
    pending_price_id: int | None = Field(default=None, foreign_key="price.id")
    past_due_since: datetime | None = timestamp_field()
    grace_ends_at: datetime | None = timestamp_field()
    next_retry_at: datetime | None = timestamp_field()
    failed_attempts: int = Field(default=0, ge=0)
    trial_reminder_sent_at: datetime | None = timestamp_field()
    access_ended_at: datetime | None = timestamp_field()
    last_event_at: int = 0  # the processor's time of the newest event applied (ordering)
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()


class SubscriptionInvoice(SQLModel, table=True):
    """One invoice of a subscription at its processor (first, renewal or proration).

    ``order_id`` is the order the paid invoice became; an unpaid invoice has none yet.
    """

    __tablename__ = "subscription_invoice"
    __table_args__ = (
        UniqueConstraint("processor", "processor_invoice_id",
                         name="uq_subscription_invoice_processor_id"),
        Index("ix_subscription_invoice_sub", "subscription_id", "period_start"),
    )

    id: int | None = Field(default=None, primary_key=True)
    subscription_id: int = Field(foreign_key="subscription.id")
    processor: str = Field(max_length=16)
    processor_invoice_id: str = Field(max_length=100)
    intent_id: str = Field(default="", max_length=100)
    billing_reason: str = Field(default="", max_length=32)  # create | cycle | update
    status: str = Field(default="open", max_length=16)  # open | paid | failed | void
    currency: str = Field(max_length=3)
    amount_due: int = Field(ge=0)
    amount_paid: int = Field(default=0, ge=0)
    period_start: datetime | None = timestamp_field()
    period_end: datetime | None = timestamp_field()
    attempt_count: int = Field(default=0, ge=0)
    failure_message: str = Field(default="", max_length=500)
    order_id: int | None = Field(default=None, foreign_key="orders.id", unique=True)
    created_at: datetime = created_at_field()
    paid_at: datetime | None = timestamp_field()


class SandboxSubscription(SQLModel, table=True):
    """The sandbox processor's own subscription, the way Stripe keeps one: it renews at
    period end by charging the saved test card and emits Stripe-shaped signed events.
    The app never reads this table; it learns only from the events."""

    __tablename__ = "sandbox_subscription"
    __table_args__ = (Index("ix_sandbox_subscription_due", "status", "current_period_end"),)

    id: str = Field(primary_key=True, max_length=40)
    idempotency_key: str = Field(max_length=120, unique=True)
    customer_id: str = Field(max_length=40)
    card_number: str = Field(default="", max_length=24)  # the saved test card
    currency: str = Field(max_length=3)
    amount: int = Field(ge=0)  # charged each period
    first_amount: int = Field(ge=0)  # charged for the first paid period
    interval: str = Field(max_length=16)
    # incomplete | trialing | active | past_due | paused | canceled (Stripe's spelling)
    status: str = Field(default="incomplete", max_length=16)
    anchor_at: datetime = created_at_field()
    period_index: int = 0
    trial_end: datetime | None = timestamp_field()
    current_period_start: datetime = created_at_field()
    current_period_end: datetime = created_at_field()
    cancel_at_period_end: bool = False
    paused_at: datetime | None = timestamp_field()
    open_invoice_id: str = Field(default="", max_length=40)
    attempt_count: int = 0
    next_attempt_at: datetime | None = timestamp_field()
    trial_reminded: bool = False
    meta: dict[str, Any] | None = json_field()
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()


class SandboxClock(SQLModel, table=True):
    """The sandbox's test clock (like Stripe's test clocks): how far its billing time runs
    ahead of the real time. Moved forward only, and only outside production."""

    __tablename__ = "sandbox_clock"

    id: int = Field(default=1, primary_key=True)
    offset_seconds: int = Field(default=0, ge=0)
    updated_at: datetime = created_at_field()
