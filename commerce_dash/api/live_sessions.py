"""Live sessions for department admins (section "sessions"): schedule group classes (one or
a weekly series), open private slots, list and a calendar week, one session's roster with its
waitlist, edit, reschedule, cancel, reorder the waitlist; and attendance, which the session's
instructor may mark too (so that route needs a signed-in user, not the section)."""

from __future__ import annotations

import dataclasses
from datetime import time
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from commerce_dash.api.deps import (
    BodyId,
    CurrentActor,
    DbSession,
    IdPath,
    OptionalIdQuery,
    PageNumber,
    PageSize,
    section_guard,
)
from commerce_dash.api.schemas import DateIn, Out, Paged, mirror, paged
from commerce_dash.domain.actor import Actor
from commerce_dash.domain.paging import PageRequest
from commerce_dash.services import enrollment as enrollment_area

router = APIRouter(prefix="/api/v2", tags=["sessions"])

SessionsActor = Annotated[Actor, section_guard("sessions")]
TimeZone = Annotated[str, Query(max_length=64, description="IANA zone, e.g. Europe/Berlin")]


class SessionRowOut(mirror(enrollment_area.SessionRow)):  # type: ignore[misc]
    pass


class CalendarEntryOut(mirror(enrollment_area.CalendarEntry, exclude=("row",))):  # type: ignore[misc]
    row: SessionRowOut


class CalendarDayOut(mirror(enrollment_area.CalendarDay, exclude=("sessions",))):  # type: ignore[misc]
    sessions: list[CalendarEntryOut]


class RosterBookingOut(mirror(enrollment_area.RosterBooking)):  # type: ignore[misc]
    pass


class RosterWaitlistOut(mirror(enrollment_area.RosterWaitlistEntry)):  # type: ignore[misc]
    pass


class RosterOut(Out):
    session: SessionRowOut
    bookings: list[RosterBookingOut]
    waitlist: list[RosterWaitlistOut]


class ScheduleBody(BaseModel):
    department_id: BodyId
    title: str = Field(max_length=200)
    day: DateIn = Field(description="The first (or only) day, in the session's time zone")
    start: time = Field(description="Local wall time, e.g. 09:00")
    end: time
    time_zone: str = Field(max_length=64)
    capacity: int = Field(strict=True, ge=-1_000_000, le=1_000_000)
    instructor_id: BodyId | None = None
    location: str = Field(default="", max_length=300)
    meeting_url: str = Field(default="", max_length=500)
    description: str = Field(default="", max_length=5000)
    repeat_weeks: int = Field(default=1, strict=True, ge=-1000, le=1000,
                              description="1: one session; N: the same time N weeks running")


class SlotsBody(BaseModel):
    department_id: BodyId
    instructor_id: BodyId
    day: DateIn
    start: time
    end: time
    time_zone: str = Field(max_length=64)
    minutes: Literal[30, 60]
    location: str = Field(default="", max_length=300)
    meeting_url: str = Field(default="", max_length=500)


class EditBody(BaseModel):
    title: str = Field(max_length=200)
    capacity: int = Field(strict=True, ge=-1_000_000, le=1_000_000)
    location: str = Field(default="", max_length=300)
    meeting_url: str = Field(default="", max_length=500)
    description: str = Field(default="", max_length=5000)
    instructor_id: BodyId | None = None


class RescheduleBody(BaseModel):
    day: DateIn
    start: time
    end: time
    time_zone: str = Field(max_length=64)


class CancelBody(BaseModel):
    reason: str = Field(max_length=500)


class WaitlistOrderBody(BaseModel):
    entry_ids: list[BodyId] = Field(max_length=1000, description="Every waiting entry, in "
                                                                 "the new order")


class AttendanceBody(BaseModel):
    attended: bool


class AttendanceOut(Out):
    booking_id: int
    status: str = Field(description="attended or missed")


def _rows(session: DbSession, actor: Actor, ids: list[int]) -> list[dict[str, Any]]:
    return [dataclasses.asdict(enrollment_area.roster(session, actor=actor, session_id=i).session)
            for i in ids]


def _roster(session: DbSession, actor: Actor, session_id: int) -> dict[str, Any]:
    found = enrollment_area.roster(session, actor=actor, session_id=session_id)
    return {"session": dataclasses.asdict(found.session),
            "bookings": [dataclasses.asdict(b) for b in found.bookings],
            "waitlist": [dataclasses.asdict(w) for w in found.waitlist]}


@router.get("/admin/sessions", tags=["admin"], response_model=Paged[SessionRowOut])
def list_sessions(
    actor: SessionsActor, session: DbSession,
    department_id: OptionalIdQuery = None, instructor_id: OptionalIdQuery = None,
    date_from: DateIn | None = None, date_to: DateIn | None = None,
    kind: Annotated[Literal["", "group", "private"], Query()] = "",
    status: Annotated[Literal["", "scheduled", "cancelled"], Query()] = "",
    q: Annotated[str, Query(max_length=200)] = "",
    time_zone: TimeZone = "UTC",
    page: PageNumber = 1, page_size: PageSize = None,
) -> dict[str, Any]:
    """Soonest first, in the departments the admin runs; dates are days in ``time_zone``."""
    clamp = PageRequest.clamp(page, page_size)
    found = enrollment_area.list_sessions(session, actor=actor, query=enrollment_area.SessionQuery(
        department_id=department_id, instructor_id=instructor_id, date_from=date_from,
        date_to=date_to, kind=kind, status=status, text=q, page=clamp.page,
        page_size=clamp.page_size, time_zone=time_zone))
    return paged(found, [dataclasses.asdict(r) for r in found.items])


