"""Certificates for their admins: the lookup, a certificate's detail, manual issue,
revocation, and progress recorded by hand (the learner side is ``api.certificates``)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from commerce_dash.api.deps import (
    BodyId,
    DbSession,
    IdPath,
    OptionalIdQuery,
    PageNumber,
    PageSize,
    section_guard,
)
from commerce_dash.api.schemas import (
    DateIn,
    Out,
    ProgressOutcomeOut,
    day_start,
    mirror,
    page_of,
    progress_outcome,
)
from commerce_dash.domain.actor import Actor
from commerce_dash.domain.paging import PageRequest
from commerce_dash.services import learning as learning_area

router = APIRouter(tags=["certificates"])

CertificatesActor = Annotated[Actor, section_guard("certificates")]
CertificateId = IdPath


class CertificateRowOut(mirror(learning_area.CertificateRow)):  # type: ignore[misc]
    pass


class CertificatePageOut(Out):
    items: list[CertificateRowOut]
    total: int
    page: int
    page_size: int


class HistoryOut(mirror(learning_area.HistoryEntry)):  # type: ignore[misc]
    pass


class CertificateDetailOut(mirror(learning_area.CertificateDetail)):  # type: ignore[misc]
    row: CertificateRowOut
    history: list[HistoryOut]


def _detail(session: DbSession, actor: Actor, certificate_id: int) -> dict[str, Any]:
    """The ``CertificateDetailOut`` body of a certificate: every admin route about one
    certificate answers it."""
    return asdict(learning_area.detail(session=session, actor=actor,
                                       certificate_id=certificate_id))


@router.get("/api/v2/admin/certificates", response_model=CertificatePageOut)
def search(
    actor: CertificatesActor, session: DbSession, q: Annotated[str, Query(max_length=200)] = "",
    course_id: OptionalIdQuery = None, program_id: OptionalIdQuery = None,
    department_id: OptionalIdQuery = None,
    status: Literal["", "valid", "revoked", "expired"] = "",
    issued_from: DateIn | None = None, issued_to: DateIn | None = None,
    page: PageNumber = 1, page_size: PageSize = None,
) -> dict[str, Any]:
    found = learning_area.search(
        session=session, actor=actor, page=PageRequest.clamp(page, page_size),
        query=learning_area.CertificateQuery(
            text=q, course_id=course_id, program_id=program_id, department_id=department_id,
            status=status, issued_from=day_start(issued_from),
            issued_to=day_start(issued_to, next_day=True)))
    return page_of(found, [asdict(r) for r in found.items])


@router.get("/api/v2/admin/certificates/{certificate_id}",
            response_model=CertificateDetailOut)
def certificate_detail(actor: CertificatesActor, session: DbSession,
                       certificate_id: CertificateId) -> dict[str, Any]:
    return _detail(session, actor, certificate_id)


class IssueBody(BaseModel):
    email: str = Field(max_length=254)
    course_id: BodyId | None = None
    program_id: BodyId | None = None
    completed_on: DateIn | None = None
    grade: str = Field(default="", max_length=64)
    percentage: int | None = None
    note: str = Field(default="", max_length=2000)


@router.post("/api/v2/admin/certificates", status_code=201,
             response_model=CertificateDetailOut)
def issue(actor: CertificatesActor, session: DbSession, body: IssueBody) -> dict[str, Any]:
    certificate = learning_area.manual_issue(
        session=session, actor=actor, data=learning_area.ManualIssue(**body.model_dump()))
    assert certificate.id is not None
    return _detail(session, actor, certificate.id)


class RevokeBody(BaseModel):
    category: str = Field(max_length=40)
    reason: str = Field(default="", max_length=2000)


@router.post("/api/v2/admin/certificates/{certificate_id}/revoke",
             response_model=CertificateDetailOut)
def revoke(actor: CertificatesActor, session: DbSession, certificate_id: CertificateId,
           body: RevokeBody) -> dict[str, Any]:
    learning_area.revoke(session=session, actor=actor, certificate_id=certificate_id,
                         category=body.category, reason=body.reason)
    return _detail(session, actor, certificate_id)


# -- progress recorded by hand ---------------------------------------------------------------


class ProgressBody(BaseModel):
    module_id: BodyId
    completed: bool = True
    score: int | None = None
    minutes: int = Field(default=0, ge=0, le=100_000)


@router.post("/api/v2/admin/enrollments/{enrollment_id}/progress",
             response_model=ProgressOutcomeOut)
def record_progress(actor: CertificatesActor, session: DbSession,
                    enrollment_id: IdPath, body: ProgressBody) -> dict[str, Any]:
    outcome = learning_area.admin_record_progress(
        session=session, actor=actor, enrollment_id=enrollment_id, module_id=body.module_id,
        completed=body.completed, score=body.score, minutes=body.minutes)
    return progress_outcome(outcome)
