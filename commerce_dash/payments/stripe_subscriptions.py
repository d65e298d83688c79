"""Stripe Subscriptions behind :class:`~commerce_dash.payments.base.SubscriptionProcessor`.

Stripe owns the billing schedule; the app learns what happened from signed ``invoice.*`` and
``customer.subscription.*`` events, parsed by :mod:`commerce_dash.payments.events` (as is every
object returned here). The client, its settings and the error mapping are
:class:`~commerce_dash.payments.stripe_processor.StripeProcessor`'s: card errors become a
non-retryable :class:`ProcessorError` carrying the decline code and message, network trouble,
429 and 5xx a retryable one.

How each call maps onto Stripe:

* create: a Customer (idempotency key ``<key>-customer``), the card attached and made the
  customer's default, a recurring price for the amount (monthly: 1 month, quarterly: 3 months,
  annual: 1 year), a once-only ``amount_off`` Coupon when the first period costs less, a trial
  as ``trial_end`` (= now + trial days; Stripe and localstripe both honour it), and
  ``latest_invoice.payment_intent`` expanded so the first payment's client secret, intent and
  status (3-D Secure included) come back. With a card Stripe charges at once
  (``allow_incomplete``); without one the first invoice's intent collects it
  (``default_incomplete``);
* cancel: ``cancel_at_period_end`` (undone by setting it back), or ``DELETE`` now;
* pause: ``pause_collection[behavior]=void`` (nothing is charged while paused); resume clears
  it and sets ``trial_end`` to the paid period's end (extended by the pause) with
  ``proration_behavior=none``, so the next charge falls exactly there and nothing is prorated;
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
  a ``charge_now`` there is the InvoiceItem + Invoice above;
* update_payment_method: attach, default for the customer and the subscription, then pay the
  open invoice if there is one (a decline shows on that invoice, not as an error).

localstripe (``localstripe_compat``: on when ``api_base`` is set, as for StripeProcessor) speaks
an older, smaller dialect, and this module bridges it:

* no Prices: a Plan (``interval_count`` kept, but localstripe computes every period as one
  interval, so a quarterly plan's period reads one month there);
* no ``coupon``/``discounts`` on subscriptions: the first-period discount is a negative pending
  InvoiceItem, which the first invoice sweeps in (the same amount due);
* no ``default_incomplete`` (``allow_incomplete`` only) and no subscription without a card
  unless it has a trial; no ``default_payment_method`` on subscriptions (the customer's
  default pays); no ``proration_behavior`` on updates and a plan change always adds "Unused
  time" proration items: we delete the pending ones of the subscription;
* no ``pause_collection`` (and metadata updates of a subscription are ignored): a pause is a
  ``trial_end`` two years out (no invoice falls due; Stripe accepts the same as a free period
  and it is the older way to skip billing), read back as ``pause_collection`` when more than
  a year and a half away so the parsed subscription says paused; resume sets ``trial_end``
  to the new period end;
* a manual invoice always carries the subscription's price line: the charge-now invoice gets a
  negative item of that price so it comes to exactly ``charge_now``; its metadata is set by an
  update (localstripe drops metadata on create);
* status never ``trialing`` and no ``billing_reason``: a trialing subscription with no invoice
  yet is read as ``trialing`` (its period the trial), and the first invoice of a subscription
  as ``subscription_create``, the charge-now invoice as ``subscription_update`` (stored in its
  metadata), any other as ``subscription_cycle``.

* no ``billing_cycle_anchor`` on updates and the period is always computed from the
  subscription's start: a restart or change of interval puts a new plan on the item with the
  period the app should see in the item's metadata (``commerce_period_start``/``_end``, with the
  change's key), read back as ``current_period_start``/``_end``; the paying invoice carries the
  same period in its metadata, read back as its line period. A change of interval always
  makes localstripe invoice at once (pending items, minus every earlier invoice's subtotal as
  "Unused time", plus the new plan): an InvoiceItem made first brings that invoice to exactly
  ``charge_now`` (0 for a downgrade: a paid invoice of 0, nothing charged) and it is tagged as
  the charge-now invoice; a restart in the same interval uses the charge-now invoice above.

No test clocks in localstripe: renewals and dunning are driven by signed events in tests.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import stripe

from commerce_dash.domain.pricing import Interval
from commerce_dash.domain.subscriptions import period_bounds
from commerce_dash.payments.base import (
    CreateSubscription,
    ProcessorError,
    ProcessorSubscription,
)
from commerce_dash.payments.events import parse_subscription
from commerce_dash.payments.stripe_processor import StripeProcessor, processor_error

if TYPE_CHECKING:
    from commerce_dash.settings import Settings

# Our interval -> Stripe's (interval, interval_count).
INTERVALS: dict[str, tuple[str, int]] = {
    "monthly": ("month", 1),
    "quarterly": ("month", 3),
    "annual": ("year", 1),
}
# localstripe: a pause is a trial_end PAUSE_TRIAL_DAYS out (Stripe's longest trial); one more
# than PAUSED_BEYOND_DAYS away reads as paused (a resumed annual period ends within a year).
PAUSE_TRIAL_DAYS = 730
PAUSED_BEYOND_DAYS = 547
CHARGE_KEY = "commerce_idempotency_key"
# localstripe: on the subscription item, the key of the change that made it, and the period
# the app should see (also on the invoice that paid for it)
CHANGE_KEY = "commerce_change_key"
PERIOD_START = "commerce_period_start"
PERIOD_END = "commerce_period_end"
BILLING_REASON = "commerce_billing_reason"
_EXPAND = ["latest_invoice.payment_intent", "customer.invoice_settings.default_payment_method"]


def _dict(obj: Any) -> dict[str, Any]:
    if isinstance(obj, stripe.StripeObject):
        return obj.to_dict()
    return dict(obj) if isinstance(obj, Mapping) else {}


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _map(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, Mapping) else {}


def _id(value: Any) -> str:
    return _str(value) or _str(_map(value).get("id"))


def _period(metadata: Any) -> tuple[int, int] | None:
    """The (start, end) stored in localstripe metadata, if any."""
    marks = _map(metadata)
    try:
        start, end = int(_str(marks.get(PERIOD_START))), int(_str(marks.get(PERIOD_END)))
    except ValueError:
        return None
    return (start, end) if 0 < start < end else None


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


class StripeSubscriptions:
    """:class:`~commerce_dash.payments.base.SubscriptionProcessor` on Stripe Subscriptions."""

    name = "stripe"

    def __init__(self, payments: StripeProcessor, *, now: Callable[[], float] = time.time
                 ) -> None:
        self._payments = payments
        self._client: stripe.StripeClient = payments.client
        self.localstripe_compat = payments.localstripe_compat
        self._now = now

    @classmethod
    def from_settings(cls, settings: Settings) -> StripeSubscriptions:
        return cls(StripeProcessor.from_settings(settings))

    def __repr__(self) -> str:  # never the keys
        return f"StripeSubscriptions({self._payments!r})"

    # -- plumbing ------------------------------------------------------------------------

    def _call(self, call: Callable[[], Any]) -> dict[str, Any]:
        try:
            return _dict(call())
        except stripe.StripeError as err:
            raise processor_error(err) from err

    def _subscription(self, subscription_id: str) -> ProcessorSubscription:
        raw = self._call(lambda: self._client.v1.subscriptions.retrieve(
            subscription_id, {"expand": _EXPAND}))
        return self._parsed(raw)

    def _parsed(self, raw: dict[str, Any]) -> ProcessorSubscription:
        raw = self._normalised(raw)
        customer = _map(raw.get("customer"))
        method = _map(_map(customer.get("invoice_settings")).get("default_payment_method"))
        method = _map(raw.get("default_payment_method")) or method
        card = _map(method.get("card"))
        sub = parse_subscription(raw)
        return replace(sub, card_brand=_str(card.get("brand")), card_last4=_str(card.get("last4")))

    def _normalised(self, raw: dict[str, Any]) -> dict[str, Any]:
        """The subscription in the shape real Stripe gives (see the module docstring)."""
        raw = dict(raw)
        invoice = _map(raw.get("latest_invoice"))
        if invoice:
            raw["latest_invoice"] = self._invoice_shape(invoice, raw)
        if not self.localstripe_compat:
            return raw
        items = _map(raw.get("items")).get("data") or []
        period = _period(_map(items[0]).get("metadata")) if items else None
        if period is not None:
            raw["current_period_start"], raw["current_period_end"] = period
        if raw.get("status") == "canceled" and not raw.get("canceled_at"):
            raw["canceled_at"] = raw.get("ended_at")
        trial_end = _int(raw.get("trial_end"))
        if trial_end > self._now() + PAUSED_BEYOND_DAYS * 86_400:
            raw["pause_collection"] = {"behavior": "void", "resumes_at": None}
        if (raw.get("status") == "incomplete" and not raw.get("latest_invoice")
                and trial_end > self._now()):
            raw["status"] = "trialing"
            raw["current_period_start"] = _int(raw.get("start_date")) or _int(raw.get("created"))
            raw["current_period_end"] = trial_end
        return raw

    def _invoice_shape(self, invoice: dict[str, Any], subscription: Mapping[str, Any]
                       ) -> dict[str, Any]:
        invoice = dict(invoice)
        if not invoice.get("subscription"):  # newer API versions: under parent
            details = _map(_map(invoice.get("parent")).get("subscription_details"))
            if details.get("subscription"):
                invoice["subscription"] = details["subscription"]
        if self.localstripe_compat and not invoice.get("billing_reason"):
            reason = _str(_map(invoice.get("metadata")).get(BILLING_REASON))
            if not reason and invoice.get("subscription"):
                start = _int(subscription.get("start_date"))
                first = bool(start) and _int(invoice.get("period_start")) == start
                reason = "subscription_create" if first else "subscription_cycle"
            invoice["billing_reason"] = reason or "manual"
        period = _period(invoice.get("metadata")) if self.localstripe_compat else None
        lines = _map(invoice.get("lines"))
        if period is not None and lines.get("data"):
            head = {**_map(lines["data"][0]), "period": {"start": period[0], "end": period[1]}}
            invoice["lines"] = {**lines, "data": [head, *lines["data"][1:]]}
        return invoice

    def _price_item(self, request_currency: str, amount: int, interval: str, product_name: str,
                    idempotency_key: str) -> dict[str, Any]:
        """A subscription item for ``amount`` every ``interval``."""
        try:
            unit, count = INTERVALS[interval]
        except KeyError:
            raise ProcessorError("invalid_interval",
                                 f"No billing interval called {interval!r}.") from None
        currency = request_currency.lower()
        if self.localstripe_compat:
            plan = self._call(lambda: self._client.v1.plans.create(
                {"amount": amount, "currency": currency, "interval": unit,  # type: ignore[typeddict-item]
                 "interval_count": count, "product": {"name": product_name}},
                {"idempotency_key": f"{idempotency_key}-plan"}))
            return {"plan": _str(plan.get("id"))}
        product = self._call(lambda: self._client.v1.products.create(
            {"name": product_name}, {"idempotency_key": f"{idempotency_key}-product"}))
        return {"price_data": {"currency": currency, "product": _str(product.get("id")),
                               "unit_amount": amount,
                               "recurring": {"interval": unit, "interval_count": count}}}

    def _set_default_method(self, customer_id: str, payment_method: str) -> None:
        # A card already on this customer attaches again without harm; a decline at attach
        # (a card that cannot be saved) is a CardError, mapped to ProcessorError.
        self._call(lambda: self._client.v1.payment_methods.attach(
            payment_method, {"customer": customer_id}))
        self._call(lambda: self._client.v1.customers.update(
            customer_id, {"invoice_settings": {"default_payment_method": payment_method}}))

    # -- Stripe-shaped objects (for webhooks, reconciliation and tests) -------------------

    def subscription_object(self, subscription_id: str) -> dict[str, Any]:
        """The subscription as Stripe-shaped data (latest invoice and its intent expanded),
        what ``customer.subscription.*`` events carry."""
        raw = self._call(lambda: self._client.v1.subscriptions.retrieve(
            subscription_id, {"expand": _EXPAND}))
        return self._normalised(raw)

    def invoice_object(self, invoice_id: str) -> dict[str, Any]:
        """An invoice as Stripe-shaped data (its intent expanded), what ``invoice.*`` events
        carry."""
        invoice = self._call(lambda: self._client.v1.invoices.retrieve(
            invoice_id, {"expand": ["payment_intent"]} if self.localstripe_compat else None))
        subscription: dict[str, Any] = {}
        shaped = self._invoice_shape(invoice, {})
        if self.localstripe_compat and _str(shaped.get("subscription")):
            subscription_id = _str(shaped["subscription"])
            subscription = self._call(lambda: self._client.v1.subscriptions.retrieve(
                subscription_id))
        return self._invoice_shape(invoice, subscription) if subscription else shaped

    def invoice_ids(self, subscription_id: str) -> list[str]:
        """The subscription's invoices, newest first."""
        listed = self._call(lambda: self._client.v1.invoices.list(
            {"subscription": subscription_id, "limit": 100}))
        return [_str(_map(i).get("id")) for i in listed.get("data") or []]

    # -- the protocol --------------------------------------------------------------------

    def create_subscription(self, request: CreateSubscription) -> ProcessorSubscription:
        key = request.idempotency_key
        metadata = {str(k): str(v) for k, v in request.metadata.items()}
        customer = self._call(lambda: self._client.v1.customers.create(
            {"email": request.customer_email, "name": request.customer_name,
             "metadata": metadata}, {"idempotency_key": f"{key}-customer"}))
        customer_id = _str(customer.get("id"))
        if request.payment_method:
            self._set_default_method(customer_id, request.payment_method)
        item = self._price_item(request.currency, request.amount, request.interval,
                                request.description or "Subscription", key)
        params: dict[str, Any] = {"customer": customer_id, "items": [item],
                                  "metadata": metadata, "expand": _EXPAND}
        if request.trial_days > 0:
            params["trial_end"] = int(self._now()) + request.trial_days * 86_400
        discount = request.amount - request.first_amount
        if self.localstripe_compat:
            params["payment_behavior"] = "allow_incomplete"
            if discount > 0:
                self._call(lambda: self._client.v1.invoice_items.create(
                    {"customer": customer_id, "amount": -discount,
                     "currency": request.currency.lower(),
                     "description": "First-period discount"},
                    {"idempotency_key": f"{key}-first-discount"}))
        else:
            params["payment_behavior"] = ("allow_incomplete" if request.payment_method
                                          else "default_incomplete")
            if request.description:
                params["description"] = request.description
            if discount > 0:
                coupon = self._call(lambda: self._client.v1.coupons.create(
                    {"amount_off": discount, "currency": request.currency.lower(),
                     "duration": "once", "name": "First-period discount"},
                    {"idempotency_key": f"{key}-coupon"}))
                params["discounts"] = [{"coupon": _str(coupon.get("id"))}]
        raw = self._call(lambda: self._client.v1.subscriptions.create(
            params,  # type: ignore[arg-type]  # built per dialect
            {"idempotency_key": f"{key}-subscription"}))
        return self._parsed(raw)

    def retrieve_subscription(self, subscription_id: str) -> ProcessorSubscription:
        return self._subscription(subscription_id)

    def _update(self, subscription_id: str, params: dict[str, Any]) -> ProcessorSubscription:
        raw = self._call(lambda: self._client.v1.subscriptions.update(
            subscription_id, {**params, "expand": _EXPAND}))  # type: ignore[arg-type]
        return self._parsed(raw)

    def cancel_subscription(self, subscription_id: str, *, at_period_end: bool
                            ) -> ProcessorSubscription:
        if at_period_end:
            return self._update(subscription_id, {"cancel_at_period_end": True})
        self._call(lambda: self._client.v1.subscriptions.cancel(subscription_id))
        return self._subscription(subscription_id)

    def undo_cancel(self, subscription_id: str) -> ProcessorSubscription:
        return self._update(subscription_id, {"cancel_at_period_end": False})

    def pause_subscription(self, subscription_id: str) -> ProcessorSubscription:
        if self.localstripe_compat:
            until = int(self._now()) + PAUSE_TRIAL_DAYS * 86_400
            return self._update(subscription_id, {"trial_end": until})
        return self._update(subscription_id, {"pause_collection": {"behavior": "void"}})

    def resume_subscription(self, subscription_id: str, *, period_end: int
                            ) -> ProcessorSubscription:
        if self.localstripe_compat:
            return self._update(subscription_id, {"trial_end": period_end})
        return self._update(subscription_id, {"pause_collection": "", "trial_end": period_end,
                                              "proration_behavior": "none"})

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

    def update_payment_method(self, subscription_id: str, payment_method: str
                              ) -> ProcessorSubscription:
        raw = self._call(lambda: self._client.v1.subscriptions.retrieve(
            subscription_id, {"expand": ["latest_invoice"]}))
        customer_id = _id(raw.get("customer"))
        self._set_default_method(customer_id, payment_method)
        if not self.localstripe_compat:
            self._call(lambda: self._client.v1.subscriptions.update(
                subscription_id, {"default_payment_method": payment_method}))
        invoice = _map(raw.get("latest_invoice"))
        if invoice.get("status") == "open":
            self._pay(_str(invoice.get("id")))
        return self._subscription(subscription_id)
