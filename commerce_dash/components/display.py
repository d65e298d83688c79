"""Money and moments as people read them, the same on every page.

Amounts are integer minor units with their currency (``domain/money.py``); moments use the one
format of ``domain/dates.py`` (``when``: ``2026-05-01 09:30 UTC``; ``DAY``: ``May 01, 2026``).
"""

from __future__ import annotations

from commerce_dash.domain.dates import DAY, WHEN, display_day, when
from commerce_dash.domain.money import Money, format_minor
from commerce_dash.settings import get_settings

__all__ = ["DAY", "WHEN", "display_day", "major_text", "money", "when"]


def money(amount: int, currency: str) -> str:
    """``15000`` USD as ``$150.00`` in the app's locale."""
    return format_minor(amount, currency, get_settings().default_locale)


def major_text(amount: int, currency: str) -> str:
    """Minor units as the text an amount box holds, e.g. ``15000`` USD -> ``150.00``."""
    return str(Money(amount, currency).to_decimal())
