"""LMS mode: approval sends a signed enrollment request through the outbox to a receiver on
127.0.0.1; the LMS answers later through the signed inbound webhook."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlmodel import Session, select

from commerce_dash.api import create_api
from commerce_dash.connectors.secrets import connector_secret
from commerce_dash.domain.actor import Actor
from commerce_dash.domain.clock import utcnow
from commerce_dash.jobs.outbox_delivery import deliver_due
from commerce_dash.models.delivery import OutboxMessage
from commerce_dash.models.enrollment import Enrollment, Registration
from commerce_dash.services.enrollment import lms_sync
from commerce_dash.settings import get_settings
from tests.builders import build_shop, buy, make_code
from tests.conftest import create_user
from tests.fakes import FakeLms

# issue 13: these findings are proven on SQLite and on PostgreSQL in every run
pytestmark = pytest.mark.usefixtures("both_databases")


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
                 "X-Signature": lms_sync.sign_request(key_id, ts, raw, kind="lms"),
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
    buy(session, learner, shop, ("course", "PY101"), key="lms-order-1")
    registration = session.exec(select(Registration)).one()
    enrollment = session.exec(select(Enrollment)).one()
    assert (registration.status, enrollment.status, enrollment.mode) == (
        "approved", "pending", "lms")

    # the LMS is down twice, then takes the request: it arrives once, signed, per spec 001
    _deliver_until_sent(session)
    assert len(fake.received) == 3
    headers, raw = fake.received[-1]
    outbound = connector_secret(key_id, kind="lms", direction="outbound")
    expected = hmac.new(outbound.encode(),
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
    from commerce_dash.services.enrollment import registrations as regs

    fake, _key_id = lms
    fake.failures = 0
    shop = build_shop(session, super_admin)
    buy(session, learner, shop, ("course", "SQL101"), key="lms-order-2")
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


def _lms_payloads(session: Session) -> list[dict[str, Any]]:
    return [m.payload["body"]["payload"] for m in session.exec(  # type: ignore[index]
        select(OutboxMessage).where(OutboxMessage.topic == "webhook.enrollment.request")
        .order_by(OutboxMessage.id)).all()]


def _answer(client: TestClient, key_id: str, payload: dict[str, Any], status: str,
            **extra: str) -> dict[str, Any]:
    body = {"source": "cadence-lms", "event": f"enrollment.{status}",
            "payload": {"enrollmentId": "lms-9", "orderId": payload["orderId"],
                        "orderItemId": payload["orderItemId"], "status": status, **extra}}
    raw, headers = _signed(key_id, body)
    reply = client.post("/api/v1/webhooks/enrollment-status", content=raw, headers=headers)
    assert reply.status_code == 200, reply.text
    return reply.json()


def test_payloads_name_the_lms_user_and_what_was_paid_after_discount(  # type: ignore[no-untyped-def]
        session: Session, super_admin: Actor, learner: Actor, lms) -> None:
    from commerce_dash.models.integrations import LmsUserLink

    _fake, key_id = lms
    shop = build_shop(session, super_admin)
    make_code(session, super_admin, "QUARTER", percent=25)
    with TestClient(create_api()) as client:
        # given the LMS named the learner in its user sync
        raw, headers = _signed(key_id, {"users": [
            {"email": learner.email.upper(), "lms_user_id": "cadence-u-42"},
            {"email": "nobody@example.com", "lms_user_id": "cadence-u-43"}]})
        synced = client.post("/api/v2/integrations/lms/users", content=raw, headers=headers)
        assert synced.json() == {"linked": 1, "unchanged": 0, "unknown": ["nobody@example.com"]}
        # when the learner buys a 10,000 course with 25% off
        buy(session, learner, shop, ("course", "PY101"), code="QUARTER")
        # then the LMS is asked to enrol its own user, with the amounts of that course
        (payload,) = _lms_payloads(session)
        assert (payload["userId"], payload["userEmail"]) == ("cadence-u-42", learner.email)
        paid = payload["purchaseMetadata"]
        assert (paid["grossAmount"], paid["netAmount"], paid["taxAmount"]) == (10_000, 7_500, 0)
        assert paid["processorFee"] == 248  # 2.9% of 7,500 (217.5, half up) + 30
        # and a learner the LMS has not named yet goes by email; the LMS's answer names them
        other = create_user(session, "ada@example.com")
        buy(session, other, shop, ("course", "SQL101"))
        payload = _lms_payloads(session)[-1]
        assert (payload["userId"], payload["userEmail"]) == ("", "ada@example.com")
        _answer(client, key_id, payload, "approved", userId="cadence-u-77")
    session.expire_all()
    link = session.get(LmsUserLink, other.user_id)
    assert link is not None and (link.lms_user_id, link.source) == ("cadence-u-77", "answer")


@pytest.mark.parametrize("mode", ["queue", "auto"])
def test_an_lms_rejection_gives_the_money_back(session: Session, super_admin: Actor,  # type: ignore[no-untyped-def]
                                               learner: Actor, lms, mode: str,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from commerce_dash.models.commerce import RefundRequest
    from commerce_dash.services.commerce import refunds
    from commerce_dash.services.revenue.revenue_reconciliation import reconciliation

    monkeypatch.setenv("COMMERCE_LMS_REJECTION_REFUND", mode)
    get_settings.cache_clear()
    _fake, key_id = lms
    shop = build_shop(session, super_admin)
    order = buy(session, learner, shop, ("course", "ML301"))
    (payload,) = _lms_payloads(session)
    # when the LMS refuses the enrollment
    with TestClient(create_api()) as client:
        outcome = _answer(client, key_id, payload, "rejected",
                          rejectionReason="Prerequisite ML201 missing.")
    assert outcome["outcome"] == "enrollment rejected"
    # then the registration is rejected with the LMS's reason and the learner is told
    session.expire_all()
    registration = session.exec(select(Registration)).one()
    assert registration.status == "rejected"
    assert registration.rejection_reason == ("The LMS refused the enrollment: Prerequisite "
                                             "ML201 missing.")
    told = [m for m in session.exec(select(OutboxMessage)).all()
            if (m.payload or {}).get("template") == "registration-rejected"]
    assert len(told) == 1 and "Prerequisite ML201 missing." in told[0].payload["text"]  # type: ignore[index]
    request = session.exec(select(RefundRequest)).one()
    assert (request.source, request.amount, request.registration_id) == (
        "lms_rejected", 20_000, registration.id)
    today = utcnow().date()
    billing = create_user(session, "bill@example.com", grants=super_admin.grants)
    if mode == "queue":
        # a billing admin pays it back from the queue; until then reconciliation lists it
        assert request.status == "requested"
        report = reconciliation(session=session, actor=super_admin, start=today, end=today)
        assert [(p.kind, p.amount) for p in report.problems] == [("paid_not_enrolled", 20_000)]
        refunds.approve(session=session, actor=billing, request_id=request.id or 0)
    session.expire_all()
    assert session.exec(select(RefundRequest)).one().status == "refunded"
    assert session.get(type(order), order.id).status == "refunded"  # type: ignore[union-attr]
    report = reconciliation(session=session, actor=super_admin, start=today, end=today)
    assert report.problems == () and report.reconciles
