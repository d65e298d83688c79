"""Certificate lookup (dept-admins of their departments, super-admins): search by number,
learner, course, program, department, status and issue date; detail with history; manual
issue (CERT-007) and revocation with a reason (CERT-008)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import reflex as rx
from reflex.vars import ObjectVar

from commerce_dash.components.backend_url import api_href
from commerce_dash.components.badges import row_status_badge
from commerce_dash.components.certificate_tabs import certificate_tabs
from commerce_dash.components.shell import admin_shell
from commerce_dash.components.tables import empty_state, pager
from commerce_dash.db import session_scope
from commerce_dash.domain.certificate_status import MIN_REASON, REVOCATION_CATEGORIES
from commerce_dash.domain.dates import parse_day
from commerce_dash.domain.errors import DomainError
from commerce_dash.domain.identifiers import parse_whole
from commerce_dash.domain.paging import PageRequest
from commerce_dash.services.learning import certificates as certificates_service
from commerce_dash.services.platform.org import department_options, managed_departments
from commerce_dash.state.admin import AdminState
from commerce_dash.state.paging import PagedTableMixin
from commerce_dash.state.route_args import route_int

PAGE_SIZE = 25
SECTION = "certificates"
ANY = "any"
STATUS_OPTIONS = [(ANY, "Any status"), ("valid", "Valid"), ("revoked", "Revoked"),
                  ("expired", "Expired")]
STATUS_COLORS = {"valid": "green", "revoked": "red", "expired": "amber"}
ISSUE_FIELDS = ("email", "course_id", "completed_on", "grade", "percentage", "note")


def _status(status: str) -> dict[str, str]:
    return {"status": status, "status_label": status.capitalize(),
            "status_color": STATUS_COLORS.get(status, "gray")}


def _row(r: certificates_service.CertificateRow) -> dict[str, str]:
    return {"id": str(r.id), "number": r.number, "learner": r.learner, "email": r.email,
            "kind": r.kind, "title": r.item_title, "department": r.department,
            "issued": r.issued_on, "manual": "yes" if r.manual else "", **_status(r.status)}


def _options(pairs: list[tuple[int, str]]) -> list[dict[str, str]]:
    return [{"id": str(i), "label": label} for i, label in pairs]


class CertificatesAdminState(PagedTableMixin, AdminState):
    """``search`` (from the mixin) matches a number, a learner's name or email."""

    status_filter: rx.Field[str] = rx.field(ANY)
    course_filter: rx.Field[str] = rx.field(ANY)
    department_filter: rx.Field[str] = rx.field(ANY)
    date_from: rx.Field[str] = rx.field("")
    date_to: rx.Field[str] = rx.field("")
    courses: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    programs: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    departments: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)

    detail_open: rx.Field[bool] = rx.field(False)
    detail: rx.Field[dict[str, str]] = rx.field(default_factory=dict)
    history: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)

    revoke_open: rx.Field[bool] = rx.field(False)
    revoke_category: rx.Field[str] = rx.field("")
    revoke_reason: rx.Field[str] = rx.field("")
    revoke_error: rx.Field[str] = rx.field("")

    issue_open: rx.Field[bool] = rx.field(False)
    issue_kind: rx.Field[str] = rx.field("course")
    issue_item: rx.Field[str] = rx.field("")
    issue_errors: rx.Field[dict[str, str]] = rx.field(default_factory=dict)

    @rx.var
    def filtered(self) -> bool:
        return bool(self.status_filter != ANY or self.course_filter != ANY
                    or self.department_filter != ANY or self.date_from or self.date_to
                    or self.search.strip())

    def _fetch(self) -> None:
        actor = self.current_actor()
        date_from = parse_day(self.date_from, "date_from")
        date_to = parse_day(self.date_to, "date_to")
        with session_scope() as session:
            courses, programs = certificates_service.issue_options(session=session, actor=actor)
            scope = managed_departments(session=session, actor=actor, section=SECTION)
            self.departments = _options(department_options(session=session, within=scope))
            self.courses, self.programs = _options(courses), _options(programs)
            result = certificates_service.search(
                session=session, actor=actor, page=PageRequest(self.page, PAGE_SIZE),
                query=certificates_service.CertificateQuery(
                    text=self.search,
                    # "any" (or a value that is no id): no filter
                    course_id=route_int(self.course_filter),
                    department_id=route_int(self.department_filter),
                    status="" if self.status_filter == ANY else self.status_filter,
                    issued_from=date_from,
                    issued_to=date_to + timedelta(days=1) if date_to else None,
                ),
            )
        self.total, self.pages = result.total, result.pages
        self.rows = [_row(r) for r in result.items]

    def _filtered(self):  # type: ignore[no-untyped-def]
        self.page = 1
        return self._refetch()

    @rx.event
    def load(self):  # type: ignore[no-untyped-def]
        if self.guard(SECTION) is None:
            return self.refused()
        number = self.router.url.query_parameters.get("number", "")
        if number:
            self.search = number
        return self._refetch()

    @rx.event
    def set_status_filter(self, value: str):  # type: ignore[no-untyped-def]
        self.status_filter = value
        return self._filtered()

    @rx.event
    def set_course_filter(self, value: str):  # type: ignore[no-untyped-def]
        self.course_filter = value
        return self._filtered()

    @rx.event
    def set_department_filter(self, value: str):  # type: ignore[no-untyped-def]
        self.department_filter = value
        return self._filtered()

    @rx.event
    def set_date_from(self, value: str):  # type: ignore[no-untyped-def]
        self.date_from = value
        return self._filtered()

    @rx.event
    def set_date_to(self, value: str):  # type: ignore[no-untyped-def]
        self.date_to = value
        return self._filtered()

    @rx.event
    def reset_filters(self):  # type: ignore[no-untyped-def]
        self.status_filter = self.course_filter = self.department_filter = ANY
        self.date_from = self.date_to = self.search = ""
        error = self._filtered()
        return error if error is not None else rx.toast.info("Filters cleared.")

    # -- detail -------------------------------------------------------------------------------
    def _load_detail(self, certificate_id: int) -> None:
        with session_scope() as session:
            d = certificates_service.detail(session=session, actor=self.current_actor(),
                                            certificate_id=certificate_id)
        self.detail = {
            **_row(d.row), "certificate_title": d.title, "recipient": d.recipient_name,
            "completed": d.completed_on, "expires": d.expires_on, "grade": d.grade,
            "percentage": "" if d.percentage is None else f"{d.percentage}%",
            "template": d.template, "revoked_on": d.revoked_on,
            "revoked_category": d.revoked_category, "revoked_reason": d.revoked_reason,
            "issue_note": d.issue_note, "verify_url": d.verify_url,
            "download_url": d.download_url,
        }
        self.history = [{"at": h.at, "actor": h.actor, "action": h.action, "reason": h.reason}
                        for h in d.history]

    @rx.event
    def open_detail(self, certificate_id: str):  # type: ignore[no-untyped-def]
        try:
            self._load_detail(route_int(certificate_id) or 0)  # 0: not found
        except DomainError as exc:
            return rx.toast.error(exc.message)
        self.detail_open = True
        return None

    @rx.event
    def set_detail_open(self, value: bool) -> None:
        self.detail_open = value

    # -- revoke -------------------------------------------------------------------------------
    @rx.event
    def open_revoke(self) -> None:
        self.revoke_category, self.revoke_reason, self.revoke_error = "", "", ""
        self.revoke_open = True

    @rx.event
    def set_revoke_open(self, value: bool) -> None:
        self.revoke_open = value

    @rx.event
    def set_revoke_category(self, value: str) -> None:
        self.revoke_category = value

    @rx.event
    def set_revoke_reason(self, value: str) -> None:
        self.revoke_reason = value

    @rx.event
    def confirm_revoke(self):  # type: ignore[no-untyped-def]
        self.revoke_error = ""
        certificate_id = route_int(self.detail.get("id", "")) or 0
        try:
            with session_scope() as session:
                done = certificates_service.revoke(
                    session=session, actor=self.current_actor(), certificate_id=certificate_id,
                    category=self.revoke_category, reason=self.revoke_reason)
            self._load_detail(certificate_id)
        except DomainError as exc:
            if exc.field in ("category", "reason"):
                self.revoke_error = exc.message
                return None
            self.revoke_open = False
            return rx.toast.error(exc.message)
        self.revoke_open = False
        error = self._refetch()
        return error if error is not None else rx.toast.success(
            f"{done.number} revoked; the public page shows it now and the learner is told.")

    # -- manual issue -------------------------------------------------------------------------
    @rx.event
    def open_issue(self) -> None:
        self.issue_kind, self.issue_item, self.issue_errors = "course", "", {}
        self.issue_open = True

    @rx.event
    def set_issue_open(self, value: bool) -> None:
        self.issue_open = value

    @rx.event
    def set_issue_kind(self, value: str | list[str]) -> None:
        self.issue_kind = value if isinstance(value, str) else (value[0] if value else "course")
        self.issue_item = ""

    @rx.event
    def set_issue_item(self, value: str) -> None:
        self.issue_item = value

    @rx.event
    def submit_issue(self, form: dict[str, Any]):  # type: ignore[no-untyped-def]
        self.issue_errors = {}
        item = route_int(self.issue_item)  # none chosen (or no id): "choose a course"
        percentage_text = str(form.get("percentage", "")).strip()
        percentage = parse_whole(percentage_text, high=100) if percentage_text else None
        try:
            completed = parse_day(str(form.get("completed_on", "")), "completed_on")
            if percentage_text and percentage is None:
                raise DomainError("invalid_percentage", "A percentage is a whole number "
                                  "from 0 to 100.", field="percentage")
            with session_scope() as session:
                certificate = certificates_service.manual_issue(
                    session=session, actor=self.current_actor(),
                    data=certificates_service.ManualIssue(
                        email=str(form.get("email", "")),
                        course_id=item if self.issue_kind == "course" else None,
                        program_id=item if self.issue_kind == "program" else None,
                        completed_on=completed.date() if completed else None,
                        grade=str(form.get("grade", "")),
                        percentage=percentage,
                        note=str(form.get("note", ""))))
        except DomainError as exc:
            field = "course_id" if exc.field == "program_id" else exc.field
            if field in ISSUE_FIELDS:
                self.issue_errors = {field or "": exc.message}
                return None
            return rx.toast.error(exc.message)
        self.issue_open = False
        self.search, self.page = certificate.number, 1
        error = self._refetch()
        return error if error is not None else rx.toast.success(
            f"{certificate.number} issued to {certificate.recipient_name}; they get it by "
            "email.")


