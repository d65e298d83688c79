"""The state of ``programs.py`` (its view): what the page loads and its event handlers."""

from __future__ import annotations

import reflex as rx

from commerce_dash.db import session_scope
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.errors import DomainError
from commerce_dash.domain.paging import PageRequest
from commerce_dash.pages.admin.service_calls import managed_department_options, options
from commerce_dash.services import catalog as catalog_area
from commerce_dash.services import platform as platform_area
from commerce_dash.settings import get_settings
from commerce_dash.state.admin import AdminState
from commerce_dash.state.paging import PagedTableMixin, section_loader
from commerce_dash.state.route_args import route_int
from commerce_dash.state.service_call import as_admin
from commerce_dash.state.setters import value_setter

PAGE_SIZE = 20
FORM_ERRORS = {
    "code": "code_error",
    "title": "title_error",
    "department_id": "department_error",
    "course_ids": "courses_error",
}


def _row_of(program: catalog_area.ProgramRow, price: catalog_area.BundlePrice | None) -> dict[str, str]:
    return {
        "id": str(program.id),
        "code": program.code,
        "title": program.title,
        "department": program.department,
        "courses": str(program.courses),
        "published": "yes" if program.published else "",
        "price": price.amount_label if price else "",
        "savings": f"You save {price.savings_label}" if price and price.savings else "",
    }


class ProgramsState(PagedTableMixin, AdminState):
    departments: list[dict[str, str]] = []
    course_choices: list[dict[str, str]] = []

    # create / edit dialog (editing_id 0 creates)
    dialog_open: bool = False
    form_key: int = 0
    editing_id: int = 0
    editing_code: str = ""
    editing_department: str = ""
    form_title: str = ""
    form_description: str = ""
    form_department: str = ""
    form_published: bool = False
    picked: list[dict[str, str]] = []
    pick_course: str = ""
    code_error: str = ""
    title_error: str = ""
    department_error: str = ""
    courses_error: str = ""
    dialog_error: str = ""

    @rx.var
    def available_courses(self) -> list[dict[str, str]]:
        taken = {c["id"] for c in self.picked}
        return [c for c in self.course_choices if c["id"] not in taken]

    def _fetch(self) -> None:
        actor = self.current_actor()
        settings = get_settings()
        with session_scope() as session:
            result = catalog_area.list_programs(
                session=session,
                actor=actor,
                page=PageRequest(self.page, PAGE_SIZE),
                search=self.search,
            )
            prices = catalog_area.bundle_prices(
                session=session,
                program_ids=[r.id for r in result.items],
                currency=settings.settlement_currency,
                at=utcnow(),
                locale=settings.default_locale,
            )
        self.total, self.pages = result.total, result.pages
        self.rows = [_row_of(r, prices.get(r.id)) for r in result.items]

    def _fetch_choices(self) -> None:
        actor = self.current_actor()
        with session_scope() as session:
            self.departments = managed_department_options(session, actor, "programs")
            self.course_choices = options(
                platform_area.course_options(session=session, actor=actor, published_only=True)
            )

    load = section_loader("programs")

    # -- dialog -------------------------------------------------------------
    def _reset_dialog(self) -> None:
        self.code_error = self.title_error = self.department_error = ""
        self.courses_error = self.dialog_error = self.pick_course = ""
        self.form_key += 1

    @rx.event
    def open_create(self):  # type: ignore[no-untyped-def]
        try:
            self._fetch_choices()
        except DomainError as exc:
            return rx.toast.error(exc.message)
        self._reset_dialog()
        self.editing_id, self.editing_code, self.editing_department = 0, "", ""
        self.form_title = self.form_description = ""
        self.form_department = self.departments[0]["id"] if len(self.departments) == 1 else ""
        self.form_published = False
        self.picked = []
        self.dialog_open = True
        return None

    @rx.event
    def open_edit(self, program_id: str):  # type: ignore[no-untyped-def]
        try:
            self._fetch_choices()
            program = as_admin(
                self, catalog_area.get_program, program_id=route_int(program_id) or 0  # 0: not found
            )
        except DomainError as exc:
            return rx.toast.error(exc.message)
        self._reset_dialog()
        self.editing_id, self.editing_code = program.id, program.code
        self.editing_department = program.department
        self.form_title, self.form_description = program.title, program.description
        self.form_department = str(program.department_id)
        self.form_published = program.published
        self.picked = [{"id": str(i), "label": label} for i, label in program.courses]
        self.dialog_open = True
        return None

    set_dialog_open = value_setter("dialog_open", bool)
    set_form_department = value_setter("form_department")
    set_form_published = value_setter("form_published", bool)
    set_pick_course = value_setter("pick_course")

    @rx.event
    def add_course(self) -> None:
        choice = next((c for c in self.available_courses if c["id"] == self.pick_course), None)
        if choice is None:
            self.courses_error = "Choose a course to add."
            return
        self.picked = [*self.picked, choice]
        self.pick_course = self.courses_error = ""

    @rx.event
    def move_course(self, index: int, step: int) -> None:
        target = index + step
        if 0 <= index < len(self.picked) and 0 <= target < len(self.picked):
            picked = list(self.picked)
            picked[index], picked[target] = picked[target], picked[index]
            self.picked = picked

    @rx.event
    def remove_course(self, index: int) -> None:
        self.picked = [c for i, c in enumerate(self.picked) if i != index]

    @rx.event
    def save_program(self, form: dict[str, str]):  # type: ignore[no-untyped-def]
        actor = self.guard("programs")
        if actor is None:
            return self.refused()
        self._reset_dialog()
        course_ids = [int(c["id"]) for c in self.picked]
        try:
            with session_scope() as session:
                if self.editing_id:
                    program = catalog_area.update_program(
                        session=session,
                        actor=actor,
                        program_id=self.editing_id,
                        title=form.get("title", ""),
                        description=form.get("description", ""),
                        published=self.form_published,
                        course_ids=course_ids,
                    )
                else:
                    department_id = route_int(self.form_department)  # none, or no id
                    if department_id is None:
                        raise DomainError(
                            "department_required", "Choose a department.", field="department_id"
                        )
                    program = catalog_area.create_program(
                        session=session,
                        actor=actor,
                        code=form.get("code", ""),
                        title=form.get("title", ""),
                        department_id=department_id,
                        course_ids=course_ids,
                        description=form.get("description", ""),
                        published=self.form_published,
                    )
        except DomainError as exc:
            setattr(self, FORM_ERRORS.get(exc.field or "", "dialog_error"), exc.message)
            return None
        verb = "saved" if self.editing_id else "created"
        self.dialog_open = False
        self._fetch()
        return rx.toast.success(f"Program {program.code} {verb}.")
