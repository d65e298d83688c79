"""Percentages as people type and read them, stored as whole numbers of a fixed scale.

One parser and one label for every percentage in the app: revenue shares and discount codes
keep basis points (hundredths of a percent, ``BPS``), tax rates keep parts per million of the
amount (ten-thousandths of a percent, ``PPM``). Parsing is exact (Decimal) and reads only ASCII
digits with one decimal point or comma and an optional trailing ``%``: ``Decimal()`` alone would
also take "١.٥", "１.５", "1_0", "1e3" and "NaN".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class PercentScale:
    """How many decimals of a percent one stored unit is."""

    decimals: int

    @property
    def per_percent(self) -> int:
        return 10**self.decimals


BPS = PercentScale(2)  # 1 % = 100 basis points
PPM = PercentScale(4)  # 1 % = 10,000 parts per million

_PERCENT = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)", re.ASCII)


class PercentError(ValueError):
    """Why a text is no percentage: ``not_a_number``, ``too_precise`` or ``out_of_range``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def parse_percent(text: object, scale: PercentScale, *, low: Decimal = Decimal(0),
                  high: Decimal = Decimal(100), low_inclusive: bool = True) -> int:
    """``"12.5"``, ``"12,5 %"`` or ``" 12.50%"`` as whole units of ``scale`` (1250 in BPS).

    Raises PercentError: ``not_a_number`` (empty, letters, other digits), ``out_of_range``
    (outside low..high; ``low`` itself only when ``low_inclusive``) or ``too_precise`` (more
    decimals than the scale keeps). Callers turn it into their own field's message.
    """
    cleaned = (text if isinstance(text, str) else "").strip().removesuffix("%").strip()
    cleaned = cleaned.replace(",", ".")
    if not _PERCENT.fullmatch(cleaned):
        raise PercentError("not_a_number")
    value = Decimal(cleaned)
    if value > high or value < low or (value == low and not low_inclusive):
        raise PercentError("out_of_range")
    units = value * scale.per_percent
    if units != units.to_integral_value():
        raise PercentError("too_precise")
    return int(units)


def percent_label(units: int, scale: PercentScale) -> str:
    """Whole units of ``scale`` as people write the percentage, without trailing zeros and
    without the sign: 1250 BPS -> "12.5", 200000 PPM -> "20", 88750 PPM -> "8.875"."""
    whole, rest = divmod(units, scale.per_percent)
    if not rest:
        return str(whole)
    return f"{whole}.{rest:0{scale.decimals}d}".rstrip("0")
