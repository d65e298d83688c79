"""Pick the processor for an order from settings (per department, else the default)."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from commerce_dash import routes
from commerce_dash.payments.base import (
    PaymentProcessor,
    ProcessorError,
    SubscriptionProcessor,
    WebhookEvent,
)
from commerce_dash.payments.elavon_processor import ElavonProcessor
from commerce_dash.payments.events import stripe_shaped_event
from commerce_dash.payments.razorpay_processor import RazorpayProcessor, razorpay_event
from commerce_dash.payments.sandbox import SandboxProcessor, SignedEvent
from commerce_dash.payments.sandbox_subscriptions import SandboxSubscriptions
from commerce_dash.payments.square_processor import SquareProcessor, square_event
from commerce_dash.payments.stripe_processor import StripeProcessor
from commerce_dash.payments.stripe_subscriptions import StripeSubscriptions
from commerce_dash.settings import Settings, get_settings

PROCESSORS = ("stripe", "sandbox", "razorpay", "square", "elavon")


def sandbox_secret(settings: Settings) -> str:
    configured = settings.sandbox_webhook_secret.get_secret_value()
    if configured:
        return configured
    return hmac.new(settings.secret_key.get_secret_value().encode(), b"sandbox-webhooks",
                    hashlib.sha256).hexdigest()


@lru_cache(maxsize=4)
def get_processor(name: str) -> PaymentProcessor:
    """The processor called ``name`` built from the current settings (cached)."""
    settings = get_settings()
    if name == "sandbox":
        return SandboxProcessor(
            webhook_secret=sandbox_secret(settings),
            challenge_url=f"{settings.public_url.rstrip('/')}{routes.SANDBOX_3DS}",
        )
    if name == "stripe":
        if not settings.stripe_secret_key.get_secret_value():
            raise ProcessorError("processor_not_configured",
                                 "Card payments are not set up: COMMERCE_STRIPE_SECRET_KEY "
                                 "is empty.")
        return StripeProcessor.from_settings(settings)
    if name == "razorpay":
        return RazorpayProcessor.from_settings(settings)
    if name == "square":
        return SquareProcessor.from_settings(settings)
    if name == "elavon":
        return ElavonProcessor.from_settings(settings)
    raise ProcessorError("unknown_processor", f"No payment processor called {name!r}.")


def parse_stored_event(processor: str, event_id: str, payload: Mapping[str, Any]
                       ) -> WebhookEvent:
    """A stored (verified) webhook body normalised again, for retries and replays."""
    if processor == "razorpay":
        return razorpay_event(payload, event_id)
    if processor == "square":
        return square_event(payload, event_id)
    return stripe_shaped_event(payload)


def get_subscription_processor(
    name: str, deliver: Callable[[SignedEvent], None]
) -> SubscriptionProcessor:
    """The subscription side of processor ``name``. The sandbox runs its own renewal engine
    and hands each signed event it emits to ``deliver`` (the webhook intake, as a processor
    posting to the webhook route would); Stripe posts its events itself."""
    settings = get_settings()
    if name == "sandbox":
        return SandboxSubscriptions(webhook_secret=sandbox_secret(settings), deliver=deliver)
    if name == "stripe":
        if not settings.stripe_secret_key.get_secret_value():
            raise ProcessorError("processor_not_configured",
                                 "Card payments are not set up: COMMERCE_STRIPE_SECRET_KEY "
                                 "is empty.")
        return StripeSubscriptions.from_settings(settings)
    raise ProcessorError("unknown_processor", f"No payment processor called {name!r}.")


def processor_for_departments(department_codes: list[str]) -> str:
    """One processor for an order: the departments' own if they agree, else the default."""
    settings = get_settings()
    chosen = {settings.processor_for(code) for code in department_codes}
    return chosen.pop() if len(chosen) == 1 else settings.processor_for(None)


def reset_processors() -> None:
    get_processor.cache_clear()
