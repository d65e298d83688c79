"""Connector secrets: one per direction and kind, derived from the app secret (never stored).

An ``lms`` or ``payout`` connector signs its requests to us with its inbound secret and
verifies our webhooks with its outbound one, so a webhook of ours can never be replayed to us
as a request. Infrastructure: the webhook sender and the LMS routes both read it.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field

from sqlmodel import Session, select

from commerce_dash.domain.errors import DomainError, ErrorKind
from commerce_dash.models.integrations import ApiConnector
from commerce_dash.settings import get_settings

CONNECTOR_KINDS = ("lms", "payout")
INBOUND = "inbound"  # the connector signs its requests to us
OUTBOUND = "outbound"  # we sign our webhooks to the connector
DIRECTIONS = (INBOUND, OUTBOUND)


@dataclass(frozen=True)
class ConnectorSecrets:
    """A connector's two secrets (hex), shown once when it is created."""

    inbound: str = field(repr=False)  # it signs its requests to us with this
    outbound: str = field(repr=False)  # it verifies our webhooks with this


def connector_secret(key_id: str, *, kind: str, direction: str) -> str:
    """The secret (hex) of a ``kind`` connector for one ``direction``: inbound or outbound.

    Derived from the app secret, so it is never stored; a new key id is a new pair.
    """
    if kind not in CONNECTOR_KINDS or direction not in DIRECTIONS:
        raise ValueError(f"no connector secret for kind {kind!r}, direction {direction!r}")
    key = get_settings().secret_key.get_secret_value().encode()
    message = f"connector:{kind}:{direction}:{key_id}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def connector_secrets(connector: ApiConnector) -> ConnectorSecrets:
    """Both secrets of ``connector``."""
    return ConnectorSecrets(
        inbound=connector_secret(connector.key_id, kind=connector.kind, direction=INBOUND),
        outbound=connector_secret(connector.key_id, kind=connector.kind, direction=OUTBOUND),
    )


def outbound_secret(*, session: Session, key_id: str) -> str:
    """The secret that signs our webhooks to the connector ``key_id``.

    Raises ``DomainError`` when no connector has the key or it was deactivated: nothing is
    signed for a connector we no longer trust.
    """
    connector = session.exec(
        select(ApiConnector).where(ApiConnector.key_id == key_id.strip())
    ).first()
    if connector is None:
        raise DomainError(
            "unknown_connector",
            f"No connector has the key {key_id!r}; nothing is signed for it.",
            kind=ErrorKind.NOT_FOUND,
        )
    if not connector.is_active:
        raise DomainError(
            "inactive_connector",
            f"Connector {connector.name!r} ({connector.key_id}) is deactivated; nothing is "
            "signed with its secret any more.",
            kind=ErrorKind.CONFLICT,
        )
    return connector_secret(connector.key_id, kind=connector.kind, direction=OUTBOUND)
