"""A course in the storefront: what it covers, who teaches it, what it costs."""

from __future__ import annotations

from urllib.parse import quote

import reflex as rx

from commerce_dash import routes
from commerce_dash.components.catalog_card import (
    duration_label,
    item_href,
    item_not_found,
    loading_panel,
    price_notes,
)
from commerce_dash.components.shell import store_shell
from commerce_dash.db import session_scope
from commerce_dash.domain.errors import DomainError
from commerce_dash.services.catalog import catalog
from commerce_dash.services.commerce import cart as cart_service
from commerce_dash.state.auth import AuthState
from commerce_dash.state.cart import add_item_to_cart, shown_currency
from commerce_dash.state.route_args import route_code


class CourseState(AuthState):
    status: str = "loading"  # loading | found | missing
    course_code: str = ""
    title: str = ""
    description: str = ""
    category: str = ""
    department: str = ""
    department_href: str = ""
    instructor: str = ""
    duration: str = ""
    thumbnail_url: str = ""
    price_label: str = ""
    converted_note: str = ""  # the settlement price it was converted from, when it was
    owned: bool = False  # the learner owns it already: nothing to add to the cart
    offer_note: str = ""  # what the learner owns of it, and their price
    for_sale: bool = False
    modules: list[dict[str, str]] = []
    programs: list[dict[str, str]] = []

    @rx.event
    def load(self):  # type: ignore[no-untyped-def]
        code = route_code(self)
        if self.status != "loading" and code.upper() != self.course_code.upper():
            self.status = "loading"  # never show the previous course under this address
            yield
        try:
            with session_scope() as session:
                currency, _ = shown_currency(self)
                course = catalog.course_detail(session=session, code=code, currency=currency)
                offer = cart_service.offer_for(session=session,
                                               owner=self.cart_owner(self.current_actor()),
                                               item_type="course", item_id=course.id)
        except DomainError:
            self.status, self.course_code = "missing", code
            return
        self.status, self.course_code = "found", course.code
        self.title, self.description = course.title, course.description
        self.category, self.department = course.category, course.department
        self.department_href = (
            f"{routes.STORE_DEPARTMENT}/{quote(course.department_code, safe='')}"
            if course.department_code
            else ""
        )
        self.instructor = course.instructor
        self.duration = duration_label(course.estimated_minutes)
        self.thumbnail_url = course.thumbnail_url
        self.for_sale = course.price is not None
        self.price_label = course.price.label if course.price else "Not for sale right now"
        self.converted_note = (f"Converted from {course.price.converted_from}"
                               if course.price and course.price.converted_from else "")
        self.owned, self.offer_note = offer.owned, offer.note
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

    @rx.event
    def add_to_cart(self):  # type: ignore[no-untyped-def]
        return add_item_to_cart(self, "course", self.course_code)


def _fact(icon: str, label: str, value: rx.Var[str]) -> rx.Component:
    return rx.cond(
        value != "",
        rx.hstack(
            rx.icon(icon, size=16, color=rx.color("gray", 10)),
            rx.text(label, size="2", color_scheme="gray"),
            rx.text(value, size="2", weight="medium"),
            align="center",
            spacing="2",
        ),
        rx.fragment(),
    )


def _buy_box() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.text(
                CourseState.price_label,
                size=rx.cond(CourseState.for_sale, "7", "4"),
                weight="bold",
                id="course-price",
            ),
            price_notes(CourseState.converted_note, CourseState.offer_note),
            rx.button(
                rx.icon("shopping-cart", size=16),
                "Add to cart",
                size="3",
                width="100%",
                disabled=~CourseState.for_sale | CourseState.owned,
                on_click=CourseState.add_to_cart,
                id="add-to-cart",
            ),
            rx.cond(
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
                rx.fragment(),
            ),
            spacing="3",
            align="start",
        ),
        width="100%",
    )


def _modules() -> rx.Component:
    return rx.card(
        rx.vstack(
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
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def _found() -> rx.Component:
    return rx.vstack(
        rx.link(
            rx.hstack(rx.icon("arrow-left", size=14), rx.text("Catalog", size="2")),
            href=routes.STORE,
        ),
        rx.cond(
            CourseState.thumbnail_url != "",
            rx.image(
                src=CourseState.thumbnail_url,
                alt=CourseState.title,
                width="100%",
                max_height="260px",
                object_fit="cover",
                border_radius="12px",
            ),
            rx.fragment(),
        ),
        rx.hstack(
            rx.badge("Course", color_scheme="blue", variant="soft"),
            rx.cond(
                CourseState.category != "",
                rx.badge(CourseState.category, color_scheme="gray", variant="surface"),
                rx.fragment(),
            ),
            rx.text(CourseState.course_code, size="2", color_scheme="gray", id="course-code"),
            align="center",
            wrap="wrap",
        ),
        rx.heading(CourseState.title, size="8", id="course-title"),
        rx.flex(
            rx.cond(
                CourseState.department_href != "",
                rx.hstack(
                    rx.icon("building-2", size=16, color=rx.color("gray", 10)),
                    rx.link(CourseState.department, href=CourseState.department_href, size="2"),
                    align="center",
                    spacing="2",
                ),
                rx.fragment(),
            ),
            _fact("user", "Instructor", CourseState.instructor),
            _fact("clock", "Duration", CourseState.duration),
            wrap="wrap",
            spacing="4",
        ),
        rx.grid(
            rx.vstack(
                rx.text(CourseState.description, size="3", white_space="pre-line"),
                _modules(),
                spacing="4",
                width="100%",
                min_width="0",
            ),
            _buy_box(),
            columns=rx.breakpoints(initial="1", md="3fr 1fr"),
            spacing="4",
            width="100%",
            align_items="start",
        ),
        spacing="3",
        width="100%",
    )


def course_page() -> rx.Component:
    return store_shell(
        rx.match(
            CourseState.status,
            ("found", _found()),
            (
                "missing",
                item_not_found(
                    "Course not found",
                    "It may have been renamed or withdrawn. Browse the catalog for others.",
                ),
            ),
            loading_panel(),
        )
    )
