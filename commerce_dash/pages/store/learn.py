"""One of the learner's courses (/account/learn/[code]): progress, the completion rule, what is
still missing and the modules in order. In a local course the learner marks modules done here;
an LMS course reports its own progress, so the page only shows it."""

from __future__ import annotations

from typing import Any

import reflex as rx

from commerce_dash import routes
from commerce_dash.components.catalog_card import loading_panel
from commerce_dash.components.certificate_buttons import download_button, share_button
from commerce_dash.components.shell import store_shell
from commerce_dash.components.tables import empty_state
from commerce_dash.pages.store.learn_state import (
    LearnState,
)


def _module_status(m: Any) -> rx.Component:
    done = rx.hstack(
        rx.badge(rx.icon("check", size=12), "Completed", color_scheme="green", variant="soft"),
        rx.cond(
            m.completed_on != "",
            rx.text(m.completed_on, size="1", color_scheme="gray"),
            rx.fragment(),
        ),
        rx.cond(
            m.score != "", rx.badge("Score ", m.score, variant="outline", size="1"), rx.fragment()
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
    return rx.flex(
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
                    rx.fragment(),
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
        direction=rx.breakpoints(initial="column", sm="row"),
        align=rx.breakpoints(initial="start", sm="center"),
        gap="2",
        width="100%",
        padding="0.75em 0",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
        class_name="learn-module",
        data_done=rx.cond(m.done, "true", "false"),
    )


def _progress_card() -> rx.Component:
    s = LearnState
    return rx.card(
        rx.vstack(
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
            rx.progress(value=s.percent, max=100, size="3", width="100%"),
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
                rx.fragment(),
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
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
            rx.flex(
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
                rx.flex(
                    download_button(s.certificate_download),
                    share_button(s.certificate_share),
                    rx.link(
                        rx.button("View public page", variant="ghost"), href=s.certificate_public
                    ),
                    gap="2",
                    wrap="wrap",
                    align="center",
                ),
                direction=rx.breakpoints(initial="column", md="row"),
                gap="3",
                align=rx.breakpoints(initial="start", md="center"),
                width="100%",
            ),
            width="100%",
            background=rx.color("green", 2),
            id="learn-certificate",
        ),
        rx.fragment(),
    )


def _modules_card() -> rx.Component:
    s = LearnState
    return rx.card(
        rx.vstack(
            rx.heading("Modules", size="4"),
            rx.cond(
                s.modules.length() > 0,
                rx.vstack(rx.foreach(s.modules, _module_row), spacing="0", width="100%"),
                rx.text("This course has no modules yet.", size="2", color_scheme="gray"),
            ),
            spacing="2",
            width="100%",
        ),
        width="100%",
        id="learn-modules",
    )


def _not_enrolled() -> rx.Component:
    return rx.card(
        rx.vstack(
            empty_state(
                "book-x",
                "You are not enrolled in this course",
                "Buy it in the catalog to start learning; your progress then shows here.",
            ),
            rx.text(LearnState.missing_message, size="2", color_scheme="gray"),
            rx.flex(
                rx.link(
                    rx.button(rx.icon("store", size=16), "Browse the catalog"), href=routes.STORE
                ),
                rx.link(rx.button("See this course", variant="soft"), href=LearnState.course_href),
                rx.link(rx.button("My account", variant="soft"), href=routes.ACCOUNT),
                gap="2",
                wrap="wrap",
                justify="center",
            ),
            align="center",
            padding_bottom="1.5em",
            width="100%",
        ),
        width="100%",
        id="learn-not-enrolled",
    )


def learn_page() -> rx.Component:
    s = LearnState
    header = rx.vstack(
        rx.link(
            rx.hstack(rx.icon("arrow-left", size=14), rx.text("My account", size="2")),
            href=routes.ACCOUNT,
        ),
        rx.flex(
            rx.heading(s.course_title, size="6", id="learn-title"),
            rx.badge(
                s.status_label,
                color_scheme=s.status_color.to(str),  # type: ignore[arg-type]
                variant="soft",
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
    return store_shell(
        rx.match(
            s.found,
            (
                "found",
                rx.vstack(
                    header,
                    _certificate_panel(),
                    _mode_note(),
                    _progress_card(),
                    _modules_card(),
                    spacing="4",
                    width="100%",
                    max_width="880px",
                    margin="0 auto",
                ),
            ),
            ("missing", _not_enrolled()),
            loading_panel(),
        )
    )
