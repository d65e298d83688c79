"""Enrollment and course access for app clients (spec 004): one call to enroll in a course
or program (its pending enrollment, amounts in minor units, the processor's payment session,
idempotent by key), its payment status, a course as an app's course page shows it, and the
learner's access to it. Amounts are integer minor units of ``currency``, never floats."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Response
from pydantic import BaseModel, Field

from commerce_dash.api.deps import BodyId, CurrentActor, DbSession, IdPath, OptionalActor
from commerce_dash.api.schemas import Out, Timestamp
from commerce_dash.services import commerce as commerce_area
from commerce_dash.services import learning as learning_area

router = APIRouter(prefix="/api/v1", tags=["enrollment"])

IdempotencyKey = Annotated[str, Header(alias="Idempotency-Key", max_length=100)]


class InitializeBody(BaseModel):
    course_id: BodyId | None = Field(default=None, description="A course, or")
    program_id: BodyId | None = Field(default=None, description="a program (one of them)")
    coupon_code: str = Field(default="", max_length=32)
    payment_method_preference: str = Field(
        default="", max_length=16,
        description="The processor the client expects (refused with 422 when the course's "
                    "department pays through another)")
    success_url: str = Field(default="", max_length=500,
                             description="https address the checkout page links back to")
    cancel_url: str = Field(default="", max_length=500)
    metadata: dict[str, str] = Field(default_factory=dict,
                                     description="Up to 10 entries kept with the order")


class PaymentSessionOut(Out):
    processor: str
    checkout_url: str = Field(description="This app's checkout page for the order")
    expires_at: Timestamp = Field(description="The prices are held until then")
    fields: dict[str, str] = Field(description="The processor's public values for a "
                                               "client-side checkout (e.g. razorpay order id "
                                               "and key, or Stripe's client secret)")


class InitializedOut(Out):
    enrollment_id: str = Field(description="The order number")
    status: str = Field(description="pending | enrolled | pending_approval")
    payment_required: bool
    original_amount: int
    discount_applied: int
    tax_amount: int
    final_amount: int
    currency: str
    payment_session: PaymentSessionOut | None
    idempotency_key: str


class PaymentStatusOut(Out):
    enrollment_id: str
    enrollment_status: str = Field(description="pending | enrolled | pending_approval | "
                                               "failed | cancelled | refunded | ...")
    payment_status: str
    processor: str
    payment_id: str
    completed_at: Timestamp | None
    course_access_urls: list[str]


class PrerequisiteOut(Out):
    course_id: int
    code: str
    title: str
    completed: bool


class CourseInfoOut(Out):
    id: int
    code: str
    title: str
    price: int | None = Field(description="Minor units; null when it has no price")
    currency: str
    price_label: str
    estimated_minutes: int
    prerequisites: list[PrerequisiteOut]
    enrollment_deadline: Timestamp | None
    enrollment_status: str = Field(description="not_enrolled | pending | enrolled")
    can_enroll: bool
    reason: str = Field(description="Why not, when can_enroll is false")


class NextModuleOut(Out):
    position: int
    title: str


class CourseAccessOut(Out):
    course_id: int
    has_access: bool
    status: str = Field(description="active | pending (the LMS has not answered) | none")
    enrollment_date: Timestamp | None
    access_expires: Timestamp | None
    course_progress: int = Field(description="Percent done")
    completed: bool
    next_module: NextModuleOut | None


def _iso(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def _plain(obj: Any) -> dict[str, Any]:
    return {k: (_plain(v) if dataclasses.is_dataclass(v) else _iso(v))
            for k, v in ((f.name, getattr(obj, f.name)) for f in dataclasses.fields(obj))}


@router.post("/enrollments/initialize", response_model=InitializedOut, status_code=201,
             responses={200: {"model": InitializedOut,
                              "description": "The same Idempotency-Key again: the same "
                                             "enrollment"}})
def initialize(actor: CurrentActor, session: DbSession, body: InitializeBody,
               idempotency_key: IdempotencyKey, response: Response) -> dict[str, Any]:
    done = commerce_area.initialize_enrollment(
        session=session, actor=actor, request=commerce_area.EnrollmentRequest(
            idempotency_key=idempotency_key, course_id=body.course_id,
            program_id=body.program_id, coupon_code=body.coupon_code,
            processor_preference=body.payment_method_preference,
            success_url=body.success_url, cancel_url=body.cancel_url,
            metadata=body.metadata))
    if done.replayed:
        response.status_code = 200
    answer = _plain(done)
    answer.pop("replayed")
    return answer


@router.get("/enrollments/{number}/payment-status", response_model=PaymentStatusOut)
def payment_status(actor: CurrentActor, session: DbSession,
                   number: Annotated[str, Path(max_length=32)]) -> dict[str, Any]:
    return _plain(commerce_area.enrollment_payment(session=session, actor=actor,
                                                   number=number))


@router.get("/courses/{course_id}", response_model=CourseInfoOut)
def course(actor: OptionalActor, session: DbSession, course_id: IdPath) -> dict[str, Any]:
    return _plain(commerce_area.course_info(session=session, actor=actor,
                                            course_id=course_id))


@router.get("/courses/{course_id}/access", response_model=CourseAccessOut)
def access(actor: CurrentActor, session: DbSession, course_id: IdPath) -> dict[str, Any]:
    return _plain(learning_area.course_access(session=session, user_id=actor.user_id,
                                              course_id=course_id))