# -- components -------------------------------------------------------------------------------

S = CertificatesAdminState


def _select(value: Any, on_change: Any, options: Any, label: str, any_label: str,
            id_: str = "") -> rx.Component:
    return rx.select.root(
        rx.select.trigger(aria_label=label, max_width="16em", id=id_ or None),
        rx.select.content(
            rx.select.item(any_label, value=ANY),
            rx.foreach(options, lambda o: rx.select.item(o["label"], value=o["id"])),
        ),
        value=value,
        on_change=on_change,
    )


def _filters() -> rx.Component:
    return rx.hstack(
        rx.input(placeholder="Number, learner name or email", value=S.search,
                 on_change=S.set_search.debounce(300),  # type: ignore[attr-defined]
                 width=["100%", "260px"], id="certificate-search"),
        rx.select.root(
            rx.select.trigger(aria_label="Status"),
            rx.select.content(*[rx.select.item(t, value=v) for v, t in STATUS_OPTIONS]),
            value=S.status_filter, on_change=S.set_status_filter,
        ),
        _select(S.course_filter, S.set_course_filter, S.courses, "Course", "Any course"),
        _select(S.department_filter, S.set_department_filter, S.departments, "Department",
                "Any department"),
        rx.hstack(
            rx.text("Issued from", size="2"),
            rx.input(type="date", value=S.date_from, on_change=S.set_date_from),
            rx.text("to", size="2"),
            rx.input(type="date", value=S.date_to, on_change=S.set_date_to),
            align="center", wrap="wrap",
        ),
        rx.button("Clear filters", variant="ghost", size="2", on_click=S.reset_filters),
        rx.spacer(),
        rx.button(rx.icon("award", size=16), "Issue certificate", on_click=S.open_issue,
                  id="issue-certificate"),
        wrap="wrap", spacing="3", width="100%", align="center",
    )


