"""Carts, orders with their lines, payments, processor events and the built-in sandbox.

Amounts are integer minor units of the row's currency. Orders and payments are never
deleted; their status only moves forward (see ``commerce_dash.domain.orders``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, Text, UniqueConstraint, event
from sqlmodel import Field, SQLModel

from commerce_dash.models.base import UTCDateTime, created_at_field, json_field, timestamp_field


class Cart(SQLModel, table=True):
    """A guest cart (``token`` from the browser session) or a signed-in learner's cart."""

    __tablename__ = "cart"

    id: int | None = Field(default=None, primary_key=True)
    token: str = Field(max_length=64, unique=True)
    user_id: int | None = Field(default=None, foreign_key="app_user.id", unique=True)
    currency: str = Field(max_length=3)
    display_currency: str = Field(default="", max_length=3)
    discount_code: str = Field(default="", max_length=32)
    billing_country: str = Field(default="", max_length=2)
    billing_region: str = Field(default="", max_length=8)
    billing_postal_code: str = Field(default="", max_length=16)
    # An order created from this cart whose payment is not settled: the cart is kept.
    checkout_order_id: int | None = Field(default=None, index=True)
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False, index=True)
    # the abandoned-cart reminder (issue 19): set by the conditional UPDATE that claims the
    # cart, so one cart is reminded once whatever runs the job
    reminded_at: datetime | None = timestamp_field()


class CartLine(SQLModel, table=True):
    """One course, program or plan in a cart, with its price when it was added."""

    __tablename__ = "cart_line"
    __table_args__ = (UniqueConstraint("cart_id", "item_type", "item_id"),)

    id: int | None = Field(default=None, primary_key=True)
    cart_id: int = Field(foreign_key="cart.id", index=True, ondelete="CASCADE")
    item_type: str = Field(max_length=16)
    item_id: int
    department_id: int = Field(foreign_key="department.id")
    title: str = Field(max_length=300)
    price_id: int | None = Field(default=None, foreign_key="price.id")
    unit_amount: int = Field(ge=0)
    currency: str = Field(max_length=3)
    added_at: datetime = created_at_field()


