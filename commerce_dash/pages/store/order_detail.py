"""One order of the learner as a printable receipt (/account/orders/[number]).

``ReceiptMixin`` and ``receipt_card`` are shared with the admin order page.
"""

from __future__ import annotations

from typing import Any, cast
from urllib.parse import quote

import reflex as rx
from reflex.vars import ObjectVar

from commerce_dash import routes
from commerce_dash.components.catalog_card import loading_panel
from commerce_dash.components.shell import store_shell
from commerce_dash.components.tables import empty_state
from commerce_dash.db import session_scope
from commerce_dash.domain.dates import DAY, when
from commerce_dash.domain.errors import DomainError
from commerce_dash.pages.store.orders import status_badge, status_fields
from commerce_dash.pages.store.refund_request import RefundRequestState, refund_card
from commerce_dash.routes import order_href
from commerce_dash.services.commerce import orders as orders_service
from commerce_dash.state.auth import AuthState
from commerce_dash.state.route_args import route_number

ITEM_TYPE_LABELS = {"course": "Course", "program": "Program", "subscription": "Subscription"}


def receipt_fields(detail: orders_service.OrderDetail) -> dict[str, str]:
    """Everything the receipt card shows, as the plain strings a state var holds."""
    payment = detail.payment
    region = ", ".join(p for p in (detail.billing_region, detail.billing_country) if p)
    fields = {
        "number": detail.number,
        "date": when(detail.created_at, DAY),
        "placed_at": when(detail.created_at),
        "completed_at": when(detail.completed_at),
        "learner_name": detail.learner_name,
        "learner_email": detail.learner_email,
        "subtotal": detail.subtotal_label,
        "discount_code": detail.discount_code,
        "discount": detail.discount_label,
        "tax_name": detail.tax_name or "Tax",
        "tax": detail.tax_amount_label,
        "total": detail.total_label,
        "currency": detail.currency,
        "refunded": detail.refunded_label,
        "display_total": detail.display_total_label,
        "exchange_rate": detail.exchange_rate_label,
        "exchange_rate_at": when(detail.exchange_rate_at),
        "settlement": detail.settlement_label if not detail.shows_display_currency else "",
        "billing": region,
        "processor": (payment.processor if payment else detail.processor).title(),
        "card": f"•••• {payment.card_last4}" if payment and payment.card_last4 else "",
        "intent_id": payment.intent_id if payment else "",
        "processed_at": when(payment.processed_at) if payment else "",
        "failure_reason": detail.retry_reason,
        "payment_amount": payment.amount_label if payment else "",
        "retry_href": f"{routes.CHECKOUT}/{quote(detail.number, safe='')}",
        **status_fields("status", detail.status),
        **status_fields("payment_status", payment.status if payment else detail.payment_status),
    }
    return fields


def line_fields(line: orders_service.OrderLineView) -> dict[str, str]:
    return {
        "title": line.title,
        "kind": ITEM_TYPE_LABELS.get(line.item_type, line.item_type.title()),
        "list": line.list_label,
        "discount": line.discount_label if line.discount_amount else "",
        "tax": line.tax_label if line.tax_amount else "",
        "total": line.total_label,
        "note": line.note,
    }


class ReceiptMixin(rx.State, mixin=True):
    """The order shown by a receipt card; ``_show`` fills it from an ``OrderDetail``."""

    found: rx.Field[str] = rx.field("loading")  # loading | found | missing
    missing_message: rx.Field[str] = rx.field("")
    order_number: rx.Field[str] = rx.field("")
    receipt: rx.Field[dict[str, str]] = rx.field(default_factory=dict)
    lines: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    has_discount: rx.Field[bool] = rx.field(False)
    has_tax: rx.Field[bool] = rx.field(False)
    has_refund: rx.Field[bool] = rx.field(False)
    shows_display: rx.Field[bool] = rx.field(False)
    has_payment: rx.Field[bool] = rx.field(False)
    can_retry: rx.Field[bool] = rx.field(False)
    payment_failed: rx.Field[bool] = rx.field(False)

    def _show(self, detail: orders_service.OrderDetail) -> None:
        self.found = "found"
        self.missing_message = ""
        self.order_number = detail.number
        self.receipt = receipt_fields(detail)
        self.lines = [line_fields(line) for line in detail.lines]
        self.has_discount = detail.discount_amount > 0
        self.has_tax = detail.tax_amount > 0 or bool(detail.tax_name)
        self.has_refund = detail.refunded_amount > 0
        self.shows_display = detail.shows_display_currency
        self.has_payment = detail.payment is not None
        self.can_retry = detail.can_retry
        self.payment_failed = bool(detail.retry_reason) and (
            detail.payment is None or detail.payment.status == "failed"
        )

    def _missing(self, number: str, message: str) -> None:
        self.found = "missing"
        self.order_number = number
        self.missing_message = message
        self.receipt, self.lines = {}, []


