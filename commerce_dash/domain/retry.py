"""Retry timing for deliveries: exponential backoff with jitter, and what counts as final."""

from __future__ import annotations

BASE_SECONDS = 30
CAP_SECONDS = 6 * 3600


def backoff_seconds(
    attempt: int, jitter_permille: int, *, base: int = BASE_SECONDS, cap: int = CAP_SECONDS
) -> int:
    """Seconds to wait after failed attempt number ``attempt`` (1-based).

    The delay doubles per attempt up to ``cap``; "equal jitter" keeps half of it fixed and
    spreads the other half by ``jitter_permille`` (0..999, from the caller's random source),
    so retries of many messages do not arrive together. Integer arithmetic only.
    """
    if attempt < 1:
        raise ValueError("attempt counts from 1")
    if not 0 <= jitter_permille < 1000:
        raise ValueError("jitter_permille is in 0..999")
    delay = min(cap, base * 2 ** (attempt - 1))
    half = delay // 2
    return half + (delay - half) * jitter_permille // 1000


def retry_schedule(
    max_attempts: int, *, base: int = BASE_SECONDS, cap: int = CAP_SECONDS
) -> list[tuple[int, int]]:
    """(shortest, longest) wait after each failed attempt before the message goes dead."""
    return [
        (backoff_seconds(a, 0, base=base, cap=cap), min(cap, base * 2 ** (a - 1)))
        for a in range(1, max_attempts)
    ]


def is_permanent_http_failure(status: int) -> bool:
    """A 4xx other than 408 (timeout) and 429 (slow down) will not succeed on retry."""
    return 400 <= status < 500 and status not in (408, 429)
