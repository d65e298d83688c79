"""Payout sync (billing admins, dept-admins for their departments; on the Revenue page): what
the payout platform has received (synced), what waits or retries (pending), what gave up
(dead; replay it from System → Outbox) and what is not sent (no platform configured)."""

from __future__ import annotations

import reflex as rx
from reflex.vars import ObjectVar

from commerce_dash.components.admin_forms import note
from commerce_dash.components.badges import status_color
from commerce_dash.components.cells import text_if
from commerce_dash.components.display import money
from commerce_dash.components.tables import empty_state, pager, table_box
from commerce_dash.db import session_scope
from commerce_dash.domain.paging import PageRequest
from commerce_dash.services import revenue as revenue_area
from commerce_dash.state.admin import AdminState
from commerce_dash.state.paging import PagerMixin, fetch_or_toast, load_card

PAGE_SIZE = 10
LABELS = {"synced": "Synced", "pending": "Pending", "dead": "Dead", "not_sent": "Not sent"}


class PayoutsState(PagerMixin, AdminState):
    configured: bool = False
    counts: dict[str, int] = {}
    entries: list[dict[str, str]] = []
    status: str = ""

    def _fetch(self) -> None:
        with session_scope() as session:
            counts, found = revenue_area.payout_status(
                session=session, actor=self.current_actor(),
                page=PageRequest(self.page, PAGE_SIZE), status=self.status)
        self.configured = counts.configured
        self.counts = {"synced": counts.synced, "pending": counts.pending,
                       "dead": counts.dead, "not_sent": counts.not_sent}
        self.total, self.pages = found.total, found.pages
        self.entries = [
            {"id": str(r.entry_id), "event": r.event, "item": r.order_item, "course": r.course,
             "amount": money(r.amount, r.currency), "at": r.recorded_at,
             "status": r.status, "status_label": LABELS[r.status],
             "status_color": status_color(r.status), "attempts": str(r.attempts),
             "error": r.last_error}
            for r in found.items
        ]

    def _refetch(self):  # type: ignore[no-untyped-def]
        return fetch_or_toast(self._fetch)

    @rx.event
    def load(self):  # type: ignore[no-untyped-def]
        return load_card(self, "revenue", self._fetch)

    @rx.event
    def show(self, status: str):  # type: ignore[no-untyped-def]
        self.status = "" if status == self.status else status
        self.page = 1
        return self._refetch()


P = PayoutsState


def _chip(key: str) -> rx.Component:
    return rx.button(
        LABELS[key], " ", P.counts[key].to_string(), size="1",
        variant=rx.cond(P.status == key, "solid", "soft"),  # type: ignore[arg-type]
        color_scheme=status_color(key),  # type: ignore[arg-type]
        on_click=P.show(key), class_name="payout-chip", data_status=key,  # type: ignore[operator]
    )


def _row(r: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.code(r["event"])),
        rx.table.cell(rx.text(r["course"], " · ", r["item"], size="2")),
        rx.table.cell(rx.text(r["amount"], size="2")),
        rx.table.cell(note(r["at"])),
        rx.table.cell(rx.vstack(
            rx.badge(r["status_label"], color_scheme=r["status_color"].to(str),  # type: ignore[arg-type]
                     variant="soft"),
            text_if(r["error"], size="1", color_scheme="red", max_width="20em"),
            spacing="1")),
        class_name="payout-row", data_status=r["status"],
    )


def payouts_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Payout sync", size="4"),
            rx.cond(
                P.configured,
                rx.text("Every ledger entry goes to the payout platform as payment.completed "
                        "or refund.issued; failures are retried, then kept as dead letters "
                        "to replay from System → Outbox.", size="2", color_scheme="gray"),
                rx.callout.root(rx.callout.icon(rx.icon("info")), rx.callout.text(
                    "No payout platform is configured (COMMERCE_PAYOUT_WEBHOOK_URL and "
                    "COMMERCE_PAYOUT_CONNECTOR_KEY). Entries are kept and sent once it is."),
                    color_scheme="gray", width="100%"),
            ),
            rx.hstack(*[_chip(k) for k in ("synced", "pending", "dead", "not_sent")],
                      spacing="2", wrap="wrap"),
            rx.cond(
                P.entries.length() > 0,
                table_box(("Event", "Course · order item", "Amount", "Recorded", "Status"),
                          P.entries, _row, size="1"),
                empty_state("send", "Nothing to show",
                            "Ledger entries appear here once orders complete."),
            ),
            pager(P.page, P.pages, P.total, P.prev_page, P.next_page),
            spacing="3", width="100%",
        ),
        width="100%", id="payouts-card",
    )
