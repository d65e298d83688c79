"""The learner's registrations on the account page: each course or program bought and where
its registration stands (waiting for approval, approved, enrolled, rejected with the reason).
A course registration waiting for approval can be cancelled (issue 19): a paid one asks the
billing team for the money back."""

from __future__ import annotations

import reflex as rx
from reflex.vars import ObjectVar
from sqlmodel import Session

from commerce_dash.components.badges import row_status_badge, status_color
from commerce_dash.components.dialogs import confirm_dialog
from commerce_dash.components.row_fields import registration_fields
from commerce_dash.components.store_panels import card_column, reason_note, status_row
from commerce_dash.domain.dates import DAY, when
from commerce_dash.domain.errors import DomainError
from commerce_dash.pages.store.learner_load import load_for_learner
from commerce_dash.routes import order_href
from commerce_dash.services import commerce as commerce_area
from commerce_dash.services import enrollment as enrollment_area
from commerce_dash.state.auth import AuthState
from commerce_dash.state.offload import with_session

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
        # the learner may cancel a course registration while it waits for approval
        "can_cancel": "yes" if row.status == "pending" and row.kind == "course" else "",
        "amount": row.amount_label if any(c in "123456789" for c in row.amount_label) else "",
    }


class MyRegistrationsState(AuthState):
    """Chain ``load`` after the account page's own load (it reads the session again)."""

    registrations: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    registrations_loaded: rx.Field[bool] = rx.field(False)
    cancel_open: rx.Field[bool] = rx.field(False)
    cancel_id: rx.Field[str] = rx.field("")
    cancel_title: rx.Field[str] = rx.field("")
    cancel_paid: rx.Field[str] = rx.field("")  # what was paid for it ("" when free)
    cancel_busy: rx.Field[bool] = rx.field(False)

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

    @rx.event
    def open_cancel(self, registration_id: str) -> None:
        row = next((r for r in self.registrations if r["id"] == str(registration_id)), None)
        if row is None or not row.get("can_cancel"):
            return
        self.cancel_id, self.cancel_title = row["id"], row["title"]
        self.cancel_paid = row.get("amount", "")
        self.cancel_open = True

    @rx.event
    def set_cancel_open(self, value: bool) -> None:
        self.cancel_open = bool(value) and not self.cancel_busy

    @rx.event
    async def confirm_cancel(self):  # type: ignore[no-untyped-def]
        actor = self.current_actor()
        if self.cancel_busy or not self.cancel_id.isdigit():
            return None
        if actor is None:
            self.cancel_open = False
            return rx.toast.error("Sign in again to cancel the registration.")
        registration_id = int(self.cancel_id)

        def cancel(session: Session) -> tuple[commerce_area.RegistrationCancellation,
                                               list[enrollment_area.QueueRow]]:
            done = commerce_area.cancel_my_registration(
                session=session, actor=actor, registration_id=registration_id)
            return done, enrollment_area.list_for_learner(session=session,
                                                          user_id=actor.user_id)

        self.cancel_busy = True
        try:
            done, rows = await with_session(cancel)
        except DomainError as exc:
            self.cancel_open = False
            return rx.toast.error(exc.message)
        finally:
            self.cancel_busy = False
        self.cancel_open = False
        self._show(rows)
        said = f"{self.cancel_title} is cancelled."
        if done.refund_request_id is not None:
            said += " We asked the billing team to return your payment; you get an email."
        return rx.toast.success(said)


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
        rx.cond(
            row["can_cancel"] != "",
            rx.button(
                "Cancel registration…", size="1", variant="soft", color_scheme="red",
                high_contrast=True, margin_top="0.5em", class_name="cancel-registration",
                on_click=MyRegistrationsState.open_cancel(row["id"]),  # type: ignore[operator]
                aria_label="Cancel registration " + row["number"],
            ),
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
        _cancel_dialog(),
        spacing="2",
        id="my-registrations",
    )


def _cancel_dialog() -> rx.Component:
    s = MyRegistrationsState
    return confirm_dialog(
        "Cancel this registration?",
        ("You give up your place in ", s.cancel_title, " while it waits for approval."),
        rx.cond(
            s.cancel_paid != "",
            rx.text("The billing team is asked to return what you paid for it (",
                    s.cancel_paid, "); you get an email when it is decided.", size="2"),
            rx.text("Nothing was paid for it, so there is nothing to return.", size="2"),
        ),
        confirm="Cancel registration",
        on_confirm=s.confirm_cancel,
        confirm_id="confirm-cancel-registration",
        open=s.cancel_open,
        on_open_change=s.set_cancel_open,
        loading=s.cancel_busy,
    )
