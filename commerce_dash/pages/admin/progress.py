"""Learners' progress (dept-admins of their departments, super-admins): active enrollments
with how far each learner is, and recording a module's progress by hand (audited); a course
whose rule is met issues its certificate at once."""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.vars import ObjectVar

from commerce_dash.components.admin_forms import note, only_if, search_input, toolbar
from commerce_dash.components.certificate_tabs import certificate_tabs
from commerce_dash.components.dialogs import dialog
from commerce_dash.components.forms import select
from commerce_dash.components.shell import admin_shell
from commerce_dash.components.tables import paged_table
from commerce_dash.db import session_scope
from commerce_dash.domain.errors import DomainError
from commerce_dash.domain.identifiers import parse_whole
from commerce_dash.domain.paging import PageRequest
from commerce_dash.pages.admin.service_calls import options
from commerce_dash.services import learning as learning_area
from commerce_dash.state.admin import AdminState
from commerce_dash.state.paging import PagedTableMixin, fetch_or_toast, section_loader
from commerce_dash.state.route_args import route_int
from commerce_dash.state.service_call import as_admin
from commerce_dash.state.setters import filter_setter, value_setter

PAGE_SIZE = 25
SECTION = "certificates"
ANY = "any"
MAX_SCORE = 100
MAX_MINUTES = 100_000  # one entry of study time; the API takes as much


def _row(r: learning_area.EnrollmentRow) -> dict[str, str]:
    return {"id": str(r.enrollment_id), "learner": r.learner, "email": r.email,
            "course": f"{r.course_code} · {r.course_title}",
            "mode": "LMS" if r.mode == "lms" else "Local",
            "done": f"{r.modules_done} of {r.modules_total}", "percent": str(r.percent),
            "certificate": r.certificate_number}


def _module(m: learning_area.ModuleRow) -> dict[str, str]:
    return {"id": str(m.id), "title": f"{m.position}. {m.title}",
            "completed": "yes" if m.completed else "",
            "score": "" if m.score is None else str(m.score), "minutes": str(m.minutes),
            "completed_on": m.completed_on}


class ProgressAdminState(PagedTableMixin, AdminState):
    """``search`` (from the mixin) matches a learner's name or email."""

    course_filter: rx.Field[str] = rx.field(ANY)
    courses: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    open_enrollment: rx.Field[bool] = rx.field(False)
    enrollment: rx.Field[dict[str, str]] = rx.field(default_factory=dict)
    enrollment_percent: rx.Field[int] = rx.field(0)
    missing: rx.Field[list[str]] = rx.field(default_factory=list)
    modules: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)

    def _fetch(self) -> None:
        actor = self.current_actor()
        with session_scope() as session:
            courses, _ = learning_area.issue_options(session=session, actor=actor)
            self.courses = options(courses)
            result = learning_area.list_enrollments(
                session=session, actor=actor, page=PageRequest(self.page, PAGE_SIZE),
                text=self.search,
                course_id=route_int(self.course_filter))  # "any" or a bad value: no filter
        self.total, self.pages = result.total, result.pages
        self.rows = [_row(r) for r in result.items]

    load = section_loader(SECTION)

    set_course_filter = filter_setter("course_filter")

    def _load_enrollment(self, enrollment_id: int) -> None:
        p = as_admin(self, learning_area.admin_enrollment, enrollment_id=enrollment_id)
        self.enrollment = {
            "id": str(p.enrollment_id), "learner": p.learner,
            "course": f"{p.course_code} · {p.course_title}", "percent": str(p.percent),
            "done": f"{p.modules_done} of {p.modules_total} modules",
            "criteria": p.criteria, "certificate": p.certificate_number,
            "mode": "Progress also arrives from the LMS." if p.mode == "lms" else "",
        }
        self.enrollment_percent = p.percent
        self.missing = list(p.missing)
        self.modules = [_module(m) for m in p.modules]

    @rx.event
    def open_progress(self, enrollment_id: str):  # type: ignore[no-untyped-def]
        error = fetch_or_toast(lambda: self._load_enrollment(route_int(enrollment_id) or 0))  # 0: not found
        if error is None:
            self.open_enrollment = True
        return error

    set_open_enrollment = value_setter("open_enrollment", bool)

    @rx.event
    def record(self, form: dict[str, Any]):  # type: ignore[no-untyped-def]
        enrollment_id = route_int(self.enrollment.get("id", "")) or 0
        score_text = str(form.get("score", "")).strip()
        minutes_text = str(form.get("minutes", "")).strip() or "0"
        score = parse_whole(score_text, high=MAX_SCORE) if score_text else None
        minutes = parse_whole(minutes_text, high=MAX_MINUTES)
        if (score_text and score is None) or minutes is None:
            return rx.toast.error(f"Score and minutes are whole numbers: a score from 0 to "
                                  f"{MAX_SCORE}, minutes from 0 to {MAX_MINUTES:,}.")
        try:
            outcome = as_admin(
                self, learning_area.admin_record_progress, enrollment_id=enrollment_id,
                module_id=route_int(form.get("module_id")) or 0,  # 0: not in the course
                completed=bool(form.get("completed")),
                score=score, minutes=minutes)
            self._load_enrollment(enrollment_id)
        except DomainError as exc:
            return rx.toast.error(exc.message)
        self._refetch()
        if outcome.certificate_number and outcome.completion.complete:
            return rx.toast.success(
                f"Course complete: certificate {outcome.certificate_number} is issued.")
        return rx.toast.success("Progress recorded.")


