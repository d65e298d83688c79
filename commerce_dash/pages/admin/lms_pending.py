"""On the registrations page: LMS enrollments still waiting for the LMS's answer, with retry."""

from __future__ import annotations

import reflex as rx

from commerce_dash.components.admin_forms import only_if, titled_card
from commerce_dash.components.tables import header_cell
from commerce_dash.db import session_scope
from commerce_dash.domain.dates import when
from commerce_dash.domain.errors import DomainError
from commerce_dash.services.enrollment import retry_lms_enrollment, stuck_lms_enrollments
from commerce_dash.settings import get_settings
from commerce_dash.state.admin import AdminState
from commerce_dash.state.route_args import route_int
from commerce_dash.state.service_call import as_admin


class LmsPendingState(AdminState):
    lms_mode: bool = False
    stuck: list[dict[str, str]] = []

    def _fetch(self) -> None:
        with session_scope() as session:
            rows = stuck_lms_enrollments(session=session, actor=self.current_actor())
        self.stuck = [
            {"id": str(r.enrollment_id), "number": r.registration_number,
             "learner": r.learner_email, "course": r.course_title,
             "requested": when(r.requested_at),
             "delivery": r.delivery}
            for r in rows
        ]

    @rx.event
    def load(self):  # type: ignore[no-untyped-def]
        self.lms_mode = get_settings().lms_mode
        if not self.lms_mode or self.guard("registrations") is None:
            self.stuck = []
            return None
        self._fetch()
        return None

    @rx.event
    def retry(self, enrollment_id: str):  # type: ignore[no-untyped-def]
        try:
            message = as_admin(self, retry_lms_enrollment,
                               enrollment_id=route_int(enrollment_id) or 0)  # 0: not found
        except DomainError as exc:
            return rx.toast.error(exc.message)
        self._fetch()
        return rx.toast.success(message)


def _stuck_row(r: rx.Var[dict[str, str]]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(r["number"]), rx.table.cell(r["learner"]),
        rx.table.cell(r["course"]), rx.table.cell(r["requested"]),
        rx.table.cell(rx.text(r["delivery"], size="1")),
        rx.table.cell(rx.button("Retry", size="1", variant="soft",
                                on_click=LmsPendingState.retry(r["id"]))),
    )


def _stuck_table() -> rx.Component:
    headers = ("Registration", "Learner", "Course", "Requested", "Delivery", "")
    return rx.table.root(
        rx.table.header(rx.table.row(*[header_cell(h) for h in headers])),
        rx.table.body(rx.foreach(LmsPendingState.stuck, _stuck_row)),
        size="1",
        width="100%",
    )


def lms_pending_card() -> rx.Component:
    return only_if(
        LmsPendingState.lms_mode,
        titled_card(
            "Waiting for the LMS",
            "Approved registrations whose enrollment the LMS has not confirmed after 30 "
            "minutes. Retry sends the request again.",
            rx.cond(
                LmsPendingState.stuck.length() == 0,
                rx.text("Nothing is stuck.", size="2"),
                _stuck_table(),
            ),
        ),
    )
