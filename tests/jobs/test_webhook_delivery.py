"""Outbound webhooks through the outbox: signed, retried with backoff, dead-lettered, replayed,
and delivered once to a receiver that honours the delivery id, even when a worker dies."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket

import pytest
from sqlalchemy import update
from sqlmodel import col, select

from commerce_dash import outbox
from commerce_dash.connectors.secrets import connector_secret
from commerce_dash.connectors.webhooks import queue_webhook
from commerce_dash.domain.clock import utcnow
from commerce_dash.jobs.outbox_delivery import deliver_due
from commerce_dash.models.audit import AuditLog
from commerce_dash.models.delivery import OutboxMessage
from commerce_dash.models.integrations import ApiConnector
from commerce_dash.services.platform import outbox_admin
from tests.jobs.conftest import child_env, start_job_process, wait_for

KEY_ID = "ck_lms_test"
BODY = {"order": 41, "total": "120.00", "currency": "USD"}
NOTHING = {"sent": 0, "retry": 0, "dead": 0, "lost": 0}


@pytest.fixture(autouse=True)
def lms_connector(session) -> None:
    """The active LMS connector whose outbound secret signs the webhooks queued here."""
    session.add(ApiConnector(name="Campus LMS", kind="lms", key_id=KEY_ID))
    session.commit()


def _queue(session, url, dedupe_key="order-41-paid", max_attempts=None):
    message = queue_webhook(
        session=session,
        connector_key_id=KEY_ID,
        url=url,
        event="order.paid",
        body=BODY,
        dedupe_key=dedupe_key,
    )
    assert message is not None
    if max_attempts:
        message.max_attempts = max_attempts
        session.add(message)
    session.commit()
    return message.id


def _row(session, message_id) -> OutboxMessage:
    session.rollback()  # end the test's snapshot: the job wrote in its own sessions
    return session.get(OutboxMessage, message_id, populate_existing=True)


def _make_due(session, message_id) -> None:
    """Skip the backoff wait: the retry is due now."""
    session.execute(
        update(OutboxMessage)
        .where(col(OutboxMessage.id) == message_id)
        .values(next_attempt_at=utcnow())
    )
    session.commit()


def _deliver_rounds(session, message_id, rounds):
    outcomes = []
    for _ in range(rounds):
        counts = deliver_due()
        outcomes.append(next((k for k, v in counts.items() if v), "nothing due"))
        if _row(session, message_id).status != "pending":
            break
        _make_due(session, message_id)
    return outcomes


def _signature_ok(hit) -> bool:
    timestamp = hit.headers["X-Commerce-Timestamp"]
    secret = connector_secret(KEY_ID, kind="lms", direction="outbound")
    expected = hmac.new(
        secret.encode(), timestamp.encode() + b"." + hit.body, hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(hit.headers["X-Commerce-Signature"], f"sha256={expected}")


def test_a_webhook_refused_twice_is_accepted_once_on_the_third_attempt(session, start_receiver):
    # given a receiver that answers 503 twice, then 200
    receiver = start_receiver([503, 503])
    message_id = _queue(session, receiver.url)
    # when the delivery job runs until the message settles
    outcomes = _deliver_rounds(session, message_id, rounds=5)
    # then it was retried twice and sent on the third attempt
    assert outcomes == ["retry", "retry", "sent"]
    row = _row(session, message_id)
    assert (row.status, row.attempts, row.last_error) == ("sent", 3, "")
    assert row.sent_at is not None
    # every attempt carried the same delivery id and a valid signature over the same body
    assert [h.status for h in receiver.hits] == [503, 503, 200]
    assert {h.headers["X-Commerce-Delivery"] for h in receiver.hits} == {"order-41-paid"}
    assert all(_signature_ok(h) for h in receiver.hits)
    assert len(receiver.accepted) == 1
    accepted = receiver.accepted[0]
    assert json.loads(accepted.body) == BODY
    assert accepted.headers["X-Commerce-Event"] == "order.paid"
    assert accepted.headers["Content-Type"] == "application/json"


def test_a_tampered_body_does_not_verify(session, start_receiver):
    # given a delivered webhook
    receiver = start_receiver()
    _queue(session, receiver.url)
    deliver_due()
    hit = receiver.hits[0]
    # when its body is changed in transit
    hit.body = hit.body.replace(b"120.00", b"1.00")
    # then the signature no longer matches
    assert not _signature_ok(hit)


def test_a_receiver_that_always_fails_makes_the_message_dead_and_replay_delivers_it(
    session, start_receiver, super_admin
):
    # given a receiver that answers 500 to everything, and three attempts allowed
    receiver = start_receiver(then=500)
    message_id = _queue(session, receiver.url, max_attempts=3)
    # when the job runs until the message settles
    outcomes = _deliver_rounds(session, message_id, rounds=6)
    # then the third failure makes it dead
    assert outcomes == ["retry", "retry", "dead"]
    row = _row(session, message_id)
    assert (row.status, row.attempts) == ("dead", 3)
    assert "500" in row.last_error and row.dead_at is not None
    assert outbox.status_counts(session=session)["dead"] == 1
    # when the receiver is healthy again and an admin replays the message
    receiver.then = 200
    outbox_admin.replay(session=session, actor=super_admin, message_id=message_id)
    counts = deliver_due()
    # then it is delivered once, from a fresh attempt count, and the replay is audited
    assert counts == {**NOTHING, "sent": 1}
    row = _row(session, message_id)
    assert (row.status, row.attempts) == ("sent", 1)
    assert len(receiver.accepted) == 1 and len(receiver.hits) == 4
    actions = session.exec(select(AuditLog.action)).all()
    assert actions == ["outbox.replayed"]


@pytest.mark.parametrize(
    ("status", "outcome", "row_status"),
    [
        (400, "dead", "dead"),
        (404, "dead", "dead"),
        (429, "retry", "pending"),
        (408, "retry", "pending"),
        (502, "retry", "pending"),
    ],
)
def test_a_client_error_is_final_but_timeouts_and_rate_limits_are_retried(
    session, start_receiver, status, outcome, row_status
):
    # given a receiver answering with one status
    receiver = start_receiver(then=status)
    message_id = _queue(session, receiver.url)
    # when the job delivers once
    counts = deliver_due()
    # then a 4xx other than 408/429 is final at once, the rest wait for a retry
    assert counts == {**NOTHING, outcome: 1}
    row = _row(session, message_id)
    assert (row.status, row.attempts) == (row_status, 1)
    assert str(status) in row.last_error
    if row_status == "pending":
        assert row.next_attempt_at > utcnow()  # backoff: not due again at once
        assert deliver_due() == NOTHING


def test_a_receiver_that_is_down_is_retried_later(session):
    # given a webhook URL where nothing listens
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    message_id = _queue(session, f"http://127.0.0.1:{port}/hooks")
    # when the job delivers
    counts = deliver_due()
    # then the refused connection is a retryable failure
    assert counts == {**NOTHING, "retry": 1}
    row = _row(session, message_id)
    assert row.status == "pending" and "ConnectError" in row.last_error


def test_a_message_without_a_handler_is_dead_at_once(session):
    # given a message on a topic no handler serves
    message = outbox.enqueue(session=session, topic="fax", dedupe_key="fax-1", payload={})
    session.commit()
    # when the job runs
    counts = deliver_due()
    # then it is dead, saying why
    assert counts == {**NOTHING, "dead": 1}
    row = _row(session, message.id)
    assert row.status == "dead" and "no handler for topic 'fax'" in row.last_error


def test_handlers_are_chosen_by_topic_and_an_unexpected_error_is_retried(session):
    # given an email and a webhook, and handlers that record what they receive
    outbox.enqueue(session=session, topic="email", dedupe_key="mail-1", payload={"to": "a@b.c"})
    hook_id = _queue(session, "http://127.0.0.1:9/never")
    received = []

    def email(payload):
        received.append(("email", payload))
        return "queued"

    def broken(payload):
        raise RuntimeError("bug in a handler")

    # when the job runs with them
    counts = deliver_due(handlers={"email": email, "webhook.": broken})
    # then each went to its handler; the unexpected error waits for a retry
    assert received == [("email", {"to": "a@b.c"})]
    assert counts == {**NOTHING, "sent": 1, "retry": 1}
    assert "RuntimeError: bug in a handler" in _row(session, hook_id).last_error


def test_queueing_the_same_webhook_twice_keeps_one_message(session, start_receiver):
    # given a webhook queued twice with one dedupe key (a retried business transaction)
    receiver = start_receiver()
    _queue(session, receiver.url)
    again = queue_webhook(
        session=session,
        connector_key_id=KEY_ID,
        url=receiver.url,
        event="order.paid",
        body=BODY,
        dedupe_key="order-41-paid",
    )
    session.commit()
    # when the job runs
    deliver_due()
    # then one message exists and one request was made
    assert again is None
    assert len(session.exec(select(OutboxMessage)).all()) == 1
    assert len(receiver.hits) == 1


def test_a_worker_killed_mid_delivery_leaves_the_message_to_the_next_after_its_claim_lapses(
    session, start_receiver, settings_env, tmp_path
):
    # given a worker process that claimed the message (5 s claims) and hangs while sending
    receiver = start_receiver()
    message_id = _queue(session, receiver.url)
    marker = tmp_path / "claimed"
    child = start_job_process(
        "stall", str(marker), env=child_env(COMMERCE_OUTBOX_LEASE_SECONDS="5")
    )
    try:
        wait_for(marker.exists, timeout=30)
    finally:
        # when it is killed with SIGKILL before recording anything
        child.kill()
        child.communicate(timeout=10)
    claimed = _row(session, message_id)
    dead_worker, claim_lapses = claimed.claimed_by, claimed.claimed_until
    assert claimed.status == "sending" and dead_worker and claim_lapses is not None
    settings_env(outbox_lease_seconds=5)
    # then another worker cannot take the message while the dead worker's claim holds
    assert deliver_due() == NOTHING
    # and sends it once the claim lapses
    wait_for(lambda: deliver_due()["sent"], timeout=15, step=0.5)
    row = _row(session, message_id)
    assert (row.status, row.attempts) == ("sent", 1)
    assert row.claimed_by != dead_worker
    assert row.sent_at >= claim_lapses
    assert len(receiver.hits) == 1 and len(receiver.accepted) == 1


def test_an_email_that_can_never_be_sent_is_dead_at_once(session):
    # given an email message whose payload names no recipient
    message = outbox.enqueue(session=session, topic="email", dedupe_key="mail-bad", payload={})
    session.commit()
    # when the job runs with the default handlers
    counts = deliver_due()
    # then retrying cannot help: it is dead at once
    assert counts == {**NOTHING, "dead": 1}
    row = _row(session, message.id)
    assert (row.status, row.attempts) == ("dead", 1)
    assert "unsendable email" in row.last_error
