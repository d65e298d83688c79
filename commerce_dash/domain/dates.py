"""Dates typed by people (date inputs send ``YYYY-MM-DD``) and dates shown to them: one format
for a moment (``WHEN``) and one for a day (``DAY``) everywhere."""

from __future__ import annotations

from datetime import UTC, date, datetime

from commerce_dash.domain.errors import DomainError

WHEN = "%Y-%m-%d %H:%M UTC"
DAY = "%b %d, %Y"


def parse_day(text: str, field: str | None = None) -> datetime | None:
    """Midnight UTC of a ``YYYY-MM-DD`` day; None for an empty field; a DomainError naming
    ``field`` for anything else."""
    text = (text or "").strip()
    try:
        return datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC) if text else None
    except ValueError:
        raise DomainError("invalid_date", "Dates look like 2026-11-22.", field=field) from None


def when(value: datetime | None, fmt: str = WHEN) -> str:
    """A moment as people read it ("" for none)."""
    return value.strftime(fmt) if value else ""


def display_day(iso_day: str) -> str:
    """``2025-03-04`` as ``Mar 04, 2025``; anything else unchanged."""
    try:
        return date.fromisoformat(iso_day).strftime(DAY)
    except ValueError:
        return iso_day
