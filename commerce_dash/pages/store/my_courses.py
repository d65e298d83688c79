"""The learner's courses and programs on the account page, with their progress."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import reflex as rx

from commerce_dash import routes
from commerce_dash.components.badges import course_status_color, course_status_label
from commerce_dash.components.tables import empty_state
from commerce_dash.db import session_scope
from commerce_dash.domain.errors import DomainError
from commerce_dash.routes import verify_href
from commerce_dash.services.learning import learning
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


def course_row(p: learning.CourseProgress) -> CourseRowView:
    status = course_status_label(p)
    return CourseRowView(
        title=p.course_title,
        href=learn_href(p.course_code),
        percent=p.percent,
        status=status,
        status_color=course_status_color(p),
        certificate_href=verify_href(p.certificate_number) if p.certificate_number else "",
    )


def program_row(p: learning.ProgramProgress) -> ProgramRowView:
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
        actor = self.current_actor()
        if actor is None:
            self.courses, self.programs = [], []
            return None
        try:
            with session_scope() as session:
                courses, programs = learning.learner_progress(
                    session=session, user_id=actor.user_id
                )
        except DomainError as exc:
            return rx.toast.error(exc.message)
        self.courses = [course_row(c) for c in courses]
        self.programs = [program_row(p) for p in programs]
        return None


def _progress(percent: Any, label: Any = None) -> rx.Component:
    return rx.hstack(
        rx.progress(value=percent, max=100, size="2", width="100%", min_width="80px"),
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
        rx.fragment(),
    )


def _course_row(c: Any) -> rx.Component:
    return rx.flex(
        rx.hstack(
            rx.icon("book-open", size=16, color=rx.color("accent", 9), flex_shrink="0"),
            rx.link(c.title, href=c.href, weight="medium"),
            align="center",
            min_width="0",
            flex="1",
        ),
        rx.flex(
            rx.box(_progress(c.percent), width=rx.breakpoints(initial="100%", sm="160px")),
            rx.badge(
                c.status,
                color_scheme=c.status_color.to(str),  # type: ignore[arg-type]
                variant="soft",
                class_name="course-status",
                white_space="nowrap",
            ),
            _certificate_link(c.certificate_href),
            gap="2",
            align="center",
            wrap="wrap",
            width=rx.breakpoints(initial="100%", sm="auto"),
        ),
        direction=rx.breakpoints(initial="column", sm="row"),
        gap="2",
        align=rx.breakpoints(initial="start", sm="center"),
        width="100%",
        class_name="my-course",
    )


def _program_row(p: Any) -> rx.Component:
    return rx.flex(
        rx.hstack(
            rx.icon("library", size=16, color=rx.color("violet", 9), flex_shrink="0"),
            rx.link(p.title, href=p.href, weight="medium"),
            align="center",
            min_width="0",
            flex="1",
        ),
        rx.flex(
            rx.box(
                _progress(p.percent, p.courses_label),
                width=rx.breakpoints(initial="100%", sm="260px"),
            ),
            _certificate_link(p.certificate_href),
            gap="2",
            align="center",
            wrap="wrap",
            width=rx.breakpoints(initial="100%", sm="auto"),
        ),
        direction=rx.breakpoints(initial="column", sm="row"),
        gap="2",
        align=rx.breakpoints(initial="start", sm="center"),
        width="100%",
        class_name="my-program",
    )


def my_courses_card() -> rx.Component:
    s = MyCoursesState
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading("My courses", size="4"),
                rx.spacer(),
                rx.link(
                    rx.button(rx.icon("receipt", size=16), "My orders", variant="soft", size="2"),
                    href=routes.ORDERS,
                ),
                width="100%",
                align="center",
            ),
            rx.cond(
                s.courses.length() == 0,
                rx.vstack(
                    empty_state(
                        "book-open",
                        "No courses yet",
                        "Courses you buy appear here once you are enrolled.",
                    ),
                    rx.link(
                        rx.button(rx.icon("store", size=16), "Browse the catalog", variant="soft"),
                        href=routes.STORE,
                    ),
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
                rx.fragment(),
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
        id="my-courses",
    )
