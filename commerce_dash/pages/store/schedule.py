"""My schedule (/account/schedule): upcoming bookings, waitlist places, what a credit can book,
the learner's credits and past sessions; one card each, stacked entries (no wide tables) so it
reads on a phone."""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.vars import ObjectVar

from commerce_dash import routes
from commerce_dash.components.badges import row_status_badge
from commerce_dash.components.catalog_card import loading_panel
from commerce_dash.components.cells import RULED_ENTRY, only_if, text_if
from commerce_dash.components.dialogs import confirm_dialog
from commerce_dash.components.shell import store_page
from commerce_dash.components.store_panels import (
    back_link,
    button_group,
    card_column,
    empty_block,
    icon_link_button,
)
from commerce_dash.pages.store.schedule_state import MyScheduleState

S = MyScheduleState
Row = ObjectVar[dict[str, str]]


def _button(label: str, icon: str, event: Any, row: Row, class_name: str,
            **props: Any) -> rx.Component:
    props.setdefault("variant", "soft")
    return rx.button(rx.icon(icon, size=14), label, size="2", on_click=event,
                     loading=S.busy, class_name=class_name,
                     aria_label=f"{label}: " + row["title"].to(str),  # type: ignore[operator]
                     **props)


def _where(row: Row) -> rx.Component:
    return rx.cond(
        row["join_url"] != "",
        rx.link(rx.hstack(rx.icon("video", size=14), rx.text("Join", size="2"), spacing="1",
                          align="center"),
                href=row["join_url"], is_external=True, class_name="booking-join"),
        text_if(row["location"], size="2", class_name="booking-location"),
    )


def _entry_head(row: Row, badge: rx.Component, *extra: rx.Component) -> rx.Component:
    return rx.hstack(
        rx.vstack(
            rx.text(row["title"], weight="bold", size="3"),
            *extra,
            spacing="1",
            align="start",
        ),
        rx.spacer(),
        badge,
        width="100%",
        align="start",
        wrap="wrap",
    )


def _upcoming(row: Row) -> rx.Component:
    return rx.vstack(
        _entry_head(
            row,
            rx.hstack(only_if(row["credit"] != "",
                              rx.badge("Credit used", variant="soft", color_scheme="violet",
                                       class_name="booking-credit", high_contrast=True)),
                      spacing="1"),
            rx.text(row["what"], size="2", color_scheme="gray"),
            text_if(row["instructor"], "With ", row["instructor"], size="2"),
            rx.text(row["when"], size="2", weight="medium", class_name="booking-when"),
            _where(row),
        ),
        button_group(
            _button("Add to calendar", "calendar-plus", S.add_to_calendar(row["id"]), row,
                    "booking-calendar"),
            only_if(row["can_cancel"] != "",
                    _button("Cancel", "x", S.open_cancel(row["id"]), row, "booking-cancel",
                            color_scheme="red")),
        ),
        spacing="2",
        class_name="booking",
        data_booking=row["id"],
        **RULED_ENTRY,
    )


def _past(row: Row) -> rx.Component:
    return rx.vstack(
        _entry_head(row, row_status_badge(row, "booking-status"),
                    rx.text(row["what"], size="2", color_scheme="gray"),
                    rx.text(row["when"], size="2")),
        only_if(row["credit_returned"] != "",
                rx.text("Your credit came back.", size="1", color_scheme="gray")),
        spacing="1",
        class_name="past-booking",
        **RULED_ENTRY,
    )


def _waiting(row: Row) -> rx.Component:
    return rx.vstack(
        _entry_head(row, row_status_badge(row, "waitlist-status"),
                    rx.text(row["when"], size="2"),
                    rx.text(row["place"], size="2", weight="medium", class_name="waitlist-place")),
        button_group(
            only_if(row["offered"] != "",
                    _button("Accept", "check", S.accept(row["id"]), row, "waitlist-accept",
                            variant="solid")),
            _button("Leave", "log-out", S.leave(row["id"]), row, "waitlist-leave",
                    color_scheme="gray"),
        ),
        spacing="2",
        class_name="waitlist-entry",
        data_entry=row["id"],
        background=rx.cond(row["highlight"] != "", rx.color("amber", 3), "transparent"),
        padding_x=rx.cond(row["highlight"] != "", "0.75em", "0"),
        border_radius="8px",
        **RULED_ENTRY,
    )


