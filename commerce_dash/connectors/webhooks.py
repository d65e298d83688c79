"""Outbound webhooks: queued in the business transaction, delivered signed by the outbox job.

Every request carries::

    X-Commerce-Timestamp: <unix seconds at sending time>
    X-Commerce-Signature: sha256=<hex HMAC-SHA256(secret, f"{timestamp}." + body)>
    X-Commerce-Event:     <event name>
    X-Commerce-Delivery:  <dedupe key, the same on every retry: receivers drop repeats>

The secret is the connector's outbound secret (``connectors/secrets.py``), never the
inbound one it signs its calls to us with, so a webhook cannot be posted back to us as the
connector's request. Retries are signed afresh, so a receiver can refuse timestamps outside its
tolerance without refusing late retries.

Nothing is signed for a connector that is unknown or deactivated at sending time: the message
is dead at once, saying why. Queueing does not check, on purpose: it runs inside the business
transaction (a payment, an approval, a refund), which must not fail over an integration's
configuration; the dead message shows on System -> Outbox, and a deactivation after queueing has
to be caught at sending time anyway.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import threading
import time
from typing import Any

import httpx
from sqlmodel import Session

from commerce_dash.connectors.secrets import outbound_secret
from commerce_dash.db import session_scope
from commerce_dash.domain.errors import DomainError
from commerce_dash.domain.retry import is_permanent_http_failure
from commerce_dash.models.delivery import OutboxMessage
from commerce_dash.outbox import DeliveryError, enqueue
from commerce_dash.settings import get_settings

TOPIC_PREFIX = "webhook."
_EVENT_RE = re.compile(r"[a-z0-9][a-z0-9_.-]{0,54}")


def queue_webhook(
    *,
    session: Session,
    connector_key_id: str,
    url: str,
    event: str,
    body: dict[str, Any],
    dedupe_key: str,
) -> OutboxMessage | None:
    """Add a webhook to the caller's transaction; a repeated ``dedupe_key`` adds nothing.

    The connector is checked when the webhook is sent, not here (see the module docstring).
    """
    if not _EVENT_RE.fullmatch(event):
        raise DomainError("invalid_event", "Name the event with a-z, 0-9, '.', '_' or '-'.")
    if not url.startswith(("http://", "https://")):
        raise DomainError("invalid_url", "A webhook URL starts with http:// or https://.")
    if not connector_key_id.strip():
        raise DomainError("invalid_connector", "Name the connector whose secret signs it.")
    return enqueue(
        session=session,
        topic=f"{TOPIC_PREFIX}{event}",
        dedupe_key=dedupe_key,
        payload={
            "url": url,
            "key_id": connector_key_id.strip(),
            "event": event,
            "body": body,
            "dedupe_key": dedupe_key,
        },
    )


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """Hex HMAC-SHA256 of ``f"{timestamp}." + body`` under ``secret``."""
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def encode_body(body: dict[str, Any]) -> bytes:
    """The exact bytes sent and signed (compact, keys sorted, so retries send the same)."""
    return json.dumps(body, separators=(",", ":"), sort_keys=True).encode()


_client_lock = threading.Lock()
_client: tuple[int, httpx.Client] | None = None


def _http_client() -> httpx.Client:
    # One pooled client per process: building a client (and its SSL context) per message
    # costs more than the request on a fast receiver. A forked child builds its own.
    global _client
    with _client_lock:
        if _client is None or _client[0] != os.getpid():
            _client = (os.getpid(), httpx.Client(follow_redirects=False))
        return _client[1]


def _signing_secret(key_id: str) -> str:
    """The outbound secret of an active connector; permanent ``DeliveryError`` otherwise."""
    try:
        with session_scope() as session:
            return outbound_secret(session=session, key_id=str(key_id))
    except DomainError as exc:
        raise DeliveryError(f"not signed: {exc.message}", permanent=True) from None


def deliver_webhook_payload(payload: dict[str, Any]) -> str:
    """POST one queued webhook; returns the receiver's status line.

    Raises ``DeliveryError``: permanent for an unknown or deactivated connector (nothing is
    sent) and for a 4xx other than 408/429 (the same request will be refused again), retryable
    for anything else (5xx, 3xx, timeouts, refused connections).
    """
    try:
        url, key_id, event = payload["url"], payload["key_id"], payload["event"]
        dedupe_key = payload["dedupe_key"]
        body = encode_body(payload.get("body") or {})
    except (KeyError, TypeError) as exc:
        raise DeliveryError(f"malformed webhook payload: {exc!r}", permanent=True) from None
    secret = _signing_secret(key_id)
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "X-Commerce-Timestamp": timestamp,
        "X-Commerce-Signature": f"sha256={sign(secret, timestamp, body)}",
        "X-Commerce-Event": event,
        "X-Commerce-Delivery": dedupe_key,
    }
    try:
        response = _http_client().post(
            url, content=body, headers=headers, timeout=get_settings().webhook_timeout_seconds
        )
    except httpx.InvalidURL as exc:
        raise DeliveryError(f"invalid URL: {exc}", permanent=True) from None
    except httpx.HTTPError as exc:
        raise DeliveryError(f"{type(exc).__name__}: {exc}", permanent=False) from None
    status = f"{response.status_code} {response.reason_phrase}".strip()
    if response.is_success:
        return status
    answer = response.text[:300]
    raise DeliveryError(
        f"HTTP {status}: {answer}", permanent=is_permanent_http_failure(response.status_code)
    )
