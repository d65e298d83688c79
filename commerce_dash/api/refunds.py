"""Refunds: a learner's requests on their order; the billing admins' queue (approve, reject,
retry, bulk); revenue-share rules; the payout sync status.

Amounts are integer minor units of the order's currency.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from commerce_dash.api.deps import (
    BodyId,
    CurrentActor,
    DbSession,
    IdPath,
    PageNumber,
    PageSize,
    section_guard,
)
from commerce_dash.api.orders import OrderNumber
from commerce_dash.api.schemas import DateIn, Out, Timestamp, day_start, mirror, page_of
from commerce_dash.domain.actor import Actor
from commerce_dash.domain.ledger import Shares
from commerce_dash.domain.orders import order_number
from commerce_dash.domain.paging import PageRequest
from commerce_dash.models.commerce import Order, RefundRequest
from commerce_dash.services import commerce as commerce_area
from commerce_dash.services import revenue as revenue_area

router = APIRouter(tags=["refunds"])

RefundsActor = Annotated[Actor, section_guard("refunds")]
RevenueActor = Annotated[Actor, section_guard("revenue")]
SettingsActor = Annotated[Actor, section_guard("settings")]  # revenue shares are settings
RequestId = IdPath
Amount = Annotated[int, Field(ge=1, le=10**12)]
Reason = Annotated[str, Field(max_length=4000)]


class RefundRowOut(mirror(commerce_area.RefundRow)):  # type: ignore[misc]
    source: str = Field(description="learner, registration_rejected or admin")
    created_at: Timestamp


class RefundableLineOut(mirror(commerce_area.RefundableLine)):  # type: ignore[misc]
    pass


class OrderRefundsOut(Out):
    items: list[RefundRowOut]
    refundable: int = Field(description="What is left to refund on the order")
    lines: list[RefundableLineOut]


class RefundQueueOut(Out):
    items: list[RefundRowOut]
    total: int
    page: int
    page_size: int
    counts: dict[str, int] = Field(description="Requests per status")


class RefundOut(Out):
    id: int
    status: str
    amount: int
    approved_amount: int | None
    currency: str
    order_number: str
    processor_refund_id: str
    last_error: str
    attempts: int
    order_status: str


class RefundBulkResultOut(Out):
    id: int
    ok: bool
    message: str


class RefundBulkOut(Out):
    items: list[RefundBulkResultOut]
    done: int
    failed: int


class ShareRuleOut(mirror(revenue_area.ShareRuleRow)):  # type: ignore[misc]
    pass


class ShareRulesOut(Out):
    items: list[ShareRuleOut]


class PayoutCountsOut(mirror(revenue_area.PayoutCounts)):  # type: ignore[misc]
    pass


class PayoutRowOut(mirror(revenue_area.PayoutRow)):  # type: ignore[misc]
    pass


class PayoutStatusOut(Out):
    counts: PayoutCountsOut
    items: list[PayoutRowOut]
    total: int
    page: int
    page_size: int


def _row_out(row: commerce_area.RefundRow) -> dict[str, Any]:
    return {**asdict(row), "created_at": row.created_at.isoformat()}


class LineBody(BaseModel):
    order_line_id: BodyId
    amount: Amount


class RequestBody(BaseModel):
    reason: Reason = ""
    amount: Amount | None = None  # none (and no lines): the whole order
    lines: list[LineBody] = Field(default_factory=list, max_length=100)


@router.get("/api/v2/orders/{number}/refunds", response_model=OrderRefundsOut)
def order_refunds(actor: CurrentActor, session: DbSession, number: OrderNumber) -> dict[str, Any]:
    left, lines = commerce_area.refund_options(session=session, actor=actor, number=number)
    rows = commerce_area.for_order(session=session, actor=actor, number=number)
    return {"items": [_row_out(r) for r in rows], "refundable": left,
            "lines": [asdict(line) for line in lines]}


@router.post("/api/v2/orders/{number}/refunds", status_code=201,
             response_model=RefundRowOut)
def request_refund(actor: CurrentActor, session: DbSession, number: OrderNumber,
                   body: RequestBody) -> dict[str, Any]:
    request = commerce_area.request_refund(
        session=session, actor=actor, number=number, reason=body.reason, amount=body.amount,
        lines=[commerce_area.LineRefund(line.order_line_id, line.amount) for line in body.lines])
    return next(_row_out(r) for r in commerce_area.for_order(session=session, actor=actor,
                                                              number=number) if r.id == request.id)


# -- the queue -------------------------------------------------------------------------------


@router.get("/api/v2/admin/refunds", response_model=RefundQueueOut)
def queue(
    actor: RefundsActor, session: DbSession,
    status: Literal["requested", "approved", "processing", "refunded", "rejected", "failed",
                    "any"] = "requested",
    source: Literal["", "learner", "registration_rejected", "admin"] = "",
    learner: Annotated[str, Query(max_length=200)] = "",
    date_from: DateIn | None = None, date_to: DateIn | None = None,
    page: PageNumber = 1, page_size: PageSize = None,
) -> dict[str, Any]:
    found = commerce_area.list_queue(session=session, actor=actor,
                                     page=PageRequest.clamp(page, page_size), status=status,
                                     learner=learner, source=source,
                                     date_from=day_start(date_from),
                                     date_to=day_start(date_to, next_day=True))
    return {**page_of(found, [_row_out(r) for r in found.items]),
            "counts": commerce_area.counts(session=session)}


class ApproveBody(BaseModel):
    amount: Amount | None = None
    note: Reason = ""


class RejectBody(BaseModel):
    reason: Reason = ""


class BulkBody(BaseModel):
    ids: list[BodyId] = Field(min_length=1, max_length=commerce_area.MAX_BULK)
    action: Literal["approve", "reject"]
    reason: Reason = ""


def _one(session: DbSession, request_id: int) -> dict[str, Any]:
    request = session.get(RefundRequest, request_id)
    assert request is not None
    order = session.get(Order, request.order_id)
    assert order is not None
    return {"id": request.id, "status": request.status, "amount": request.amount,
            "approved_amount": request.approved_amount, "currency": request.currency,
            "order_number": order_number(order.id or 0, order.created_at),
            "processor_refund_id": request.processor_refund_id,
            "last_error": request.last_error, "attempts": request.attempts,
            "order_status": order.status}


@router.post("/api/v2/admin/refunds/{request_id}/approve", response_model=RefundOut)
def approve(actor: RefundsActor, session: DbSession, request_id: RequestId,
            body: ApproveBody) -> dict[str, Any]:
    commerce_area.approve(session=session, actor=actor, request_id=request_id, amount=body.amount,
                          note=body.note)
    return _one(session, request_id)


@router.post("/api/v2/admin/refunds/{request_id}/reject", response_model=RefundOut)
def reject(actor: RefundsActor, session: DbSession, request_id: RequestId,
           body: RejectBody) -> dict[str, Any]:
    commerce_area.reject(session=session, actor=actor, request_id=request_id, reason=body.reason)
    return _one(session, request_id)


@router.post("/api/v2/admin/refunds/{request_id}/retry", response_model=RefundOut)
def retry(actor: RefundsActor, session: DbSession, request_id: RequestId) -> dict[str, Any]:
    commerce_area.retry(session=session, actor=actor, request_id=request_id)
    return _one(session, request_id)


@router.post("/api/v2/admin/refunds/bulk", response_model=RefundBulkOut)
def bulk(actor: RefundsActor, session: DbSession, body: BulkBody) -> dict[str, Any]:
    outcomes = commerce_area.bulk(session=session, actor=actor, ids=body.ids, action=body.action,
                                  reason=body.reason)
    return {"items": [asdict(o) for o in outcomes],
            "done": sum(1 for o in outcomes if o.ok), "failed": sum(1 for o in outcomes
                                                                    if not o.ok)}


# -- revenue shares and payouts --------------------------------------------------------------


class ShareBody(BaseModel):
    scope: Literal["default", "course", "department"]
    target_id: BodyId | None = None
    platform_bps: int = Field(ge=0, le=10_000)
    creator_bps: int = Field(ge=0, le=10_000)
    instructor_bps: int = Field(ge=0, le=10_000)


@router.get("/api/v2/admin/revenue/shares", response_model=ShareRulesOut)
def shares(actor: SettingsActor, session: DbSession) -> dict[str, Any]:
    rows = revenue_area.list_share_rules(session=session, actor=actor)
    return {"items": [asdict(r) for r in rows]}


@router.put("/api/v2/admin/revenue/shares", response_model=ShareRuleOut)
def set_share(actor: SettingsActor, session: DbSession, body: ShareBody) -> dict[str, Any]:
    row = revenue_area.set_share_rule(session=session, actor=actor, scope=body.scope,
                                      target_id=body.target_id,
                                      shares=Shares(body.platform_bps, body.creator_bps,
                                                    body.instructor_bps))
    return asdict(row)


@router.delete("/api/v2/admin/revenue/shares/{scope_key}", status_code=204)
def delete_share(actor: SettingsActor, session: DbSession,
                 scope_key: Annotated[str, Path(max_length=40)]) -> Response:
    revenue_area.delete_share_rule(session=session, actor=actor, scope_key=scope_key)
    return Response(status_code=204)


@router.get("/api/v2/admin/payouts", response_model=PayoutStatusOut)
def payout_status(actor: RevenueActor, session: DbSession,
                  status: Literal["", "not_sent", "pending", "synced", "dead"] = "",
                  page: PageNumber = 1, page_size: PageSize = None) -> dict[str, Any]:
    counts, found = revenue_area.payout_status(session=session, actor=actor,
                                               page=PageRequest.clamp(page, page_size),
                                               status=status)
    return {"counts": asdict(counts), **page_of(found, [asdict(r) for r in found.items])}
