"""Fixed-window rate limits kept in the database, so every worker shares the same counts.

One statement counts a request in all its buckets at once (an upsert that returns the new
counts), then commits: two round trips per request whatever the number of buckets.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col

from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.errors import DomainError, ErrorKind
from commerce_dash.models.commerce import RateLimitHit

WINDOW_SECONDS = 60


def _window(now: datetime) -> datetime:
    return now.replace(second=0, microsecond=0)


def hit_many(*, session: Session, limits: Mapping[str, int], now: datetime | None = None
             ) -> dict[str, int]:
    """Count one request in each bucket (committed); refuse when any is past its limit."""
    if not limits:
        return {}
    now = now or utcnow()
    start = _window(now)
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    rows = insert(RateLimitHit).values(
        [{"bucket": bucket, "window_start": start, "hits": 1} for bucket in sorted(limits)]
    )
    statement = rows.on_conflict_do_update(
        index_elements=["bucket", "window_start"],
        set_={"hits": RateLimitHit.__table__.c.hits + 1},  # type: ignore[attr-defined]
    ).returning(col(RateLimitHit.bucket), col(RateLimitHit.hits))
    counts = {bucket: int(hits) for bucket, hits in session.execute(statement).all()}
    session.commit()
    for bucket, limit in limits.items():
        if counts.get(bucket, 0) > limit:
            retry = WINDOW_SECONDS - now.second
            raise DomainError(
                "rate_limited",
                f"Too many requests; try again in {retry} seconds.",
                kind=ErrorKind.RATE_LIMITED,
                retry_after_seconds=retry,
            )
    return counts


def hit(*, session: Session, bucket: str, limit: int, now: datetime | None = None) -> int:
    """Count one request in ``bucket`` for this minute (committed); refuse past ``limit``."""
    return hit_many(session=session, limits={bucket: limit}, now=now)[bucket]


def purge(*, session: Session, before: datetime) -> int:
    result = session.execute(delete(RateLimitHit).where(col(RateLimitHit.window_start) < before))
    session.commit()
    return int(result.rowcount)  # type: ignore[attr-defined]
