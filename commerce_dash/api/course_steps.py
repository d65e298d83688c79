"""Course steps (seed 003 phase 4): create, list, get, update (and move), delete a course's
steps, attach and detach the group classes that satisfy a step. Admin section "courses"
(a department admin, in their departments); the public list of a published course's steps
with their options and seats left is on the catalog."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from commerce_dash.api.deps import BodyId, DbSession, IdPath, section_guard
from commerce_dash.api.schemas import mirror
from commerce_dash.domain.actor import Actor
from commerce_dash.services import learning as learning_area

router = APIRouter(prefix="/api/v2/admin", tags=["admin", "courses"])

CoursesActor = Annotated[Actor, section_guard("courses")]


class OptionOut(mirror(learning_area.OptionRow)):  # type: ignore[misc]
    pass


class StepOut(mirror(learning_area.StepRow, exclude=("options",))):  # type: ignore[misc]
    options: list[OptionOut] = Field(description="The group classes that satisfy the step, "
                                                 "soonest first")


class StepBody(BaseModel):
    label: str = Field(max_length=40, description="\"Step 1\"")
    title: str = Field(max_length=200)
    description: str = Field(default="", max_length=5000)
    position: int | None = Field(default=None, ge=1, le=1000,
                                 description="Where it goes (1 = first); default: last / "
                                             "where it is")


class OptionBody(BaseModel):
    session_id: BodyId = Field(description="A scheduled group class of the course's "
                                           "department")


def step_answer(row: learning_area.StepRow) -> dict[str, Any]:
    return dataclasses.asdict(row)


def _step_in(body: StepBody) -> learning_area.StepIn:
    return learning_area.StepIn(label=body.label, title=body.title,
                                description=body.description)


@router.get("/courses/{course_id}/steps", response_model=list[StepOut])
def list_steps(actor: CoursesActor, session: DbSession, course_id: IdPath
               ) -> list[dict[str, Any]]:
    return [step_answer(r) for r in learning_area.admin_course_steps(
        session, actor=actor, course_id=course_id)]


@router.post("/courses/{course_id}/steps", response_model=StepOut, status_code=201)
def create_step(actor: CoursesActor, session: DbSession, course_id: IdPath,
                body: StepBody) -> dict[str, Any]:
    step = learning_area.create_step(session, actor=actor, course_id=course_id,
                                     data=_step_in(body), position=body.position)
    session.commit()
    assert step.id is not None
    return step_answer(learning_area.get_step(session, step.id))


@router.get("/steps/{step_id}", response_model=StepOut)
def get_step(actor: CoursesActor, session: DbSession, step_id: IdPath) -> dict[str, Any]:
    return step_answer(learning_area.admin_get_step(session, actor=actor, step_id=step_id))


@router.put("/steps/{step_id}", response_model=StepOut)
def update_step(actor: CoursesActor, session: DbSession, step_id: IdPath,
                body: StepBody) -> dict[str, Any]:
    learning_area.update_step(session, actor=actor, step_id=step_id, data=_step_in(body))
    if body.position is not None:
        learning_area.move_step(session, actor=actor, step_id=step_id, position=body.position)
    session.commit()
    return step_answer(learning_area.get_step(session, step_id))


@router.delete("/steps/{step_id}", status_code=204)
def delete_step(actor: CoursesActor, session: DbSession, step_id: IdPath) -> Response:
    learning_area.delete_step(session, actor=actor, step_id=step_id)
    session.commit()
    return Response(status_code=204)


@router.post("/steps/{step_id}/options", response_model=StepOut, status_code=201)
def attach_option(actor: CoursesActor, session: DbSession, step_id: IdPath,
                  body: OptionBody) -> dict[str, Any]:
    learning_area.attach_option(session, actor=actor, step_id=step_id,
                                session_id=body.session_id)
    session.commit()
    return step_answer(learning_area.get_step(session, step_id))


@router.delete("/steps/options/{option_id}", status_code=204)
def detach_option(actor: CoursesActor, session: DbSession, option_id: IdPath) -> Response:
    learning_area.detach_option(session, actor=actor, option_id=option_id)
    session.commit()
    return Response(status_code=204)
