"""Cancellations (issue 19): a learner cancels their registration waiting for approval; a
billing admin cancels a completed order (what is left is asked back through the refund
queue, the registrations end as a refund ends them). Doing either again answers 200 with what
the first did (``changed`` false).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, Field

from commerce_dash.api.deps import CurrentActor, DbSession, IdPath, section_guard
from commerce_dash.api.orders import OrderNumber
from commerce_dash.api.schemas import Out, Timestamp
from commerce_dash.domain.actor import Actor
from commerce_dash.services import commerce as commerce_area

router = APIRouter(tags=["cancellations"])

RefundsActor = Annotated[Actor, section_guard("refunds")]


class RegistrationCancellationOut(Out):
    registration_id: int
    status: str
    refund_request_id: int | None = Field(description="The refund asked for a paid place")
    changed: bool = Field(description="False: it was cancelled before")


class OrderCancellationOut(Out):
    number: str
    status: str
    cancelled_at: Timestamp
    refund_request_id: int | None = Field(
        description="What is left of the payment, in the refund queue (or paid at once when "
        "four-eyes review is off)"
    )
    refund_amount: int = Field(description="Minor units of ``currency``")
    currency: str
    registrations_ended: int
    changed: bool = Field(description="False: it was cancelled before")


class CancelOrderBody(BaseModel):
    reason: Annotated[str, Field(max_length=4000)] = ""


@router.post(
    "/api/v2/registrations/{registration_id}/cancel", response_model=RegistrationCancellationOut
)
def cancel_registration(
    actor: CurrentActor, session: DbSession, registration_id: IdPath
) -> RegistrationCancellationOut:
    done = commerce_area.cancel_my_registration(
        session=session, actor=actor, registration_id=registration_id
    )
    return RegistrationCancellationOut.model_validate(done)


@router.post(
    "/api/v2/admin/orders/{number}/cancel", tags=["admin"], response_model=OrderCancellationOut
)
def cancel_order(
    actor: RefundsActor, session: DbSession, number: OrderNumber, body: CancelOrderBody
) -> OrderCancellationOut:
    done = commerce_area.cancel_order(
        session=session, actor=actor, number=number, reason=body.reason
    )
    return OrderCancellationOut.model_validate(
        {**done.__dict__, "cancelled_at": done.cancelled_at.isoformat()}
    )
