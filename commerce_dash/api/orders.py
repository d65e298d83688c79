"""Orders and payments: the learner's orders, receipts and payment history; the admin order
list with filters, an order with its payment timeline, and the payment review queue.

Amounts are integer minor units next to their currency, with a formatted ``*_label`` beside.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, Field

from commerce_dash.api.deps import (
    INT_MAX,
    AsciiDigits,
    CurrentActor,
    DbSession,
    IdPath,
    PageNumber,
    PageSize,
    section_guard,
)
from commerce_dash.api.schemas import (
    DateIn,
    Listed,
    Paged,
    Timestamp,
    day_start,
    iso,
    listed,
    mirror,
    paged,
)
from commerce_dash.domain.actor import Actor
from commerce_dash.domain.paging import PageRequest
from commerce_dash.services import commerce as commerce_area

router = APIRouter(tags=["orders"])

OrdersActor = Annotated[Actor, section_guard("orders")]

OrderNumber = Annotated[str, Path(min_length=1, max_length=40)]
Amount = Annotated[int | None, Query(ge=0, le=INT_MAX), AsciiDigits]


class ClearBody(BaseModel):
    note: str = Field(default="", max_length=500)


class OrderSummaryOut(mirror(commerce_area.OrderSummary)):  # type: ignore[misc]
    created_at: Timestamp


class OrderLineOut(mirror(commerce_area.OrderLineView)):  # type: ignore[misc]
    pass


class OrderPaymentOut(mirror(commerce_area.PaymentView)):  # type: ignore[misc]
    created_at: Timestamp
    processed_at: Timestamp | None


class OrderDetailOut(mirror(commerce_area.OrderDetail)):  # type: ignore[misc]
    created_at: Timestamp
    completed_at: Timestamp | None
    lines: list[OrderLineOut]
    exchange_rate_at: Timestamp | None
    payment: OrderPaymentOut | None
    can_retry: bool
    retry_reason: str


class PaymentRowOut(mirror(commerce_area.PaymentRow)):  # type: ignore[misc]
    at: Timestamp


class AdminOrderRowOut(mirror(commerce_area.AdminOrderRow)):  # type: ignore[misc]
    created_at: Timestamp


class TimelineOut(mirror(commerce_area.TimelineEntry)):  # type: ignore[misc]
    at: Timestamp
    processed_at: Timestamp | None


class AdminOrderOut(OrderDetailOut):
    timeline: list[TimelineOut]


class ReviewOut(mirror(commerce_area.ReviewRow)):  # type: ignore[misc]
    since: Timestamp
    cleared_at: Timestamp | None


def _page_request(page: PageNumber = 1, size: PageSize = None,
                  page_size: PageSize = None) -> PageRequest:
    """The page asked for (``size`` is an older name of ``page_size``). The learner's lists
    take it as their only query parameters (``LearnerPage``); the admin list calls it."""
    return PageRequest.clamp(page, size or page_size)


LearnerPage = Annotated[PageRequest, Depends(_page_request)]


def _summary_out(row: commerce_area.OrderSummary) -> dict[str, Any]:
    return {**asdict(row), "created_at": iso(row.created_at)}


def _detail_out(detail: commerce_area.OrderDetail) -> dict[str, Any]:
    payment = detail.payment
    out = asdict(detail)
    out.update(
        created_at=iso(detail.created_at),
        completed_at=iso(detail.completed_at),
        exchange_rate_at=iso(detail.exchange_rate_at),
        can_retry=detail.can_retry,
        retry_reason=detail.retry_reason if detail.can_retry else "",
        payment=None
        if payment is None
        else {
            **asdict(payment),
            "created_at": iso(payment.created_at),
            "processed_at": iso(payment.processed_at),
        },
    )
    return out


def _payment_out(row: commerce_area.PaymentRow) -> dict[str, Any]:
    return {**asdict(row), "at": iso(row.at)}


def _admin_row_out(row: commerce_area.AdminOrderRow) -> dict[str, Any]:
    return {**asdict(row), "created_at": iso(row.created_at)}


def _timeline_out(entry: commerce_area.TimelineEntry) -> dict[str, Any]:
    return {**asdict(entry), "at": iso(entry.at), "processed_at": iso(entry.processed_at)}


def _review_out(row: commerce_area.ReviewRow) -> dict[str, Any]:
    return {**asdict(row), "since": iso(row.since), "cleared_at": iso(row.cleared_at)}


# -- learner ----------------------------------------------------------------------------------


@router.get("/api/v2/orders", response_model=Paged[OrderSummaryOut])
def my_orders(actor: CurrentActor, session: DbSession, page: LearnerPage) -> dict[str, Any]:
    result = commerce_area.list_orders_for_user(
        session=session, user_id=actor.user_id, page=page
    )
    return paged(result, [_summary_out(r) for r in result.items])


@router.get("/api/v2/orders/{number}", response_model=OrderDetailOut)
def my_order(actor: CurrentActor, session: DbSession, number: OrderNumber) -> dict[str, Any]:
    detail = commerce_area.order_detail(session=session, number=number, user_id=actor.user_id)
    return _detail_out(detail)


@router.get("/api/v2/payments/history", response_model=Paged[PaymentRowOut])
def my_payments(actor: CurrentActor, session: DbSession, page: LearnerPage) -> dict[str, Any]:
    result = commerce_area.payment_history_for_user(
        session=session, user_id=actor.user_id, page=page
    )
    return paged(result, [_payment_out(r) for r in result.items])


# -- admin ------------------------------------------------------------------------------------


@router.get("/api/v2/admin/orders", tags=["admin"], response_model=Paged[AdminOrderRowOut])
def admin_orders(
    actor: OrdersActor,
    session: DbSession,
    status: Annotated[str, Query(max_length=32)] = "",
    payment_status: Annotated[str, Query(max_length=32)] = "",
    processor: Annotated[str, Query(max_length=32)] = "",
    date_from: Annotated[DateIn | None, Query(description="First day, inclusive (UTC)")] = None,
    date_to: Annotated[DateIn | None, Query(description="Last day, inclusive (UTC)")] = None,
    min_total: Amount = None,
    max_total: Amount = None,
    learner: Annotated[str, Query(max_length=200, description="Email or name part")] = "",
    page: PageNumber = 1,
    size: PageSize = None,
    page_size: PageSize = None,
) -> dict[str, Any]:
    result = commerce_area.list_orders_admin(
        session=session,
        actor=actor,
        page=_page_request(page, size, page_size),
        status=status,
        payment_status=payment_status,
        processor=processor,
        date_from=day_start(date_from),
        date_to=day_start(date_to, next_day=True),
        min_total=min_total,
        max_total=max_total,
        learner=learner,
    )
    return paged(result, [_admin_row_out(r) for r in result.items])


@router.get("/api/v2/admin/orders/{number}", tags=["admin"], response_model=AdminOrderOut)
def admin_order(actor: OrdersActor, session: DbSession, number: OrderNumber) -> dict[str, Any]:
    detail = commerce_area.order_detail(session=session, number=number, actor=actor)
    timeline = commerce_area.payment_timeline(session=session, actor=actor, number=number)
    return {**_detail_out(detail), "timeline": [_timeline_out(e) for e in timeline]}


@router.get("/api/v2/admin/payment-reviews", tags=["admin"],
            response_model=Listed[ReviewOut])
def payment_reviews(actor: OrdersActor, session: DbSession) -> dict[str, Any]:
    rows = commerce_area.list_reviews(session=session, actor=actor)
    return listed([_review_out(r) for r in rows])


@router.post("/api/v2/admin/payment-reviews/{user_id}/clear", tags=["admin"],
             response_model=ReviewOut)
def clear_payment_review(
    actor: OrdersActor,
    session: DbSession,
    user_id: IdPath,
    body: ClearBody | None = None,
) -> dict[str, Any]:
    row = commerce_area.clear_review(
        session=session, actor=actor, user_id=user_id, note=body.note if body else ""
    )
    return _review_out(row)
