"""Asking for a refund from an order page: the learner's "Refunds" card on the receipt.

Its state is ``refund_request_state.py``; the request form is ``components/refund_form.py``.
"""

from __future__ import annotations

import reflex as rx
from reflex.vars import ObjectVar

from commerce_dash.components.badges import row_status_badge
from commerce_dash.components.refund_form import refund_form_dialog
from commerce_dash.components.store_panels import (
    card_column,
    card_title,
    icon_label_button,
    reason_note,
    status_row,
)
from commerce_dash.pages.store.refund_request_state import RefundRequestState


def _my_refund(row: ObjectVar[dict[str, str]]) -> rx.Component:
    return status_row(
        rx.vstack(
            rx.text(row["amount"], weight="medium"),
            rx.text(row["items"], size="1", color_scheme="gray"),
            rx.text("Asked on ", row["date"], ": ", row["reason"], size="1", color_scheme="gray"),
            spacing="1",
            align="start",
            min_width="0",
        ),
        row_status_badge(row, "refund-status"),
        reason_note(row["decision_reason"], "gray", "refund-decision"),
        class_name="my-refund",
        data_status=row["status"],
    )


def refund_card() -> rx.Component:
    """The receipt's "Refunds" card: the requests, and the button to ask for one."""
    s = RefundRequestState
    return rx.fragment(_card(), refund_form_dialog(s))


def _card() -> rx.Component:
    s = RefundRequestState
    return rx.cond(
        s.refunds_loaded & ((s.my_refunds.length() > 0) | s.refund_can_request),
        card_column(
            card_title(
                "Refunds",
                rx.cond(
                    s.refund_can_request,
                    icon_label_button(
                        "undo-2",
                        "Request a refund",
                        variant="soft",
                        on_click=s.open_refund,
                        id="request-refund",
                    ),
                ),
                wrap="wrap",
            ),
            rx.cond(
                s.my_refunds.length() > 0,
                rx.vstack(rx.foreach(s.my_refunds, _my_refund), spacing="0", width="100%"),
                rx.text(
                    "No refund asked for yet. If the order was not what you expected, "
                    "request a refund: a billing administrator reviews it and you are "
                    "emailed the decision.",
                    size="2",
                    color_scheme="gray",
                ),
            ),
            rx.cond(
                s.refund_waiting,
                rx.text(
                    "Your request is waiting for a decision; you can ask again once it "
                    "is decided.",
                    size="2",
                    color_scheme="gray",
                    id="refund-waiting",
                ),
            ),
            id="refunds-card",
        ),
    )
