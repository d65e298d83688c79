"""Fixed-window rate limits kept in the database, so every worker shares the same counts.

Each bucket is counted by one upsert that returns the new count (a statement compiled once),
then the counts are committed together.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import bindparam, delete, text
from sqlmodel import Session, col

from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.errors import DomainError, ErrorKind
from commerce_dash.models.base import UTCDateTime
from commerce_dash.models.commerce import RateLimitHit

WINDOW_SECONDS = 60
# Portable upsert (Postgres and SQLite >= 3.35 share this syntax), compiled once.
_COUNT = text(
    "INSERT INTO rate_limit_hit (bucket, window_start, hits) VALUES (:bucket, :window_start, 1) "
    "ON CONFLICT (bucket, window_start) DO UPDATE SET hits = rate_limit_hit.hits + 1 "
    "RETURNING hits"
).bindparams(bindparam("window_start", type_=UTCDateTime()))


def _window(now: datetime) -> datetime:
    return now.replace(second=0, microsecond=0)


def hit_many(*, session: Session, limits: Mapping[str, int], now: datetime | None = None
             ) -> dict[str, int]:
    """Count one request in each bucket (committed); refuse when any is past its limit."""
    if not limits:
        return {}
    now = now or utcnow()
    start = _window(now)
    counts = {
        bucket: int(session.execute(_COUNT, {"bucket": bucket, "window_start": start}).scalar_one())
        for bucket in sorted(limits)
    }
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
