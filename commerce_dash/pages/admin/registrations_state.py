"""The registration approval queue's state: filters, paging, approve or reject one or a
selection (the view is ``registrations.py``)."""

from __future__ import annotations

from datetime import timedelta

import reflex as rx

from commerce_dash.components.badges import status_color, status_fields
from commerce_dash.db import session_scope
from commerce_dash.domain.dates import WHEN, parse_day, when
from commerce_dash.domain.errors import DomainError
from commerce_dash.domain.paging import PageRequest
from commerce_dash.domain.registrations import MIN_REJECTION_REASON, check_rejection_reason
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
        "status_color": status_color(status),
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
