"""The state of ``certificates.py`` (its view): what the page loads and its event handlers."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import reflex as rx

from commerce_dash.components.badges import status_color
from commerce_dash.db import session_scope
from commerce_dash.domain.dates import parse_day
from commerce_dash.domain.errors import DomainError
from commerce_dash.domain.identifiers import parse_whole
from commerce_dash.domain.paging import PageRequest
from commerce_dash.pages.admin.service_calls import managed_department_options, options
from commerce_dash.services import learning as learning_area
from commerce_dash.state.admin import AdminState
from commerce_dash.state.paging import PagedTableMixin, fetch_or_toast
from commerce_dash.state.route_args import route_int
from commerce_dash.state.service_call import as_admin
from commerce_dash.state.setters import choice_value, filter_setter, value_setter

PAGE_SIZE = 25
SECTION = "certificates"
ANY = "any"
STATUS_OPTIONS = [(ANY, "Any status"), ("valid", "Valid"), ("revoked", "Revoked"),
                  ("expired", "Expired")]
ISSUE_FIELDS = ("email", "course_id", "completed_on", "grade", "percentage", "note")


def _status(status: str) -> dict[str, str]:
    return {"status": status, "status_label": status.capitalize(),
            "status_color": status_color(status)}


def _row(r: learning_area.CertificateRow) -> dict[str, str]:
    return {"id": str(r.id), "number": r.number, "learner": r.learner, "email": r.email,
            "kind": r.kind, "title": r.item_title, "department": r.department,
            "issued": r.issued_on, "manual": "yes" if r.manual else "", **_status(r.status)}


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
            courses, programs = learning_area.issue_options(session=session, actor=actor)
            self.departments = managed_department_options(session, actor, SECTION)
            self.courses, self.programs = options(courses), options(programs)
            result = learning_area.search(
                session=session, actor=actor, page=PageRequest(self.page, PAGE_SIZE),
                query=learning_area.CertificateQuery(
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

    @rx.event
    def load(self):  # type: ignore[no-untyped-def]
        if self.guard(SECTION) is None:
            return self.refused()
        number = self.router.url.query_parameters.get("number", "")
        if number:
            self.search = number
        return self._refetch()

    set_status_filter = filter_setter("status_filter")
    set_course_filter = filter_setter("course_filter")
    set_department_filter = filter_setter("department_filter")
    set_date_from = filter_setter("date_from")
    set_date_to = filter_setter("date_to")

    @rx.event
    def reset_filters(self):  # type: ignore[no-untyped-def]
        self.status_filter = self.course_filter = self.department_filter = ANY
        self.date_from = self.date_to = self.search = ""
        self.page = 1
        return self._refetch_or(rx.toast.info("Filters cleared."))

    # -- detail -------------------------------------------------------------------------------
    def _load_detail(self, certificate_id: int) -> None:
        d = as_admin(self, learning_area.detail, certificate_id=certificate_id)
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
        error = fetch_or_toast(lambda: self._load_detail(route_int(certificate_id) or 0))  # 0: not found
        if error is None:
            self.detail_open = True
        return error

    set_detail_open = value_setter("detail_open", bool)

    # -- revoke -------------------------------------------------------------------------------
    @rx.event
    def open_revoke(self) -> None:
        self.revoke_category, self.revoke_reason, self.revoke_error = "", "", ""
        self.revoke_open = True

    set_revoke_open = value_setter("revoke_open", bool)
    set_revoke_category = value_setter("revoke_category")
    set_revoke_reason = value_setter("revoke_reason")

    @rx.event
    def confirm_revoke(self):  # type: ignore[no-untyped-def]
        self.revoke_error = ""
        certificate_id = route_int(self.detail.get("id", "")) or 0
        try:
            done = as_admin(
                self, learning_area.revoke, certificate_id=certificate_id,
                category=self.revoke_category, reason=self.revoke_reason)
            self._load_detail(certificate_id)
        except DomainError as exc:
            if exc.field in ("category", "reason"):
                self.revoke_error = exc.message
                return None
            self.revoke_open = False
            return rx.toast.error(exc.message)
        self.revoke_open = False
        return self._refetch_or(rx.toast.success(
            f"{done.number} revoked; the public page shows it now and the learner is told."))

    # -- manual issue -------------------------------------------------------------------------
    @rx.event
    def open_issue(self) -> None:
        self.issue_kind, self.issue_item, self.issue_errors = "course", "", {}
        self.issue_open = True

    set_issue_open = value_setter("issue_open", bool)

    @rx.event
    def set_issue_kind(self, value: str | list[str]) -> None:
        self.issue_kind = choice_value(value, "course")
        self.issue_item = ""

    set_issue_item = value_setter("issue_item")

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
            certificate = as_admin(
                self, learning_area.manual_issue,
                data=learning_area.ManualIssue(
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
        return self._refetch_or(rx.toast.success(
            f"{certificate.number} issued to {certificate.recipient_name}; they get it by "
            "email."))


# -- components -------------------------------------------------------------------------------
