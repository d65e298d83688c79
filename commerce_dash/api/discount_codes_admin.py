"""Admin discount codes (T-003-02, CAT-004): list, create, read, edit, switch on and off.

The same service calls as the Discount codes page (``services.catalog``): the same rules,
messages and audit rows. Billing and super admins work on every code; a dept-admin on the
codes of their departments only, and each code they make is tied to one of their departments
and lists only its courses and programs. A code is never deleted (orders refer to it):
``DELETE`` switches it off. Amounts are integer minor units, percentages basis points.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from sqlmodel import Session

from commerce_dash.api.deps import (
    INT_MAX,
    BodyId,
    DbSession,
    IdPath,
    PageNumber,
    PageSize,
    section_guard,
)
from commerce_dash.api.schemas import DateTimeIn, Out, Paged, Timestamp, aware, iso, paged
from commerce_dash.domain.actor import Actor
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.paging import PageRequest
from commerce_dash.models.pricing import DiscountCode
from commerce_dash.services import catalog as catalog_area

router = APIRouter(prefix="/api/v2/admin/discount-codes", tags=["admin", "discounts"])

DiscountsActor = Annotated[Actor, section_guard("discounts")]
Count = Annotated[int, Field(strict=True, ge=0, le=INT_MAX)]


class ItemRef(BaseModel):
    item_type: Literal["course", "program"]
    item_id: BodyId


class CodeBody(BaseModel):
    code: str = Field(default="", max_length=64,
                      description="The text learners type (create only; it never changes)")
    kind: str = Field(max_length=16, description="percentage or fixed")
    percent_bps: Count = Field(default=0, description="Percent off in basis points (1500 = 15%)")
    amount_off: Count = Field(default=0, description="Minor units of currency (fixed codes)")
    currency: str = Field(default="", max_length=3)
    scope: str = Field(default="all", max_length=16,
                       description="all, courses, programs, subscriptions or listed")
    items: list[ItemRef] = Field(default_factory=list, max_length=500,
                                 description="The courses and programs of a listed code")
    department_id: BodyId | None = Field(
        default=None, description="Only this department's items (required for a dept-admin: "
                                  "one of their departments)")
    valid_from: DateTimeIn | None = Field(default=None, description="Default: now")
    valid_until: DateTimeIn | None = None
    max_uses: Count | None = None
    max_uses_per_user: Count | None = None
    min_purchase: Count = 0
    description: str = Field(default="", max_length=500)
    duration: str = Field(default="once", max_length=8,
                          description="On a subscription: once (first period) or forever")


class ActiveBody(BaseModel):
    active: bool


class ItemOut(Out):
    item_type: str
    item_id: int


class DiscountCodeOut(Out):
    id: int
    code: str
    description: str
    kind: str
    percent_bps: int
    amount_off: int
    currency: str
    scope: str
    items: list[ItemOut]
    department_id: int | None
    valid_from: Timestamp
    valid_until: Timestamp | None
    max_uses: int | None
    max_uses_per_user: int | None
    min_purchase: int
    duration: str
    is_active: bool
    uses_count: int
    status: str = Field(description="active, inactive, scheduled, expired or used_up")


def _input(body: CodeBody) -> catalog_area.CodeInput:
    return catalog_area.CodeInput(
        code=body.code, kind=body.kind, percent_bps=body.percent_bps,
        amount_off=body.amount_off, currency=body.currency, scope=body.scope,
        listed_items=frozenset((i.item_type, i.item_id) for i in body.items),
        department_id=body.department_id,
        valid_from=aware(body.valid_from, "valid_from"),
        valid_until=aware(body.valid_until, "valid_until"),
        max_uses=body.max_uses, max_uses_per_user=body.max_uses_per_user,
        min_purchase=body.min_purchase, description=body.description, duration=body.duration,
    )


def _out(row: DiscountCode, items: list[tuple[str, int]]) -> dict[str, Any]:
    fields = DiscountCodeOut.model_fields.keys() - {"items", "valid_from", "valid_until",
                                                    "status", "id"}
    return {**{name: getattr(row, name) for name in fields}, "id": row.id,
            "items": [{"item_type": t, "item_id": i} for t, i in items],
            "valid_from": iso(row.valid_from), "valid_until": iso(row.valid_until),
            "status": catalog_area.code_status(row, utcnow())}


def _answer(session: Session, actor: Actor, code_id: int) -> dict[str, Any]:
    row, items = catalog_area.get_code(session=session, actor=actor, code_id=code_id)
    return _out(row, items)


@router.get("", response_model=Paged[DiscountCodeOut])
def list_codes(
    actor: DiscountsActor, session: DbSession,
    q: Annotated[str, Query(max_length=200, description="Code or description part")] = "",
    status: Literal["", "active", "scheduled", "expired", "used_up", "inactive"] = "",
    page: PageNumber = 1, page_size: PageSize = None,
) -> dict[str, Any]:
    found = catalog_area.list_codes(session=session, actor=actor,
                                    page=PageRequest.clamp(page, page_size), search=q,
                                    status=status)
    return paged(found, [_answer(session, actor, r.id or 0) for r in found.items])


@router.post("", status_code=201, response_model=DiscountCodeOut)
def create_code(body: CodeBody, actor: DiscountsActor, session: DbSession) -> dict[str, Any]:
    row = catalog_area.create_code(session=session, actor=actor, data=_input(body))
    return _answer(session, actor, row.id or 0)


@router.get("/{code_id}", response_model=DiscountCodeOut)
def get_code(actor: DiscountsActor, session: DbSession, code_id: IdPath) -> dict[str, Any]:
    return _answer(session, actor, code_id)


@router.put("/{code_id}", response_model=DiscountCodeOut)
def update_code(body: CodeBody, actor: DiscountsActor, session: DbSession,
                code_id: IdPath) -> dict[str, Any]:
    catalog_area.update_code(session=session, actor=actor, code_id=code_id, data=_input(body))
    return _answer(session, actor, code_id)


@router.post("/{code_id}/active", response_model=DiscountCodeOut)
def set_active(body: ActiveBody, actor: DiscountsActor, session: DbSession,
               code_id: IdPath) -> dict[str, Any]:
    catalog_area.set_code_active(session=session, actor=actor, code_id=code_id,
                                 active=body.active)
    return _answer(session, actor, code_id)


@router.delete("/{code_id}", response_model=DiscountCodeOut)
def deactivate_code(actor: DiscountsActor, session: DbSession,
                    code_id: IdPath) -> dict[str, Any]:
    """Switch the code off (codes are never deleted: orders refer to them)."""
    catalog_area.set_code_active(session=session, actor=actor, code_id=code_id, active=False)
    return _answer(session, actor, code_id)
