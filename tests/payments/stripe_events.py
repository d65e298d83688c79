"""Stripe-signed events for tests: ``t=<ts>,v1=<HMAC-SHA256(secret, "<ts>.<body>")>``, the
scheme ``StripeProcessor.verify_webhook`` checks, around any object (e.g. a real localstripe
invoice or subscription) so the app can be driven by the events Stripe would post."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections.abc import Mapping
from typing import Any

from tests.payments.conftest import WEBHOOK_SECRET


def signed_stripe_event(event_type: str, obj: Mapping[str, Any], secret: str = WEBHOOK_SECRET,
                        *, created: int, event_id: str = "") -> tuple[bytes, dict[str, str]]:
    """(body, headers) of event ``event_type`` whose ``data.object`` is ``obj``, signed with
    ``secret`` at ``created`` (unix seconds; verification allows 300 s of skew)."""
    body = json.dumps({"id": event_id or f"evt_{uuid.uuid4().hex[:24]}", "object": "event",
                       "type": event_type, "created": created,
                       "data": {"object": dict(obj)}}).encode()
    signature = hmac.new(secret.encode(), f"{created}.".encode() + body,
                         hashlib.sha256).hexdigest()
    return body, {"Stripe-Signature": f"t={created},v1={signature}"}
