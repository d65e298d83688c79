"""Certificates: public verification, the learner's certificates and PDFs, stored images,
and the admin lookup, manual issue, revocation, templates and progress recording.

Over 400 lines because of the declared answer models of every route (the OpenAPI contract);
the next split puts templates and images in ``api/certificate_templates.py``.

The verification endpoint needs no login, answers only public fields and is rate-limited
per client address (429 with Retry-After beyond the limit).
"""

from __future__ import annotations

import base64
from dataclasses import asdict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import BaseModel, Field, ValidationError

from commerce_dash.api.deps import (
    BodyId,
    CurrentActor,
    DbSession,
    IdPath,
    OptionalIdQuery,
    PageNumber,
    PageSize,
    client_ip,
    section_guard,
)
from commerce_dash.api.registrations import _day_start
from commerce_dash.api.schemas import DateIn, Listed, Out, ProgressOutcomeOut, binary
from commerce_dash.domain.actor import Actor
from commerce_dash.domain.certificate_design import DEFAULT_BODY
from commerce_dash.domain.paging import PageRequest
from commerce_dash.services.learning import certificate_templates as templates_service
from commerce_dash.services.learning import certificates as certificates_service
from commerce_dash.services.learning import learning as learning_service
from commerce_dash.services.learning.progress import ProgressOutcome

router = APIRouter(tags=["certificates"])

CertificatesActor = Annotated[Actor, section_guard("certificates")]
CertificateId = IdPath
TemplateId = IdPath


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


class LearnerCertificateOut(Out):
    id: int
    number: str
    title: str
    item_title: str
    kind: str
    issued_on: str
    status: str
    verify_url: str
    download_url: str


class ModuleProgressOut(Out):
    id: int
    position: int
    title: str
    minutes_estimate: int
    completed: bool
    score: int | None
    minutes: int
    completed_on: str


class CourseProgressOut(Out):
    enrollment_id: int
    course_code: str
    course_title: str
    status: str
    mode: str
    percent: int
    complete: bool
    modules_done: int
    modules_total: int
    missing: list[str]
    criteria: str
    certificate_id: int | None
    certificate_number: str
    learner: str
    modules: list[ModuleProgressOut]


class ProgramProgressOut(Out):
    program_code: str
    program_title: str
    courses_total: int
    courses_complete: int
    percent: int
    certificate_id: int | None
    certificate_number: str


class MyProgressOut(Out):
    courses: list[CourseProgressOut]
    programs: list[ProgramProgressOut]


class CertificateRowOut(Out):
    id: int
    number: str
    learner: str
    email: str
    kind: str
    item_title: str
    department: str
    issued_on: str
    status: str
    manual: bool


class CertificatePageOut(Out):
    items: list[CertificateRowOut]
    total: int
    page: int
    page_size: int


class HistoryOut(Out):
    at: str
    actor: str
    action: str
    reason: str


class CertificateDetailOut(Out):
    row: CertificateRowOut
    title: str
    recipient_name: str
    completed_on: str
    expires_on: str
    grade: str
    percentage: int | None
    template: str
    revoked_on: str
    revoked_category: str
    revoked_reason: str
    issue_note: str
    verify_url: str
    download_url: str
    history: list[HistoryOut]


class TemplateRowOut(Out):
    id: int
    department_id: int
    department: str
    name: str
    orientation: str
    font: str
    primary_color: str
    is_default: bool
    version: int
    certificates: int = Field(description="How many certificates were issued with it")
    updated_at: str


class SignatureOut(Out):
    name: str
    title: str
    image_id: int | None


class TemplateOut(Out):
    id: int
    department_id: int
    name: str
    orientation: str
    title_text: str
    body_text: str
    footer_text: str
    font: str
    primary_color: str
    background_image_id: int | None
    signatures: list[SignatureOut]
    is_default: bool
    version: int = Field(description="Send it back as expected_version when editing")


class ImageOut(Out):
    id: int
    key: str
    url: str
    width: int
    height: int
    content_type: str
    department_id: int | None


def _pdf(filename: str, data: bytes) -> Response:
    return Response(data, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "private, no-store",
    })


