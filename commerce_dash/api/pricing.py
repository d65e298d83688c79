"""Admin pricing routes: list, create or schedule, history, deactivate (never delete)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from commerce_dash.api.deps import (
    INT_MAX,
    AsciiDigits,
    BodyId,
    DbSession,
    IdPath,
    IdQuery,
    OptionalIdQuery,
    PageNumber,
    section_guard,
)
from commerce_dash.api.schemas import DateTimeIn, Out, Paged, Timestamp, aware
from commerce_dash.domain.actor import Actor
from commerce_dash.domain.errors import DomainError
from commerce_dash.domain.paging import MAX_PAGE_SIZE, PageRequest
from commerce_dash.domain.pricing import ItemType, PriceStatus
from commerce_dash.models.pricing import Price
from commerce_dash.services.catalog import pricing as pricing_service

router = APIRouter(prefix="/api/v2/admin/pricing", tags=["admin", "pricing"])

PricingActor = Annotated[Actor, section_guard("pricing")]

# Ids and amounts are 32-bit columns; a larger number must be a 422, not a database error.


class PriceBody(BaseModel):
    item_type: str = Field(max_length=16)
    item_id: BodyId
    price_type: str = Field(max_length=16)
    # strict: 19.99 or "1999" is refused, so nobody mistakes major units for minor units.
    amount: int = Field(strict=True, ge=-INT_MAX, le=INT_MAX)
    currency: str | None = Field(default=None, max_length=3)
    interval: str = Field(default="", max_length=16)
    trial_days: int = Field(default=0, ge=-INT_MAX, le=INT_MAX)
    effective_from: DateTimeIn | None = None
    effective_until: DateTimeIn | None = None


class DeactivateBody(BaseModel):
    reason: str = Field(default="", max_length=500)


class PriceOut(Out):
    id: int
    item_type: str
    item_id: int
    item_title: str
    department: str
    price_type: str
    interval: str
    trial_days: int
    currency: str
    amount: int = Field(description="Minor units of currency")
    amount_label: str
    effective_from: Timestamp
    effective_until: Timestamp | None
    status: str
    deactivated_reason: str


def _choice(value: str, allowed: type[ItemType] | type[PriceStatus], field: str) -> str:
    if value and value not in allowed._value2member_map_:
        raise DomainError(
            f"invalid_{field}",
            f"Use one of: {', '.join(m.value for m in allowed)}.",
            field=field,
        )
    return value


def _price_out(row: pricing_service.PriceRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "item_type": row.item_type,
        "item_id": row.item_id,
        "item_title": row.item_title,
        "department": row.department,
        "price_type": row.price_type,
        "interval": row.interval,
        "trial_days": row.trial_days,
        "currency": row.currency,
        "amount": row.amount,
        "amount_label": row.amount_label,
        "effective_from": row.effective_from.isoformat(),
        "effective_until": row.effective_until.isoformat() if row.effective_until else None,
        "status": row.status.value,
        "deactivated_reason": row.deactivated_reason,
    }


def _row_of(session: DbSession, actor: Actor, price: Price) -> dict[str, Any]:
    history = pricing_service.price_history(
        session=session, actor=actor, item_type=price.item_type, item_id=price.item_id
    )
    return next(_price_out(r) for r in history if r.id == price.id)


@router.get("", response_model=Paged[PriceOut])
def list_prices(
    actor: PricingActor,
    session: DbSession,
    item_type: Annotated[str, Query(max_length=16)] = "",
    department_id: OptionalIdQuery = None,
    currency: Annotated[str, Query(max_length=3)] = "",
    status: Annotated[str, Query(max_length=16)] = "",
    q: Annotated[str, Query(max_length=200)] = "",
    page: PageNumber = 1,
    page_size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE), AsciiDigits] = 25,
) -> dict[str, Any]:
    result = pricing_service.list_prices(
        session=session,
        actor=actor,
        page=PageRequest(page, page_size),
        item_type=_choice(item_type, ItemType, "item_type"),
        department_id=department_id,
        currency=currency,
        status=_choice(status, PriceStatus, "status"),
        search=q,
    )
    return {
        "items": [_price_out(r) for r in result.items],
        "total": result.total,
        "page": result.page,
        "page_size": result.page_size,
        "pages": result.pages,
    }


@router.post("", status_code=201, response_model=PriceOut)
def create_price(body: PriceBody, actor: PricingActor, session: DbSession) -> dict[str, Any]:
    price = pricing_service.create_price(
        session=session,
        actor=actor,
        item_type=body.item_type,
        item_id=body.item_id,
        price_type=body.price_type,
        amount=body.amount,
        currency=body.currency,
        interval=body.interval,
        trial_days=body.trial_days,
        effective_from=aware(body.effective_from, "effective_from"),
        effective_until=aware(body.effective_until, "effective_until"),
    )
    return _row_of(session, actor, price)


@router.get("/history", response_model=list[PriceOut])
def price_history(
    actor: PricingActor,
    session: DbSession,
    item_type: Annotated[str, Query(max_length=16)],
    item_id: IdQuery,
) -> list[dict[str, Any]]:
    rows = pricing_service.price_history(
        session=session, actor=actor, item_type=item_type, item_id=item_id
    )
    return [_price_out(r) for r in rows]


@router.delete("/{price_id}", response_model=PriceOut)
def deactivate_price(
    actor: PricingActor,
    session: DbSession,
    price_id: IdPath,
    body: DeactivateBody | None = None,
    reason: Annotated[str, Query(max_length=500)] = "",
) -> dict[str, Any]:
    price = pricing_service.deactivate_price(
        session=session,
        actor=actor,
        price_id=price_id,
        reason=body.reason if body and body.reason else reason,
    )
    return _row_of(session, actor, price)
