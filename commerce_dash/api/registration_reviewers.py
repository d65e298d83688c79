"""Who reviews each department's registrations (REG-003..006): enrollment admins, dept-admins
or both; super admins and billing admins set it (the ``settings`` section; no department
page exists for them). The registration queue, page and API, is scoped by it."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel

from commerce_dash.api.deps import DbSession, IdPath, section_guard
from commerce_dash.api.schemas import Listed, listed, mirror
from commerce_dash.domain.actor import Actor
from commerce_dash.services import enrollment as enrollment_area

router = APIRouter(prefix="/api/v2/admin/departments", tags=["admin", "registrations"])

SettingsActor = Annotated[Actor, section_guard("settings")]


class ReviewersBody(BaseModel):
    reviewers: Literal["enrollment_admins", "dept_admins", "both"]


class ReviewersOut(mirror(enrollment_area.ReviewersRow)):  # type: ignore[misc]
    pass


@router.get("/registration-reviewers", response_model=Listed[ReviewersOut])
def list_reviewers(actor: SettingsActor, session: DbSession) -> dict[str, Any]:
    rows = enrollment_area.list_registration_reviewers(session=session, actor=actor)
    return listed([asdict(r) for r in rows])


@router.put("/{department_id}/registration-reviewers", response_model=ReviewersOut)
def set_reviewers(body: ReviewersBody, actor: SettingsActor, session: DbSession,
                  department_id: IdPath) -> dict[str, Any]:
    row = enrollment_area.set_registration_reviewers(
        session=session, actor=actor, department_id=department_id, reviewers=body.reviewers)
    return asdict(row)
