"""Rate limits (fixed windows, and a sliding estimate over two of them) kept in the database, so every worker shares the same counts.

The buckets of a request are counted by one multi-row upsert that returns their new counts
(a statement compiled once per number of buckets), then committed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from sqlalchemy import TextClause, bindparam, delete, text, update
from sqlmodel import Session, col

from commerce_dash.domain.actor import Actor
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.errors import DomainError, ErrorKind
from commerce_dash.models.base import UTCDateTime
from commerce_dash.models.commerce import RateLimitHit
from commerce_dash.settings import Settings, get_settings

WINDOW_SECONDS = 60
# Portable upsert (Postgres and SQLite >= 3.35 share this syntax), compiled once.
_COUNT = text(
    "INSERT INTO rate_limit_hit (bucket, window_start, hits) VALUES (:bucket, :window_start, 1) "
    "ON CONFLICT (bucket, window_start) DO UPDATE SET hits = rate_limit_hit.hits + 1 "
    "RETURNING hits"
).bindparams(bindparam("window_start", type_=UTCDateTime()))


_COUNT_MANY: dict[int, TextClause] = {}


def _count_many(n: int) -> TextClause:
    """The upsert counting ``n`` buckets at once (bucket_0 .. bucket_n-1), returning each
    bucket with its new count."""
    statement = _COUNT_MANY.get(n)
    if statement is None:
        rows = ", ".join(f"(:bucket_{i}, :window_start, 1)" for i in range(n))
        statement = text(
            f"INSERT INTO rate_limit_hit (bucket, window_start, hits) VALUES {rows} "
            "ON CONFLICT (bucket, window_start) DO UPDATE SET hits = rate_limit_hit.hits + 1 "
            "RETURNING bucket, hits"
        ).bindparams(bindparam("window_start", type_=UTCDateTime()))
        _COUNT_MANY[n] = statement
    return statement


def _window(now: datetime, seconds: int = WINDOW_SECONDS) -> datetime:
    """The start of the fixed window of ``seconds`` that ``now`` falls in (UTC epoch-aligned)."""
    stamp = int(now.timestamp())
    return datetime.fromtimestamp(stamp - stamp % seconds, tz=UTC)


def hit_many(*, session: Session, limits: Mapping[str, int], now: datetime | None = None,
             window_seconds: int = WINDOW_SECONDS) -> dict[str, int]:
    """Count one request in each bucket (committed); refuse when any is past its limit."""
    if not limits:
        return {}
    now = now or utcnow()
    start = _window(now, window_seconds)
    buckets = sorted(limits)  # the same order everywhere: no two requests lock crosswise
    params: dict[str, object] = {f"bucket_{i}": b for i, b in enumerate(buckets)}
    params["window_start"] = start
    counts = {str(bucket): int(hits) for bucket, hits
              in session.execute(_count_many(len(buckets)), params).all()}
    session.commit()
    for bucket, limit in limits.items():
        if counts.get(bucket, 0) > limit:
            retry = max(1, int((start.timestamp() + window_seconds) - now.timestamp()))
            raise DomainError(
                "rate_limited",
                f"Too many requests; try again in {retry} seconds.",
                kind=ErrorKind.RATE_LIMITED,
                retry_after_seconds=retry,
            )
    return counts


def hit(*, session: Session, bucket: str, limit: int, now: datetime | None = None,
        window_seconds: int = WINDOW_SECONDS) -> int:
    """Count one request in ``bucket`` for this window (committed); refuse past ``limit``."""
    return hit_many(session=session, limits={bucket: limit}, now=now,
                    window_seconds=window_seconds)[bucket]


def hit_sliding(*, session: Session, bucket: str, limit: int, window_seconds: int,
                now: datetime | None = None) -> int:
    """Count one request in ``bucket`` (committed); refuse when the sliding window of
    ``window_seconds`` ending now is past ``limit``. The window is estimated from two fixed
    ones (this window's count plus the previous one's, weighted by how much of it still lies
    within the window), so a burst at the end of one fixed window and another at the start of
    the next cannot pass twice the limit. Each request's count comes from one atomic upsert,
    so parallel requests cannot slip past either."""
    now = now or utcnow()
    start = _window(now, window_seconds)
    current = int(session.execute(_COUNT, {"bucket": bucket, "window_start": start}).scalar_one())
    session.commit()
    previous = count_of(session=session, bucket=bucket, window_seconds=window_seconds,
                        now=now - timedelta(seconds=window_seconds))
    left = 1 - (now - start).total_seconds() / window_seconds  # of the previous window
    if current + previous * left <= limit:
        return current
    if current > limit:
        retry = (start.timestamp() + window_seconds) - now.timestamp()
    else:  # the previous window's share has to shrink below what is left of the limit
        retry = (left - (limit - current) / previous) * window_seconds
    raise DomainError("rate_limited", "Too many requests; try again later.",
                      kind=ErrorKind.RATE_LIMITED, retry_after_seconds=max(1, math.ceil(retry)))


def limit_account_mail(*, session: Session, client_ip: str, kind: str) -> None:
    """Requests that email an account (``kind``: register, resend, reset) per client address
    per hour; the hour's count is shared by register and resend."""
    if client_ip:
        hit(session=session, bucket=f"{kind}:client:{client_ip}",
            limit=get_settings().register_per_client_per_hour, window_seconds=3600)


