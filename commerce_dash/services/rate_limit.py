"""Fixed-window rate limits kept in the database, so every worker shares the same counts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.errors import DomainError, ErrorKind
from commerce_dash.models.commerce import RateLimitHit

WINDOW_SECONDS = 60


def _window(now: datetime) -> datetime:
    return now.replace(second=0, microsecond=0)


def hit(*, session: Session, bucket: str, limit: int, now: datetime | None = None) -> int:
    """Count one request in ``bucket`` for this minute (committed); refuse past ``limit``."""
    now = now or utcnow()
    start = _window(now)
    for _ in range(3):
        counted = session.execute(
            update(RateLimitHit)
            .where(col(RateLimitHit.bucket) == bucket, col(RateLimitHit.window_start) == start)
            .values(hits=RateLimitHit.hits + 1)
            .returning(col(RateLimitHit.hits))
        ).scalar()
        if counted is None:
            session.add(RateLimitHit(bucket=bucket, window_start=start, hits=1))
            try:
                session.commit()
            except IntegrityError:  # another worker opened the window first
                session.rollback()
                continue
            counted = 1
        else:
            session.commit()
        if counted > limit:
            retry = WINDOW_SECONDS - now.second
            raise DomainError(
                "rate_limited",
                f"Too many requests; try again in {retry} seconds.",
                kind=ErrorKind.RATE_LIMITED,
                retry_after_seconds=retry,
            )
        return int(counted)
    raise DomainError("rate_limited", "Too many requests; try again shortly.",
                      kind=ErrorKind.RATE_LIMITED, retry_after_seconds=5)


def purge(*, session: Session, before: datetime) -> int:
    from sqlalchemy import delete

    result = session.execute(delete(RateLimitHit).where(col(RateLimitHit.window_start) < before))
    session.commit()
    return int(result.rowcount)  # type: ignore[attr-defined]
