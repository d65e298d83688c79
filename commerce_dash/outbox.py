"""The transactional outbox: enqueue with the business change, claim, settle, hold, release.

Messages are written in the caller's transaction. Delivery happens outside any transaction:
a worker claims due rows (``FOR UPDATE SKIP LOCKED`` on Postgres, a conditional UPDATE on
SQLite), commits the claim, sends, then records the outcome in a new transaction. A claim
carries a lease, so a worker that dies mid-delivery frees its messages when the lease lapses;
delivery is therefore at least once, and every message carries a stable dedupe key for the
receiver. Infrastructure: it imports no service (replaying and discarding, which an admin does
and the audit log records, are in ``services/platform/outbox_admin.py``).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.retry import backoff_seconds
from commerce_dash.models.delivery import OutboxMessage
from commerce_dash.settings import get_settings

# held: waiting, but not to be sent until released (a disputed order's payout messages)
STATUSES = ("pending", "sending", "sent", "dead", "discarded", "held")


class DeliveryError(Exception):
    """A delivery attempt failed.

    ``permanent`` says whether trying again can help: a refused recipient or a 4xx answer
    will fail the same way next time, a dropped connection or a 5xx may not.
    """

    def __init__(self, message: str, permanent: bool) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent

    def __repr__(self) -> str:
        return f"DeliveryError({self.message!r}, permanent={self.permanent})"


@dataclass(frozen=True)
class Claimed:
    id: int
    topic: str
    dedupe_key: str
    payload: dict[str, Any]
    attempts: int


def enqueue(
    *, session: Session, topic: str, dedupe_key: str, payload: dict[str, Any],
    max_attempts: int | None = None,
) -> OutboxMessage | None:
    """Add a message to the caller's transaction; a repeated dedupe key adds nothing."""
    postgres = session.get_bind().dialect.name == "postgresql"
    if not postgres and session.exec(
        select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key)
    ).first() is not None:
        return None
    message = OutboxMessage(
        topic=topic, dedupe_key=dedupe_key, payload=payload, next_attempt_at=utcnow(),
        max_attempts=max_attempts or get_settings().outbox_max_attempts,
    )
    if not postgres:
        # SQLite runs one writer at a time, and its driver cannot nest a SAVEPOINT inside
        # the caller's transaction; the check above is enough there.
        session.add(message)
        return message
    try:
        with session.begin_nested():
            session.add(message)
    except IntegrityError:  # the same key was enqueued concurrently: it is already there
        return None
    return message


def _due(now: datetime):  # type: ignore[no-untyped-def]
    return or_(
        and_(col(OutboxMessage.status) == "pending", col(OutboxMessage.next_attempt_at) <= now),
        and_(col(OutboxMessage.status) == "sending", col(OutboxMessage.claimed_until) < now),
    )


def claim_due(
    *, session: Session, worker: str, limit: int = 50, lease_seconds: int = 60,
    topic_prefix: str = "",
) -> list[Claimed]:
    """Claim up to ``limit`` due messages for ``worker`` and commit the claim."""
    now = utcnow()
    until = now + timedelta(seconds=lease_seconds)
    query = select(OutboxMessage.id).where(_due(now))
    if topic_prefix:
        query = query.where(col(OutboxMessage.topic).startswith(topic_prefix))
    query = query.order_by(col(OutboxMessage.next_attempt_at), col(OutboxMessage.id)).limit(limit)
    postgres = session.get_bind().dialect.name == "postgresql"
    if postgres:
        query = query.with_for_update(skip_locked=True)
    ids = [int(i) for i in session.exec(query).all() if i is not None]
    claimed_ids: list[int] = []
    for message_id in ids:
        # On SQLite this conditional UPDATE is the claim: only one writer can flip the row.
        result = session.execute(
            update(OutboxMessage)
            .where(col(OutboxMessage.id) == message_id, _due(now))
            .values(status="sending", claimed_by=worker, claimed_until=until)
        )
        if result.rowcount == 1:  # type: ignore[attr-defined]
            claimed_ids.append(message_id)
    session.commit()
    if not claimed_ids:
        return []
    rows = session.exec(
        select(OutboxMessage).where(col(OutboxMessage.id).in_(claimed_ids))
        .order_by(col(OutboxMessage.id))
    ).all()
    return [Claimed(r.id or 0, r.topic, r.dedupe_key, r.payload or {}, r.attempts) for r in rows]


def _mine(session: Session, message_id: int, worker: str) -> OutboxMessage | None:
    row = session.exec(
        select(OutboxMessage).where(
            OutboxMessage.id == message_id, OutboxMessage.status == "sending",
            OutboxMessage.claimed_by == worker,
        ).with_for_update()
    ).first()
    return row


def mark_sent(*, session: Session, message_id: int, worker: str) -> bool:
    """Record a delivery; False when the claim was lost (another worker took over)."""
    row = _mine(session, message_id, worker)
    if row is None:
        session.rollback()
        return False
    row.status, row.attempts, row.sent_at = "sent", row.attempts + 1, utcnow()
    row.claimed_until, row.last_error = None, ""
    session.add(row)
    session.commit()
    return True


def mark_failed(
    *, session: Session, message_id: int, worker: str, error: str, permanent: bool = False,
    rng: random.Random | None = None,
) -> str:
    """Record a failed attempt: back to pending with backoff, or dead. Returns the new status."""
    row = _mine(session, message_id, worker)
    if row is None:
        session.rollback()
        return "lost"
    now = utcnow()
    row.attempts += 1
    row.last_error = error[:4000]
    row.claimed_until = None
    if permanent or row.attempts >= row.max_attempts:
        row.status, row.dead_at = "dead", now
    else:
        wait = backoff_seconds(row.attempts, (rng or random).randrange(1000),
                               base=get_settings().outbox_backoff_base_seconds)
        row.status, row.next_attempt_at = "pending", now + timedelta(seconds=wait)
    session.add(row)
    session.commit()
    return row.status


def hold(*, session: Session, dedupe_keys: Sequence[str]) -> int:
    """Keep waiting messages from being sent until :func:`release` (caller's transaction)."""
    if not dedupe_keys:
        return 0
    return int(session.execute(update(OutboxMessage).where(
        col(OutboxMessage.dedupe_key).in_(dedupe_keys), col(OutboxMessage.status) == "pending",
    ).values(status="held")).rowcount)  # type: ignore[attr-defined]


def release(*, session: Session, dedupe_keys: Sequence[str]) -> int:
    """Held messages go out again, at once (caller's transaction)."""
    if not dedupe_keys:
        return 0
    return int(session.execute(update(OutboxMessage).where(
        col(OutboxMessage.dedupe_key).in_(dedupe_keys), col(OutboxMessage.status) == "held",
    ).values(status="pending", next_attempt_at=utcnow())).rowcount)  # type: ignore[attr-defined]


def status_counts(*, session: Session) -> dict[str, int]:
    """How many messages are in each status (dead ones show on the admin overview)."""
    rows = session.exec(
        select(OutboxMessage.status, func.count()).group_by(col(OutboxMessage.status))
    ).all()
    counts = dict.fromkeys(STATUSES, 0)
    counts.update({s: int(n) for s, n in rows})
    return counts
