"""The registration approval queue (enrollment-admins of their departments, super-admins):
pending registrations oldest first, filters, approve or reject one, or a selection at once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import reflex as rx
from reflex.vars import ObjectVar

from commerce_dash.components.badges import row_status_badge
from commerce_dash.components.bulk import bulk_bar, bulk_results
from commerce_dash.components.shell import admin_shell
from commerce_dash.components.tables import empty_state, pager
from commerce_dash.db import session_scope
from commerce_dash.domain.dates import WHEN, parse_day, when
from commerce_dash.domain.errors import DomainError
from commerce_dash.domain.paging import PageRequest
from commerce_dash.domain.registrations import MIN_REJECTION_REASON, check_rejection_reason
from commerce_dash.pages.admin.lms_pending import lms_pending_card
from commerce_dash.pages.store.orders import status_badge, status_fields
from commerce_dash.services.enrollment import registrations as registrations_service
from commerce_dash.state.admin import AdminState
from commerce_dash.state.paging import PagedTableMixin
from commerce_dash.state.queue import QueueMixin
from commerce_dash.state.route_args import route_int

PAGE_SIZE = 25
SECTION = "registrations"
ANY = "any"
STATUS_OPTIONS = [
    ("pending", "Pending"),
    ("approved", "Approved"),
    ("enrolled", "Enrolled"),
    ("rejected", "Rejected"),
    ("cancelled", "Cancelled"),
    (ANY, "Any status"),
]
STATUS_COLORS = {
    "pending": "amber",
    "approved": "green",
    "enrolled": "green",
    "rejected": "red",
    "cancelled": "gray",
}
EMPTY = (
    "clipboard-check",
    "No registrations waiting",
    "New ones appear here when learners buy courses that need approval.",
)
NO_MATCH = (
    "search-x",
    "No registrations match",
    "Widen the filters, or clear them to see the registrations waiting for approval.",
)



def _plural(count: int, word: str = "registration") -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def registration_status_fields(status: str) -> dict[str, str]:
    """``status``, ``status_label`` and ``status_color`` of a registration for a row dict."""
    return {
        "status": status,
        "status_label": status.replace("_", " ").capitalize(),
        "status_color": STATUS_COLORS.get(status, "gray"),
    }


def queue_row(row: registrations_service.QueueRow) -> dict[str, str]:
    return {
        "id": str(row.id),
        "number": row.number,
        "learner_name": row.learner_name,
        "learner_email": row.learner_email,
        "kind": row.kind,
        "title": row.title,
        "program_title": row.program_title,
        "department": row.department,
        "order_number": row.order_number,
        "amount": row.amount_label,
        "created": when(row.created_at, WHEN),
        "reviewed_by": row.reviewed_by,
        "reviewed_at": when(row.reviewed_at, WHEN),
        "rejection_reason": row.rejection_reason,
        "refund": row.refund,
        "pending": "yes" if row.status == "pending" else "",
        **registration_status_fields(row.status),
        **status_fields("payment_status", row.payment_status),
    }


class RegistrationsState(QueueMixin, PagedTableMixin, AdminState):
    """``search`` (from the mixin) is the learner search: part of an email or a name."""

    status_filter: rx.Field[str] = rx.field("pending")
    course_filter: rx.Field[str] = rx.field(ANY)
    courses: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)

    @rx.var
    def filtered(self) -> bool:
        """Whether anything but the plain pending queue is asked for."""
        return bool(
            self.status_filter != "pending"
            or self.course_filter != ANY
            or self.date_from
            or self.date_to
            or self.search.strip()
        )

    def _plural(self, count: int) -> str:
        return _plural(count)

    def _min_reason(self) -> int:
        return MIN_REJECTION_REASON

    def _fetch(self) -> None:
        actor = self.current_actor()
        date_from = parse_day(self.date_from, "date_from")
        date_to = parse_day(self.date_to, "date_to")
        with session_scope() as session:
            self.courses = [
                {"id": str(i), "label": label}
                for i, label in registrations_service.queue_course_options(
                    session=session, actor=actor
                )
            ]
            result = registrations_service.list_queue(
                session=session,
                actor=actor,
                page=PageRequest(self.page, PAGE_SIZE),
                status=self.status_filter,
                course_id=route_int(self.course_filter),  # "any" (or no id): every course
                date_from=date_from,
                date_to=date_to + timedelta(days=1) if date_to else None,
                learner=self.search,
            )
        self.total, self.pages = result.total, result.pages
        self.rows = [queue_row(r) for r in result.items]
        self._keep_shown_selected()

    @rx.event
    def load(self):  # type: ignore[no-untyped-def]
        if self.guard(SECTION) is None:
            return self.refused()
        self.selected = []
        return self._refetch()

    # -- filters ------------------------------------------------------------------------------
    @rx.event
    def set_status_filter(self, value: str):  # type: ignore[no-untyped-def]
        self.status_filter = value
        return self._filtered()

    @rx.event
    def set_course_filter(self, value: str):  # type: ignore[no-untyped-def]
        self.course_filter = value
        return self._filtered()

    @rx.event
    def reset_filters(self):  # type: ignore[no-untyped-def]
        self.status_filter, self.course_filter = "pending", ANY
        self.date_from = self.date_to = self.search = ""
        error = self._filtered()
        return error if error is not None else rx.toast.info("Filters cleared.")

    # -- one registration ---------------------------------------------------------------------
    @rx.event
    def approve(self, registration_id: str, number: str):  # type: ignore[no-untyped-def]
        try:
            with session_scope() as session:
                row = registrations_service.approve(
                    session=session,
                    actor=self.current_actor(),
                    registration_id=route_int(registration_id) or 0,  # 0: not found
                )
        except DomainError as exc:
            self._refetch()
            return rx.toast.error(f"{number}: {exc.message}")
        error = self._refetch()
        return error if error is not None else rx.toast.success(
            f"{row.number} approved for {row.learner_name}."
        )

    @rx.event
    def confirm_reject(self):  # type: ignore[no-untyped-def]
        self.reject_error = ""
        try:
            reason = check_rejection_reason(self.reject_reason)
        except DomainError as exc:
            self.reject_error = exc.message
            return None
        if self.reject_id == 0:
            return self._run_bulk("reject", reason)
        try:
            with session_scope() as session:
                row = registrations_service.reject(
                    session=session,
                    actor=self.current_actor(),
                    registration_id=self.reject_id,
                    reason=reason,
                )
        except DomainError as exc:
            if exc.field == "reason":
                self.reject_error = exc.message
                return None
            self.reject_open = False
            self._refetch()
            return rx.toast.error(f"{self.reject_label}: {exc.message}")
        self.reject_open = False
        error = self._refetch()
        return error if error is not None else rx.toast.success(
            f"{row.number} rejected; {row.learner_name} is told why."
        )

    # -- the selection at once ----------------------------------------------------------------
    @rx.event
    def bulk_approve(self):  # type: ignore[no-untyped-def]
        if not self.selected:
            return rx.toast.info("Tick the registrations to approve first.")
        return self._run_bulk("approve", "")

    def _run_bulk(self, action: str, reason: str):  # type: ignore[no-untyped-def]
        ids = [route_int(i) or 0 for i in self.selected]  # 0: reported as not found
        numbers = {r["id"]: r["number"] for r in self.rows}
        try:
            with session_scope() as session:
                outcomes = registrations_service.bulk(
                    session=session, actor=self.current_actor(), ids=ids, action=action,
                    reason=reason,
                )
        except DomainError as exc:
            if exc.field == "reason" and self.reject_open:
                self.reject_error = exc.message
                return None
            self.reject_open = False
            return rx.toast.error(exc.message)
        self.reject_open = False
        self.bulk_results = [
            {
                "id": str(o.id),
                "number": numbers.get(str(o.id)) or o.number or f"#{o.id}",
                "ok": "yes" if o.ok else "",
                "message": o.message,
            }
            for o in outcomes
        ]
        done = sum(1 for o in outcomes if o.ok)
        self.bulk_failed = len(outcomes) - done
        verb = "approved" if action == "approve" else "rejected"
        self.bulk_summary = f"{_plural(done)} {verb}" + (
            f", {self.bulk_failed} not changed." if self.bulk_failed else "."
        )
        self.selected = []
        error = self._refetch()
        if error is not None:
            return error
        if self.bulk_failed and not done:
            return rx.toast.error(self.bulk_summary)
        if self.bulk_failed:
            return rx.toast.warning(self.bulk_summary)
        return rx.toast.success(self.bulk_summary)


# -- components -------------------------------------------------------------------------------

S = RegistrationsState


def _select(value: Any, on_change: Any, options: list[tuple[str, str]], label: str) -> rx.Component:
    return rx.select.root(
        rx.select.trigger(aria_label=label),
        rx.select.content(*[rx.select.item(text, value=v) for v, text in options]),
        value=value,
        on_change=on_change,
    )


def _course_select() -> rx.Component:
    return rx.select.root(
        rx.select.trigger(aria_label="Course", max_width="18em"),
        rx.select.content(
            rx.select.item("Any course", value=ANY),
            rx.foreach(S.courses, lambda c: rx.select.item(c["label"], value=c["id"])),
        ),
        value=S.course_filter,
        on_change=S.set_course_filter,
    )


def _filters() -> rx.Component:
    return rx.hstack(
        rx.input(
            placeholder="Learner email or name",
            value=S.search,
            on_change=S.set_search.debounce(300),  # type: ignore[attr-defined]
            width=["100%", "240px"],
            id="learner-search",
        ),
        _select(S.status_filter, S.set_status_filter, STATUS_OPTIONS, "Status"),
        _course_select(),
        rx.hstack(
            rx.text("Registered from", size="2"),
            rx.input(type="date", value=S.date_from, on_change=S.set_date_from, id="date-from"),
            rx.text("to", size="2"),
            rx.input(type="date", value=S.date_to, on_change=S.set_date_to, id="date-to"),
            align="center",
            wrap="wrap",
        ),
        rx.button("Clear filters", variant="ghost", size="2", on_click=S.reset_filters),
        rx.spacer(),
        rx.button(rx.icon("rotate-cw", size=16), "Refresh", variant="soft", on_click=S.refresh),
        wrap="wrap",
        spacing="3",
        width="100%",
        align="center",
    )


def _bulk_bar() -> rx.Component:
    return bulk_bar(
        S.selected_count,
        rx.button(
            rx.icon("check", size=14),
            "Approve",
            size="2",
            color_scheme="green",
            on_click=S.bulk_approve,
            id="bulk-approve",
        ),
        rx.button(
            rx.icon("x", size=14),
            "Reject…",
            size="2",
            color_scheme="red",
            variant="soft",
            on_click=S.open_bulk_reject,
            id="bulk-reject",
        ),
        on_clear=S.clear_selection,
    )


def _bulk_results() -> rx.Component:
    return bulk_results(S.bulk_results, S.bulk_summary, S.bulk_failed, S.dismiss_results,
                        item_header="Registration", failed_label="Not changed")


def _reject_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Reject ", S.reject_label),
            rx.dialog.description(
                "The learner sees this reason on their account page and in the email; "
                f"write at least {MIN_REJECTION_REASON} characters.",
                size="2",
            ),
            rx.vstack(
                rx.text_area(
                    placeholder="Why the registration is rejected",
                    value=S.reject_reason,
                    on_change=S.set_reject_reason,
                    rows="4",
                    max_length=1000,
                    width="100%",
                    id="reject-reason",
                    auto_focus=True,
                ),
                rx.hstack(
                    rx.cond(
                        S.reject_error != "",
                        rx.text(S.reject_error, color_scheme="red", size="2", id="reason-error"),
                        rx.fragment(),
                    ),
                    rx.spacer(),
                    rx.text(
                        S.reject_length.to_string(),
                        " / 1000",
                        size="1",
                        color_scheme=rx.cond(  # type: ignore[arg-type]
                            S.reject_length < MIN_REJECTION_REASON, "gray", "green"
                        ),
                    ),
                    width="100%",
                ),
                rx.hstack(
                    rx.dialog.close(rx.button("Cancel", variant="soft", color_scheme="gray")),
                    rx.button(
                        "Reject",
                        color_scheme="red",
                        on_click=S.confirm_reject,
                        id="reject-submit",
                    ),
                    justify="end",
                    spacing="3",
                    width="100%",
                ),
                spacing="3",
                padding_top="1em",
            ),
            max_width="520px",
        ),
        open=S.reject_open,
        on_open_change=S.set_reject_open,
    )


def _badge(row: ObjectVar[dict[str, str]]) -> rx.Component:
    return row_status_badge(row, "status-badge")


def _row(row: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.checkbox(
                checked=S.selected.contains(row["id"]),
                on_change=S.toggle_selected(row["id"]),  # type: ignore[operator]
                aria_label="Select " + row["number"].to(str),
                class_name="select-registration",
            )
        ),
        rx.table.cell(
            rx.vstack(
                rx.text(row["number"], weight="medium", size="2", white_space="nowrap"),
                rx.text(row["created"], size="1", color_scheme="gray", white_space="nowrap"),
                spacing="0",
            )
        ),
        rx.table.cell(
            rx.vstack(
                rx.text(row["learner_name"], size="2"),
                rx.text(row["learner_email"], size="1", color_scheme="gray"),
                spacing="0",
            )
        ),
        rx.table.cell(
            rx.vstack(
                rx.hstack(
                    rx.cond(
                        row["kind"] == "program",
                        rx.badge("Program", variant="outline", size="1"),
                        rx.fragment(),
                    ),
                    rx.text(row["title"], size="2", weight="medium"),
                    spacing="1",
                    align="center",
                ),
                rx.cond(
                    row["program_title"] != "",
                    rx.text("in ", row["program_title"], size="1", color_scheme="gray"),
                    rx.fragment(),
                ),
                rx.text(row["department"], size="1", color_scheme="gray"),
                spacing="0",
            )
        ),
        rx.table.cell(
            rx.vstack(
                rx.text(row["order_number"], size="2", white_space="nowrap"),
                rx.text(row["amount"], size="1", color_scheme="gray"),
                spacing="0",
            )
        ),
        rx.table.cell(status_badge(row, "payment_status")),
        rx.table.cell(
            rx.vstack(
                _badge(row),
                rx.cond(
                    row["reviewed_by"] != "",
                    rx.text(
                        row["reviewed_by"], " · ", row["reviewed_at"], size="1",
                        color_scheme="gray",
                    ),
                    rx.fragment(),
                ),
                rx.cond(
                    row["rejection_reason"] != "",
                    rx.text(row["rejection_reason"], size="1", color_scheme="red",
                            max_width="18em"),
                    rx.fragment(),
                ),
                rx.cond(
                    row["refund"] != "",
                    rx.text(row["refund"], size="1", color_scheme="gray"),
                    rx.fragment(),
                ),
                spacing="1",
                align="start",
            )
        ),
        rx.table.cell(
            rx.cond(
                row["pending"] == "yes",
                rx.hstack(
                    rx.button(
                        rx.icon("check", size=14),
                        "Approve",
                        size="1",
                        color_scheme="green",
                        variant="soft",
                        on_click=S.approve(row["id"], row["number"]),  # type: ignore[operator]
                        class_name="approve-registration",
                    ),
                    rx.button(
                        rx.icon("x", size=14),
                        "Reject",
                        size="1",
                        color_scheme="red",
                        variant="soft",
                        on_click=S.open_reject(row["id"], row["number"]),  # type: ignore[operator]
                        class_name="reject-registration",
                    ),
                    spacing="2",
                ),
                rx.fragment(),
            )
        ),
        class_name="registration-row",
        data_number=row["number"],
        data_status=row["status"],
    )


def _select_page() -> rx.Component:
    return rx.checkbox(
        checked=S.all_on_page_selected,
        on_change=S.toggle_page,
        aria_label="Select every registration on this page",
        id="select-page",
    )


def _table() -> rx.Component:
    headers = ["Registration", "Learner", "Course or program", "Order", "Payment", "Status", ""]
    return rx.card(
        rx.cond(
            S.rows.length() > 0,
            rx.box(
                rx.table.root(
                    rx.table.header(
                        rx.table.row(
                            rx.table.column_header_cell(_select_page(), width="2.5em"),
                            *[rx.table.column_header_cell(h) for h in headers],
                        )
                    ),
                    rx.table.body(rx.foreach(S.rows, _row)),
                    width="100%",
                ),
                overflow_x="auto",
                width="100%",
            ),
            rx.cond(S.filtered, empty_state(*NO_MATCH), empty_state(*EMPTY)),
        ),
        pager(S.page, S.pages, S.total, S.prev_page, S.next_page),
        width="100%",
    )


def registrations_page() -> rx.Component:
    return admin_shell(
        SECTION,
        "Registrations",
        _filters(),
        _bulk_results(),
        _bulk_bar(),
        _table(),
        lms_pending_card(),
        _reject_dialog(),
    )
