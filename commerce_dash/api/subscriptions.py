"""Department subscriptions (issue 16): a department's plans and a plan's quote (public, beside
the catalog); the learner's subscriptions: subscribe, cancel, pause, resume, change plan, new
card, and self-enrollment in a course the subscription includes; the admins' list and their
cancel, pause, resume and trial extension (section "subscriptions": billing admins all, a
department admin their departments', others' answered as not found).

Amounts are integer minor units next to their currency; times are ISO 8601 (UTC). Every change
answers the subscription, the sentence to show the person, and the refund request it queued
(cancelling now). Asking for the state a subscription is already in changes nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Path, Query, Request, Response
from pydantic import BaseModel, Field
from sqlmodel import select

from commerce_dash.api.deps import (
    BodyId,
    CurrentActor,
    DbSession,
    IdPath,
    OptionalActor,
    client_ip,
    parse_id,
    section_guard,
)
from commerce_dash.api.registrations import RegistrationOut
from commerce_dash.api.schemas import Listed, Out, Timestamp, listed, mirror
from commerce_dash.domain.actor import Actor
from commerce_dash.domain.errors import DomainError
from commerce_dash.domain.money import format_minor
from commerce_dash.domain.tax import TaxAddress
from commerce_dash.models.subscriptions import Subscription
from commerce_dash.services import catalog as catalog_area
from commerce_dash.services import commerce as commerce_area
from commerce_dash.services import enrollment as enrollment_area
from commerce_dash.services.platform import hit_many
from commerce_dash.settings import get_settings

router = APIRouter(tags=["subscriptions"])

SubscriptionsActor = Annotated[Actor, section_guard("subscriptions")]
SubscriptionId = IdPath
Reason = Annotated[str, Field(max_length=500)]
PaymentMethod = Annotated[str, Field(max_length=100, description=(
    "A test card number on the sandbox (4242424242424242 succeeds), or the processor's "
    "payment method id"))]
IdempotencyKey = Annotated[str, Header(alias="Idempotency-Key", max_length=100)]
Interval = Literal["", "monthly", "quarterly", "annual"]
Status = Literal["", "incomplete", "trialing", "active", "past_due", "paused", "cancelled"]


# -- bodies -----------------------------------------------------------------------------------


class SubscribeBody(BaseModel):
    price_id: BodyId = Field(description="The plan (a price of a department's plans)")
    code: str = Field(default="", max_length=64, description="A discount code, optional")
    billing_country: str = Field(default="", max_length=2)
    billing_region: str = Field(default="", max_length=8)
    billing_postal_code: str = Field(default="", max_length=16)
    payment_method: PaymentMethod = ""


class CancelBody(BaseModel):
    at_period_end: bool = Field(default=True, description="False: end access now (the "
                                "unused part of the period goes to the refund queue when "
                                "the settings allow refunds on cancel)")
    reason: Reason = ""


class ChangePlanBody(BaseModel):
    price_id: BodyId = Field(description="Another plan of the same department and currency")


class CardBody(BaseModel):
    payment_method: PaymentMethod


class AuthenticateBody(BaseModel):
    approve: bool


class EnrollBody(BaseModel):
    course_id: BodyId


# -- answers ----------------------------------------------------------------------------------


class InvoiceOut(mirror(commerce_area.InvoiceView)):  # type: ignore[misc]
    amount: int = Field(description="Minor units: paid, or due when unpaid")
    period_start: Timestamp | None
    period_end: Timestamp | None
    paid_at: Timestamp | None
    order_number: str = Field(description="The receipt (ORD-...) of a paid invoice, else \"\"")


class HistoryOut(mirror(commerce_area.HistoryEntry)):  # type: ignore[misc]
    at: Timestamp


class SubscriptionRowOut(mirror(  # type: ignore[misc]
        commerce_area.SubscriptionView, exclude=("invoices", "timeline"))):
    number: str = Field(description="SUB-000042")
    status: str = Field(description="incomplete, trialing, active, past_due, paused or "
                                    "cancelled")
    unit_amount: int = Field(description="The plan's price, minor units")
    renewal_total: int = Field(description="Every later period, tax included")
    trial_ends_at: Timestamp | None
    current_period_start: Timestamp | None
    current_period_end: Timestamp | None
    next_charge_at: Timestamp | None = Field(description="None: nothing will be charged")
    cancelled_at: Timestamp | None
    paused_at: Timestamp | None
    grace_ends_at: Timestamp | None
    next_retry_at: Timestamp | None
    client_secret: str = Field(description="The learner's own, for the first payment's "
                                           "authentication; \"\" to anyone else")
    pending_interval: str = Field(description="A downgrade waiting for the period end")
    created_at: Timestamp


class SubscriptionOut(SubscriptionRowOut):
    invoices: list[InvoiceOut]


class SubscriptionDetailOut(SubscriptionOut):
    timeline: list[HistoryOut]


class ChangeOut(Out):
    subscription: SubscriptionDetailOut
    message: str = Field(description="What to tell the person")
    refund_request_id: int | None = Field(description="The refund request queued for the "
                                                      "unused part of the period")


class PlanOptionOut(mirror(commerce_area.PlanOption)):  # type: ignore[misc]
    amount: int = Field(description="Minor units, per interval, before tax")
    label: str = Field(description="The amount formatted")


class PlanQuoteOut(Out):
    price_id: int
    department_id: int
    department_code: str
    department_name: str
    interval: str
    currency: str
    includes_subdepartments: bool
    trial_days: int
    trial_ends_at: Timestamp | None
    unit_amount: int
    discount_code: str
    discount: int = Field(description="Off the first period (once) or every period (forever)")
    discount_duration: str = Field(description="once, forever or \"\"")
    first_tax: int
    first_total: int = Field(description="The first charge (after the trial), tax included")
    tax: int
    renewal_total: int = Field(description="Every later period, tax included")
    tax_label: str


# -- helpers ----------------------------------------------------------------------------------


def _out(model: type[BaseModel], source: Any, **computed: Any) -> dict[str, Any]:
    """The body of ``model`` from ``source``'s attributes (``computed`` as given), its times
    written as ISO strings."""
    body = {name: computed[name] if name in computed else getattr(source, name)
            for name in model.model_fields}
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in body.items()}


def subscription_answer(model: type[BaseModel], view: commerce_area.SubscriptionView,
                  actor: Actor) -> dict[str, Any]:
    computed: dict[str, Any] = {
        "client_secret": view.client_secret if view.user_id == actor.user_id else ""}
    if "invoices" in model.model_fields:
        computed["invoices"] = [_out(InvoiceOut, i) for i in view.invoices]
    if "timeline" in model.model_fields:
        computed["timeline"] = [_out(HistoryOut, e) for e in view.timeline]
    return _out(model, view, **computed)


def detail_answer(session: DbSession, actor: Actor, subscription_id: int) -> dict[str, Any]:
    view = commerce_area.get_subscription(session=session, actor=actor, ref=subscription_id)
    return subscription_answer(SubscriptionDetailOut, view, actor)


def change_answer(session: DbSession, actor: Actor,
            outcome: commerce_area.ChangeOutcome) -> dict[str, Any]:
    assert outcome.subscription.id is not None
    return {"subscription": detail_answer(session, actor, outcome.subscription.id),
            "message": outcome.message, "refund_request_id": outcome.refund_request_id}


def _limit(session: DbSession, request: Request, user_id: int) -> None:
    """Calls that take a card count against the payment limits (card testing)."""
    settings = get_settings()
    hit_many(session=session, limits={
        f"client:{client_ip(request)}": settings.client_rate_limit_per_minute,
        f"payment:{user_id}": settings.payment_rate_limit_per_minute,
    })


def _department_code(session: DbSession, ref: str) -> str:
    """A department named by its code or, in ASCII digits, its id (as the catalog does)."""
    ref = ref.strip()
    if parse_id(ref) is None:
        return ref
    return catalog_area.public_code(session=session, entity="department", ref=ref)


# -- plans (public) ---------------------------------------------------------------------------


@router.get("/api/v2/catalog/departments/{code}/plans", tags=["catalog"],
            response_model=Listed[PlanOptionOut])
def department_plans(session: DbSession,
                     code: Annotated[str, Path(max_length=40)]) -> dict[str, Any]:
    """The department's plans on sale now, monthly first."""
    plans = commerce_area.department_plans(session=session,
                                           department_code=_department_code(session, code))
    return listed([_out(PlanOptionOut, p, label=format_minor(p.amount, p.currency))
                   for p in plans])


