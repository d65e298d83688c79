"""Sessions (department admins: their departments; super-admins: all): live group classes and
private slots as a paged list or a calendar week in the viewer's time zone, with filters; the
buttons "Schedule class" and "Open private slots" open their dialogs; each session opens its
page (roster, waitlist, actions)."""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.vars import ObjectVar

from commerce_dash.components.badges import field_badge
from commerce_dash.components.cells import text_if, two_lines
from commerce_dash.components.filters import date_range, filter_bar, search_box
from commerce_dash.components.forms import select
from commerce_dash.components.shell import admin_shell
from commerce_dash.components.tables import paged_table
from commerce_dash.pages.admin.sessions_dialogs import schedule_dialog, slots_dialog
from commerce_dash.pages.admin.sessions_state import (
    ANY,
    KIND_OPTIONS,
    LIST,
    SECTION,
    STATUS_OPTIONS,
    WEEK,
    SessionsState,
)

S = SessionsState


def _toolbar() -> rx.Component:
    return rx.flex(
        rx.segmented_control.root(
            rx.segmented_control.item("List", value=LIST),
            rx.segmented_control.item("Week", value=WEEK),
            value=S.view,
            on_change=S.set_view,
            aria_label="Show the sessions as",
            id="sessions-view",
        ),
        rx.spacer(),
        rx.button(rx.icon("calendar-plus", size=16), "Schedule class", on_click=S.open_schedule,
                  id="open-schedule"),
        rx.button(rx.icon("user-round-plus", size=16), "Open private slots", variant="soft",
                  on_click=S.open_slots, id="open-slots"),
        gap="3",
        wrap="wrap",
        align="center",
        width="100%",
    )


def _filters() -> rx.Component:
    return filter_bar(
        search_box(S.search, S.set_search, "Title or instructor", "session-search"),
        select(S.department_filter, S.set_department_filter, label="Department",
               first=(ANY, "All departments"), each=S.departments, id="session-department"),
        select(S.instructor_filter, S.set_instructor_filter, label="Instructor",
               first=(ANY, "All instructors"), each=S.teachers, id="session-instructor"),
        select(S.kind_filter, S.set_kind_filter, KIND_OPTIONS, label="Kind",
               id="session-kind"),
        select(S.status_filter, S.set_status_filter, STATUS_OPTIONS, label="Status",
               id="session-status"),
        date_range("Days", S.date_from, S.set_date_from, S.date_to, S.set_date_to,
                   "session-date-from", "session-date-to"),
        on_clear=S.reset_filters,
        on_refresh=S.refresh,
    )


def _row(row: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(two_lines(row["local_start"], "until " + row["local_end"], size="2",
                                white_space="nowrap")),
        rx.table.cell(rx.link(rx.text(row["title"], weight="medium"), href=row["href"])),
        rx.table.cell(field_badge(row, "kind")),
        rx.table.cell(rx.text(row["department"], size="2")),
        rx.table.cell(rx.text(row["instructor"], size="2")),
        rx.table.cell(rx.text(row["seats"], size="2", white_space="nowrap")),
        rx.table.cell(rx.text(row["waitlist"], size="2")),
        rx.table.cell(field_badge(row, "status")),
        class_name="admin-session-row",
        data_session=row["id"],
    )


def _list() -> rx.Component:
    return paged_table(
        S,
        ["Starts", "Title", "Kind", "Department", "Instructor", "Seats", "Waitlist", "Status"],
        _row,
        ("calendar-days", "No sessions yet",
         "Schedule a class or open an instructor's private slots to begin."),
        no_match=("search-x", "No sessions match",
                  "Widen the filters, or clear them to see every session you may see."),
    )


def _card(card: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.link(
        rx.card(
            rx.vstack(
                rx.text(card["text"], size="2", weight="medium",
                        text_decoration=rx.cond(card["cancelled"] == "yes", "line-through",
                                                "none")),
                text_if(card["instructor"], size="1", color_scheme="gray"),
                rx.hstack(field_badge(card, "kind"),
                          rx.cond(card["cancelled"] == "yes", field_badge(card, "status")),
                          spacing="1", wrap="wrap"),
                spacing="1",
            ),
            size="1",
            width="100%",
        ),
        href=card["href"],
        underline="none",
        width="100%",
        class_name="calendar-session",
        data_session=card["id"],
    )


def _day(cards: Any, index: Any) -> rx.Component:
    return rx.vstack(
        rx.heading(S.week_days[index], size="2", as_="h3"),
        rx.cond(
            cards.length() > 0,
            rx.vstack(rx.foreach(cards, _card), spacing="2", width="100%"),
            rx.text("Nothing", size="1", color_scheme="gray"),
        ),
        spacing="2",
        width="100%",
        min_width="0",
        padding="0.5em",
        border_radius="var(--radius-3)",
        background=rx.color("gray", 3),
        class_name="calendar-day",
    )


def _week() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.flex(
                rx.button(rx.icon("chevron-left", size=16), "Previous week", variant="soft",
                          on_click=S.shift_week(-1), id="week-previous"),  # type: ignore[operator]
                rx.button("This week", variant="ghost", on_click=S.current_week),
                rx.button("Next week", rx.icon("chevron-right", size=16), variant="soft",
                          on_click=S.shift_week(1), id="week-next"),  # type: ignore[operator]
                rx.text(S.week_label, size="2", weight="medium", id="week-label"),
                gap="3",
                wrap="wrap",
                align="center",
            ),
            rx.grid(
                rx.foreach(S.week_cards, _day),
                columns=rx.breakpoints(initial="1", md="7"),  # type: ignore[arg-type]
                gap="2",
                width="100%",
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
        id="sessions-week",
    )


def sessions_admin_page() -> rx.Component:
    return admin_shell(
        SECTION,
        "Sessions",
        _toolbar(),
        _filters(),
        rx.cond(S.view == WEEK, _week(), _list()),
        schedule_dialog(),
        slots_dialog(),
    )
