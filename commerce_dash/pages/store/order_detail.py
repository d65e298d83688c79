"""One order of the learner as a printable receipt (/account/orders/[number]).

``ReceiptMixin`` and ``receipt_card`` are shared with the admin order page. A container page:
it also shows the refunds card of ``refund_request.py``.
"""

from __future__ import annotations

from typing import Any, cast

import reflex as rx
from reflex.vars import ObjectVar

from commerce_dash import routes
from commerce_dash.components.badges import field_badge
from commerce_dash.components.store_item import found_page, reading_column
from commerce_dash.components.store_panels import (
    back_link,
    empty_card,
    icon_label_button,
    icon_link_button,
)
from commerce_dash.components.tables import stacked_table
from commerce_dash.pages.store.order_detail_state import (
    OrderDetailState,
    ReceiptMixin,
)
from commerce_dash.pages.store.order_documents import order_documents
from commerce_dash.pages.store.refund_request import refund_card


def _amount_row(label: Any, amount: Any, *, strong: bool = False, color: str = "") -> rx.Component:
    weight = "bold" if strong else "regular"
    size = "4" if strong else "2"
    extra = {"color_scheme": color} if color else {}
    return rx.hstack(
        rx.text(label, size=size, weight=weight, **extra),
        rx.spacer(),
        rx.text(amount, size=size, weight=weight, **extra),
        width="100%",
    )


def _line_row(line: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.vstack(
                rx.text(line["title"], weight="medium"),
                # what the line included: "Includes 2 private sessions (60 min), ..."
                rx.cond(line["credits_note"],
                        rx.text(line["credits_note"], size="1", color_scheme="green",
                                class_name="line-credits")),
                rx.text(line["kind"], size="1", color_scheme="gray"),
                rx.cond(line["note"] != "",
                        rx.text(line["note"], size="1", color_scheme="gray")),
                spacing="0",
            )
        ),
        rx.table.cell(rx.text(line["list"], size="2"), text_align="right"),
        rx.table.cell(
            rx.cond(line["discount"] != "", rx.text("−", line["discount"], size="2"), "—"),
            text_align="right",
        ),
        rx.table.cell(
            rx.cond(line["tax"] != "", rx.text(line["tax"], size="2"), "—"), text_align="right"
        ),
        rx.table.cell(rx.text(line["total"], size="2", weight="medium"), text_align="right"),
        class_name="order-line",
    )


def _kv(label: str, value: Any) -> rx.Component:
    return rx.cond(
        value != "",
        rx.hstack(
            rx.text(label, size="2", color_scheme="gray", min_width="9em"),
            rx.text(value, size="2"),
            spacing="2",
            wrap="wrap",
        ),
    )


def receipt_var(state: type[ReceiptMixin]) -> ObjectVar[dict[str, str]]:
    return cast(ObjectVar[dict[str, str]], state.receipt)


