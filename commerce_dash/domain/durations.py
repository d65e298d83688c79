"""How long things take, as people read it."""

from __future__ import annotations


def duration_label(minutes: int) -> str:
    """'12 h', '1 h 30 min' or '45 min'; empty when the duration is unknown."""
    if minutes <= 0:
        return ""
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h" if not rest else f"{hours} h {rest} min"
