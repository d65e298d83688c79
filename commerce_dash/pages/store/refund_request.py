"""Asking for a refund from an order page: the learner's "Refunds" card on the receipt.

Its state is ``refund_request_state.py``; the request form is ``components/refund_form.py``.
"""

from __future__ import annotations

import reflex as rx
from reflex.vars import ObjectVar

from commerce_dash.components.badges import row_status_badge
from commerce_dash.components.refund_form import refund_form_dialog
from commerce_dash.pages.store.refund_request_state import RefundRequestState


def _my_refund(row: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.box(
        rx.hstack(
            rx.vstack(
                rx.text(row["amount"], weight="medium"),
                rx.text(row["items"], size="1", color_scheme="gray"),
                rx.text(
                    "Asked on ", row["date"], ": ", row["reason"], size="1", color_scheme="gray"
                ),
                spacing="1",
                align="start",
                min_width="0",
            ),
            rx.spacer(),
            row_status_badge(row, "refund-status"),
            align="start",
            width="100%",
        ),
        rx.cond(
            row["decision_reason"] != "",
            rx.callout(
                row["decision_reason"],
                icon="info",
                color_scheme="gray",
                size="1",
                margin_top="0.5em",
                class_name="refund-decision",
            ),
            rx.fragment(),
        ),
        padding_y="0.75em",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
        width="100%",
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
        rx.card(
            rx.vstack(
                rx.hstack(
                    rx.heading("Refunds", size="4"),
                    rx.spacer(),
                    rx.cond(
                        s.refund_can_request,
                        rx.button(
                            rx.icon("undo-2", size=16),
                            "Request a refund",
                            variant="soft",
                            on_click=s.open_refund,
                            id="request-refund",
                        ),
                        rx.fragment(),
                    ),
                    align="center",
                    width="100%",
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
                    rx.fragment(),
                ),
                width="100%",
            ),
            width="100%",
            id="refunds-card",
        ),
        rx.fragment(),
    )