@router.get("/api/v2/catalog/plans/{price_id}/quote", tags=["catalog"],
            response_model=PlanQuoteOut)
def plan_quote(
    session: DbSession,
    actor: OptionalActor,
    price_id: IdPath,
    code: Annotated[str, Query(max_length=64, description="A discount code")] = "",
    country: Annotated[str, Query(max_length=2, description="Billing country (ISO 3166)")]
    = "",
    region: Annotated[str, Query(max_length=8)] = "",
    postal_code: Annotated[str, Query(max_length=16)] = "",
) -> dict[str, Any]:
    """What subscribing costs: the first charge and every renewal, with the code and the
    tax of the billing address (a signed-in learner's own exemptions and code limits apply)."""
    quote = commerce_area.plan_quote(
        session=session, price_id=price_id, code=code,
        address=TaxAddress(country, region, postal_code) if country.strip() else None,
        user_id=actor.user_id if actor else None)
    terms = quote.terms
    return _out(PlanQuoteOut, quote, unit_amount=terms.unit_amount, discount=terms.discount,
                discount_duration=terms.duration, first_tax=terms.first().tax, tax=terms.tax,
                first_total=quote.first_total, renewal_total=quote.renewal_total)


# -- learner ----------------------------------------------------------------------------------


@router.get("/api/v2/subscriptions", response_model=Listed[SubscriptionOut])
def my_subscriptions(actor: CurrentActor, session: DbSession) -> dict[str, Any]:
    """The signed-in learner's subscriptions, newest first, with their invoices."""
    views = commerce_area.list_my_subscriptions(session=session, actor=actor)
    return listed([subscription_answer(SubscriptionOut, v, actor) for v in views])


