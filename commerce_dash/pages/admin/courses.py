"""Courses (dept-admins, their departments): search, filter, publish and edit.

A container page: it composes the approval rules card (``approval_rules.py``), the
completion rule dialog (``completion_rules.py``) and the steps dialog (``course_steps.py``).
"""

from __future__ import annotations

import reflex as rx

from commerce_dash.components.admin_forms import (
    catalog_cells,
    description_field,
    edit_dialog,
    published_badge,
    row_actions,
    row_button,
    search_input,
    toggle_button,
    toolbar,
)
from commerce_dash.components.cells import text_cells
from commerce_dash.components.forms import Input, error_text, input_fields, select
from commerce_dash.components.shell import admin_shell
from commerce_dash.components.tables import paged_table
from commerce_dash.pages.admin.approval_rules import approval_rules_card
from commerce_dash.pages.admin.completion_rules import CompletionRuleState, completion_rule_dialog
from commerce_dash.pages.admin.course_steps import course_steps_dialog
from commerce_dash.pages.admin.course_steps_state import CourseStepsState
from commerce_dash.pages.admin.courses_state import (
    CoursesState,
)

EDIT_INPUTS = (
    Input("title", "Title", required=True),
    Input("category", "Category"),
    Input(
        "hours", "Duration (hours)", "1.5", "Estimated time to complete; leave empty if unknown."
    ),
    Input("thumbnail_url", "Thumbnail URL", "https://..."),
    Input("deadline", "Enrollment deadline (UTC day)", "2027-03-30",
          "After this day the course can no longer be bought; leave empty for none."),
    Input("prerequisites", "Prerequisites", "ENG-101, ENG-102",
          "Course codes to complete first, separated by commas."),
)
# each input's message and what the course has now (the dialog's fields are uncontrolled)
_ERRORS = {
    "title": CoursesState.title_error,
    "category": CoursesState.category_error,
    "hours": CoursesState.hours_error,
    "thumbnail_url": CoursesState.thumbnail_error,
    "deadline": CoursesState.deadline_error,
    "prerequisites": CoursesState.prerequisites_error,
}
_SAVED = {
    "title": CoursesState.edit_title,
    "category": CoursesState.edit_category,
    "hours": CoursesState.edit_hours,
    "thumbnail_url": CoursesState.edit_thumbnail,
    "deadline": CoursesState.edit_deadline,
    "prerequisites": CoursesState.edit_prerequisites,
}


def _edit_dialog() -> rx.Component:
    return edit_dialog(
        ("Edit ", CoursesState.edit_code),
        "The title and description learners see in the catalog.",
        *input_fields(_ERRORS, EDIT_INPUTS[:1], _SAVED),
        description_field(
            CoursesState.edit_description, "4", error_text(CoursesState.description_error)
        ),
        *input_fields(_ERRORS, EDIT_INPUTS[1:], _SAVED),
        rx.text("Approval required", size="2", weight="medium"),
        select(
            CoursesState.edit_approval,
            CoursesState.set_edit_approval,
            [
                ("inherit", "Inherit from the department"),
                ("yes", "Yes: registrations wait for approval"),
                ("no", "No: registrations are approved at once"),
            ],
        ),
        error=CoursesState.edit_error,
        submit="Save",
        submit_id="save-course-submit",
        on_submit=CoursesState.save_edit,
        # a new key remounts the inputs so their default values follow the course
        key=CoursesState.edit_id.to_string(),
        max_width="560px",
        open=CoursesState.edit_open,
        on_open_change=CoursesState.set_edit_open,
    )


def _row(row: rx.Var[dict[str, str]]) -> rx.Component:
    return rx.table.row(
        *catalog_cells(row),
        *text_cells(row, "category", "modules"),
        rx.table.cell(published_badge(row)),
        rx.table.cell(
            row_actions(
                row_button("Edit", CoursesState.open_edit(row["id"])),
                row_button(
                    "Steps",
                    CourseStepsState.open_for(row["id"], row["code"]),  # type: ignore[operator]
                    color="gray",
                    class_name="course-steps",
                ),
                row_button(
                    "Completion",
                    CompletionRuleState.open_for(row["id"], row["code"]),  # type: ignore[operator]
                    color="gray",
                    class_name="completion-rule",
                ),
                toggle_button(
                    row["published"] == "yes",
                    lambda published: CoursesState.set_published(row["id"], published),
                    off=("Unpublish", "orange"),
                    on=("Publish", "green"),
                ),
            )
        ),
        data_code=row["code"],
    )


def courses_page() -> rx.Component:
    return admin_shell(
        "courses",
        "Courses",
        toolbar(
            search_input(CoursesState, "Search code, title or category", ["100%", "280px"]),
            select(
                CoursesState.department_filter,
                CoursesState.set_department_filter,
                first=("all", "All departments"),
                each=CoursesState.departments,
                placeholder="Department",
                label="Department",
            ),
            select(
                CoursesState.published_filter,
                CoursesState.set_published_filter,
                [("all", "Published and drafts"), ("published", "Published"), ("draft", "Drafts")],
                label="Published or draft",
            ),
        ),
        paged_table(
            CoursesState,
            ["Code", "Title", "Department", "Category", "Modules", "Status", "Actions"],
            _row,
            (
                "book-open",
                "No courses match",
                "Change the search or filters. Courses arrive from the LMS or the demo data.",
            ),
        ),
        approval_rules_card(),
        _edit_dialog(),
        completion_rule_dialog(),
        course_steps_dialog(),
    )
