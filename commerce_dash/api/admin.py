"""Admin routes of the foundation: overview, users and roles, audit log."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from commerce_dash.api.deps import (
    AsciiDigits,
    BodyId,
    DbSession,
    IdPath,
    PageNumber,
    PageSize,
    section_guard,
)
from commerce_dash.api.schemas import DateTimeIn, Out, Paged, Timestamp, aware, fill, mirror, paged
from commerce_dash.domain.actor import Actor, Grant
from commerce_dash.domain.paging import MAX_PAGE_SIZE, PageRequest
from commerce_dash.services import commerce as commerce_area
from commerce_dash.services import platform as platform_area

router = APIRouter(prefix="/api/v2/admin", tags=["admin"])

OverviewActor = Annotated[Actor, section_guard("overview")]
UsersActor = Annotated[Actor, section_guard("users")]
AuditActor = Annotated[Actor, section_guard("audit")]


class GrantIn(BaseModel):
    role: str
    department_id: BodyId | None = None


class CreateUserBody(BaseModel):
    email: str = Field(max_length=254)
    full_name: str = Field(max_length=120)
    grants: list[GrantIn]
    password: str | None = Field(default=None, max_length=256)


class GrantsBody(BaseModel):
    grants: list[GrantIn]


class ActiveBody(BaseModel):
    active: bool
    reason: str = Field(default="", max_length=500)


class SalesOut(mirror(commerce_area.Sales)):  # type: ignore[misc]
    pass


class OverviewOut(mirror(commerce_area.Overview)):  # type: ignore[misc]
    """Counts of the caller's scope; ``sales``, ``dead_messages`` and
    ``pending_registrations`` are null for roles that do not see them."""

    sales: SalesOut | None


class GrantOut(Out):
    role: str
    department_id: int | None


class UserOut(mirror(platform_area.UserRow)):  # type: ignore[misc]
    grants: list[GrantOut]
    last_login_at: str = Field(description="ISO 8601, UTC; empty if never")


class CreatedUserOut(Out):
    id: int
    email: str
    invitation_link: str | None = Field(
        description="Set when no password was given: the link to send the new user")


class UserGrantsOut(Out):
    id: int
    grants: list[GrantOut]


class UserActiveOut(Out):
    id: int
    is_active: bool


class AuditOut(Out):
    id: int
    at: Timestamp
    actor_email: str
    action: str
    entity_type: str
    entity_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    reason: str


@router.get("/overview", response_model=OverviewOut)
def overview(actor: OverviewActor, session: DbSession) -> dict[str, Any]:
    return commerce_area.admin_overview(session=session, actor=actor).__dict__


@router.get("/users", response_model=Paged[UserOut])
def list_users(
    actor: UsersActor,
    session: DbSession,
    search: str = "",
    role: str = "",
    status: str = "",
    page: PageNumber = 1,
    page_size: PageSize = None,
) -> dict[str, Any]:
    result = platform_area.list_users(
        session=session,
        actor=actor,
        page=PageRequest.clamp(page, page_size),
        search=search,
        role=role,
        status=status,
    )
    items = [{**row.__dict__, "grants": [g.__dict__ for g in row.grants]} for row in result.items]
    return paged(result, items)


@router.post("/users", status_code=201, response_model=CreatedUserOut)
def create_user(body: CreateUserBody, actor: UsersActor, session: DbSession) -> dict[str, Any]:
    created = platform_area.create_user(
        session=session,
        actor=actor,
        email=body.email,
        full_name=body.full_name,
        grants=[Grant(g.role, g.department_id) for g in body.grants],
        password=body.password,
    )
    return {
        "id": created.user.id,
        "email": created.user.email,
        "invitation_link": created.invitation_link,
    }


@router.put("/users/{user_id}/roles", response_model=UserGrantsOut)
def set_roles(
    user_id: IdPath, body: GrantsBody, actor: UsersActor, session: DbSession
) -> dict[str, Any]:
    grants = platform_area.set_grants(
        session=session,
        actor=actor,
        user_id=user_id,
        grants=[Grant(g.role, g.department_id) for g in body.grants],
    )
    return {"id": user_id, "grants": [g.__dict__ for g in grants]}


@router.post("/users/{user_id}/active", response_model=UserActiveOut)
def set_active(
    user_id: IdPath, body: ActiveBody, actor: UsersActor, session: DbSession
) -> dict[str, Any]:
    user = platform_area.set_active(
        session=session, actor=actor, user_id=user_id, active=body.active, reason=body.reason
    )
    return {"id": user.id, "is_active": user.is_active}


@router.get("/audit", response_model=Paged[AuditOut])
def list_audit(
    actor: AuditActor,
    session: DbSession,
    action: str = "",
    entity_type: str = "",
    actor_query: Annotated[str, Query(alias="actor")] = "",
    since: DateTimeIn | None = None,
    until: DateTimeIn | None = None,
    page: PageNumber = 1,
    page_size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE), AsciiDigits] = 50,
) -> dict[str, Any]:
    result = platform_area.list_audit(
        session=session,
        actor=actor,
        page=PageRequest.clamp(page, page_size),
        action=action,
        entity_type=entity_type,
        actor_query=actor_query,
        since=aware(since, "since"),
        until=aware(until, "until"),
    )
    return paged(result, [fill(AuditOut, r, at=r.at.isoformat()) for r in result.items])
