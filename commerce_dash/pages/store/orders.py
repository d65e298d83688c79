"""The learner's orders and payments, newest first, one page at a time (/account/orders)."""

from __future__ import annotations

import reflex as rx
from reflex.vars import ObjectVar

from commerce_dash import routes
from commerce_dash.components.admin_forms import data_table
from commerce_dash.components.badges import field_badge, status_fields
from commerce_dash.components.catalog_card import loading_panel
from commerce_dash.components.row_fields import order_money_fields
from commerce_dash.components.shell import store_page
from commerce_dash.components.store_panels import (
    back_link,
    browse_catalog_button,
    card_column,
    empty_block,
)
from commerce_dash.components.tables import pager
from commerce_dash.db import session_scope
from commerce_dash.domain.dates import DAY, when
from commerce_dash.domain.paging import PageRequest
from commerce_dash.routes import order_href
from commerce_dash.services import commerce as commerce_area
from commerce_dash.state.auth import AuthState
from commerce_dash.state.paging import PagerMixin

PAGE_SIZE = 10

def _items_label(count: int) -> str:
    return f"{count} item{'' if count == 1 else 's'}"


def order_row(order: commerce_area.OrderSummary) -> dict[str, str]:
    return {
        "number": order.number,
        "href": order_href(order.number),
        "date": when(order.created_at, DAY),
        "items": _items_label(order.item_count),
        **order_money_fields(order),
    }


def payment_row(payment: commerce_area.PaymentRow) -> dict[str, str]:
    return {
        "date": when(payment.at),
        "order_number": payment.order_number,
        "href": order_href(payment.order_number),
        "processor": payment.processor.title(),
        "amount": payment.amount_label,
        "failure_reason": payment.failure_reason,
        **status_fields("status", payment.status),
    }


class OrdersState(PagerMixin, AuthState):
    """Orders page through ``PagerMixin`` (``page``/``pages``/``total``); the payments
    table below pages on its own with the ``payments_*`` vars."""

    loaded: rx.Field[bool] = rx.field(False)
    rows: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    payments: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    payments_total: rx.Field[int] = rx.field(0)
    payments_page: rx.Field[int] = rx.field(1)
    payments_pages: rx.Field[int] = rx.field(1)

    def _fetch(self) -> bool:
        actor = self.current_actor()
        if actor is None:
            return False
        with session_scope() as session:
            result = commerce_area.list_orders_for_user(
                session=session, user_id=actor.user_id, page=PageRequest(self.page, PAGE_SIZE)
            )
            history = commerce_area.payment_history_for_user(
                session=session,
                user_id=actor.user_id,
                page=PageRequest(self.payments_page, PAGE_SIZE),
            )
        self.rows = [order_row(o) for o in result.items]
        self.total, self.pages = result.total, result.pages
        self.payments = [payment_row(p) for p in history.items]
        self.payments_total, self.payments_pages = history.total, history.pages
        self.loaded = True
        return True

    def _refetch(self):  # type: ignore[no-untyped-def]
        if not self._fetch():
            return rx.redirect(f"{routes.LOGIN}?next={routes.ORDERS}")
        return None

    @rx.event
    def load(self):  # type: ignore[no-untyped-def]
        self.load_session()
        if not self.signed_in:
            return rx.redirect(f"{routes.LOGIN}?next={routes.ORDERS}")
        self.page = self.payments_page = 1
        return self._refetch()

    @rx.event
    def next_payments_page(self):  # type: ignore[no-untyped-def]
        self.payments_page = min(self.payments_page + 1, self.payments_pages)
        return self._refetch()

    @rx.event
    def prev_payments_page(self):  # type: ignore[no-untyped-def]
        self.payments_page = max(1, self.payments_page - 1)
        return self._refetch()


def _order_row(row: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.link(rx.text(row["number"], weight="medium"), href=row["href"])),
        rx.table.cell(rx.text(row["date"], size="2", white_space="nowrap")),
        rx.table.cell(rx.text(row["items"], size="2")),
        rx.table.cell(
            rx.vstack(
                rx.text(row["total"], weight="medium"),
                rx.cond(
                    row["display_total"] != "",
                    rx.text("shown as ", row["display_total"], size="1", color_scheme="gray"),
                ),
                spacing="0",
            )
        ),
        rx.table.cell(field_badge(row, "status")),
        rx.table.cell(field_badge(row, "payment_status")),
        rx.table.cell(rx.link(rx.button("View", size="1", variant="soft"), href=row["href"])),
        class_name="order-row",
        data_number=row["number"],
    )


def _payment_row(row: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(row["date"], size="2", white_space="nowrap")),
        rx.table.cell(rx.link(row["order_number"], href=row["href"])),
        rx.table.cell(rx.text(row["processor"], size="2")),
        rx.table.cell(rx.text(row["amount"], weight="medium")),
        rx.table.cell(
            rx.vstack(
                field_badge(row, "status"),
                rx.cond(
                    row["failure_reason"] != "",
                    rx.text(row["failure_reason"], size="1", color_scheme="red"),
                ),
                spacing="1",
                align="start",
            )
        ),
        class_name="payment-row",
    )


def _no_orders() -> rx.Component:
    return empty_block(
        "shopping-bag",
        "No orders yet — browse the catalog",
        "Courses and programs you buy show up here with their receipts.",
        browse_catalog_button(),
        width="100%",
        id="no-orders",
    )


def _orders_card() -> rx.Component:
    return card_column(
        rx.heading("Orders", size="4"),
        rx.cond(
            OrdersState.rows.length() > 0,
            rx.vstack(
                data_table(
                    ["Order", "Date", "Items", "Total", "Status", "Payment", ""],
                    OrdersState.rows,
                    _order_row,
                ),
                pager(
                    OrdersState.page,
                    OrdersState.pages,
                    OrdersState.total,
                    OrdersState.prev_page,
                    OrdersState.next_page,
                ),
                width="100%",
            ),
            _no_orders(),
        ),
        id="orders-card",
    )


def _payments_card() -> rx.Component:
    return rx.cond(
        OrdersState.payments_total > 0,
        card_column(
            rx.heading("Payment history", size="4"),
            data_table(
                ["Date", "Order", "Processor", "Amount", "Status"],
                OrdersState.payments,
                _payment_row,
            ),
            pager(
                OrdersState.payments_page,
                OrdersState.payments_pages,
                OrdersState.payments_total,
                OrdersState.prev_payments_page,
                OrdersState.next_payments_page,
            ),
            id="payments-card",
        ),
    )


def orders_page() -> rx.Component:
    return store_page(
        rx.hstack(
            back_link("My account", routes.ACCOUNT),
            width="100%",
        ),
        rx.heading("My orders", size="6"),
        rx.cond(
            OrdersState.loaded,
            rx.vstack(_orders_card(), _payments_card(), spacing="4", width="100%"),
            loading_panel(),
        ),
    )
