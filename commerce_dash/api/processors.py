"""The processor screen's API (billing admins): which processors are set up (keys and
webhook secret present, last webhook, mode; never a secret), the default processor and each
department's, and a test webhook signed with the configured secret."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from commerce_dash.api.deps import DbSession, IdPath, section_guard
from commerce_dash.api.schemas import Out
from commerce_dash.domain.actor import Actor
from commerce_dash.services import commerce as commerce_area

router = APIRouter(prefix="/api/v2/admin/processors", tags=["admin", "payments"])

ProcessorsActor = Annotated[Actor, section_guard("processors")]
Processor = Literal["sandbox", "stripe", "razorpay", "square", "elavon"]


class ProcessorOut(Out):
    name: str
    label: str
    configured: bool = Field(description="Every key it needs to take a payment is set")
    missing: list[str] = Field(description="The environment variables it still needs")
    webhook_secret: bool = Field(description="Its webhooks can be verified")
    mode: str = Field(description="test | live")
    last_webhook: str = Field(description="When its last webhook arrived (UTC), or \"\"")
    departments: int = Field(description="How many departments it takes payments for")


class DepartmentProcessorOut(Out):
    department_id: int
    code: str
    name: str
    processor: str
    source: str = Field(description="screen (chosen here) | environment | default")
    configured: bool = Field(description="False: the department cannot sell")


class ProcessorScreenOut(Out):
    default: str
    default_source: str
    processors: list[ProcessorOut]
    departments: list[DepartmentProcessorOut]


class ChoiceBody(BaseModel):
    processor: Processor


class DepartmentChoiceBody(BaseModel):
    processor: Processor | None = Field(description="null: back to the default processor")


class ChosenOut(Out):
    processor: str = Field(description="The processor that now takes the payments")


class TestWebhookOut(Out):
    event_id: str
    status: str = Field(description="ignored: verified and stored (a test changes nothing)")
    detail: str


def _screen(session: DbSession, actor: Actor) -> dict[str, Any]:
    screen = commerce_area.processor_screen(session=session, actor=actor)
    return {
        "default": screen.default, "default_source": screen.default_source,
        "processors": [{
            "name": r.config.name, "label": r.config.label, "configured": r.config.configured,
            "missing": list(r.config.missing), "webhook_secret": r.config.webhook_secret,
            "mode": r.config.mode, "last_webhook": r.last_webhook,
            "departments": r.departments,
        } for r in screen.processors],
        "departments": [{
            "department_id": d.department_id, "code": d.code, "name": d.name,
            "processor": d.processor, "source": d.source, "configured": d.configured,
        } for d in screen.departments],
    }


@router.get("", response_model=ProcessorScreenOut)
def processors(actor: ProcessorsActor, session: DbSession) -> dict[str, Any]:
    return _screen(session, actor)


@router.put("/default", response_model=ChosenOut)
def choose_default(actor: ProcessorsActor, session: DbSession, body: ChoiceBody
                   ) -> dict[str, str]:
    return {"processor": commerce_area.choose_processor(
        session=session, actor=actor, department_id=None, processor=body.processor)}


@router.put("/departments/{department_id}", response_model=ChosenOut)
def choose_for_department(actor: ProcessorsActor, session: DbSession, department_id: IdPath,
                          body: DepartmentChoiceBody) -> dict[str, str]:
    return {"processor": commerce_area.choose_processor(
        session=session, actor=actor, department_id=department_id, processor=body.processor)}


@router.post("/{processor}/test-webhook", response_model=TestWebhookOut)
def test_webhook(actor: ProcessorsActor, session: DbSession, processor: Processor
                 ) -> dict[str, str]:
    outcome = commerce_area.send_test_webhook(session=session, actor=actor,
                                              processor=processor)
    return {"event_id": outcome.event_id, "status": outcome.status, "detail": outcome.detail}
