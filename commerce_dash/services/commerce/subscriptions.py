"""Subscribing to a department's plan (issue 16): the quote the learner sees, then the
subscription at the processor.

The quote and the subscription come from the same terms (``domain.subscriptions.PlanTerms``):
the plan's price, a subscriptions-scope code (first period or every period, as the code
says) and the tax of the learner's billing address, so what the page shows is what is
charged. The subscription row is written (incomplete, holding the one-live-subscription
key) and committed before the processor is called; the processor's events then move it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from commerce_dash.domain.actor import Actor
from commerce_dash.domain.discounts import DiscountApplied, PricedLine, learner_refusal
from commerce_dash.domain.errors import DomainError, ErrorKind
from commerce_dash.domain.pricing import Interval, ItemType
from commerce_dash.domain.subscriptions import (
    PlanTerms,
    SubscriptionStatus,
    subscription_number,
    trial_end,
)
from commerce_dash.domain.tax import TaxableLine, TaxAddress
from commerce_dash.models.accounts import User
from commerce_dash.models.catalog import Department
from commerce_dash.models.pricing import DiscountCode, DiscountRedemption, Price
from commerce_dash.models.subscriptions import Subscription
from commerce_dash.payments.base import CreateSubscription, ProcessorError
from commerce_dash.services.catalog import check_code, in_force_clause
from commerce_dash.services.commerce.discount_uses import release_use, take_use
from commerce_dash.services.commerce.processor_choice import subscription_processor_name
from commerce_dash.services.commerce.subscription_clock import billing_now, subscription_processor
from commerce_dash.services.commerce.subscription_events import code_ref, record_created
from commerce_dash.services.commerce.subscription_status import live_key, transition_subscription
from commerce_dash.services.commerce.tax import quote_tax
from commerce_dash.services.platform import add_created

__all__ = [
    "PlanQuote",
    "plan_quote",
    "subscribe",
]


@dataclass(frozen=True)
class PlanQuote:
    """What subscribing to a plan costs, as the learner sees it before paying."""

    price_id: int
    department_id: int
    department_code: str
    department_name: str
    interval: str
    currency: str
    trial_days: int
    includes_subdepartments: bool
    terms: PlanTerms
    discount_code: str
    code_id: int | None
    trial_ends_at: datetime | None
    tax_label: str
    tax_provider: str
    address: TaxAddress | None

    @property
    def first_total(self) -> int:
        return self.terms.first().total

    @property
    def renewal_total(self) -> int:
        return self.terms.renewal().total


def _plan(session: Session, price_id: int, at: datetime) -> tuple[Price, Department]:
    price = session.get(Price, price_id)
    if price is None or price.item_type != ItemType.SUBSCRIPTION.value:
        raise DomainError("plan_not_found", "No such subscription plan.",
                          kind=ErrorKind.NOT_FOUND, field="price_id")
    live = session.exec(select(Price.id).where(Price.id == price_id, in_force_clause(at))).first()
    dept = session.get(Department, price.item_id)
    if live is None or dept is None or price.amount <= 0:
        raise DomainError("plan_not_available",
                          "This plan is no longer offered: choose another one.",
                          kind=ErrorKind.CONFLICT, field="price_id")
    return price, dept


def _discount(session: Session, code: str, price: Price, user_id: int | None, at: datetime
              ) -> tuple[int, str, DiscountCode | None]:
    if not code.strip():
        return 0, "", None
    line = PricedLine(key="plan", item_type=ItemType.SUBSCRIPTION.value, item_id=price.item_id,
                      department_id=price.department_id, amount=price.amount,
                      currency=price.currency)
    result = check_code(session=session, code=code, lines=[line], user_id=user_id, at=at)
    if not isinstance(result, DiscountApplied):
        error, message = learner_refusal(result)
        raise DomainError(error, message, field="code")
    row = session.exec(select(DiscountCode).where(DiscountCode.code == result.code)).one()
    return result.total, row.duration, row


def plan_quote(*, session: Session, price_id: int, code: str = "",
               address: TaxAddress | None = None, user_id: int | None = None,
               at: datetime | None = None) -> PlanQuote:
    """The first charge and the renewal of a plan for this learner, code and address."""
    at = at or billing_now(session)
    price, dept = _plan(session, price_id, at)
    discount, duration, code_row = _discount(session, code, price, user_id, at)
    email = None
    if user_id is not None:
        user = session.get(User, user_id)
        email = user.email if user else None

    def tax_of(amount: int) -> tuple[int, str, str]:
        quote = quote_tax(session=session, currency=price.currency, address=address,
                          user_id=user_id, user_email=email,
                          lines=[TaxableLine("plan", ItemType.SUBSCRIPTION.value,
                                             price.department_id, amount)])
        return quote.total, quote.label, quote.provider

    tax, label, provider = tax_of(price.amount)
    first_tax = tax_of(price.amount - discount)[0] if discount else tax
    terms = PlanTerms(unit_amount=price.amount, discount=discount,
                      duration=duration if discount else "", tax=tax, first_tax=first_tax)
    return PlanQuote(
        price_id=price_id, department_id=dept.id or 0, department_code=dept.code,
        department_name=dept.name, interval=price.interval, currency=price.currency,
        trial_days=price.trial_days, includes_subdepartments=price.includes_subdepartments,
        terms=terms, discount_code=code_row.code if code_row else "",
        code_id=code_row.id if code_row else None,
        trial_ends_at=trial_end(at, price.trial_days), tax_label=label, tax_provider=provider,
        address=address,
    )


def _existing(session: Session, user_id: int, department_id: int) -> Subscription | None:
    return session.exec(select(Subscription).where(
        Subscription.live_key == live_key(user_id, department_id))).first()


def _refuse_twice(existing: Subscription, quote: PlanQuote) -> DomainError:
    number = subscription_number(existing.id or 0)
    state = existing.status.replace("_", " ")
    return DomainError(
        "already_subscribed",
        f"You already have a {quote.department_name} subscription ({number}, {state}): "
        "change its plan instead of subscribing again.",
        kind=ErrorKind.CONFLICT, field="price_id")


def subscribe(*, session: Session, actor: Actor | None, price_id: int, code: str = "",
              address: TaxAddress | None = None, payment_method: str = "",
              idempotency_key: str = "") -> Subscription:
    """Subscribe the signed-in learner to a plan (commits).

    One live subscription per learner and department: a second is refused naming the first
    (also when two requests race: the unique key decides). The subscription is committed
    incomplete, then created at the processor with the saved card; a trial charges nothing
    until it ends. A refused card leaves it incomplete with the processor's reason (the
    learner may try another card); the processor's events move it from there. A repeated
    ``idempotency_key`` answers with the same subscription.
    """
    if actor is None:
        raise DomainError("not_signed_in", "Sign in to subscribe.",
                          kind=ErrorKind.UNAUTHENTICATED)
    if idempotency_key:
        twin = session.exec(select(Subscription).where(
            Subscription.idempotency_key == f"{actor.user_id}:{idempotency_key}")).first()
        if twin is not None:
            return twin
    now = billing_now(session)
    quote = plan_quote(session=session, price_id=price_id, code=code, address=address,
                       user_id=actor.user_id, at=now)
    existing = _existing(session, actor.user_id, quote.department_id)
    if existing is not None:
        raise _refuse_twice(existing, quote)
    processor = subscription_processor_name(session, quote.department_id)
    key = f"{actor.user_id}:{idempotency_key or secrets.token_hex(12)}"
    sub = Subscription(
        user_id=actor.user_id, department_id=quote.department_id,
        live_key=live_key(actor.user_id, quote.department_id), price_id=price_id,
        interval=Interval(quote.interval).value,
        includes_subdepartments=quote.includes_subdepartments, currency=quote.currency,
        unit_amount=quote.terms.unit_amount, discount_code_id=quote.code_id,
        discount_code=quote.discount_code, discount_amount=quote.terms.discount,
        discount_duration=quote.terms.duration, tax_amount=quote.terms.tax,
        first_tax_amount=quote.terms.first_tax, tax_label=quote.tax_label[:120],
        tax_provider=quote.tax_provider[:16],
        billing_country=address.country if address else "",
        billing_region=address.region if address else "",
        billing_postal_code=address.postal_code if address else "",
        status=SubscriptionStatus.INCOMPLETE.value, processor=processor, idempotency_key=key,
        anchor_at=now, trial_ends_at=quote.trial_ends_at, created_at=now, updated_at=now,
    )
    session.add(sub)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        existing = _existing(session, actor.user_id, quote.department_id)
        if existing is None:
            raise
        raise _refuse_twice(existing, quote) from None
    assert sub.id is not None
    if quote.code_id is not None:
        take_use(session, quote.code_id)
        session.add(DiscountRedemption(
            code_id=quote.code_id, user_id=actor.user_id, order_ref=code_ref(sub.id),
            currency=quote.currency, revenue_affected=quote.terms.unit_amount,
            discount_amount=quote.terms.discount, status="reserved", at=now))
    add_created(session=session, actor=actor, row=sub, action="subscription.created",
                entity_type="subscription",
                after={"number": subscription_number(sub.id), "plan": price_id,
                       "department": quote.department_code, "interval": quote.interval,
                       "amount": quote.terms.unit_amount, "currency": quote.currency,
                       "code": quote.discount_code, "first_total": quote.first_total,
                       "renewal_total": quote.renewal_total})
    session.commit()
    user = session.get(User, actor.user_id)
    request = CreateSubscription(
        customer_email=user.email if user else "", customer_name=user.full_name if user else "",
        currency=quote.currency, amount=quote.renewal_total, first_amount=quote.first_total,
        interval=quote.interval, trial_days=quote.trial_days, idempotency_key=key,
        description=f"{quote.department_name} {quote.interval} subscription",
        payment_method=payment_method,
        metadata={"subscription_id": str(sub.id), "user_id": str(actor.user_id),
                  "department": quote.department_code},
    )
    try:
        created = subscription_processor(session, processor).create_subscription(request)
    except (ProcessorError, DomainError) as exc:
        _abandon(session, sub.id, exc.message, now)
        # a card the processor refused to save is said beside the card field
        card = isinstance(exc, ProcessorError) and not exc.retryable
        raise DomainError(exc.code, exc.message, kind=ErrorKind.CONFLICT,
                          field="payment_method" if card else None) from None
    return record_created(session=session, subscription_id=sub.id, created=created)


def _abandon(session: Session, subscription_id: int, why: str, at: datetime) -> None:
    """The processor refused to create it: the subscription ends before it began and the
    code's use is given back."""
    session.rollback()
    sub = session.get(Subscription, subscription_id)
    if sub is None:
        return
    transition_subscription(session=session, subscription=sub,
                            target=SubscriptionStatus.CANCELLED, at=at,
                            reason=f"The processor refused it: {why}"[:500])
    if sub.discount_code_id is not None:
        release_use(session, code_id=sub.discount_code_id, order_ref=code_ref(subscription_id),
                    was="reserved", becomes="released", at=at)
    session.commit()
