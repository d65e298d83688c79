"""The dialogs of the Sessions list: "Schedule class" (one class or a weekly series) and "Open
private slots" (an instructor's window cut into 30- or 60-minute private sessions). Each
field's error shows under it; the text inputs start empty (a new key remounts them)."""

from __future__ import annotations

from typing import Any

import reflex as rx

from commerce_dash.components.admin_forms import edit_dialog
from commerce_dash.components.cells import only_if
from commerce_dash.components.forms import error_text, field, labelled, select
from commerce_dash.pages.admin.sessions_forms import BY_EMAIL, NO_INSTRUCTOR, SLOT_LENGTHS
from commerce_dash.pages.admin.sessions_state import SessionsState

S = SessionsState
E: Any = SessionsState.form_errors


def _pair(*fields: rx.Component) -> rx.Component:
    """Fields side by side on a wide screen, stacked at 375px."""
    return rx.grid(*fields, columns=rx.breakpoints(initial="1", sm=str(len(fields))),  # type: ignore[arg-type]
                   gap="3", width="100%")


def _department(id_: str) -> rx.Component:
    return labelled(
        "Department",
        select(S.form_department, S.set_form_department, each=S.departments, id=id_,
               placeholder="Choose the department", width="100%"),
        error_text(E["department"], f"{id_}-error"),
        html_for=id_,
    )


def _zone(id_: str) -> rx.Component:
    return labelled(
        "Time zone",
        select(S.form_zone, S.set_form_zone, each=S.zone_options, each_value=None, id=id_,
               width="100%"),
        error_text(E["time_zone"], f"{id_}-error"),
        rx.text("The times above are wall times in this zone (yours by default).", size="1",
                color_scheme="gray"),
        html_for=id_,
    )


def _instructor(id_: str, email_name: str, *, optional: bool) -> rx.Component:
    first = (NO_INSTRUCTOR, "No instructor yet") if optional else None
    return rx.vstack(
        labelled(
            "Instructor" + (" (optional)" if optional else ""),
            select(S.form_instructor, S.set_form_instructor, first=first, each=S.teachers,
                   extra=[rx.select.item("Someone else (by email)", value=BY_EMAIL)],
                   id=id_, placeholder="Choose the instructor", width="100%"),
            error_text(E["instructor"], f"{id_}-error"),
            html_for=id_,
        ),
        only_if(S.form_instructor == BY_EMAIL,
                field("Instructor's email", email_name, type="email",
                      hint="The instructor's account email.")),
        spacing="2",
        width="100%",
    )


def _time_fields(day: str, start: str, end: str) -> rx.Component:
    return _pair(
        field("Date", day, E["day"], type="date", required=True, default_value=S.form_day),  # type: ignore[arg-type]
        field("Start", start, E["start"], type="time", required=True),
        field("End", end, E["end"], type="time", required=True),
    )


def schedule_dialog() -> rx.Component:
    return edit_dialog(
        "Schedule class",
        "A group class of the department; repeat it weekly to schedule a series at the same "
        "local time each week.",
        _department("schedule-department"),
        field("Title", "title", E["title"], required=True),
        _time_fields("day", "start", "end"),
        _zone("schedule-zone"),
        _pair(
            field("Capacity (seats)", "capacity", E["capacity"], type="number", required=True,
                  default_value="10"),
            field("Repeat weekly (times)", "repeat", E["repeat"], type="number",
                  default_value="1", hint="1 to 52 sessions, one a week."),
        ),
        _instructor("schedule-instructor", "instructor_email", optional=True),
        field("Location", "location", E["location"], placeholder="Room 2 or Online"),
        field("Meeting link", "meeting_url", E["meeting_url"], type="url",
              placeholder="https://"),
        labelled("Description",
                 rx.text_area(id="description", name="description", rows="3", width="100%"),
                 error_text(E["description"], "description-error"), html_for="description"),
        error=E["form"],
        submit=rx.cond(S.saving, "Scheduling…", "Schedule"),
        submit_id="schedule-submit",
        on_submit=S.submit_schedule,
        key=S.form_key.to_string(),
        open=S.schedule_open,
        on_open_change=S.set_schedule_open,
        max_width="600px",
        max_height="90vh",
        overflow_y="auto",
    )


def slots_dialog() -> rx.Component:
    minutes: Any = select(S.form_minutes, S.set_form_minutes, SLOT_LENGTHS, id="slot-minutes",
                          width="100%")
    return edit_dialog(
        "Open private slots",
        "The instructor's free window, cut into private sessions of one seat each.",
        _department("slots-department"),
        _instructor("slots-instructor", "slot_instructor_email", optional=False),
        _time_fields("slot_day", "slot_start", "slot_end"),
        _zone("slots-zone"),
        labelled("Slot length", minutes, error_text(E["minutes"], "slot-minutes-error"),
                 html_for="slot-minutes"),
        field("Location", "slot_location", E["location"], placeholder="Room 2 or Online"),
        field("Meeting link", "slot_link", E["meeting_url"], type="url",
              placeholder="https://"),
        error=E["form"],
        submit=rx.cond(S.saving, "Opening…", "Open slots"),
        submit_id="slots-submit",
        on_submit=S.submit_slots,
        key=S.form_key.to_string(),
        open=S.slots_open,
        on_open_change=S.set_slots_open,
        max_width="600px",
        max_height="90vh",
        overflow_y="auto",
    )