def _bookable(row: Row) -> rx.Component:
    return rx.vstack(
        _entry_head(row, rx.badge(row["seats"], variant="soft", color_scheme="gray", high_contrast=True),
                    rx.text(row["kind"], " · ", row["department"], size="2",
                            color_scheme="gray"),
                    text_if(row["instructor"], "With ", row["instructor"], size="2"),
                    rx.text(row["when"], size="2", weight="medium"),
                    text_if(row["location"], size="2")),
        _button("Book", "calendar-check", S.book(row["id"]), row, "bookable-book",
                variant="solid"),
        spacing="2",
        class_name="bookable",
        **RULED_ENTRY,
    )


def _credit(row: Row) -> rx.Component:
    return rx.hstack(
        rx.vstack(
            rx.text(row["label"], weight="medium", size="2"),
            rx.text(row["department"], " · ", row["expires"], size="1", color_scheme="gray"),
            spacing="0",
            align="start",
        ),
        rx.spacer(),
        row_status_badge(row, "credit-status"),
        class_name="credit",
        align="center",
        **RULED_ENTRY,
    )


def _section(title: str, section_id: str, rows: rx.Var, entry: Any,
             empty: rx.Component) -> rx.Component:
    return rx.el.section(
        card_column(
            rx.heading(title, size="4", id=f"{section_id}-title"),
            rx.cond(rows.length() > 0,  # type: ignore[attr-defined]
                    rx.vstack(rx.foreach(rows, entry), spacing="0", width="100%"),
                    empty),
            spacing="2",
        ),
        id=section_id,
        aria_labelledby=f"{section_id}-title",
        width="100%",
    )


def _empty(icon: str, title: str, hint: str, *below: rx.Component) -> rx.Component:
    return empty_block(icon, title, hint, *below, width="100%")


def _cancel_dialog() -> rx.Component:
    return confirm_dialog(
        ("Cancel ", S.cancel_title, "?"),
        S.cancel_note,
        confirm="Cancel booking",
        on_confirm=S.confirm_cancel,
        open=S.cancel_open,
        on_open_change=S.set_cancel_open,
        confirm_id="confirm-cancel-booking",
        loading=S.busy,
        max_width="480px",
    )


def _content() -> rx.Component:
    return rx.vstack(
        rx.text("Times are shown in ", rx.text.strong(S.time_zone), ".", size="2",
                color_scheme="gray", id="schedule-zone"),
        only_if(S.offer_note != "",
                rx.callout(S.offer_note, icon="info", color_scheme="amber", width="100%",
                           id="offer-note")),
        _section("Upcoming", "schedule-upcoming", S.upcoming, _upcoming,
                 _empty("calendar", "No bookings yet",
                        "No bookings yet — book a step from your course page, or use a "
                        "credit below.",
                        icon_link_button("book-open", "My courses", routes.ACCOUNT,
                                         variant="soft"))),
        _section("Waitlist", "schedule-waitlist", S.waitlist, _waiting,
                 _empty("list-ordered", "Not on any waitlist",
                        "When a session is full you can join its waitlist; your place "
                        "shows here.")),
        _section("Use a credit", "schedule-bookable", S.bookable, _bookable,
                 _empty("ticket", "Nothing to book with a credit",
                        "Sessions your available credits can pay for show here. Credits "
                        "come with some course prices and credit packs.")),
        _section("My credits", "schedule-credits", S.credits, _credit,
                 _empty("coins", "No credits",
                        "Credits for private sessions and extra group classes appear here "
                        "once you buy them.")),
        _section("Past sessions", "schedule-past", S.past, _past,
                 _empty("history", "No past sessions",
                        "Sessions you attended, missed or cancelled show here.")),
        spacing="4",
        width="100%",
    )


def my_schedule_page() -> rx.Component:
    return store_page(
        back_link("My account", routes.ACCOUNT),
        rx.heading("My schedule", size="6"),
        rx.cond(~S.loaded, loading_panel(), _content()),
        _cancel_dialog(),
    )
