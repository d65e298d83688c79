"""The learner's registrations on the account page: each course or program bought and where
its registration stands (waiting for approval, approved, enrolled, rejected with the reason)."""

from __future__ import annotations

import reflex as rx
from reflex.vars import ObjectVar

from commerce_dash.components.badges import row_status_badge, status_color
from commerce_dash.db import session_scope
from commerce_dash.domain.dates import DAY, when
from commerce_dash.domain.errors import DomainError
from commerce_dash.routes import order_href
from commerce_dash.services.enrollment import registrations as registrations_service
from commerce_dash.state.auth import AuthState

STATUS_LABELS = {
    "pending": "Waiting for approval",
    "approved": "Approved",
    "enrolled": "Enrolled",
    "rejected": "Rejected",
    "cancelled": "Cancelled",
}


def learner_row(row: registrations_service.QueueRow) -> dict[str, str]:
    return {
        "id": str(row.id),
        "number": row.number,
        "kind": row.kind,
        "title": row.title,
        "program_title": row.program_title,
        "order_number": row.order_number,
        "order_href": order_href(row.order_number) if row.order_number else "",
        "date": when(row.created_at, DAY),
        "reviewed_at": when(row.reviewed_at, DAY),
        "rejection_reason": row.rejection_reason if row.status == "rejected" else "",
        "refund": row.refund,
        "status": row.status,
        "status_label": STATUS_LABELS.get(row.status, row.status.replace("_", " ").capitalize()),
        "status_color": status_color(row.status),
    }


class MyRegistrationsState(AuthState):
    """Chain ``load`` after the account page's own load (it reads the session again)."""

    registrations: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    registrations_loaded: rx.Field[bool] = rx.field(False)

    @rx.event
    def load(self):  # type: ignore[no-untyped-def]
        actor = self.current_actor()
        if actor is None:
            self.registrations, self.registrations_loaded = [], False
            return None
        try:
            with session_scope() as session:
                rows = registrations_service.list_for_learner(
                    session=session, user_id=actor.user_id
                )
        except DomainError as exc:
            return rx.toast.error(exc.message)
        self.registrations = [learner_row(r) for r in rows]
        self.registrations_loaded = True
        return None


def _status_badge(row: ObjectVar[dict[str, str]]) -> rx.Component:
    return row_status_badge(row, "registration-status")


def _registration(row: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.box(
        rx.hstack(
            rx.vstack(
                rx.hstack(
                    rx.cond(
                        row["kind"] == "program",
                        rx.badge("Program", variant="outline", size="1"),
                        rx.fragment(),
                    ),
                    rx.text(row["title"], weight="medium"),
                    align="center",
                    spacing="2",
                ),
                rx.cond(
                    row["program_title"] != "",
                    rx.text("Part of ", row["program_title"], size="1", color_scheme="gray"),
                    rx.fragment(),
                ),
                rx.hstack(
                    rx.text(row["number"], " · ", row["date"], size="1", color_scheme="gray"),
                    rx.cond(
                        row["order_href"] != "",
                        rx.link(row["order_number"], href=row["order_href"], size="1"),
                        rx.fragment(),
                    ),
                    spacing="2",
                    wrap="wrap",
                ),
                spacing="1",
                align="start",
            ),
            rx.spacer(),
            _status_badge(row),
            align="start",
            width="100%",
        ),
        rx.cond(
            row["rejection_reason"] != "",
            rx.callout(
                row["rejection_reason"],
                icon="info",
                color_scheme="red",
                size="1",
                margin_top="0.5em",
                class_name="rejection-reason",
            ),
            rx.fragment(),
        ),
        rx.cond(
            row["refund"] != "",
            rx.text(row["refund"], ": the billing team returns your payment.", size="1",
                    color_scheme="gray", class_name="refund-note"),
            rx.fragment(),
        ),
        padding_y="0.75em",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
        width="100%",
        class_name="my-registration",
        data_number=row["number"],
    )


def my_registrations_card() -> rx.Component:
    s = MyRegistrationsState
    return rx.card(
        rx.vstack(
            rx.heading("My registrations", size="4"),
            rx.cond(
                s.registrations.length() > 0,
                rx.vstack(rx.foreach(s.registrations, _registration), spacing="0", width="100%"),
                rx.text(
                    "No registrations yet: courses and programs you buy appear here with "
                    "their approval status.",
                    size="2",
                    color_scheme="gray",
                ),
            ),
            spacing="2",
            align="start",
            width="100%",
        ),
        width="100%",
        id="my-registrations",
    )
