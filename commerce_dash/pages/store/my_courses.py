"""The learner's courses on the account page (enrollments that are active or on their way)."""

from __future__ import annotations

import reflex as rx

from commerce_dash import routes
from commerce_dash.components.catalog_card import item_href
from commerce_dash.components.tables import empty_state
from commerce_dash.db import session_scope
from commerce_dash.services.registrations import my_courses
from commerce_dash.state.auth import AuthState


class MyCoursesState(AuthState):
    courses: list[dict[str, str]] = []

    @rx.event
    def load(self) -> None:
        actor = self.current_actor()
        if actor is None:
            self.courses = []
            return
        with session_scope() as session:
            rows = my_courses(session=session, user_id=actor.user_id)
        self.courses = [
            {"title": c.title, "href": item_href("course", c.code),
             "status": "Enrolled" if c.status == "active" else "Waiting for the LMS",
             "since": c.since.strftime("%Y-%m-%d")}
            for c in rows
        ]


def my_courses_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading("My courses", size="4"),
                rx.spacer(),
                rx.link(rx.button(rx.icon("receipt", size=16), "My orders", variant="soft",
                                  size="2"), href=routes.ORDERS),
                width="100%",
                align="center",
            ),
            rx.cond(
                MyCoursesState.courses.length() == 0,
                empty_state("book-open", "No courses yet",
                            "Courses you buy appear here once you are enrolled."),
                rx.vstack(
                    rx.foreach(
                        MyCoursesState.courses,
                        lambda c: rx.hstack(
                            rx.icon("book-open", size=16, color=rx.color("accent", 9)),
                            rx.link(c["title"], href=c["href"], weight="medium"),
                            rx.spacer(),
                            rx.badge(c["status"], color_scheme=rx.cond(
                                c["status"] == "Enrolled", "green", "amber"), variant="soft"),
                            rx.text("since ", c["since"], size="1", color_scheme="gray"),
                            width="100%",
                            align="center",
                            class_name="my-course",
                        ),
                    ),
                    width="100%",
                    spacing="2",
                ),
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
        id="my-courses",
    )
