"""Attendance at live sessions (issue 17): the instructor or an admin of the session's
department marks a booked learner attended or missed once the session has started, may correct
it, and the learner's step follows; the LMS reports the same through its own path."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

import pytest
from sqlmodel import Session, select

from commerce_dash.domain.access import RoleName
from commerce_dash.domain.actor import Actor, Grant
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.errors import DomainError, ErrorKind
from commerce_dash.models.audit import AuditLog
from commerce_dash.models.sessions import Booking, LiveSession, StepProgress
from commerce_dash.services.enrollment import (
    SessionIn,
    book_step,
    mark_attendance,
    record_lms_attendance,
    schedule_sessions,
)
from commerce_dash.services.learning import StepIn, attach_option, create_step
from tests.builders import a_course, a_department, a_learner, an_admin, paid_order

NOW = utcnow()
DAY = NOW.date() + timedelta(days=7)


@dataclass(frozen=True)
class Class:
    live: LiveSession
    step_id: int
    booking: Booking
    learner: Actor
    instructor: Actor
    admin: Actor  # a department admin of the session's department

    @property
    def started(self) -> datetime:
        return self.live.starts_at + timedelta(minutes=10)


@pytest.fixture
def booked_class(session: Session, super_admin: Actor) -> Class:
    """A course with one step whose option is a class taught by Ina; Lee bought the course
    and booked the step in that class."""
    music = a_department(session, super_admin, "MUS", name="Music")
    dana = an_admin(session, "dana@example.com", full_name="Dana Admin",
                    grants=(Grant(RoleName.DEPT_ADMIN, music),))
    ina = a_learner(session, "ina@example.com", full_name="Ina Instructor")
    course_id = a_course(session, super_admin, "PNO1", department_id=music)
    step = create_step(session, actor=super_admin, course_id=course_id,
                       data=StepIn("Step 1", "Foundations"))
    [live] = schedule_sessions(session, actor=dana, now=NOW, data=SessionIn(
        department_id=music, title="Piano foundations", day=DAY, start=time(10),
        end=time(11), time_zone="Europe/Berlin", capacity=8, instructor_id=ina.user_id))
    session.commit()
    assert step.id is not None and live.id is not None
    attach_option(session, actor=super_admin, step_id=step.id, session_id=live.id)
    session.commit()
    lee = a_learner(session, "lee@example.com", full_name="Lee Learner")
    paid_order(session, lee, ("course", course_id), key="attendance-lee")
    booking = book_step(session, actor=lee, step_id=step.id, session_id=live.id, now=NOW)
    return Class(live, step.id, booking, lee, ina, dana)


def progress(session: Session, c: Class) -> str:
    session.expire_all()
    row = session.exec(select(StepProgress).where(StepProgress.user_id == c.learner.user_id,
                                                  StepProgress.step_id == c.step_id)).one()
    return row.status


def marked(session: Session, c: Class, actor: Actor, attended: bool,
           now: datetime | None = None) -> Booking:
    assert c.booking.id is not None
    booking = mark_attendance(session, actor=actor, booking_id=c.booking.id, attended=attended,
                              now=now or c.started)
    session.commit()
    return booking


def refused(code: str, session: Session, c: Class, actor: Actor,
            now: datetime | None = None) -> DomainError:
    with pytest.raises(DomainError) as caught:
        marked(session, c, actor, True, now=now)
    session.rollback()
    assert caught.value.code == code, caught.value
    return caught.value


def test_attendance_waits_for_the_session_to_start(session: Session,
                                                   booked_class: Class) -> None:
    c = booked_class
    assert progress(session, c) == "booked"
    error = refused("session_not_started", session, c, c.instructor,
                    now=c.live.starts_at - timedelta(minutes=1))
    assert error.kind is ErrorKind.CONFLICT
    assert "Piano foundations" in error.message and "10:00" in error.message
    assert session.get(Booking, c.booking.id).status == "booked"  # type: ignore[union-attr]
    assert progress(session, c) == "booked"


def test_the_instructor_marks_and_an_admin_corrects_and_the_step_follows(
        session: Session, booked_class: Class, super_admin: Actor) -> None:
    c = booked_class
    booking = marked(session, c, c.instructor, True)
    assert (booking.status, booking.attendance_marked_by_id) == ("attended",
                                                                 c.instructor.user_id)
    assert booking.attendance_marked_at == c.started
    assert progress(session, c) == "attended"

    booking = marked(session, c, c.admin, False)  # corrected: missed
    assert (booking.status, booking.attendance_marked_by_id) == ("missed", c.admin.user_id)
    assert progress(session, c) == "missed"

    booking = marked(session, c, super_admin, True)  # and back
    assert booking.status == "attended" and progress(session, c) == "attended"
    marked(session, c, super_admin, True)  # the same again: nothing new
    audits = session.exec(select(AuditLog).where(AuditLog.action == "booking.attendance")
                          .order_by(AuditLog.id)).all()  # type: ignore[arg-type]
    assert [(a.before or {}).get("status") for a in audits] == ["booked", "attended", "missed"]
    assert [(a.after or {}).get("status") for a in audits] == ["attended", "missed", "attended"]


def test_only_the_instructor_and_the_departments_admins_mark_attendance(
        session: Session, booked_class: Class, super_admin: Actor) -> None:
    c = booked_class
    art = a_department(session, super_admin, "ART", name="Art")
    elsewhere = an_admin(session, "otto@example.com", full_name="Otto Other",
                         grants=(Grant(RoleName.DEPT_ADMIN, art),))
    for outsider in (c.learner, elsewhere, a_learner(session, "ivy@example.com")):
        error = refused("forbidden", session, c, outsider)
        assert error.kind is ErrorKind.FORBIDDEN
    assert session.get(Booking, c.booking.id).status == "booked"  # type: ignore[union-attr]


def test_a_cancelled_booking_has_no_attendance_to_mark(session: Session,
                                                       booked_class: Class) -> None:
    c = booked_class
    row = session.get(Booking, c.booking.id)
    assert row is not None
    row.status = "cancelled"
    session.add(row)
    session.commit()
    refused("booking_cancelled", session, c, c.instructor)
    with pytest.raises(DomainError) as missing:
        mark_attendance(session, actor=c.instructor, booking_id=999_999, attended=True)
    assert missing.value.code == "booking_not_found"


def test_the_lms_reports_attendance_of_a_step(session: Session, booked_class: Class) -> None:
    c = booked_class
    with pytest.raises(DomainError) as early:
        record_lms_attendance(session, user_id=c.learner.user_id, step_id=c.step_id,
                              attended=True, now=c.live.starts_at - timedelta(hours=1))
    assert early.value.code == "session_not_started"
    session.rollback()

    booking = record_lms_attendance(session, user_id=c.learner.user_id, step_id=c.step_id,
                                    attended=True, now=c.started)
    session.commit()
    assert booking is not None and booking.id == c.booking.id
    assert (booking.status, booking.attendance_marked_by_id) == ("attended", None)
    assert progress(session, c) == "attended"
    audit = session.exec(select(AuditLog).where(AuditLog.action == "booking.attendance")).one()
    assert audit.actor_email == "system"

    stranger = a_learner(session, "sam@example.com")
    with pytest.raises(DomainError) as unknown:
        record_lms_attendance(session, user_id=stranger.user_id, step_id=c.step_id,
                              attended=True, now=c.started)
    assert unknown.value.code == "not_enrolled"

