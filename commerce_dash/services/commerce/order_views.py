"""What the read side of orders hands out: rows of the learner's and the admin's order
lists, an order as its receipt shows it, a payment history row, a payment timeline step.

Amounts stay integer minor units; each view carries ready-made labels for display.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from commerce_dash.domain.orders import OrderStatus, PaymentStatus


@dataclass(frozen=True)
class OrderSummary:
    """One row of a learner's order list."""

    number: str
    order_id: int
    created_at: datetime
    status: str
    payment_status: str
    item_count: int
    total: int
    currency: str
    total_label: str
    display_total: int
    display_currency: str
    display_total_label: str


@dataclass(frozen=True)
class OrderLineView:
    title: str
    item_type: str
    item_id: int
    list_amount: int
    discount_amount: int
    tax_amount: int
    total: int
    currency: str
    list_label: str
    discount_label: str
    tax_label: str
    total_label: str
    note: str = ""  # a program's courses not sold again because the learner owned them
    # what the line includes: "Includes 2 private sessions (60 min) and 1 group class, valid
    # 90 days" (the session credits of the price it was bought at; "" when none)
    credits_note: str = ""


@dataclass(frozen=True)
class PaymentView:
    processor: str
    status: str
    amount: int
    currency: str
    amount_label: str
    intent_id: str
    card_last4: str
    failure_code: str
    failure_reason: str
    attempts_failed: int
    refunded_amount: int
    refunded_label: str
    created_at: datetime
    processed_at: datetime | None


@dataclass(frozen=True)
class OrderDetail:
    """An order as its receipt shows it (learner) or as the admin order page shows it."""

    number: str
    order_id: int
    user_id: int
    learner_name: str
    learner_email: str
    created_at: datetime
    completed_at: datetime | None
    status: str
    payment_status: str
    processor: str
    currency: str
    lines: list[OrderLineView]
    subtotal: int
    subtotal_label: str
    discount_code: str
    discount_amount: int
    discount_label: str
    tax_name: str  # e.g. "VAT 20% (GB)"
    tax_amount: int
    tax_amount_label: str
    total: int
    total_label: str
    refunded_amount: int
    refunded_label: str
    display_currency: str
    display_total: int
    display_total_label: str
    # Shown only when the learner saw another currency than the one charged.
    shows_display_currency: bool
    exchange_rate: str
    exchange_rate_label: str
    exchange_rate_at: datetime | None
    billing_country: str
    billing_region: str
    billing_postal_code: str
    failure_reason: str
    payment: PaymentView | None
    settlement_currency: str = ""
    settlement_total: int = 0
    # "Charged in JPY: worth $32.90 at 1 USD = 151.37 JPY" (ADR-003); "" when one currency
    settlement_label: str = ""
    # the tax by rate, as the learner saw it at checkout: [("VAT 19% (DE)", "€19.00")]
    tax_rates: list[tuple[str, str]] = field(default_factory=list)
    # what priced the tax, for the admin order page: "Rate table (TaxJar did not answer)"
    tax_source_label: str = ""

    @property
    def can_retry(self) -> bool:
        """A pending order whose card was declined may be paid again (same intent)."""
        return (
            self.status == OrderStatus.PENDING
            and self.payment is not None
            and self.payment.status == PaymentStatus.FAILED
        )

    @property
    def retry_reason(self) -> str:
        if self.payment is not None and self.payment.failure_reason:
            return self.payment.failure_reason
        return self.failure_reason


@dataclass(frozen=True)
class PaymentRow:
    """One payment in a learner's payment history."""

    at: datetime
    order_number: str
    processor: str
    amount: int
    currency: str
    amount_label: str
    status: str
    failure_reason: str
    refunded_amount: int
    refunded_label: str


@dataclass(frozen=True)
class AdminOrderRow:
    number: str
    order_id: int
    created_at: datetime
    user_id: int
    learner_name: str
    learner_email: str
    status: str
    payment_status: str
    processor: str
    item_count: int
    total: int
    currency: str
    total_label: str
    display_total: int
    display_currency: str
    display_total_label: str
    refunded_amount: int
    failure_reason: str


@dataclass(frozen=True)
class TimelineEntry:
    """One step of a payment's life: a processor event, or the processor's latest answer."""

    at: datetime
    source: str  # webhook | api | janitor | processor
    event_type: str
    event_id: str
    status: str
    outcome: str
    error: str
    attempts: int
    processed_at: datetime | None
    payload_json: str

