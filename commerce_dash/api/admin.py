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
from commerce_dash.api.schemas import DateTimeIn, Out, Paged, Timestamp, aware
from commerce_dash.domain.actor import Actor, Grant
from commerce_dash.domain.paging import MAX_PAGE_SIZE, PageRequest
from commerce_dash.services.commerce import overview as overview_service
from commerce_dash.services.platform import audit as audit_service
from commerce_dash.services.platform import users as users_service

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


class SalesOut(Out):
    currency: str
    orders_24h: int
    revenue_24h: int
    pending_checkouts: int
    under_review: int
    dead_payment_events: int
    refunds_waiting: int


class OverviewOut(Out):
    """Counts of the caller's scope; ``sales``, ``dead_messages`` and
    ``pending_registrations`` are null for roles that do not see them."""

    users: int
    learners: int
    active_sessions: int
    departments: int
    courses: int
    published_courses: int
    programs: int
    audit_events_24h: int
    scope_label: str
    dead_messages: int | None
    sales: SalesOut | None
    pending_registrations: int | None


class GrantOut(Out):
    role: str
    department_id: int | None


class UserOut(Out):
    id: int
    email: str
    full_name: str
    is_active: bool
    grants: list[GrantOut]
    last_login_at: str = Field(description="ISO 8601, UTC; empty if never")
    pending_invitation: bool


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


def _page_out(page: Any, items: list[Any]) -> dict[str, Any]:
    return {
        "items": items,
        "total": page.total,
        "page": page.page,
        "page_size": page.page_size,
        "pages": page.pages,
    }


@router.get("/overview", response_model=OverviewOut)
def overview(actor: OverviewActor, session: DbSession) -> dict[str, Any]:
    return overview_service.admin_overview(session=session, actor=actor).__dict__


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
    result = users_service.list_users(
        session=session,
        actor=actor,
        page=PageRequest.clamp(page, page_size),
        search=search,
        role=role,
        status=status,
    )
    items = [{**row.__dict__, "grants": [g.__dict__ for g in row.grants]} for row in result.items]
    return _page_out(result, items)


@router.post("/users", status_code=201, response_model=CreatedUserOut)
def create_user(body: CreateUserBody, actor: UsersActor, session: DbSession) -> dict[str, Any]:
    created = users_service.create_user(
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
    grants = users_service.set_grants(
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
    user = users_service.set_active(
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
    result = audit_service.list_audit(
        session=session,
        actor=actor,
        page=PageRequest.clamp(page, page_size),
        action=action,
        entity_type=entity_type,
        actor_query=actor_query,
        since=aware(since, "since"),
        until=aware(until, "until"),
    )
    items = [
        {
            "id": r.id,
            "at": r.at.isoformat(),
            "actor_email": r.actor_email,
            "action": r.action,
            "entity_type": r.entity_type,
            "entity_id": r.entity_id,
            "before": r.before,
            "after": r.after,
            "reason": r.reason,
        }
        for r in result.items
    ]
    return _page_out(result, items)
