"""The learner's courses and programs on the account page, with their progress."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import reflex as rx

from commerce_dash import routes
from commerce_dash.components.badges import course_status_color, course_status_label
from commerce_dash.components.store_panels import (
    browse_catalog_button,
    card_column,
    card_title,
    responsive_row,
    soft_link_button,
)
from commerce_dash.components.tables import empty_state
from commerce_dash.pages.store.learner_load import load_for_learner
from commerce_dash.routes import verify_href
from commerce_dash.services import learning as learning_area
from commerce_dash.state.auth import AuthState
from commerce_dash.state.links import item_href, learn_href


@dataclass(frozen=True)
class CourseRowView:
    title: str = ""
    href: str = ""  # the learning page
    percent: int = 0
    status: str = ""  # Enrolled | Waiting for the LMS | Complete
    status_color: str = "gray"
    certificate_href: str = ""  # the certificate's public page, "" until earned


@dataclass(frozen=True)
class ProgramRowView:
    title: str = ""
    href: str = ""  # the program's catalog page
    percent: int = 0
    courses_label: str = ""  # "2 of 3 courses complete"
    certificate_href: str = ""


def course_row(p: learning_area.CourseProgress) -> CourseRowView:
    status = course_status_label(p)
    return CourseRowView(
        title=p.course_title,
        href=learn_href(p.course_code),
        percent=p.percent,
        status=status,
        status_color=course_status_color(p),
        certificate_href=verify_href(p.certificate_number) if p.certificate_number else "",
    )


def program_row(p: learning_area.ProgramProgress) -> ProgramRowView:
    return ProgramRowView(
        title=p.program_title,
        href=item_href("program", p.program_code),
        percent=p.percent,
        courses_label=f"{p.courses_complete} of {p.courses_total} courses complete",
        certificate_href=verify_href(p.certificate_number) if p.certificate_number else "",
    )


class MyCoursesState(AuthState):
    """Chain ``load`` after the account page's own load (it reads the session again)."""

    courses: rx.Field[list[CourseRowView]] = rx.field(default_factory=list)
    programs: rx.Field[list[ProgramRowView]] = rx.field(default_factory=list)

    @rx.event
    def load(self):  # type: ignore[no-untyped-def]
        return load_for_learner(
            self,
            lambda session, user_id: learning_area.learner_progress(session=session, user_id=user_id),
            self._show,
            self._clear,
        )

    def _show(self, progress: tuple[list[Any], list[Any]]) -> None:
        courses, programs = progress
        self.courses = [course_row(c) for c in courses]
        self.programs = [program_row(p) for p in programs]

    def _clear(self) -> None:
        self.courses, self.programs = [], []


def _progress(percent: Any, label: Any = None) -> rx.Component:
    return rx.hstack(
        rx.progress(value=percent, max=100, size="2", width="100%", min_width="80px",
                    aria_label="Course progress"),
        rx.text(
            label if label is not None else percent.to_string() + "%",
            size="1",
            color_scheme="gray",
            white_space="nowrap",
        ),
        align="center",
        spacing="2",
        width="100%",
    )


def _certificate_link(href: Any) -> rx.Component:
    return rx.cond(
        href != "",
        rx.link(
            rx.badge(
                rx.icon("award", size=12), "Certificate", color_scheme="green", variant="surface"
            ),
            href=href,
            class_name="certificate-link",
        ),
    )


def _learning_row(
    icon: rx.Component, row: Any, class_name: str, *progress: rx.Component
) -> rx.Component:
    """A course or program the learner has: its link on the left, then its progress, any
    status and the certificate link."""
    return responsive_row(
        rx.hstack(
            icon,
            rx.link(row.title, href=row.href, weight="medium"),
            align="center",
            min_width="0",
            flex="1",
        ),
        rx.flex(
            *progress,
            _certificate_link(row.certificate_href),
            gap="2",
            align="center",
            wrap="wrap",
            width=rx.breakpoints(initial="100%", sm="auto"),
        ),
        class_name=class_name,
    )


def _course_row(c: Any) -> rx.Component:
    return _learning_row(
        rx.icon("book-open", size=16, color=rx.color("accent", 9), flex_shrink="0"),
        c,
        "my-course",
        rx.box(_progress(c.percent), width=rx.breakpoints(initial="100%", sm="160px")),
        rx.badge(
            c.status,
            color_scheme=c.status_color.to(str),  # type: ignore[arg-type]
            variant="soft",
            class_name="course-status",
            white_space="nowrap",
        ),
    )


def _program_row(p: Any) -> rx.Component:
    return _learning_row(
        rx.icon("library", size=16, color=rx.color("violet", 9), flex_shrink="0"),
        p,
        "my-program",
        rx.box(
            _progress(p.percent, p.courses_label),
            width=rx.breakpoints(initial="100%", sm="260px"),
        ),
    )


def my_courses_card() -> rx.Component:
    s = MyCoursesState
    return card_column(
        card_title("My courses", soft_link_button("receipt", "My orders", routes.ORDERS)),
        rx.cond(
            s.courses.length() == 0,
            rx.vstack(
                empty_state(
                    "book-open",
                    "No courses yet",
                    "Courses you buy appear here once you are enrolled.",
                ),
                browse_catalog_button(variant="soft"),
                align="center",
                width="100%",
                padding_bottom="1em",
            ),
            rx.vstack(rx.foreach(s.courses, _course_row), width="100%", spacing="3"),
        ),
        rx.cond(
            s.programs.length() > 0,
            rx.vstack(
                rx.divider(),
                rx.heading("My programs", size="3"),
                rx.vstack(rx.foreach(s.programs, _program_row), width="100%", spacing="3"),
                spacing="3",
                width="100%",
                id="my-programs",
            ),
        ),
        id="my-courses",
    )
