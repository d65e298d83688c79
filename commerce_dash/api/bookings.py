"""The learner's live sessions: a published course's steps with their classes and seats
(public), the learner's own steps, booking a step or a session with a credit, cancelling, the
calendar invite, the waitlist (join, leave, accept an offer), credits and My schedule; and the
signed LMS attendance report."""

from __future__ import annotations

import dataclasses
from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field
from sqlmodel import col, select

from commerce_dash.api.course_steps import StepOut, step_answer
from commerce_dash.api.deps import BodyId, CurrentActor, DbSession, IdPath, parse_body
from commerce_dash.api.integrations import LmsSigned
from commerce_dash.api.schemas import Out, mirror
from commerce_dash.domain.errors import not_found
from commerce_dash.models.catalog import Course
from commerce_dash.services import enrollment as enrollment_area
from commerce_dash.services import learning as learning_area

router = APIRouter(prefix="/api/v2", tags=["sessions"])


class LearnerStepOut(mirror(learning_area.LearnerStep)):  # type: ignore[misc]
    pass


class ScheduleRowOut(mirror(enrollment_area.ScheduleRow)):  # type: ignore[misc]
    pass


class WaitlistRowOut(mirror(enrollment_area.WaitlistRow)):  # type: ignore[misc]
    pass


class CreditOut(mirror(enrollment_area.CreditRow)):  # type: ignore[misc]
    label: str = Field(description="\"Private session (60 min)\" or \"Group class\"")


class BookableOut(mirror(enrollment_area.BookableRow)):  # type: ignore[misc]
    pass


class ScheduleOut(Out):
    upcoming: list[ScheduleRowOut]
    past: list[ScheduleRowOut]
    waitlist: list[WaitlistRowOut]
    credits: list[CreditOut]


class BookingBody(BaseModel):
    session_id: BodyId
    step_id: BodyId | None = Field(default=None, description="The step this class satisfies; "
                                   "without it the booking uses one credit")
    time_zone: str = Field(default="UTC", max_length=64,
                           description="The learner's zone, for emails and the invite")


class WaitlistBody(BookingBody):
    pass


class BookingOut(Out):
    booking_id: int
    session_id: int
    status: str
    uses_credit: bool
    message: str


class WaitlistOut(Out):
    entry_id: int
    session_id: int
    status: str
    position: int


class AttendanceReport(BaseModel):
    eventId: str = Field(min_length=1, max_length=120)  # noqa: N815 (the LMS's field names)
    email: str = Field(min_length=3, max_length=320)
    stepId: BodyId  # noqa: N815
    attended: bool


class AttendanceReportOut(Out):
    applied: bool
    booking_id: int | None


def _credit(row: enrollment_area.CreditRow) -> dict[str, Any]:
    return {**dataclasses.asdict(row), "label": row.label}


def _booking(booking: Any, message: str) -> dict[str, Any]:
    return {"booking_id": booking.id, "session_id": booking.session_id,
            "status": booking.status, "uses_credit": booking.credit_id is not None,
            "message": message}


@router.get("/courses/{code}/steps", response_model=list[StepOut])
def public_steps(session: DbSession, code: str) -> list[dict[str, Any]]:
    """A published course's steps, each with its classes: times, seats left, started."""
    course = session.exec(_published(code)).first()
    if course is None or course.id is None:
        raise not_found("course", code)
    return [step_answer(r) for r in learning_area.course_steps(session, course.id)]


def _published(code: str) -> Any:
    return select(Course).where(Course.code == code.upper()[:32],
                                col(Course.published).is_(True))


@router.get("/me/courses/{course_id}/steps", response_model=list[LearnerStepOut])
def my_steps(actor: CurrentActor, session: DbSession, course_id: IdPath
             ) -> list[dict[str, Any]]:
    """The learner's state in each step ("" where they have no place in the course)."""
    return [dataclasses.asdict(s) for s in learning_area.learner_steps(
        session, user_id=actor.user_id, course_id=course_id)]


@router.get("/me/schedule", response_model=ScheduleOut)
def my_schedule(actor: CurrentActor, session: DbSession) -> dict[str, Any]:
    found = enrollment_area.learner_schedule(session, user_id=actor.user_id)
    return {"upcoming": [dataclasses.asdict(r) for r in found.upcoming],
            "past": [dataclasses.asdict(r) for r in found.past],
            "waitlist": [dataclasses.asdict(r) for r in found.waitlist],
            "credits": [_credit(c) for c in found.credits]}


