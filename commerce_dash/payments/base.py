"""The payment processor interface (spec 001 "Payment Processor Abstraction", ADR-005).

A processor turns an order into a payment intent, reports the intent's state, confirms it
where the server confirms, refunds it, and verifies and parses its webhooks. Processors
never touch the database of orders: the checkout and webhook services do. Every call may
raise :class:`ProcessorError`; none is made inside a database transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable


class IntentStatus(StrEnum):
    """Our normalised view of a processor's intent status."""

    REQUIRES_PAYMENT = "requires_payment"  # waiting for a card (or a new one after a decline)
    REQUIRES_ACTION = "requires_action"  # 3-D Secure challenge
    PROCESSING = "processing"
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # declined; the learner may try another card on the same intent
    CANCELED = "canceled"


class ProcessorError(Exception):
    """The processor refused a call or could not be reached.

    ``retryable`` is True for network trouble and 5xx answers, False when the request
    itself was refused (a retry would be refused again).
    """

    def __init__(self, code: str, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.retryable = retryable


class WebhookSignatureError(Exception):
    """A webhook whose signature, timestamp or body could not be verified."""


@dataclass(frozen=True)
class CreateIntent:
    amount: int  # minor units
    currency: str
    order_id: int
    order_number: str
    idempotency_key: str  # derived from the order: the same order never gets two intents
    customer_email: str = ""
    description: str = ""
    metadata: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class IntentResult:
    intent_id: str
    status: IntentStatus
    amount: int
    currency: str
    client_secret: str = ""
    amount_received: int = 0
    failure_code: str = ""
    failure_message: str = ""  # the processor's reason, shown to the learner
    next_action_url: str = ""  # 3-D Secure challenge page when the processor gives one
    raw: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RefundRequest:
    intent_id: str
    amount: int
    currency: str
    reason: str
    idempotency_key: str


@dataclass(frozen=True)
class RefundResult:
    refund_id: str
    amount: int
    status: str  # succeeded | pending | failed
    raw: Mapping[str, Any] = field(default_factory=dict)


class EventKind(StrEnum):
    """What a processor event is about, whatever the processor calls it."""

    INTENT = "intent"  # the intent's status changed
    REFUNDS = "refunds"  # the charge's refunds, all of them so far (some made outside the app)
    DISPUTE_OPENED = "dispute_opened"  # a chargeback: the money is held
    DISPUTE_CLOSED = "dispute_closed"  # won (money back to us) or lost (gone, plus a fee)
    OTHER = "other"  # nothing we act on


@dataclass(frozen=True)
class ChargeRefund:
    """One refund of a charge as the processor reports it."""

    refund_id: str
    amount: int
    status: str  # succeeded | pending | failed
    idempotency_key: str = ""  # ours, when the app made it


@dataclass(frozen=True)
class Dispute:
    dispute_id: str
    amount: int
    reason: str
    status: str  # open statuses, or won | lost
    fee: int = 0  # what the processor charges for it, minor units

    @property
    def won(self) -> bool:
        return self.status == "won"


@dataclass(frozen=True)
class WebhookEvent:
    """A verified processor event, normalised."""

    event_id: str
    event_type: str  # the processor's own type, e.g. payment_intent.succeeded
    intent_id: str  # empty when the event is not about an intent
    status: IntentStatus | None  # what the event says the intent became (None: unrelated)
    amount: int = 0
    currency: str = ""
    failure_code: str = ""
    failure_message: str = ""
    created: int = 0  # processor's unix time
    raw: Mapping[str, Any] = field(default_factory=dict)
    kind: EventKind = EventKind.INTENT
    refunds: tuple[ChargeRefund, ...] = ()  # kind REFUNDS
    dispute: Dispute | None = None  # kinds DISPUTE_*


@runtime_checkable
class PaymentProcessor(Protocol):
    name: str

    def create_intent(self, request: CreateIntent) -> IntentResult: ...

    def retrieve_intent(self, intent_id: str) -> IntentResult: ...

    def confirm_intent(self, intent_id: str, payment_method: str) -> IntentResult:
        """Confirm server-side with a payment method id (tests and server-confirmed flows)."""
        ...

    def cancel_intent(self, intent_id: str) -> IntentResult: ...

    def refund(self, request: RefundRequest) -> RefundResult: ...

    def verify_webhook(self, body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        """Check the signature and parse the event; raise WebhookSignatureError if forged."""
        ...
