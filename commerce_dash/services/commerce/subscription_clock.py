"""The time subscriptions are billed at, and the processor that bills them."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session

from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.errors import DomainError, ErrorKind
from commerce_dash.models.subscriptions import SandboxClock
from commerce_dash.payments.base import ProcessorError, SubscriptionProcessor
from commerce_dash.payments.factory import get_subscription_processor
from commerce_dash.payments.sandbox import SignedEvent
from commerce_dash.services.commerce.payment_events import receive_webhook
from commerce_dash.settings import get_settings

__all__ = ["billing_now", "subscription_processor"]


def billing_now(session: Session) -> datetime:
    """The time subscriptions are billed at: now, plus the sandbox's test clock outside
    production (moved by ``cli subscriptions advance`` in development and by tests)."""
    if get_settings().env == "production":
        return utcnow()
    clock = session.get(SandboxClock, 1)
    return utcnow() + timedelta(seconds=clock.offset_seconds if clock else 0)


def subscription_processor(session: Session, name: str) -> SubscriptionProcessor:
    """The subscription side of processor ``name``; the sandbox's events come back through
    the webhook intake on ``session`` (as if posted to the webhook route)."""

    def deliver(event: SignedEvent) -> None:
        receive_webhook(session=session, processor=name, body=event.body, headers=event.headers)

    try:
        return get_subscription_processor(name, deliver)
    except ProcessorError as exc:
        raise DomainError(exc.code, exc.message, kind=ErrorKind.CONFLICT) from None