def _table_row(row: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.link(row["number"], on_click=S.open_detail(row["id"]),  # type: ignore[operator]
                              weight="medium", size="2", white_space="nowrap",
                              cursor="pointer", class_name="certificate-number")),
        rx.table.cell(rx.vstack(rx.text(row["learner"], size="2"),
                                rx.text(row["email"], size="1", color_scheme="gray"),
                                spacing="0")),
        rx.table.cell(rx.hstack(
            rx.cond(row["kind"] == "program", rx.badge("Program", variant="outline", size="1"),
                    rx.fragment()),
            rx.text(row["title"], size="2"), spacing="1", align="center")),
        rx.table.cell(rx.text(row["department"], size="2")),
        rx.table.cell(rx.hstack(
            rx.text(row["issued"], size="2", white_space="nowrap"),
            rx.cond(row["manual"] == "yes", rx.badge("manual", variant="outline", size="1",
                                                     color_scheme="gray"), rx.fragment()),
            spacing="1", align="center")),
        rx.table.cell(row_status_badge(row, "certificate-status")),
        rx.table.cell(rx.button("View", size="1", variant="soft",
                                on_click=S.open_detail(row["id"]))),  # type: ignore[operator]
        class_name="certificate-row", data_number=row["number"], data_status=row["status"],
    )


