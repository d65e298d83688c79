"""Cells of a refund request row, shared by the refund queue and an order's refunds card.

Rows are built by ``pages/admin/refunds_state.refund_row`` (``amount``, ``asked``, ``source*``,
``status*``, ``decided_by``, ``decision_reason``, ``last_error``).
"""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.vars import ObjectVar

from commerce_dash.components.badges import row_status_badge
from commerce_dash.components.cells import only_if


def source_badge(row: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.badge(
        row["source_label"],
        color_scheme=row["source_color"].to(str),  # type: ignore[arg-type]
        variant="outline",
        class_name="source-badge",
        data_source=row["source"],
    )


def _small(value: Any, **props: Any) -> rx.Component:
    return only_if(value != "", rx.text(value, size="1", **props))


def decision_lines(row: ObjectVar[dict[str, str]]) -> rx.Component:
    """Status badge, who decided and why, and a failed payment's error."""
    return rx.vstack(
        row_status_badge(row, "refund-status"),
        _small(row["decided_by"], color_scheme="gray"),
        _small(row["decision_reason"], color_scheme="gray", max_width="18em"),
        _small(row["last_error"], color_scheme="red", max_width="18em", class_name="refund-error"),
        spacing="1",
        align="start",
    )


def amount_lines(row: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.vstack(
        rx.text(row["amount"], size="2", weight="medium", white_space="nowrap"),
        _small(
            rx.cond(row["asked"] != "", "of " + row["asked"] + " asked", ""),
            color_scheme="gray",
            white_space="nowrap",
        ),
        spacing="0",
    )
