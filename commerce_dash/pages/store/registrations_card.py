"""The learner's registrations on the account page: each course or program bought and where
its registration stands (waiting for approval, approved, enrolled, rejected with the reason)."""

from __future__ import annotations

import reflex as rx
from reflex.vars import ObjectVar

from commerce_dash.components.badges import row_status_badge, status_color
from commerce_dash.components.row_fields import registration_fields
from commerce_dash.components.store_panels import card_column, reason_note, status_row
from commerce_dash.domain.dates import DAY, when
from commerce_dash.pages.store.learner_load import load_for_learner
from commerce_dash.routes import order_href
from commerce_dash.services import enrollment as enrollment_area
from commerce_dash.state.auth import AuthState

STATUS_LABELS = {
    "pending": "Waiting for approval",
    "approved": "Approved",
    "enrolled": "Enrolled",
    "rejected": "Rejected",
    "cancelled": "Cancelled",
}


def learner_row(row: enrollment_area.QueueRow) -> dict[str, str]:
    return {
        **registration_fields(row),
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
        return load_for_learner(
            self,
            lambda session, user_id: enrollment_area.list_for_learner(
                session=session, user_id=user_id
            ),
            self._show,
            self._clear,
        )

    def _show(self, rows: list[enrollment_area.QueueRow]) -> None:
        self.registrations = [learner_row(r) for r in rows]
        self.registrations_loaded = True

    def _clear(self) -> None:
        self.registrations, self.registrations_loaded = [], False


def _status_badge(row: ObjectVar[dict[str, str]]) -> rx.Component:
    return row_status_badge(row, "registration-status")


def _registration(row: ObjectVar[dict[str, str]]) -> rx.Component:
    return status_row(
        rx.vstack(
            rx.hstack(
                rx.cond(
                    row["kind"] == "program",
                    rx.badge("Program", variant="outline", size="1"),
                ),
                rx.text(row["title"], weight="medium"),
                align="center",
                spacing="2",
            ),
            rx.cond(
                row["program_title"] != "",
                rx.text("Part of ", row["program_title"], size="1", color_scheme="gray"),
            ),
            rx.hstack(
                rx.text(row["number"], " · ", row["date"], size="1", color_scheme="gray"),
                rx.cond(
                    row["order_href"] != "",
                    rx.link(row["order_number"], href=row["order_href"], size="1"),
                ),
                spacing="2",
                wrap="wrap",
            ),
            spacing="1",
            align="start",
        ),
        _status_badge(row),
        reason_note(row["rejection_reason"], "red", "rejection-reason"),
        rx.cond(
            row["refund"] != "",
            rx.text(row["refund"], ": the billing team returns your payment.", size="1",
                    color_scheme="gray", class_name="refund-note"),
        ),
        class_name="my-registration",
        data_number=row["number"],
    )


def my_registrations_card() -> rx.Component:
    s = MyRegistrationsState
    return card_column(
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
        id="my-registrations",
    )
