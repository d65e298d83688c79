"""A course in the storefront: what it covers, who teaches it, what it costs."""

from __future__ import annotations

import reflex as rx
from sqlmodel import Session

from commerce_dash.components.catalog_card import (
    duration_label,
    item_href,
)
from commerce_dash.components.store_item import (
    buy_box,
    item_found,
    item_page,
    item_price,
    labelled_fact,
)
from commerce_dash.components.store_panels import card_column
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.dates import DAY, when
from commerce_dash.pages.store.course_steps import steps_panel
from commerce_dash.pages.store.course_steps_state import CourseStepsState
from commerce_dash.pages.store.item_state import (
    ItemRead,
    ItemVars,
    add_to_cart,
    enroll_included,
    read_included,
    read_item,
    show_included,
    show_item,
    shows_other_item,
)
from commerce_dash.services import catalog as catalog_area
from commerce_dash.services import revenue as revenue_area
from commerce_dash.state.auth import AuthState, owner_of
from commerce_dash.state.offload import with_session
from commerce_dash.state.route_args import route_code


class CourseState(ItemVars, AuthState):
    course_code: str = ""
    _course_id: int = 0
    category: str = ""
    instructor: str = ""
    modules: list[dict[str, str]] = []
    programs: list[dict[str, str]] = []
    prerequisites: list[dict[str, str]] = []
    deadline: str = ""  # "Mar 30, 2027" while enrollment is open; "" when there is none
    closed: bool = False

    @rx.event
    async def load(self):  # type: ignore[no-untyped-def]
        code = route_code(self)
        steps = await self.get_state(CourseStepsState)
        if shows_other_item(self.status, self.course_code, code):
            self.status = "loading"  # never show the previous course under this address
            yield
        key, cart_token = self.session_key(), self.cart_token

        def work(session: Session) -> tuple[ItemRead | None, tuple[bool, str] | None]:
            # the course, its price and what the learner owns of it, in a worker thread
            actor = key.resolve(session)
            read = read_item(session, owner_of(actor, cart_token), "course",
                             catalog_area.course_detail, code)
            if read is None:
                return None, None
            return read, read_included(session, actor, read.item.id, read.item.title)

        read, included = await with_session(work)
        if read is None:
            self.status, self.course_code = "missing", code
            await steps.show_course(0)
            return
        course = read.item
        revenue_area.count("view", course.department_id, course.id)  # the funnel: in memory
        show_item(self, "course", read)
        self._course_id = course.id
        show_included(self, course.code, included)
        self.status, self.course_code = "found", course.code
        self.category = course.category
        self.instructor = course.instructor
        self.modules = [
            {
                "position": str(i),
                "title": m.title,
                "duration": duration_label(m.estimated_minutes),
            }
            for i, m in enumerate(course.modules, start=1)
        ]
        self.programs = [
            {"code": c, "title": t, "href": item_href("program", c)} for c, t in course.programs
        ]
        self.prerequisites = [
            {"code": c, "title": t, "href": item_href("course", c)}
            for c, t in course.prerequisites
        ]
        deadline = course.enrollment_deadline
        self.deadline = when(deadline, DAY) if deadline else ""
        self.closed = bool(deadline and deadline < utcnow())
        yield await steps.show_course(course.id)  # the steps panel, when it has steps

    @rx.event
    def add_to_cart(self):  # type: ignore[no-untyped-def]
        return add_to_cart(self, "course", self.course_code)

    @rx.event
    async def enroll(self):  # type: ignore[no-untyped-def]
        """Enroll with the learner's subscription (the course page of an included course)."""
        if self.status != "found" or not self._course_id:
            return rx.toast.error("This course is not shown yet.")
        return await enroll_included(self, self._course_id)


def _included_box() -> rx.Component:
    """Instead of the price and the cart: the course comes with the learner's subscription."""
    return rx.card(
        rx.vstack(
            rx.badge(rx.icon("badge-check", size=14), "Included in your subscription",
                     color_scheme="green", variant="soft", size="2", id="course-included"),
            rx.match(
                CourseState.enroll_status,
                ("enrolled", rx.vstack(
                    rx.text("You are enrolled in this course.", size="2", weight="medium",
                            id="enroll-status"),
                    rx.link(rx.button(rx.icon("play", size=16), "Start learning", size="3",
                                      width="100%"),
                            href=CourseState.learn_href, width="100%", id="start-learning"),
                    spacing="2", width="100%")),
                ("approved", rx.text("You are enrolled: the course opens in your learning "
                                     "space shortly.", size="2", id="enroll-status")),
                ("pending", rx.text("Registered: an administrator approves it first; we "
                                    "email you when you can start.", size="2",
                                    id="enroll-status")),
                rx.vstack(
                    rx.text("Your subscription opens this course at no extra cost.",
                            size="2", color_scheme="gray"),
                    rx.button(rx.icon("circle-plus", size=16), "Enroll", size="3",
                              width="100%", loading=CourseState.enrolling,
                              on_click=CourseState.enroll, id="enroll"),
                    spacing="2", width="100%"),
            ),
            spacing="3",
            align="start",
        ),
        width="100%",
    )