class Order(SQLModel, table=True):
    """A checkout: pending until its payment settles, then completed or failed.

    The order number (ORD-YYYY-NNNNN) is derived from the year and id; see
    ``commerce_dash.domain.orders.order_number``.
    """

    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("user_id", "idempotency_key", name="uq_orders_user_idempotency"),
        Index("ix_orders_status_created", "status", "created_at"),
        Index("ix_orders_user_created", "user_id", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id")
    cart_id: int | None = Field(default=None)
    status: str = Field(default="pending", max_length=24)  # partially_refunded is 18
    payment_status: str = Field(default="pending", max_length=16)
    processor: str = Field(default="", max_length=16, index=True)
    currency: str = Field(max_length=3)  # the currency charged (and every amount below)
    subtotal: int = Field(ge=0)
    discount_amount: int = Field(default=0, ge=0)
    tax_amount: int = Field(default=0, ge=0)
    total: int = Field(ge=0)
    refunded_amount: int = Field(default=0, ge=0)
    discount_code: str = Field(default="", max_length=32)
    discount_code_id: int | None = Field(default=None, foreign_key="discount_code.id")
    tax_provider: str = Field(default="", max_length=16)
    tax_label: str = Field(default="", max_length=120)
    # what priced the tax (ADR-002): taxjar | table (the manual rate table, also when TaxJar
    # did not answer: then ``tax_provider`` still says taxjar) | exempt | none (no address)
    tax_source: str = Field(default="", max_length=16)
    # the tax by rate as the learner saw it: [{"label": "VAT 19% (DE)", "amount": 1900}]
    tax_breakdown: list[dict[str, Any]] | None = json_field()
    billing_country: str = Field(default="", max_length=2)
    billing_region: str = Field(default="", max_length=8)
    billing_postal_code: str = Field(default="", max_length=16)
    display_currency: str = Field(max_length=3)
    display_total: int = Field(ge=0)
    exchange_rate: str = Field(default="1", max_length=32)  # Decimal as text, exact
    exchange_rate_at: datetime | None = timestamp_field()
    # ADR-003: what the charge is worth in the settlement currency at ``exchange_rate`` (1
    # settlement unit = rate units of ``currency``); the ledger and reports use it.
    settlement_currency: str = Field(default="", max_length=3)
    settlement_total: int = Field(default=0, ge=0)
    idempotency_key: str = Field(max_length=100)
    request_hash: str = Field(max_length=64)
    # What the cart held when the order was made (``domain.cart.cart_fingerprint``): a
    # checkout of the same cart unchanged answers with this order while it is open.
    cart_fingerprint: str = Field(default="", max_length=64)
    prices_locked_until: datetime = Field(sa_type=UTCDateTime, nullable=False)
    failure_reason: str = Field(default="", max_length=500)
    # what an API client sent with a one-call enrollment: success_url, cancel_url, metadata
    client_context: dict[str, Any] | None = json_field()
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()
    completed_at: datetime | None = timestamp_field()
    failed_at: datetime | None = timestamp_field()
    cancelled_at: datetime | None = timestamp_field()


@event.listens_for(Order, "before_insert")
def _settled_as_charged(_mapper: Any, _connection: Any, order: Order) -> None:
    """An order that names no settlement worth was charged in the settlement currency."""
    if not order.settlement_currency:
        order.settlement_currency = order.currency
        order.settlement_total = order.total


class OrderLine(SQLModel, table=True):
    """One purchased item: locked list price, its share of the discount and of the tax."""

    __tablename__ = "order_line"
    __table_args__ = (UniqueConstraint("order_id", "item_type", "item_id"),)

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", index=True)
    position: int = 0
    item_type: str = Field(max_length=16)
    item_id: int
    department_id: int = Field(foreign_key="department.id", index=True)
    title: str = Field(max_length=300)
    price_id: int | None = Field(default=None, foreign_key="price.id")
    list_amount: int = Field(ge=0)
    discount_amount: int = Field(default=0, ge=0)
    tax_amount: int = Field(default=0, ge=0)
    total: int = Field(ge=0)  # list - discount + tax
    display_total: int = Field(default=0, ge=0)
    currency: str = Field(max_length=3)
    # A program's courses the learner already owned: not sold again (the line's price is
    # the bundle's less their shares), no registration, no ledger entry.
    owned_course_ids: list[int] | None = json_field()


class Payment(SQLModel, table=True):
    """The payment of an order at its processor (one per order; retries reuse it)."""

    __tablename__ = "payment"
    __table_args__ = (
        UniqueConstraint("processor", "intent_id", name="uq_payment_processor_intent"),
        Index("ix_payment_status_updated", "status", "updated_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", unique=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    processor: str = Field(max_length=16)
    intent_id: str | None = Field(default=None, max_length=100)
    client_secret: str = Field(default="", max_length=200)
    intent_claimed_at: datetime | None = timestamp_field()
    amount: int = Field(ge=0)
    currency: str = Field(max_length=3)
    status: str = Field(default="pending", max_length=24)
    failure_code: str = Field(default="", max_length=64)
    failure_reason: str = Field(default="", max_length=500)
    attempts_failed: int = 0
    # the processor's own declines among them (mistyped card details are not counted): what
    # the payment review counts (``payment_review.hold_after_failures``)
    declines: int = 0
    refunded_amount: int = Field(default=0, ge=0)
    # the fee the processor reported for the charge (minor units of ``currency``, taxes on
    # the fee included); None: it reports none and the ledger estimates it
    processor_fee: int | None = None
    processor_response: dict[str, Any] | None = json_field()
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()
    processed_at: datetime | None = timestamp_field()


class ProcessorChoice(SQLModel, table=True):
    """The processor a billing admin chose on the processor screen: the default
    (``scope_key`` "default") or a department's ("department:<id>"). It beats the environment
    (COMMERCE_PAYMENT_PROCESSOR, COMMERCE_PROCESSOR_BY_DEPARTMENT); keys stay there."""

    __tablename__ = "processor_choice"

    id: int | None = Field(default=None, primary_key=True)
    scope_key: str = Field(max_length=40, unique=True)
    department_id: int | None = Field(default=None, foreign_key="department.id", index=True)
    processor: str = Field(max_length=16)
    updated_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    updated_at: datetime = created_at_field()


class PaymentEvent(SQLModel, table=True):
    """A processor webhook (stored once) or a call we made, kept for the payment's timeline."""

    __tablename__ = "payment_event"
    __table_args__ = (
        UniqueConstraint("processor", "event_id", name="uq_payment_event_processor_event"),
        Index("ix_payment_event_due", "status", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    processor: str = Field(max_length=16)
    event_id: str = Field(max_length=120)
    event_type: str = Field(max_length=64)
    source: str = Field(default="webhook", max_length=16)  # webhook | api | janitor
    intent_id: str = Field(default="", max_length=100, index=True)
    payment_id: int | None = Field(default=None, foreign_key="payment.id", index=True)
    payload: dict[str, Any] | None = json_field()
    # received | processed | ignored | failed | dead
    status: str = Field(default="received", max_length=16)
    outcome: str = Field(default="", max_length=200)
    attempts: int = 0
    next_attempt_at: datetime | None = timestamp_field()
    last_error: str = Field(default="", sa_type=Text)
    received_at: datetime = created_at_field()
    processed_at: datetime | None = timestamp_field()


class SandboxIntent(SQLModel, table=True):
    """A payment intent of the built-in sandbox processor (test mode, no network)."""

    __tablename__ = "sandbox_intent"

    id: str = Field(primary_key=True, max_length=40)
    idempotency_key: str = Field(max_length=120, unique=True)
    client_secret: str = Field(max_length=80)
    amount: int = Field(ge=0)
    currency: str = Field(max_length=3)
    status: str = Field(default="requires_payment_method", max_length=32)
    meta: dict[str, Any] | None = json_field()
    card_last4: str = Field(default="", max_length=4)
    failure_code: str = Field(default="", max_length=64)
    failure_message: str = Field(default="", max_length=300)
    amount_refunded: int = Field(default=0, ge=0)
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()


class SandboxRefund(SQLModel, table=True):
    __tablename__ = "sandbox_refund"

    id: str = Field(primary_key=True, max_length=40)
    intent_id: str = Field(foreign_key="sandbox_intent.id", index=True)
    idempotency_key: str = Field(max_length=120, unique=True)
    amount: int = Field(gt=0)
    reason: str = Field(default="", max_length=300)
    created_at: datetime = created_at_field()


class PaymentReview(SQLModel, table=True):
    """A learner held for review after repeated failed payments; checkout waits for an admin."""

    __tablename__ = "payment_review"

    user_id: int = Field(foreign_key="app_user.id", primary_key=True)
    reason: str = Field(max_length=300)
    failures: int = 0
    since: datetime = created_at_field()
    cleared_at: datetime | None = timestamp_field()
    cleared_by_id: int | None = Field(default=None, foreign_key="app_user.id")


class RateLimitHit(SQLModel, table=True):
    """A fixed-window counter shared by every worker (checkout and payment routes)."""

    __tablename__ = "rate_limit_hit"

    bucket: str = Field(primary_key=True, max_length=120)
    window_start: datetime = Field(sa_type=UTCDateTime, nullable=False, primary_key=True)
    hits: int = 0


class RefundRequest(SQLModel, table=True):
    """A request to give money back: from a rejected registration, a learner or an admin.

    Recorded here and shown to admins and the learner; the refund queue that approves and
    pays them comes with the refund issue. One request per rejected registration.
    """

    __tablename__ = "refund_request"
    __table_args__ = (Index("ix_refund_request_status_created", "status", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", index=True)
    order_line_id: int | None = Field(default=None, foreign_key="order_line.id")
    registration_id: int | None = Field(default=None, foreign_key="registration.id",
                                        unique=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    amount: int = Field(gt=0)
    currency: str = Field(max_length=3)
    reason: str = Field(max_length=1000)
    source: str = Field(max_length=24)  # registration_rejected | learner | admin
    # requested -> approved -> processing -> refunded | rejected; processing -> failed -> ...
    status: str = Field(default="requested", max_length=16)
    # [{"order_line_id": int, "amount": int}]: what each line gives back (None: spread the
    # amount over the order's lines when it is approved)
    lines: list[dict[str, Any]] | None = json_field()
    approved_amount: int | None = None
    decided_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    decided_at: datetime | None = timestamp_field()
    decision_reason: str = Field(default="", max_length=1000)
    processor_refund_id: str = Field(default="", max_length=100)
    # what the paid refund reversed in the ledger, in the settlement currency
    settlement_amount: int | None = None
    attempts: int = 0
    last_error: str = Field(default="", max_length=500)
    refunded_at: datetime | None = timestamp_field()
    created_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()


class PaymentDispute(SQLModel, table=True):
    """A chargeback the processor reported: the order is disputed until it closes."""

    __tablename__ = "payment_dispute"
    __table_args__ = (
        UniqueConstraint("processor", "dispute_id", name="uq_payment_dispute_processor_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    processor: str = Field(max_length=16)
    dispute_id: str = Field(max_length=100)
    order_id: int = Field(foreign_key="orders.id", index=True)
    payment_id: int = Field(foreign_key="payment.id")
    amount: int = Field(ge=0)
    currency: str = Field(max_length=3)
    reason: str = Field(default="", max_length=100)
    status: str = Field(default="open", max_length=16)  # open | won | lost
    fee: int = Field(default=0, ge=0)
    order_status_before: str = Field(max_length=24)  # where a won dispute returns the order
    refund_request_id: int | None = Field(default=None, foreign_key="refund_request.id")
    opened_at: datetime = created_at_field()
    closed_at: datetime | None = timestamp_field()
