"""The state of the refund queue: filters, counts, selection, approve/reject/retry and bulk
actions on refund requests (billing admins)."""

from __future__ import annotations

from typing import Any, ClassVar

import reflex as rx

from commerce_dash.components.badges import status_color
from commerce_dash.components.display import major_text, money
from commerce_dash.db import session_scope
from commerce_dash.domain.dates import WHEN, when
from commerce_dash.domain.errors import DomainError
from commerce_dash.domain.money import parse_major
from commerce_dash.domain.refunds import (
    LABELS,
    MIN_REASON,
    RefundStatus,
    check_reason,
)
from commerce_dash.routes import admin_order_href
from commerce_dash.services import commerce as commerce_area
from commerce_dash.state.admin import AdminState
from commerce_dash.state.offload import with_session
from commerce_dash.state.paging import PagedTableMixin
from commerce_dash.state.queue import QueueMixin
from commerce_dash.state.route_args import route_int
from commerce_dash.state.service_call import as_admin
from commerce_dash.state.setters import filter_setter, value_setter

SECTION = "refunds"
ANY = "any"
STATUS_OPTIONS = [
    ("requested", "Requested"),
    ("failed", "Failed"),
    ("processing", "Processing"),
    ("approved", "Approved"),
    ("refunded", "Refunded"),
    ("rejected", "Rejected"),
    (ANY, "Any status"),
]
SOURCE_OPTIONS = [
    (ANY, "Any source"),
    ("learner", "Learner"),
    ("registration_rejected", "Rejected registration"),
    ("admin", "Billing admin"),
]
SOURCE_LABELS = dict(SOURCE_OPTIONS[1:])
RETRYABLE = {RefundStatus.FAILED, RefundStatus.PROCESSING, RefundStatus.APPROVED}
EMPTY = (
    "undo-2",
    "No refund requests waiting",
    "Requests appear here when a learner asks on their order page, when a paid registration "
    "is rejected, or when you use Refund… on an order's page.",
)
NO_MATCH = (
    "search-x",
    "No refund requests match",
    "Widen the filters, or clear them to see the requests waiting for a decision.",
)


def refund_row(row: commerce_area.RefundRow) -> dict[str, str]:
    """A refund request as the queue and the admin order page show it."""
    lowered = row.approved_amount is not None and row.approved_amount != row.amount
    return {
        "id": str(row.id),
        "order_number": row.order_number,
        "order_href": admin_order_href(row.order_number),
        "learner": row.learner,
        "email": row.email,
        "amount": row.amount_label,
        "asked": money(row.amount, row.currency) if lowered else "",
        "amount_text": major_text(row.amount, row.currency),
        "currency": row.currency,
        "items": row.items,
        "reason": row.reason,
        "source": row.source,
        "source_label": SOURCE_LABELS.get(row.source, row.source.replace("_", " ").capitalize()),
        "source_color": status_color(row.source),
        "progress": row.progress,
        "created": when(row.created_at, WHEN),
        "decided_by": row.decided_by,
        "decision_reason": row.decision_reason,
        "last_error": row.last_error if row.status == RefundStatus.FAILED else "",
        "can_decide": "yes" if row.status == RefundStatus.REQUESTED else "",
        "can_retry": "yes" if row.status in RETRYABLE else "",
        "status": row.status,
        "status_label": row.status_label,
        "status_color": status_color(row.status),
    }


def paid_message(done: Any, learner: str, number: str) -> tuple[bool, str]:
    """(paid?, the toast) for a request as ``approve`` or ``retry`` left it."""
    if done.status == RefundStatus.REFUNDED:
        return (
            True,
            f"Refund of {money(done.approved_amount or 0, done.currency)} paid to {learner}.",
        )
    if done.status == RefundStatus.FAILED:
        return False, f"{number}: the refund failed ({done.last_error}). Retry it from the queue."
    return False, f"{number}: the refund is {LABELS[RefundStatus(done.status)].lower()}."


