"""Certificate templates and their images, for certificate admins: list, create, edit,
make default, delete and preview templates; upload logos, signatures and backgrounds (the
public image route is ``api.certificates``)."""

from __future__ import annotations

import base64
from dataclasses import asdict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from commerce_dash.api.certificate_admin import CertificatesActor
from commerce_dash.api.deps import BodyId, DbSession, IdPath, parse_body
from commerce_dash.api.schemas import Listed, Out, binary, listed, mirror
from commerce_dash.domain.actor import Actor
from commerce_dash.domain.certificate_design import DEFAULT_BODY
from commerce_dash.services import learning as learning_area

router = APIRouter(tags=["certificates"])

TemplateId = IdPath


class TemplateRowOut(mirror(learning_area.TemplateRow)):  # type: ignore[misc]
    certificates: int = Field(description="How many certificates were issued with it")


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

    def to_in(self) -> learning_area.TemplateIn:
        return learning_area.TemplateIn(
            department_id=self.department_id, name=self.name, orientation=self.orientation,
            title_text=self.title_text, body_text=self.body_text, footer_text=self.footer_text,
            font=self.font, primary_color=self.primary_color,
            background_image_id=self.background_image_id,
            signatures=tuple(learning_area.SignatureIn(s.name, s.title, s.image_id)
                             for s in self.signatures))


def _template_out(t: Any) -> dict[str, Any]:
    return {"id": t.id, "department_id": t.department_id, "name": t.name,
            "orientation": t.orientation, "title_text": t.title_text, "body_text": t.body_text,
            "footer_text": t.footer_text, "font": t.font, "primary_color": t.primary_color,
            "background_image_id": t.background_image_id, "signatures": t.signatures or [],
            "is_default": t.is_default, "version": t.version}


def _stored_template(session: DbSession, actor: Actor, template_id: int) -> dict[str, Any]:
    """The ``TemplateOut`` body of a template as stored now."""
    return _template_out(learning_area.get_template(session=session, actor=actor,
                                                    template_id=template_id))


@router.get("/api/v2/admin/certificate-templates",
            response_model=Listed[TemplateRowOut])
def list_templates(actor: CertificatesActor, session: DbSession) -> dict[str, Any]:
    rows = learning_area.list_templates(session=session, actor=actor)
    return listed([asdict(r) for r in rows])


@router.post("/api/v2/admin/certificate-templates", status_code=201,
             response_model=TemplateOut)
def create_template(actor: CertificatesActor, session: DbSession,
                    body: TemplateBody) -> dict[str, Any]:
    template = learning_area.create_template(session=session, actor=actor,
                                             data=body.to_in(),
                                             make_default=body.make_default)
    return _template_out(template)


@router.get("/api/v2/admin/certificate-templates/{template_id}",
            response_model=TemplateOut)
def get_template(actor: CertificatesActor, session: DbSession,
                 template_id: TemplateId) -> dict[str, Any]:
    return _stored_template(session, actor, template_id)


@router.put("/api/v2/admin/certificate-templates/{template_id}",
            response_model=TemplateOut)
def update_template(actor: CertificatesActor, session: DbSession, template_id: TemplateId,
                    body: TemplateBody) -> dict[str, Any]:
    template = learning_area.update_template(
        session=session, actor=actor, template_id=template_id, data=body.to_in(),
        expected_version=body.expected_version)
    if body.make_default:
        learning_area.set_default_template(session=session, actor=actor,
                                           template_id=template_id)
        session.refresh(template)
    return _template_out(template)


@router.post("/api/v2/admin/certificate-templates/{template_id}/default",
             response_model=TemplateOut)
def make_default(actor: CertificatesActor, session: DbSession,
                 template_id: TemplateId) -> dict[str, Any]:
    learning_area.set_default_template(session=session, actor=actor,
                                       template_id=template_id)
    return _stored_template(session, actor, template_id)


@router.delete("/api/v2/admin/certificate-templates/{template_id}", status_code=204)
def delete_template(actor: CertificatesActor, session: DbSession,
                    template_id: TemplateId) -> Response:
    learning_area.delete_template(session=session, actor=actor, template_id=template_id)
    return Response(status_code=204)


@router.post("/api/v2/admin/certificate-templates/preview", response_class=Response,
             responses={200: binary("image/png", description="The first page, as PNG")})
def preview(actor: CertificatesActor, session: DbSession, body: TemplateBody) -> Response:
    png = learning_area.preview_png(session=session, actor=actor, data=body.to_in())
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
    return parse_body(ImageBody, await request.body())


@router.post(IMAGE_UPLOAD_PATH, status_code=201, response_model=ImageOut, openapi_extra={"requestBody": {
    "required": True, "content": {"application/json": {"schema": ImageBody.model_json_schema()}},
}})
def upload_image(actor: CertificatesActor, session: DbSession,
                 body: Annotated[ImageBody, Depends(_image_body)]) -> dict[str, Any]:
    try:
        data = base64.b64decode(body.data_base64, validate=True)
    except ValueError:
        data = b""
    row = learning_area.store_image(session=session, actor=actor, data=data,
                                    filename=body.filename, purpose=body.purpose,
                                    department_id=body.department_id)
    return {"id": row.id, "key": row.key, "url": learning_area.image_url(row.key),
            "width": row.width, "height": row.height, "content_type": row.content_type,
            "department_id": row.department_id}
