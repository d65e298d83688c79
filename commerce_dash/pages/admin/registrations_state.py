"""The registration approval queue's state: filters, paging, approve or reject one or a
selection (the view is ``registrations.py``)."""

from __future__ import annotations

from typing import Any, ClassVar

import reflex as rx
from sqlmodel import Session

from commerce_dash.components.badges import status_color, status_fields
from commerce_dash.components.row_fields import learner_fields, registration_fields
from commerce_dash.db import session_scope
from commerce_dash.domain.actor import Actor
from commerce_dash.domain.dates import WHEN, when
from commerce_dash.domain.errors import DomainError
from commerce_dash.domain.registrations import MIN_REJECTION_REASON, check_rejection_reason
from commerce_dash.services import enrollment as enrollment_area
from commerce_dash.state.admin import AdminState
from commerce_dash.state.offload import with_session
from commerce_dash.state.paging import PagedTableMixin, search_text
from commerce_dash.state.queue import QueueMixin
from commerce_dash.state.route_args import route_int
from commerce_dash.state.service_call import as_admin
from commerce_dash.state.setters import filter_setter

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


def registration_status_fields(status: str) -> dict[str, str]:
    """``status``, ``status_label`` and ``status_color`` of a registration for a row dict."""
    return {
        "status": status,
        "status_label": status.replace("_", " ").capitalize(),
        "status_color": status_color(status),
    }


def queue_row(row: enrollment_area.QueueRow) -> dict[str, str]:
    return {
        **registration_fields(row),
        **learner_fields(row),
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

    item_word: ClassVar[str] = "registration"
    reason_minimum: ClassVar[int] = MIN_REJECTION_REASON
    status_filter: rx.Field[str] = rx.field("pending")
    course_filter: rx.Field[str] = rx.field(ANY)
    courses: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    # the granted departments whose registrations others review (their setting), said
    reviewed_elsewhere: rx.Field[str] = rx.field("")

    @rx.var
    def filtered(self) -> bool:
        """Whether anything but the plain pending queue is asked for."""
        return self._narrowed(self.status_filter != "pending", self.course_filter != ANY)

    def _read(self, session: Session, actor: Actor | None) -> tuple[Any, list[dict[str, str]], str]:
        """The page of the queue the filters ask for, the course choices and the departments
        reviewed elsewhere (reads the filters only: runs in a worker thread for the load)."""
        result = self._list_queue(
            enrollment_area.list_queue,
            session,
            actor,
            course_id=route_int(self.course_filter),  # "any" (or no id): every course
        )
        courses = [
            {"id": str(i), "label": label}
            for i, label in enrollment_area.queue_course_options(session=session, actor=actor)
        ]
        return result, courses, enrollment_area.reviewed_elsewhere(session=session, actor=actor)

    def _show_read(self, read: tuple[Any, list[dict[str, str]], str]) -> None:
        result, self.courses, self.reviewed_elsewhere = read
        self._show_page(result, queue_row)

    def _fetch(self) -> None:
        actor = self.current_actor()
        with session_scope() as session:
            read = self._read(session, actor)
        self._show_read(read)

    @rx.event
    async def load(self):  # type: ignore[no-untyped-def]
        """The queue's first page, its database work in a worker thread (Reflex runs a plain
        handler on the event loop)."""
        self.selected = []
        actor = await self.guard_off_loop(SECTION)
        if actor is None:
            return self.refused()
        self.search = search_text(self.search)  # a search the link carried (?learner=)
        try:
            self._show_read(await with_session(lambda session: self._read(session, actor)))
        except DomainError as exc:
            return rx.toast.error(exc.message)
        return None

    # -- filters ------------------------------------------------------------------------------
    set_status_filter = filter_setter("status_filter")
    set_course_filter = filter_setter("course_filter")

    @rx.event
    def reset_filters(self):  # type: ignore[no-untyped-def]
        self.status_filter, self.course_filter = "pending", ANY
        return self._cleared()

    # -- one registration ---------------------------------------------------------------------
    @rx.event
    def approve(self, registration_id: str, number: str):  # type: ignore[no-untyped-def]
        wanted = route_int(registration_id) or 0  # 0: not found
        try:
            row = as_admin(self, enrollment_area.approve, registration_id=wanted)
        except DomainError as exc:
            self._refetch()
            return rx.toast.error(f"{number}: {exc.message}")
        return self._refetch_or(rx.toast.success(
            f"{row.number} approved for {row.learner_name}."
        ))

    @rx.event
    def confirm_reject(self):  # type: ignore[no-untyped-def]
        reason = self._checked_reason(check_rejection_reason)
        if reason is None:
            return None
        if self.reject_id == 0:
            return self._run_bulk("reject", reason)
        try:
            row = as_admin(self, enrollment_area.reject, registration_id=self.reject_id,
                           reason=reason)
        except DomainError as exc:
            return self._reject_refused(exc)
        self.reject_open = False
        return self._refetch_or(rx.toast.success(
            f"{row.number} rejected; {row.learner_name} is told why."
        ))

    # -- the selection at once ----------------------------------------------------------------
    @rx.event
    def bulk_approve(self):  # type: ignore[no-untyped-def]
        if not self.selected:
            return rx.toast.info("Tick the registrations to approve first.")
        return self._run_bulk("approve", "")

    def _run_bulk(self, action: str, reason: str):  # type: ignore[no-untyped-def]
        try:
            outcomes = as_admin(self, enrollment_area.bulk, ids=self._selected_ids(),
                                action=action, reason=reason)
        except DomainError as exc:
            return self._bulk_refused(exc)
        numbers = {r["id"]: r["number"] for r in self.rows}
        verb = "approved" if action == "approve" else "rejected"
        return self._bulk_done(outcomes, numbers, verb, "not changed")