# -- public ----------------------------------------------------------------------------------


@router.get("/api/v2/certificates/verify/{number}", response_model=VerificationOut)
def verify(request: Request, session: DbSession,
           number: Annotated[str, Path(max_length=64)]) -> dict[str, Any]:
    result = certificates_service.verify(session=session, number=number,
                                         client=client_ip(request))
    return result.public_json()


@router.get("/api/v2/images/{key}", response_class=Response,
            responses={200: binary("image/png", "image/jpeg", description="The image")})
def image(session: DbSession, key: Annotated[str, Path(max_length=32)]) -> Response:
    row = templates_service.image_by_key(session=session, key=key)
    return Response(row.data, media_type=row.content_type,
                    headers={"Cache-Control": "public, max-age=31536000, immutable"})


# -- learner ---------------------------------------------------------------------------------


@router.get("/api/v2/certificates", response_model=Listed[LearnerCertificateOut])
def my_certificates(actor: CurrentActor, session: DbSession) -> dict[str, Any]:
    rows = certificates_service.list_for_learner(session=session, user_id=actor.user_id)
    return {"items": [asdict(r) for r in rows], "total": len(rows)}


@router.get("/api/v2/certificates/{certificate_id}/download", response_class=Response,
            responses={200: binary("application/pdf", description="The certificate")})
def download(actor: CurrentActor, session: DbSession,
             certificate_id: CertificateId) -> Response:
    filename, data = certificates_service.download(session=session, actor=actor,
                                                   certificate_id=certificate_id)
    return _pdf(filename, data)


@router.get("/api/v2/me/progress", response_model=MyProgressOut)
def my_progress(actor: CurrentActor, session: DbSession) -> dict[str, Any]:
    courses, programs = learning_service.learner_progress(session=session,
                                                          user_id=actor.user_id)
    return {"courses": [asdict(c) for c in courses], "programs": [asdict(p) for p in programs]}


class ModuleDoneBody(BaseModel):
    completed: bool = True


@router.post("/api/v2/me/progress/{enrollment_id}/modules/{module_id}",
             response_model=ProgressOutcomeOut)
def mark_module(actor: CurrentActor, session: DbSession,
                enrollment_id: IdPath, module_id: IdPath,
                body: ModuleDoneBody) -> dict[str, Any]:
    outcome = learning_service.learner_mark_module(
        session=session, actor=actor, enrollment_id=enrollment_id, module_id=module_id,
        completed=body.completed)
    return _outcome(outcome)


def _outcome(outcome: ProgressOutcome) -> dict[str, Any]:
    return {"applied": outcome.applied, "complete": outcome.completion.complete,
            "percentDone": outcome.completion.percent_done,
            "missing": list(outcome.completion.missing),
            "certificateNumber": outcome.certificate_number or None}


# -- admin: certificates ---------------------------------------------------------------------


@router.get("/api/v2/admin/certificates", response_model=CertificatePageOut)
def search(
    actor: CertificatesActor, session: DbSession, q: Annotated[str, Query(max_length=200)] = "",
    course_id: OptionalIdQuery = None, program_id: OptionalIdQuery = None,
    department_id: OptionalIdQuery = None,
    status: Literal["", "valid", "revoked", "expired"] = "",
    issued_from: DateIn | None = None, issued_to: DateIn | None = None,
    page: PageNumber = 1, page_size: PageSize = None,
) -> dict[str, Any]:
    found = certificates_service.search(
        session=session, actor=actor, page=PageRequest.clamp(page, page_size),
        query=certificates_service.CertificateQuery(
            text=q, course_id=course_id, program_id=program_id, department_id=department_id,
            status=status, issued_from=_day_start(issued_from),
            issued_to=_day_start(issued_to, next_day=True)))
    return {"items": [asdict(r) for r in found.items], "total": found.total,
            "page": found.page, "page_size": found.page_size}


@router.get("/api/v2/admin/certificates/{certificate_id}",
            response_model=CertificateDetailOut)
