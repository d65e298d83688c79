"""Status badges for rows whose state dict carries ``status``, ``status_label`` and
``status_color``."""

from __future__ import annotations

import reflex as rx
from reflex.vars import ObjectVar


def row_status_badge(row: ObjectVar[dict[str, str]], class_name: str) -> rx.Component:
    return rx.badge(
        row["status_label"],
        color_scheme=row["status_color"].to(str),  # type: ignore[arg-type]
        variant="soft",
        class_name=class_name,
        data_status=row["status"],
    )
