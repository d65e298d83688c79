"""Routes that other systems call, authenticated by a connector's signature, not a user."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request
from pydantic import BaseModel, Field

from commerce_dash.api.deps import DbSession, parse_body
from commerce_dash.api.schemas import Out, ProgressOutcomeOut, fill, progress_outcome
from commerce_dash.connectors.secrets import CONNECTOR_KINDS
from commerce_dash.models.integrations import ApiConnector
from commerce_dash.services import enrollment as enrollment_area
from commerce_dash.services import learning as learning_area

router = APIRouter(prefix="/api/v2/integrations", tags=["integrations"])


class LmsModuleIn(BaseModel):
    lms_id: str = Field(default="", max_length=64)
    title: str = Field(max_length=200)
    summary: str = Field(default="", max_length=20_000)
    estimated_minutes: int = Field(default=0, ge=0, le=1_000_000)


class LmsCourseIn(BaseModel):
    lms_id: str = Field(min_length=1, max_length=64)
    code: str = Field(min_length=1, max_length=32)
    title: str = Field(max_length=200)
    description: str = Field(default="", max_length=50_000)
    category: str = Field(default="", max_length=80)
    department_code: str = Field(min_length=1, max_length=32)
    estimated_minutes: int = Field(default=0, ge=0, le=1_000_000)
    published: bool | None = None
    modules: list[LmsModuleIn] = Field(default_factory=list, max_length=500)


class LmsSyncBody(BaseModel):
    courses: list[LmsCourseIn] = Field(max_length=enrollment_area.MAX_COURSES_PER_SYNC)


class SyncedCourseOut(Out):
    lms_id: str
    code: str
    id: int


class LmsSyncOut(Out):
    created: int
    updated: int
    courses: list[SyncedCourseOut]


class EnrollmentStatusOut(Out):
    received: bool
    outcome: str


class LmsUsersOut(Out):
    linked: int
    unchanged: int
    unknown: list[str] = Field(description="Emails that name no account here")


async def raw_body(request: Request) -> bytes:
    """The body exactly as sent: the signature covers these bytes, not a re-encoding."""
    return await request.body()


@dataclass(frozen=True)
class Signed:
    """A request a connector signed: who sent it, and its body exactly as sent."""

    connector: ApiConnector
    body: bytes


def signed_by(kind: str) -> Callable[..., Signed]:
    """The dependency of routes that only ``kind`` connectors may call.

    It authenticates before parsing, so an unsigned caller learns nothing about the format;
    a connector of another kind that signed correctly is refused with 403.
    """
    if kind not in CONNECTOR_KINDS:  # a typo fails at import, not per request
        raise ValueError(f"unknown connector kind {kind!r}")

    def signed_request(
        session: DbSession,
        body: Annotated[bytes, Depends(raw_body)],
        key_id: Annotated[str, Header(alias="X-Connector-Key")] = "",
        timestamp: Annotated[str, Header(alias="X-Timestamp")] = "",
        signature: Annotated[str, Header(alias="X-Signature")] = "",
    ) -> Signed:
        connector = enrollment_area.authenticate_request(
            session=session, key_id=key_id, timestamp=timestamp, signature=signature, body=body,
            kind=kind,
        )
        return Signed(connector, body)

    return signed_request


# Every inbound route today is the LMS's: sync, enrollment status, progress.
LmsSigned = Annotated[Signed, Depends(signed_by("lms"))]


@router.post("/lms/courses", response_model=LmsSyncOut)
def sync_lms_courses(
    session: DbSession, signed: LmsSigned,
) -> dict[str, Any]:
    payload = parse_body(LmsSyncBody, signed.body)
    result = enrollment_area.sync_lms_courses(
        session=session,
        connector=signed.connector,
        courses=[
            enrollment_area.LmsCourse(
                **c.model_dump(exclude={"modules"}),
                modules=[
                    enrollment_area.LmsModule(m.lms_id, m.title, m.summary, m.estimated_minutes)
                    for m in c.modules
                ],
            )
            for c in payload.courses
        ],
    )
    return {
        "created": result.created,
        "updated": result.updated,
        "courses": [fill(SyncedCourseOut, c) for c in result.courses],
    }


# -- the LMS answers enrollment requests (spec 001 "Webhook: Enrollment Status Update") -------

lms_webhooks = APIRouter(prefix="/api/v1/webhooks", tags=["integrations"])


class EnrollmentStatusPayload(BaseModel):
    enrollmentId: str = Field(default="", max_length=100)  # noqa: N815 (spec field names)
    orderId: str = Field(default="", max_length=64)  # noqa: N815
    orderItemId: str = Field(min_length=1, max_length=64)  # noqa: N815
    status: str = Field(max_length=16)
    processedAt: str = Field(default="", max_length=64)  # noqa: N815
    processedBy: str = Field(default="", max_length=120)  # noqa: N815
    rejectionReason: str = Field(default="", max_length=1000)  # noqa: N815
    userId: str = Field(default="", max_length=100)  # noqa: N815 (the LMS's id of the learner)


class EnrollmentStatusBody(BaseModel):
    source: str = Field(default="", max_length=64)
    event: str = Field(max_length=64)
    payload: EnrollmentStatusPayload


@lms_webhooks.post("/enrollment-status", response_model=EnrollmentStatusOut)
def enrollment_status(
    session: DbSession, signed: LmsSigned,
) -> dict[str, Any]:
    """enrollment.approved / enrollment.rejected from the LMS: signed, timestamped, once."""
    update = parse_body(EnrollmentStatusBody, signed.body)
    outcome = enrollment_area.apply_lms_status(session=session, update=enrollment_area.LmsStatus(
        order_item_id=update.payload.orderItemId, status=update.payload.status,
        enrollment_id=update.payload.enrollmentId, reason=update.payload.rejectionReason,
        lms_user_id=update.payload.userId,
    ))
    session.commit()
    enrollment_area.pay_lms_refund(session=session, order_item_id=update.payload.orderItemId)
    return {"received": True, "outcome": outcome}


class LmsUserIn(BaseModel):
    email: str = Field(min_length=3, max_length=254)
    lms_user_id: str = Field(min_length=1, max_length=100)


class LmsUsersBody(BaseModel):
    users: list[LmsUserIn] = Field(max_length=enrollment_area.MAX_USERS_PER_SYNC)


@router.post("/lms/users", response_model=LmsUsersOut)
def sync_lms_users(
    session: DbSession, signed: LmsSigned,
) -> dict[str, Any]:
    """The LMS names its users by email: enrollment payloads then carry its own user ids."""
    payload = parse_body(LmsUsersBody, signed.body)
    result = enrollment_area.sync_users(session=session, connector=signed.connector, users=[
        (u.email, u.lms_user_id) for u in payload.users])
    return {"linked": result.linked, "unchanged": result.unchanged, "unknown": result.unknown}


# -- progress from the LMS (issue 7: POST /api/v2/progress, signed, idempotent per event) -----

progress_router = APIRouter(prefix="/api/v2", tags=["integrations"])


class ProgressBody(BaseModel):
    eventId: str = Field(min_length=1, max_length=120)  # noqa: N815 (spec field names)
    orderItemId: str = Field(min_length=1, max_length=64)  # noqa: N815
    moduleLmsId: str = Field(min_length=1, max_length=64)  # noqa: N815
    completed: bool = False
    score: int | None = Field(default=None, ge=0, le=100)
    minutes: int = Field(default=0, ge=0, le=100_000)


@progress_router.post("/progress", response_model=ProgressOutcomeOut)
def lms_progress(
    session: DbSession, signed: LmsSigned,
) -> dict[str, Any]:
    """Module progress reported by the LMS for an enrollment it confirmed."""
    update = parse_body(ProgressBody, signed.body)
    outcome = learning_area.record_lms_progress(
        session=session, order_item_id=update.orderItemId, module_lms_id=update.moduleLmsId,
        completed=update.completed, score=update.score, minutes=update.minutes,
        event_id=update.eventId,
    )
    return progress_outcome(outcome)
