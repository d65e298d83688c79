"""Programs (billing admins: all; dept-admins: theirs): bundles of ordered courses."""

from __future__ import annotations

import reflex as rx

from commerce_dash.components.admin_forms import (
    catalog_cells,
    description_field,
    edit_dialog,
    form_button,
    icon_action,
    new_button,
    note,
    only_if,
    published_badge,
    row_button,
    search_input,
    toolbar,
)
from commerce_dash.components.forms import error_text, field, select
from commerce_dash.components.shell import admin_shell
from commerce_dash.components.tables import paged_table
from commerce_dash.pages.admin.programs_state import (
    ProgramsState,
)


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
                        icon_action(
                            "arrow-up",
                            "Move up",
                            ProgramsState.move_course(i, -1),
                            disabled=i == 0,
                        ),
                        icon_action(
                            "arrow-down",
                            "Move down",
                            ProgramsState.move_course(i, 1),
                            disabled=i == last,
                        ),
                        icon_action(
                            "x", "Remove", ProgramsState.remove_course(i), color_scheme="red"
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
            note("No courses yet: add at least two.", size="2"),
        ),
        rx.hstack(
            select(
                ProgramsState.pick_course,
                ProgramsState.set_pick_course,
                each=ProgramsState.available_courses,
                placeholder="Choose a course",
                width="100%",
            ),
            form_button("plus", "Add", ProgramsState.add_course, id="add-program-course"),
            wrap="wrap",
            width="100%",
        ),
        error_text(ProgramsState.courses_error, "courses-error"),
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
            select(
                ProgramsState.form_department,
                ProgramsState.set_form_department,
                each=ProgramsState.departments,
                placeholder="Choose a department",
                width="100%",
            ),
            error_text(ProgramsState.department_error),
            spacing="2",
            width="100%",
        ),
        note("Department: ", ProgramsState.editing_department, size="2"),
    )


def _program_dialog() -> rx.Component:
    return edit_dialog(
        rx.cond(
            ProgramsState.editing_id == 0,
            "New program",
            "Edit " + ProgramsState.editing_code,
        ),
        "A program bundles courses and sells them at one price.",
        _identity_fields(),
        field(
            "Title",
            "title",
            ProgramsState.title_error,
            required=True,
            default_value=ProgramsState.form_title,  # type: ignore[arg-type]
        ),
        description_field(ProgramsState.form_description, "3"),
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
        error=ProgramsState.dialog_error,
        submit=rx.cond(ProgramsState.editing_id == 0, "Create program", "Save"),
        submit_id="save-program-submit",
        on_submit=ProgramsState.save_program,
        key=ProgramsState.form_key.to_string(),
        max_width="600px",
        open=ProgramsState.dialog_open,
        on_open_change=ProgramsState.set_dialog_open,
    )


def _row(row: rx.Var[dict[str, str]]) -> rx.Component:
    return rx.table.row(
        *catalog_cells(row),
        rx.table.cell(rx.text(row["courses"], size="2")),
        rx.table.cell(published_badge(row)),
        rx.table.cell(
            rx.cond(
                row["price"] != "",
                rx.vstack(
                    rx.text(row["price"], size="2", weight="medium"),
                    only_if(
                        row["savings"] != "",
                        rx.text(row["savings"], size="1", color_scheme="green"),
                    ),
                    spacing="0",
                ),
                note("no price"),
            )
        ),
        rx.table.cell(row_button("Edit", ProgramsState.open_edit(row["id"]))),
        data_code=row["code"],
    )


def programs_page() -> rx.Component:
    return admin_shell(
        "programs",
        "Programs",
        toolbar(
            search_input(ProgramsState, "Search code or title", ["100%", "280px"]),
            rx.spacer(),
            new_button("plus", "New program", ProgramsState.open_create, "new-program"),
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
