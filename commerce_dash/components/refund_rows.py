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


def refund_preview_box(steps: Any, note: Any) -> rx.Component:
    """What approving a refund will do, one step a line (the amount paid back, registrations
    cancelled, enrollments ended, the LMS told, certificates revoked by number), or ``note``
    while it is worked out or when it cannot be."""
    return rx.box(
        rx.text("What approving does", size="2", weight="medium"),
        rx.cond(
            note != "",
            rx.text(note, size="2", color_scheme="gray", id="approve-preview-note"),
            rx.el.ul(
                rx.foreach(steps, lambda step: rx.el.li(rx.text(step, size="2"),
                                                        class_name="approve-step")),
                padding_left="1.2em",
                margin="0",
            ),
        ),
        background=rx.color("gray", 2),
        border=f"1px solid {rx.color('gray', 6)}",
        border_radius="var(--radius-3)",
        padding="0.75em",
        width="100%",
        id="approve-preview",
        role="status",  # a polite live region: read out when the preview arrives
    )