def certificate_detail(actor: CertificatesActor, session: DbSession,
                       certificate_id: CertificateId) -> dict[str, Any]:
    return asdict(certificates_service.detail(session=session, actor=actor,
                                              certificate_id=certificate_id))


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
    certificate = certificates_service.manual_issue(
        session=session, actor=actor, data=certificates_service.ManualIssue(**body.model_dump()))
    assert certificate.id is not None
    return asdict(certificates_service.detail(session=session, actor=actor,
                                              certificate_id=certificate.id))


class RevokeBody(BaseModel):
    category: str = Field(max_length=40)
    reason: str = Field(default="", max_length=2000)


@router.post("/api/v2/admin/certificates/{certificate_id}/revoke",
             response_model=CertificateDetailOut)
def revoke(actor: CertificatesActor, session: DbSession, certificate_id: CertificateId,
           body: RevokeBody) -> dict[str, Any]:
    certificates_service.revoke(session=session, actor=actor, certificate_id=certificate_id,
                                category=body.category, reason=body.reason)
    return asdict(certificates_service.detail(session=session, actor=actor,
                                              certificate_id=certificate_id))


# -- admin: progress -------------------------------------------------------------------------


class ProgressBody(BaseModel):
    module_id: BodyId
    completed: bool = True
    score: int | None = None
    minutes: int = Field(default=0, ge=0, le=100_000)


@router.post("/api/v2/admin/enrollments/{enrollment_id}/progress",
             response_model=ProgressOutcomeOut)
def record_progress(actor: CertificatesActor, session: DbSession,
                    enrollment_id: IdPath, body: ProgressBody) -> dict[str, Any]:
    outcome = learning_service.admin_record_progress(
        session=session, actor=actor, enrollment_id=enrollment_id, module_id=body.module_id,
        completed=body.completed, score=body.score, minutes=body.minutes)
    return _outcome(outcome)


# -- admin: templates ------------------------------------------------------------------------


class SignatureBody(BaseModel):
    name: str = Field(max_length=200)
    title: str = Field(default="", max_length=200)
    image_id: BodyId | None = None


class TemplateBody(BaseModel):
    department_id: BodyId
    name: str = Field(max_length=200)
    orientation: str = Field(default="landscape", max_length=16)
    title_text: str = Field(default="Certificate of Completion", max_length=400)
    body_text: str = Field(default=DEFAULT_BODY, max_length=4000)
    footer_text: str = Field(default="", max_length=1000)
    font: str = Field(default="Helvetica", max_length=32)
    primary_color: str = Field(default="#1f4e79", max_length=16)
    background_image_id: BodyId | None = None
    signatures: list[SignatureBody] = Field(default_factory=list, max_length=10)
    make_default: bool = False
    expected_version: int | None = None

    def to_in(self) -> templates_service.TemplateIn:
        return templates_service.TemplateIn(
            department_id=self.department_id, name=self.name, orientation=self.orientation,
            title_text=self.title_text, body_text=self.body_text, footer_text=self.footer_text,
            font=self.font, primary_color=self.primary_color,
            background_image_id=self.background_image_id,
            signatures=tuple(templates_service.SignatureIn(s.name, s.title, s.image_id)
                             for s in self.signatures))


def _template_out(t: Any) -> dict[str, Any]:
    return {"id": t.id, "department_id": t.department_id, "name": t.name,
            "orientation": t.orientation, "title_text": t.title_text, "body_text": t.body_text,
            "footer_text": t.footer_text, "font": t.font, "primary_color": t.primary_color,
            "background_image_id": t.background_image_id, "signatures": t.signatures or [],
            "is_default": t.is_default, "version": t.version}


@router.get("/api/v2/admin/certificate-templates",
            response_model=Listed[TemplateRowOut])
def list_templates(actor: CertificatesActor, session: DbSession) -> dict[str, Any]:
    rows = templates_service.list_templates(session=session, actor=actor)
    return {"items": [asdict(r) for r in rows], "total": len(rows)}


@router.post("/api/v2/admin/certificate-templates", status_code=201,
             response_model=TemplateOut)
