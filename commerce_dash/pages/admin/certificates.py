"""Certificate lookup (dept-admins of their departments, super-admins): search by number,
learner, course, program, department, status and issue date; detail with history; manual
issue (CERT-007) and revocation with a reason (CERT-008)."""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.vars import ObjectVar

from commerce_dash.components.admin_forms import (
    new_button,
    note,
    only_if,
    search_input,
    table_or_empty,
    toolbar,
)
from commerce_dash.components.backend_url import api_href
from commerce_dash.components.badges import row_status_badge
from commerce_dash.components.certificate_tabs import certificate_tabs
from commerce_dash.components.dialogs import confirm_dialog, dialog, dialog_buttons
from commerce_dash.components.forms import error_text, labelled, select
from commerce_dash.components.shell import admin_shell
from commerce_dash.components.tables import empty_state, pager
from commerce_dash.domain.certificate_status import MIN_REASON, REVOCATION_CATEGORIES
from commerce_dash.pages.admin.certificates_state import (
    ANY,
    SECTION,
    STATUS_OPTIONS,
    CertificatesAdminState,
)

S = CertificatesAdminState


def _filters() -> rx.Component:
    return toolbar(
        search_input(S, "Number, learner name or email", ["100%", "260px"],
                     id="certificate-search"),
        select(S.status_filter, S.set_status_filter, STATUS_OPTIONS, label="Status"),
        select(S.course_filter, S.set_course_filter, label="Course", first=(ANY, "Any course"),
               each=S.courses, max_width="16em"),
        select(S.department_filter, S.set_department_filter, label="Department",
               first=(ANY, "Any department"), each=S.departments, max_width="16em"),
        rx.hstack(
            rx.text("Issued from", size="2"),
            rx.input(type="date", value=S.date_from, on_change=S.set_date_from,
                     aria_label="Issued from (first day)"),
            rx.text("to", size="2"),
            rx.input(type="date", value=S.date_to, on_change=S.set_date_to,
                     aria_label="Issued to (last day)"),
            align="center", wrap="wrap",
        ),
        rx.button("Clear filters", variant="ghost", size="2", on_click=S.reset_filters),
        rx.spacer(),
        new_button("award", "Issue certificate", S.open_issue, "issue-certificate"),
        align="center",
    )


def _table_row(row: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.link(row["number"], on_click=S.open_detail(row["id"]),  # type: ignore[operator]
                              weight="medium", size="2", white_space="nowrap",
                              cursor="pointer", class_name="certificate-number")),
        rx.table.cell(rx.vstack(rx.text(row["learner"], size="2"),
                                note(row["email"]),
                                spacing="0")),
        rx.table.cell(rx.hstack(
            only_if(row["kind"] == "program", rx.badge("Program", variant="outline", size="1")),
            rx.text(row["title"], size="2"), spacing="1", align="center")),
        rx.table.cell(rx.text(row["department"], size="2")),
        rx.table.cell(rx.hstack(
            rx.text(row["issued"], size="2", white_space="nowrap"),
            only_if(row["manual"] == "yes", rx.badge("manual", variant="outline", size="1",
                                                     color_scheme="gray")),
            spacing="1", align="center")),
        rx.table.cell(row_status_badge(row, "certificate-status")),
        rx.table.cell(rx.button("View", size="1", variant="soft",
                                on_click=S.open_detail(row["id"]))),  # type: ignore[operator]
        class_name="certificate-row", data_number=row["number"], data_status=row["status"],
    )


def _table() -> rx.Component:
    headers = ["Number", "Learner", "Course or program", "Department", "Issued", "Status", ""]
    return rx.card(
        table_or_empty(
            headers, S.rows, _table_row,
            rx.cond(
                S.filtered,
                empty_state("search-x", "No certificates match",
                            "Widen the filters or clear them."),
                empty_state("award", "No certificates yet",
                            "Certificates appear here when learners complete courses, or "
                            "issue one by hand with “Issue certificate”."),
            ),
        ),
        pager(S.page, S.pages, S.total, S.prev_page, S.next_page),
        width="100%",
    )


def _fact(label: str, value: Any) -> rx.Component:
    return only_if(
        value != "",
        rx.hstack(note(label, size="2", min_width="9em"),
                  rx.text(value, size="2"), align="start", width="100%"),
    )