@router.post("/api/v2/subscriptions", status_code=201, response_model=SubscriptionDetailOut,
             responses={200: {"model": SubscriptionDetailOut,
                              "description": "A replay: the Idempotency-Key was seen before"}})
def subscribe(body: SubscribeBody, request: Request, response: Response, session: DbSession,
              actor: CurrentActor, idempotency_key: IdempotencyKey = "") -> dict[str, Any]:
    """Subscribe to a plan. A declined card leaves the subscription incomplete (its latest
    invoice says why: send another card to ``/card``); a card that asks for 3-D Secure leaves
    it incomplete with a ``client_secret``. One live subscription per department: a second
    is a 409 ``already_subscribed`` naming the first."""
    if not idempotency_key.strip():
        raise DomainError("idempotency_key_required",
                          "Send an Idempotency-Key header with every subscription.",
                          field="idempotency_key")
    _limit(session, request, actor.user_id)
    before = set(session.exec(select(Subscription.id).where(
        Subscription.user_id == actor.user_id)).all())
    address = (TaxAddress(body.billing_country, body.billing_region, body.billing_postal_code)
               if body.billing_country.strip() else None)
    sub = commerce_area.subscribe(session=session, actor=actor, price_id=body.price_id,
                                  code=body.code, address=address,
                                  payment_method=body.payment_method,
                                  idempotency_key=idempotency_key.strip())
    assert sub.id is not None
    if sub.id in before:
        response.status_code = 200
    return detail_answer(session, actor, sub.id)