def receipt_card(state: type[ReceiptMixin], *, admin: bool = False) -> rx.Component:
    """The receipt: header, lines, totals, currency, payment; ``admin`` adds payment ids."""
    r = receipt_var(state)
    header = rx.hstack(
        rx.vstack(
            rx.text("Receipt", size="1", color_scheme="gray", weight="medium"),
            rx.heading(r["number"], size="5", id="order-number"),
            rx.text("Placed ", r["placed_at"], size="2", color_scheme="gray"),
            spacing="1",
        ),
        rx.spacer(),
        rx.vstack(
            field_badge(r, "status"),
            rx.text(r["learner_name"], size="2", weight="medium"),
            rx.text(r["learner_email"], size="2", color_scheme="gray"),
            align="end",
            spacing="1",
        ),
        width="100%",
        wrap="wrap",
    )
    lines = rx.box(
        rx.table.root(
            rx.table.header(
                rx.table.row(
                    rx.table.column_header_cell("Item"),
                    rx.table.column_header_cell("Price", text_align="right"),
                    rx.table.column_header_cell("Discount", text_align="right"),
                    rx.table.column_header_cell("Tax", text_align="right"),
                    rx.table.column_header_cell("Total", text_align="right"),
                )
            ),
            rx.table.body(rx.foreach(state.lines, _line_row)),
            width="100%",
        ),
        overflow_x="auto",
        width="100%",
        **stacked_table(("Item", "Price", "Discount", "Tax", "Total")),
    )
    totals = rx.vstack(
        _amount_row("Subtotal", r["subtotal"]),
        rx.cond(
            state.has_discount,
            _amount_row(
                rx.cond(
                    r["discount_code"] != "", "Discount (" + r["discount_code"] + ")", "Discount"
                ),
                "−" + r["discount"],
            ),
        ),
        rx.cond(
            state.tax_rates.length() > 0,
            rx.foreach(state.tax_rates, lambda rate: _amount_row(rate[0], rate[1])),
            rx.cond(state.has_tax, _amount_row(r["tax_name"], r["tax"])),
        ),
        rx.divider(),
        _amount_row("Total (" + r["currency"] + ")", r["total"], strong=True),
        rx.cond(
            state.has_refund, _amount_row("Refunded", "−" + r["refunded"], color="violet"),
        ),
        rx.cond(
            state.shows_display,
            rx.text(
                "Shown to you as ",
                r["display_total"],
                " at ",
                r["exchange_rate"],
                rx.cond(
                    r["exchange_rate_at"] != "", " (rate of " + r["exchange_rate_at"] + ")", ""
                ),
                size="1",
                color_scheme="gray",
                id="display-currency",
            ),
        ),
        rx.cond(
            r["settlement"] != "",
            rx.text(r["settlement"], size="1", color_scheme="gray", id="settlement-currency"),
        ),
        spacing="2",
        width="100%",
        max_width="360px",
        margin_left="auto",
        id="order-totals",
    )
    payment = rx.vstack(
        rx.hstack(
            rx.heading("Payment", size="3"),
            field_badge(r, "payment_status"),
            align="center",
            spacing="2",
        ),
        rx.cond(
            state.has_payment,
            rx.vstack(
                _kv("Processor", r["processor"]),
                _kv("Card", r["card"]),
                _kv("Amount", r["payment_amount"]),
                _kv("Paid on", r["processed_at"]),
                _kv("Payment id", r["intent_id"]) if admin else rx.fragment(),
                spacing="1",
            ),
            rx.text("No payment has been started for this order.", size="2", color_scheme="gray"),
        ),
        _kv("Billing address", r["billing"]),
        _kv("Tax source", r["tax_source"]) if admin else rx.fragment(),
        rx.cond(
            state.payment_failed if admin else state.payment_failed & ~state.can_retry,
            rx.callout(
                r["failure_reason"],
                icon="triangle_alert",
                color_scheme="red",
                width="100%",
                id="payment-failure",
            ),
        ),
        spacing="2",
        width="100%",
    )
    return rx.card(
        rx.vstack(header, rx.divider(), lines, totals, rx.divider(), payment, spacing="4"),
        width="100%",
        id="receipt",
    )


def missing_panel(message: Any, back_href: str, back_label: str) -> rx.Component:
    return empty_card(
        "order-not-found",
        "search-x",
        "Order not found",
        "Check the order number and try again.",
        rx.text(message, size="2", color_scheme="gray"),
        icon_link_button("arrow-left", back_label, back_href),
    )


def order_detail_page() -> rx.Component:
    s = OrderDetailState
    actions = rx.hstack(
        back_link("My orders", routes.ORDERS),
        rx.spacer(),
        rx.cond(
            s.can_retry,
            rx.link(
                icon_label_button("credit-card", "Try again", color_scheme="red"),
                href=receipt_var(s)["retry_href"],
                id="retry-payment",
            ),
        ),
        icon_label_button(
            "printer",
            "Print receipt",
            variant="soft",
            on_click=s.print_receipt,
            id="print-receipt",
        ),
        align="center",
        width="100%",
        wrap="wrap",
        spacing="3",
    )
    return found_page(
        s.found,
        reading_column(
            actions,
            rx.cond(
                s.can_retry,
                rx.callout.root(
                    rx.callout.icon(rx.icon("credit-card")),
                    rx.callout.text(
                        "Your payment did not go through: ",
                        receipt_var(s)["failure_reason"],
                        " You can try again with another card.",
                    ),
                    color_scheme="amber",
                    width="100%",
                    id="retry-callout",
                ),
            ),
            receipt_card(s),
            order_documents(),  # issue 19: invoice and credit notes
            refund_card(),
        ),
        missing_panel(s.missing_message, routes.ORDERS, "Back to my orders"),
    )