def _history_row(h: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.hstack(
        rx.icon("history", size=14, color=rx.color("gray", 9)),
        rx.vstack(
            rx.text(h["action"], " · ", h["at"], " · ", h["actor"], size="2"),
            only_if(h["reason"] != "", note(h["reason"])),
            spacing="0",
        ),
        align="start", class_name="certificate-history",
    )


def _detail_dialog() -> rx.Component:
    d = S.detail
    return rx.dialog.root(
        rx.dialog.content(
            rx.hstack(
                rx.dialog.title(d["number"], margin="0"),
                rx.badge(d["status_label"], color_scheme=d["status_color"].to(str),  # type: ignore[arg-type]
                         variant="soft", id="detail-status"),
                align="center", spacing="3",
            ),
            rx.dialog.description(
                "Who holds this certificate, what it is for and its history.",
                size="2", color_scheme="gray",
            ),
            rx.vstack(
                _fact("Recipient", d["recipient"]),
                _fact("Email", d["email"]),
                _fact("Certificate", d["certificate_title"]),
                _fact("Course or program", d["title"]),
                _fact("Department", d["department"]),
                _fact("Completed", d["completed"]),
                _fact("Issued", d["issued"]),
                _fact("Expires", d["expires"]),
                _fact("Grade", d["grade"]),
                _fact("Score", d["percentage"]),
                _fact("Template", d["template"]),
                _fact("Issued by hand", d["issue_note"]),
                _fact("Revoked", d["revoked_on"]),
                _fact("Why", d["revoked_category"]),
                _fact("Reason (private)", d["revoked_reason"]),
                rx.heading("History", size="3", padding_top="0.5em"),
                rx.foreach(S.history, _history_row),
                rx.hstack(
                    rx.link(rx.button(rx.icon("download", size=14), "PDF", variant="soft"),
                            href=api_href(d["download_url"]), is_external=True),
                    rx.link(rx.button(rx.icon("external-link", size=14), "Public page",
                                      variant="soft"), href=d["verify_url"], is_external=True),
                    rx.spacer(),
                    only_if(d["status"] != "revoked",
                            rx.button(rx.icon("ban", size=14), "Revoke…", color_scheme="red",
                                      variant="soft", on_click=S.open_revoke,
                                      id="open-revoke")),
                    rx.dialog.close(rx.button("Close", variant="soft", color_scheme="gray")),
                    width="100%", spacing="2", wrap="wrap", padding_top="0.5em",
                ),
                spacing="2", width="100%", padding_top="0.75em",
            ),
            max_width="620px",
        ),
        open=S.detail_open, on_open_change=S.set_detail_open,
    )


def _revoke_dialog() -> rx.Component:
    return confirm_dialog(
        ("Revoke ", S.detail["number"]),
        "The public page shows the certificate as revoked at once, with the category "
        "below (the reason itself stays private). The learner is emailed both.",
        select(S.revoke_category, S.set_revoke_category, list(REVOCATION_CATEGORIES.items()),
               label="Category", placeholder="Why is it revoked?", width="100%",
               id="revoke-category"),
        rx.text_area(placeholder=f"Reason (at least {MIN_REASON} characters)",
                     aria_label="Reason", value=S.revoke_reason,
                     on_change=S.set_revoke_reason, rows="3", max_length=500, width="100%",
                     id="revoke-reason"),
        error_text(S.revoke_error, "revoke-error"),
        confirm="Revoke certificate",
        on_confirm=S.confirm_revoke,
        confirm_id="revoke-submit",
        open=S.revoke_open,
        on_open_change=S.set_revoke_open,
        max_width="520px",
    )


def _error(name: str) -> rx.Component:
    message = S.issue_errors[name]
    return only_if(message, rx.text(message, color_scheme="red", size="1",
                                    class_name="field-error"))


def _labelled(label: str, control: rx.Component, name: str) -> rx.Component:
    return labelled(label, control, _error(name))


def _issue_dialog() -> rx.Component:
    return dialog(
        "Issue a certificate",
        "For a learner who completed outside the platform. The learner gets the PDF "
        "by email; the note is kept in the audit log.",
        rx.form(
            rx.vstack(
                _labelled("Learner's email", rx.input(name="email", type="email",
                                                      required=True, width="100%",
                                                      id="issue-email"), "email"),
                rx.segmented_control.root(
                    rx.segmented_control.item("Course", value="course"),
                    rx.segmented_control.item("Program", value="program"),
                    value=S.issue_kind, on_change=S.set_issue_kind,
                ),
                _labelled("Course or program", rx.select.root(
                    rx.select.trigger(placeholder="Choose…", width="100%",
                                      id="issue-item"),
                    rx.select.content(rx.foreach(
                        rx.cond(S.issue_kind == "course", S.courses, S.programs),
                        lambda o: rx.select.item(o["label"], value=o["id"]))),
                    value=S.issue_item, on_change=S.set_issue_item,
                ), "course_id"),
                rx.grid(
                    _labelled("Completed on", rx.input(name="completed_on", type="date",
                                                       width="100%"), "completed_on"),
                    _labelled("Grade", rx.input(name="grade", max_length=16,
                                                width="100%"), "grade"),
                    _labelled("Score %", rx.input(name="percentage", type="number",
                                                  min="0", max="100", width="100%"),
                              "percentage"),
                    columns=rx.breakpoints(initial="1", sm="3"), spacing="3", width="100%",
                ),
                _labelled("Why it is issued by hand", rx.text_area(
                    name="note", rows="2", width="100%", max_length=500,
                    placeholder=f"At least {MIN_REASON} characters", id="issue-note"),
                    "note"),
                dialog_buttons(rx.button("Issue", type="submit", id="issue-submit")),
                spacing="3", width="100%", padding_top="1em",
            ),
            on_submit=S.submit_issue, reset_on_submit=False,
        ),
        max_width="560px",
        open=S.issue_open,
        on_open_change=S.set_issue_open,
    )


def certificates_admin_page() -> rx.Component:
    return admin_shell(
        SECTION, "Certificates",
        certificate_tabs("certificates"),
        _filters(),
        _table(),
        _detail_dialog(),
        _revoke_dialog(),
        _issue_dialog(),
    )
