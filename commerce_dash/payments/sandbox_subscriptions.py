"""The sandbox processor's subscriptions: a renewal engine that behaves like Stripe's.

It keeps its subscriptions in ``sandbox_subscription`` (the latest invoice, the app's
metadata and its bookkeeping in ``meta``), charges the saved test card through the sandbox's
own payment intents (``SandboxProcessor.create_intent``/``pay``), and reports every change as
a Stripe-shaped signed ``invoice.*`` or ``customer.subscription.*`` event handed to
``deliver`` after its own transaction commits, in the order they happened.

Its time is the test clock's (``now()``: real time plus ``sandbox_clock.offset_seconds``);
``move_clock`` moves it forward and ``advance`` runs everything that has come due by then:
trial reminders, renewals, retries of failed invoices and cancellations at period end.

The engine (``advance``) and the charging every call shares are in
``sandbox_subscription_billing``, the Stripe-shaped objects in
``sandbox_subscription_objects``.

``meta`` holds: ``metadata`` (the app's), ``invoice`` (the latest invoice), ``email``,
``description``, ``created``, ``paid_invoices``, ``first_failed_at``, ``canceled_at``,
``changes`` (the idempotency keys of ``change_amount``), ``last_event`` (the newest event's
``created``: each event of a subscription is created strictly after the one before).
``period_index`` is the index of the next period to invoice, counted from ``anchor_at``.

"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from commerce_dash.db import for_update, session_scope
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.pricing import Interval
from commerce_dash.domain.subscriptions import MONTHS, period_bounds, trial_end
from commerce_dash.models.subscriptions import SandboxClock, SandboxSubscription
from commerce_dash.payments.base import (
    CreateSubscription,
    ProcessorError,
    ProcessorSubscription,
)
from commerce_dash.payments.sandbox_subscription_billing import UPDATED, SandboxBilling
from commerce_dash.payments.sandbox_subscription_objects import (
    LIVE,
    Charge,
    at,
    charge_of,
    meta_of,
    require,
    saved_card,
    switch_interval,
    unix,
)
from commerce_dash.settings import get_settings

__all__ = ["SandboxSubscriptions"]

_CREATED = "customer.subscription.created"
_DELETED = "customer.subscription.deleted"


class SandboxSubscriptions(SandboxBilling):
    """``SubscriptionProcessor`` over the sandbox tables. Each call runs short transactions
    and hands the events it caused to ``deliver`` after they commit."""

    name = "sandbox"

    # ------------------------------------------------------------ the test clock

    def now(self) -> datetime:
        """The sandbox's time: real UTC time plus the test clock's offset (whole seconds)."""
        with session_scope() as session:
            return self._now(session)

    def move_clock(self, seconds: int) -> datetime:
        """Move the test clock ``seconds`` forward (nothing runs until ``advance``)."""
        if get_settings().env == "production":
            raise ProcessorError("test_clock_refused",
                                 "The sandbox's test clock can't be moved in production.")
        if seconds < 0:
            raise ProcessorError("test_clock_backwards", "The test clock only moves forward.")
        for _ in range(3):
            with session_scope() as session:
                clock = session.exec(for_update(session, select(SandboxClock).where(
                    SandboxClock.id == 1))).first() or SandboxClock(id=1, offset_seconds=0)
                clock.offset_seconds += seconds
                clock.updated_at = utcnow()
                session.add(clock)
                try:
                    session.commit()
                except IntegrityError:  # another process made the row first: move that one
                    session.rollback()
                    continue
                return self._now(session)
        raise ProcessorError("test_clock_busy", "The test clock is busy; try again.",
                             retryable=True)

    # ------------------------------------------------------------ the protocol

    def create_subscription(self, request: CreateSubscription) -> ProcessorSubscription:
        if request.amount < 0 or request.first_amount < 0 or request.trial_days < 0:
            raise ProcessorError("invalid_request", "Amounts and trial days can't be negative.")
        if request.interval not in MONTHS:
            raise ProcessorError("invalid_request", f"No interval called {request.interval!r}.")
        card = saved_card(request.payment_method)
        customer = "sbcus_" + hashlib.sha256(
            request.customer_email.strip().lower().encode()).hexdigest()[:24]
        events: list[dict[str, Any]] = []
        with session_scope() as session:
            now = self._now(session)
            ends = trial_end(now, request.trial_days)
            sub = SandboxSubscription(
                id=f"sbsub_{secrets.token_hex(12)}", idempotency_key=request.idempotency_key,
                customer_id=customer, card_number=card, currency=request.currency.upper(),
                amount=request.amount, first_amount=request.first_amount,
                interval=request.interval, anchor_at=ends or now, trial_end=ends,
                current_period_start=now, current_period_end=ends or now,
                meta={"metadata": dict(request.metadata), "email": request.customer_email,
                      "description": request.description, "created": unix(now),
                      "paid_invoices": 0},
            )
            if ends is not None:
                sub.status = "trialing"
                events = self._events(session, sub, [_CREATED], now)
            else:
                start, end = period_bounds(now, Interval(request.interval), 0)
                sub.period_index, sub.current_period_end = 1, end
                self._open_invoice(sub, now, reason="subscription_create",
                                   amount=request.first_amount, start=start, end=end,
                                   retry_at=None)
            session.add(sub)
            try:
                session.commit()
            except IntegrityError:  # the key was used before: that subscription is the answer
                session.rollback()
                sub = session.exec(select(SandboxSubscription).where(
                    SandboxSubscription.idempotency_key == request.idempotency_key)).one()
                events = []
            sub_id = sub.id
        if not events:  # a first invoice to charge (or an attempt a repeat must finish)
            events = self._finish(sub_id, _CREATED)
        self._send(events)
        return self.retrieve_subscription(sub_id)

    def complete_challenge(self, *, subscription_id: str, approve: bool) -> ProcessorSubscription:
        """The 3-D Secure step of the first invoice: approved, it is paid and the
        subscription active; failed, the subscription stays incomplete."""
        with session_scope() as session:
            sub = self._get(session, subscription_id)
            invoice = meta_of(sub).get("invoice") or {}
            if sub.status != "incomplete" or not sub.open_invoice_id or not invoice.get(
                    "awaiting_action"):
                raise ProcessorError("subscription_unexpected_state",
                                     "This subscription's payment is not waiting for "
                                     "authentication.")
            invoice_id, intent_id = sub.open_invoice_id, str(invoice.get("intent_id", ""))
            attempt = int(invoice.get("attempt_count", 0))
        result, _ = self._payments.complete_challenge(intent_id=intent_id, approve=approve)
        self._send(self._record(subscription_id, invoice_id, attempt, result,
                                UPDATED if approve else None))
        return self.retrieve_subscription(subscription_id)

    def retrieve_subscription(self, subscription_id: str) -> ProcessorSubscription:
        with session_scope() as session:
            return self._answer(session, self._get(session, subscription_id))

    def cancel_subscription(self, subscription_id: str, *, at_period_end: bool
                            ) -> ProcessorSubscription:
        def cancel(sub: SandboxSubscription, now: datetime) -> str:
            if at_period_end:
                require(sub, LIVE, "only a live subscription can end at its period end")
                sub.cancel_at_period_end = True
                return UPDATED
            require(sub, (*LIVE, "incomplete", "paused"), "it has ended already")
            self._end(sub, now)
            return _DELETED

        return self._change(subscription_id, cancel)

    def undo_cancel(self, subscription_id: str) -> ProcessorSubscription:
        def keep(sub: SandboxSubscription, _now: datetime) -> str:
            require(sub, LIVE, "it has ended already")
            if not sub.cancel_at_period_end:
                raise ProcessorError("subscription_unexpected_state",
                                     "This subscription is not set to end.")
            sub.cancel_at_period_end = False
            return UPDATED

        return self._change(subscription_id, keep)

    def pause_subscription(self, subscription_id: str) -> ProcessorSubscription:
        def pause(sub: SandboxSubscription, now: datetime) -> str:
            require(sub, ("trialing", "active"), "only a trialing or active one can pause")
            sub.status, sub.paused_at = "paused", now
            return UPDATED

        return self._change(subscription_id, pause)

    def resume_subscription(self, subscription_id: str, *, period_end: int
                            ) -> ProcessorSubscription:
        if period_end <= 0:
            raise ProcessorError("invalid_request", "A period end is a unix time.")

        def resume(sub: SandboxSubscription, _now: datetime) -> str:
            require(sub, ("paused", "trialing"),
                     "only a paused one can resume, or a trial be extended")
            if sub.status == "trialing":  # the trial ends later: the first charge moves
                sub.trial_end = sub.current_period_end = sub.anchor_at = at(period_end)
                sub.trial_reminded = False
                sub.period_index = 0
                return UPDATED
            # periods now follow the new period end's day (the billing anchor moves with it)
            sub.status, sub.paused_at = "active", None
            sub.current_period_end = sub.anchor_at = at(period_end)
            sub.period_index = 0
            return UPDATED

        return self._change(subscription_id, resume)

    def change_amount(self, subscription_id: str, *, amount: int, charge_now: int,
                      idempotency_key: str, interval: str = "",
                      restart_period: bool = False) -> ProcessorSubscription:
        """``amount`` (every ``interval`` when given) from the next period on; ``charge_now``
        invoices that much at once (``subscription_update``). ``restart_period``: the current
        period ends now and the new one starts now (anchored now), paid by that invoice."""
        if amount < 0 or charge_now < 0:
            raise ProcessorError("invalid_request", "Amounts can't be negative.")
        if interval and interval not in MONTHS:
            raise ProcessorError("invalid_request", f"No interval called {interval!r}.")
        events: list[dict[str, Any]] = []
        charge: Charge | None = None
        with session_scope() as session:
            sub = self._get(session, subscription_id, lock=True)
            now = self._now(session)
            meta = meta_of(sub)
            if idempotency_key not in meta.get("changes", []):
                require(sub, LIVE, "it has ended or is paused")
                if (charge_now or restart_period) and (sub.status != "active"
                                                       or sub.open_invoice_id):
                    raise ProcessorError("subscription_unexpected_state",
                                         "Only an active subscription with nothing unpaid can "
                                         "be charged or restarted at once.")
                sub.amount = amount
                if not meta.get("paid_invoices"):  # still in its trial: the first period too
                    sub.first_amount = amount
                switch_interval(sub, interval or sub.interval)
                if restart_period:
                    start, end = period_bounds(now, Interval(sub.interval), 0)
                    sub.anchor_at, sub.period_index = now, 1
                    sub.current_period_start, sub.current_period_end = start, end
                sub.meta = {**meta_of(sub),
                            "changes": [*meta.get("changes", [])[-49:], idempotency_key]}
                if charge_now:
                    self._open_invoice(sub, now, reason="subscription_update", amount=charge_now,
                                       start=now, end=sub.current_period_end, retry_at=now)
                    charge = charge_of(sub, 1, False, UPDATED)
                else:
                    events = self._events(session, sub, [UPDATED], now)
                sub.updated_at = utcnow()
                session.add(sub)
                session.commit()
        if charge is not None:
            events = self._attempt(subscription_id, *charge)
        self._send(events)
        return self.retrieve_subscription(subscription_id)

    def update_payment_method(self, subscription_id: str, payment_method: str
                              ) -> ProcessorSubscription:
        card = saved_card(payment_method)
        self._send(self._finish(subscription_id, UPDATED))  # an attempt left over goes first
        events: list[dict[str, Any]] = []
        charge: Charge | None = None
        with session_scope() as session:
            sub = self._get(session, subscription_id, lock=True)
            now = self._now(session)
            require(sub, (*LIVE, "incomplete", "paused"), "it has ended")
            sub.card_number = card
            if sub.open_invoice_id and sub.status in ("incomplete", "past_due"):
                invoice = meta_of(sub).get("invoice") or {}
                sub.attempt_count = int(invoice.get("attempt_count", 0)) + 1
                sub.next_attempt_at = now if sub.status == "past_due" else None
                charge = charge_of(sub, sub.attempt_count, sub.status == "incomplete", UPDATED)
            else:
                events = self._events(session, sub, [UPDATED], now)
            sub.updated_at = utcnow()
            session.add(sub)
            session.commit()
        if charge is not None:
            events = self._attempt(subscription_id, *charge)
        self._send(events)
        return self.retrieve_subscription(subscription_id)

    def _change(self, sub_id: str, change: Callable[[SandboxSubscription, datetime], str]
                ) -> ProcessorSubscription:
        with self._session() as session:
            sub = self._get(session, sub_id, lock=True)
            now = self._now(session)
            events = self._events(session, sub, [change(sub, now)], now)
            sub.updated_at = utcnow()
            session.add(sub)
            answer = self._answer(session, sub)
            session.commit()
        self._send(events)
        return answer
