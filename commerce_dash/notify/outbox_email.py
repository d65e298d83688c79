"""Emails go through the outbox: rendered and queued with the business change, sent later."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlmodel import Session

from commerce_dash.models.delivery import OutboxMessage
from commerce_dash.notify.message import (
    Attachment,
    message_from_payload,
    message_to_payload,
)
from commerce_dash.notify.providers import DEDUPE_HEADER, EmailProvider, email_provider
from commerce_dash.notify.render import render_email
from commerce_dash.outbox import enqueue

EMAIL_TOPIC = "email"
# session.info key: the emails of the session's transaction with an attachment to be filled
# at its commit (an Attachment without data: an invoice numbered at the commit)
AWAITING_ATTACHMENTS = "cd_emails_awaiting_attachments"


def queue_email(
    *,
    session: Session,
    template: str,
    context: Mapping[str, Any],
    to: str,
    dedupe_key: str,
    attachments: Sequence[Attachment] = (),
    headers: Mapping[str, str] | None = None,
) -> OutboxMessage | None:
    """Render ``template`` for ``to`` and add it to the caller's transaction (not committed).
    ``headers``: extra headers of the message (e.g. List-Unsubscribe).

    Rendering happens now, so a template error fails the business change instead of the
    delivery. Returns None when ``dedupe_key`` was queued before.
    """
    message = render_email(template, context, to=to, attachments=attachments)
    payload = message_to_payload(message)
    payload["headers"] = {**payload["headers"], **(headers or {}), DEDUPE_HEADER: dedupe_key}
    payload["template"] = template
    queued = enqueue(session=session, topic=EMAIL_TOPIC, dedupe_key=dedupe_key, payload=payload)
    if queued is not None and any(not a.data for a in attachments):
        session.info.setdefault(AWAITING_ATTACHMENTS, []).append(queued)
    return queued


def deliver_email_payload(payload: Mapping[str, Any], provider: EmailProvider | None = None) -> str:
    """Send a queued email; returns the provider's message id.

    Raises ``DeliveryError`` (the caller records a retry or a dead message) or ValueError on
    a payload that can never be sent.
    """
    message = message_from_payload(payload)
    return (provider or email_provider()).send(message)
