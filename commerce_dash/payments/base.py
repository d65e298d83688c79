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
    # the processor's fee for a succeeded charge, minor units, taxes on it included (None:
    # the processor reports none; the ledger then estimates it)
    fee: int | None = None


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
    INVOICE = "invoice"  # a subscription invoice was paid, failed or needs the learner
    SUBSCRIPTION = "subscription"  # a subscription changed, ended or its trial ends soon
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
class ProcessorInvoice:
    """One invoice of a subscription, as the processor reports it (times are unix seconds).

    ``period_start``/``period_end`` are the service period the invoice pays for (Stripe's
    line period, not the invoice's own period fields).
    """

    invoice_id: str
    subscription_id: str
    status: str  # draft | open | paid | uncollectible | void
    currency: str
    amount_due: int
    amount_paid: int = 0
    billing_reason: str = ""  # subscription_create | subscription_cycle | subscription_update
    period_start: int = 0
    period_end: int = 0
    attempt_count: int = 0
    next_payment_attempt: int = 0  # 0: no retry scheduled
    intent_id: str = ""
    failure_code: str = ""
    failure_message: str = ""
    created: int = 0
    # the subscription's metadata as the invoice carries it (Stripe's
    # subscription_details.metadata): the app's own subscription id, before it knows the
    # processor's
    metadata: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ProcessorSubscription:
    """A subscription at the processor (Stripe's statuses: incomplete, incomplete_expired,
    trialing, active, past_due, unpaid, paused, canceled)."""

    subscription_id: str
    customer_id: str
    status: str
    current_period_start: int = 0
    current_period_end: int = 0
    trial_end: int = 0
    cancel_at_period_end: bool = False
    paused: bool = False
    canceled_at: int = 0
    latest_invoice: ProcessorInvoice | None = None
    # the first invoice's payment when it waits for the learner (a card, 3-D Secure)
    client_secret: str = ""
    intent_id: str = ""
    intent_status: IntentStatus | None = None
    card_brand: str = ""
    card_last4: str = ""
    metadata: Mapping[str, str] = field(default_factory=dict)
    raw: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CreateSubscription:
    """A new subscription: ``amount`` is charged every period (after an every-period
    discount, with tax); ``first_amount`` for the first paid period (after a first-period
    discount). ``payment_method`` is the card to save: a test card number in the sandbox, a
    PaymentMethod id with Stripe (empty: the first invoice's PaymentIntent collects it)."""

    customer_email: str
    customer_name: str
    currency: str
    amount: int
    first_amount: int
    interval: str  # monthly | quarterly | annual
    trial_days: int
    idempotency_key: str
    description: str
    payment_method: str = ""
    metadata: Mapping[str, str] = field(default_factory=dict)


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
    invoice: ProcessorInvoice | None = None  # kind INVOICE
    subscription: ProcessorSubscription | None = None  # kind SUBSCRIPTION
    fee: int | None = None  # the processor's fee of a succeeded charge, when it says


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


@runtime_checkable
class SubscriptionProcessor(Protocol):
    """What a processor that runs subscriptions does (Stripe Subscriptions, the sandbox's
    renewal engine). The processor owns the billing schedule and its invoices; the app learns
    what happened from its signed ``invoice.*`` and ``customer.subscription.*`` events.
    Every call may raise :class:`ProcessorError`; none runs inside a database transaction."""

    name: str

    def create_subscription(self, request: CreateSubscription) -> ProcessorSubscription: ...

    def retrieve_subscription(self, subscription_id: str) -> ProcessorSubscription: ...

    def cancel_subscription(self, subscription_id: str, *, at_period_end: bool
                            ) -> ProcessorSubscription:
        """End now, or at the end of the paid period (``at_period_end``)."""
        ...

    def undo_cancel(self, subscription_id: str) -> ProcessorSubscription:
        """Keep a subscription that was to end at its period end."""
        ...

    def pause_subscription(self, subscription_id: str) -> ProcessorSubscription:
        """Stop charging; nothing renews while paused."""
        ...

    def resume_subscription(self, subscription_id: str, *, period_end: int
                            ) -> ProcessorSubscription:
        """Charge again from ``period_end`` (unix seconds): the paid period, extended by the
        time spent paused. On a trialing subscription: the trial now ends then."""
        ...

    def change_amount(self, subscription_id: str, *, amount: int, charge_now: int,
                      idempotency_key: str, interval: str = "",
                      restart_period: bool = False) -> ProcessorSubscription:
        """Charge ``amount`` (every ``interval`` when given) from the next period on;
        ``charge_now`` > 0 invoices that much at once (an upgrade's proration, reason
        ``subscription_update``). ``restart_period``: the current period ends now and the
        new one (of the new interval) starts now, paid by that invoice."""
        ...

    def update_payment_method(self, subscription_id: str, payment_method: str
                              ) -> ProcessorSubscription:
        """Save a new card for the subscription and retry an unpaid invoice with it."""
        ...


@runtime_checkable
class HostedCheckout(Protocol):
    """A processor whose own script takes the payment in the learner's page (Razorpay
    Checkout) and hands back a signed answer that the server checks with the processor
    before anything is marked paid."""

    name: str

    def checkout_options(self, intent_id: str) -> dict[str, str]:
        """What the page hands the processor's script: ``script_url`` and public values
        only (never a secret)."""
        ...

    def start_checkout(self, intent_id: str, amount: int, currency: str,
                       description: str) -> dict[str, str]:
        """What the script needs for one attempt that only the server may ask the processor
        for (Elavon's Lightbox session token); {} when it needs nothing more."""
        ...

    def complete_checkout(self, intent_id: str, fields: Mapping[str, str]) -> IntentResult:
        """Verify the script's answer (raise :class:`ProcessorError` if forged or for
        another intent) and report the intent as the processor now sees it."""
        ...
