"""Courses (dept-admins, their departments): search, filter, publish and edit.

A container page: it composes the approval rules card (``approval_rules.py``) and the
completion rule dialog (``completion_rules.py``).
"""

from __future__ import annotations

import reflex as rx

from commerce_dash.components.dialogs import dialog
from commerce_dash.components.forms import field, form_error
from commerce_dash.components.shell import admin_shell
from commerce_dash.components.tables import paged_table
from commerce_dash.pages.admin.approval_rules import approval_rules_card
from commerce_dash.pages.admin.completion_rules import CompletionRuleState, completion_rule_dialog
from commerce_dash.pages.admin.courses_state import (
    CoursesState,
)


def _edit_dialog() -> rx.Component:
    return dialog(
        ("Edit ", CoursesState.edit_code),
        "The title and description learners see in the catalog.",
        rx.form(
            rx.vstack(
                form_error(CoursesState.edit_error),
                field(
                    "Title",
                    "title",
                    CoursesState.title_error,
                    required=True,
                    default_value=CoursesState.edit_title,  # type: ignore[arg-type]
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
                        default_value=CoursesState.edit_description,
                        rows="4",
                        width="100%",
                    ),
                    rx.cond(
                        CoursesState.description_error != "",
                        rx.text(CoursesState.description_error, color_scheme="red", size="2"),
                        rx.fragment(),
                    ),
                    spacing="1",
                    width="100%",
                ),
                field(
                    "Category",
                    "category",
                    CoursesState.category_error,
                    default_value=CoursesState.edit_category,  # type: ignore[arg-type]
                ),
                field(
                    "Duration (hours)",
                    "hours",
                    CoursesState.hours_error,
                    placeholder="1.5",
                    default_value=CoursesState.edit_hours,  # type: ignore[arg-type]
                    hint="Estimated time to complete; leave empty if unknown.",
                ),
                field(
                    "Thumbnail URL",
                    "thumbnail_url",
                    CoursesState.thumbnail_error,
                    placeholder="https://...",
                    default_value=CoursesState.edit_thumbnail,  # type: ignore[arg-type]
                ),
                rx.text("Approval required", size="2", weight="medium"),
                rx.select.root(
                    rx.select.trigger(),
                    rx.select.content(
                        rx.select.item("Inherit from the department", value="inherit"),
                        rx.select.item("Yes: registrations wait for approval", value="yes"),
                        rx.select.item("No: registrations are approved at once", value="no"),
                    ),
                    value=CoursesState.edit_approval,
                    on_change=CoursesState.set_edit_approval,
                ),
                rx.hstack(
                    rx.dialog.close(
                        rx.button("Cancel", variant="soft", color_scheme="gray", type="button")
                    ),
                    rx.button("Save", type="submit", id="save-course-submit"),
                    justify="end",
                    width="100%",
                ),
                spacing="3",
            ),
            on_submit=CoursesState.save_edit,
            reset_on_submit=False,
            # a new key remounts the inputs so their default values follow the course
            key=CoursesState.edit_id.to_string(),
        ),
        max_width="560px",
        open=CoursesState.edit_open,
        on_open_change=CoursesState.set_edit_open,
    )


def _row(row: rx.Var[dict[str, str]]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.code(row["code"])),
        rx.table.cell(rx.text(row["title"], weight="medium")),
        rx.table.cell(rx.text(row["department"], size="2")),
        rx.table.cell(rx.text(row["category"], size="2")),
        rx.table.cell(rx.text(row["modules"], size="2")),
        rx.table.cell(
            rx.cond(
                row["published"] == "yes",
                rx.badge("published", color_scheme="green"),
                rx.badge("draft", color_scheme="gray"),
            )
        ),
        rx.table.cell(
            rx.hstack(
                rx.button(
                    "Edit", size="1", variant="soft", on_click=CoursesState.open_edit(row["id"])
                ),
                rx.button(
                    "Completion",
                    size="1",
                    variant="soft",
                    color_scheme="gray",
                    on_click=CompletionRuleState.open_for(row["id"], row["code"]),  # type: ignore[operator]
                    class_name="completion-rule",
                ),
                rx.cond(
                    row["published"] == "yes",
                    rx.button(
                        "Unpublish",
                        size="1",
                        variant="soft",
                        color_scheme="orange",
                        on_click=CoursesState.set_published(row["id"], False),
                    ),
                    rx.button(
                        "Publish",
                        size="1",
                        variant="soft",
                        color_scheme="green",
                        on_click=CoursesState.set_published(row["id"], True),
                    ),
                ),
                spacing="2",
            )
        ),
        data_code=row["code"],
    )


def courses_page() -> rx.Component:
    return admin_shell(
        "courses",
        "Courses",
        rx.hstack(
            rx.input(
                placeholder="Search code, title or category",
                value=CoursesState.search,
                on_change=CoursesState.set_search.debounce(300),
                width=["100%", "280px"],
            ),
            rx.select.root(
                rx.select.trigger(placeholder="Department"),
                rx.select.content(
                    rx.select.item("All departments", value="all"),
                    rx.foreach(
                        CoursesState.departments,
                        lambda d: rx.select.item(d["label"], value=d["id"]),
                    ),
                ),
                value=CoursesState.department_filter,
                on_change=CoursesState.set_department_filter,
            ),
            rx.select.root(
                rx.select.trigger(),
                rx.select.content(
                    rx.select.item("Published and drafts", value="all"),
                    rx.select.item("Published", value="published"),
                    rx.select.item("Drafts", value="draft"),
                ),
                value=CoursesState.published_filter,
                on_change=CoursesState.set_published_filter,
            ),
            wrap="wrap",
            spacing="3",
            width="100%",
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
    )