@router.get("/admin/sessions/calendar", tags=["admin"], response_model=list[CalendarDayOut])
def calendar(actor: SessionsActor, session: DbSession, week_start: DateIn,
             time_zone: TimeZone = "UTC", department_id: OptionalIdQuery = None,
             instructor_id: OptionalIdQuery = None) -> list[dict[str, Any]]:
    """Seven days from ``week_start``, each with the sessions starting that day in
    ``time_zone`` (the viewer's)."""
    return [dataclasses.asdict(d) for d in enrollment_area.calendar_week(
        session, actor=actor, week_start=week_start, time_zone=time_zone,
        department_id=department_id, instructor_id=instructor_id)]


@router.post("/admin/sessions", tags=["admin"], response_model=list[SessionRowOut],
             status_code=201)
def schedule(actor: SessionsActor, session: DbSession, body: ScheduleBody
             ) -> list[dict[str, Any]]:
    """One group class, or a weekly series (each occurrence keeps its local wall time across
    a daylight-saving change). Nothing is written if any occurrence is refused."""
    made = enrollment_area.schedule_sessions(session, actor=actor, data=enrollment_area.SessionIn(
        **body.model_dump()))
    session.commit()
    return _rows(session, actor, [m.id for m in made if m.id is not None])


@router.post("/admin/sessions/private-slots", tags=["admin"],
             response_model=list[SessionRowOut], status_code=201)
def private_slots(actor: SessionsActor, session: DbSession, body: SlotsBody
                  ) -> list[dict[str, Any]]:
    """An instructor's availability cut into private slots of 30 or 60 minutes."""
    made = enrollment_area.open_private_slots(session, actor=actor, **body.model_dump())
    session.commit()
    return _rows(session, actor, [m.id for m in made if m.id is not None])


@router.get("/admin/sessions/{session_id}", tags=["admin"], response_model=RosterOut)
def get_session(actor: SessionsActor, session: DbSession, session_id: IdPath
                ) -> dict[str, Any]:
    """The session, its bookings (the roster) and its waitlist in order."""
    return _roster(session, actor, session_id)


@router.put("/admin/sessions/{session_id}", tags=["admin"], response_model=RosterOut)
def edit_session(actor: SessionsActor, session: DbSession, session_id: IdPath,
                 body: EditBody) -> dict[str, Any]:
    """Title, capacity (never below the seats booked; more seats go to the waitlist),
    place, link, instructor."""
    enrollment_area.update_session(session, actor=actor, session_id=session_id,
                                   data=enrollment_area.SessionEdit(**body.model_dump()))
    session.commit()
    return _roster(session, actor, session_id)


@router.post("/admin/sessions/{session_id}/reschedule", tags=["admin"],
             response_model=RosterOut)
def reschedule(actor: SessionsActor, session: DbSession, session_id: IdPath,
               body: RescheduleBody) -> dict[str, Any]:
    """A new time: booked learners are emailed the new time and may cancel without
    losing anything."""
    enrollment_area.reschedule_session(session, actor=actor, session_id=session_id,
                                       **body.model_dump())
    session.commit()
    return _roster(session, actor, session_id)


@router.post("/admin/sessions/{session_id}/cancel", tags=["admin"], response_model=RosterOut)
def cancel(actor: SessionsActor, session: DbSession, session_id: IdPath,
           body: CancelBody) -> dict[str, Any]:
    """Cancelled: bookings released, credits returned, learners emailed. Twice: harmless."""
    enrollment_area.cancel_session(session, actor=actor, session_id=session_id,
                                   reason=body.reason)
    session.commit()
    return _roster(session, actor, session_id)


@router.put("/admin/sessions/{session_id}/waitlist", tags=["admin"], response_model=RosterOut)
def reorder_waitlist(actor: SessionsActor, session: DbSession, session_id: IdPath,
                     body: WaitlistOrderBody) -> dict[str, Any]:
    enrollment_area.reorder_waitlist(session, actor=actor, session_id=session_id,
                                     entry_ids=list(body.entry_ids))
    session.commit()
    return _roster(session, actor, session_id)


@router.post("/bookings/{booking_id}/attendance", response_model=AttendanceOut)
def attendance(actor: CurrentActor, session: DbSession, booking_id: IdPath,
               body: AttendanceBody) -> dict[str, Any]:
    """Attended or missed, marked by the session's instructor or an admin of its department
    once it has started; a step booking moves the learner's step (and may complete the
    course)."""
    booking = enrollment_area.mark_attendance(session, actor=actor, booking_id=booking_id,
                                              attended=body.attended)
    session.commit()
    return {"booking_id": booking.id, "status": booking.status}
