"""The System page's payment webhook card: received events by status, the latest ones, and
a replay for events whose processing failed or went dead."""

from __future__ import annotations

import json

import reflex as rx

from commerce_dash.components.admin_forms import note
from commerce_dash.components.badges import status_badge, status_color
from commerce_dash.components.cells import only_if
from commerce_dash.components.tables import table_box
from commerce_dash.db import session_scope
from commerce_dash.domain.dates import when
from commerce_dash.domain.errors import DomainError
from commerce_dash.models.commerce import PaymentEvent
from commerce_dash.services import commerce as commerce_area
from commerce_dash.state.admin import AdminState
from commerce_dash.state.paging import load_card
from commerce_dash.state.route_args import route_int

STATUSES = ("received", "processed", "ignored", "failed", "dead")


def _row(event: PaymentEvent) -> dict[str, str]:
    return {
        "id": str(event.id), "processor": event.processor, "event_id": event.event_id,
        "type": event.event_type, "status": event.status, "attempts": str(event.attempts),
        "outcome": event.outcome or event.last_error[:160], "received": when(event.received_at),
        "next": when(event.next_attempt_at),
        "replayable": "yes" if event.status in ("failed", "dead") else "",
        "payload": json.dumps(event.payload or {}, indent=2, sort_keys=True)[:4000],
    }


class PaymentEventsState(AdminState):
    event_counts: dict[str, int] = dict.fromkeys(STATUSES, 0)
    events: list[dict[str, str]] = []
    event_filter: str = "all"

    def _fetch(self) -> None:
        actor = self.current_actor()
        with session_scope() as session:
            rows = commerce_area.list_events(
                session=session, actor=actor,
                status=None if self.event_filter == "all" else self.event_filter)
            counts = commerce_area.event_counts(session=session)
        self.event_counts = {s: counts.get(s, 0) for s in STATUSES}
        self.events = [_row(r) for r in rows]

    @rx.event
    def load(self):  # type: ignore[no-untyped-def]
        return load_card(self, "system", self._fetch)

    @rx.event
    def set_event_filter(self, value: str):  # type: ignore[no-untyped-def]
        self.event_filter = value
        return self.load()

    @rx.event
    def replay(self, event_id: str):  # type: ignore[no-untyped-def]
        actor = self.current_actor()
        try:
            with session_scope() as session:
                outcome = commerce_area.replay_event(
                    session=session, actor=actor,
                    event_row_id=route_int(event_id) or 0)  # 0: not found
        except DomainError as exc:
            return rx.toast.error(exc.message)
        self._fetch()
        if outcome.status in ("processed", "ignored"):
            return rx.toast.success(f"Event replayed: {outcome.detail}.")
        return rx.toast.warning(f"Replayed, but processing failed again: {outcome.detail}")


def _event_row(row: rx.Var[dict[str, str]]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(row["received"], white_space="nowrap"),
        rx.table.cell(row["processor"]),
        rx.table.cell(rx.text(row["type"], size="1", font_family="monospace")),
        rx.table.cell(status_badge(row["status"])),
        rx.table.cell(row["attempts"]),
        rx.table.cell(rx.text(row["outcome"], size="1")),
        rx.table.cell(
            rx.hstack(
                rx.popover.root(
                    rx.popover.trigger(rx.button("Payload", size="1", variant="ghost")),
                    rx.popover.content(rx.code_block(row["payload"], language="json",
                                                     font_size="11px"),
                                       max_width="560px", max_height="420px", overflow="auto"),
                ),
                only_if(row["replayable"] == "yes",
                        rx.button("Replay", size="1", variant="soft",
                                  on_click=PaymentEventsState.replay(row["id"]),
                                  class_name="replay-payment-event")),
                spacing="2",
            ),
        ),
        class_name="payment-event-row",
    )


def payment_events_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading("Payment webhooks", size="4"),
                rx.spacer(),
                rx.select.root(
                    rx.select.trigger(id="payment-event-filter", aria_label="Event status"),
                    rx.select.content(
                        rx.select.item("Any status", value="all"),
                        *[rx.select.item(s, value=s) for s in STATUSES],
                    ),
                    value=PaymentEventsState.event_filter,
                    on_change=PaymentEventsState.set_event_filter,
                ),
                width="100%",
                align="center",
            ),
            rx.hstack(
                *[rx.badge(f"{s}: ", PaymentEventsState.event_counts[s],
                           color_scheme=status_color(s), variant="soft") for s in STATUSES],
                wrap="wrap",
                spacing="2",
                id="payment-event-counts",
            ),
            rx.cond(
                PaymentEventsState.events.length() == 0,
                note("No processor webhooks received yet.", size="2"),
                table_box(
                    ("Received", "Processor", "Event", "Status", "Attempts", "Outcome", ""),
                    PaymentEventsState.events,
                    _event_row,
                    size="1",
                ),
            ),
            rx.text("Failed events are retried with backoff by the payment_events job and end "
                    "dead after the last attempt; replay sends one through processing again.",
                    size="1", color_scheme="gray"),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )
