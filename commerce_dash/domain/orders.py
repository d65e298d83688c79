"""Order numbers and the order and payment state machines (spec 001, "Workflow State Machines").

Order: pending -> completed | failed | cancelled; completed -> refunded | partially_refunded |
cancelled | disputed; disputed -> completed | partially_refunded (won) | refunded (lost);
failed | cancelled -> refunded | partially_refunded (money captured after the order closed).
Payment: pending -> requires_action | processing -> succeeded | failed; a declined payment
(failed) may be retried on the same intent, so failed -> requires_action | processing |
succeeded are allowed, but nothing leaves succeeded except a refund, and a late or repeated
event never moves a payment backwards.
"""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum

from commerce_dash.domain.errors import DomainError, ErrorKind
from commerce_dash.domain.identifiers import INT_MAX

__all__ = [
    "OrderStatus",
    "PaymentStatus",
    "can_move_order",
    "can_move_payment",
    "order_number",
    "parse_order_number",
    "payment_status_of_order",
    "require_order_move",
    "require_payment_move",
]

_NUMBER_RE = re.compile(r"ORD-(\d{4})-(\d{5,10})", re.ASCII)


class OrderStatus(StrEnum):
    PENDING = "pending"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"
    PARTIALLY_REFUNDED = "partially_refunded"
    DISPUTED = "disputed"  # a chargeback is open at the processor


class PaymentStatus(StrEnum):
    PENDING = "pending"
    REQUIRES_ACTION = "requires_action"
    PROCESSING = "processing"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"
    REFUNDED = "refunded"
    PARTIALLY_REFUNDED = "partially_refunded"


_ORDER_MOVES: dict[OrderStatus, frozenset[OrderStatus]] = {
    # cancelled from pending: replaced by a newer checkout of its cart, or refused before the
    # charge because the learner already owns what it sells
    OrderStatus.PENDING: frozenset({OrderStatus.COMPLETED, OrderStatus.FAILED,
                                    OrderStatus.CANCELLED}),
    OrderStatus.COMPLETED: frozenset(
        {OrderStatus.REFUNDED, OrderStatus.PARTIALLY_REFUNDED, OrderStatus.CANCELLED,
         OrderStatus.DISPUTED}
    ),
    OrderStatus.PARTIALLY_REFUNDED: frozenset(
        {OrderStatus.REFUNDED, OrderStatus.PARTIALLY_REFUNDED, OrderStatus.DISPUTED}
    ),
    # a won dispute returns the order where it was; a lost one refunds it
    OrderStatus.DISPUTED: frozenset(
        {OrderStatus.COMPLETED, OrderStatus.PARTIALLY_REFUNDED, OrderStatus.REFUNDED}
    ),
    # money captured for an order closed first (failed or cancelled) is paid back in full
    # or in part: the refund moves the closed order on
    OrderStatus.FAILED: frozenset({OrderStatus.REFUNDED, OrderStatus.PARTIALLY_REFUNDED}),
    OrderStatus.CANCELLED: frozenset({OrderStatus.REFUNDED, OrderStatus.PARTIALLY_REFUNDED}),
    OrderStatus.REFUNDED: frozenset(),
}

_PAYMENT_MOVES: dict[PaymentStatus, frozenset[PaymentStatus]] = {
    PaymentStatus.PENDING: frozenset(
        {PaymentStatus.REQUIRES_ACTION, PaymentStatus.PROCESSING, PaymentStatus.SUCCEEDED,
         PaymentStatus.FAILED, PaymentStatus.CANCELED}
    ),
    PaymentStatus.REQUIRES_ACTION: frozenset(
        {PaymentStatus.PROCESSING, PaymentStatus.SUCCEEDED, PaymentStatus.FAILED,
         PaymentStatus.CANCELED}
    ),
    PaymentStatus.PROCESSING: frozenset(
        {PaymentStatus.SUCCEEDED, PaymentStatus.FAILED, PaymentStatus.CANCELED}
    ),
    # A declined card can be replaced by another on the same intent.
    PaymentStatus.FAILED: frozenset(
        {PaymentStatus.REQUIRES_ACTION, PaymentStatus.PROCESSING, PaymentStatus.SUCCEEDED,
         PaymentStatus.CANCELED}
    ),
    PaymentStatus.SUCCEEDED: frozenset(
        {PaymentStatus.REFUNDED, PaymentStatus.PARTIALLY_REFUNDED}
    ),
    PaymentStatus.PARTIALLY_REFUNDED: frozenset(
        {PaymentStatus.REFUNDED, PaymentStatus.PARTIALLY_REFUNDED}
    ),
    PaymentStatus.CANCELED: frozenset(),
    PaymentStatus.REFUNDED: frozenset(),
}


def can_move_order(current: str, target: str) -> bool:
    """Whether an order in ``current`` may move to ``target`` (staying put is not a move)."""
    return OrderStatus(target) in _ORDER_MOVES[OrderStatus(current)]


def can_move_payment(current: str, target: str) -> bool:
    """Whether a payment may move; a repeated or late event asks for a move that is refused."""
    return PaymentStatus(target) in _PAYMENT_MOVES[PaymentStatus(current)]


def require_order_move(current: str, target: str) -> None:
    """Refuse an order move the state machine does not allow, naming both states."""
    if not can_move_order(current, target):
        raise DomainError("invalid_order_move",
                          f"This order is {current}; it can't become {target}.",
                          kind=ErrorKind.CONFLICT)


def require_payment_move(current: str, target: str) -> None:
    """Refuse a payment move the state machine does not allow, naming both states."""
    if not can_move_payment(current, target):
        raise DomainError("invalid_payment_move",
                          f"This payment is {current}; it can't become {target}.",
                          kind=ErrorKind.CONFLICT)


def payment_status_of_order(payment_status: str) -> str:
    """The order's ``payment_status`` column for a payment status (spec 001 vocabulary)."""
    return {
        PaymentStatus.SUCCEEDED: "completed",
        PaymentStatus.FAILED: "failed",
        PaymentStatus.CANCELED: "failed",
        PaymentStatus.REFUNDED: "refunded",
        PaymentStatus.PARTIALLY_REFUNDED: "partial_refund",
    }.get(PaymentStatus(payment_status), "pending")


def order_number(order_id: int, created_at: datetime) -> str:
    """ORD-YYYY-NNNNN: the year the order was placed and its id, zero-padded to five digits.

    Derived, not stored: unique because ids are, and free of a hot counter row under load.
    """
    if order_id < 1:
        raise ValueError("An order number needs a saved order id")
    return f"ORD-{created_at.year:04d}-{order_id:05d}"


def parse_order_number(text: str) -> tuple[int, int]:
    """(year, id) of an order number; a DomainError for anything else."""
    match = _NUMBER_RE.fullmatch(text.strip().upper())
    if match is None or int(match.group(2)) > INT_MAX:
        raise DomainError(
            "order_not_found", f"No order {text.strip()!r} was found.", kind=ErrorKind.NOT_FOUND
        )
    return int(match.group(1)), int(match.group(2))
