"""Dates typed by people (date inputs send ``YYYY-MM-DD``)."""

from __future__ import annotations

from datetime import UTC, datetime

from commerce_dash.domain.errors import DomainError


def parse_day(text: str, field: str | None = None) -> datetime | None:
    """Midnight UTC of a ``YYYY-MM-DD`` day; None for an empty field; a DomainError naming
    ``field`` for anything else."""
    text = (text or "").strip()
    try:
        return datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC) if text else None
    except ValueError:
        raise DomainError("invalid_date", "Dates look like 2026-11-22.", field=field) from None