@router.post("/api/v2/subscriptions/enroll", response_model=RegistrationOut)
def self_enroll(body: EnrollBody, actor: CurrentActor, session: DbSession) -> dict[str, Any]:
    """Enroll in a course one of the learner's subscriptions includes (403
    ``subscription_required`` otherwise). Approval rules apply: ``status`` says enrolled or
    pending. A course already held answers its registration."""
    row = enrollment_area.self_enroll(session=session, actor=actor, course_id=body.course_id,
                                      now=commerce_area.billing_now(session))
    return _out(RegistrationOut, row)


@router.get("/api/v2/subscriptions/{subscription_id}", response_model=SubscriptionDetailOut)
def my_subscription(actor: CurrentActor, session: DbSession,
                    subscription_id: SubscriptionId) -> dict[str, Any]:
    """One subscription with its invoices and timeline: the learner's own, or one an admin
    is over (else 404)."""
    return detail_answer(session, actor, subscription_id)


@router.post("/api/v2/subscriptions/{subscription_id}/cancel", response_model=ChangeOut)
def cancel(actor: CurrentActor, session: DbSession, subscription_id: SubscriptionId,
           body: CancelBody | None = None) -> dict[str, Any]:
    body = body or CancelBody()
    return change_answer(session, actor, commerce_area.cancel_subscription(
        session=session, actor=actor, ref=subscription_id, at_period_end=body.at_period_end,
        reason=body.reason))


@router.post("/api/v2/subscriptions/{subscription_id}/undo-cancel", response_model=ChangeOut)
def undo_cancel(actor: CurrentActor, session: DbSession,
                subscription_id: SubscriptionId) -> dict[str, Any]:
    """Keep a subscription that was set to end at its period end."""
    return change_answer(session, actor, commerce_area.undo_cancel(
        session=session, actor=actor, ref=subscription_id))


@router.post("/api/v2/subscriptions/{subscription_id}/pause", response_model=ChangeOut)
def pause(actor: CurrentActor, session: DbSession,
          subscription_id: SubscriptionId) -> dict[str, Any]:
    return change_answer(session, actor, commerce_area.pause_subscription(
        session=session, actor=actor, ref=subscription_id))


@router.post("/api/v2/subscriptions/{subscription_id}/resume", response_model=ChangeOut)
def resume(actor: CurrentActor, session: DbSession,
           subscription_id: SubscriptionId) -> dict[str, Any]:
    return change_answer(session, actor, commerce_area.resume_subscription(
        session=session, actor=actor, ref=subscription_id))


@router.post("/api/v2/subscriptions/{subscription_id}/change-plan", response_model=ChangeOut)
def change_plan(actor: CurrentActor, session: DbSession, subscription_id: SubscriptionId,
                body: ChangePlanBody) -> dict[str, Any]:
    """An upgrade starts now (the unused part of the period credited); a downgrade waits
    for the period end (``pending_interval``)."""
    return change_answer(session, actor, commerce_area.change_plan(
        session=session, actor=actor, ref=subscription_id, price_id=body.price_id))


@router.post("/api/v2/subscriptions/{subscription_id}/card", response_model=ChangeOut)
def update_card(request: Request, actor: CurrentActor, session: DbSession,
                subscription_id: SubscriptionId, body: CardBody) -> dict[str, Any]:
    """Save a new card; an unpaid invoice is tried again with it at once."""
    _limit(session, request, actor.user_id)
    return change_answer(session, actor, commerce_area.update_card(
        session=session, actor=actor, ref=subscription_id, payment_method=body.payment_method))


@router.post("/api/v2/subscriptions/{subscription_id}/authenticate", response_model=ChangeOut)
def authenticate(actor: CurrentActor, session: DbSession, subscription_id: SubscriptionId,
                 body: AuthenticateBody) -> dict[str, Any]:
    """The sandbox's 3-D Secure step of the first payment: approve or fail it."""
    return change_answer(session, actor, commerce_area.complete_first_payment(
        session=session, actor=actor, ref=subscription_id, approve=body.approve))


# -- admin ------------------------------------------------------------------------------------
