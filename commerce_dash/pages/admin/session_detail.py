"""One live session for an admin of its department (/admin/sessions/[live_session_id]): its facts
(when, in its own zone and the viewer's; seats; status), the actions Edit, Reschedule and
Cancel behind their dialogs, the roster with attendance (marked once the session has started)
and the waitlist, which the admin may reorder."""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.vars import ObjectVar

from commerce_dash import routes
from commerce_dash.components.admin_forms import back_and_reload, edit_dialog, row_button
from commerce_dash.components.badges import field_badge
from commerce_dash.components.cells import only_if, text_if, two_lines
from commerce_dash.components.dialogs import reason_dialog
from commerce_dash.components.forms import error_text, field, labelled, select
from commerce_dash.components.shell import admin_shell
from commerce_dash.components.store_panels import card_column, card_title
from commerce_dash.components.tables import empty_state, skeleton_rows, table_box
from commerce_dash.pages.admin.session_detail_forms import CANCEL_TEXT, REASON_MAX, REASON_MIN
from commerce_dash.pages.admin.session_detail_state import SessionDetailState
from commerce_dash.pages.admin.sessions_forms import SECTION

S = SessionDetailState
E: Any = SessionDetailState.form_errors


def _fact(item: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.box(
        rx.text(item["label"], size="1", color_scheme="gray", as_="div"),
        rx.text(item["value"], size="2", weight="medium", as_="div", word_break="break-word"),
        class_name="session-fact",
        data_label=item["label"],
        min_width="0",
    )


def _summary() -> rx.Component:
    return card_column(
        rx.hstack(
            rx.heading(S.title, size="5"),
            field_badge(S.kind, "kind"),  # type: ignore[arg-type]
            field_badge(S.status, "status"),  # type: ignore[arg-type]
            align="center",
            spacing="3",
            wrap="wrap",
        ),
        rx.grid(
            rx.foreach(S.facts, _fact),
            columns=rx.breakpoints(initial="1", sm="2", md="3"),  # type: ignore[arg-type]
            gap="1em",
            width="100%",
        ),
        text_if(S.description, size="2", white_space="pre-wrap"),
        id="session-summary",
    )


def _actions() -> rx.Component:
    return card_column(
        card_title("Actions"),
        rx.flex(
            only_if(S.can_change, rx.button(rx.icon("pencil", size=16), "Edit", variant="soft",
                                            on_click=S.open_edit, id="action-edit")),
            only_if(S.can_change, rx.button(rx.icon("calendar-clock", size=16), "Reschedule",
                                            variant="soft", on_click=S.open_reschedule,
                                            id="action-reschedule")),
            only_if(S.can_cancel, rx.button(rx.icon("circle-x", size=16), "Cancel session",
                                            variant="soft", color_scheme="red",
                                            on_click=S.open_cancel, id="action-cancel")),
            gap="0.5em",
            wrap="wrap",
        ),
        rx.cond(
            S.can_cancel,
            rx.text("Every action is recorded in the audit log.", size="1",
                    color_scheme="gray"),
            rx.text("Nothing to change: this session was cancelled or has ended.", size="2",
                    color_scheme="gray"),
        ),
        id="session-actions",
    )


def _booking(row: ObjectVar[dict[str, str]]) -> rx.Component:
    markable = row["markable"] == "yes"
    return rx.table.row(
        rx.table.cell(two_lines(row["learner"], row["email"], size="2", weight="medium")),
        rx.table.cell(field_badge(row, "status")),
        rx.table.cell(rx.text(row["booked_at"], size="2", white_space="nowrap")),
        rx.table.cell(rx.text(row["attendance"], size="2")),
        rx.table.cell(rx.hstack(
            row_button("Attended", S.mark(row["id"], True), color="green",  # type: ignore[operator]
                       disabled=~markable, aria_label="Attended: " + row["learner"]),
            row_button("Missed", S.mark(row["id"], False), color="orange",  # type: ignore[operator]
                       disabled=~markable, aria_label="Missed: " + row["learner"]),
            spacing="2",
        )),
        class_name="roster-booking",
        data_status=row["status"],
    )


def _roster() -> rx.Component:
    return card_column(
        card_title("Roster"),
        only_if(~S.started, rx.text("Attendance can be marked once the session has started.",
                                    size="1", color_scheme="gray")),
        rx.cond(
            S.bookings.length() > 0,
            table_box(("Learner", "Status", "Booked at", "Attendance", "Mark"), S.bookings,
                      _booking),
            empty_state("users", "No bookings yet",
                        "Learners book from their course steps or with their credits."),
        ),
        id="session-roster",
    )


def _entry(row: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(row["place"], size="2")),
        rx.table.cell(two_lines(row["learner"], row["email"], size="2", weight="medium")),
        rx.table.cell(field_badge(row, "status")),
        rx.table.cell(rx.text(row["offered_until"], size="2", white_space="nowrap")),
        rx.table.cell(rx.hstack(
            row_button("Move up", S.move_waitlist(row["id"], -1),  # type: ignore[operator]
                       icon="arrow-up", disabled=row["up"] != "yes",
                       aria_label="Move up: " + row["learner"]),
            row_button("Move down", S.move_waitlist(row["id"], 1),  # type: ignore[operator]
                       icon="arrow-down", disabled=row["down"] != "yes",
                       aria_label="Move down: " + row["learner"]),
            spacing="2",
        )),
        class_name="waitlist-entry",
        data_status=row["status"],
    )