def _table() -> rx.Component:
    headers = ["Number", "Learner", "Course or program", "Department", "Issued", "Status", ""]
    return rx.card(
        rx.cond(
            S.rows.length() > 0,
            rx.box(rx.table.root(
                rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in headers])),
                rx.table.body(rx.foreach(S.rows, _table_row)), width="100%"),
                overflow_x="auto", width="100%"),
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
    return rx.cond(
        value != "",
        rx.hstack(rx.text(label, size="2", color_scheme="gray", min_width="9em"),
                  rx.text(value, size="2"), align="start", width="100%"),
        rx.fragment(),
    )


def _history_row(h: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.hstack(
        rx.icon("history", size=14, color=rx.color("gray", 9)),
        rx.vstack(
            rx.text(h["action"], " · ", h["at"], " · ", h["actor"], size="2"),
            rx.cond(h["reason"] != "", rx.text(h["reason"], size="1", color_scheme="gray"),
                    rx.fragment()),
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
                    rx.cond(d["status"] != "revoked",
                            rx.button(rx.icon("ban", size=14), "Revoke…", color_scheme="red",
                                      variant="soft", on_click=S.open_revoke,
                                      id="open-revoke"),
                            rx.fragment()),
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
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Revoke ", S.detail["number"]),
            rx.dialog.description(
                "The public page shows the certificate as revoked at once, with the category "
                "below (the reason itself stays private). The learner is emailed both.",
                size="2"),
            rx.vstack(
                rx.select.root(
                    rx.select.trigger(placeholder="Why is it revoked?", width="100%",
                                      id="revoke-category"),
                    rx.select.content(*[rx.select.item(label, value=key)
                                        for key, label in REVOCATION_CATEGORIES.items()]),
                    value=S.revoke_category, on_change=S.set_revoke_category,
                ),
                rx.text_area(placeholder=f"Reason (at least {MIN_REASON} characters)",
                             value=S.revoke_reason, on_change=S.set_revoke_reason, rows="3",
                             max_length=500, width="100%", id="revoke-reason"),
                rx.cond(S.revoke_error != "",
                        rx.text(S.revoke_error, color_scheme="red", size="2",
                                id="revoke-error"), rx.fragment()),
                rx.hstack(
                    rx.dialog.close(rx.button("Cancel", variant="soft", color_scheme="gray")),
                    rx.button("Revoke certificate", color_scheme="red",
                              on_click=S.confirm_revoke, id="revoke-submit"),
                    justify="end", spacing="3", width="100%",
                ),
                spacing="3", padding_top="1em",
            ),
            max_width="520px",
        ),
        open=S.revoke_open, on_open_change=S.set_revoke_open,
    )


def _error(name: str) -> rx.Component:
    message = S.issue_errors[name]
    return rx.cond(message, rx.text(message, color_scheme="red", size="1",
                                    class_name="field-error"), rx.fragment())


def _labelled(label: str, control: rx.Component, name: str) -> rx.Component:
    return rx.vstack(rx.text(label, size="2", weight="medium"), control, _error(name),
                     spacing="1", width="100%")


def _issue_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Issue a certificate"),
            rx.dialog.description(
                "For a learner who completed outside the platform. The learner gets the PDF "
                "by email; the note is kept in the audit log.", size="2"),
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
                    rx.hstack(
                        rx.dialog.close(rx.button("Cancel", variant="soft", color_scheme="gray",
                                                  type="button")),
                        rx.button("Issue", type="submit", id="issue-submit"),
                        justify="end", spacing="3", width="100%",
                    ),
                    spacing="3", width="100%", padding_top="1em",
                ),
                on_submit=S.submit_issue, reset_on_submit=False,
            ),
            max_width="560px",
        ),
        open=S.issue_open, on_open_change=S.set_issue_open,
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
