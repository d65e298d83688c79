"""One of the learner's courses (/account/learn/[code]): progress, the completion rule, what is
still missing and the modules in order. In a local course the learner marks modules done here;
an LMS course reports its own progress, so the page only shows it."""

from __future__ import annotations

from typing import Any

import reflex as rx

from commerce_dash import routes
from commerce_dash.components.certificate_buttons import download_button, share_button
from commerce_dash.components.store_item import found_page, reading_column
from commerce_dash.components.store_panels import (
    action_row,
    back_link,
    browse_catalog_button,
    button_group,
    card_column,
    empty_card,
    responsive_row,
)
from commerce_dash.pages.store.learn_state import (
    LearnState,
)


def _module_status(m: Any) -> rx.Component:
    done = rx.hstack(
        rx.badge(rx.icon("check", size=12), "Completed", color_scheme="green", variant="soft"),
        rx.cond(
            m.completed_on != "",
            rx.text(m.completed_on, size="1", color_scheme="gray"),
        ),
        rx.cond(
            m.score != "", rx.badge("Score ", m.score, variant="outline", size="1")
        ),
        spacing="2",
        align="center",
        wrap="wrap",
        class_name="module-done",
    )
    todo = rx.cond(
        LearnState.can_mark,
        rx.button(
            rx.icon("circle-check", size=14),
            "Mark complete",
            size="2",
            on_click=LearnState.mark_complete(m.id),
            loading=LearnState.marking == m.id,
            disabled=LearnState.marking != 0,
            class_name="mark-complete",
        ),
        rx.badge("Not completed yet", color_scheme="gray", variant="soft"),
    )
    return rx.cond(m.done, done, todo)


def _module_row(m: Any) -> rx.Component:
    return responsive_row(
        rx.hstack(
            rx.center(
                rx.cond(m.done, rx.icon("check", size=16), rx.text(m.position, size="2")),
                width="28px",
                height="28px",
                flex_shrink="0",
                border_radius="50%",
                background=rx.cond(m.done, rx.color("green", 4), rx.color("gray", 4)),
                color=rx.cond(m.done, rx.color("green", 11), rx.color("gray", 11)),
            ),
            rx.vstack(
                rx.text(m.title, weight="medium"),
                rx.cond(
                    m.estimate != "",
                    rx.text(m.estimate, size="1", color_scheme="gray"),
                ),
                spacing="0",
                min_width="0",
            ),
            align="center",
            spacing="3",
            flex="1",
            min_width="0",
        ),
        _module_status(m),
        padding="0.75em 0",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
        class_name="learn-module",
        data_done=rx.cond(m.done, "true", "false"),
    )


def _progress_card() -> rx.Component:
    s = LearnState
    return card_column(
        rx.hstack(
            rx.text(
                s.modules_done,
                " of ",
                s.modules_total,
                " modules done",
                weight="medium",
                id="learn-count",
            ),
            rx.spacer(),
            rx.text(s.percent, "%", size="5", weight="bold", id="learn-percent"),
            width="100%",
            align="center",
        ),
        rx.progress(value=s.percent, max=100, size="3", width="100%",
                    aria_label="Course progress"),
        rx.text(
            rx.text.strong("To earn the certificate: "),
            s.criteria,
            size="2",
            id="learn-criteria",
        ),
        rx.cond(
            s.missing.length() > 0,
            rx.vstack(
                rx.text("Still to do", size="2", weight="medium"),
                rx.unordered_list(
                    rx.foreach(s.missing, lambda item: rx.list_item(rx.text(item, size="2"))),
                ),
                spacing="1",
                id="learn-missing",
            ),
        ),
    )


def _mode_note() -> rx.Component:
    s = LearnState
    return rx.cond(
        s.mode == "lms",
        rx.callout(
            "Progress in this course is recorded by the learning platform. Complete the modules "
            "there; this page shows what it has reported.",
            icon="info",
            color_scheme="blue",
            width="100%",
            id="learn-lms-note",
        ),
        rx.cond(
            s.active,
            rx.fragment(),
            rx.callout(
                "Your enrollment is not active yet. You can mark modules complete once it is.",
                icon="clock",
                color_scheme="amber",
                width="100%",
            ),
        ),
    )


def _certificate_panel() -> rx.Component:
    s = LearnState
    return rx.cond(
        s.certificate_number != "",
        rx.card(
            responsive_row(
                rx.hstack(
                    rx.icon("award", size=32, color=rx.color("green", 9), flex_shrink="0"),
                    rx.vstack(
                        rx.heading("Your certificate is ready", size="4"),
                        rx.text(
                            "Number ",
                            rx.code(s.certificate_number),
                            size="2",
                            id="learn-certificate-number",
                        ),
                        spacing="1",
                    ),
                    align="center",
                    spacing="3",
                    flex="1",
                ),
                button_group(
                    download_button(s.certificate_download),
                    share_button(s.certificate_share),
                    rx.link(
                        rx.button("View public page", variant="ghost"), href=s.certificate_public
                    ),
                ),
                at="md",
                gap="3",
            ),
            width="100%",
            background=rx.color("green", 2),
            id="learn-certificate",
        ),
    )


def _modules_card() -> rx.Component:
    s = LearnState
    return card_column(
        rx.heading("Modules", size="4"),
        rx.cond(
            s.modules.length() > 0,
            rx.vstack(rx.foreach(s.modules, _module_row), spacing="0", width="100%"),
            rx.text("This course has no modules yet.", size="2", color_scheme="gray"),
        ),
        spacing="2",
        id="learn-modules",
    )


def _not_enrolled() -> rx.Component:
    return empty_card(
        "learn-not-enrolled",
        "book-x",
        "You are not enrolled in this course",
        "Buy it in the catalog to start learning; your progress then shows here.",
        rx.text(LearnState.missing_message, size="2", color_scheme="gray"),
        action_row(
            browse_catalog_button(),
            rx.link(rx.button("See this course", variant="soft"), href=LearnState.course_href),
            rx.link(rx.button("My account", variant="soft"), href=routes.ACCOUNT),
        ),
        width="100%",
    )


def learn_page() -> rx.Component:
    s = LearnState
    header = rx.vstack(
        back_link("My account", routes.ACCOUNT),
        rx.flex(
            rx.heading(s.course_title, size="6", id="learn-title"),
            rx.badge(
                s.status_label,
                color_scheme=s.status_color.to(str),  # type: ignore[arg-type]
                variant="soft",
                high_contrast=True,
                size="2",
                id="learn-status",
            ),
            rx.link("Course page", href=s.course_href, size="2"),
            gap="3",
            align="center",
            wrap="wrap",
        ),
        spacing="2",
        width="100%",
    )
    return found_page(
        s.found,
        reading_column(
            header,
            _certificate_panel(),
            _mode_note(),
            _progress_card(),
            _modules_card(),
        ),
        _not_enrolled(),
    )
