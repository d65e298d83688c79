"""The LMS's connectors and their signed requests: creating and deactivating a connector,
signing a request, and checking a request's signature, timestamp and replay.

Re-exported by ``lms_sync.py``.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from commerce_dash.connectors.secrets import (
    CONNECTOR_KINDS,
    INBOUND,
    ConnectorSecrets,
    connector_secret,
    connector_secrets,
)
from commerce_dash.domain.actor import Actor, require_section
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.errors import DomainError, ErrorKind, not_found
from commerce_dash.models.integrations import ApiConnector, SeenSignature
from commerce_dash.services.platform import add_created, record_audit, require_text

TIMESTAMP_TOLERANCE = timedelta(seconds=300)


# Longer than the tolerance, so a signature is remembered for as long as it could be replayed.
SEEN_SIGNATURE_TTL = timedelta(days=1)


_SIGNATURE_RE = re.compile(r"sha256=([0-9a-f]{64})")


def _unauthenticated(code: str, message: str) -> DomainError:
    return DomainError(code, message, kind=ErrorKind.UNAUTHENTICATED)


def _hmac_hex(secret: str, timestamp: str, body: bytes) -> str:
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def sign_request(key_id: str, timestamp: str, body: bytes, *, kind: str) -> str:
    """The ``X-Signature`` value a ``kind`` connector sends for ``body`` at ``timestamp``."""
    secret = connector_secret(key_id, kind=kind, direction=INBOUND)
    return f"sha256={_hmac_hex(secret, timestamp, body)}"


def create_connector(
    *, session: Session, actor: Actor | None, name: str, kind: str
) -> tuple[ApiConnector, ConnectorSecrets]:
    """A new connector and its two secrets; they are shown once and never stored."""
    actor = require_section(actor, "users")
    name = require_text(name, "name", "connector name", 80)
    if kind not in CONNECTOR_KINDS:
        raise DomainError(
            "invalid_kind", f"Choose one of: {', '.join(CONNECTOR_KINDS)}.", field="kind"
        )
    connector = ApiConnector(name=name, kind=kind, key_id=f"ck_{secrets.token_hex(16)}")
    add_created(session=session, actor=actor, row=connector, action="connector.created",
                entity_type="api_connector",
                after={"name": name, "kind": kind, "key_id": connector.key_id})
    session.commit()
    return connector, connector_secrets(connector)


def deactivate_connector(
    *, session: Session, actor: Actor | None, connector_id: int, reason: str = ""
) -> ApiConnector:
    """Stop accepting a connector's requests (idempotent); the row stays for the audit log."""
    actor = require_section(actor, "users")
    connector = session.get(ApiConnector, connector_id)
    if connector is None:
        raise not_found("connector", connector_id)
    if not connector.is_active:
        return connector
    connector.is_active = False
    session.add(connector)
    record_audit(
        session=session,
        actor=actor,
        action="connector.deactivated",
        entity_type="api_connector",
        entity_id=connector_id,
        before={"is_active": True},
        after={"is_active": False},
        reason=reason.strip(),
    )
    session.commit()
    return connector


def authenticate_request(
    *,
    session: Session,
    key_id: str,
    timestamp: str,
    signature: str,
    body: bytes,
    kind: str,
    now: datetime | None = None,
) -> ApiConnector:
    """The ``kind`` connector that signed ``body``, its signature recorded against replays.

    The signature must be made with the connector's inbound secret. A connector of another
    kind that signed correctly is refused (403): each route names the kind that may call it.
    The signature row joins the caller's transaction: when the request is later refused and
    rolled back, it is forgotten with everything else. Nothing is committed here.
    """
    if kind not in CONNECTOR_KINDS:
        raise ValueError(f"unknown connector kind {kind!r}")
    now = now or utcnow()
    connector = session.exec(
        select(ApiConnector).where(ApiConnector.key_id == key_id.strip())
    ).first()
    if connector is None or not connector.is_active:
        raise _unauthenticated("unknown_connector", "Unknown or inactive connector key.")
    if not (timestamp.isascii() and timestamp.isdigit()) or len(timestamp) > 12:
        raise _unauthenticated("invalid_timestamp", "X-Timestamp must be Unix seconds.")
    if abs(now.timestamp() - int(timestamp)) > TIMESTAMP_TOLERANCE.total_seconds():
        raise _unauthenticated(
            "stale_timestamp", "X-Timestamp is more than 300 seconds from our clock."
        )
    match = _SIGNATURE_RE.fullmatch(signature.strip().lower())
    inbound = connector_secret(connector.key_id, kind=connector.kind, direction=INBOUND)
    expected = _hmac_hex(inbound, timestamp, body)
    if match is None or not hmac.compare_digest(match.group(1), expected):
        raise _unauthenticated("invalid_signature", "The request signature does not match.")
    # Only a caller holding the connector's secret learns that the route is not for its kind.
    if connector.kind != kind:
        raise DomainError(
            "wrong_connector_kind",
            f"Only {kind} connectors may call this route; this key belongs to a "
            f"{connector.kind} connector.",
            kind=ErrorKind.FORBIDDEN,
        )
    digest = match.group(1)
    session.exec(  # type: ignore[call-overload]
        delete(SeenSignature).where(col(SeenSignature.seen_at) < now - SEEN_SIGNATURE_TTL)
    )
    replayed = DomainError(
        "replayed", "This signed request was already received.", kind=ErrorKind.CONFLICT
    )
    if session.get(SeenSignature, digest) is not None:
        raise replayed
    assert connector.id is not None
    session.add(SeenSignature(signature=digest, connector_id=connector.id, seen_at=now))
    connector.last_used_at = now
    session.add(connector)
    try:
        session.flush()
    except IntegrityError as exc:  # the same request arrived twice at once
        session.rollback()
        raise replayed from exc
    return connector
