"""The state of ``courses.py`` (its view): what the page loads and its event handlers."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

import reflex as rx

from commerce_dash.db import session_scope
from commerce_dash.domain.dates import parse_day
from commerce_dash.domain.errors import DomainError
from commerce_dash.domain.paging import PageRequest
from commerce_dash.pages.admin.service_calls import (
    act,
    attempt,
    managed_department_options,
)
from commerce_dash.services import learning as learning_area
from commerce_dash.services import platform as platform_area
from commerce_dash.state.admin import AdminState
from commerce_dash.state.paging import PagedTableMixin, section_loader
from commerce_dash.state.route_args import route_int
from commerce_dash.state.service_call import as_admin
from commerce_dash.state.setters import filter_setter, value_setter

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
    "deadline": "deadline_error",
    "prerequisites": "prerequisites_error",
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
    edit_deadline: str = ""
    edit_prerequisites: str = ""
    title_error: str = ""
    description_error: str = ""
    category_error: str = ""
    hours_error: str = ""
    thumbnail_error: str = ""
    deadline_error: str = ""
    prerequisites_error: str = ""
    edit_error: str = ""

    def _fetch(self) -> None:
        actor = self.current_actor()
        published = {"published": True, "draft": False}.get(self.published_filter)
        with session_scope() as session:
            self.departments = managed_department_options(session, actor, "courses")
            result = platform_area.list_courses(
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

    load = section_loader("courses")

    set_department_filter = filter_setter("department_filter")
    set_published_filter = filter_setter("published_filter")

    # -- publish ------------------------------------------------------------
    @rx.event
    def set_published(self, course_id: str, published: bool):  # type: ignore[no-untyped-def]
        return act(
            self,
            platform_area.set_course_published,
            lambda course: (
                f"{course.code} is published in the storefront." if published
                else f"{course.code} is unpublished; learners no longer see it."
            ),
            course_id=route_int(course_id) or 0,  # 0: not found
            published=published,
        )

    # -- edit ---------------------------------------------------------------
    def _clear_errors(self) -> None:
        for name in (*EDIT_ERRORS.values(), "edit_error"):
            setattr(self, name, "")

    @rx.event
    def open_edit(self, course_id: str):  # type: ignore[no-untyped-def]
        course, refused = attempt(
            self, platform_area.get_course, course_id=route_int(course_id) or 0  # 0: not found
        )
        if course is None:
            return refused
        self._clear_errors()
        self.edit_id = course.id or 0
        self.edit_code = course.code
        self.edit_title = course.title
        self.edit_description = course.description
        self.edit_category = course.category
        self.edit_hours = hours_text(course.estimated_minutes)
        self.edit_thumbnail = course.thumbnail_url
        self.edit_approval = {None: "inherit", True: "yes", False: "no"}[course.approval_required]
        with session_scope() as session:
            rules = learning_area.enrollment_rules(session, course.id or 0)
        self.edit_deadline = f"{rules.deadline:%Y-%m-%d}" if rules.deadline else ""
        self.edit_prerequisites = rules.codes
        self.edit_open = True
        return None

    set_edit_open = value_setter("edit_open", bool)
    set_edit_approval = value_setter("edit_approval")

    @rx.event
    def save_edit(self, form: dict[str, str]):  # type: ignore[no-untyped-def]
        self._clear_errors()
        try:
            minutes = minutes_from_hours(form.get("hours", ""))
            course = as_admin(
                self,
                platform_area.update_course,
                course_id=self.edit_id,
                title=form.get("title", ""),
                description=form.get("description", ""),
                category=form.get("category", ""),
                estimated_minutes=minutes,
                thumbnail_url=form.get("thumbnail_url", ""),
                approval_required=APPROVAL_BY_CHOICE.get(self.edit_approval),
            )
            day = parse_day(form.get("deadline", ""), "deadline")
            as_admin(self, learning_area.set_enrollment_rules, course_id=self.edit_id,
                     # the whole day, in UTC
                     deadline=day + timedelta(days=1, microseconds=-1) if day else None,
                     prerequisite_codes=form.get("prerequisites", ""))
        except DomainError as exc:
            setattr(self, EDIT_ERRORS.get(exc.field or "", "edit_error"), exc.message)
            return None
        self.edit_open = False
        self._fetch()
        return rx.toast.success(f"{course.code} saved.")