class OrderDetailState(ReceiptMixin, AuthState):
    @rx.event
    def load(self):  # type: ignore[no-untyped-def]
        number = route_number(self, routes.ORDERS)
        self.load_session()
        if not self.signed_in:
            yield rx.redirect(f"{routes.LOGIN}?next={quote(order_href(number), safe='/')}")
            return
        if self.found != "loading" and number.upper() != self.order_number.upper():
            self.found = "loading"  # never show the previous order under this address
            yield
        actor = self.current_actor()
        if actor is None:
            yield rx.redirect(f"{routes.LOGIN}?next={quote(order_href(number), safe='/')}")
            return
        try:
            with session_scope() as session:
                detail = orders_service.order_detail(
                    session=session, number=number, user_id=actor.user_id
                )
        except DomainError as exc:
            self._missing(number, exc.message)
            return
        self._show(detail)
        yield RefundRequestState.load

    @rx.event
    def print_receipt(self):  # type: ignore[no-untyped-def]
        return rx.call_script("window.print()")


# -- receipt components -----------------------------------------------------------------------


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
                rx.text(line["kind"], size="1", color_scheme="gray"),
                rx.cond(line["note"] != "",
                        rx.text(line["note"], size="1", color_scheme="gray"), rx.fragment()),
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
        rx.fragment(),
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
            status_badge(r, "status"),
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
            rx.fragment(),
        ),
        rx.cond(state.has_tax, _amount_row(r["tax_name"], r["tax"]), rx.fragment()),
        rx.divider(),
        _amount_row("Total (" + r["currency"] + ")", r["total"], strong=True),
        rx.cond(
            state.has_refund, _amount_row("Refunded", "−" + r["refunded"], color="violet"),
            rx.fragment(),
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
            rx.fragment(),
        ),
        rx.cond(
            r["settlement"] != "",
            rx.text(r["settlement"], size="1", color_scheme="gray", id="settlement-currency"),
            rx.fragment(),
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
            status_badge(r, "payment_status"),
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
        rx.cond(
            state.payment_failed if admin else state.payment_failed & ~state.can_retry,
            rx.callout(
                r["failure_reason"],
                icon="triangle_alert",
                color_scheme="red",
                width="100%",
                id="payment-failure",
            ),
            rx.fragment(),
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
    return rx.card(
        rx.vstack(
            empty_state("search-x", "Order not found", "Check the order number and try again."),
            rx.text(message, size="2", color_scheme="gray"),
            rx.link(rx.button(rx.icon("arrow-left", size=16), back_label), href=back_href),
            align="center",
            padding_bottom="1.5em",
        ),
        width="100%",
        id="order-not-found",
    )


def order_detail_page() -> rx.Component:
    s = OrderDetailState
    actions = rx.hstack(
        rx.link(
            rx.hstack(rx.icon("arrow-left", size=14), rx.text("My orders", size="2")),
            href=routes.ORDERS,
        ),
        rx.spacer(),
        rx.cond(
            s.can_retry,
            rx.link(
                rx.button(rx.icon("credit-card", size=16), "Try again", color_scheme="red"),
                href=receipt_var(s)["retry_href"],
                id="retry-payment",
            ),
            rx.fragment(),
        ),
        rx.button(
            rx.icon("printer", size=16),
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
    return store_shell(
        rx.match(
            s.found,
            (
                "found",
                rx.vstack(
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
                        rx.fragment(),
                    ),
                    receipt_card(s),
                    refund_card(),
                    spacing="4",
                    width="100%",
                    max_width="880px",
                    margin="0 auto",
                ),
            ),
            ("missing", missing_panel(s.missing_message, routes.ORDERS, "Back to my orders")),
            loading_panel(),
        )
    )
