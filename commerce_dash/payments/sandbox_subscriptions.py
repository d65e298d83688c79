"""The sandbox processor's subscriptions: a renewal engine that behaves like Stripe's.

It keeps its subscriptions in ``sandbox_subscription`` (the latest invoice, the app's
metadata and its bookkeeping in ``meta``), charges the saved test card through the sandbox's
own payment intents (``SandboxProcessor.create_intent``/``pay``), and reports every change as
a Stripe-shaped signed ``invoice.*`` or ``customer.subscription.*`` event handed to
``deliver`` after its own transaction commits, in the order they happened.

Its time is the test clock's (``now()``: real time plus ``sandbox_clock.offset_seconds``);
``move_clock`` moves it forward and ``advance`` runs everything that has come due by then:
trial reminders, renewals, retries of failed invoices and cancellations at period end.

A charge is three short transactions: decide the attempt (the subscription row locked),
charge (the intent's idempotency key is ``<subscription key>:<invoice id>:<attempt n>``, so a
re-run of the same attempt after a crash, or by a second process, finds the same intent and
never charges twice), then record the outcome (locked again; an attempt already recorded is
not recorded twice, so its events go out once).

``meta`` holds: ``metadata`` (the app's), ``invoice`` (the latest invoice), ``email``,
``description``, ``created``, ``paid_invoices``, ``first_failed_at``, ``canceled_at``,
``changes`` (the idempotency keys of ``change_amount``), ``last_event`` (the newest event's
``created``: each event of a subscription is created strictly after the one before).
``period_index`` is the index of the next period to invoice, counted from ``anchor_at``.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, false, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from commerce_dash.db import for_update, session_scope
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.pricing import Interval
from commerce_dash.domain.subscriptions import MONTHS, period_bounds, retry_times, trial_end
from commerce_dash.models.commerce import SandboxIntent
from commerce_dash.models.subscriptions import SandboxClock, SandboxSubscription
from commerce_dash.payments.base import (
    CreateIntent,
    CreateSubscription,
    IntentResult,
    IntentStatus,
    ProcessorError,
    ProcessorSubscription,
)
from commerce_dash.payments.events import parse_subscription
from commerce_dash.payments.sandbox import SandboxProcessor, SignedEvent
from commerce_dash.payments.sandbox_cards import CardInput, card_error
from commerce_dash.settings import get_settings

__all__ = ["SandboxSubscriptions"]

_LIVE = ("trialing", "active", "past_due")
_MAX_STEPS = 100  # what one subscription may do in one advance() (a clock moved far ahead)
_UPDATED = "customer.subscription.updated"
_CREATED = "customer.subscription.created"
_DELETED = "customer.subscription.deleted"
_RECURRING = {Interval.MONTHLY: ("month", 1), Interval.QUARTERLY: ("month", 3),
              Interval.ANNUAL: ("year", 1)}
_Charge = tuple[str, int, bool, str | None]  # invoice id, attempt, on session, subscription event


def _unix(moment: datetime) -> int:
    return int(moment.timestamp())


def _at(stamp: int) -> datetime:
    return datetime.fromtimestamp(stamp, UTC)


def _meta(sub: SandboxSubscription) -> dict[str, Any]:
    return dict(sub.meta or {})


def _card(number: str) -> str:
    """A test card number as saved; a malformed one is refused like Stripe refuses it."""
    number = number.replace(" ", "").replace("-", "")
    problem = card_error(CardInput(number, 12, date.today().year + 1, "123"), date.today())
    if number and problem is not None:
        raise ProcessorError(*problem)
    return number


def _intent_key(sub_key: str, invoice_id: str, attempt: int) -> str:
    key = f"{sub_key}:{invoice_id}:{attempt}"
    return key if len(key) <= 120 else "sbsub:" + hashlib.sha256(key.encode()).hexdigest()


class SandboxSubscriptions:
    """``SubscriptionProcessor`` over the sandbox tables. Each call runs short transactions
    and hands the events it caused to ``deliver`` after they commit."""

    name = "sandbox"

    def __init__(self, *, webhook_secret: str, deliver: Callable[[SignedEvent], None]) -> None:
        self._payments = SandboxProcessor(webhook_secret=webhook_secret, challenge_url="")
        self._deliver = deliver

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

    # ------------------------------------------------------------ the renewal engine

    def advance(self, *, limit: int = 500) -> int:
        """Run what is due at ``now()`` for at most ``limit`` subscriptions (the longest due
        first); returns how many it acted on."""
        with session_scope() as session:
            now = self._now(session)
            days = get_settings().subscription_trial_reminder_days
            table = SandboxSubscription
            reminder = (and_(col(table.status) == "trialing", col(table.trial_reminded).is_(False),
                             col(table.trial_end) <= now + timedelta(days=days))
                        if days > 0 else false())
            due = session.exec(
                select(table.id).where(col(table.status).in_(_LIVE)).where(or_(
                    and_(col(table.open_invoice_id) != "", col(table.next_attempt_at) <= now),
                    and_(col(table.current_period_end) <= now,
                         or_(col(table.open_invoice_id) == "", col(table.cancel_at_period_end))),
                    reminder,
                )).order_by(col(table.current_period_end), col(table.id)).limit(limit)
            ).all()
        acted = 0
        for sub_id in due:
            steps = 0
            while steps < _MAX_STEPS and self._step(sub_id):
                steps += 1
            acted += steps > 0
        return acted

    def _step(self, sub_id: str) -> bool:
        """The next due thing of one subscription (False: nothing is due)."""
        events: list[dict[str, Any]] = []
        charge: _Charge | None = None
        with session_scope() as session:
            sub = self._get(session, sub_id, lock=True)
            now = self._now(session)
            meta = _meta(sub)
            recorded = int((meta.get("invoice") or {}).get("attempt_count", 0))
            days = get_settings().subscription_trial_reminder_days
            if sub.status not in _LIVE:
                return False
            if sub.open_invoice_id and sub.next_attempt_at and sub.next_attempt_at <= now:
                if sub.attempt_count <= recorded:  # a retry (else: finish an attempt left over)
                    sub.attempt_count = recorded + 1
                charge = (sub.open_invoice_id, sub.attempt_count, False, _UPDATED)
            elif (sub.status == "trialing" and not sub.trial_reminded and days > 0
                  and sub.trial_end is not None
                  and sub.trial_end - timedelta(days=days) <= now < sub.trial_end):
                sub.trial_reminded = True
                events = self._events(session, sub, ["customer.subscription.trial_will_end"],
                                      now)
            elif sub.cancel_at_period_end and sub.current_period_end <= now:
                self._end(sub, sub.current_period_end)
                events = self._events(session, sub, [_DELETED], now)
            elif (sub.status in ("trialing", "active") and not sub.open_invoice_id
                  and sub.current_period_end <= now):
                first = not meta.get("paid_invoices")
                start, end = period_bounds(sub.anchor_at, Interval(sub.interval), sub.period_index)
                sub.period_index += 1
                sub.current_period_start, sub.current_period_end = start, end
                self._open_invoice(sub, now, reason=("subscription_create" if first
                                                     else "subscription_cycle"),
                                   amount=sub.first_amount if first else sub.amount,
                                   start=start, end=end, retry_at=now)
                charge = (sub.open_invoice_id, 1, False, _UPDATED)
            else:
                return False
            sub.updated_at = utcnow()
            session.add(sub)
            session.commit()
        if charge is not None:
            events = self._attempt(sub_id, *charge)
        self._send(events)
        return True

    # ------------------------------------------------------------ the protocol

    def create_subscription(self, request: CreateSubscription) -> ProcessorSubscription:
        if request.amount < 0 or request.first_amount < 0 or request.trial_days < 0:
            raise ProcessorError("invalid_request", "Amounts and trial days can't be negative.")
        if request.interval not in MONTHS:
            raise ProcessorError("invalid_request", f"No interval called {request.interval!r}.")
        card = _card(request.payment_method)
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
                      "description": request.description, "created": _unix(now),
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
            invoice = _meta(sub).get("invoice") or {}
            if sub.status != "incomplete" or not sub.open_invoice_id or not invoice.get(
                    "awaiting_action"):
                raise ProcessorError("subscription_unexpected_state",
                                     "This subscription's payment is not waiting for "
                                     "authentication.")
            invoice_id, intent_id = sub.open_invoice_id, str(invoice.get("intent_id", ""))
            attempt = int(invoice.get("attempt_count", 0))
        result, _ = self._payments.complete_challenge(intent_id=intent_id, approve=approve)
        self._send(self._record(subscription_id, invoice_id, attempt, result,
                                _UPDATED if approve else None))
        return self.retrieve_subscription(subscription_id)

    def retrieve_subscription(self, subscription_id: str) -> ProcessorSubscription:
        with session_scope() as session:
            return self._answer(session, self._get(session, subscription_id))

    def cancel_subscription(self, subscription_id: str, *, at_period_end: bool
                            ) -> ProcessorSubscription:
        def cancel(sub: SandboxSubscription, now: datetime) -> str:
            if at_period_end:
                _require(sub, _LIVE, "only a live subscription can end at its period end")
                sub.cancel_at_period_end = True
                return _UPDATED
            _require(sub, (*_LIVE, "incomplete", "paused"), "it has ended already")
            self._end(sub, now)
            return _DELETED

        return self._change(subscription_id, cancel)

    def undo_cancel(self, subscription_id: str) -> ProcessorSubscription:
        def keep(sub: SandboxSubscription, _now: datetime) -> str:
            _require(sub, _LIVE, "it has ended already")
            if not sub.cancel_at_period_end:
                raise ProcessorError("subscription_unexpected_state",
                                     "This subscription is not set to end.")
            sub.cancel_at_period_end = False
            return _UPDATED

        return self._change(subscription_id, keep)

    def pause_subscription(self, subscription_id: str) -> ProcessorSubscription:
        def pause(sub: SandboxSubscription, now: datetime) -> str:
            _require(sub, ("trialing", "active"), "only a trialing or active one can pause")
            sub.status, sub.paused_at = "paused", now
            return _UPDATED

        return self._change(subscription_id, pause)

    def resume_subscription(self, subscription_id: str, *, period_end: int
                            ) -> ProcessorSubscription:
        if period_end <= 0:
            raise ProcessorError("invalid_request", "A period end is a unix time.")

        def resume(sub: SandboxSubscription, _now: datetime) -> str:
            _require(sub, ("paused", "trialing"),
                     "only a paused one can resume, or a trial be extended")
            if sub.status == "trialing":  # the trial ends later: the first charge moves
                sub.trial_end = sub.current_period_end = sub.anchor_at = _at(period_end)
                sub.trial_reminded = False
                sub.period_index = 0
                return _UPDATED
            # periods now follow the new period end's day (the billing anchor moves with it)
            sub.status, sub.paused_at = "active", None
            sub.current_period_end = sub.anchor_at = _at(period_end)
            sub.period_index = 0
            return _UPDATED

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
        charge: _Charge | None = None
        with session_scope() as session:
            sub = self._get(session, subscription_id, lock=True)
            now = self._now(session)
            meta = _meta(sub)
            if idempotency_key not in meta.get("changes", []):
                _require(sub, _LIVE, "it has ended or is paused")
                if (charge_now or restart_period) and (sub.status != "active"
                                                       or sub.open_invoice_id):
                    raise ProcessorError("subscription_unexpected_state",
                                         "Only an active subscription with nothing unpaid can "
                                         "be charged or restarted at once.")
                sub.amount = amount
                if not meta.get("paid_invoices"):  # still in its trial: the first period too
                    sub.first_amount = amount
                _switch_interval(sub, interval or sub.interval)
                if restart_period:
                    start, end = period_bounds(now, Interval(sub.interval), 0)
                    sub.anchor_at, sub.period_index = now, 1
                    sub.current_period_start, sub.current_period_end = start, end
                sub.meta = {**_meta(sub),
                            "changes": [*meta.get("changes", [])[-49:], idempotency_key]}
                if charge_now:
                    self._open_invoice(sub, now, reason="subscription_update", amount=charge_now,
                                       start=now, end=sub.current_period_end, retry_at=now)
                    charge = (sub.open_invoice_id, 1, False, _UPDATED)
                else:
                    events = self._events(session, sub, [_UPDATED], now)
                sub.updated_at = utcnow()
                session.add(sub)
                session.commit()
        if charge is not None:
            events = self._attempt(subscription_id, *charge)
        self._send(events)
        return self.retrieve_subscription(subscription_id)

    def update_payment_method(self, subscription_id: str, payment_method: str
                              ) -> ProcessorSubscription:
        card = _card(payment_method)
        self._send(self._finish(subscription_id, _UPDATED))  # an attempt left over goes first
        events: list[dict[str, Any]] = []
        charge: _Charge | None = None
        with session_scope() as session:
            sub = self._get(session, subscription_id, lock=True)
            now = self._now(session)
            _require(sub, (*_LIVE, "incomplete", "paused"), "it has ended")
            sub.card_number = card
            if sub.open_invoice_id and sub.status in ("incomplete", "past_due"):
                invoice = _meta(sub).get("invoice") or {}
                sub.attempt_count = int(invoice.get("attempt_count", 0)) + 1
                sub.next_attempt_at = now if sub.status == "past_due" else None
                charge = (sub.open_invoice_id, sub.attempt_count, sub.status == "incomplete",
                          _UPDATED)
            else:
                events = self._events(session, sub, [_UPDATED], now)
            sub.updated_at = utcnow()
            session.add(sub)
            session.commit()
        if charge is not None:
            events = self._attempt(subscription_id, *charge)
        self._send(events)
        return self.retrieve_subscription(subscription_id)

    # ------------------------------------------------------------ charging

    def _finish(self, sub_id: str, sub_event: str) -> list[dict[str, Any]]:
        """Charge an attempt that was decided but not recorded (a first invoice, or one a
        crash left over); nothing when there is none."""
        with session_scope() as session:
            sub = self._get(session, sub_id)
            invoice = _meta(sub).get("invoice") or {}
            if not sub.open_invoice_id or sub.attempt_count <= int(
                    invoice.get("attempt_count", 0)):
                return []
            charge = (sub.open_invoice_id, sub.attempt_count, sub.status == "incomplete",
                      sub_event)
        return self._attempt(sub_id, *charge)

    def _attempt(self, sub_id: str, invoice_id: str, attempt: int, on_session: bool,
                 sub_event: str | None) -> list[dict[str, Any]]:
        return self._record(sub_id, invoice_id, attempt,
                            self._charge(sub_id, invoice_id, attempt, on_session=on_session),
                            sub_event)

    def _charge(self, sub_id: str, invoice_id: str, attempt: int, *, on_session: bool
                ) -> IntentResult | None:
        """Charge the saved card for one attempt at the invoice (None: nothing to charge).
        The same attempt always finds the same intent, and an intent is paid at most once.
        Off session (renewals, retries, upgrades) the saved card needs no 3-D Secure."""
        with session_scope() as session:
            sub = self._get(session, sub_id)
            meta = _meta(sub)
            amount = int(meta["invoice"]["amount_due"])
            request = CreateIntent(
                amount=amount, currency=sub.currency, order_id=0, order_number=invoice_id,
                idempotency_key=_intent_key(sub.idempotency_key, invoice_id, attempt),
                customer_email=str(meta.get("email", "")),
                description=str(meta.get("description", "")),
                metadata={"subscription": sub.id, "invoice": invoice_id,
                          "attempt": str(attempt)})
            card = sub.card_number
        if amount == 0:
            return None
        result = self._payments.create_intent(request)
        if result.status is IntentStatus.REQUIRES_PAYMENT and (card or not on_session):
            try:
                result, _ = self._payments.pay(
                    intent_id=result.intent_id, client_secret=None,
                    card=CardInput(card, 12, date.today().year + 1, "123"))
            except ProcessorError:  # paid by another run of this attempt meanwhile
                result = self._payments.retrieve_intent(result.intent_id)
        if result.status is IntentStatus.REQUIRES_ACTION and not on_session:
            try:
                result, _ = self._payments.complete_challenge(intent_id=result.intent_id,
                                                              approve=True)
            except ProcessorError:
                result = self._payments.retrieve_intent(result.intent_id)
        return result

    def _record(self, sub_id: str, invoice_id: str, attempt: int, result: IntentResult | None,
                sub_event: str | None) -> list[dict[str, Any]]:
        """The outcome of an attempt, once: the invoice, the subscription, their events."""
        settings = get_settings()
        with session_scope() as session:
            sub = self._get(session, sub_id, lock=True)
            now = self._now(session)
            meta = _meta(sub)
            invoice = dict(meta.get("invoice") or {})
            done = int(invoice.get("attempt_count", 0))
            if (sub.open_invoice_id != invoice_id or invoice.get("id") != invoice_id
                    or done > attempt or (done == attempt and not invoice.get("awaiting_action"))):
                return []  # recorded already (or the invoice was voided meanwhile)
            status = IntentStatus.SUCCEEDED if result is None else result.status
            invoice.update(attempt_count=attempt, awaiting_action=False,
                           intent_id=result.intent_id if result else "")
            types: list[str] = []
            if status is IntentStatus.SUCCEEDED:
                invoice.update(status="paid", amount_paid=invoice["amount_due"],
                               next_payment_attempt=None, paid_at=_unix(now))
                sub.status = "active"
                sub.open_invoice_id, sub.attempt_count, sub.next_attempt_at = "", 0, None
                meta.update(first_failed_at=None, paid_invoices=meta.get("paid_invoices", 0) + 1)
                types.append("invoice.paid")
            elif status is IntentStatus.FAILED:
                first = int(meta.get("first_failed_at") or _unix(now))
                retries = retry_times(_at(first), settings.subscription_grace_days,
                                      settings.subscription_retry_days)
                retry = (retries[attempt - 1]
                         if sub.status != "incomplete" and attempt <= len(retries) else None)
                invoice["next_payment_attempt"] = _unix(retry) if retry else None
                sub.next_attempt_at = retry
                meta["first_failed_at"] = first
                if sub.status in ("trialing", "active"):
                    sub.status = "past_due"
                types.append("invoice.payment_failed")
            elif status is IntentStatus.REQUIRES_ACTION:
                invoice["awaiting_action"] = True
                sub.next_attempt_at = None
                types.append("invoice.payment_action_required")
            else:  # on session with no card yet: the intent waits for one
                sub.next_attempt_at = None
            sub.meta = {**meta, "invoice": invoice}
            events = self._events(session, sub, types + ([sub_event] if sub_event else []), now)
            sub.updated_at = utcnow()
            session.add(sub)
            session.commit()
        return events

    # ------------------------------------------------------------ internals

    def _change(self, sub_id: str, change: Callable[[SandboxSubscription, datetime], str]
                ) -> ProcessorSubscription:
        with session_scope() as session:
            sub = self._get(session, sub_id, lock=True)
            now = self._now(session)
            events = self._events(session, sub, [change(sub, now)], now)
            sub.updated_at = utcnow()
            session.add(sub)
            answer = self._answer(session, sub)
            session.commit()
        self._send(events)
        return answer

    def _end(self, sub: SandboxSubscription, at: datetime) -> None:
        """Canceled: an unpaid invoice is voided and nothing is tried again."""
        meta = _meta(sub)
        invoice = meta.get("invoice")
        if sub.open_invoice_id and invoice:
            meta["invoice"] = {**invoice, "status": "void", "next_payment_attempt": None}
        sub.status, sub.open_invoice_id, sub.next_attempt_at = "canceled", "", None
        sub.meta = {**meta, "canceled_at": _unix(at)}

    def _open_invoice(self, sub: SandboxSubscription, now: datetime, *, reason: str,
                      amount: int, start: datetime, end: datetime,
                      retry_at: datetime | None) -> None:
        """A new open invoice whose first attempt is decided (not charged yet)."""
        invoice_id = f"in_sb{secrets.token_hex(10)}"
        sub.meta = {**_meta(sub), "first_failed_at": None, "invoice": {
            "id": invoice_id, "billing_reason": reason, "amount_due": amount, "amount_paid": 0,
            "status": "open", "period_start": _unix(start), "period_end": _unix(end),
            "attempt_count": 0, "next_payment_attempt": None, "intent_id": "",
            "created": _unix(now)}}
        sub.open_invoice_id, sub.attempt_count, sub.next_attempt_at = invoice_id, 1, retry_at

    def _now(self, session: Session) -> datetime:
        clock = session.get(SandboxClock, 1)
        offset = clock.offset_seconds if clock is not None else 0
        return (utcnow() + timedelta(seconds=offset)).replace(microsecond=0)

    def _get(self, session: Session, sub_id: str, *, lock: bool = False) -> SandboxSubscription:
        query = select(SandboxSubscription).where(SandboxSubscription.id == sub_id)
        if lock:
            query = for_update(session, query)
        sub = session.exec(query).first()
        if sub is None:
            raise ProcessorError("resource_missing", f"No such subscription: {sub_id}")
        return sub

    def _events(self, session: Session, sub: SandboxSubscription, types: list[str],
                now: datetime) -> list[dict[str, Any]]:
        """Events of ``sub`` as it is now, each created strictly after the one before."""
        meta = _meta(sub)
        stamp = int(meta.get("last_event", 0))
        events = []
        for event_type in types:
            stamp = max(_unix(now), stamp + 1)
            if event_type.startswith("invoice."):
                obj = self._invoice_object(session, sub, meta["invoice"])
            else:
                obj = self._subscription_object(session, sub)
            events.append({"id": f"evt_sb_{secrets.token_hex(12)}", "object": "event",
                           "type": event_type, "created": stamp, "livemode": False,
                           "data": {"object": obj}})
        sub.meta = {**_meta(sub), "last_event": stamp}
        return events

    def _send(self, events: list[dict[str, Any]]) -> None:
        for event in events:
            body = json.dumps(event, separators=(",", ":")).encode()
            headers = {**self._payments.sign_body(body), "content-type": "application/json"}
            self._deliver(SignedEvent(body, headers))

    def _answer(self, session: Session, sub: SandboxSubscription) -> ProcessorSubscription:
        parsed = parse_subscription(self._subscription_object(session, sub))
        return replace(parsed, card_brand="visa" if sub.card_number else "",
                       card_last4=sub.card_number[-4:])

    def _invoice_object(self, session: Session, sub: SandboxSubscription,
                        invoice: dict[str, Any]) -> dict[str, Any]:
        intent = (session.get(SandboxIntent, invoice["intent_id"])
                  if invoice.get("intent_id") else None)
        payment: dict[str, Any] | None = None
        if intent is not None:
            session.refresh(intent)
            error = ({"code": intent.failure_code, "decline_code": intent.failure_code,
                      "message": intent.failure_message} if intent.failure_code else None)
            payment = {"id": intent.id, "object": "payment_intent", "amount": intent.amount,
                       "currency": intent.currency.lower(), "status": intent.status,
                       "client_secret": intent.client_secret, "last_payment_error": error}
        currency = sub.currency.lower()
        period = {"start": invoice["period_start"], "end": invoice["period_end"]}
        return {
            "id": invoice["id"], "object": "invoice", "subscription": sub.id,
            "customer": sub.customer_id, "status": invoice["status"], "currency": currency,
            "amount_due": invoice["amount_due"], "amount_paid": invoice["amount_paid"],
            "amount_remaining": invoice["amount_due"] - invoice["amount_paid"],
            "billing_reason": invoice["billing_reason"],
            "attempt_count": invoice["attempt_count"], "attempted": invoice["attempt_count"] > 0,
            "next_payment_attempt": invoice["next_payment_attempt"],
            "payment_intent": payment, "created": invoice["created"],
            "status_transitions": {"paid_at": invoice.get("paid_at")},
            "lines": {"object": "list", "data": [{
                "object": "line_item", "amount": invoice["amount_due"], "currency": currency,
                "period": period}]},
            "subscription_details": {"metadata": dict(_meta(sub).get("metadata") or {})},
            "livemode": False,
        }

    def _subscription_object(self, session: Session, sub: SandboxSubscription
                             ) -> dict[str, Any]:
        meta = _meta(sub)
        invoice = meta.get("invoice")
        start, end = _unix(sub.current_period_start), _unix(sub.current_period_end)
        interval, count = _RECURRING[Interval(sub.interval)]
        card = sub.card_number
        return {
            "id": sub.id, "object": "subscription", "customer": sub.customer_id,
            "status": sub.status, "currency": sub.currency.lower(),
            "created": meta.get("created"), "billing_cycle_anchor": _unix(sub.anchor_at),
            "current_period_start": start, "current_period_end": end,
            "trial_start": meta.get("created") if sub.trial_end else None,
            "trial_end": _unix(sub.trial_end) if sub.trial_end else None,
            "cancel_at_period_end": sub.cancel_at_period_end,
            "cancel_at": end if sub.cancel_at_period_end else None,
            "canceled_at": meta.get("canceled_at"),
            "ended_at": meta.get("canceled_at") if sub.status == "canceled" else None,
            "pause_collection": ({"behavior": "void", "resumes_at": None}
                                 if sub.status == "paused" else None),
            "latest_invoice": (self._invoice_object(session, sub, invoice) if invoice
                               else None),
            "default_payment_method": ({"id": f"pm_sb{card[-4:]}", "object": "payment_method",
                                        "card": {"brand": "visa", "last4": card[-4:]}}
                                       if card else None),
            "items": {"object": "list", "data": [{
                "object": "subscription_item", "quantity": 1,
                "current_period_start": start, "current_period_end": end,
                "price": {"currency": sub.currency.lower(), "unit_amount": sub.amount,
                          "recurring": {"interval": interval, "interval_count": count}}}]},
            "metadata": dict(meta.get("metadata") or {}),
            "livemode": False,
        }


def _switch_interval(sub: SandboxSubscription, interval: str) -> None:
    """Bill every ``interval`` from the current period's end: on the same anchor when the
    months done so far are whole new periods (the anchor day survives short months), else
    anchored at the period end (as Stripe resets the anchor)."""
    if interval == sub.interval:
        return
    done, step = MONTHS[Interval(sub.interval)] * sub.period_index, MONTHS[Interval(interval)]
    if done % step == 0:
        sub.period_index = done // step
    else:
        sub.anchor_at, sub.period_index = sub.current_period_end, 0
    sub.interval = interval


def _require(sub: SandboxSubscription, statuses: tuple[str, ...], why: str) -> None:
    if sub.status not in statuses:
        raise ProcessorError("subscription_unexpected_state",
                             f"This subscription is {sub.status}: {why}.")
