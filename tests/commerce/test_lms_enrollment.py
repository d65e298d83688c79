"""LMS mode: approval sends a signed enrollment request through the outbox to a receiver on
127.0.0.1; the LMS answers later through the signed inbound webhook."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlmodel import Session, select

from commerce_dash.api import create_api
from commerce_dash.domain.actor import Actor
from commerce_dash.domain.clock import utcnow
from commerce_dash.jobs.outbox_delivery import deliver_due
from commerce_dash.models.delivery import OutboxMessage
from commerce_dash.models.enrollment import Enrollment, Registration
from commerce_dash.payments.sandbox import CardInput
from commerce_dash.services import cart as cart_service
from commerce_dash.services import lms_sync, payments
from commerce_dash.services.checkout import CheckoutRequest, checkout
from commerce_dash.settings import get_settings
from tests.commerce.shop import build_shop, owner_of


class FakeLms:
    """Answers 503 for the first ``failures`` requests, then 200; records what it got."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.received: list[tuple[dict[str, str], bytes]] = []
        lms = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                lms.received.append((dict(self.headers.items()), body))
                failing = len(lms.received) <= lms.failures
                self.send_response(503 if failing else 200)
                self.end_headers()
                self.wfile.write(b'{"success": true, "status": "pending"}')

            def log_message(self, *_args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/enrollment-request"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def lms(session: Session, super_admin: Actor, monkeypatch: pytest.MonkeyPatch
        ) -> Iterator[tuple[FakeLms, str]]:
    fake = FakeLms(failures=2)
    connector, _secret = lms_sync.create_connector(session=session, actor=super_admin,
                                                   name="Cadence", kind="lms")
    monkeypatch.setenv("COMMERCE_LMS_ENROLLMENT_URL", fake.url)
    monkeypatch.setenv("COMMERCE_LMS_CONNECTOR_KEY", connector.key_id)
    get_settings.cache_clear()
    try:
        yield fake, connector.key_id
    finally:
        fake.server.shutdown()
        fake.server.server_close()
        get_settings.cache_clear()


def _signed(key_id: str, body: dict[str, Any], stamp: int | None = None
            ) -> tuple[bytes, dict[str, str]]:
    raw = json.dumps(body).encode()
    ts = str(stamp or int(time.time()))
    return raw, {"X-Connector-Key": key_id, "X-Timestamp": ts,
                 "X-Signature": lms_sync.sign_request(key_id, ts, raw),
                 "Content-Type": "application/json"}


def _deliver_until_sent(session: Session, rounds: int = 4) -> None:
    for _ in range(rounds):
        deliver_due()
        message = session.exec(select(OutboxMessage).where(
            OutboxMessage.topic == "webhook.enrollment.request")).one()
        session.refresh(message)
        if message.status == "sent":
            return
        session.execute(update(OutboxMessage).where(OutboxMessage.id == message.id)  # type: ignore[arg-type]
                        .values(next_attempt_at=utcnow() - timedelta(seconds=1)))
        session.commit()
    raise AssertionError("the enrollment request was never delivered")


