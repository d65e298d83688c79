"""Registrations: a learner's own registrations; the approval queue of enrollment-admins and
super-admins (scoped to the departments they were granted), approve, reject and bulk actions.

Ids are integers, times ISO 8601 (UTC), amounts come as the formatted ``amount_label``.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from commerce_dash.api.deps import (
    BodyId,
    CurrentActor,
    DbSession,
    IdPath,
    OptionalIdQuery,
    PageNumber,
    PageSize,
    section_guard,
)
from commerce_dash.api.schemas import (
    DateIn,
    Listed,
    Out,
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
from commerce_dash.services import enrollment as enrollment_area

router = APIRouter(tags=["registrations"])

RegistrationsActor = Annotated[Actor, section_guard("registrations")]

MAX_BULK = 500
RegistrationId = IdPath
# The reason's own rules (10 to 1,000 characters once spaces are tidied) are the service's, so
# a short reason is a 422 naming the field "reason"; this cap only stops absurd bodies.
Reason = Annotated[str, Field(max_length=4000)]


class RejectBody(BaseModel):
    reason: Reason = ""


class BulkBody(BaseModel):
    ids: list[BodyId] = Field(min_length=1, max_length=MAX_BULK)
    action: Literal["approve", "reject"]
    reason: Reason = ""


class RegistrationOut(mirror(enrollment_area.QueueRow)):  # type: ignore[misc]
    status: str = Field(description="pending, approved, enrolled, rejected or cancelled")
    created_at: Timestamp
    reviewed_at: Timestamp | None


class BulkResultOut(mirror(enrollment_area.BulkOutcome)):  # type: ignore[misc]
    pass


class BulkRegistrationsOut(Out):
    action: str
    results: list[BulkResultOut]
    succeeded: int
    failed: int


def _row_out(row: enrollment_area.QueueRow) -> dict[str, Any]:
    return {
        **asdict(row),
        "created_at": iso(row.created_at),
        "reviewed_at": iso(row.reviewed_at),
    }


# -- learner ----------------------------------------------------------------------------------


@router.get("/api/v2/registrations", response_model=Listed[RegistrationOut])
def my_registrations(actor: CurrentActor, session: DbSession) -> dict[str, Any]:
    rows = enrollment_area.list_for_learner(session=session, user_id=actor.user_id)
    return listed([_row_out(r) for r in rows])


@router.get("/api/v2/registrations/{registration_id}", response_model=RegistrationOut)
def my_registration(
    actor: CurrentActor, session: DbSession, registration_id: RegistrationId
) -> dict[str, Any]:
    row = enrollment_area.get_for_learner(
        session=session, user_id=actor.user_id, registration_id=registration_id
    )
    return _row_out(row)


# -- admin ------------------------------------------------------------------------------------


@router.get("/api/v2/admin/registrations", tags=["admin"],
            response_model=Paged[RegistrationOut])
def admin_registrations(
    actor: RegistrationsActor,
    session: DbSession,
    status: Annotated[
        str, Query(max_length=16, description="pending (default), approved, enrolled, "
                   "rejected, cancelled, or any")
    ] = "pending",
    course_id: OptionalIdQuery = None,
    date_from: Annotated[DateIn | None, Query(description="First day, inclusive (UTC)")] = None,
    date_to: Annotated[DateIn | None, Query(description="Last day, inclusive (UTC)")] = None,
    learner: Annotated[str, Query(max_length=200, description="Email or name part")] = "",
    page: PageNumber = 1,
    size: PageSize = None,
    page_size: PageSize = None,
) -> dict[str, Any]:
    result = enrollment_area.list_queue(
        session=session,
        actor=actor,
        page=PageRequest.clamp(page, size or page_size),
        status=status,
        course_id=course_id,
        date_from=day_start(date_from),
        date_to=day_start(date_to, next_day=True),
        learner=learner,
    )
    return paged(result, [_row_out(r) for r in result.items])


@router.post("/api/v2/admin/registrations/bulk", tags=["admin"],
             response_model=BulkRegistrationsOut)
def bulk_registrations(
    body: BulkBody, actor: RegistrationsActor, session: DbSession
) -> dict[str, Any]:
    outcomes = enrollment_area.bulk(
        session=session, actor=actor, ids=body.ids, action=body.action, reason=body.reason
    )
    succeeded = sum(1 for o in outcomes if o.ok)
    return {
        "action": body.action,
        "results": [asdict(o) for o in outcomes],
        "succeeded": succeeded,
        "failed": len(outcomes) - succeeded,
    }


@router.post("/api/v2/admin/registrations/{registration_id}/approve", tags=["admin"],
             response_model=RegistrationOut)
def approve_registration(
    actor: RegistrationsActor, session: DbSession, registration_id: RegistrationId
) -> dict[str, Any]:
    row = enrollment_area.approve(
        session=session, actor=actor, registration_id=registration_id
    )
    return _row_out(row)


@router.post("/api/v2/admin/registrations/{registration_id}/reject", tags=["admin"],
             response_model=RegistrationOut)
def reject_registration(
    actor: RegistrationsActor,
    session: DbSession,
    registration_id: RegistrationId,
    body: RejectBody | None = None,
) -> dict[str, Any]:
    row = enrollment_area.reject(
        session=session,
        actor=actor,
        registration_id=registration_id,
        reason=body.reason if body else "",
    )
    return _row_out(row)
