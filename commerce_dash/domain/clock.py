"""Time helpers: the app stores and compares timezone-aware UTC datetimes only."""

from __future__ import annotations

from datetime import UTC, date, datetime

# Dates the app takes from people and callers: wide enough for any real record, narrow
# enough that a day added or a time zone applied can never leave what datetime can hold.
EARLIEST_DAY = date(1900, 1, 1)
LATEST_DAY = date(2999, 12, 31)


def utcnow() -> datetime:
    """The current time as an aware UTC datetime."""
    return datetime.now(UTC)


def ensure_utc(value: datetime) -> datetime:
    """Return ``value`` in UTC; naive datetimes are refused rather than guessed."""
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise ValueError("naive datetime: pass a timezone-aware value")
    return value.astimezone(UTC)


def supported_day(value: date) -> date:
    """``value`` when it lies between EARLIEST_DAY and LATEST_DAY (a datetime by its own
    calendar day); a ValueError naming the range otherwise."""
    day = value.date() if isinstance(value, datetime) else value
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        raise ValueError(f"must be between {EARLIEST_DAY.isoformat()} and "
                         f"{LATEST_DAY.isoformat()}")
    return value
