"""Programs (billing admins: all; dept-admins: theirs): bundles of ordered courses."""

from __future__ import annotations

import reflex as rx

from commerce_dash.components.forms import field, form_error
from commerce_dash.components.shell import admin_shell
from commerce_dash.components.tables import paged_table
from commerce_dash.db import session_scope
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.errors import DomainError
from commerce_dash.domain.paging import PageRequest
from commerce_dash.services.catalog import programs
from commerce_dash.services.platform import org
from commerce_dash.settings import get_settings
from commerce_dash.state.admin import AdminState
from commerce_dash.state.paging import PagedTableMixin
from commerce_dash.state.route_args import route_int

PAGE_SIZE = 20
FORM_ERRORS = {
    "code": "code_error",
    "title": "title_error",
    "department_id": "department_error",
    "course_ids": "courses_error",
}


def _row_of(program: programs.ProgramRow, price: programs.BundlePrice | None) -> dict[str, str]:
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
            result = programs.list_programs(
                session=session,
                actor=actor,
                page=PageRequest(self.page, PAGE_SIZE),
                search=self.search,
            )
            prices = programs.bundle_prices(
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
            allowed = org.managed_departments(session=session, actor=actor, section="programs")
            self.departments = [
                {"id": str(i), "label": label}
                for i, label in org.department_options(session=session, within=allowed)
            ]
            self.course_choices = [
                {"id": str(i), "label": label}
                for i, label in org.course_options(session=session, actor=actor,
                                                   published_only=True)
            ]

    @rx.event
    def load(self):  # type: ignore[no-untyped-def]
        if self.guard("programs") is None:
            return self.refused()
        return self._refetch()

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
            with session_scope() as session:
                program = programs.get_program(
                    session=session, actor=self.current_actor(),
                    program_id=route_int(program_id) or 0,  # 0: not found
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

    @rx.event
    def set_dialog_open(self, value: bool) -> None:
        self.dialog_open = value

    @rx.event
    def set_form_department(self, value: str) -> None:
        self.form_department = value

    @rx.event
    def set_form_published(self, value: bool) -> None:
        self.form_published = value

    @rx.event
    def set_pick_course(self, value: str) -> None:
        self.pick_course = value

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
                    program = programs.update_program(
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
                    program = programs.create_program(
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


def _course_picker() -> rx.Component:
    last = ProgramsState.picked.length() - 1
    return rx.vstack(
        rx.text("Courses, in the order learners take them", size="2", weight="medium"),
        rx.cond(
            ProgramsState.picked.length() > 0,
            rx.vstack(
                rx.foreach(
                    ProgramsState.picked,
                    lambda course, i: rx.hstack(
                        rx.badge((i + 1).to_string(), variant="soft"),
                        rx.text(course["label"], size="2", flex="1", min_width="0"),
                        rx.icon_button(
                            rx.icon("arrow-up", size=14),
                            size="1",
                            variant="soft",
                            type="button",
                            aria_label="Move up",
                            disabled=i == 0,
                            on_click=ProgramsState.move_course(i, -1),
                        ),
                        rx.icon_button(
                            rx.icon("arrow-down", size=14),
                            size="1",
                            variant="soft",
                            type="button",
                            aria_label="Move down",
                            disabled=i == last,
                            on_click=ProgramsState.move_course(i, 1),
                        ),
                        rx.icon_button(
                            rx.icon("x", size=14),
                            size="1",
                            variant="soft",
                            color_scheme="red",
                            type="button",
                            aria_label="Remove",
                            on_click=ProgramsState.remove_course(i),
                        ),
                        align="center",
                        width="100%",
                        class_name="program-course",
                    ),
                ),
                spacing="2",
                width="100%",
                id="program-courses",
            ),
            rx.text("No courses yet: add at least two.", size="2", color_scheme="gray"),
        ),
        rx.hstack(
            rx.select.root(
                rx.select.trigger(placeholder="Choose a course", width="100%"),
                rx.select.content(
                    rx.foreach(
                        ProgramsState.available_courses,
                        lambda c: rx.select.item(c["label"], value=c["id"]),
                    ),
                ),
                value=ProgramsState.pick_course,
                on_change=ProgramsState.set_pick_course,
            ),
            rx.button(
                rx.icon("plus", size=14),
                "Add",
                variant="soft",
                type="button",
                on_click=ProgramsState.add_course,
                id="add-program-course",
            ),
            wrap="wrap",
            width="100%",
        ),
        rx.cond(
            ProgramsState.courses_error != "",
            rx.text(ProgramsState.courses_error, color_scheme="red", size="2", id="courses-error"),
            rx.fragment(),
        ),
        spacing="2",
        width="100%",
    )


def _identity_fields() -> rx.Component:
    """Code and department are chosen when creating; afterwards they are shown, not edited."""
    return rx.cond(
        ProgramsState.editing_id == 0,
        rx.vstack(
            field("Code", "code", ProgramsState.code_error, required=True, placeholder="DATA-PATH"),
            rx.text("Department", size="2", weight="medium"),
            rx.select.root(
                rx.select.trigger(placeholder="Choose a department", width="100%"),
                rx.select.content(
                    rx.foreach(
                        ProgramsState.departments,
                        lambda d: rx.select.item(d["label"], value=d["id"]),
                    ),
                ),
                value=ProgramsState.form_department,
                on_change=ProgramsState.set_form_department,
            ),
            rx.cond(
                ProgramsState.department_error != "",
                rx.text(ProgramsState.department_error, color_scheme="red", size="2"),
                rx.fragment(),
            ),
            spacing="2",
            width="100%",
        ),
        rx.text("Department: ", ProgramsState.editing_department, size="2", color_scheme="gray"),
    )


def _program_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(
                rx.cond(
                    ProgramsState.editing_id == 0,
                    "New program",
                    "Edit " + ProgramsState.editing_code,
                )
            ),
            rx.form(
                rx.vstack(
                    form_error(ProgramsState.dialog_error),
                    _identity_fields(),
                    field(
                        "Title",
                        "title",
                        ProgramsState.title_error,
                        required=True,
                        default_value=ProgramsState.form_title,  # type: ignore[arg-type]
                    ),
                    rx.vstack(
                        rx.text(
                            "Description",
                            as_="label",
                            html_for="description",
                            size="2",
                            weight="medium",
                        ),
                        rx.text_area(
                            id="description",
                            name="description",
                            default_value=ProgramsState.form_description,
                            rows="3",
                            width="100%",
                        ),
                        spacing="1",
                        width="100%",
                    ),
                    rx.hstack(
                        rx.switch(
                            checked=ProgramsState.form_published,
                            on_change=ProgramsState.set_form_published,
                        ),
                        rx.text("Published in the storefront", size="2"),
                        align="center",
                        id="program-published",
                    ),
                    _course_picker(),
                    rx.hstack(
                        rx.dialog.close(
                            rx.button("Cancel", variant="soft", color_scheme="gray", type="button")
                        ),
                        rx.button(
                            rx.cond(ProgramsState.editing_id == 0, "Create program", "Save"),
                            type="submit",
                            id="save-program-submit",
                        ),
                        justify="end",
                        width="100%",
                    ),
                    spacing="3",
                ),
                on_submit=ProgramsState.save_program,
                reset_on_submit=False,
                key=ProgramsState.form_key.to_string(),
            ),
            max_width="600px",
        ),
        open=ProgramsState.dialog_open,
        on_open_change=ProgramsState.set_dialog_open,
    )


def _row(row: rx.Var[dict[str, str]]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.code(row["code"])),
        rx.table.cell(rx.text(row["title"], weight="medium")),
        rx.table.cell(rx.text(row["department"], size="2")),
        rx.table.cell(rx.text(row["courses"], size="2")),
        rx.table.cell(
            rx.cond(
                row["published"] == "yes",
                rx.badge("published", color_scheme="green"),
                rx.badge("draft", color_scheme="gray"),
            )
        ),
        rx.table.cell(
            rx.cond(
                row["price"] != "",
                rx.vstack(
                    rx.text(row["price"], size="2", weight="medium"),
                    rx.cond(
                        row["savings"] != "",
                        rx.text(row["savings"], size="1", color_scheme="green"),
                        rx.fragment(),
                    ),
                    spacing="0",
                ),
                rx.text("no price", size="1", color_scheme="gray"),
            )
        ),
        rx.table.cell(
            rx.button("Edit", size="1", variant="soft", on_click=ProgramsState.open_edit(row["id"]))
        ),
        data_code=row["code"],
    )


def programs_page() -> rx.Component:
    return admin_shell(
        "programs",
        "Programs",
        rx.hstack(
            rx.input(
                placeholder="Search code or title",
                value=ProgramsState.search,
                on_change=ProgramsState.set_search.debounce(300),
                width=["100%", "280px"],
            ),
            rx.spacer(),
            rx.button(
                rx.icon("plus", size=16),
                "New program",
                on_click=ProgramsState.open_create,
                id="new-program",
            ),
            wrap="wrap",
            spacing="3",
            width="100%",
        ),
        paged_table(
            ProgramsState,
            ["Code", "Title", "Department", "Courses", "Status", "Bundle price", "Actions"],
            _row,
            (
                "library",
                "No programs yet",
                "Bundle two or more courses into a program with 'New program'.",
            ),
        ),
        _program_dialog(),
    )
