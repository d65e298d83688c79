"""The registration approval queue (enrollment-admins and dept-admins of their departments, as
each department's ``registration_reviewers`` setting says; super-admins):
pending registrations oldest first, filters, approve or reject one, or a selection at once.

A container page: below the queue it shows the LMS-pending card of ``lms_pending.py``. Its state
is ``registrations_state.py``; the queue layout is ``components/queue.py``."""

from __future__ import annotations

import reflex as rx
from reflex.vars import ObjectVar

from commerce_dash.components.admin_forms import note
from commerce_dash.components.badges import field_badge, row_status_badge
from commerce_dash.components.cells import only_if, text_if, two_lines
from commerce_dash.components.forms import select
from commerce_dash.components.queue import (
    decide_buttons,
    queue_page,
    queue_reject_dialog,
    select_row_box,
)
from commerce_dash.domain.registrations import MIN_REJECTION_REASON
from commerce_dash.pages.admin.lms_pending import lms_pending_card
from commerce_dash.pages.admin.registrations_state import (
    ANY,
    EMPTY,
    NO_MATCH,
    SECTION,
    STATUS_OPTIONS,
    RegistrationsState,
)

S = RegistrationsState


def _reject_dialog() -> rx.Component:
    return queue_reject_dialog(
        S,
        ("Reject ", S.reject_label),
        "The learner sees this reason on their account page and in the email; "
        f"write at least {MIN_REJECTION_REASON} characters.",
        minimum=MIN_REJECTION_REASON,
        maximum=1000,
        placeholder="Why the registration is rejected",
        reason_id="reject-reason",
        error_id="reason-error",
        confirm_id="reject-submit",
    )


def _badge(row: ObjectVar[dict[str, str]]) -> rx.Component:
    return row_status_badge(row, "status-badge")


def _row(row: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(select_row_box(S, row, row["number"], "select-registration")),
        rx.table.cell(
            rx.vstack(
                rx.text(row["number"], weight="medium", size="2", white_space="nowrap"),
                rx.text(row["created"], size="1", color_scheme="gray", white_space="nowrap"),
                spacing="0",
            )
        ),
        rx.table.cell(two_lines(row["learner_name"], row["learner_email"], size="2")),
        rx.table.cell(
            rx.vstack(
                rx.hstack(
                    only_if(
                        row["kind"] == "program",
                        rx.badge("Program", variant="outline", size="1"),
                    ),
                    rx.text(row["title"], size="2", weight="medium"),
                    spacing="1",
                    align="center",
                ),
                text_if(row["program_title"], "in ", row["program_title"], size="1",
                        color_scheme="gray"),
                note(row["department"]),
                spacing="0",
            )
        ),
        rx.table.cell(
            two_lines(row["order_number"], row["amount"], size="2", white_space="nowrap")
        ),
        rx.table.cell(field_badge(row, "payment_status")),
        rx.table.cell(
            rx.vstack(
                _badge(row),
                text_if(row["reviewed_by"], row["reviewed_by"], " · ", row["reviewed_at"],
                        size="1", color_scheme="gray"),
                text_if(row["rejection_reason"], size="1", color_scheme="red",
                        max_width="18em"),
                text_if(row["refund"], size="1", color_scheme="gray"),
                spacing="1",
                align="start",
            )
        ),
        rx.table.cell(
            only_if(
                row["pending"] == "yes",
                decide_buttons(
                    ("Approve", S.approve(row["id"], row["number"]),  # type: ignore[operator]
                     "approve-registration"),
                    ("Reject", S.open_reject(row["id"], row["number"]),  # type: ignore[operator]
                     "reject-registration"),
                ),
            )
        ),
        class_name="registration-row",
        data_number=row["number"],
        data_status=row["status"],
    )


def _reviewed_elsewhere() -> rx.Component:
    """Which of the admin's departments others review (the department's setting)."""
    return only_if(
        S.reviewed_elsewhere != "",
        rx.callout(S.reviewed_elsewhere, icon="info", color_scheme="gray", high_contrast=True,
                   id="reviewed-elsewhere", width="100%"),
    )


def registrations_page() -> rx.Component:
    return queue_page(
        S,
        SECTION,
        "Registrations",
        filters=(
            select(S.status_filter, S.set_status_filter, STATUS_OPTIONS, label="Status"),
            select(S.course_filter, S.set_course_filter, label="Course",
                   first=(ANY, "Any course"), each=S.courses, max_width="18em"),
        ),
        date_label="Registered from",
        approve_label="Approve",
        headers=["Registration", "Learner", "Course or program", "Order", "Payment", "Status",
                 ""],
        row=_row,
        select_label="Select every registration on this page",
        empty=EMPTY,
        no_match=NO_MATCH,
        item_header="Registration",
        failed_label="Not changed",
        after=(_reviewed_elsewhere(), lms_pending_card()),
        dialogs=(_reject_dialog(),),
    )
