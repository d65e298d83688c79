"""System health (super-admins): the scheduled jobs and the outbox of messages to deliver."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from typing import Any

import reflex as rx

from commerce_dash import outbox, routes
from commerce_dash.components.forms import field
from commerce_dash.components.shell import admin_shell
from commerce_dash.components.tables import paged_table
from commerce_dash.db import session_scope
from commerce_dash.domain.errors import DomainError
from commerce_dash.domain.paging import PageRequest
from commerce_dash.jobs.registry import JOBS, JobSpec, run_job_now
from commerce_dash.models.delivery import JobRun, OutboxMessage
from commerce_dash.pages.admin.payment_events import payment_events_card
from commerce_dash.services.platform import jobs as jobs_service
from commerce_dash.services.platform import outbox_admin
from commerce_dash.state.admin import AdminState
from commerce_dash.state.paging import PagedTableMixin
from commerce_dash.state.route_args import route_int

PAGE_SIZE = 25
WHEN = "%Y-%m-%d %H:%M:%S UTC"
UNITS = (("weeks", "wk"), ("days", "d"), ("hours", "h"), ("minutes", "min"), ("seconds", "s"))
CRON_FIELDS = ("month", "day", "day_of_week", "hour", "minute", "second")
STATUS_COLORS = {"pending": "blue", "sending": "amber", "sent": "green", "dead": "red"}
OUTCOME_COLORS = {"ok": "green", "failed": "red", "running": "blue"}
OUTCOME_TOASTS = {
    "ok": (rx.toast.success, "finished"),
    "failed": (rx.toast.error, "failed; see the detail in its row"),
    "skipped": (rx.toast.info, "was skipped: it is already running elsewhere"),
}


def schedule_label(trigger: dict[str, Any]) -> str:
    """A trigger dict as people say it: ``{"seconds": 5}`` -> "every 5 s"."""
    interval = [f"{trigger[k]} {unit}" for k, unit in UNITS if trigger.get(k)]
    if interval:
        return "every " + " ".join(interval)
    cron = [f"{k}={trigger[k]}" for k in CRON_FIELDS if k in trigger]
    if cron:
        return "cron " + " ".join(cron)
    return ", ".join(f"{k}={v}" for k, v in trigger.items() if k != "trigger") or "manual only"


def _when(value: datetime | None) -> str:
    return value.strftime(WHEN) if value else ""


def _excerpt(text: str, length: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= length else text[: length - 1] + "…"


def _without_attachment_bytes(value: Any) -> Any:
    # Attachments travel base64-encoded: unreadable, and megabytes a browser need not hold.
    if isinstance(value, dict):
        return {
            k: f"<{len(v)} base64 characters>"
            if k == "data_base64" and isinstance(v, str)
            else _without_attachment_bytes(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_without_attachment_bytes(v) for v in value]
    return value


def _job_row(spec: JobSpec, run: JobRun | None) -> dict[str, str]:
    return {
        "name": spec.name,
        "description": spec.description,
        "schedule": schedule_label(spec.trigger),
        "started": _when(run.started_at) if run else "never run",
        "finished": _when(run.finished_at) if run else "",
        "outcome": run.outcome if run else "",
        "detail": _excerpt(run.detail, 120) if run else "",
    }


def _message_row(m: OutboxMessage) -> dict[str, str]:
    return {
        "id": str(m.id),
        "topic": m.topic,
        "status": m.status,
        "attempts": f"{m.attempts}/{m.max_attempts}",
        "next": _when(m.next_attempt_at) if m.status == "pending" else "",
        "created": _when(m.created_at),
        "error": _excerpt(m.last_error, 80),
        "replayable": "yes" if m.status in ("dead", "discarded") else "",
        "discardable": "yes" if m.status in ("pending", "dead") else "",
    }


def _message_detail(m: OutboxMessage) -> dict[str, str]:
    claim = f"{m.claimed_by} until {_when(m.claimed_until)}" if m.claimed_until else ""
    return {
        **_message_row(m),
        "dedupe_key": m.dedupe_key,
        "claim": claim,
        "sent": _when(m.sent_at),
        "dead": _when(m.dead_at),
        "discarded_reason": m.discarded_reason,
        "last_error": m.last_error,
        "payload": json.dumps(_without_attachment_bytes(m.payload or {}), indent=2, sort_keys=True),
    }


class SystemState(PagedTableMixin, AdminState):
    # ``search`` of the mixin is the topic prefix filter.
    counts: dict[str, int] = dict.fromkeys(outbox.STATUSES, 0)
    jobs: list[dict[str, str]] = []
    running_job: str = ""
    status_filter: str = "all"
    detail_open: bool = False
    detail: dict[str, str] = {}
    discard_open: bool = False
    discard_id: str = ""
    discard_error: str = ""

    def _fetch(self) -> None:
        actor = self.current_actor()
        with session_scope() as session:
            result = outbox_admin.list_messages(
                session=session,
                actor=actor,
                page=PageRequest(self.page, PAGE_SIZE),
                topic=self.search.strip(),
                status="" if self.status_filter == "all" else self.status_filter,
            )
            last = jobs_service.last_runs(session=session, actor=actor)
            counts = outbox.status_counts(session=session)
        self.counts = counts
        self.jobs = [_job_row(spec, last.get(name)) for name, spec in JOBS.items()]
        self.total, self.pages = result.total, result.pages
        self.rows = [_message_row(m) for m in result.items]

    def _refetch_then(self, toast):  # type: ignore[no-untyped-def]
        """Reload the page, then say what happened (and why the reload failed, if it did)."""
        return [e for e in (toast, self._refetch()) if e is not None]

    @rx.event
    def load(self):  # type: ignore[no-untyped-def]
        if self.guard("system") is None:
            return self.refused()
        return self._refetch()

    @rx.event
    def refresh(self):  # type: ignore[no-untyped-def]
        return self._refetch()

    @rx.event
    def set_status_filter(self, value: str):  # type: ignore[no-untyped-def]
        self.status_filter, self.page = value, 1
        return self._refetch()

    # -- jobs -----------------------------------------------------------------
    @rx.event(background=True)
    async def run_now(self, job_name: str):  # type: ignore[no-untyped-def]
        async with self:
            if self.running_job:
                return rx.toast.info(f"{self.running_job} is still running.")
            actor = self.current_actor()
            self.running_job = job_name
        try:
            with session_scope() as session:  # audits who asked, before the run
                jobs_service.request_run_now(session=session, actor=actor, job_name=job_name,
                                             known_jobs=frozenset(JOBS))
        except DomainError as exc:
            async with self:
                self.running_job = ""
            return rx.toast.error(exc.message)
        # A job can take a while: run it off the event loop so other events keep flowing.
        outcome = await asyncio.to_thread(run_job_now, job_name)
        async with self:
            self.running_job = ""
            toast, says = OUTCOME_TOASTS.get(outcome, (rx.toast.info, f"ended: {outcome}"))
            return self._refetch_then(toast(f"{job_name} {says}."))

    # -- outbox ---------------------------------------------------------------
    @rx.event
    def open_detail(self, message_id: str):  # type: ignore[no-untyped-def]
        try:
            with session_scope() as session:
                message = outbox_admin.get_message(
                    session=session, actor=self.current_actor(),
                    message_id=route_int(message_id) or 0,  # 0: not found
                )
        except DomainError as exc:
            return rx.toast.error(exc.message)
        self.detail, self.detail_open = _message_detail(message), True
        return None

    @rx.event
    def set_detail_open(self, value: bool) -> None:
        self.detail_open = value

    @rx.event
    def replay(self, message_id: str):  # type: ignore[no-untyped-def]
        try:
            with session_scope() as session:
                outbox_admin.replay(
                    session=session, actor=self.current_actor(),
                    message_id=route_int(message_id) or 0,  # 0: not found
                )
        except DomainError as exc:
            return rx.toast.error(exc.message)
        self.detail_open = False
        return self._refetch_then(rx.toast.success(f"Message #{message_id} queued again."))

    @rx.event
    def ask_discard(self, message_id: str) -> None:
        self.discard_id, self.discard_error, self.discard_open = message_id, "", True

    @rx.event
    def set_discard_open(self, value: bool) -> None:
        self.discard_open = value

    @rx.event
    def discard(self, form: dict[str, str]):  # type: ignore[no-untyped-def]
        try:
            with session_scope() as session:
                outbox_admin.discard(
                    session=session,
                    actor=self.current_actor(),
                    message_id=route_int(self.discard_id) or 0,  # 0: not found
                    reason=form.get("reason", ""),
                )
        except DomainError as exc:
            if exc.field == "reason":
                self.discard_error = exc.message
                return None
            self.discard_open = False
            return rx.toast.error(exc.message)
        self.discard_open = self.detail_open = False
        return self._refetch_then(rx.toast.success(f"Message #{self.discard_id} discarded."))


def _count_card(status: str) -> rx.Component:
    count = SystemState.counts[status]
    color = rx.cond(count > 0, "red", "gray") if status == "dead" else "gray"
    return rx.card(
        rx.text(status, size="1", color_scheme="gray"),
        rx.text(count, size="5", weight="bold", color_scheme=color, id=f"{status}-count"),
        data_status=status,
        flex="1 1 110px",
    )


def _badge(value: rx.Var[str], colors: dict[str, str]) -> rx.Component:
    return rx.match(
        value,
        *[(v, rx.badge(v, color_scheme=c)) for v, c in colors.items()],
        ("", rx.fragment()),
        rx.badge(value, color_scheme="gray", variant="outline"),
    )


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
                rx.text(job["description"], size="1", color_scheme="gray"),
                spacing="1",
            )
        ),
        rx.table.cell(rx.text(job["schedule"], size="2", white_space="nowrap")),
        rx.table.cell(
            rx.vstack(
                rx.text(job["started"], size="1"),
                rx.text(job["finished"], size="1", color_scheme="gray"),
                spacing="0",
            )
        ),
        rx.table.cell(_badge(job["outcome"], OUTCOME_COLORS)),
        rx.table.cell(rx.text(job["detail"], size="1")),
        rx.table.cell(
            rx.button(
                rx.icon("play", size=14),
                "Run now",
                size="1",
                variant="soft",
                loading=SystemState.running_job == job["name"],
                disabled=SystemState.running_job != "",
                on_click=SystemState.run_now(job["name"]),
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
        rx.box(
            rx.table.root(
                rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in headers])),
                rx.table.body(rx.foreach(SystemState.jobs, _job_row_view)),
                width="100%",
            ),
            overflow_x="auto",
            width="100%",
        ),
        width="100%",
        id="jobs",
    )


def _message_row_view(row: rx.Var[dict[str, str]]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(row["id"], size="2")),
        rx.table.cell(rx.code(row["topic"])),
        rx.table.cell(_badge(row["status"], STATUS_COLORS)),
        rx.table.cell(rx.text(row["attempts"], size="2")),
        rx.table.cell(rx.text(row["next"], size="1")),
        rx.table.cell(rx.text(row["created"], size="1")),
        rx.table.cell(rx.text(row["error"], size="1", color_scheme="red")),
        rx.table.cell(
            rx.hstack(
                _action("Details", SystemState.open_detail(row["id"]), "message-details"),
                rx.cond(
                    row["replayable"] == "yes",
                    _action("Replay", SystemState.replay(row["id"]), "replay-message", "green"),
                    rx.fragment(),
                ),
                rx.cond(
                    row["discardable"] == "yes",
                    _action(
                        "Discard", SystemState.ask_discard(row["id"]), "discard-message", "red"
                    ),
                    rx.fragment(),
                ),
                spacing="2",
            )
        ),
        class_name="outbox-row",
        data_status=row["status"],
    )


def _fact(label: str, key: str) -> rx.Component:
    value = SystemState.detail[key]
    return rx.cond(
        value != "",
        rx.hstack(
            rx.text(label, size="2", color_scheme="gray", min_width="120px"),
            rx.text(value, size="2", word_break="break-all"),
            width="100%",
        ),
        rx.fragment(),
    )


def _detail_dialog() -> rx.Component:
    detail = SystemState.detail
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Message #", detail["id"], " · ", detail["topic"]),
            rx.vstack(
                _badge(detail["status"], STATUS_COLORS),
                _fact("Dedupe key", "dedupe_key"),
                _fact("Attempts", "attempts"),
                _fact("Created", "created"),
                _fact("Next attempt", "next"),
                _fact("Claimed by", "claim"),
                _fact("Sent", "sent"),
                _fact("Dead since", "dead"),
                _fact("Discarded because", "discarded_reason"),
                rx.cond(
                    detail["last_error"] != "",
                    rx.box(
                        rx.text("Last error", size="2", weight="bold"),
                        rx.el.pre(detail["last_error"], white_space="pre-wrap", font_size="12px"),
                        width="100%",
                    ),
                    rx.fragment(),
                ),
                rx.text("Payload", size="2", weight="bold"),
                rx.code_block(detail["payload"], language="json", width="100%"),
                rx.hstack(
                    rx.dialog.close(rx.button("Close", variant="soft")),
                    justify="end",
                    width="100%",
                ),
                spacing="2",
                width="100%",
            ),
            max_width="720px",
            max_height="90vh",
            overflow_y="auto",
            id="message-details",
        ),
        open=SystemState.detail_open,
        on_open_change=SystemState.set_detail_open,
    )


def _discard_dialog() -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title("Discard message #", SystemState.discard_id, "?"),
            rx.alert_dialog.description(
                "It will not be sent. You can replay it later; the reason goes to the audit log."
            ),
            rx.form(
                rx.vstack(
                    field("Reason", "reason", SystemState.discard_error, required=True),
                    rx.hstack(
                        rx.alert_dialog.cancel(
                            rx.button("Cancel", variant="soft", color_scheme="gray", type="button")
                        ),
                        rx.button(
                            "Discard", color_scheme="red", type="submit", id="confirm-discard"
                        ),
                        justify="end",
                        spacing="3",
                        width="100%",
                    ),
                    spacing="3",
                    padding_top="1em",
                ),
                on_submit=SystemState.discard,
                reset_on_submit=False,
            ),
            max_width="460px",
        ),
        open=SystemState.discard_open,
        on_open_change=SystemState.set_discard_open,
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
            rx.button(
                rx.icon("refresh-cw", size=16),
                "Refresh",
                variant="soft",
                on_click=SystemState.refresh,
            ),
            rx.spacer(),
            rx.link(
                rx.button(rx.icon("scroll-text", size=16), "Audit log", variant="soft"),
                href=routes.ADMIN_AUDIT,
            ),
            rx.link(
                rx.button(rx.icon("mail", size=16), "Email previews", variant="soft"),
                href=routes.ADMIN_EMAILS,
            ),
            wrap="wrap",
            spacing="3",
            width="100%",
        ),
        _jobs_card(),
        payment_events_card(),
        rx.heading("Outbox", size="4"),
        rx.hstack(
            rx.input(
                placeholder="Topic starts with",
                value=SystemState.search,
                on_change=SystemState.set_search.debounce(300),
                width=["100%", "240px"],
                id="topic-filter",
            ),
            rx.select.root(
                rx.select.trigger(id="status-filter"),
                rx.select.content(
                    rx.select.item("Any status", value="all"),
                    *[rx.select.item(s, value=s) for s in outbox.STATUSES],
                ),
                value=SystemState.status_filter,
                on_change=SystemState.set_status_filter,
            ),
            wrap="wrap",
            spacing="3",
            width="100%",
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
