"""localstripe compatibility for :mod:`commerce_dash.payments.stripe_subscriptions` (and the
raw Stripe-object helpers and metadata marks the Stripe subscription modules share).

localstripe (``localstripe_compat``: on when ``api_base`` is set, as for StripeProcessor) speaks
an older, smaller dialect, and the Stripe subscription modules bridge it:


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

from collections.abc import Mapping
from typing import Any

import stripe

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


def as_stripe_subscription(raw: dict[str, Any], now: float) -> dict[str, Any]:
    """A localstripe subscription in the shape real Stripe gives: the period the app should
    see (the item's marks), ``canceled_at``, a pause read back as ``pause_collection``, and
    ``trialing`` with the trial as its period before any invoice."""
    items = _map(raw.get("items")).get("data") or []
    period = _period(_map(items[0]).get("metadata")) if items else None
    if period is not None:
        raw["current_period_start"], raw["current_period_end"] = period
    if raw.get("status") == "canceled" and not raw.get("canceled_at"):
        raw["canceled_at"] = raw.get("ended_at")
    trial_end = _int(raw.get("trial_end"))
    if trial_end > now + PAUSED_BEYOND_DAYS * 86_400:
        raw["pause_collection"] = {"behavior": "void", "resumes_at": None}
    if (raw.get("status") == "incomplete" and not raw.get("latest_invoice")
            and trial_end > now):
        raw["status"] = "trialing"
        raw["current_period_start"] = _int(raw.get("start_date")) or _int(raw.get("created"))
        raw["current_period_end"] = trial_end
    return raw

