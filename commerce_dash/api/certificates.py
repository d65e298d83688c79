"""Certificates for everyone: public verification and stored images, and the learner's own
certificates, PDFs and progress.

The admin side is ``api.certificate_admin`` (lookup, manual issue, revocation, progress
recording) and ``api.certificate_templates`` (templates and image uploads); ``api.app``
includes the three routers in that order.

The verification endpoint needs no login, answers only public fields and is rate-limited
per client address (429 with Retry-After beyond the limit).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from commerce_dash.api.deps import CurrentActor, DbSession, IdPath, client_ip
from commerce_dash.api.schemas import (
    Listed,
    Out,
    ProgressOutcomeOut,
    binary,
    listed,
    mirror,
    progress_outcome,
)
from commerce_dash.services import learning as learning_area

router = APIRouter(tags=["certificates"])

CertificateId = IdPath


class VerificationOut(Out):
    """The public fields of a certificate; all but ``number`` and ``status`` are null when
    the number is not found."""

    number: str
    status: str = Field(description="valid, expired, revoked or not_found")
    recipientName: str | None  # noqa: N815 (spec field names)
    title: str | None
    kind: str | None
    courseOrProgram: str | None  # noqa: N815
    department: str | None
    completedOn: str | None  # noqa: N815
    issuedOn: str | None  # noqa: N815
    expiresOn: str | None  # noqa: N815
    revokedOn: str | None  # noqa: N815
    revocationCategory: str | None  # noqa: N815
    issuerName: str | None = Field(description="The issuing department")  # noqa: N815
    issuerLogoUrl: str | None = Field(description="The issuer's logo, if it has one")  # noqa: N815
    description: str | None = Field(description="What the course or program covers")
    hours: float | None = Field(description="Estimated learning time in hours, if known")
    doesNotExpire: bool | None  # noqa: N815
    holderDeleted: bool | None = Field(  # noqa: N815
        description="The holder deleted their account; recipientName is then null")
    verificationUrl: str | None  # noqa: N815
    linkedInAddUrl: str | None = Field(  # noqa: N815
        description="LinkedIn's Add to profile address, while the certificate is valid")


class LearnerCertificateOut(mirror(learning_area.LearnerCertificate)):  # type: ignore[misc]
    pass


class ModuleProgressOut(mirror(learning_area.ModuleRow)):  # type: ignore[misc]
    pass


class CourseProgressOut(mirror(learning_area.CourseProgress)):  # type: ignore[misc]
    missing: list[str]
    modules: list[ModuleProgressOut]


class ProgramProgressOut(mirror(learning_area.ProgramProgress)):  # type: ignore[misc]
    pass


class MyProgressOut(Out):
    courses: list[CourseProgressOut]
    programs: list[ProgramProgressOut]


def _pdf(filename: str, data: bytes) -> Response:
    return Response(data, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "private, no-store",
    })


# -- public ----------------------------------------------------------------------------------


@router.get("/api/v2/certificates/verify/{number}", response_model=VerificationOut)
def verify(request: Request, session: DbSession,
           number: Annotated[str, Path(max_length=64)]) -> dict[str, Any]:
    result = learning_area.verify(session=session, number=number,
                                  client=client_ip(request))
    return result.public_json()  # linkedInAddUrl included (see VerificationResult)


@router.get("/api/v2/images/{key}", response_class=Response,
            responses={200: binary("image/png", "image/jpeg", description="The image")})
def image(session: DbSession, key: Annotated[str, Path(max_length=32)]) -> Response:
    row = learning_area.image_by_key(session=session, key=key)
    return Response(row.data, media_type=row.content_type,
                    headers={"Cache-Control": "public, max-age=31536000, immutable"})


# -- learner ---------------------------------------------------------------------------------


@router.get("/api/v2/certificates", response_model=Listed[LearnerCertificateOut])
def my_certificates(actor: CurrentActor, session: DbSession) -> dict[str, Any]:
    rows = learning_area.list_for_learner(session=session, user_id=actor.user_id)
    return listed([asdict(r) for r in rows])


@router.get("/api/v2/certificates/{certificate_id}/download", response_class=Response,
            responses={200: binary("application/pdf", description="The certificate")})
def download(actor: CurrentActor, session: DbSession,
             certificate_id: CertificateId) -> Response:
    filename, data = learning_area.download(session=session, actor=actor,
                                            certificate_id=certificate_id)
    return _pdf(filename, data)


@router.get("/api/v2/me/progress", response_model=MyProgressOut)
def my_progress(actor: CurrentActor, session: DbSession) -> dict[str, Any]:
    courses, programs = learning_area.learner_progress(session=session,
                                                       user_id=actor.user_id)
    return {"courses": [asdict(c) for c in courses], "programs": [asdict(p) for p in programs]}


class ModuleDoneBody(BaseModel):
    completed: bool = True


@router.post("/api/v2/me/progress/{enrollment_id}/modules/{module_id}",
             response_model=ProgressOutcomeOut)
def mark_module(actor: CurrentActor, session: DbSession,
                enrollment_id: IdPath, module_id: IdPath,
                body: ModuleDoneBody) -> dict[str, Any]:
    outcome = learning_area.learner_mark_module(
        session=session, actor=actor, enrollment_id=enrollment_id, module_id=module_id,
        completed=body.completed)
    return progress_outcome(outcome)