class RefundsState(QueueMixin, PagedTableMixin, AdminState):
    """``search`` (from the mixin) is the learner search: part of an email or a name."""

    item_word: ClassVar[str] = "refund"
    reason_minimum: ClassVar[int] = MIN_REASON
    status_filter: rx.Field[str] = rx.field("requested")
    source_filter: rx.Field[str] = rx.field(ANY)
    counts: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    busy: rx.Field[bool] = rx.field(False)  # a processor call is running

    # the approve dialog, for one request
    approve_open: rx.Field[bool] = rx.field(False)
    approve_id: rx.Field[int] = rx.field(0)
    approve_label: rx.Field[str] = rx.field("")
    approve_learner: rx.Field[str] = rx.field("")
    approve_currency: rx.Field[str] = rx.field("")
    approve_max: rx.Field[int] = rx.field(0)
    approve_max_label: rx.Field[str] = rx.field("")
    approve_amount: rx.Field[str] = rx.field("")
    approve_note: rx.Field[str] = rx.field("")
    approve_error: rx.Field[str] = rx.field("")
    # what approving will do (``commerce_area.refund_preview``): one sentence a step
    approve_steps: rx.Field[list[str]] = rx.field(default_factory=list)
    approve_preview_note: rx.Field[str] = rx.field("")  # "Working out…" or why there is none

    @rx.var
    def filtered(self) -> bool:
        return self._narrowed(self.status_filter != "requested", self.source_filter != ANY)

    def _selectable_ids(self) -> list[str]:
        return [r["id"] for r in self.rows if r["can_decide"]]

    def _fetch(self) -> None:
        with session_scope() as session:
            result = self._list_queue(
                commerce_area.list_queue,
                session,
                self.current_actor(),
                source="" if self.source_filter == ANY else self.source_filter,
            )
            counted = commerce_area.counts(session=session)
        self.counts = [
            {
                "status": s.value,
                "label": f"{counted[s.value]} {s.value}",
                "color": status_color(s.value),
            }
            for s in (
                RefundStatus.REQUESTED,
                RefundStatus.FAILED,
                RefundStatus.PROCESSING,
                RefundStatus.APPROVED,
                RefundStatus.REFUNDED,
                RefundStatus.REJECTED,
            )
            if counted.get(s.value)
        ]
        self._show_page(result, refund_row)

    @rx.event
    def load(self):  # type: ignore[no-untyped-def]
        if self.guard(SECTION) is None:
            return self.refused()
        self.selected, self.busy = [], False
        learner = self.router.url.query_parameters.get("learner", "")
        if learner:  # the admin order page links here with the learner's email
            self.search, self.status_filter, self.page = learner, "requested", 1
        return self._refetch()

    # -- filters ------------------------------------------------------------------------------
    set_status_filter = filter_setter("status_filter")
    set_source_filter = filter_setter("source_filter")

    @rx.event
    def reset_filters(self):  # type: ignore[no-untyped-def]
        self.status_filter, self.source_filter = "requested", ANY
        return self._cleared()

    # -- one request --------------------------------------------------------------------------
    @rx.event
    async def open_approve(self, request_id: str):  # type: ignore[no-untyped-def]
        row = next((r for r in self.rows if r["id"] == request_id), None)
        if row is None:
            yield rx.toast.error("That request is no longer on this page: refresh the queue.")
            return
        self.approve_id = int(request_id)
        self.approve_label, self.approve_learner = row["order_number"], row["learner"]
        self.approve_currency = row["currency"]
        self.approve_amount = row["amount_text"]
        self.approve_max = parse_major(row["amount_text"], row["currency"])
        self.approve_max_label = row["amount"]
        self.approve_note = self.approve_error = ""
        self.approve_open = True
        yield  # the dialog opens at once; what approving does follows
        await self._preview(self.approve_max)

    async def _preview(self, amount: int) -> None:
        """What approving ``amount`` will do, from the approval's own rules (a rehearsal that
        is rolled back, off the event loop)."""
        self.approve_steps, self.approve_preview_note = [], "Working out what approving does…"
        actor, request_id = self.current_actor(), self.approve_id
        try:
            preview = await with_session(lambda s: commerce_area.refund_preview(
                session=s, actor=actor, request_id=request_id, amount=amount))
        except DomainError as exc:
            self.approve_preview_note = exc.message
            return
        self.approve_steps, self.approve_preview_note = list(preview.steps), ""

    @rx.event
    async def preview_amount(self, _value: str = ""):  # type: ignore[no-untyped-def]
        """The amount field was left: say what approving that amount does."""
        self.approve_error = ""
        amount = self._approve_amount()
        if amount is None or not self.approve_open:
            self.approve_steps, self.approve_preview_note = [], ""
            return
        await self._preview(amount)

    set_approve_open = value_setter("approve_open", bool)

    @rx.event
    def set_approve_amount(self, value: str) -> None:
        self.approve_amount, self.approve_error = value, ""

    set_approve_note = value_setter("approve_note")

    def _approve_amount(self) -> int | None:
        try:
            amount = parse_major(self.approve_amount, self.approve_currency)
        except (ValueError, DomainError) as exc:
            self.approve_error = str(exc)
            return None
        if amount <= 0:
            self.approve_error = "Enter an amount above zero."
        elif amount > self.approve_max:
            self.approve_error = f"At most {self.approve_max_label}, the amount asked for."
        return None if self.approve_error else amount

    @rx.event
    async def confirm_approve(self):  # type: ignore[no-untyped-def]
        self.approve_error = ""
        amount = self._approve_amount()
        if amount is None or self.busy:
            return
        self.busy = True
        yield  # the processor call takes a moment: show the button busy
        actor, request_id, note = self.current_actor(), self.approve_id, self.approve_note
        try:  # the processor is called: off the event loop
            done = await with_session(lambda s: commerce_area.approve(
                session=s, actor=actor, request_id=request_id, amount=amount, note=note))
        except DomainError as exc:
            if exc.field == "amount":
                self.approve_error = exc.message
                return
            self.approve_open = False
            self._refetch()
            yield rx.toast.error(f"{self.approve_label}: {exc.message}")
            return
        finally:
            self.busy = False
        self.approve_open = False
        paid, message = paid_message(done, self.approve_learner, self.approve_label)
        yield self._refetch() or (rx.toast.success(message) if paid else rx.toast.error(message))

    @rx.event
    async def retry(self, request_id: str, number: str, learner: str):  # type: ignore[no-untyped-def]
        if self.busy:
            return
        self.busy = True
        yield
        actor, wanted = self.current_actor(), route_int(request_id) or 0  # 0: not found
        try:
            done = await with_session(lambda s: commerce_area.retry(
                session=s, actor=actor, request_id=wanted))
        except DomainError as exc:
            self._refetch()
            yield rx.toast.error(f"{number}: {exc.message}")
            return
        finally:
            self.busy = False
        paid, message = paid_message(done, learner, number)
        yield self._refetch() or (rx.toast.success(message) if paid else rx.toast.error(message))

    @rx.event
    async def confirm_reject(self):  # type: ignore[no-untyped-def]
        reason = self._checked_reason(check_reason)
        if reason is None:
            return None
        if self.reject_id == 0:
            return await self._run_bulk("reject", reason)
        try:
            as_admin(self, commerce_area.reject, request_id=self.reject_id, reason=reason)
        except DomainError as exc:
            return self._reject_refused(exc)
        self.reject_open = False
        return self._refetch_or(rx.toast.success(
            f"Refund for {self.reject_label} rejected; the learner is emailed why."
        ))

    # -- the selection at once ----------------------------------------------------------------
    @rx.event
    async def bulk_approve(self):  # type: ignore[no-untyped-def]
        if not self.selected:
            yield rx.toast.info("Tick the refund requests to approve first.")
            return
        if self.busy:
            return
        self.busy = True
        yield
        try:
            outcome = await self._run_bulk("approve", "")
        finally:
            self.busy = False
        yield outcome

    async def _run_bulk(self, action: str, reason: str):  # type: ignore[no-untyped-def]
        ids = self._selected_ids()
        actor = self.current_actor()
        try:  # approving pays at the processor: off the event loop
            outcomes = await with_session(lambda s: commerce_area.bulk(
                session=s, actor=actor, ids=ids, action=action, reason=reason))
        except DomainError as exc:
            return self._bulk_refused(exc)
        numbers = {r["id"]: r["order_number"] for r in self.rows}
        verb = "paid" if action == "approve" else "rejected"
        return self._bulk_done(outcomes, numbers, verb, "not done")
