"""The one-call refund of a payment (T-016-01): ``POST /api/v2/admin/payments/{id}/refund``.

A billing admin asks for the refund and approves it in one call, through the refund pipeline
(both steps audited, the processor paid once, registrations, enrollments and certificates of
fully refunded lines ended as any refund ends them). When four-eyes is on
(``COMMERCE_REFUND_FOUR_EYES``, the default) or the order is the admin's own, the call only
opens the request in the refund queue and says so (``approved`` false, ``message``).

An ``Idempotency-Key`` header makes the call safe to repeat: the same key again answers the
first call's refund (200, ``replayed``) instead of asking twice.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Header, Response
from pydantic import BaseModel, Field

from commerce_dash.api.deps import DbSession, IdPath, section_guard
from commerce_dash.api.schemas import mirror
from commerce_dash.domain.actor import Actor
from commerce_dash.services import commerce as commerce_area

router = APIRouter(prefix="/api/v2/admin/payments", tags=["admin", "refunds"])

RefundsActor = Annotated[Actor, section_guard("refunds")]
IdempotencyKey = Annotated[str, Header(alias="Idempotency-Key", max_length=100)]


class RefundBody(BaseModel):
    reason: str = Field(max_length=4000, description="Why (required, kept in the audit log)")
    amount: int | None = Field(default=None, ge=1, le=10**12,
                               description="Minor units; none: all that is left")


class PaymentRefundOut(mirror(commerce_area.PaymentRefund)):  # type: ignore[misc]
    status: str = Field(description="The refund request's: requested (waiting in the refund "
                                    "queue), refunded, or failed (the processor's error; retry "
                                    "it in the queue)")
    approved: bool = Field(description="Approved by this call")
    four_eyes: bool = Field(description="COMMERCE_REFUND_FOUR_EYES was on")


@router.post("/{payment_id}/refund", status_code=201, response_model=PaymentRefundOut,
             responses={200: {"model": PaymentRefundOut,
                              "description": "A replay: the Idempotency-Key was seen before"}})
def refund_payment(body: RefundBody, actor: RefundsActor, session: DbSession,
                   payment_id: IdPath, response: Response,
                   idempotency_key: IdempotencyKey = "") -> dict[str, Any]:
    outcome = commerce_area.refund_payment(
        session=session, actor=actor, payment_id=payment_id, reason=body.reason,
        amount=body.amount, idempotency_key=idempotency_key)
    if outcome.replayed:
        response.status_code = 200
    return asdict(outcome)
