"""The sandbox's renewal engine and how it charges: the base of ``SandboxSubscriptions``.

A charge is three short transactions: decide the attempt (the subscription row locked),
charge (the intent's idempotency key is ``<subscription key>:<invoice id>:<attempt n>``, so a
re-run of the same attempt after a crash, or by a second process, finds the same intent and
never charges twice), then record the outcome (locked again; an attempt already recorded is
not recorded twice, so its events go out once). Every change goes out as a signed
Stripe-shaped event handed to ``deliver`` after its own transaction commits.

``advance`` reads the test clock once and runs its transactions on one connection of its
own (committed one by one: no pool checkout per transaction). It decides the first step of
up to ``_CHUNK`` subscriptions in one transaction (their rows locked ``FOR UPDATE SKIP
LOCKED``: a row another process holds is left to it), then charges, records and sends each
in turn. The charge is built from the row that decided it, the events from what the charge
answered (nothing is read back), and a subscription's steps stop as soon as its row says
nothing more is due.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, false, or_
from sqlalchemy.engine import Connection
from sqlmodel import Session, col, select

from commerce_dash.db import for_update, get_engine, session_scope, write_lock
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.pricing import Interval
from commerce_dash.domain.subscriptions import period_bounds, retry_times
from commerce_dash.models.commerce import SandboxIntent
from commerce_dash.models.subscriptions import SandboxClock, SandboxSubscription
from commerce_dash.payments.base import (
    CreateIntent,
    IntentResult,
    IntentStatus,
    ProcessorError,
    ProcessorSubscription,
)
from commerce_dash.payments.events import parse_subscription
from commerce_dash.payments.sandbox import SandboxProcessor, SignedEvent
from commerce_dash.payments.sandbox_cards import CardInput
from commerce_dash.payments.sandbox_subscription_objects import (
    LIVE,
    Charge,
    at,
    charge_of,
    due,
    invoice_object,
    meta_of,
    payment_of_intent,
    payment_of_result,
    subscription_object,
    unix,
)
from commerce_dash.settings import get_settings

__all__ = ["UPDATED", "SandboxBilling"]

UPDATED = "customer.subscription.updated"
_DELETED = "customer.subscription.deleted"
_MAX_STEPS = 100  # what one subscription may do in one advance() (a clock moved far ahead)
_CHUNK = 100  # subscriptions whose first step is decided in one transaction

class SandboxBilling:
    """The engine: ``advance`` and the charging, recording and events every call shares."""

    def __init__(self, *, webhook_secret: str, deliver: Callable[[SignedEvent], None]) -> None:
        self._payments = SandboxProcessor(webhook_secret=webhook_secret, challenge_url="")
        self._deliver = deliver
        self._connection: Connection | None = None  # advance()'s own, between its calls
        self._still_due: dict[str, bool] = {}  # per subscription, as its last record left it

    @contextmanager
    def _session(self) -> Iterator[Session]:
        """A transaction's session: on ``advance``'s connection while it runs (no pool
        checkout per transaction), else a session of its own."""
        if self._connection is None:
            with session_scope() as session:
                yield session
            return
        session = Session(bind=self._connection, expire_on_commit=False)
        try:
            yield session
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()


    # ------------------------------------------------------------ the renewal engine

    def advance(self, *, limit: int = 500) -> int:
        """Run what is due at ``now()`` for at most ``limit`` subscriptions (the longest due
        first); returns how many it acted on."""
        with get_engine().connect() as connection:
            self._connection = connection
            try:
                return self._advance(limit)
            finally:
                self._connection = None
                self._still_due.clear()

    def _advance(self, limit: int) -> int:
        days = get_settings().subscription_trial_reminder_days
        with self._session() as session:
            now = self._now(session)
            table = SandboxSubscription
            reminder = (and_(col(table.status) == "trialing", col(table.trial_reminded).is_(False),
                             col(table.trial_end) <= now + timedelta(days=days))
                        if days > 0 else false())
            due = session.exec(
                select(table.id).where(col(table.status).in_(LIVE)).where(or_(
                    and_(col(table.open_invoice_id) != "", col(table.next_attempt_at) <= now),
                    and_(col(table.current_period_end) <= now,
                         or_(col(table.open_invoice_id) == "", col(table.cancel_at_period_end))),
                    reminder,
                )).order_by(col(table.current_period_end), col(table.id)).limit(limit)
            ).all()
            session.commit()
        acted = 0
        for first in range(0, len(due), _CHUNK):
            chunk = list(due[first:first + _CHUNK])
            for sub_id, (events, charge) in self._decide_chunk(chunk, now, days).items():
                self._carry_out(sub_id, events, charge, now)
                steps = 1
                while (steps < _MAX_STEPS and self._still_due.pop(sub_id, True)
                       and self._step(sub_id, now)):
                    steps += 1  # more came due (a clock moved far ahead)
                acted += 1
        return acted

    def _decide_chunk(self, chunk: list[str], now: datetime, days: int
                      ) -> dict[str, tuple[list[dict[str, Any]], Charge | None]]:
        """The first due step of each subscription of ``chunk``, decided in one transaction
        (their rows locked; rows another process holds are skipped: it is at them)."""
        decided: dict[str, tuple[list[dict[str, Any]], Charge | None]] = {}
        with self._session() as session:
            write_lock(session)
            rows = session.exec(select(SandboxSubscription).where(
                col(SandboxSubscription.id).in_(chunk)).order_by(col(SandboxSubscription.id))
                .with_for_update(skip_locked=True)).all()
            for sub in rows:
                step = self._decide(session, sub, now, days)
                if step is not None:
                    decided[sub.id] = step
                    if step[1] is None:
                        self._still_due[sub.id] = due(sub, now, days)
            session.commit()
        order = {sub_id: n for n, sub_id in enumerate(chunk)}
        return dict(sorted(decided.items(), key=lambda item: order[item[0]]))

    def _carry_out(self, sub_id: str, events: list[dict[str, Any]], charge: Charge | None,
                   now: datetime) -> None:
        """After a step's decision committed: its charge, then its events."""
        if charge is not None:
            events = self._attempt(sub_id, *charge, now)
        self._send(events)

    def _step(self, sub_id: str, now: datetime | None = None) -> bool:
        """The next due thing of one subscription (False: nothing is due)."""
        days = get_settings().subscription_trial_reminder_days
        with self._session() as session:
            sub = self._get(session, sub_id, lock=True)
            now = now or self._now(session)
            step = self._decide(session, sub, now, days)
            if step is None:
                return False
            session.commit()
            if step[1] is None:
                self._still_due[sub_id] = due(sub, now, days)
        self._carry_out(sub_id, *step, now)
        return True

    def _decide(self, session: Session, sub: SandboxSubscription, now: datetime, days: int
                ) -> tuple[list[dict[str, Any]], Charge | None] | None:
        """The next due thing of ``sub`` (locked), changed on the row (the caller commits):
        the events to send and the attempt to charge; None when nothing is due."""
        events: list[dict[str, Any]] = []
        charge: Charge | None = None
        meta = meta_of(sub)
        recorded = int((meta.get("invoice") or {}).get("attempt_count", 0))
        if sub.status not in LIVE:
            return None
        if sub.open_invoice_id and sub.next_attempt_at and sub.next_attempt_at <= now:
            if sub.attempt_count <= recorded:  # a retry (else: finish an attempt left over)
                sub.attempt_count = recorded + 1
            charge = charge_of(sub, sub.attempt_count, False, UPDATED)
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
            charge = charge_of(sub, 1, False, UPDATED)
        else:
            return None
        sub.updated_at = utcnow()
        session.add(sub)
        return events, charge

    # ------------------------------------------------------------ charging

    def _finish(self, sub_id: str, sub_event: str) -> list[dict[str, Any]]:
        """Charge an attempt that was decided but not recorded (a first invoice, or one a
        crash left over); nothing when there is none."""
        with self._session() as session:
            sub = self._get(session, sub_id)
            invoice = meta_of(sub).get("invoice") or {}
            if not sub.open_invoice_id or sub.attempt_count <= int(
                    invoice.get("attempt_count", 0)):
                return []
            charge = charge_of(sub, sub.attempt_count, sub.status == "incomplete", sub_event)
        return self._attempt(sub_id, *charge)

    def _attempt(self, sub_id: str, invoice_id: str, attempt: int, on_session: bool,
                 sub_event: str | None, request: CreateIntent, card: str,
                 now: datetime | None = None) -> list[dict[str, Any]]:
        return self._record(sub_id, invoice_id, attempt,
                            self._charge(request, card, on_session=on_session), sub_event, now)

    def _charge(self, request: CreateIntent, card: str, *, on_session: bool
                ) -> IntentResult | None:
        """Charge the saved card for one attempt at the invoice (None: nothing to charge).
        The same attempt always finds the same intent (its key), and an intent is paid at
        most once. Off session (renewals, retries, upgrades) the saved card needs no 3-D
        Secure."""
        if request.amount == 0:
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
                sub_event: str | None, now: datetime | None = None) -> list[dict[str, Any]]:
        """The outcome of an attempt, once: the invoice, the subscription, their events."""
        settings = get_settings()
        with self._session() as session:
            sub = self._get(session, sub_id, lock=True)
            now = now or self._now(session)
            meta = meta_of(sub)
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
                               next_payment_attempt=None, paid_at=unix(now))
                sub.status = "active"
                sub.open_invoice_id, sub.attempt_count, sub.next_attempt_at = "", 0, None
                meta.update(first_failed_at=None, paid_invoices=meta.get("paid_invoices", 0) + 1)
                types.append("invoice.paid")
            elif status is IntentStatus.FAILED:
                first = int(meta.get("first_failed_at") or unix(now))
                retries = retry_times(at(first), settings.subscription_grace_days,
                                      settings.subscription_retry_days)
                retry = (retries[attempt - 1]
                         if sub.status != "incomplete" and attempt <= len(retries) else None)
                invoice["next_payment_attempt"] = unix(retry) if retry else None
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
            payment = payment_of_result(result) if result is not None else None
            events = self._events(session, sub, types + ([sub_event] if sub_event else []), now,
                                  payment=payment)
            sub.updated_at = utcnow()
            session.add(sub)
            session.commit()
            if self._connection is not None:  # within advance(): may it stop here?
                self._still_due[sub_id] = due(sub, now,
                                               settings.subscription_trial_reminder_days)
        return events

    def _end(self, sub: SandboxSubscription, at: datetime) -> None:
        """Canceled: an unpaid invoice is voided and nothing is tried again."""
        meta = meta_of(sub)
        invoice = meta.get("invoice")
        if sub.open_invoice_id and invoice:
            meta["invoice"] = {**invoice, "status": "void", "next_payment_attempt": None}
        sub.status, sub.open_invoice_id, sub.next_attempt_at = "canceled", "", None
        sub.meta = {**meta, "canceled_at": unix(at)}

    def _open_invoice(self, sub: SandboxSubscription, now: datetime, *, reason: str,
                      amount: int, start: datetime, end: datetime,
                      retry_at: datetime | None) -> None:
        """A new open invoice whose first attempt is decided (not charged yet)."""
        invoice_id = f"in_sb{secrets.token_hex(10)}"
        sub.meta = {**meta_of(sub), "first_failed_at": None, "invoice": {
            "id": invoice_id, "billing_reason": reason, "amount_due": amount, "amount_paid": 0,
            "status": "open", "period_start": unix(start), "period_end": unix(end),
            "attempt_count": 0, "next_payment_attempt": None, "intent_id": "",
            "created": unix(now)}}
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
                now: datetime, *, payment: dict[str, Any] | None = None
                ) -> list[dict[str, Any]]:
        """Events of ``sub`` as it is now, each created strictly after the one before.
        ``payment``: its latest invoice's intent when the caller has it (else it is read)."""
        meta = meta_of(sub)
        if payment is None:
            payment = self._payment(session, meta.get("invoice"))
        stamp = int(meta.get("last_event", 0))
        events = []
        for event_type in types:
            stamp = max(unix(now), stamp + 1)
            obj = (invoice_object(sub, meta["invoice"], payment)
                   if event_type.startswith("invoice.") else subscription_object(sub, payment))
            events.append({"id": f"evt_sb_{secrets.token_hex(12)}", "object": "event",
                           "type": event_type, "created": stamp, "livemode": False,
                           "data": {"object": obj}})
        sub.meta = {**meta_of(sub), "last_event": stamp}
        return events

    def _send(self, events: list[dict[str, Any]]) -> None:
        for event in events:
            body = json.dumps(event, separators=(",", ":")).encode()
            headers = {**self._payments.sign_body(body), "content-type": "application/json"}
            self._deliver(SignedEvent(body, headers))

    def _answer(self, session: Session, sub: SandboxSubscription) -> ProcessorSubscription:
        payment = self._payment(session, meta_of(sub).get("invoice"))
        parsed = parse_subscription(subscription_object(sub, payment))
        return replace(parsed, card_brand="visa" if sub.card_number else "",
                       card_last4=sub.card_number[-4:])

    def _payment(self, session: Session, invoice: dict[str, Any] | None
                 ) -> dict[str, Any] | None:
        """The payment intent of ``invoice`` as the sandbox has it now."""
        if not invoice or not invoice.get("intent_id"):
            return None
        with session.no_autoflush:
            intent = session.get(SandboxIntent, invoice["intent_id"], populate_existing=True)
        return payment_of_intent(intent) if intent is not None else None
