"""Changes of plan on Stripe Subscriptions (``change_amount`` of
:class:`~commerce_dash.payments.stripe_subscriptions.StripeSubscriptions`), for real Stripe and
localstripe (see :mod:`commerce_dash.payments.stripe_localstripe`).

* change_amount: the subscription item moves to a price of the new amount with
  ``proration_behavior=none`` (from the next period on); ``charge_now`` is an InvoiceItem plus
  an Invoice of the subscription, paid at once. The invoice carries our key in its metadata and
  a retry finds it there (Stripe forgets idempotency keys after 24 hours). ``interval`` moves
  the item to a price of that interval. ``restart_period``: the item update carries
  ``billing_cycle_anchor={"type": "now"}`` (the SDK's shape for the pinned API version) and
  ``proration_behavior=none``; Stripe then ends the period now, starts one of the new interval
  and invoices it at once (``subscription_update``), sweeping in a pending InvoiceItem of
  ``charge_now - amount`` made just before, so that invoice is exactly ``charge_now``; the
  invoice is tagged with our key afterwards. Another interval without a restart is deferred
  with a SubscriptionSchedule (``from_subscription``; phase one the current price until the
  period end, phase two the new price for one interval, then ``end_behavior=release``),
  because Stripe resets the cycle and invoices at once on any item update to another interval;
  a ``charge_now`` there is the InvoiceItem + Invoice above.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import stripe

from commerce_dash.domain.pricing import Interval
from commerce_dash.domain.subscriptions import period_bounds
from commerce_dash.payments.base import ProcessorError, ProcessorSubscription
from commerce_dash.payments.stripe_localstripe import (
    BILLING_REASON,
    CHANGE_KEY,
    CHARGE_KEY,
    INTERVALS,
    PERIOD_END,
    PERIOD_START,
    _id,
    _int,
    _map,
    _str,
)
from commerce_dash.payments.stripe_processor import processor_error


@dataclass(frozen=True)
class _Change:
    """What change_amount works on: the subscription's one item and the new terms."""

    subscription_id: str
    customer_id: str
    item_id: str
    price_id: str
    quantity: int
    currency: str
    name: str
    amount: int
    interval: str
    charge_now: int
    key: str
    period_start: int
    period_end: int