def count_of(*, session: Session, bucket: str, now: datetime | None = None,
             window_seconds: int = WINDOW_SECONDS) -> int:
    """What ``bucket`` has counted in the current window (nothing is counted)."""
    start = _window(now or utcnow(), window_seconds)
    row = session.get(RateLimitHit, (bucket, start))
    return row.hits if row is not None else 0


def give_back(*, session: Session, bucket: str, now: datetime | None = None,
              window_seconds: int = WINDOW_SECONDS) -> None:
    """Take one back from ``bucket``'s current window (a counted attempt that went well;
    caller commits)."""
    start = _window(now or utcnow(), window_seconds)
    session.execute(update(RateLimitHit).where(
        col(RateLimitHit.bucket) == bucket, col(RateLimitHit.window_start) == start,
        col(RateLimitHit.hits) > 0).values(hits=RateLimitHit.hits - 1))


def purge(*, session: Session, before: datetime) -> int:
    result = session.execute(delete(RateLimitHit).where(col(RateLimitHit.window_start) < before))
    session.commit()
    return int(result.rowcount)  # type: ignore[attr-defined]


def _client(actor_ip: str, settings: Settings) -> dict[str, int]:
    return {f"client:{actor_ip}": settings.client_rate_limit_per_minute} if actor_ip else {}


def limit_checkout(*, session: Session, actor: Actor) -> None:
    """Checkouts per learner and calls per client address (the API and the pages alike)."""
    settings = get_settings()
    hit_many(session=session, limits={f"checkout:{actor.user_id}":
                                      settings.checkout_rate_limit_per_minute,
                                      **_client(actor.client_ip, settings)})


def limit_payment(*, session: Session, actor: Actor) -> None:
    """Payment attempts per learner (a card tested again and again against an intent) and
    calls per client address (the API and the pages alike)."""
    settings = get_settings()
    hit_many(session=session, limits={f"payment:{actor.user_id}":
                                      settings.payment_rate_limit_per_minute,
                                      **_client(actor.client_ip, settings)})


def limit_code_attempt(*, session: Session, client_ip: str, cart_key: str) -> None:
    """Discount codes tried per client address and per cart, so codes cannot be guessed."""
    settings = get_settings()
    limits = {f"code:cart:{cart_key}": settings.code_attempts_per_minute}
    if client_ip:
        limits[f"code:client:{client_ip}"] = settings.code_attempts_per_minute
    hit_many(session=session, limits=limits)