def test_enrollment_goes_through_the_lms_and_its_answer(session: Session, super_admin: Actor,
                                                        learner: Actor, lms) -> None:  # type: ignore[no-untyped-def]
    fake, key_id = lms
    shop = build_shop(session, super_admin)
    cart_service.add_item(session=session, owner=owner_of(learner), item_type="course",
                          item_id=shop.courses["PY101"])
    order = checkout(session=session, actor=learner, request=CheckoutRequest("lms-order-1"))
    payments.sandbox_pay(session=session, actor=learner, number=order.number,
                         card=CardInput("4242424242424242", 12, 2040, "123"))
    registration = session.exec(select(Registration)).one()
    enrollment = session.exec(select(Enrollment)).one()
    assert (registration.status, enrollment.status, enrollment.mode) == (
        "approved", "pending", "lms")

    # the LMS is down twice, then takes the request: it arrives once, signed, per spec 001
    _deliver_until_sent(session)
    assert len(fake.received) == 3
    headers, raw = fake.received[-1]
    expected = hmac.new(lms_sync.connector_secret(key_id).encode(),
                        f"{headers['X-Commerce-Timestamp']}.".encode() + raw,
                        hashlib.sha256).hexdigest()
    assert headers["X-Commerce-Signature"] == f"sha256={expected}"
    body = json.loads(raw)
    assert body["source"] == "commerce-platform"
    payload = body["payload"]
    assert payload["orderItemId"] == registration.dedupe_key
    assert payload["approvalStatus"] == "pending" and payload["autoApprove"] is True
    assert payload["purchaseMetadata"]["grossAmount"] == 10_000
    assert payload["purchaseMetadata"]["currency"] == "USD"

    # later the LMS approves through the signed inbound webhook
    answer = {"source": "cadence-lms", "event": "enrollment.approved",
              "payload": {"enrollmentId": "lms-77", "orderId": payload["orderId"],
                          "orderItemId": payload["orderItemId"], "status": "approved",
                          "processedBy": "auto-approval"}}
    with TestClient(create_api()) as client:
        raw_answer, signed = _signed(key_id, answer)
        first = client.post("/api/v1/webhooks/enrollment-status", content=raw_answer,
                            headers=signed)
        assert first.status_code == 200 and first.json()["outcome"] == "enrollment active"
        replay = client.post("/api/v1/webhooks/enrollment-status", content=raw_answer,
                             headers=signed)
        assert replay.status_code == 409
        raw_again, signed_again = _signed(key_id, answer, int(time.time()) + 1)
        again = client.post("/api/v1/webhooks/enrollment-status", content=raw_again,
                            headers=signed_again)
        assert again.json()["outcome"] == "ignored: enrollment is active"
        forged = {**signed_again, "X-Signature": "sha256=" + "0" * 64,
                  "X-Timestamp": str(int(time.time()) + 2)}
        assert client.post("/api/v1/webhooks/enrollment-status", content=raw_again,
                           headers=forged).status_code == 401
    session.expire_all()
    enrollment = session.exec(select(Enrollment)).one()
    registration = session.exec(select(Registration)).one()
    assert (enrollment.status, enrollment.lms_enrollment_id, registration.status) == (
        "active", "lms-77", "enrolled")
    welcome = [m for m in session.exec(select(OutboxMessage)).all()
               if (m.payload or {}).get("template") == "enrollment-welcome"]
    assert len(welcome) == 1


def test_a_stuck_lms_enrollment_is_listed_and_sent_again(session: Session, super_admin: Actor,
                                                         learner: Actor, lms) -> None:  # type: ignore[no-untyped-def]
    from commerce_dash.services import registrations as regs

    fake, _key_id = lms
    fake.failures = 0
    shop = build_shop(session, super_admin)
    cart_service.add_item(session=session, owner=owner_of(learner), item_type="course",
                          item_id=shop.courses["SQL101"])
    order = checkout(session=session, actor=learner, request=CheckoutRequest("lms-order-2"))
    payments.sandbox_pay(session=session, actor=learner, number=order.number,
                         card=CardInput("4242424242424242", 12, 2040, "123"))
    assert regs.stuck_lms_enrollments(session=session, actor=super_admin) == []
    enrollment = session.exec(select(Enrollment)).one()
    enrollment.requested_at = utcnow() - timedelta(hours=2)
    session.add(enrollment)
    session.commit()
    deliver_due()
    stuck = regs.stuck_lms_enrollments(session=session, actor=super_admin)
    assert [(s.learner_email, s.delivery) for s in stuck] == [
        (learner.email, "request sent after 1 attempt(s)")]
    assert enrollment.id is not None
    message = regs.retry_lms_enrollment(session=session, actor=super_admin,
                                        enrollment_id=enrollment.id)
    assert message == "Enrollment request sent again (request 2)."
    deliver_due()
    assert len(fake.received) == 2
    assert json.loads(fake.received[1][1])["payload"]["orderItemId"] == json.loads(
        fake.received[0][1])["payload"]["orderItemId"]