class StripePlanChanges:
    """``change_amount`` and what it needs, mixed into StripeSubscriptions (which gives the
    client, the dialect flag, the clock and the calls declared below)."""

    _client: stripe.StripeClient
    localstripe_compat: bool
    _now: Callable[[], float]

    if TYPE_CHECKING:
        def _call(self, call: Callable[[], Any]) -> dict[str, Any]: ...

        def _subscription(self, subscription_id: str) -> ProcessorSubscription: ...

        def _normalised(self, raw: dict[str, Any]) -> dict[str, Any]: ...

        def _price_item(self, request_currency: str, amount: int, interval: str,
                        product_name: str, idempotency_key: str) -> dict[str, Any]: ...

    def change_amount(self, subscription_id: str, *, amount: int, charge_now: int,
                      idempotency_key: str, interval: str = "",
                      restart_period: bool = False) -> ProcessorSubscription:
        key = idempotency_key
        raw = self._normalised(self._call(lambda: self._client.v1.subscriptions.retrieve(
            subscription_id, {"expand": ["items.data.price.product"]}
            if not self.localstripe_compat else None)))
        items = _map(raw.get("items")).get("data") or []
        item = _map(items[0]) if items else {}
        price = _map(item.get("price")) or _map(item.get("plan"))
        recurring = _map(price.get("recurring"))
        current_interval = {v: k for k, v in INTERVALS.items()}.get(
            (_str(recurring.get("interval")) or _str(price.get("interval")),
             _int(recurring.get("interval_count")) or _int(price.get("interval_count")) or 1),
            "monthly")
        new_interval = interval or current_interval
        if new_interval not in INTERVALS:
            raise ProcessorError("invalid_interval",
                                 f"No billing interval called {new_interval!r}.")
        change = _Change(
            subscription_id=subscription_id, customer_id=_id(raw.get("customer")),
            item_id=_str(item.get("id")), price_id=_str(price.get("id")),
            quantity=_int(item.get("quantity")) or 1,
            currency=_str(price.get("currency")) or _str(raw.get("currency")),
            name=(_str(_map(price.get("product")).get("name")) or _str(raw.get("description"))
                  or "Subscription"),
            amount=amount, interval=new_interval, charge_now=charge_now, key=key,
            period_start=_int(raw.get("current_period_start"))
            or _int(item.get("current_period_start")),
            period_end=_int(raw.get("current_period_end"))
            or _int(item.get("current_period_end")))
        current = _int(price.get("unit_amount")) or _int(price.get("amount"))
        moves = current != amount or new_interval != current_interval
        if self.localstripe_compat and (restart_period or new_interval != current_interval):
            self._change_localstripe(change, restart_period=restart_period,
                                     changes_interval=new_interval != current_interval,
                                     done=_str(_map(item.get("metadata")).get(CHANGE_KEY)) == key)
        elif restart_period:
            self._restart(change)
        elif new_interval != current_interval:
            self._schedule_next_period(change, _id(raw.get("schedule")))
            if charge_now > 0:
                self._charge_now(change.subscription_id, change.customer_id, change.currency,
                                 charge_now, current, change.period_end, key)
        else:
            if moves:  # a retry after the move finds it done
                new_item = self._price_item(change.currency, amount, new_interval, change.name,
                                            f"{key}-amount")
                update: dict[str, Any] = {"items": [{"id": change.item_id, **new_item}]}
                if self.localstripe_compat:
                    update["prorate"] = False
                else:
                    update["proration_behavior"] = "none"
                self._call(lambda: self._client.v1.subscriptions.update(
                    subscription_id, update))  # type: ignore[arg-type]
                if self.localstripe_compat:
                    self._drop_prorations(change.customer_id, subscription_id)
            if charge_now > 0:
                self._charge_now(subscription_id, change.customer_id, change.currency,
                                 charge_now, amount, change.period_end, key)
        return self._subscription(subscription_id)

    def _restart(self, change: _Change) -> None:
        """Real Stripe: the new price with ``billing_cycle_anchor={"type": "now"}`` and
        ``proration_behavior=none``; Stripe itself invoices the new period at once (reason
        ``subscription_update``) and sweeps in a pending item of ``charge_now - amount``
        made just before, so that invoice comes to exactly ``charge_now``."""
        key = change.key
        invoice = self._invoice_with_key(change.subscription_id, key)
        if invoice is None:
            adjustment = change.charge_now - change.amount
            if adjustment:
                self._call(lambda: self._client.v1.invoice_items.create(
                    {"customer": change.customer_id, "subscription": change.subscription_id,
                     "amount": adjustment, "currency": change.currency,
                     "description": "Unused time of the previous plan"
                     if adjustment < 0 else "Change of plan"},
                    {"idempotency_key": f"{key}-restart-adjustment"}))
            new_item = self._price_item(change.currency, change.amount, change.interval,
                                        change.name, f"{key}-amount")
            params: dict[str, Any] = {
                "items": [{"id": change.item_id, **new_item}],
                "billing_cycle_anchor": {"type": "now"}, "proration_behavior": "none",
                "payment_behavior": "allow_incomplete", "expand": ["latest_invoice"]}
            raw = self._call(lambda: self._client.v1.subscriptions.update(
                change.subscription_id, params,  # type: ignore[arg-type]
                {"idempotency_key": f"{key}-restart"}))
            invoice_id = _id(raw.get("latest_invoice"))
            if invoice_id:
                invoice = self._call(lambda: self._client.v1.invoices.update(
                    invoice_id, {"metadata": {CHARGE_KEY: key,
                                              BILLING_REASON: "subscription_update"}}))
        if invoice is not None and invoice.get("status") in ("draft", "open"):
            self._pay(_str(invoice.get("id")))

    def _schedule_next_period(self, change: _Change, schedule_id: str) -> None:
        """Real Stripe: another interval from the next period on, without touching the paid
        one (an item update to another interval would reset the cycle and invoice at once):
        a subscription schedule whose current phase (the current price) ends at the period
        end and whose next phase is the new price, released after it."""
        key = change.key
        if not schedule_id:
            schedule = self._call(lambda: self._client.v1.subscription_schedules.create(
                {"from_subscription": change.subscription_id},
                {"idempotency_key": f"{key}-schedule"}))
            schedule_id = _str(schedule.get("id"))
        else:
            schedule = self._call(lambda: self._client.v1.subscription_schedules.retrieve(
                schedule_id))
        phase_start = (_int(_map(schedule.get("current_phase")).get("start_date"))
                       or change.period_start)
        new_item = self._price_item(change.currency, change.amount, change.interval,
                                    change.name, f"{key}-amount")
        unit, count = INTERVALS[change.interval]
        phases: dict[str, Any] = {"end_behavior": "release", "proration_behavior": "none",
                                  "phases": [
            {"items": [{"price": change.price_id, "quantity": change.quantity}],
             "start_date": phase_start, "end_date": change.period_end},
            {"items": [{**new_item, "quantity": change.quantity}],
             "duration": {"interval": unit, "interval_count": count}},
        ]}
        self._call(lambda: self._client.v1.subscription_schedules.update(
            schedule_id, phases,  # type: ignore[arg-type]
            {"idempotency_key": f"{key}-schedule-phases"}))

    def _change_localstripe(self, change: _Change, *, restart_period: bool,
                            changes_interval: bool, done: bool) -> None:
        """localstripe: a new plan whose item carries the period the app should see (see the
        module docstring); a change of interval makes localstripe invoice at once, offset so
        that invoice comes to exactly ``charge_now``."""
        key = change.key
        invoice = self._invoice_with_key(change.subscription_id, key)
        if restart_period:
            now = datetime.fromtimestamp(int(self._now()), UTC)
            start, end = period_bounds(now, Interval(change.interval), 0)
            period = (int(start.timestamp()), int(end.timestamp()))
        else:
            period = (change.period_start, change.period_end)
        metadata = {CHARGE_KEY: key, BILLING_REASON: "subscription_update",
                    PERIOD_START: str(period[0]), PERIOD_END: str(period[1])}
        if invoice is None and not done:
            plan = self._price_item(change.currency, change.amount, change.interval,
                                    change.name, f"{key}-amount")
            if changes_interval:
                # localstripe's invoice: pending items, "Unused time" of every earlier invoice
                # of the subscription, and the new plan
                pending = self._call(lambda: self._client.v1.invoice_items.list(
                    {"customer": change.customer_id, "limit": 100}))
                earlier = self._call(lambda: self._client.v1.invoices.list(
                    {"subscription": change.subscription_id, "limit": 100}))
                due = (change.amount
                       + sum(_int(_map(i).get("amount")) for i in pending.get("data") or []
                             if not _map(i).get("invoice"))
                       - sum(_int(_map(i).get("subtotal")) for i in earlier.get("data") or []))
                offset = change.charge_now - due
                if offset:
                    self._call(lambda: self._client.v1.invoice_items.create(
                        {"customer": change.customer_id, "amount": offset,
                         "currency": change.currency,
                         "description": "localstripe: brings the invoice to the charge"},
                        {"idempotency_key": f"{key}-offset"}))
            marks = {CHANGE_KEY: key, PERIOD_START: str(period[0]), PERIOD_END: str(period[1])}
            update: dict[str, Any] = {"items": [{"id": change.item_id, **plan,
                                                 "metadata": marks}], "prorate": False}
            self._call(lambda: self._client.v1.subscriptions.update(
                change.subscription_id, update))  # type: ignore[arg-type]
            if not changes_interval:
                self._drop_prorations(change.customer_id, change.subscription_id)
        if invoice is None and changes_interval:  # localstripe's own invoice is the charge
            raw = self._call(lambda: self._client.v1.subscriptions.retrieve(
                change.subscription_id))
            invoice_id = _id(raw.get("latest_invoice"))
            invoice = self._call(lambda: self._client.v1.invoices.update(
                invoice_id, {"metadata": metadata}))
        if invoice is None and change.charge_now > 0:
            self._charge_now(change.subscription_id, change.customer_id, change.currency,
                             change.charge_now, change.amount, period[1], key, period=period)
        elif invoice is not None and invoice.get("status") in ("draft", "open"):
            self._pay(_str(invoice.get("id")))

    def _drop_prorations(self, customer_id: str, subscription_id: str) -> None:
        pending = self._call(lambda: self._client.v1.invoice_items.list(
            {"customer": customer_id, "limit": 100}))
        for line in pending.get("data") or []:
            line = _map(line)
            if line.get("proration") and _id(line.get("subscription")) == subscription_id \
                    and not line.get("invoice"):
                try:
                    self._client.v1.invoice_items.delete(_str(line.get("id")))
                except stripe.StripeError as err:
                    raise processor_error(err) from err

    def _invoice_with_key(self, subscription_id: str, key: str) -> dict[str, Any] | None:
        listed = self._call(lambda: self._client.v1.invoices.list(
            {"subscription": subscription_id, "limit": 100}))
        for invoice in listed.get("data") or []:
            invoice = _map(invoice)
            if _map(invoice.get("metadata")).get(CHARGE_KEY) == key:
                return invoice
        return None

    def _charge_now(self, subscription_id: str, customer_id: str, currency: str, amount: int,
                    plan_amount: int, period_end: int, key: str,
                    period: tuple[int, int] | None = None) -> None:
        invoice = self._invoice_with_key(subscription_id, key)
        metadata = {CHARGE_KEY: key, BILLING_REASON: "subscription_update"}
        if period is not None and self.localstripe_compat:
            metadata.update({PERIOD_START: str(period[0]), PERIOD_END: str(period[1])})
        if invoice is None:
            now = period[0] if period is not None else int(self._now())
            line: dict[str, Any] = {
                "customer": customer_id, "subscription": subscription_id, "amount": amount,
                "currency": currency, "description": "Change of plan", "metadata": metadata}
            if period_end > now and self.localstripe_compat:
                line.update({"period_start": now, "period_end": period_end})
            elif period_end > now:
                line["period"] = {"start": now, "end": period_end}
            self._call(lambda: self._client.v1.invoice_items.create(
                line, {"idempotency_key": f"{key}-item"}))  # type: ignore[arg-type]
            params: dict[str, Any] = {"customer": customer_id, "subscription": subscription_id}
            if self.localstripe_compat:
                # localstripe adds the subscription's price line to every invoice: offset it
                self._call(lambda: self._client.v1.invoice_items.create(
                    {"customer": customer_id, "amount": -plan_amount, "currency": currency,
                     "description": "localstripe: offsets the price line"},
                    {"idempotency_key": f"{key}-offset"}))
            else:
                params.update({"metadata": metadata, "pending_invoice_items_behavior": "include",
                               "auto_advance": False})
            invoice = self._call(lambda: self._client.v1.invoices.create(
                params, {"idempotency_key": f"{key}-invoice"}))  # type: ignore[arg-type]
            invoice_id = _str(invoice.get("id"))
            if self.localstripe_compat:
                invoice = self._call(lambda: self._client.v1.invoices.update(
                    invoice_id, {"metadata": metadata}))
        if invoice.get("status") in ("draft", "open"):
            invoice_id = _str(invoice.get("id"))
            self._pay(invoice_id)

    def _pay(self, invoice_id: str) -> None:
        """Pay an invoice now; a decline stays on the invoice (its intent's last error)."""
        try:
            self._client.v1.invoices.pay(invoice_id)
        except stripe.CardError:
            return
        except stripe.StripeError as err:
            raise processor_error(err) from err
