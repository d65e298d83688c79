"""One order for billing admins (/admin/orders/[number]): the receipt with payment ids, the
order's refunds (and Refund…), and the payment's event timeline with each event's raw JSON.

A container page: it composes the receipt of ``store/order_detail.py``, the refunds card of
``order_refunds.py`` and the cancel card of ``order_cancel.py``.
"""

from __future__ import annotations

import reflex as rx
from reflex.vars import ObjectVar

from commerce_dash import routes
from commerce_dash.components.admin_forms import back_and_reload
from commerce_dash.components.badges import field_badge, status_fields
from commerce_dash.components.cells import RULED_ENTRY, only_if, text_if
from commerce_dash.components.shell import admin_shell
from commerce_dash.components.tables import empty_state, skeleton_rows
from commerce_dash.db import session_scope
from commerce_dash.domain.dates import WHEN, when
from commerce_dash.domain.errors import DomainError
from commerce_dash.pages.admin.order_cancel import order_cancel_card
from commerce_dash.pages.admin.order_refunds import OrderRefundsState, order_refunds_card
from commerce_dash.pages.store.order_detail import (
    ReceiptMixin,
    missing_panel,
    receipt_card,
)
from commerce_dash.pages.store.order_documents import order_documents
from commerce_dash.services import commerce as commerce_area
from commerce_dash.state.admin import AdminState
from commerce_dash.state.route_args import route_number

SECTION = "orders"
SOURCE_ICONS = {"webhook": "webhook", "api": "send", "janitor": "clock", "processor": "server"}


def timeline_row(entry: commerce_area.TimelineEntry) -> dict[str, str]:
    return {
        "at": when(entry.at, WHEN),
        "source": entry.source,
        "event_type": entry.event_type,
        "event_id": entry.event_id,
        "outcome": entry.outcome,
        "error": entry.error,
        "attempts": str(entry.attempts) if entry.attempts > 1 else "",
        "processed_at": when(entry.processed_at, WHEN),
        "payload": entry.payload_json,
        **status_fields("status", entry.status),
    }


class AdminOrderDetailState(ReceiptMixin, AdminState):
    timeline: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)

    def _fetch(self, number: str) -> None:
        actor = self.current_actor()
        try:
            with session_scope() as session:
                detail = commerce_area.order_detail(session=session, number=number, actor=actor)
                entries = commerce_area.payment_timeline(
                    session=session, actor=actor, number=number
                )
        except DomainError as exc:
            self._missing(number, exc.message)
            self.timeline = []
            raise
        self._show(detail)
        self.timeline = [timeline_row(e) for e in entries]

    @rx.event
    def load(self):  # type: ignore[no-untyped-def]
        number = route_number(self, routes.ADMIN_ORDERS)
        if self.guard(SECTION) is None:
            yield self.refused()
            return
        if self.found != "loading" and number.upper() != self.order_number.upper():
            self.found = "loading"  # never show the previous order under this address
            yield
        try:
            self._fetch(number)
        except DomainError:
            return
        yield OrderRefundsState.load

    @rx.event
    def refresh(self):  # type: ignore[no-untyped-def]
        if self.guard(SECTION) is None:
            return self.refused()
        try:
            self._fetch(self.order_number)
        except DomainError as exc:
            return rx.toast.error(exc.message)
        return [
            rx.toast.success(f"Order {self.order_number} reloaded."),
            OrderRefundsState.load,
        ]


def _source_icon(source: rx.Var[str]) -> rx.Component:
    return rx.match(
        source,
        *[(key, rx.icon(icon, size=16)) for key, icon in SOURCE_ICONS.items()],
        rx.icon("circle-dot", size=16),
    )


def _raw_payload(payload: rx.Var[str]) -> rx.Component:
    """The event as the processor sent it, folded away until asked for."""
    return rx.el.details(
        rx.el.summary(
            rx.text("Raw JSON", size="1", weight="medium", as_="span"),
            cursor="pointer",
        ),
        rx.code_block(payload, language="json", wrap_long_lines=True, font_size="12px",
                      max_height="360px", overflow="auto", width="100%"),
        width="100%",
        class_name="raw-payload",
    )


def _entry(entry: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.hstack(
        rx.box(
            _source_icon(entry["source"]),
            padding="0.4em",
            border_radius="999px",
            background=rx.color("accent", 3),
            color=rx.color("accent", 11),
        ),
        rx.vstack(
            rx.hstack(
                rx.code(entry["event_type"], weight="bold"),
                field_badge(entry, "status"),
                rx.badge(entry["source"], variant="outline", color_scheme="gray"),
                rx.spacer(),
                rx.text(entry["at"], size="1", color_scheme="gray", white_space="nowrap"),
                align="center",
                wrap="wrap",
                width="100%",
                spacing="2",
            ),
            text_if(entry["event_id"], "id ", rx.code(entry["event_id"], size="1"), size="1"),
            text_if(entry["outcome"], size="2"),
            text_if(
                entry["error"],
                entry["error"],
                rx.cond(entry["attempts"] != "", " (" + entry["attempts"] + " attempts)", ""),
                size="2",
                color_scheme="red",
            ),
            only_if(entry["payload"] != "", _raw_payload(entry["payload"])),
            spacing="1",
            width="100%",
            min_width="0",
        ),
        align="start",
        spacing="3",
        **RULED_ENTRY,
        class_name="timeline-entry",
        data_event_type=entry["event_type"],
    )


def _timeline_card() -> rx.Component:
    s = AdminOrderDetailState
    return rx.card(
        rx.vstack(
            rx.heading("Payment timeline", size="4"),
            rx.cond(
                s.timeline.length() > 0,
                rx.vstack(rx.foreach(s.timeline, _entry), spacing="0", width="100%"),
                empty_state(
                    "history",
                    "No payment events yet",
                    "Events appear as the processor reports on this order's payment.",
                ),
            ),
            width="100%",
        ),
        width="100%",
        id="payment-timeline",
    )


def order_detail_admin_page() -> rx.Component:
    s = AdminOrderDetailState
    actions = back_and_reload("All orders", routes.ADMIN_ORDERS, s.refresh)
    return admin_shell(
        SECTION,
        "Order",
        rx.match(
            s.found,
            (
                "found",
                rx.vstack(
                    actions,
                    receipt_card(s, admin=True),
                    order_documents(admin=True),  # issue 19: invoice, credit notes
                    order_refunds_card(),
                    order_cancel_card(after=s.load),  # issue 19: cancel a completed order
                    _timeline_card(),
                    spacing="4",
                    width="100%",
                ),
            ),
            (
                "missing",
                missing_panel(s.missing_message, routes.ADMIN_ORDERS, "Back to all orders"),
            ),
            skeleton_rows(),
        ),
    )
