"""The state of ``subscription_detail.py`` (its view): one subscription for an admin over it
(/admin/subscriptions/[number]): its summary, invoices and timeline, and the actions
(cancel at period end or now, keep it, pause, resume, extend the trial).

The actions talk to the payment processor (a blocking network call with Stripe): they run
off the event loop (``state.offload.with_session``), as the refund approvals do. Each is
audited by the service; its ``ChangeOutcome.message`` is the toast."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import reflex as rx

from commerce_dash import routes
from commerce_dash.components.display import money
from commerce_dash.db import session_scope
from commerce_dash.domain.dates import DAY, WHEN, when
from commerce_dash.domain.errors import DomainError
from commerce_dash.domain.identifiers import parse_whole
from commerce_dash.pages.admin.subscriptions_state import SECTION, badge_fields, plan_label
from commerce_dash.routes import admin_order_href
from commerce_dash.services import commerce as commerce_area
from commerce_dash.state.admin import AdminState
from commerce_dash.state.offload import with_session
from commerce_dash.state.route_args import route_number

MAX_TRIAL_EXTENSION = 90
CHARGING = ("trialing", "active", "past_due")

# action -> (dialog title, what it does, confirm button)
ACTIONS: dict[str, tuple[str, str, str]] = {
    "cancel_at_period_end": (
        "Cancel at the end of the period?",
        "Nothing more is charged. The learner keeps access until the paid period ends, then "
        "the subscription is cancelled. You can undo this until then.",
        "Cancel at period end",
    ),
    "cancel_now": (
        "Cancel now?",
        "Access ends at once and nothing more is charged. This cannot be undone.",
        "Cancel now",
    ),
    "undo_cancel": (
        "Keep the subscription?",
        "It renews at the end of the period again and the card is charged then.",
        "Keep subscription",
    ),
    "pause": (
        "Pause the subscription?",
        "Nothing is charged and the learner has no access while it is paused. Resuming "
        "extends the paid period by the time spent paused.",
        "Pause",
    ),
    "resume": (
        "Resume the subscription?",
        "Access returns at once; the paid period is extended by the time spent paused and "
        "the card is charged when it ends.",
        "Resume",
    ),
    "extend_trial": (
        "Extend the trial?",
        "The first charge moves back by the days you give (1 to 90); the learner keeps "
        "access meanwhile.",
        "Extend trial",
    ),
}


def _period(start: Any, end: Any) -> str:
    if not start and not end:
        return "—"
    return f"{when(start, DAY) or '…'} – {when(end, DAY) or '…'}"


def invoice_row(invoice: commerce_area.InvoiceView) -> dict[str, str]:
    paid = invoice.status == "paid"
    return {
        "id": str(invoice.id),
        "period": _period(invoice.period_start, invoice.period_end),
        "reason": invoice.billing_reason.removeprefix("subscription_").replace("_", " "),
        "amount": money(invoice.amount, invoice.currency),
        **badge_fields("status", invoice.status),
        "paid_at": when(invoice.paid_at, WHEN),
        "failure": invoice.failure_message,
        "order_number": invoice.order_number,
        "receipt_href": admin_order_href(invoice.order_number) if invoice.order_number else "",
        # the order's page holds the refund form
        "receipt_label": "Refund" if paid and invoice.order_number else "Open order",
    }


def timeline_row(entry: commerce_area.HistoryEntry) -> dict[str, str]:
    name = entry.action.rsplit(".", 1)[-1].replace("_", " ")
    return {
        "at": when(entry.at, WHEN),
        "action": entry.action,
        "label": name.capitalize(),
        "actor": entry.actor,
        "detail": entry.detail,
    }


def summary_rows(view: commerce_area.SubscriptionView) -> list[dict[str, str]]:
    """(label, value) pairs of the summary, in reading order."""
    plan = f"{plan_label(view.interval)} · {money(view.unit_amount, view.currency)}"
    if view.includes_subdepartments:
        plan += " · includes subdepartments"
    if view.pending_interval:
        plan += f" (changes to {plan_label(view.pending_interval).lower()} at period end)"
    if view.next_charge_at:
        next_charge = (f"{money(view.next_charge_amount, view.currency)} on "
                       f"{when(view.next_charge_at, DAY)}")
    elif view.cancel_at_period_end and view.status != "cancelled":
        next_charge = f"None: ends on {when(view.current_period_end, DAY)}"
    else:
        next_charge = "None"
    discount = "—"
    if view.discount_code:
        lasts = {"forever": "every period", "once": "first period"}.get(
            view.discount_duration, view.discount_duration)
        discount = f"{view.discount_code} ({lasts})" if lasts else view.discount_code
    rows = [
        ("Learner", f"{view.learner_name} · {view.learner_email}"),
        ("Department", view.department_name),
        ("Plan", plan),
        ("Period", _period(view.current_period_start, view.current_period_end)),
        ("Next charge", next_charge),
        ("Card", view.card or "—"),
        ("Discount", discount),
        ("Trial ends", when(view.trial_ends_at, WHEN) or "—"),
        ("Grace ends", when(view.grace_ends_at, WHEN) or "—"),
        ("Cancelled", when(view.cancelled_at, WHEN) or "—"),
        ("Created", when(view.created_at, WHEN)),
    ]
    return [{"label": label, "value": value} for label, value in rows]


def allowed_actions(view: commerce_area.SubscriptionView) -> list[str]:
    status, ending = view.status, view.cancel_at_period_end
    shown = []
    if status in CHARGING and not ending:
        shown.append("cancel_at_period_end")
    if status in CHARGING and ending:
        shown.append("undo_cancel")
    if status in ("active", "trialing"):
        shown.append("pause")
    if status == "paused":
        shown.append("resume")
    if status == "trialing":
        shown.append("extend_trial")
    if status != "cancelled":
        shown.append("cancel_now")
    return shown


class SubscriptionDetailState(AdminState):
    found: rx.Field[str] = rx.field("loading")  # loading | found | missing
    missing_message: rx.Field[str] = rx.field("")
    sub_number: rx.Field[str] = rx.field("")
    learner_email: rx.Field[str] = rx.field("")
    status: rx.Field[dict[str, str]] = rx.field(default_factory=dict)
    summary: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    invoices: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    timeline: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    actions: rx.Field[list[str]] = rx.field(default_factory=list)

    # the confirmation dialog of one action
    action: rx.Field[str] = rx.field("")
    action_open: rx.Field[bool] = rx.field(False)
    action_title: rx.Field[str] = rx.field("")
    action_text: rx.Field[str] = rx.field("")
    action_confirm: rx.Field[str] = rx.field("")
    refund_unused: rx.Field[bool] = rx.field(True)
    trial_days: rx.Field[str] = rx.field("14")
    days_error: rx.Field[str] = rx.field("")
    busy: rx.Field[bool] = rx.field(False)  # a processor call is running

    def _fetch(self, number: str) -> None:
        actor = self.current_actor()
        try:
            with session_scope() as session:
                view = commerce_area.get_subscription(session=session, actor=actor, ref=number)
        except DomainError as exc:
            self.found, self.missing_message = "missing", exc.message
            self.summary, self.invoices, self.timeline, self.actions = [], [], [], []
            raise
        self.sub_number, self.learner_email = view.number, view.learner_email
        self.status = badge_fields("status", view.status)
        self.summary = summary_rows(view)
        self.invoices = [invoice_row(i) for i in view.invoices]
        self.timeline = [timeline_row(e) for e in view.timeline]
        self.actions = allowed_actions(view)
        self.found = "found"

    @rx.event
    def load(self):  # type: ignore[no-untyped-def]
        number = route_number(self, routes.ADMIN_SUBSCRIPTIONS).replace("\x00", "")
        self.action_open, self.busy = False, False
        if self.guard(SECTION) is None:
            yield self.refused()
            return
        if self.found != "loading" and number.upper() != self.sub_number.upper():
            self.found = "loading"  # never show the previous subscription under this address
            yield
        try:
            self._fetch(number)
        except DomainError:
            return

    @rx.event
    def refresh(self):  # type: ignore[no-untyped-def]
        if self.guard(SECTION) is None:
            return self.refused()
        try:
            self._fetch(self.sub_number)
        except DomainError as exc:
            return rx.toast.error(exc.message)
        return rx.toast.success(f"{self.sub_number} reloaded.")

    # -- the confirmation dialog ----------------------------------------------------------------
    @rx.event
    def open_action(self, action: str) -> None:
        if action not in ACTIONS:
            return
        self.action = action
        self.action_title, self.action_text, self.action_confirm = ACTIONS[action]
        self.refund_unused, self.trial_days, self.days_error = True, "14", ""
        self.action_open = True

    @rx.event
    def set_action_open(self, value: bool) -> None:
        if not self.busy:  # a running call finishes first
            self.action_open = bool(value)

    @rx.event
    def set_refund_unused(self, value: bool) -> None:
        self.refund_unused = bool(value)

    @rx.event
    def set_trial_days(self, value: str) -> None:
        self.trial_days, self.days_error = str(value)[:6], ""

    def _call(self) -> Callable[..., Any] | None:
        """The service call of the chosen action, its arguments bound; None (with the error
        beside the field) when what was typed cannot be sent."""
        ref = self.sub_number
        if self.action == "cancel_at_period_end":
            return lambda s, a: commerce_area.cancel_subscription(
                session=s, actor=a, ref=ref, at_period_end=True)
        if self.action == "cancel_now":
            refund = self.refund_unused
            return lambda s, a: commerce_area.cancel_subscription(
                session=s, actor=a, ref=ref, at_period_end=False, refund=refund)
        if self.action == "undo_cancel":
            return lambda s, a: commerce_area.undo_cancel(session=s, actor=a, ref=ref)
        if self.action == "pause":
            return lambda s, a: commerce_area.pause_subscription(session=s, actor=a, ref=ref)
        if self.action == "resume":
            return lambda s, a: commerce_area.resume_subscription(session=s, actor=a, ref=ref)
        if self.action == "extend_trial":
            days = parse_whole(self.trial_days.strip(), high=999)
            if days is None:
                self.days_error = (f"Enter a whole number of days from 1 to "
                                   f"{MAX_TRIAL_EXTENSION}.")
                return None
            return lambda s, a: commerce_area.extend_trial(session=s, actor=a, ref=ref,
                                                           days=days)
        return None

    @rx.event
    async def confirm_action(self):  # type: ignore[no-untyped-def]
        if self.busy:
            return
        self.days_error = ""
        actor = self.guard(SECTION)
        if actor is None:
            self.action_open = False
            yield rx.toast.error("You may no longer manage subscriptions: sign in again.")
            return
        call = self._call()
        if call is None:
            return
        self.busy = True
        yield  # the processor is called: show the button busy
        try:  # off the event loop
            outcome = await with_session(lambda s: call(s, actor))
        except DomainError as exc:
            if exc.field == "days":
                self.days_error = exc.message
                return
            self.action_open = False
            yield self._reloaded() or rx.toast.error(exc.message)
            return
        finally:
            self.busy = False
        self.action_open = False
        yield self._reloaded() or rx.toast.success(outcome.message, duration=8000)

    def _reloaded(self):  # type: ignore[no-untyped-def]
        """Reload after an action; the error toast when the reload is refused."""
        try:
            self._fetch(self.sub_number)
        except DomainError as exc:
            return rx.toast.error(exc.message)
        return None
