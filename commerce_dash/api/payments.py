"""Payment routes: intent, confirm, processor webhooks and the sandbox's card and 3-D Secure
steps (spec 001 "Payment Processing")."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from commerce_dash.api.deps import CurrentActor, DbSession, client_ip
from commerce_dash.api.errors import error_body
from commerce_dash.api.integrations import raw_body
from commerce_dash.api.schemas import ErrorOut, Out
from commerce_dash.domain.errors import DomainError
from commerce_dash.payments.base import IntentResult
from commerce_dash.payments.sandbox import CardInput
from commerce_dash.services import commerce as commerce_area
from commerce_dash.services.commerce import ensure_intent, order_for
from commerce_dash.services.platform import hit_many
from commerce_dash.settings import get_settings

router = APIRouter(prefix="/api/v2/payments", tags=["payments"])
# Processor webhooks are small: the app's body limit (api/app.py) holds them to this, with
# 413 before more is read.
WEBHOOK_PATH = f"{router.prefix}/webhook/"
MAX_WEBHOOK_BYTES = 512 * 1024


class OrderRef(BaseModel):
    order_number: str = Field(max_length=32)


class ProcessorAnswerBody(BaseModel):
    order_number: str = Field(max_length=32)
    fields: dict[str, Annotated[str, Field(max_length=200)]] = Field(
        max_length=10,
        description="What the processor's own checkout handed the client: Razorpay's "
                    "razorpay_payment_id, razorpay_order_id and razorpay_signature; Square's "
                    "source_id; Elavon's ssl_txn_id. Checked with the processor before "
                    "anything is marked paid.")


class SandboxCardBody(BaseModel):
    order_number: str = Field(max_length=32)
    card_number: str = Field(max_length=32)
    exp_month: int = Field(ge=0, le=99)
    exp_year: int = Field(ge=0, le=9999)
    cvc: str = Field(max_length=4)


class ChallengeBody(BaseModel):
    approve: bool


class IntentOut(Out):
    intent_id: str
    status: str = Field(description="requires_payment, requires_action, processing, "
                                    "succeeded, failed or canceled")
    amount: int
    currency: str
    failure_code: str
    failure_message: str
    next_action_url: str


class CreatedIntentOut(Out):
    order_number: str
    processor: str
    intent_id: str | None
    client_secret: str
    publishable_key: str = Field(description="Stripe's publishable key; empty for the sandbox")
    status: str
    amount: int
    currency: str


class PaymentStateOut(Out):
    """What the checkout page polls."""

    order_status: str
    payment_status: str = Field(description="Empty before a payment exists")
    failure_reason: str
    next_action_url: str = Field(description="The 3-D Secure page while one is needed")


class PaymentStepOut(PaymentStateOut):
    intent: IntentOut


class ChallengeOut(PaymentStepOut):
    order_number: str


class WebhookOut(Out):
    received: bool
    event_id: str
    status: str
    detail: str


def intent_json(result: IntentResult) -> dict[str, Any]:
    return {
        "intent_id": result.intent_id, "status": result.status.value, "amount": result.amount,
        "currency": result.currency, "failure_code": result.failure_code,
        "failure_message": result.failure_message, "next_action_url": result.next_action_url,
    }


def _limit(session: DbSession, request: Request, user_id: int) -> None:
    settings = get_settings()
    hit_many(session=session, limits={
        f"client:{client_ip(request)}": settings.client_rate_limit_per_minute,
        f"payment:{user_id}": settings.payment_rate_limit_per_minute,
    })


@router.post("/create-intent", response_model=CreatedIntentOut)
def create_intent(body: OrderRef, request: Request, session: DbSession,
                  actor: CurrentActor) -> dict[str, Any]:
    """The intent of a pending order (created once; repeated calls return the same one)."""
    _limit(session, request, actor.user_id)
    order = order_for(session, actor.user_id, body.order_number)
    assert order.id is not None
    payment = ensure_intent(session=session, order_id=order.id)
    settings = get_settings()
    return {
        "order_number": body.order_number, "processor": payment.processor,
        "intent_id": payment.intent_id, "client_secret": payment.client_secret,
        "publishable_key": settings.stripe_publishable_key
        if payment.processor == "stripe" else "",
        "status": payment.status, "amount": payment.amount, "currency": payment.currency,
    }


@router.post("/confirm", response_model=PaymentStepOut)
def confirm(body: OrderRef, request: Request, session: DbSession,
            actor: CurrentActor) -> dict[str, Any]:
    """The page finished the card step: settle from the processor now."""
    result = commerce_area.confirm_payment(session=session, actor=actor,
                                           number=body.order_number)
    state = commerce_area.payment_state(session=session, actor=actor,
                                        number=body.order_number)
    return {"intent": intent_json(result), **state}


@router.post("/processor-answer", response_model=PaymentStepOut)
def processor_answer(body: ProcessorAnswerBody, request: Request, session: DbSession,
                     actor: CurrentActor) -> dict[str, Any]:
    """A processor's own checkout (Razorpay Checkout in an app, Square's SDK, Elavon's
    Lightbox) finished on the client: its answer, verified with the processor, settles the
    order at once (the webhook may come later; whichever is first wins)."""
    result = commerce_area.hosted_checkout_pay(session=session, actor=actor,
                                               number=body.order_number,
                                               fields=dict(body.fields))
    state = commerce_area.payment_state(session=session, actor=actor,
                                        number=body.order_number)
    return {"intent": intent_json(result), **state}


@router.get("/status/{number}", response_model=PaymentStateOut)
def status(number: str, session: DbSession, actor: CurrentActor) -> dict[str, Any]:
    return commerce_area.payment_state(session=session, actor=actor, number=number)


@router.post("/webhook/{processor}", response_model=WebhookOut, responses={
    400: {"model": ErrorOut, "description": "The signature does not verify "
                                            "(``invalid_signature``)"}})
def webhook(
    processor: str, request: Request, session: DbSession,
    body: Annotated[bytes, Depends(raw_body)],
) -> dict[str, Any] | JSONResponse:
    """Processor webhooks: refused with 400 unless the signature verifies; stored once.
    A body over MAX_WEBHOOK_BYTES never gets here (413)."""
    try:
        outcome = commerce_area.receive_webhook(
            session=session, processor=processor, body=body, headers=dict(request.headers)
        )
    except DomainError as exc:
        if exc.code != "invalid_signature":
            raise
        return JSONResponse(error_body(exc.code, exc.message), status_code=400)
    return {"received": True, "event_id": outcome.event_id, "status": outcome.status,
            "detail": outcome.detail}


@router.post("/sandbox/pay", response_model=PaymentStepOut)
def sandbox_pay(body: SandboxCardBody, request: Request, session: DbSession,
                actor: CurrentActor) -> dict[str, Any]:
    """The sandbox card form (test mode; only test card numbers are accepted)."""
    card = CardInput(body.card_number, body.exp_month, body.exp_year, body.cvc)
    result = commerce_area.sandbox_pay(session=session, actor=actor,
                                       number=body.order_number, card=card)
    state = commerce_area.payment_state(session=session, actor=actor,
                                        number=body.order_number)
    return {"intent": intent_json(result), **state}


@router.post("/sandbox/3ds/{intent_id}", response_model=ChallengeOut)
def sandbox_challenge(intent_id: str, body: ChallengeBody, request: Request,
                      session: DbSession, actor: CurrentActor) -> dict[str, Any]:
    result, number = commerce_area.sandbox_challenge(
        session=session, actor=actor, intent_id=intent_id[:40], approve=body.approve
    )
    state = commerce_area.payment_state(session=session, actor=actor, number=number)
    return {"intent": intent_json(result), "order_number": number, **state}