def _waitlist() -> rx.Component:
    return card_column(
        card_title("Waitlist"),
        rx.cond(
            S.waitlist.length() > 0,
            table_box(("Place", "Learner", "Status", "Offered until", "Order"), S.waitlist,
                      _entry),
            empty_state("list-ordered", "Nobody is waiting",
                        "Learners join the waitlist when the session is full."),
        ),
        id="session-waitlist",
    )


def _edit_dialog() -> rx.Component:
    return edit_dialog(
        "Edit session",
        "Booked learners keep their seats; the capacity can't go below the seats booked.",
        field("Title", "title", E["title"], required=True, default_value=S.edit_title),  # type: ignore[arg-type]
        field("Capacity (seats)", "capacity", E["capacity"], type="number", required=True,
              default_value=S.edit_capacity),  # type: ignore[arg-type]
        field("Location", "location", E["location"], default_value=S.edit_location),  # type: ignore[arg-type]
        field("Meeting link", "meeting_url", E["meeting_url"], type="url",
              default_value=S.edit_link),  # type: ignore[arg-type]
        labelled("Description",
                 rx.text_area(id="description", name="description", rows="3", width="100%",
                              default_value=S.edit_description),
                 error_text(E["description"], "description-error"), html_for="description"),
        error=E["form"],
        submit="Save",
        submit_id="edit-submit",
        on_submit=S.submit_edit,
        key=S.form_key.to_string(),
        open=S.edit_open,
        on_open_change=S.set_edit_open,
        max_width="560px",
    )


def _reschedule_dialog() -> rx.Component:
    return edit_dialog(
        "Reschedule",
        "The new local day and times; booked learners are emailed the new time.",
        rx.grid(
            field("Date", "day", E["day"], type="date", required=True,
                  default_value=S.move_day),  # type: ignore[arg-type]
            field("Start", "start", E["start"], type="time", required=True,
                  default_value=S.move_start),  # type: ignore[arg-type]
            field("End", "end", E["end"], type="time", required=True,
                  default_value=S.move_end),  # type: ignore[arg-type]
            columns=rx.breakpoints(initial="1", sm="3"),  # type: ignore[arg-type]
            gap="3",
            width="100%",
        ),
        labelled("Time zone",
                 select(S.form_zone, S.set_form_zone, each=S.zone_options, each_value=None,
                        id="reschedule-zone", width="100%"),
                 error_text(E["time_zone"], "reschedule-zone-error"),
                 html_for="reschedule-zone"),
        error=E["form"],
        submit="Reschedule",
        submit_id="reschedule-submit",
        on_submit=S.submit_reschedule,
        key=S.form_key.to_string(),
        open=S.reschedule_open,
        on_open_change=S.set_reschedule_open,
        max_width="560px",
    )


def _cancel_dialog() -> rx.Component:
    return reason_dialog(
        "Cancel this session?",
        CANCEL_TEXT,
        value=S.cancel_reason,
        on_change=S.set_cancel_reason,
        length=S.cancel_reason.length(),
        minimum=REASON_MIN,
        maximum=REASON_MAX,
        error=S.cancel_error,
        error_id="cancel-reason-error",
        reason_id="cancel-reason",
        placeholder="The reason the learners are told",
        confirm="Cancel session",
        on_confirm=S.confirm_cancel,
        confirm_id="confirm-cancel-session",
        open=S.cancel_open,
        on_open_change=S.set_cancel_open,
        loading=S.busy,
    )


def session_detail_admin_page() -> rx.Component:
    back = back_and_reload("All sessions", routes.ADMIN_SESSIONS, S.refresh)
    missing = rx.card(
        rx.vstack(
            empty_state("search-x", "Session not found",
                        "Check the address, or open the session from the list."),
            rx.text(S.missing_message, size="2", color_scheme="gray"),
            rx.link("Back to all sessions", href=routes.ADMIN_SESSIONS),
            align="center",
            width="100%",
        ),
        width="100%",
        id="session-not-found",
    )
    return admin_shell(
        SECTION,
        "Session",
        rx.match(
            S.found,
            ("found", rx.vstack(back, _summary(), _actions(), _roster(), _waitlist(),
                                spacing="4", width="100%")),
            ("missing", missing),
            skeleton_rows(),
        ),
        _edit_dialog(),
        _reschedule_dialog(),
        _cancel_dialog(),
    )