def _program_links() -> rx.Component:
    """Under the cart button: the programs this course is part of."""
    return rx.cond(
        CourseState.programs.length() > 0,
        rx.vstack(
            rx.text("Save with the program", size="2", weight="bold"),
            rx.text(
                "This course is part of a program, which usually costs less than "
                "buying its courses one by one.",
                size="1",
                color_scheme="gray",
            ),
            rx.foreach(
                CourseState.programs,
                lambda p: rx.link(
                    rx.hstack(rx.icon("library", size=14), rx.text(p["title"], size="2")),
                    href=p["href"],
                    class_name="course-program-link",
                ),
            ),
            spacing="1",
            padding_top="0.5em",
            id="course-programs",
        ),
    )


def _modules() -> rx.Component:
    return card_column(
        rx.heading("What you will learn", size="4"),
        rx.cond(
            CourseState.modules.length() > 0,
            rx.vstack(
                rx.foreach(
                    CourseState.modules,
                    lambda m: rx.hstack(
                        rx.badge(m["position"], variant="soft", radius="full"),
                        rx.text(m["title"], size="2", flex="1", min_width="0"),
                        rx.text(m["duration"], size="1", color_scheme="gray"),
                        align="center",
                        width="100%",
                        class_name="course-module",
                    ),
                ),
                spacing="2",
                width="100%",
            ),
            rx.text("The module list will be published soon.", size="2", color_scheme="gray"),
        ),
    )


def _enrollment_rules() -> rx.Component:
    """What the course asks before enrollment: courses to complete first, a deadline."""
    return rx.vstack(
        rx.cond(
            CourseState.prerequisites.length() > 0,
            rx.callout.root(
                rx.callout.icon(rx.icon("list-checks")),
                rx.callout.text(
                    "Complete first: ",
                    rx.foreach(CourseState.prerequisites, lambda p: rx.fragment(
                        # the callout's own (high contrast) colour, underlined as a link
                        rx.link(p["title"], href=p["href"], color="inherit",
                                underline="always"), " ")),
                ),
                color_scheme="blue", size="1", high_contrast=True,
                id="course-prerequisites",
            ),
        ),
        rx.cond(
            CourseState.deadline != "",
            rx.cond(
                CourseState.closed,
                rx.callout("Enrollment closed on " + CourseState.deadline + ".",
                           icon="calendar-x", color_scheme="amber", size="1",
                           id="course-deadline"),
                rx.text("Enrollment closes on ", CourseState.deadline, ".", size="2",
                        id="course-deadline"),
            ),
        ),
        spacing="2",
        width="100%",
    )


def _found() -> rx.Component:
    return item_found(
        CourseState,
        rx.hstack(
            rx.badge("Course", color_scheme="blue", variant="soft", high_contrast=True),
            rx.cond(
                CourseState.category != "",
                rx.badge(CourseState.category, color_scheme="gray", variant="surface"),
            ),
            rx.text(CourseState.course_code, size="2", color_scheme="gray", id="course-code"),
            align="center",
            wrap="wrap",
        ),
        "course-title",
        [
            labelled_fact("user", "Instructor", CourseState.instructor),
            labelled_fact("clock", "Duration", CourseState.duration),
        ],
        rx.cond(
            CourseState.included,
            _included_box(),
            buy_box(CourseState, item_price(CourseState, "course-price"),
                    more=_program_links()),
        ),
        rx.vstack(
            _enrollment_rules(),
            # a course of steps only (a live cohort) has no module list to promise
            rx.cond((CourseState.modules.length() > 0) | (CourseStepsState.steps.length() == 0),
                    _modules()),
            steps_panel(), spacing="4", width="100%"),
    )


def course_page() -> rx.Component:
    return item_page(
        CourseState.status,
        _found(),
        "Course not found",
        "It may have been renamed or withdrawn. Browse the catalog for others.",
    )
