"""What approving a refund request will do, over the API (billing admins): the same preview
as the approve dialog of the refund queue (``commerce_area.refund_preview``), before
``POST /api/v2/admin/refunds/{request_id}/approve``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import Field

from commerce_dash.api.deps import INT_MAX, AsciiDigits, DbSession, IdPath, section_guard
from commerce_dash.api.schemas import Out
from commerce_dash.domain.actor import Actor
from commerce_dash.services import commerce as commerce_area

router = APIRouter(tags=["admin"])
RefundsActor = Annotated[Actor, section_guard("refunds")]


class PreviewLineOut(Out):
    title: str
    amount: int


class PreviewRegistrationOut(Out):
    number: str = Field(description="REG-YYYY-NNNNN")
    title: str = Field(description="The course's title")


class RefundPreviewOut(Out):
    request_id: int
    order_number: str
    amount: int = Field(description="Minor units of currency")
    currency: str
    amount_label: str
    order_status: str = Field(description="The order's status after the refund")
    lines: list[PreviewLineOut]
    registrations_cancelled: list[PreviewRegistrationOut]
    enrollments_ended: list[str] = Field(description="Course titles")
    lms_told: list[str] = Field(description="Courses whose LMS enrollment is cancelled there")
    certificates_revoked: list[str] = Field(description="Certificate numbers")
    discount_returned: str = Field(description="The code whose use is given back, or empty")
    credits_taken_back: list[str] = Field(
        description="Unused session credits revoked, counted by kind")
    steps: list[str] = Field(description="The same, in sentences, in the order they happen")


@router.get("/api/v2/admin/refunds/{request_id}/preview", response_model=RefundPreviewOut)
def refund_preview(
    actor: RefundsActor,
    session: DbSession,
    request_id: IdPath,
    amount: Annotated[
        int | None,
        Query(ge=1, le=INT_MAX, description="Minor units; default: the amount asked for"),
        AsciiDigits,
    ] = None,
) -> dict[str, Any]:
    """What approving the request (for ``amount``) will do; changes nothing. The approval's
    own checks answer as they would: four eyes (403), more than asked (422), decided (409)."""
    preview = commerce_area.refund_preview(
        session=session, actor=actor, request_id=request_id, amount=amount
    )
    return preview.as_dict()
