"""A program in the storefront: its courses in order and what the bundle saves."""

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


class ProgramState(AuthState):
    status: str = "loading"  # loading | found | missing
    program_code: str = ""
    title: str = ""
    description: str = ""
    department: str = ""
    department_href: str = ""
    thumbnail_url: str = ""
    duration: str = ""
    price_label: str = ""
    converted_note: str = ""  # the settlement price it was converted from, when it was
    owned: bool = False  # the learner owns it already: nothing to add to the cart
    offer_note: str = ""  # what the learner owns of it, and their price
    for_sale: bool = False
    courses_total_label: str = ""
    savings_label: str = ""
    courses: list[dict[str, str]] = []

    @rx.event
    def load(self):  # type: ignore[no-untyped-def]
        code = route_code(self)
        if self.status != "loading" and code.upper() != self.program_code.upper():
            self.status = "loading"  # never show the previous program under this address
            yield
        try:
            with session_scope() as session:
                currency, _ = shown_currency(self)
                program = catalog.program_detail(session=session, code=code, currency=currency)
                offer = cart_service.offer_for(session=session,
                                               owner=self.cart_owner(self.current_actor()),
                                               item_type="program", item_id=program.id)
        except DomainError:
            self.status, self.program_code = "missing", code
            return
        self.status, self.program_code = "found", program.code
        self.title, self.description = program.title, program.description
        self.department = program.department
        self.department_href = (
            f"{routes.STORE_DEPARTMENT}/{quote(program.department_code, safe='')}"
            if program.department_code
            else ""
        )
        self.thumbnail_url = program.thumbnail_url
        self.duration = duration_label(program.estimated_minutes)
        self.for_sale = program.price is not None
        self.price_label = program.price.label if program.price else "Not for sale right now"
        self.converted_note = (f"Converted from {program.price.converted_from}"
                               if program.price and program.price.converted_from else "")
        self.owned, self.offer_note = offer.owned, offer.note
        self.courses_total_label = program.courses_total.label if program.courses_total else ""
        self.savings_label = (
            f"You save {program.savings.label} ({program.savings_percent}%)"
            if program.savings
            else ""
        )
        self.courses = [
            {
                "position": str(i),
                "code": c.code,
                "title": c.title,
                "href": item_href("course", c.code),
                "duration": duration_label(c.estimated_minutes),
                "price_label": c.price.label if c.price else "Not sold separately",
            }
            for i, c in enumerate(program.courses, start=1)
        ]

    @rx.event
    def add_to_cart(self):  # type: ignore[no-untyped-def]
        return add_item_to_cart(self, "program", self.program_code)


def _course_line(course: rx.Var[dict[str, str]]) -> rx.Component:
    return rx.hstack(
        rx.badge(course["position"], variant="solid", radius="full"),
        rx.vstack(
            rx.link(course["title"], href=course["href"], weight="medium"),
            rx.text(course["code"], " · ", course["duration"], size="1", color_scheme="gray"),
            spacing="0",
            flex="1",
            min_width="0",
        ),
        rx.text(course["price_label"], size="2", weight="medium", white_space="nowrap"),
        align="center",
        width="100%",
        spacing="3",
        class_name="program-course",
        data_code=course["code"],
    )


def _buy_box() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.text("Program price", size="2", color_scheme="gray"),
            rx.hstack(
                rx.text(
                    ProgramState.price_label,
                    size=rx.cond(ProgramState.for_sale, "7", "4"),
                    weight="bold",
                    id="program-price",
                ),
                rx.cond(
                    ProgramState.savings_label != "",
                    rx.text(
                        ProgramState.courses_total_label,
                        size="3",
                        color_scheme="gray",
                        text_decoration="line-through",
                        id="program-courses-total",
                    ),
                    rx.fragment(),
                ),
                align="baseline",
                spacing="3",
                wrap="wrap",
            ),
            rx.cond(
                ProgramState.savings_label != "",
                rx.badge(
                    rx.icon("tag", size=14),
                    ProgramState.savings_label,
                    color_scheme="green",
                    size="3",
                    variant="solid",
                    id="program-savings",
                ),
                rx.cond(
                    ProgramState.courses_total_label != "",
                    rx.text(
                        "The courses bought one by one: ",
                        ProgramState.courses_total_label,
                        size="1",
                        color_scheme="gray",
                    ),
                    rx.fragment(),
                ),
            ),
            price_notes(ProgramState.converted_note, ProgramState.offer_note),
            rx.button(
                rx.icon("shopping-cart", size=16),
                "Add to cart",
                size="3",
                width="100%",
                disabled=~ProgramState.for_sale | ProgramState.owned,
                on_click=ProgramState.add_to_cart,
                id="add-to-cart",
            ),
            spacing="3",
            align="start",
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
            ProgramState.thumbnail_url != "",
            rx.image(
                src=ProgramState.thumbnail_url,
                alt=ProgramState.title,
                width="100%",
                max_height="260px",
                object_fit="cover",
                border_radius="12px",
            ),
            rx.fragment(),
        ),
        rx.hstack(
            rx.badge("Program", color_scheme="violet", variant="soft"),
            rx.text(ProgramState.program_code, size="2", color_scheme="gray", id="program-code"),
            align="center",
        ),
        rx.heading(ProgramState.title, size="8", id="program-title"),
        rx.flex(
            rx.cond(
                ProgramState.department_href != "",
                rx.hstack(
                    rx.icon("building-2", size=16, color=rx.color("gray", 10)),
                    rx.link(ProgramState.department, href=ProgramState.department_href, size="2"),
                    align="center",
                    spacing="2",
                ),
                rx.fragment(),
            ),
            rx.cond(
                ProgramState.duration != "",
                rx.hstack(
                    rx.icon("clock", size=16, color=rx.color("gray", 10)),
                    rx.text("Estimated completion", size="2", color_scheme="gray"),
                    rx.text(ProgramState.duration, size="2", weight="medium", id="program-time"),
                    align="center",
                    spacing="2",
                ),
                rx.fragment(),
            ),
            wrap="wrap",
            spacing="4",
        ),
        rx.grid(
            rx.vstack(
                rx.text(ProgramState.description, size="3", white_space="pre-line"),
                rx.card(
                    rx.vstack(
                        rx.heading(
                            "Courses in this program (",
                            ProgramState.courses.length().to_string(),
                            ")",
                            size="4",
                        ),
                        rx.foreach(ProgramState.courses, _course_line),
                        spacing="3",
                        width="100%",
                    ),
                    width="100%",
                ),
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


def program_page() -> rx.Component:
    return store_shell(
        rx.match(
            ProgramState.status,
            ("found", _found()),
            (
                "missing",
                item_not_found(
                    "Program not found",
                    "It may have been renamed or withdrawn. Browse the catalog for others.",
                ),
            ),
            loading_panel(),
        )
    )
