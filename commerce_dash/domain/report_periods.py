"""Report periods: named presets, inclusive day ranges as UTC bounds, and the day or month
buckets a period is charted in. Pure date arithmetic."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

from commerce_dash.domain.errors import DomainError

SeriesUnit = Literal["day", "month"]
DAILY_UP_TO_DAYS = 62  # longer periods are drawn per month
MAX_DAYS = 3700  # about ten years
PRESETS: dict[str, str] = {
    "last_30_days": "Last 30 days",
    "this_month": "This month",
    "last_month": "Last month",
    "this_year": "This year",
    "custom": "Custom",
}


def period_for(preset: str, today: date) -> tuple[date, date]:
    """First and last day (inclusive) of a named period ending no later than ``today``."""
    if preset == "this_month":
        return today.replace(day=1), today
    if preset == "last_month":
        last = today.replace(day=1) - timedelta(days=1)
        return last.replace(day=1), last
    if preset == "this_year":
        return today.replace(month=1, day=1), today
    return today - timedelta(days=29), today


def check_period(start: date, end: date) -> None:
    if start > end:
        raise DomainError("invalid_period", "The first day must not be after the last day.",
                          field="start")
    if (end - start).days > MAX_DAYS:
        raise DomainError("period_too_long", "Pick a period of at most ten years.",
                          field="start")


def period_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """[start 00:00 UTC, the day after end 00:00 UTC)."""
    return (datetime.combine(start, time.min, tzinfo=UTC),
            datetime.combine(end + timedelta(days=1), time.min, tzinfo=UTC))


def series_unit_for(start: date, end: date) -> SeriesUnit:
    return "day" if (end - start).days + 1 <= DAILY_UP_TO_DAYS else "month"


def buckets(start: date, end: date, unit: SeriesUnit) -> list[str]:
    """Every day or month of the period, as the report names them."""
    if unit == "day":
        return [(start + timedelta(days=i)).isoformat() for i in range((end - start).days + 1)]
    out, year, month = [], start.year, start.month
    while (year, month) <= (end.year, end.month):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out
