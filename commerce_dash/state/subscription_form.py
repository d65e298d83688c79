"""What the subscription pages show of plans and quotes, and what they read from a form:
plain strings for state vars, no Reflex."""

from __future__ import annotations

from datetime import date, datetime

from commerce_dash.domain.dates import DAY, when
from commerce_dash.domain.identifiers import parse_id
from commerce_dash.domain.money import format_minor
from commerce_dash.domain.pricing import Interval
from commerce_dash.domain.subscriptions import period_bounds
from commerce_dash.payments.sandbox import CardInput
from commerce_dash.payments.sandbox_cards import card_error
from commerce_dash.services import commerce as commerce_area

INTERVALS = {  # interval -> (label, one period)
    "monthly": ("Monthly", "month"),
    "quarterly": ("Quarterly", "quarter"),
    "annual": ("Annual", "year"),
}
MAX_TEXT = 200  # no code, region or postal code is longer

def interval_label(interval: str) -> str:
    return INTERVALS.get(interval, (interval.title(), interval))[0]


def interval_period(interval: str) -> str:
    return INTERVALS.get(interval, (interval, interval))[1]


def form_text(form: object, name: str) -> str:
    """A field of a submitted form, bounded, without NULs; "" when the form or the field is
    no text (a forged event can send any JSON)."""
    value = form.get(name, "") if isinstance(form, dict) else ""
    if not isinstance(value, str):
        return ""
    return value.replace("\x00", "").strip()[:MAX_TEXT]


def card_from_form(form: object) -> tuple[str, str]:
    """(the sandbox payment method: the card number, the message when the card's details are
    not right)."""
    number = form_text(form, "card_number").replace(" ", "").replace("-", "")
    month_text, _, year_text = form_text(form, "expiry").replace(" ", "").partition("/")
    month, year = parse_id(month_text, high=12), parse_id(year_text, high=9999)
    if not number:
        return "", "Enter the card number."
    if month is None or year is None:
        return "", "Enter the expiry as MM/YY."
    problem = card_error(CardInput(number, month, year, form_text(form, "cvc")), date.today())
    if problem is not None:
        return "", problem[1]
    return number, ""


def plan_row(plan: commerce_area.PlanOption) -> dict[str, str]:
    return {
        "id": str(plan.price_id),
        "interval": interval_label(plan.interval),
        "per": interval_period(plan.interval),
        "price": format_minor(plan.amount, plan.currency),
        "trial": f"{plan.trial_days}-day free trial" if plan.trial_days else "",
        "subdepartments": "Includes subdepartments" if plan.includes_subdepartments else "",
    }


def quote_labels(q: commerce_area.PlanQuote, now: datetime) -> dict[str, str]:
    """What the summary shows of a quote: every amount is the quote's own."""
    money = lambda amount: format_minor(amount, q.currency)  # noqa: E731
    per = interval_period(q.interval)
    first = q.terms.first()
    discount = ""
    if q.discount_code and q.terms.discount:
        discount = (f"{q.discount_code}: − {money(q.terms.discount)} "
                    + ("every period" if q.terms.duration == "forever" else "on the first period"))
    if q.trial_ends_at is not None:
        starts = q.trial_ends_at
        today = money(0)
        if q.first_total != q.renewal_total:
            then = (f"then {money(q.first_total)} on {when(starts, DAY)}, and "
                    f"{money(q.renewal_total)} every {per} after that")
        else:
            then = f"then {money(q.renewal_total)} every {per} from {when(starts, DAY)}"
    else:
        starts = period_bounds(now, Interval(q.interval), 0)[1]
        today = money(q.first_total)
        then = f"then {money(q.renewal_total)} every {per} from {when(starts, DAY)}"
    return {
        "price": money(first.list_amount),
        "discount": discount,
        "tax": money(first.tax),
        "tax_label": q.tax_label or "Tax",
        "first_total": money(q.first_total),
        "renewal_total": money(q.renewal_total),
        "today": today,
        "then": then,
        "trial": (f"Free until {when(q.trial_ends_at, DAY)} ({q.trial_days}-day trial)"
                  if q.trial_ends_at else ""),
    }
