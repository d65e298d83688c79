"""Programs (billing admins: all; dept-admins: theirs): bundles of ordered courses."""

from __future__ import annotations

import reflex as rx

from commerce_dash.components.dialogs import dialog
from commerce_dash.components.forms import field, form_error
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
    return dialog(
        rx.cond(
            ProgramsState.editing_id == 0,
            "New program",
            "Edit " + ProgramsState.editing_code,
        ),
        "A program bundles courses and sells them at one price.",
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
