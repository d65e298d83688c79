"""The course page's "Steps" panel (issue 17): each step with the group classes it can be
taken in (time in the visitor's zone, instructor, seats left) and, for a learner who owns
the course, their status per step with Book / Join waitlist on the steps still to book.
Its state is ``course_steps_state.py``."""

from __future__ import annotations

from typing import Any

import reflex as rx

from commerce_dash.components.store_panels import card_column
from commerce_dash.pages.store.course_steps_state import CourseStepsState


def _busy(option: Any) -> Any:
    return CourseStepsState.busy == option.step_id.to_string() + "-" + option.session_id.to_string()


def _action(option: Any) -> rx.Component:
    """What the learner can do with a session of an unbooked step (nothing for others)."""
    return rx.match(
        option.action,
        ("book", rx.button(
            rx.icon("calendar-plus", size=16), "Book", size="2",
            aria_label=option.label, loading=_busy(option),
            disabled=CourseStepsState.busy != "",
            on_click=CourseStepsState.book(  # type: ignore[operator]
                option.step_id, option.session_id),
            class_name="step-book")),
        ("waitlist", rx.button(
            rx.icon("list-plus", size=16), "Join waitlist", size="2", variant="soft",
            aria_label=option.label, loading=_busy(option),
            disabled=CourseStepsState.busy != "",
            on_click=CourseStepsState.join_waitlist(  # type: ignore[operator]
                option.step_id, option.session_id),
            class_name="step-waitlist")),
        ("started", rx.button("Started", size="2", variant="soft", disabled=True,
                              aria_label=option.title.to(str) + ": already started",
                              class_name="step-started")),
        ("waiting", rx.badge(rx.icon("hourglass", size=12), option.waitlist_note,
                             color_scheme="amber", variant="soft", class_name="step-waiting", high_contrast=True)),
        rx.fragment(),
    )


def _option(option: Any) -> rx.Component:
    return rx.flex(
        rx.vstack(
            rx.text(option.title, size="2", weight="medium"),
            rx.hstack(rx.icon("clock", size=14, color=rx.color("gray", 10)),
                      rx.text(option.when, size="2", class_name="option-when"),
                      align="center", spacing="1", wrap="wrap"),
            rx.cond(option.instructor != "",
                    rx.hstack(rx.icon("user", size=14, color=rx.color("gray", 10)),
                              rx.text(option.instructor, size="1", color_scheme="gray"),
                              align="center", spacing="1")),
            spacing="1",
            align="start",
            flex="1",
            min_width="0",
        ),
        rx.hstack(
            rx.badge(option.seats, color_scheme=option.seats_color.to(str),  # type: ignore[arg-type]
                     variant="surface", class_name="option-seats", high_contrast=True),
            _action(option),
            align="center",
            spacing="2",
            wrap="wrap",
        ),
        direction=rx.breakpoints(initial="column", sm="row"),
        gap="2",
        align=rx.breakpoints(initial="start", sm="center"),
        width="100%",
        padding_y="0.5em",
        border_top=f"1px solid {rx.color('gray', 4)}",
        class_name="step-option",
        data_session=option.session_id,
    )


def _step(step: Any) -> rx.Component:
    return rx.box(
        rx.vstack(
            rx.hstack(
                rx.badge(step.label, variant="soft", radius="full", high_contrast=True),
                rx.heading(step.title, as_="h3", size="3", flex="1", min_width="0"),
                rx.cond(step.status != "",
                        rx.badge(step.status_label,
                                 color_scheme=step.status_color.to(str),  # type: ignore[arg-type]
                                 variant="soft", class_name="step-status",
                                 data_status=step.status, high_contrast=True)),
                align="center",
                width="100%",
                wrap="wrap",
            ),
            rx.cond(step.description != "",
                    rx.text(step.description, size="2", color_scheme="gray",
                            white_space="pre-line")),
            rx.cond(step.booked_note != "",
                    rx.text(step.booked_note, size="2", class_name="step-booked")),
            rx.cond(
                step.options.length() > 0,
                rx.vstack(rx.foreach(step.options, _option), spacing="0", width="100%"),
                rx.text("Sessions for this step will be announced soon.", size="2",
                        color_scheme="gray"),
            ),
            spacing="2",
            width="100%",
        ),
        id=step.anchor,
        tab_index=-1,
        width="100%",
        padding_y="0.75em",
        class_name="course-step",
        data_status=step.status,
    )


def steps_panel() -> rx.Component:
    """The panel (only for a course with steps): "Book next step" for an owner with one
    still to book, then the steps; times in the visitor's zone."""
    return rx.cond(
        CourseStepsState.steps.length() > 0,
        card_column(
            rx.hstack(
                rx.heading("Steps", as_="h2", size="4", id="course-steps-heading"),
                rx.spacer(),
                rx.cond(
                    CourseStepsState.next_anchor != "",
                    rx.button(rx.icon("arrow-down", size=16), "Book next step", size="2",
                              on_click=CourseStepsState.go_to_next_step,
                              id="book-next-step"),
                ),
                width="100%",
                align="center",
                wrap="wrap",
            ),
            rx.text("Times in your time zone (", CourseStepsState.time_zone, ").", size="1",
                    color_scheme="gray"),
            rx.cond(~CourseStepsState.owner,
                    rx.text("Once the course is yours, you book a session for each step here.",
                            size="2",
                            color_scheme="gray", id="steps-buy-hint")),
            rx.foreach(CourseStepsState.steps, _step),
            spacing="2",
            id="course-steps",
            aria_labelledby="course-steps-heading",
            role="region",
        ),
    )

