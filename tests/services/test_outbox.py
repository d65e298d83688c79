import random
from datetime import timedelta
from threading import Barrier, Thread

import pytest
from sqlmodel import Session, select

from commerce_dash import outbox
from commerce_dash.db import get_engine
from commerce_dash.domain.access import RoleName
from commerce_dash.domain.actor import Grant
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.errors import DomainError
from commerce_dash.domain.paging import PageRequest
from commerce_dash.models.audit import AuditLog
from commerce_dash.models.delivery import OutboxMessage
from commerce_dash.services.platform import outbox_admin
from tests.conftest import create_user


def _queue(session, n=1, topic="email", max_attempts=None):
    for i in range(n):
        outbox.enqueue(session=session, topic=topic, dedupe_key=f"k-{topic}-{i}",
                       payload={"i": i}, max_attempts=max_attempts)
    session.commit()


def test_a_repeated_dedupe_key_is_stored_once(session):
    first = outbox.enqueue(session=session, topic="email", dedupe_key="order-1:confirm",
                           payload={"a": 1})
    again = outbox.enqueue(session=session, topic="email", dedupe_key="order-1:confirm",
                           payload={"a": 2})
    session.commit()
    assert first is not None and again is None
    rows = session.exec(select(OutboxMessage)).all()
    assert [(r.dedupe_key, r.payload, r.status) for r in rows] == [
        ("order-1:confirm", {"a": 1}, "pending")]


def test_a_message_is_rolled_back_with_the_business_change(session):
    outbox.enqueue(session=session, topic="email", dedupe_key="x", payload={})
    session.rollback()
    assert session.exec(select(OutboxMessage)).all() == []


def test_claimed_messages_are_not_claimed_again_until_the_lease_lapses(session):
    _queue(session, 3)
    first = outbox.claim_due(session=session, worker="w1", limit=10, lease_seconds=60)
    second = outbox.claim_due(session=session, worker="w2", limit=10, lease_seconds=60)
    assert [c.payload["i"] for c in first] == [0, 1, 2] and second == []
    # when w1's lease lapses (it died), w2 takes the messages over
    for row in session.exec(select(OutboxMessage)).all():
        row.claimed_until = utcnow() - timedelta(seconds=1)
        session.add(row)
    session.commit()
    taken = outbox.claim_due(session=session, worker="w2", limit=10)
    assert len(taken) == 3
    # and w1 can no longer settle them
    assert outbox.mark_sent(session=session, message_id=first[0].id, worker="w1") is False
    assert outbox.mark_sent(session=session, message_id=first[0].id, worker="w2") is True


def test_failures_back_off_then_go_dead(session):
    _queue(session, 1, max_attempts=3)
    rng = random.Random(1)
    statuses = []
    for _ in range(3):
        row = session.exec(select(OutboxMessage)).one()
        row.next_attempt_at = utcnow() - timedelta(seconds=1)
        session.add(row)
        session.commit()
        (claimed,) = outbox.claim_due(session=session, worker="w")
        statuses.append(outbox.mark_failed(session=session, message_id=claimed.id, worker="w",
                                           error="503 from receiver", rng=rng))
        if statuses[-1] == "pending":
            row = session.exec(select(OutboxMessage)).one()
            wait = (row.next_attempt_at - utcnow()).total_seconds()
            assert 0 < wait <= 30 * 2 ** (row.attempts - 1)
    assert statuses == ["pending", "pending", "dead"]
    row = session.exec(select(OutboxMessage)).one()
    assert (row.attempts, row.last_error) == (3, "503 from receiver")
    assert outbox.status_counts(session=session)["dead"] == 1


def test_a_permanent_failure_is_dead_at_once(session):
    _queue(session, 1)
    (claimed,) = outbox.claim_due(session=session, worker="w")
    assert outbox.mark_failed(session=session, message_id=claimed.id, worker="w",
                              error="400 bad request", permanent=True) == "dead"


def test_replay_and_discard_are_for_super_admins_and_audited(session):
    root = create_user(session, "root@example.com", grants=(Grant(RoleName.SUPER_ADMIN),))
    billing = create_user(session, "bea@example.com", grants=(Grant(RoleName.BILLING_ADMIN),))
    _queue(session, 2)
    for claimed in outbox.claim_due(session=session, worker="w"):
        outbox.mark_failed(session=session, message_id=claimed.id, worker="w", error="x",
                           permanent=True)
    ids = [r.id for r in session.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all()]
    with pytest.raises(DomainError):
        outbox_admin.replay(session=session, actor=billing, message_id=ids[0])
    replayed = outbox_admin.replay(session=session, actor=root, message_id=ids[0])
    assert (replayed.status, replayed.attempts) == ("pending", 0)
    with pytest.raises(DomainError) as short:
        outbox_admin.discard(session=session, actor=root, message_id=ids[1], reason="no")
    assert short.value.field == "reason"
    outbox_admin.discard(session=session, actor=root, message_id=ids[1], reason="receiver retired")
    listed = outbox_admin.list_messages(session=session, actor=root, page=PageRequest(),
                                  status="discarded")
    assert [m.discarded_reason for m in listed.items] == ["receiver retired"]
    actions = session.exec(select(AuditLog.action).order_by(AuditLog.id)).all()
    assert actions == ["outbox.replayed", "outbox.discarded"]


def test_concurrent_workers_never_claim_the_same_message(session, database):
    # given 200 due messages and 4 workers claiming at once
    _queue(session, 200)
    barrier = Barrier(4)
    claimed: dict[str, list[int]] = {}

    def worker(name: str) -> None:
        with Session(get_engine()) as s:
            barrier.wait(timeout=10)
            mine: list[int] = []
            for _ in range(20):
                batch = outbox.claim_due(session=s, worker=name, limit=15)
                if not batch:
                    break
                mine += [c.id for c in batch]
            claimed[name] = mine

    threads = [Thread(target=worker, args=(f"w{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    # then every message was claimed exactly once
    everything = [i for ids in claimed.values() for i in ids]
    assert len(everything) == 200 and len(set(everything)) == 200
