"""Courses (dept-admins, their departments): search, filter, publish and edit."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

import reflex as rx

from commerce_dash.components.forms import field, form_error
from commerce_dash.components.shell import admin_shell
from commerce_dash.components.tables import paged_table
from commerce_dash.db import session_scope
from commerce_dash.domain.errors import DomainError
from commerce_dash.domain.paging import PageRequest
from commerce_dash.pages.admin.approval_rules import approval_rules_card
from commerce_dash.pages.admin.completion_rules import CompletionRuleState, completion_rule_dialog
from commerce_dash.services.platform import org
from commerce_dash.state.admin import AdminState
from commerce_dash.state.paging import PagedTableMixin
from commerce_dash.state.route_args import route_int

PAGE_SIZE = 20
# ASCII digits with at most one decimal point (a "-" too, so a negative is the range message);
# Decimal() would also take "١.٥", "１.５", "1_0", "1e3" and "NaN"
_HOURS = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)", re.ASCII)
APPROVAL_BY_CHOICE: dict[str, bool | None] = {"inherit": None, "yes": True, "no": False}
EDIT_ERRORS = {
    "title": "title_error",
    "description": "description_error",
    "category": "category_error",
    "estimated_minutes": "hours_error",
    "thumbnail_url": "thumbnail_error",
}


def minutes_from_hours(text: str) -> int:
    """'1.5' hours -> 90 minutes (a decimal comma reads as a point); empty means no estimate
    (0). Only ASCII digits with one optional decimal point count."""
    cleaned = (text if isinstance(text, str) else "?").strip().replace(",", ".")
    if not cleaned:
        return 0
    if not _HOURS.fullmatch(cleaned) or not 0 <= Decimal(cleaned) <= 10_000:
        raise DomainError(
            "invalid_duration",
            "Enter the hours as a number from 0 to 10,000, like 1.5.",
            field="estimated_minutes",
        )
    return int((Decimal(cleaned) * 60).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def hours_text(minutes: int) -> str:
    """90 -> '1.5'; two decimals at most, which round-trip to the same minutes."""
    if not minutes:
        return ""
    hours = (Decimal(minutes) / 60).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"{hours.normalize():f}"


class CoursesState(PagedTableMixin, AdminState):
    department_filter: str = "all"
    published_filter: str = "all"
    departments: list[dict[str, str]] = []

    # edit dialog
    edit_open: bool = False
    edit_id: int = 0
    edit_code: str = ""
    edit_title: str = ""
    edit_description: str = ""
    edit_category: str = ""
    edit_hours: str = ""
    edit_thumbnail: str = ""
    edit_approval: str = "inherit"
    title_error: str = ""
    description_error: str = ""
    category_error: str = ""
    hours_error: str = ""
    thumbnail_error: str = ""
    edit_error: str = ""

    def _fetch(self) -> None:
        actor = self.current_actor()
        published = {"published": True, "draft": False}.get(self.published_filter)
        with session_scope() as session:
            allowed = org.managed_departments(session=session, actor=actor, section="courses")
            self.departments = [
                {"id": str(i), "label": label}
                for i, label in org.department_options(session=session, within=allowed)
            ]
            result = org.list_courses(
                session=session,
                actor=actor,
                page=PageRequest(self.page, PAGE_SIZE),
                search=self.search,
                department_id=route_int(self.department_filter),  # "all" (or no id): all
                published=published,
            )
        self.total, self.pages = result.total, result.pages
        self.rows = [
            {
                "id": str(r.id),
                "code": r.code,
                "title": r.title,
                "department": r.department,
                "category": r.category or "-",
                "modules": str(r.modules),
                "published": "yes" if r.published else "",
            }
            for r in result.items
        ]

    @rx.event
    def load(self):  # type: ignore[no-untyped-def]
        if self.guard("courses") is None:
            return self.refused()
        return self._refetch()

    @rx.event
    def set_department_filter(self, value: str):  # type: ignore[no-untyped-def]
        self.department_filter, self.page = value, 1
        return self._refetch()

    @rx.event
    def set_published_filter(self, value: str):  # type: ignore[no-untyped-def]
        self.published_filter, self.page = value, 1
        return self._refetch()

    # -- publish ------------------------------------------------------------
    @rx.event
    def set_published(self, course_id: str, published: bool):  # type: ignore[no-untyped-def]
        try:
            with session_scope() as session:
                course = org.set_course_published(
                    session=session,
                    actor=self.current_actor(),
                    course_id=route_int(course_id) or 0,  # 0: not found
                    published=published,
                )
        except DomainError as exc:
            return rx.toast.error(exc.message)
        self._fetch()
        if published:
            return rx.toast.success(f"{course.code} is published in the storefront.")
        return rx.toast.success(f"{course.code} is unpublished; learners no longer see it.")

    # -- edit ---------------------------------------------------------------
    def _clear_errors(self) -> None:
        for name in (*EDIT_ERRORS.values(), "edit_error"):
            setattr(self, name, "")

    @rx.event
    def open_edit(self, course_id: str):  # type: ignore[no-untyped-def]
        try:
            with session_scope() as session:
                course = org.get_course(
                    session=session, actor=self.current_actor(),
                    course_id=route_int(course_id) or 0,  # 0: not found
                )
        except DomainError as exc:
            return rx.toast.error(exc.message)
        self._clear_errors()
        self.edit_id = course.id or 0
        self.edit_code = course.code
        self.edit_title = course.title
        self.edit_description = course.description
        self.edit_category = course.category
        self.edit_hours = hours_text(course.estimated_minutes)
        self.edit_thumbnail = course.thumbnail_url
        self.edit_approval = {None: "inherit", True: "yes", False: "no"}[course.approval_required]
        self.edit_open = True
        return None

    @rx.event
    def set_edit_open(self, value: bool) -> None:
        self.edit_open = value

    @rx.event
    def set_edit_approval(self, value: str) -> None:
        self.edit_approval = value

    @rx.event
    def save_edit(self, form: dict[str, str]):  # type: ignore[no-untyped-def]
        self._clear_errors()
        try:
            minutes = minutes_from_hours(form.get("hours", ""))
            with session_scope() as session:
                course = org.update_course(
                    session=session,
                    actor=self.current_actor(),
                    course_id=self.edit_id,
                    title=form.get("title", ""),
                    description=form.get("description", ""),
                    category=form.get("category", ""),
                    estimated_minutes=minutes,
                    thumbnail_url=form.get("thumbnail_url", ""),
                    approval_required=APPROVAL_BY_CHOICE.get(self.edit_approval),
                )
        except DomainError as exc:
            setattr(self, EDIT_ERRORS.get(exc.field or "", "edit_error"), exc.message)
            return None
        self.edit_open = False
        self._fetch()
        return rx.toast.success(f"{course.code} saved.")


def _edit_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Edit ", CoursesState.edit_code),
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
        ),
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
