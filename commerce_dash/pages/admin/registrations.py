"""The registration approval queue (enrollment-admins of their departments, super-admins):
pending registrations oldest first, filters, approve or reject one, or a selection at once.

A container page: below the queue it shows the LMS-pending card of ``lms_pending.py``. Its state
is ``registrations_state.py``; the queue layout is ``components/queue.py``."""

from __future__ import annotations

import reflex as rx
from reflex.vars import ObjectVar

from commerce_dash.components.badges import field_badge, row_status_badge
from commerce_dash.components.dialogs import reason_dialog
from commerce_dash.components.forms import select
from commerce_dash.components.queue import queue_page
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
    return reason_dialog(
        ("Reject ", S.reject_label),
        "The learner sees this reason on their account page and in the email; "
        f"write at least {MIN_REJECTION_REASON} characters.",
        value=S.reject_reason,
        on_change=S.set_reject_reason,
        length=S.reject_length,
        minimum=MIN_REJECTION_REASON,
        maximum=1000,
        error=S.reject_error,
        error_id="reason-error",
        reason_id="reject-reason",
        placeholder="Why the registration is rejected",
        confirm="Reject",
        on_confirm=S.confirm_reject,
        confirm_id="reject-submit",
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
        rx.table.cell(field_badge(row, "payment_status")),
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
        after=(lms_pending_card(),),
        dialogs=(_reject_dialog(),),
    )
