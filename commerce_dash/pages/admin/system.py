"""System health (super-admins): the scheduled jobs and the outbox of messages to deliver.

A container page: it also shows the payment events card of ``payment_events.py``.
"""

from __future__ import annotations

import reflex as rx

from commerce_dash import outbox, routes
from commerce_dash.components.admin_forms import (
    close_row,
    link_button,
    note,
    row_button,
    soft_action,
)
from commerce_dash.components.badges import status_badge
from commerce_dash.components.cells import only_if, text_cells, two_lines
from commerce_dash.components.dialogs import dialog, form_dialog
from commerce_dash.components.filters import filter_bar, search_box
from commerce_dash.components.forms import field, select
from commerce_dash.components.shell import admin_shell
from commerce_dash.components.tables import paged_table, table_box
from commerce_dash.pages.admin.payment_events import payment_events_card
from commerce_dash.pages.admin.system_state import (
    SystemState,
)


def _count_card(status: str) -> rx.Component:
    count = SystemState.counts[status]
    color = rx.cond(count > 0, "red", "gray") if status == "dead" else "gray"
    return rx.card(
        note(status),
        rx.text(count, size="5", weight="bold", color_scheme=color, id=f"{status}-count"),
        data_status=status,
        flex="1 1 110px",
    )


def _badge(value: rx.Var[str]) -> rx.Component:
    return rx.cond(value == "", rx.fragment(), status_badge(value))


def _action(label: str, on_click, class_name: str, color: str = "") -> rx.Component:  # type: ignore[no-untyped-def]
    tint = {"color_scheme": color} if color else {}
    return rx.button(
        label, size="1", variant="soft", on_click=on_click, class_name=class_name, **tint
    )


def _job_row_view(job: rx.Var[dict[str, str]]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.vstack(
                rx.code(job["name"], weight="bold"),
                note(job["description"]),
                spacing="1",
            )
        ),
        rx.table.cell(rx.text(job["schedule"], size="2", white_space="nowrap")),
        rx.table.cell(
            two_lines(job["started"], job["finished"], size="1")
        ),
        rx.table.cell(_badge(job["outcome"])),
        rx.table.cell(rx.text(job["detail"], size="1")),
        rx.table.cell(
            row_button(
                "Run now",
                SystemState.run_now(job["name"]),
                icon="play",
                loading=SystemState.running_job == job["name"],
                disabled=SystemState.running_job != "",
                class_name="run-job",
            )
        ),
        class_name="job-row",
        data_job=job["name"],
    )


def _jobs_card() -> rx.Component:
    headers = ["Job", "Schedule", "Last run (start / end)", "Outcome", "Detail", ""]
    return rx.card(
        rx.heading("Jobs", size="4", padding_bottom="0.5em"),
        table_box(headers, SystemState.jobs, _job_row_view),
        width="100%",
        id="jobs",
    )


def _message_row_view(row: rx.Var[dict[str, str]]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(row["id"], size="2")),
        rx.table.cell(rx.code(row["topic"])),
        rx.table.cell(_badge(row["status"])),
        rx.table.cell(rx.text(row["attempts"], size="2")),
        *text_cells(row, "next", "created", size="1"),
        rx.table.cell(rx.text(row["error"], size="1", color_scheme="red")),
        rx.table.cell(
            rx.hstack(
                _action("Details", SystemState.open_detail(row["id"]), "message-details"),
                only_if(
                    row["replayable"] == "yes",
                    _action("Replay", SystemState.replay(row["id"]), "replay-message", "green"),
                ),
                only_if(
                    row["discardable"] == "yes",
                    _action(
                        "Discard", SystemState.ask_discard(row["id"]), "discard-message", "red"
                    ),
                ),
                spacing="2",
            )
        ),
        class_name="outbox-row",
        data_status=row["status"],
    )


def _fact(label: str, key: str) -> rx.Component:
    value = SystemState.detail[key]
    return only_if(
        value != "",
        rx.hstack(
            rx.text(label, size="2", color_scheme="gray", min_width="120px"),
            rx.text(value, size="2", word_break="break-all"),
            width="100%",
        ),
    )


def _detail_dialog() -> rx.Component:
    detail = SystemState.detail
    return dialog(
        ("Message #", detail["id"], " · ", detail["topic"]),
        "Where the message stands: its attempts, its claim and its last error.",
        rx.vstack(
            _badge(detail["status"]),
            _fact("Dedupe key", "dedupe_key"),
            _fact("Attempts", "attempts"),
            _fact("Created", "created"),
            _fact("Next attempt", "next"),
            _fact("Claimed by", "claim"),
            _fact("Sent", "sent"),
            _fact("Dead since", "dead"),
            _fact("Discarded because", "discarded_reason"),
            only_if(
                detail["last_error"] != "",
                rx.box(
                    rx.text("Last error", size="2", weight="bold"),
                    rx.el.pre(detail["last_error"], white_space="pre-wrap", font_size="12px"),
                    width="100%",
                ),
            ),
            rx.text("Payload", size="2", weight="bold"),
            rx.code_block(detail["payload"], language="json", width="100%"),
            close_row(),
            spacing="2",
            width="100%",
        ),
        max_width="720px",
        tall=True,
        id="message-details",
        open=SystemState.detail_open,
        on_open_change=SystemState.set_detail_open,
    )


def _discard_dialog() -> rx.Component:
    return form_dialog(
        ("Discard message #", SystemState.discard_id, "?"),
        "It will not be sent. You can replay it later; the reason goes to the audit log.",
        field("Reason", "reason", SystemState.discard_error, required=True),
        submit="Discard",
        on_submit=SystemState.discard,
        submit_id="confirm-discard",
        color="red",
        open=SystemState.discard_open,
        on_open_change=SystemState.set_discard_open,
        max_width="460px",
        alert=True,
    )


def system_page() -> rx.Component:
    return admin_shell(
        "system",
        "System",
        rx.hstack(
            *[_count_card(s) for s in outbox.STATUSES],
            wrap="wrap",
            spacing="3",
            width="100%",
            id="outbox-counts",
        ),
        rx.hstack(
            soft_action("refresh-cw", "Refresh", SystemState.refresh),
            rx.spacer(),
            link_button("heart-pulse", "Health", routes.ADMIN_HEALTH),
            link_button("scroll-text", "Audit log", routes.ADMIN_AUDIT),
            link_button("mail", "Email previews", routes.ADMIN_EMAILS),
            wrap="wrap",
            spacing="3",
            width="100%",
        ),
        _jobs_card(),
        payment_events_card(),
        rx.heading("Outbox", size="4"),
        filter_bar(
            search_box(SystemState.search, SystemState.set_search, "Topic starts with",
                       "topic-filter"),
            select(SystemState.status_filter, SystemState.set_status_filter,
                   [(s, s) for s in outbox.STATUSES], first=("all", "Any status"),
                   label="Message status", id="status-filter"),
            align=None,
        ),
        paged_table(
            SystemState,
            ["#", "Topic", "Status", "Attempts", "Next attempt", "Created", "Last error", ""],
            _message_row_view,
            ("inbox", "No messages match", "Change the topic or status filter."),
        ),
        _detail_dialog(),
        _discard_dialog(),
    )
