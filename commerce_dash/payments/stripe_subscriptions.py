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
* change_amount: see :mod:`commerce_dash.payments.stripe_plan_changes`;
* update_payment_method: attach, default for the customer and the subscription, then pay the
  open invoice if there is one (a decline shows on that invoice, not as an error).

localstripe (``localstripe_compat``: on when ``api_base`` is set, as for StripeProcessor) speaks
an older, smaller dialect: :mod:`commerce_dash.payments.stripe_localstripe` says how these
modules bridge it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import stripe

from commerce_dash.payments.base import (
    CreateSubscription,
    ProcessorError,
    ProcessorSubscription,
)
from commerce_dash.payments.events import parse_subscription
from commerce_dash.payments.stripe_localstripe import (
    BILLING_REASON,
    CHANGE_KEY,
    CHARGE_KEY,
    INTERVALS,
    PAUSE_TRIAL_DAYS,
    PAUSED_BEYOND_DAYS,
    PERIOD_END,
    PERIOD_START,
    _dict,
    _id,
    _int,
    _map,
    _period,
    _str,
    as_stripe_subscription,
)
from commerce_dash.payments.stripe_plan_changes import StripePlanChanges
from commerce_dash.payments.stripe_processor import StripeProcessor, processor_error

if TYPE_CHECKING:
    from commerce_dash.settings import Settings

__all__ = ["BILLING_REASON", "CHANGE_KEY", "CHARGE_KEY", "INTERVALS", "PAUSED_BEYOND_DAYS",
           "PAUSE_TRIAL_DAYS", "PERIOD_END", "PERIOD_START", "StripeSubscriptions"]

_EXPAND = ["latest_invoice.payment_intent", "customer.invoice_settings.default_payment_method"]


class StripeSubscriptions(StripePlanChanges):
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
        return as_stripe_subscription(raw, self._now())

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
