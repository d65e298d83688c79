"""Connector secrets per direction and kind (issue 14, item 8): a connector signs its calls to
us with its inbound secret and verifies our webhooks with its outbound secret; both are bound to
its kind, every inbound route names the kind that may call it, and nothing is signed for a
deactivated or unknown connector."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import pytest
from sqlalchemy import func
from sqlmodel import select

from commerce_dash.connectors.secrets import connector_secret
from commerce_dash.connectors.webhooks import queue_webhook, sign
from commerce_dash.jobs.outbox_delivery import deliver_due
from commerce_dash.models.delivery import OutboxMessage
from commerce_dash.models.integrations import ApiConnector, SeenSignature
from commerce_dash.services.enrollment import lms_sync
from commerce_dash.settings import get_settings
from tests.fakes import FakeLms

COURSES = "/api/v2/integrations/lms/courses"
LMS_ROUTES = (
    COURSES,
    "/api/v2/integrations/lms/users",
    "/api/v1/webhooks/enrollment-status",
    "/api/v2/progress",
)
NOTHING = {"sent": 0, "retry": 0, "dead": 0, "lost": 0}


@pytest.fixture
def lms_connector(session, super_admin):
    connector, secrets = lms_sync.create_connector(
        session=session, actor=super_admin, name="Campus LMS", kind="lms"
    )
    return connector, secrets


@pytest.fixture
def payout_connector(session, super_admin):
    connector, secrets = lms_sync.create_connector(
        session=session, actor=super_admin, name="Payouts", kind="payout"
    )
    return connector, secrets


@pytest.fixture
def receiver():
    fake = FakeLms(failures=0)
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


def _headers(key_id: str, secret: str, raw: bytes, timestamp: str | None = None):
    """What a caller holding ``secret`` sends (the HMAC computed here, not by our code)."""
    ts = timestamp or str(int(time.time()))
    digest = hmac.new(secret.encode(), ts.encode() + b"." + raw, hashlib.sha256).hexdigest()
    return {
        "content-type": "application/json",
        "X-Connector-Key": key_id,
        "X-Timestamp": ts,
        "X-Signature": f"sha256={digest}",
    }


def _old_single_secret(key_id: str) -> str:
    """The one secret a connector had before issue 14, for both directions."""
    key = get_settings().secret_key.get_secret_value().encode()
    return hmac.new(key, f"connector:{key_id}".encode(), hashlib.sha256).hexdigest()


def _seen(session) -> int:
    return session.exec(select(func.count()).select_from(SeenSignature)).one()


def _queue(session, key_id: str, url: str, dedupe_key: str = "order-7-paid") -> int:
    message = queue_webhook(
        session=session, connector_key_id=key_id, url=url, event="order.paid",
        body={"order": 7}, dedupe_key=dedupe_key,
    )
    assert message is not None
    session.commit()
    return message.id


def _row(session, message_id) -> OutboxMessage:
    session.rollback()
    return session.get(OutboxMessage, message_id, populate_existing=True)


def test_a_connector_gets_distinct_secrets_per_direction_bound_to_its_kind(lms_connector):
    # given an LMS connector just created
    connector, secrets = lms_connector
    # then its two secrets differ from each other and from the old single secret
    assert secrets.inbound != secrets.outbound
    assert _old_single_secret(connector.key_id) not in (secrets.inbound, secrets.outbound)
    # and they are the derivations for its kind; the same key id as a payout key differs
    derived = {
        (kind, direction): connector_secret(
            connector.key_id, kind=kind, direction=direction
        )
        for kind in ("lms", "payout")
        for direction in ("inbound", "outbound")
    }
    assert derived[("lms", "inbound")] == secrets.inbound
    assert derived[("lms", "outbound")] == secrets.outbound
    assert len(set(derived.values())) == 4
    # and printing the pair shows no secret
    assert secrets.inbound not in repr(secrets) and secrets.outbound not in repr(secrets)


def test_only_the_inbound_secret_signs_calls_to_us(client, session, lms_connector):
    # given an LMS connector and an empty course sync
    connector, secrets = lms_connector
    raw = json.dumps({"courses": []}).encode()
    # when it is signed with the outbound secret, then with the old single secret
    outbound = client.post(COURSES, content=raw, headers=_headers(
        connector.key_id, secrets.outbound, raw))
    old = client.post(COURSES, content=raw, headers=_headers(
        connector.key_id, _old_single_secret(connector.key_id), raw))
    # then both are refused and nothing is remembered
    for refused in (outbound, old):
        assert (refused.status_code, refused.json()["code"]) == (401, "invalid_signature")
    assert _seen(session) == 0
    # when it is signed with the inbound secret, it is accepted
    accepted = client.post(COURSES, content=raw, headers=_headers(
        connector.key_id, secrets.inbound, raw))
    assert accepted.status_code == 200, accepted.text
    assert accepted.json() == {"created": 0, "updated": 0, "courses": []}
    assert _seen(session) == 1


@pytest.mark.parametrize("route", LMS_ROUTES)
def test_a_payout_connector_cannot_call_the_lms_routes(client, session, payout_connector,
                                                       route):
    # given a payout connector signing correctly with its own inbound secret
    connector, secrets = payout_connector
    raw = b"{}"
    # when it calls an LMS route
    response = client.post(route, content=raw, headers=_headers(
        connector.key_id, secrets.inbound, raw))
    # then it is refused as the wrong kind, before the body is read, and nothing is recorded
    assert response.status_code == 403
    assert response.json()["code"] == "wrong_connector_kind"
    assert "lms" in response.json()["message"]
    assert _seen(session) == 0
    session.expire_all()
    assert session.get(ApiConnector, connector.id).last_used_at is None


def test_a_deactivated_connector_cannot_call_us(client, session, super_admin, lms_connector):
    # given an LMS connector that was deactivated
    connector, secrets = lms_connector
    lms_sync.deactivate_connector(
        session=session, actor=super_admin, connector_id=connector.id, reason="rotated"
    )
    raw = json.dumps({"courses": []}).encode()
    # when it signs a call correctly
    response = client.post(COURSES, content=raw, headers=_headers(
        connector.key_id, secrets.inbound, raw))
    # then it is refused as unauthenticated
    assert (response.status_code, response.json()["code"]) == (401, "unknown_connector")
    assert _seen(session) == 0


def test_our_webhooks_are_signed_with_the_outbound_secret_and_cannot_be_reflected_to_us(
    client, session, lms_connector, receiver
):
    # given a webhook queued for the LMS connector
    connector, secrets = lms_connector
    message_id = _queue(session, connector.key_id, receiver.url)
    # when the outbox delivers it
    counts = deliver_due()
    # then it arrived signed with the outbound secret, not with the inbound one
    assert counts == {**NOTHING, "sent": 1}
    assert _row(session, message_id).status == "sent"
    [(headers, raw)] = receiver.received
    timestamp, signature = headers["X-Commerce-Timestamp"], headers["X-Commerce-Signature"]
    assert signature == f"sha256={sign(secrets.outbound, timestamp, raw)}"
    assert signature != f"sha256={sign(secrets.inbound, timestamp, raw)}"
    # when someone who saw it posts it back to us as if the LMS had signed it
    reflected = client.post("/api/v2/integrations/lms/users", content=raw, headers={
        "content-type": "application/json", "X-Connector-Key": connector.key_id,
        "X-Timestamp": timestamp, "X-Signature": signature,
    })
    # then our signature does not authenticate a call to us
    assert (reflected.status_code, reflected.json()["code"]) == (401, "invalid_signature")


def test_a_webhook_for_a_deactivated_connector_goes_dead_unsent(
    session, super_admin, lms_connector, receiver
):
    # given a webhook queued for the LMS connector, which is then deactivated
    connector, _secrets = lms_connector
    message_id = _queue(session, connector.key_id, receiver.url)
    lms_sync.deactivate_connector(
        session=session, actor=super_admin, connector_id=connector.id, reason="rotated"
    )
    # when the outbox delivers
    counts = deliver_due()
    # then nothing was signed or sent: the message is dead at once, saying why
    assert counts == {**NOTHING, "dead": 1}
    row = _row(session, message_id)
    assert (row.status, row.attempts) == ("dead", 1)
    assert "deactivated" in row.last_error and connector.key_id in row.last_error
    assert receiver.received == []


def test_a_webhook_for_an_unknown_connector_goes_dead_unsent(session, receiver):
    # given a webhook queued under a key id no connector has (a mistyped setting)
    message_id = _queue(session, "ck_nobody", receiver.url)
    # when the outbox delivers
    counts = deliver_due()
    # then it is dead at once, naming the key, and nothing was sent
    assert counts == {**NOTHING, "dead": 1}
    row = _row(session, message_id)
    assert row.status == "dead"
    assert "no connector" in row.last_error.lower() and "ck_nobody" in row.last_error
    assert receiver.received == []