@router.get("/me/credits", response_model=list[CreditOut])
def my_credits(actor: CurrentActor, session: DbSession) -> list[dict[str, Any]]:
    return [_credit(c) for c in enrollment_area.learner_credits(session, user_id=actor.user_id)]


@router.get("/me/bookable", response_model=list[BookableOut])
def bookable(actor: CurrentActor, session: DbSession) -> list[dict[str, Any]]:
    """Upcoming sessions the learner's credits can pay for, with a free seat."""
    return [dataclasses.asdict(r) for r in enrollment_area.bookable_with_credits(
        session, user_id=actor.user_id)]


@router.post("/me/bookings", response_model=BookingOut, status_code=201)
def book(actor: CurrentActor, session: DbSession, body: BookingBody) -> dict[str, Any]:
    """A step (never uses a credit) or, without ``step_id``, a private slot or an extra
    group class paid with one credit. 409 ``session_full`` offers the waitlist."""
    if body.step_id is not None:
        booking = enrollment_area.book_step(session, actor=actor, step_id=body.step_id,
                                            session_id=body.session_id,
                                            time_zone=body.time_zone)
        return _booking(booking, "Booked. A calendar invite is in your email.")
    booking = enrollment_area.book_with_credit(session, actor=actor,
                                               session_id=body.session_id,
                                               time_zone=body.time_zone)
    return _booking(booking, "Booked with one credit. A calendar invite is in your email.")


@router.post("/me/bookings/{booking_id}/cancel", response_model=BookingOut)
def cancel(actor: CurrentActor, session: DbSession, booking_id: IdPath) -> dict[str, Any]:
    """Cancelled before the start; a credit comes back before the cut-off. Twice: harmless."""
    booking = enrollment_area.cancel_booking(session, actor=actor, booking_id=booking_id)
    message = ("Cancelled; your credit is back." if booking.credit_returned
               else "Cancelled." if booking.credit_id is None
               else "Cancelled; the credit was spent (past the cancellation cut-off).")
    return _booking(booking, message)


@router.get("/me/bookings/{booking_id}/invite.ics", response_class=Response,
            responses={200: {"content": {"text/calendar": {}}}})
def invite(actor: CurrentActor, session: DbSession, booking_id: IdPath) -> Response:
    """The booking as an iCalendar invite in the learner's time zone."""
    data = enrollment_area.booking_invite(session, actor=actor, booking_id=booking_id)
    return Response(content=data, media_type="text/calendar; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="booking-{booking_id}.ics"'})


@router.post("/me/waitlist", response_model=WaitlistOut, status_code=201)
def join_waitlist(actor: CurrentActor, session: DbSession, body: WaitlistBody
                  ) -> dict[str, Any]:
    entry = enrollment_area.join_waitlist(session, actor=actor, session_id=body.session_id,
                                          step_id=body.step_id, time_zone=body.time_zone)
    session.commit()
    return {"entry_id": entry.id, "session_id": entry.session_id, "status": entry.status,
            "position": entry.position}


@router.delete("/me/waitlist/{entry_id}", response_model=WaitlistOut)
def leave_waitlist(actor: CurrentActor, session: DbSession, entry_id: IdPath
                   ) -> dict[str, Any]:
    entry = enrollment_area.leave_waitlist(session, actor=actor, entry_id=entry_id)
    session.commit()
    return {"entry_id": entry.id, "session_id": entry.session_id, "status": entry.status,
            "position": entry.position}


@router.post("/me/waitlist/{entry_id}/accept", response_model=BookingOut)
def accept_offer(actor: CurrentActor, session: DbSession, entry_id: IdPath
                 ) -> dict[str, Any]:
    """Take the seat held for the learner, before the offer ends."""
    booking = enrollment_area.accept_offer(session, actor=actor, entry_id=entry_id)
    return _booking(booking, "Booked. A calendar invite is in your email.")


@router.post("/attendance", response_model=AttendanceReportOut, tags=["integrations"])
def lms_attendance(session: DbSession, signed: LmsSigned) -> dict[str, Any]:
    """Attendance reported by the LMS (signed like every LMS call): the learner's step moves
    to attended or missed, and the course may complete. Idempotent per ``eventId``."""
    report = parse_body(AttendanceReport, signed.body)
    applied, booking_id = enrollment_area.lms_attendance_event(
        session, event_id=report.eventId, email=report.email, step_id=report.stepId,
        attended=report.attended)
    session.commit()
    return {"applied": applied, "booking_id": booking_id}