def create_template(actor: CertificatesActor, session: DbSession,
                    body: TemplateBody) -> dict[str, Any]:
    template = templates_service.create_template(session=session, actor=actor,
                                                 data=body.to_in(),
                                                 make_default=body.make_default)
    return _template_out(template)


@router.get("/api/v2/admin/certificate-templates/{template_id}",
            response_model=TemplateOut)
def get_template(actor: CertificatesActor, session: DbSession,
                 template_id: TemplateId) -> dict[str, Any]:
    return _template_out(templates_service.get_template(session=session, actor=actor,
                                                        template_id=template_id))


@router.put("/api/v2/admin/certificate-templates/{template_id}",
            response_model=TemplateOut)
def update_template(actor: CertificatesActor, session: DbSession, template_id: TemplateId,
                    body: TemplateBody) -> dict[str, Any]:
    template = templates_service.update_template(
        session=session, actor=actor, template_id=template_id, data=body.to_in(),
        expected_version=body.expected_version)
    if body.make_default:
        templates_service.set_default_template(session=session, actor=actor,
                                               template_id=template_id)
        session.refresh(template)
    return _template_out(template)


@router.post("/api/v2/admin/certificate-templates/{template_id}/default",
             response_model=TemplateOut)
def make_default(actor: CertificatesActor, session: DbSession,
                 template_id: TemplateId) -> dict[str, Any]:
    templates_service.set_default_template(session=session, actor=actor,
                                           template_id=template_id)
    return _template_out(templates_service.get_template(session=session, actor=actor,
                                                        template_id=template_id))


@router.delete("/api/v2/admin/certificate-templates/{template_id}", status_code=204)
def delete_template(actor: CertificatesActor, session: DbSession,
                    template_id: TemplateId) -> Response:
    templates_service.delete_template(session=session, actor=actor, template_id=template_id)
    return Response(status_code=204)


@router.post("/api/v2/admin/certificate-templates/preview", response_class=Response,
             responses={200: binary("image/png", description="The first page, as PNG")})
def preview(actor: CertificatesActor, session: DbSession, body: TemplateBody) -> Response:
    png = templates_service.preview_png(session=session, actor=actor, data=body.to_in())
    return Response(png, media_type="image/png", headers={"Cache-Control": "no-store"})


IMAGE_UPLOAD_PATH = "/api/v2/admin/images"


def image_request_bytes(max_image_bytes: int) -> int:
    """The body limit of the upload route: the image in base64 and its few other fields."""
    return 4 * -(-max_image_bytes // 3) + 4096


class ImageBody(BaseModel):
    purpose: Literal["logo", "signature", "background"]
    filename: str = Field(default="", max_length=200)
    data_base64: str  # bounded by the route's body limit, image_request_bytes()
    # the department the image is for; omitted: the only one the admin manages (none yet
    # for a super-admin: the first template or logo to use it makes it that department's)
    department_id: BodyId | None = None


async def _image_body(request: Request) -> ImageBody:
    """The upload's JSON body. A dependency listed after the actor's, so the body is read
    only once the caller is known to be allowed (no body parameter: FastAPI would read it
    before any dependency); the app's body limit caps the read."""
    try:
        return ImageBody.model_validate_json(await request.body())
    except ValidationError as exc:
        raise RequestValidationError(exc.errors(include_url=False)) from None


@router.post(IMAGE_UPLOAD_PATH, status_code=201, response_model=ImageOut, openapi_extra={"requestBody": {
    "required": True, "content": {"application/json": {"schema": ImageBody.model_json_schema()}},
}})
def upload_image(actor: CertificatesActor, session: DbSession,
                 body: Annotated[ImageBody, Depends(_image_body)]) -> dict[str, Any]:
    try:
        data = base64.b64decode(body.data_base64, validate=True)
    except ValueError:
        data = b""
    row = templates_service.store_image(session=session, actor=actor, data=data,
                                        filename=body.filename, purpose=body.purpose,
                                        department_id=body.department_id)
    return {"id": row.id, "key": row.key, "url": templates_service.image_url(row.key),
            "width": row.width, "height": row.height, "content_type": row.content_type,
            "department_id": row.department_id}
