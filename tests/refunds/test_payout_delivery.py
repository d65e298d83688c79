"""The payout platform receives every ledger entry, signed, through the outbox (a loopback
receiver that fails once first); an LMS enrollment ended by a refund is told to the LMS."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlmodel import Session, select, update

from commerce_dash.connectors.webhooks import sign
from commerce_dash.domain.actor import Actor
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.paging import PageRequest
from commerce_dash.jobs.outbox_delivery import deliver_due
from commerce_dash.models.delivery import OutboxMessage
from commerce_dash.models.enrollment import Enrollment
from commerce_dash.services.commerce import refunds
from commerce_dash.services.enrollment import lms_sync
from commerce_dash.services.revenue import payouts
from commerce_dash.settings import get_settings
from tests.builders import buy, number_of
from tests.fakes import FakeLms


@pytest.fixture
def platform(session: Session, super_admin: Actor, monkeypatch: pytest.MonkeyPatch
             ) -> Iterator[tuple[FakeLms, str]]:
    receiver = FakeLms(failures=1)
    connector, secrets = lms_sync.create_connector(session=session, actor=super_admin,
                                                   name="Payouts", kind="payout")
    monkeypatch.setenv("COMMERCE_PAYOUT_WEBHOOK_URL", receiver.url)
    monkeypatch.setenv("COMMERCE_PAYOUT_CONNECTOR_KEY", connector.key_id)
    get_settings.cache_clear()
    try:
        yield receiver, secrets.outbound  # the platform verifies our webhooks with it
    finally:
        receiver.server.shutdown()
        receiver.server.server_close()
        get_settings.cache_clear()


def _deliver_all(session: Session, rounds: int = 5) -> None:
    for _ in range(rounds):
        deliver_due()
        session.expire_all()
        waiting = session.exec(select(OutboxMessage).where(
            OutboxMessage.topic.startswith("webhook."),  # type: ignore[attr-defined]
            OutboxMessage.status != "sent")).all()
        if not waiting:
            return
        session.execute(update(OutboxMessage).values(  # type: ignore[call-overload]
            next_attempt_at=utcnow() - timedelta(seconds=1)))
        session.commit()
    raise AssertionError("payout messages were never all delivered")


def test_sales_and_refunds_reach_the_payout_platform_signed(  # type: ignore[no-untyped-def]
    session: Session, shop, learner: Actor, super_admin: Actor, platform
) -> None:
    receiver, secret = platform
    order = buy(session, learner, shop, ("course", "PY101"), ("course", "SQL101"))
    request = refunds.request_refund(session=session, actor=learner, number=number_of(order),
                                     reason="Refund the whole order, please.")
    refunds.approve(session=session, actor=super_admin, request_id=request.id or 0)
    _deliver_all(session)
    bodies = []
    for headers, raw in receiver.received:
        expected = sign(secret, headers["X-Commerce-Timestamp"], raw)
        assert headers["X-Commerce-Signature"] == f"sha256={expected}"
        bodies.append(json.loads(raw))
    events = sorted({(b["event"], b["payload"]["orderItemId"]) for b in bodies})
    assert [e for e, _ in events] == ["payment.completed"] * 2 + ["refund.issued"] * 2
    refunded = [b["payload"] for b in bodies if b["event"] == "refund.issued"]
    assert sum({p["orderItemId"]: p["refundAmount"] for p in refunded}.values()) == order.total
    counts, page = payouts.payout_status(session=session, actor=super_admin,
                                         page=PageRequest(1, 25))
    assert (counts.synced, counts.pending, counts.dead, counts.not_sent) == (4, 0, 0, 0)
    assert {r.status for r in page.items} == {"synced"}


def test_a_refund_ends_an_lms_enrollment_at_the_lms(  # type: ignore[no-untyped-def]
    session: Session, shop, learner: Actor, super_admin: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    order = buy(session, learner, shop, ("course", "ML301"))
    enrollment = session.exec(select(Enrollment)).one()
    enrollment.mode, enrollment.lms_enrollment_id = "lms", "lms-enr-77"
    session.add(enrollment)
    session.commit()
    monkeypatch.setenv("COMMERCE_LMS_ENROLLMENT_URL", "http://127.0.0.1:9/enroll")
    monkeypatch.setenv("COMMERCE_LMS_CONNECTOR_KEY", "lms-key")
    get_settings.cache_clear()
    try:
        request = refunds.request_refund(session=session, actor=learner,
                                         number=number_of(order), reason="Refund it, thanks.")
        refunds.approve(session=session, actor=super_admin, request_id=request.id or 0)
    finally:
        get_settings.cache_clear()
    [message] = session.exec(select(OutboxMessage).where(
        OutboxMessage.topic == "webhook.enrollment.cancelled")).all()
    payload = (message.payload or {})["body"]["payload"]
    assert (payload["enrollmentId"], payload["reason"]) == ("lms-enr-77", "refunded")
