"""Orders and payments: the learner's orders, receipts and payment history; the admin order
list with filters, an order with its payment timeline, and the payment review queue.

Amounts are integer minor units next to their currency, with a formatted ``*_label`` beside.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
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
from commerce_dash.api.schemas import DateIn, Listed, Out, Paged, Timestamp
from commerce_dash.domain.actor import Actor
from commerce_dash.domain.paging import Page, PageRequest
from commerce_dash.services.commerce import orders as orders_service

router = APIRouter(tags=["orders"])

OrdersActor = Annotated[Actor, section_guard("orders")]

OrderNumber = Annotated[str, Path(min_length=1, max_length=40)]
Amount = Annotated[int | None, Query(ge=0, le=INT_MAX), AsciiDigits]


class ClearBody(BaseModel):
    note: str = Field(default="", max_length=500)


class OrderSummaryOut(Out):
    number: str
    order_id: int
    created_at: Timestamp
    status: str
    payment_status: str
    item_count: int
    total: int
    currency: str
    total_label: str
    display_total: int
    display_currency: str
    display_total_label: str


class OrderLineOut(Out):
    title: str
    item_type: str
    item_id: int
    list_amount: int
    discount_amount: int
    tax_amount: int
    total: int
    currency: str
    list_label: str
    discount_label: str
    tax_label: str
    total_label: str
    note: str


class OrderPaymentOut(Out):
    processor: str
    status: str
    amount: int
    currency: str
    amount_label: str
    intent_id: str
    card_last4: str
    failure_code: str
    failure_reason: str
    attempts_failed: int
    refunded_amount: int
    refunded_label: str
    created_at: Timestamp
    processed_at: Timestamp | None


class OrderDetailOut(Out):
    number: str
    order_id: int
    user_id: int
    learner_name: str
    learner_email: str
    created_at: Timestamp
    completed_at: Timestamp | None
    status: str
    payment_status: str
    processor: str
    currency: str
    lines: list[OrderLineOut]
    subtotal: int
    subtotal_label: str
    discount_code: str
    discount_amount: int
    discount_label: str
    tax_name: str
    tax_amount: int
    tax_amount_label: str
    total: int
    total_label: str
    refunded_amount: int
    refunded_label: str
    display_currency: str
    display_total: int
    display_total_label: str
    shows_display_currency: bool
    exchange_rate: str
    exchange_rate_label: str
    exchange_rate_at: Timestamp | None
    billing_country: str
    billing_region: str
    billing_postal_code: str
    failure_reason: str
    payment: OrderPaymentOut | None
    settlement_currency: str
    settlement_total: int
    settlement_label: str
    can_retry: bool
    retry_reason: str


class PaymentRowOut(Out):
    at: Timestamp
    order_number: str
    processor: str
    amount: int
    currency: str
    amount_label: str
    status: str
    failure_reason: str
    refunded_amount: int
    refunded_label: str


class AdminOrderRowOut(Out):
    number: str
    order_id: int
    created_at: Timestamp
    user_id: int
    learner_name: str
    learner_email: str
    status: str
    payment_status: str
    processor: str
    item_count: int
    total: int
    currency: str
    total_label: str
    display_total: int
    display_currency: str
    display_total_label: str
    refunded_amount: int
    failure_reason: str


class TimelineOut(Out):
    at: Timestamp
    source: str
    event_type: str
    event_id: str
    status: str
    outcome: str
    error: str
    attempts: int
    processed_at: Timestamp | None
    payload_json: str


class AdminOrderOut(OrderDetailOut):
    timeline: list[TimelineOut]


class ReviewOut(Out):
    user_id: int
    learner_email: str
    learner_name: str
    reason: str
    failures: int
    since: Timestamp
    cleared_at: Timestamp | None
    cleared_by_id: int | None


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _page_request(page: int, size: int | None, page_size: int | None) -> PageRequest:
    return PageRequest.clamp(page, size or page_size)


def _paged(result: Page[Any], items: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "items": items,
        "total": result.total,
        "page": result.page,
        "page_size": result.page_size,
        "pages": result.pages,
    }


def _summary_out(row: orders_service.OrderSummary) -> dict[str, Any]:
    return {**asdict(row), "created_at": _when(row.created_at)}


def _detail_out(detail: orders_service.OrderDetail) -> dict[str, Any]:
    payment = detail.payment
    out = asdict(detail)
    out.update(
        created_at=_when(detail.created_at),
        completed_at=_when(detail.completed_at),
        exchange_rate_at=_when(detail.exchange_rate_at),
        can_retry=detail.can_retry,
        retry_reason=detail.retry_reason if detail.can_retry else "",
        payment=None
        if payment is None
        else {
            **asdict(payment),
            "created_at": _when(payment.created_at),
            "processed_at": _when(payment.processed_at),
        },
    )
    return out


def _payment_out(row: orders_service.PaymentRow) -> dict[str, Any]:
    return {**asdict(row), "at": _when(row.at)}


def _admin_row_out(row: orders_service.AdminOrderRow) -> dict[str, Any]:
    return {**asdict(row), "created_at": _when(row.created_at)}


def _timeline_out(entry: orders_service.TimelineEntry) -> dict[str, Any]:
    return {**asdict(entry), "at": _when(entry.at), "processed_at": _when(entry.processed_at)}


def _review_out(row: orders_service.ReviewRow) -> dict[str, Any]:
    return {**asdict(row), "since": _when(row.since), "cleared_at": _when(row.cleared_at)}


def _day_start(day: date | None, *, next_day: bool = False) -> datetime | None:
    if day is None:
        return None
    start = datetime.combine(day, time.min, tzinfo=UTC)
    return start + timedelta(days=1) if next_day else start


# -- learner ----------------------------------------------------------------------------------


@router.get("/api/v2/orders", response_model=Paged[OrderSummaryOut])
def my_orders(
    actor: CurrentActor,
    session: DbSession,
    page: PageNumber = 1,
    size: PageSize = None,
    page_size: PageSize = None,
) -> dict[str, Any]:
    result = orders_service.list_orders_for_user(
        session=session, user_id=actor.user_id, page=_page_request(page, size, page_size)
    )
    return _paged(result, [_summary_out(r) for r in result.items])


@router.get("/api/v2/orders/{number}", response_model=OrderDetailOut)
def my_order(actor: CurrentActor, session: DbSession, number: OrderNumber) -> dict[str, Any]:
    detail = orders_service.order_detail(session=session, number=number, user_id=actor.user_id)
    return _detail_out(detail)


@router.get("/api/v2/payments/history", response_model=Paged[PaymentRowOut])
def my_payments(
    actor: CurrentActor,
    session: DbSession,
    page: PageNumber = 1,
    size: PageSize = None,
    page_size: PageSize = None,
) -> dict[str, Any]:
    result = orders_service.payment_history_for_user(
        session=session, user_id=actor.user_id, page=_page_request(page, size, page_size)
    )
    return _paged(result, [_payment_out(r) for r in result.items])


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
    result = orders_service.list_orders_admin(
        session=session,
        actor=actor,
        page=_page_request(page, size, page_size),
        status=status,
        payment_status=payment_status,
        processor=processor,
        date_from=_day_start(date_from),
        date_to=_day_start(date_to, next_day=True),
        min_total=min_total,
        max_total=max_total,
        learner=learner,
    )
    return _paged(result, [_admin_row_out(r) for r in result.items])


@router.get("/api/v2/admin/orders/{number}", tags=["admin"], response_model=AdminOrderOut)
def admin_order(actor: OrdersActor, session: DbSession, number: OrderNumber) -> dict[str, Any]:
    detail = orders_service.order_detail(session=session, number=number, actor=actor)
    timeline = orders_service.payment_timeline(session=session, actor=actor, number=number)
    return {**_detail_out(detail), "timeline": [_timeline_out(e) for e in timeline]}


@router.get("/api/v2/admin/payment-reviews", tags=["admin"],
            response_model=Listed[ReviewOut])
def payment_reviews(actor: OrdersActor, session: DbSession) -> dict[str, Any]:
    rows = orders_service.list_reviews(session=session, actor=actor)
    return {"items": [_review_out(r) for r in rows], "total": len(rows)}


@router.post("/api/v2/admin/payment-reviews/{user_id}/clear", tags=["admin"],
             response_model=ReviewOut)
def clear_payment_review(
    actor: OrdersActor,
    session: DbSession,
    user_id: IdPath,
    body: ClearBody | None = None,
) -> dict[str, Any]:
    row = orders_service.clear_review(
        session=session, actor=actor, user_id=user_id, note=body.note if body else ""
    )
    return _review_out(row)
