"""The outbox delivery job: claim due messages, send each outside any transaction, settle.

A claim is committed before anything is sent and each outcome is recorded in its own short
transaction, so no database transaction stays open during a network call. Delivery is at
least once: a worker killed between sending and recording leaves the claim to lapse and
another worker sends again, with the same dedupe key for the receiver to drop the repeat.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from commerce_dash.connectors.webhooks import deliver_webhook_payload
from commerce_dash.db import session_scope
from commerce_dash.notify.outbox_email import deliver_email_payload
from commerce_dash.outbox import Claimed, DeliveryError, claim_due, mark_failed, mark_sent
from commerce_dash.settings import get_settings

log = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any]], str]
MAX_BATCHES = 20


def _deliver_email(payload: dict[str, Any]) -> str:
    try:
        return deliver_email_payload(payload)
    except ValueError as exc:  # a payload that can never be sent: do not retry it
        raise DeliveryError(f"unsendable email: {exc}", permanent=True) from None


def _deliver_webhook(payload: dict[str, Any]) -> str:
    return deliver_webhook_payload(payload)


# Keys are a topic, or a prefix ending in "." that matches every topic under it.
DEFAULT_HANDLERS: dict[str, Handler] = {"email": _deliver_email, "webhook.": _deliver_webhook}


def handler_for(topic: str, handlers: Mapping[str, Handler]) -> Handler | None:
    """The handler registered for ``topic`` exactly, else for the longest matching prefix."""
    if topic in handlers:
        return handlers[topic]
    prefixes = [key for key in handlers if key.endswith(".") and topic.startswith(key)]
    return handlers[max(prefixes, key=len)] if prefixes else None


def new_worker_name() -> str:
    """A claim owner unique to one call: host, process and a random suffix (<= 64 chars)."""
    suffix = f":{os.getpid()}:{uuid.uuid4().hex[:8]}"
    return socket.gethostname()[: 64 - len(suffix)] + suffix


def _settle(message: Claimed, worker: str, handler: Handler | None) -> str:
    """Send one message and record the outcome: sent, retry, dead or lost."""
    if handler is None:
        error, permanent = f"no handler for topic {message.topic!r}", True
    else:
        try:
            handler(message.payload)
        except DeliveryError as exc:
            error, permanent = exc.message, exc.permanent
        except Exception as exc:  # a bug or an unexpected failure: try again later
            log.exception("delivering outbox message %s failed unexpectedly", message.id)
            error, permanent = f"{type(exc).__name__}: {exc}", False
        else:
            with session_scope() as session:
                if mark_sent(session=session, message_id=message.id, worker=worker):
                    return "sent"
            log.warning("outbox message %s was sent after its claim was lost", message.id)
            return "lost"
    with session_scope() as session:
        status = mark_failed(
            session=session, message_id=message.id, worker=worker, error=error, permanent=permanent
        )
    if status == "dead":
        log.warning("outbox message %s (%s) is dead: %s", message.id, message.topic, error)
    return {"pending": "retry"}.get(status, status)


def deliver_due(
    worker: str | None = None,
    batch: int | None = None,
    handlers: Mapping[str, Handler] | None = None,
    max_batches: int = MAX_BATCHES,
) -> dict[str, int]:
    """Deliver due messages batch by batch until none are due (at most ``max_batches``).

    Returns how many were sent, put back for a retry, declared dead, or lost (the claim lapsed
    before the outcome could be recorded; another worker will deliver them).
    """
    settings = get_settings()
    worker = worker or new_worker_name()
    batch = batch or settings.outbox_batch_size
    lease = settings.outbox_lease_seconds
    # Start no send that could outlast the claim (a send takes up to the webhook timeout):
    # otherwise another worker could claim and send a message this one is still sending.
    send_until = lease - min(settings.webhook_timeout_seconds + 1, lease / 2)
    handlers = DEFAULT_HANDLERS if handlers is None else handlers
    counts = {"sent": 0, "retry": 0, "dead": 0, "lost": 0}
    # The lease is renewed while the job runs, but a run stays short all the same (the next
    # run, seconds later, takes the rest): claim no new batch past half the job lease.
    stop_claiming_at = time.monotonic() + settings.job_lease_seconds / 2
    for _ in range(max_batches):
        if time.monotonic() > stop_claiming_at:
            break
        with session_scope() as session:
            claimed = claim_due(session=session, worker=worker, limit=batch, lease_seconds=lease)
        claimed_at = time.monotonic()
        for message in claimed:
            if time.monotonic() - claimed_at > send_until:
                counts["lost"] += 1  # left to lapse; the next claim sends it
                continue
            counts[_settle(message, worker, handler_for(message.topic, handlers))] += 1
        if len(claimed) < batch:
            break
    return counts