# -- components -------------------------------------------------------------------------------

S = ProgressAdminState


def _filters() -> rx.Component:
    return toolbar(
        search_input(S, "Learner name or email", ["100%", "260px"], id="progress-search"),
        select(S.course_filter, S.set_course_filter, label="Course", first=(ANY, "Any course"),
               each=S.courses, max_width="18em"),
        align="center",
    )


def _bar(percent: Any) -> rx.Component:
    """A thin bar filled to ``percent`` (text from a row dict)."""
    return rx.box(
        rx.box(width=percent.to(str) + "%", height="100%", background=rx.color("accent", 9),
               border_radius="999px"),
        width="8em", height="6px", background=rx.color("gray", 4), border_radius="999px",
        overflow="hidden",
    )


def _table_row(row: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.vstack(rx.text(row["learner"], size="2"),
                                note(row["email"]),
                                spacing="0")),
        rx.table.cell(rx.text(row["course"], size="2")),
        rx.table.cell(rx.badge(row["mode"], variant="outline", size="1")),
        rx.table.cell(rx.vstack(
            _bar(row["percent"]),
            note(row["done"], " · ", row["percent"], "%"),
            spacing="1")),
        rx.table.cell(rx.cond(row["certificate"] != "",
                              rx.badge(rx.icon("award", size=12), row["certificate"],
                                       color_scheme="green", variant="soft"),
                              rx.text("—", color_scheme="gray"))),
        rx.table.cell(rx.button("Record progress", size="1", variant="soft", white_space="nowrap",
                                on_click=S.open_progress(row["id"]))),  # type: ignore[operator]
        class_name="progress-row", data_email=row["email"],
    )


def _table() -> rx.Component:
    return paged_table(
        S, ["Learner", "Course", "Mode", "Progress", "Certificate", ""], _table_row,
        ("list-checks", "No active enrollments",
         "Learners appear here once they are enrolled in your courses."),
    )


def _module_form(m: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.form(
        rx.hstack(
            rx.input(type="hidden", name="module_id", value=m["id"]),
            rx.cond(m["completed"] == "yes",
                    rx.icon("circle-check", size=18, color=rx.color("green", 9)),
                    rx.icon("circle", size=18, color=rx.color("gray", 8))),
            rx.vstack(
                rx.text(m["title"], size="2", weight="medium"),
                only_if(m["completed_on"] != "",
                        note("Completed ", m["completed_on"])),
                spacing="0", min_width="12em", flex="1",
            ),
            rx.checkbox("Done", name="completed", default_checked=m["completed"] == "yes",
                        disabled=m["completed"] == "yes"),
            rx.input(name="score", type="number", min="0", max="100", placeholder="Score %",
                     default_value=m["score"], width="6.5em", aria_label="Score"),
            rx.input(name="minutes", type="number", min="0", placeholder="+ minutes",
                     width="6.5em", aria_label="Minutes to add"),
            rx.button("Save", size="1", type="submit"),
            align="center", spacing="2", wrap="wrap", width="100%",
        ),
        on_submit=S.record, reset_on_submit=True, class_name="module-progress",
        width="100%",
    )


def _progress_dialog() -> rx.Component:
    e = S.enrollment
    return dialog(
        (e["learner"], " · ", e["course"]),
        (e["criteria"], " ", e["mode"]),
        rx.vstack(
            rx.hstack(rx.progress(value=S.enrollment_percent, max=100, flex="1",
                                  aria_label="Progress"),
                      rx.text(e["done"], size="2"), width="100%", align="center"),
            rx.cond(e["certificate"] != "",
                    rx.callout.root(rx.callout.icon(rx.icon("award")), rx.callout.text(
                        "Complete. Certificate ", e["certificate"], " was issued."),
                        color_scheme="green", width="100%"),
                    rx.foreach(S.missing, lambda t: note("• ", t, size="2"))),
            rx.foreach(S.modules, _module_form),
            note("Minutes are added to the time already recorded; a module once done "
                    "stays done."),
            rx.hstack(rx.dialog.close(rx.button("Close", variant="soft",
                                                color_scheme="gray")),
                      justify="end", width="100%"),
            spacing="3", width="100%", padding_top="0.75em",
        ),
        max_width="760px",
        open=S.open_enrollment,
        on_open_change=S.set_open_enrollment,
    )


def progress_admin_page() -> rx.Component:
    return admin_shell(SECTION, "Certificates", certificate_tabs("progress"), _filters(),
                       _table(), _progress_dialog())
