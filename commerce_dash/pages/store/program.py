"""A program in the storefront: its courses in order and what the bundle saves."""

from __future__ import annotations

import reflex as rx

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
from commerce_dash.pages.store.item_state import (
    ItemVars,
    add_to_cart,
    read_item,
    show_item,
    shows_other_item,
)
from commerce_dash.services import catalog as catalog_area
from commerce_dash.state.auth import AuthState, owner_of
from commerce_dash.state.offload import with_session
from commerce_dash.state.route_args import route_code


class ProgramState(ItemVars, AuthState):
    program_code: str = ""
    courses_total_label: str = ""
    savings_label: str = ""
    courses: list[dict[str, str]] = []

    @rx.event
    async def load(self):  # type: ignore[no-untyped-def]
        code = route_code(self)
        if shows_other_item(self.status, self.program_code, code):
            self.status = "loading"  # never show the previous program under this address
            yield
        key, cart_token = self.session_key(), self.cart_token
        # the program, its price and what the learner owns of it, in a worker thread
        read = await with_session(lambda session: read_item(
            session, owner_of(key.resolve(session), cart_token), "program",
            catalog_area.program_detail, code))
        if read is None:
            self.status, self.program_code = "missing", code
            return
        program = read.item
        show_item(self, "program", read)
        self.status, self.program_code = "found", program.code
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
        return add_to_cart(self, "program", self.program_code)


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


def _courses() -> rx.Component:
    return card_column(
        rx.heading(
            "Courses in this program (",
            ProgramState.courses.length().to_string(),
            ")",
            size="4",
        ),
        rx.foreach(ProgramState.courses, _course_line),
    )


def _price() -> list[rx.Component]:
    """The program price, the courses' total struck through and the saving (or, with no
    saving, what the courses cost one by one)."""
    return [
        rx.text("Program price", size="2", color_scheme="gray"),
        rx.hstack(
            item_price(ProgramState, "program-price"),
            rx.cond(
                ProgramState.savings_label != "",
                rx.text(
                    ProgramState.courses_total_label,
                    size="3",
                    color_scheme="gray",
                    text_decoration="line-through",
                    id="program-courses-total",
                ),
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
            ),
        ),
    ]


def _found() -> rx.Component:
    return item_found(
        ProgramState,
        rx.hstack(
            rx.badge("Program", color_scheme="violet", variant="soft"),
            rx.text(ProgramState.program_code, size="2", color_scheme="gray", id="program-code"),
            align="center",
        ),
        "program-title",
        [
            labelled_fact(
                "clock", "Estimated completion", ProgramState.duration, id="program-time"
            ),
        ],
        buy_box(ProgramState, *_price()),
        _courses(),
    )


def program_page() -> rx.Component:
    return item_page(
        ProgramState.status,
        _found(),
        "Program not found",
        "It may have been renamed or withdrawn. Browse the catalog for others.",
    )
