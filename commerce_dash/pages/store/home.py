"""The storefront home: departments and the newest published courses."""

from __future__ import annotations

import reflex as rx

from commerce_dash.components.shell import store_page
from commerce_dash.components.store_panels import page_intro
from commerce_dash.components.tables import empty_state
from commerce_dash.services import catalog as catalog_area
from commerce_dash.state.auth import AuthState
from commerce_dash.state.offload import with_session


class HomeState(AuthState):
    courses: list[dict[str, str]] = []
    departments: list[dict[str, str]] = []

    @rx.event
    async def load(self) -> None:
        # read in a worker thread: Reflex runs a plain handler on the event loop
        courses, departments = await with_session(lambda session: (
            catalog_area.published_courses(session=session, limit=24),
            catalog_area.departments(session=session)))
        self.courses = [
            {
                "code": c.code,
                "title": c.title,
                "description": c.description,
                "category": c.category,
                "department": c.department,
                "modules": str(c.modules),
                "hours": c.hours,
            }
            for c in courses
        ]
        self.departments = [
            {
                "name": d.name,
                "description": d.description,
                "parent": d.parent,
                "courses": str(d.published_courses),
            }
            for d in departments
        ]


def _course_card(course: rx.Var[dict[str, str]]) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.badge(course["category"], variant="soft"),
                rx.spacer(),
                rx.text(course["code"], size="1", color_scheme="gray"),
                width="100%",
            ),
            rx.heading(course["title"], size="4"),
            rx.text(course["department"], size="2", color_scheme="gray"),
            rx.text(course["description"], size="2", line_clamp=3),
            rx.hstack(
                rx.hstack(
                    rx.icon("layers", size=14), rx.text(course["modules"], " modules", size="1")
                ),
                rx.hstack(rx.icon("clock", size=14), rx.text(course["hours"], size="1")),
                spacing="4",
                color=rx.color("gray", 11),
            ),
            spacing="2",
            align="start",
        ),
        class_name="course-card",
    )


def home_page() -> rx.Component:
    return store_page(
        page_intro(
            "Learn from our departments",
            "Courses and programs from Engineering, Business and Health Sciences, "
            "with certificates anyone can verify.",
            title_size="8",
            lead_size="4",
            spacing="2",
            padding_y="1.5em",
        ),
        rx.heading("Departments", size="5"),
        rx.grid(
            rx.foreach(
                HomeState.departments,
                lambda d: rx.card(
                    rx.vstack(
                        rx.heading(d["name"], size="3"),
                        rx.cond(
                            d["parent"] != "",
                            rx.text("Part of ", d["parent"], size="1", color_scheme="gray"),
                        ),
                        rx.text(d["description"], size="2", line_clamp=2),
                        rx.text(
                            d["courses"], " published courses", size="1", color_scheme="gray"
                        ),
                        spacing="1",
                        align="start",
                    ),
                ),
            ),
            columns=rx.breakpoints(initial="1", sm="2", md="4"),
            spacing="3",
            width="100%",
        ),
        rx.heading("Courses", size="5", padding_top="1em"),
        rx.cond(
            HomeState.courses.length() > 0,
            rx.grid(
                rx.foreach(HomeState.courses, _course_card),
                columns=rx.breakpoints(initial="1", sm="2", md="3"),
                spacing="3",
                width="100%",
            ),
            empty_state(
                "book-open",
                "No courses published yet",
                "Department admins publish courses; they will appear here.",
            ),
        ),
    )
