"""Teaching (/teaching): the instructor's upcoming sessions and those of the last 30 days, each
a card with its roster; "Attended" / "Missed" beside each learner once the session started."""

from __future__ import annotations

import reflex as rx
from reflex.vars import ObjectVar

from commerce_dash import routes
from commerce_dash.components.badges import row_status_badge
from commerce_dash.components.catalog_card import loading_panel
from commerce_dash.components.cells import RULED_ENTRY, only_if, text_if
from commerce_dash.components.shell import store_page
from commerce_dash.components.store_panels import (
    back_link,
    button_group,
    card_column,
    empty_card,
)
from commerce_dash.pages.store.teaching_state import TeachingState

S = TeachingState
Row = ObjectVar[dict[str, str]]


def _mark_button(label: str, row: Row, chosen: str, event: object, color: str
                 ) -> rx.Component:
    return rx.button(
        label,
        size="1",
        variant=rx.cond(row[chosen] != "", "solid", "soft"),
        color_scheme=color,  # type: ignore[arg-type]
        on_click=event,  # type: ignore[arg-type]
        loading=S.busy,
        aria_pressed=rx.cond(row[chosen] != "", "true", "false"),
        aria_label=f"{label}: " + row["learner"].to(str),  # type: ignore[operator]
        class_name=f"mark-{label.lower()}",
    )


def _learner(row: Row, session_id: rx.Var[str]) -> rx.Component:
    return only_if(
        row["session"] == session_id,
        rx.hstack(
            rx.vstack(
                rx.text(row["learner"], size="2", weight="medium"),
                rx.text(row["email"], size="1", color_scheme="gray"),
                spacing="0",
                align="start",
            ),
            rx.spacer(),
            only_if(row["credit"] != "",
                    rx.badge("Credit", variant="soft", color_scheme="violet", size="1", high_contrast=True)),
            row_status_badge(row, "roster-status"),
            only_if(row["can_mark"] != "", button_group(
                _mark_button("Attended", row, "attended", S.mark_attended(row["id"]), "green"),
                _mark_button("Missed", row, "missed", S.mark_missed(row["id"]), "red"),
            )),
            align="center",
            wrap="wrap",
            class_name="roster-booking",
            data_booking=row["id"],
            **RULED_ENTRY,
        ),
    )


def _session(row: Row) -> rx.Component:
    return card_column(
        rx.hstack(
            rx.vstack(
                rx.heading(row["title"], size="4"),
                rx.text(row["kind"], " · ", row["department"], size="2", color_scheme="gray"),
                rx.text(row["when"], size="2", weight="medium", class_name="taught-when"),
                rx.text(row["seats"], size="2"),
                text_if(row["waiting"], size="2", color_scheme="gray"),
                spacing="1",
                align="start",
            ),
            rx.spacer(),
            row_status_badge(row, "taught-status"),
            width="100%",
            align="start",
            wrap="wrap",
        ),
        rx.cond(
            row["empty"] != "",
            rx.text("No learners booked yet.", size="2", color_scheme="gray"),
            rx.vstack(rx.foreach(S.roster, lambda b: _learner(b, row["id"])), spacing="0",
                      width="100%", aria_label="Roster"),
        ),
        only_if((row["upcoming"] != "") & (row["empty"] == ""),
                rx.text("Attendance can be marked once the session has started.", size="1",
                        color_scheme="gray")),
        class_name="taught-session",
        data_session=row["id"],
    )


def _list(title: str, section_id: str, rows: rx.Var) -> rx.Component:
    return only_if(
        rows.length() > 0,  # type: ignore[attr-defined]
        rx.el.section(
            rx.vstack(rx.heading(title, size="5", id=f"{section_id}-title"),
                      rx.foreach(rows, _session), spacing="3", width="100%"),
            id=section_id,
            aria_labelledby=f"{section_id}-title",
            width="100%",
        ),
    )


def _content() -> rx.Component:
    return rx.cond(
        (S.upcoming.length() > 0) | (S.recent.length() > 0),
        rx.vstack(
            rx.text("Times are shown in ", rx.text.strong(S.time_zone), ".", size="2",
                    color_scheme="gray", id="teaching-zone"),
            _list("Upcoming", "teaching-upcoming", S.upcoming),
            _list("Last 30 days", "teaching-recent", S.recent),
            spacing="4",
            width="100%",
        ),
        empty_card("teaching-empty", "presentation", "You are not teaching any sessions",
                   "This page lists the live sessions you are the instructor of, with their "
                   "learners, so that you can mark who attended. An administrator assigns "
                   "instructors to sessions; none are assigned to you from the last 30 days "
                   "on."),
    )


def teaching_page() -> rx.Component:
    return store_page(
        back_link("My account", routes.ACCOUNT),
        rx.heading("Teaching", size="6"),
        rx.cond(~S.loaded, loading_panel(), _content()),
    )
