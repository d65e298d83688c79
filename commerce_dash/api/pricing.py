"""Admin pricing routes: list, create or schedule, history, deactivate (never delete)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field, field_validator
from sqlmodel import col, select

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
from commerce_dash.api.schemas import (
    DateTimeIn,
    Paged,
    Timestamp,
    aware,
    fill,
    iso,
    mirror,
    paged,
)
from commerce_dash.domain.actor import Actor
from commerce_dash.domain.errors import DomainError
from commerce_dash.domain.paging import MAX_PAGE_SIZE, PageRequest
from commerce_dash.domain.pricing import (
    CREDIT_MINUTES,
    MAX_CREDIT_EXPIRY_DAYS,
    MAX_CREDITS,
    ItemType,
    PriceStatus,
)
from commerce_dash.models.pricing import Price
from commerce_dash.services import catalog as catalog_area

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
    includes_subdepartments: bool = Field(
        default=False, description="A department's plan: its subdepartments' courses too")
    effective_from: DateTimeIn | None = None
    effective_until: DateTimeIn | None = None
    # the session credits each purchase grants (a course's or a credit pack's price, issue 17)
    private_credits: int = Field(default=0, strict=True, ge=0, le=MAX_CREDITS,
                                 description="Private session credits")
    private_minutes: int = Field(default=60, strict=True, ge=30, le=60,
                                 json_schema_extra={"enum": list(CREDIT_MINUTES)},
                                 description="Length of a private session: 30 or 60 minutes")
    group_credits: int = Field(default=0, strict=True, ge=0, le=MAX_CREDITS,
                               description="Group class credits")
    credit_expiry_days: int = Field(default=0, strict=True, ge=0, le=MAX_CREDIT_EXPIRY_DAYS,
                                    description="Days the credits stay valid; 0 = never")


    @field_validator("private_minutes")
    @classmethod
    def _slot_length(cls, minutes: int) -> int:
        if minutes not in CREDIT_MINUTES:
            raise ValueError("Private sessions last 30 or 60 minutes.")
        return minutes


class DeactivateBody(BaseModel):
    reason: str = Field(default="", max_length=500)


class PriceOut(mirror(catalog_area.PriceRow)):  # type: ignore[misc]
    amount: int = Field(description="Minor units of currency")
    effective_from: Timestamp
    effective_until: Timestamp | None
    status: str
    includes_subdepartments: bool = Field(
        description="A department's plan that includes its subdepartments' courses")


def _choice(value: str, allowed: type[ItemType] | type[PriceStatus], field: str) -> str:
    if value and value not in allowed._value2member_map_:
        raise DomainError(
            f"invalid_{field}",
            f"Use one of: {', '.join(m.value for m in allowed)}.",
            field=field,
        )
    return value


def _including(session: DbSession, rows: Sequence[catalog_area.PriceRow]) -> set[int]:
    """The ids among ``rows`` of plans that include their subdepartments."""
    ids = [r.id for r in rows if r.item_type == ItemType.SUBSCRIPTION.value]
    if not ids:
        return set()
    return {i for i in session.exec(select(Price.id).where(
        col(Price.id).in_(ids), col(Price.includes_subdepartments))).all() if i is not None}


def _price_out(row: catalog_area.PriceRow, including: set[int]) -> dict[str, Any]:
    return fill(PriceOut, row, effective_from=row.effective_from.isoformat(),
                effective_until=iso(row.effective_until), status=row.status.value,
                includes_subdepartments=row.id in including)


def _prices_out(session: DbSession,
                rows: Sequence[catalog_area.PriceRow]) -> list[dict[str, Any]]:
    including = _including(session, rows)
    return [_price_out(r, including) for r in rows]


def _row_of(session: DbSession, actor: Actor, price: Price) -> dict[str, Any]:
    history = catalog_area.price_history(
        session=session, actor=actor, item_type=price.item_type, item_id=price.item_id
    )
    row = next(r for r in history if r.id == price.id)
    return _price_out(row, {row.id} if price.includes_subdepartments else set())


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
    result = catalog_area.list_prices(
        session=session,
        actor=actor,
        page=PageRequest(page, page_size),
        item_type=_choice(item_type, ItemType, "item_type"),
        department_id=department_id,
        currency=currency,
        status=_choice(status, PriceStatus, "status"),
        search=q,
    )
    return paged(result, _prices_out(session, result.items))


@router.post("", status_code=201, response_model=PriceOut)
def create_price(body: PriceBody, actor: PricingActor, session: DbSession) -> dict[str, Any]:
    price = catalog_area.create_price(
        session=session,
        actor=actor,
        **body.model_dump(exclude={"effective_from", "effective_until"}),
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
    rows = catalog_area.price_history(
        session=session, actor=actor, item_type=item_type, item_id=item_id
    )
    return _prices_out(session, rows)


@router.delete("/{price_id}", response_model=PriceOut)
def deactivate_price(
    actor: PricingActor,
    session: DbSession,
    price_id: IdPath,
    body: DeactivateBody | None = None,
    reason: Annotated[str, Query(max_length=500)] = "",
) -> dict[str, Any]:
    price = catalog_area.deactivate_price(
        session=session,
        actor=actor,
        price_id=price_id,
        reason=body.reason if body and body.reason else reason,
    )
    return _row_of(session, actor, price)
