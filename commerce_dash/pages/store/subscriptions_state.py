"""The learner's subscriptions (/account/subscriptions): each with its status, what is charged
next, the card on file and its invoices, and what the learner may do to it (pause, resume,
cancel at the period end or now, undo a cancellation, change plan, update the card).

Every action talks to the processor: it runs off the event loop (``state/offload.py``) and
the service's ``ChangeOutcome.message`` is what the learner is told.

A subscription billed through Stripe takes its new card in Stripe's card field (as on the
subscribe page: Stripe.js makes a PaymentMethod, ``commerce.update_card`` saves it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import reflex as rx
from sqlmodel import Session

from commerce_dash import routes
from commerce_dash.components.badges import status_color, status_label
from commerce_dash.db import session_scope
from commerce_dash.domain.actor import Actor
from commerce_dash.domain.dates import DAY, when
from commerce_dash.domain.errors import DomainError
from commerce_dash.domain.money import format_minor
from commerce_dash.domain.pricing import Interval
from commerce_dash.domain.subscriptions import is_upgrade
from commerce_dash.services import commerce as commerce_area
from commerce_dash.settings import get_settings
from commerce_dash.state.auth import AuthState
from commerce_dash.state.links import department_href
from commerce_dash.state.offload import with_session
from commerce_dash.state.route_args import route_int
from commerce_dash.state.stripe_card import card_answer, mounted, stripe_card_script
from commerce_dash.state.subscription_form import (
    card_from_form,
    interval_label,
    interval_period,
)

HERE = routes.MY_SUBSCRIPTIONS
NEW_CARD_ID = "new-card-element"  # where Stripe's card field appears in the card dialog
# subscription statuses in the app's one palette (components/badges.py)
_PALETTE = {"trialing": "in_progress", "past_due": "failed", "paused": "waiting",
            "incomplete": "pending", "active": "active", "cancelled": "cancelled"}
_LABELS = {"past_due": "Past due", "trialing": "Trial", "incomplete": "Awaiting payment"}


def _yes(flag: bool) -> str:
    return "yes" if flag else ""


def _next_line(v: commerce_area.SubscriptionView) -> str:
    money = format_minor(v.next_charge_amount, v.currency)
    if v.status == "cancelled":
        return f"Cancelled on {when(v.cancelled_at, DAY)}" if v.cancelled_at else "Cancelled"
    if v.cancel_at_period_end:
        return f"Ends on {when(v.current_period_end, DAY)}"
    if v.status == "paused":
        return "Paused: nothing is charged until you resume it"
    if v.status == "past_due":
        return f"Past due: update your card before {when(v.grace_ends_at, DAY)}"
    if v.status == "incomplete":
        return "Waiting for the first payment"
    if v.next_charge_at is None:
        return "Nothing more will be charged"
    if v.status == "trialing":
        return (f"Trial until {when(v.trial_ends_at, DAY)}; then {money} "
                f"on {when(v.next_charge_at, DAY)}")
    return f"Next charge: {money} on {when(v.next_charge_at, DAY)}"


def subscription_row(v: commerce_area.SubscriptionView) -> dict[str, str]:
    live = v.status != "cancelled"
    changeable = v.status in ("active", "trialing") and not v.cancel_at_period_end
    return {
        "number": v.number,
        "department": v.department_name,
        "department_code": v.department_code,
        "department_href": department_href(v.department_code),
        "interval": interval_label(v.interval),
        "price": f"{format_minor(v.renewal_total, v.currency)} / {interval_period(v.interval)}",
        "status": v.status,
        "status_label": _LABELS.get(v.status, status_label(v.status)),
        "status_color": status_color(_PALETTE.get(v.status, v.status)),
        "next": _next_line(v),
        "card": v.card or "No card on file",
        "processor": v.processor,
        "pending": (f"Moves to the {v.pending_interval} plan on "
                    f"{when(v.current_period_end, DAY)}" if v.pending_interval else ""),
        "period_end": when(v.current_period_end, DAY),
        "can_pause": _yes(changeable),
        "can_resume": _yes(v.status == "paused"),
        "can_cancel": _yes(live and not v.cancel_at_period_end),
        "can_undo": _yes(live and v.cancel_at_period_end),
        "can_change": _yes(changeable),
        "can_card": _yes(live),
    }


def invoice_row(number: str, i: commerce_area.InvoiceView) -> dict[str, str]:
    period = (f"{when(i.period_start, DAY)} – {when(i.period_end, DAY)}"
              if i.period_start and i.period_end else when(i.period_start, DAY))
    return {
        "sub": number,
        "id": str(i.id),
        "period": period,
        "amount": format_minor(i.amount, i.currency),
        "status": i.status,
        "status_label": status_label(i.status),
        "status_color": status_color("pending" if i.status == "open" else i.status),
        "receipt": i.order_number,
        "receipt_href": routes.order_href(i.order_number) if i.order_number else "",
        "failure": i.failure_message,
    }


class MySubscriptionsState(AuthState):
    loaded: bool = False
    subscriptions: list[dict[str, str]] = []
    invoices: list[dict[str, str]] = []
    busy: bool = False
    # the cancel dialog
    cancel_open: bool = False
    cancel_ref: str = ""
    cancel_when: str = "period_end"  # period_end | now
    cancel_end: str = ""
    # the change-plan dialog
    change_open: bool = False
    change_ref: str = ""
    change_choices: list[dict[str, str]] = []
    change_plan_id: str = ""
    change_error: str = ""
    # the card dialog
    card_open: bool = False
    card_ref: str = ""
    card_error: str = ""
    card_processor: str = ""  # the subscription's: sandbox (test cards) | stripe
    publishable_key: str = ""
    card_ready: bool = False  # Stripe's card field is in the dialog

    def _fetch(self, actor: Actor) -> None:
        with session_scope() as session:
            views = commerce_area.list_my_subscriptions(session=session, actor=actor)
        self.subscriptions = [subscription_row(v) for v in views]
        self.invoices = [invoice_row(v.number, i) for v in views for i in v.invoices]
        self.loaded = True

    @rx.event
    def load(self):  # type: ignore[no-untyped-def]
        self.load_session()
        actor = self.current_actor()
        if actor is None:
            return rx.redirect(f"{routes.LOGIN}?next={HERE}")
        self.cancel_open = self.change_open = self.card_open = False
        self._fetch(actor)
        return None

    def _row(self, ref: object) -> dict[str, str] | None:
        return next((s for s in self.subscriptions if s["number"] == ref), None)

    async def _act(self, ref: str, change: Callable[..., commerce_area.ChangeOutcome],
                   **kwargs: Any) -> list[Any]:
        """``change(session=…, actor=…, ref=ref, **kwargs)`` off the loop, then the page again
        and the service's message (or its refusal) as a toast."""
        actor = self.current_actor()
        if actor is None:
            return [rx.redirect(f"{routes.LOGIN}?next={HERE}")]
        if self._row(ref) is None:
            return [rx.toast.error("No such subscription of yours.")]
        self.busy = True
        try:
            outcome = await with_session(lambda s: change(session=s, actor=actor, ref=ref,
                                                          **kwargs))
        except DomainError as exc:
            self.busy = False
            self._fetch(actor)
            return [rx.toast.error(exc.message)]
        self.busy = False
        self._fetch(actor)
        return [rx.toast.success(outcome.message)]

    @rx.event
    async def pause(self, ref: str):  # type: ignore[no-untyped-def]
        return await self._act(ref, commerce_area.pause_subscription)

    @rx.event
    async def resume(self, ref: str):  # type: ignore[no-untyped-def]
        return await self._act(ref, commerce_area.resume_subscription)

    @rx.event
    async def undo_cancel(self, ref: str):  # type: ignore[no-untyped-def]
        return await self._act(ref, commerce_area.undo_cancel)

    # -- cancel ----------------------------------------------------------------------------

    @rx.event
    def open_cancel(self, ref: str):  # type: ignore[no-untyped-def]
        row = self._row(ref)
        if row is None:
            return rx.toast.error("No such subscription of yours.")
        self.cancel_ref, self.cancel_end = row["number"], row["period_end"]
        self.cancel_when = "period_end" if row["status"] in ("active", "trialing", "past_due",
                                                             "paused") else "now"
        self.cancel_open = True
        return None

    @rx.event
    def set_cancel_open(self, value: bool) -> None:
        self.cancel_open = value is True

    @rx.event
    def set_cancel_when(self, value: str) -> None:
        self.cancel_when = "now" if value == "now" else "period_end"

    @rx.event
    async def confirm_cancel(self):  # type: ignore[no-untyped-def]
        ref, at_end = self.cancel_ref, self.cancel_when != "now"
        events = await self._act(ref, commerce_area.cancel_subscription, at_period_end=at_end)
        self.cancel_open = False
        return events

    # -- change plan -----------------------------------------------------------------------

    @rx.event
    def open_change(self, ref: str):  # type: ignore[no-untyped-def]
        row = self._row(ref)
        actor = self.current_actor()
        if row is None or actor is None:
            return rx.toast.error("No such subscription of yours.")
        try:
            with session_scope() as session:
                view = commerce_area.get_subscription(session=session, actor=actor, ref=ref)
                plans = commerce_area.department_plans(session=session,
                                                       department_code=view.department_code)
        except DomainError as exc:
            return rx.toast.error(exc.message)
        self.change_choices = [
            {"id": str(p.price_id),
             "label": f"{interval_label(p.interval)}: {format_minor(p.amount, p.currency)} "
                      f"/ {interval_period(p.interval)}",
             "when": self._change_when(view, p)}
            for p in plans if p.price_id != view.price_id and p.currency == view.currency
        ]
        if not self.change_choices:
            return rx.toast.info("This department has no other plan to change to.")
        self.change_ref, self.change_error = view.number, ""
        self.change_plan_id = self.change_choices[0]["id"]
        self.change_open = True
        return None

    @staticmethod
    def _change_when(view: commerce_area.SubscriptionView,
                     plan: commerce_area.PlanOption) -> str:
        if view.status == "trialing":
            return "Changes now; your trial goes on and nothing is charged until it ends."
        if is_upgrade(view.unit_amount, Interval(view.interval), plan.amount,
                      Interval(plan.interval)):
            return ("An upgrade: it starts now and you are charged today for the new plan, "
                    "less the unused part of this period.")
        return (f"A downgrade: it starts at the end of this period "
                f"({when(view.current_period_end, DAY)}); nothing is charged now.")

    @rx.event
    def set_change_open(self, value: bool) -> None:
        self.change_open = value is True

    @rx.event
    def set_change_plan(self, value: str):  # type: ignore[no-untyped-def]
        if value not in [c["id"] for c in self.change_choices]:
            self.change_error = "Choose one of the plans listed."
            return None
        self.change_plan_id, self.change_error = value, ""
        return None

    @rx.event
    async def confirm_change(self):  # type: ignore[no-untyped-def]
        price_id = route_int(self.change_plan_id)
        if price_id is None or self.change_plan_id not in [c["id"] for c in self.change_choices]:
            self.change_error = "Choose one of the plans listed."
            return None
        events = await self._act(self.change_ref, commerce_area.change_plan, price_id=price_id)
        self.change_open = False
        return events

    # -- card ------------------------------------------------------------------------------

    @rx.event
    def open_card(self, ref: str):  # type: ignore[no-untyped-def]
        row = self._row(ref)
        if row is None:
            yield rx.toast.error("No such subscription of yours.")
            return
        self.card_ref, self.card_error, self.card_open = row["number"], "", True
        self.card_processor, self.card_ready = row["processor"], False
        self.publishable_key = (get_settings().stripe_publishable_key
                                if self.card_processor == "stripe" else "")
        if self.card_processor == "stripe":
            yield  # the dialog opens, then Stripe's card field goes into it
            yield rx.call_script(stripe_card_script("mount", self.publishable_key, NEW_CARD_ID),
                                 callback=MySubscriptionsState.card_mounted)

    @rx.event
    def card_mounted(self, answer: str) -> None:
        self.card_ready, problem = mounted(answer)
        if problem:
            self.card_error = problem

    @rx.event
    def set_card_open(self, value: bool) -> None:
        self.card_open = value is True

    @rx.event
    async def save_card(self, form: dict[str, str]):  # type: ignore[no-untyped-def]
        if self.card_processor == "stripe":
            self.card_error = "Enter the card in the card field."
            return None
        card, problem = card_from_form(form)
        if problem:
            self.card_error = problem
            return None
        return await self._save(card)

    @rx.event
    def save_card_stripe(self):  # type: ignore[no-untyped-def]
        """Stripe: the card field's card becomes a PaymentMethod first (``stripe_card``)."""
        if self.card_processor != "stripe" or not self.card_open:
            return rx.toast.error("Open the card form of one of your subscriptions.")
        if self.busy:
            return None
        self.card_error, self.busy = "", True
        return rx.call_script(stripe_card_script("method", self.publishable_key, NEW_CARD_ID),
                              callback=MySubscriptionsState.stripe_card)

    @rx.event
    async def stripe_card(self, answer: str):  # type: ignore[no-untyped-def]
        """What Stripe.js made of the card: its PaymentMethod is the subscription's card."""
        _, method, message = card_answer(answer)
        if not method:
            self.busy = False
            self.card_error = message or "Check your card details."
            return None
        return await self._save(method)

    async def _save(self, card: str):  # type: ignore[no-untyped-def]
        """``card`` (a sandbox test card number or a Stripe PaymentMethod) becomes the card of
        the dialog's subscription."""
        self.busy = False
        actor = self.current_actor()
        if actor is None:
            return rx.redirect(f"{routes.LOGIN}?next={HERE}")
        ref = self.card_ref
        if self._row(ref) is None:
            return rx.toast.error("No such subscription of yours.")
        self.busy = True

        def work(session: Session) -> commerce_area.ChangeOutcome:
            return commerce_area.update_card(session=session, actor=actor, ref=ref,
                                             payment_method=card)

        try:
            outcome = await with_session(work)
        except DomainError as exc:
            self.busy = False
            self.card_error = exc.message  # beside the card field
            return None
        self.busy = False
        self.card_open = False
        self._fetch(actor)
        still_due = outcome.subscription.status == "past_due"
        toast = rx.toast.error if still_due else rx.toast.success
        return toast(outcome.message)
