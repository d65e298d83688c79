"""The state of ``system.py`` (its view): what the page loads and its event handlers."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import reflex as rx

from commerce_dash import outbox
from commerce_dash.db import session_scope
from commerce_dash.domain.dates import when
from commerce_dash.domain.errors import DomainError
from commerce_dash.domain.paging import PageRequest
from commerce_dash.jobs.registry import JOBS, JobSpec, run_job_now
from commerce_dash.models.delivery import JobRun, OutboxMessage
from commerce_dash.services import platform as platform_area
from commerce_dash.state.admin import AdminState
from commerce_dash.state.paging import PagedTableMixin, section_loader
from commerce_dash.state.route_args import route_int
from commerce_dash.state.service_call import as_admin
from commerce_dash.state.setters import filter_setter, value_setter

PAGE_SIZE = 25
UNITS = (("weeks", "wk"), ("days", "d"), ("hours", "h"), ("minutes", "min"), ("seconds", "s"))
CRON_FIELDS = ("month", "day", "day_of_week", "hour", "minute", "second")
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
        "started": when(run.started_at) if run else "never run",
        "finished": when(run.finished_at) if run else "",
        "outcome": run.outcome if run else "",
        "detail": _excerpt(run.detail, 120) if run else "",
    }


def _message_row(m: OutboxMessage) -> dict[str, str]:
    return {
        "id": str(m.id),
        "topic": m.topic,
        "status": m.status,
        "attempts": f"{m.attempts}/{m.max_attempts}",
        "next": when(m.next_attempt_at) if m.status == "pending" else "",
        "created": when(m.created_at),
        "error": _excerpt(m.last_error, 80),
        "replayable": "yes" if m.status in ("dead", "discarded") else "",
        "discardable": "yes" if m.status in ("pending", "dead") else "",
    }


def _message_detail(m: OutboxMessage) -> dict[str, str]:
    claim = f"{m.claimed_by} until {when(m.claimed_until)}" if m.claimed_until else ""
    return {
        **_message_row(m),
        "dedupe_key": m.dedupe_key,
        "claim": claim,
        "sent": when(m.sent_at),
        "dead": when(m.dead_at),
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
            result = platform_area.list_messages(
                session=session,
                actor=actor,
                page=PageRequest(self.page, PAGE_SIZE),
                topic=self.search.strip(),
                status="" if self.status_filter == "all" else self.status_filter,
            )
            last = platform_area.last_runs(session=session, actor=actor)
            counts = outbox.status_counts(session=session)
        self.counts = counts
        self.jobs = [_job_row(spec, last.get(name)) for name, spec in JOBS.items()]
        self.total, self.pages = result.total, result.pages
        self.rows = [_message_row(m) for m in result.items]

    def _refetch_then(self, toast):  # type: ignore[no-untyped-def]
        """Reload the page, then say what happened (and why the reload failed, if it did)."""
        return [e for e in (toast, self._refetch()) if e is not None]

    load = section_loader("system")

    @rx.event
    def refresh(self):  # type: ignore[no-untyped-def]
        return self._refetch()

    set_status_filter = filter_setter("status_filter")

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
                platform_area.request_run_now(session=session, actor=actor, job_name=job_name,
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
        wanted = route_int(message_id) or 0  # 0: not found
        try:
            message = as_admin(self, platform_area.get_message, message_id=wanted)
        except DomainError as exc:
            return rx.toast.error(exc.message)
        self.detail, self.detail_open = _message_detail(message), True
        return None

    set_detail_open = value_setter("detail_open", bool)

    @rx.event
    def replay(self, message_id: str):  # type: ignore[no-untyped-def]
        try:
            # an id that is no number becomes 0: not found
            as_admin(self, platform_area.replay, message_id=route_int(message_id) or 0)
        except DomainError as exc:
            return rx.toast.error(exc.message)
        self.detail_open = False
        return self._refetch_then(rx.toast.success(f"Message #{message_id} queued again."))

    @rx.event
    def ask_discard(self, message_id: str) -> None:
        self.discard_id, self.discard_error, self.discard_open = message_id, "", True

    set_discard_open = value_setter("discard_open", bool)

    @rx.event
    def discard(self, form: dict[str, str]):  # type: ignore[no-untyped-def]
        wanted = route_int(self.discard_id) or 0  # 0: not found
        try:
            as_admin(self, platform_area.discard, message_id=wanted, reason=form.get("reason", ""))
        except DomainError as exc:
            if exc.field == "reason":
                self.discard_error = exc.message
                return None
            self.discard_open = False
            return rx.toast.error(exc.message)
        self.discard_open = self.detail_open = False
        return self._refetch_then(rx.toast.success(f"Message #{self.discard_id} discarded."))
