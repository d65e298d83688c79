"""Issue 17: booking a step of a course (the learner owns it, the session is one of the step's
options, the step is unbooked, the session has not started, has a seat and clashes with
nothing of the learner's), cancelling, releasing a cancelled session's bookings, and the
learner's schedule. Rows of steps and sessions are written directly; the registration of the
first test comes from a real purchase."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, col, select

from commerce_dash.domain.access import RoleName
from commerce_dash.domain.actor import Actor, Grant
from commerce_dash.domain.errors import DomainError, ErrorKind
from commerce_dash.models.audit import AuditLog
from commerce_dash.models.delivery import OutboxMessage
from commerce_dash.models.enrollment import Registration
from commerce_dash.models.sessions import (
    Booking,
    CourseStep,
    LiveSession,
    SessionCredit,
    StepOption,
    StepProgress,
)
from commerce_dash.services.enrollment import (
    book_step,
    book_with_credit,
    cancel_booking,
    learner_schedule,
    release_session_bookings,
)
from commerce_dash.services.learning import seed_steps
from tests.builders import a_course, a_department, a_learner, an_admin, paid_order

NOW = datetime(2030, 3, 4, 9, 0, tzinfo=UTC)
START = NOW + timedelta(days=3)  # 2030-03-07 09:00 UTC


# -- rows written directly ----------------------------------------------------------------------


def _course(session: Session, admin: Actor, code: str = "LIVE", steps: int = 2
            ) -> tuple[int, int, list[int]]:
    """A department, a course in it and ``steps`` steps: (department, course, step ids)."""
    dept = a_department(session, admin, f"{code}-D")
    course = a_course(session, admin, code, department_id=dept, title=f"Live {code}")
    rows = [CourseStep(course_id=course, position=n, label=f"Step {n}", title=f"Part {n}")
            for n in range(1, steps + 1)]
    session.add_all(rows)
    session.commit()
    return dept, course, [r.id or 0 for r in rows]


def _live(session: Session, dept: int, title: str, *, start: datetime = START,
          minutes: int = 60, capacity: int = 10, kind: str = "group",
          option_of: int | None = None) -> int:
    live = LiveSession(department_id=dept, kind=kind, title=title, starts_at=start,
                       ends_at=start + timedelta(minutes=minutes), time_zone="Europe/Berlin",
                       capacity=capacity, location="Room 4")
    session.add(live)
    session.flush()
    if option_of is not None:
        session.add(StepOption(step_id=option_of, session_id=live.id or 0))
    session.commit()
    return live.id or 0


def _owns(session: Session, learner: Actor, course: int, dept: int, *,
          status: str = "enrolled", source: str = "order") -> Registration:
    """The learner's registration of the course, its steps seeded UNBOOKED."""
    registration = Registration(dedupe_key=f"test:{learner.user_id}:{course}",
                                user_id=learner.user_id, kind="course", course_id=course,
                                department_id=dept, source=source, status=status)
    session.add(registration)
    session.flush()
    seed_steps(session, registration)
    session.commit()
    return registration


def _progress(session: Session, learner: Actor, step: int) -> StepProgress:
    session.expire_all()
    return session.exec(select(StepProgress).where(StepProgress.user_id == learner.user_id,
                                                   StepProgress.step_id == step)).one()


def _seats(session: Session, live_id: int) -> int:
    session.expire_all()
    live = session.get(LiveSession, live_id)
    assert live is not None
    return live.seats_booked


def _emails(session: Session, template: str) -> list[OutboxMessage]:
    return list(session.exec(select(OutboxMessage).where(
        col(OutboxMessage.dedupe_key).startswith(f"{template}:"))).all())


def _refused(code: str, call, *args, **kwargs) -> DomainError:  # type: ignore[no-untyped-def]
    with pytest.raises(DomainError) as caught:
        call(*args, **kwargs)
    assert caught.value.code == code, caught.value
    return caught.value


# -- booking a step -----------------------------------------------------------------------------


def test_a_bought_course_step_is_booked_without_using_a_credit(session: Session,
                                                               super_admin: Actor) -> None:
    lee = a_learner(session)
    dept, course, (step, _) = _course(session, super_admin)
    live = _live(session, dept, "Foundations A", option_of=step)
    paid_order(session, lee, ("course", course), key="buy-live-course")
    registration = session.exec(select(Registration).where(
        Registration.user_id == lee.user_id)).one()
    seed_steps(session, registration)
    session.commit()
    session.add(SessionCredit(dedupe_key="spare", user_id=lee.user_id, department_id=dept,
                              kind="private", minutes=60))
    session.commit()

    booking = book_step(session, actor=lee, step_id=step, session_id=live,
                        time_zone="Asia/Kolkata", now=NOW)

    assert booking.status == "booked" and booking.credit_id is None
    assert booking.step_id == step and booking.registration_id == registration.id
    assert (booking.starts_at, booking.time_zone) == (START, "Asia/Kolkata")
    assert _seats(session, live) == 1
    progress = _progress(session, lee, step)
    assert (progress.status, progress.booking_id) == ("booked", booking.id)
    assert session.exec(select(SessionCredit)).one().status == "available"
    assert len(_emails(session, "booking-confirmed")) == 1
    assert session.exec(select(AuditLog).where(AuditLog.action == "booking.created")).one()


def test_a_registration_from_a_subscription_books_too(session: Session,
                                                      super_admin: Actor) -> None:
    lee = a_learner(session)
    dept, course, (step, _) = _course(session, super_admin)
    live = _live(session, dept, "Foundations A", option_of=step)
    _owns(session, lee, course, dept, status="approved", source="subscription")
    assert book_step(session, actor=lee, step_id=step, session_id=live, now=NOW).id


def test_not_owning_or_awaiting_approval_is_refused_and_writes_nothing(
        session: Session, super_admin: Actor) -> None:
    lee, ann = a_learner(session), a_learner(session, "ann@example.com")
    dept, course, (step, _) = _course(session, super_admin)
    live = _live(session, dept, "Foundations A", option_of=step)
    refused = _refused("course_not_owned", book_step, session, actor=lee, step_id=step,
                       session_id=live, now=NOW)
    assert refused.kind is ErrorKind.FORBIDDEN and "Live LIVE" in refused.message
    _owns(session, ann, course, dept, status="pending")
    waiting = _refused("registration_pending", book_step, session, actor=ann, step_id=step,
                       session_id=live, now=NOW)
    assert "waiting for approval" in waiting.message
    assert _seats(session, live) == 0
    assert session.exec(select(Booking)).all() == []


def test_only_the_steps_own_sessions_and_an_unbooked_step_can_be_booked(
        session: Session, super_admin: Actor) -> None:
    lee = a_learner(session)
    dept, course, (step1, step2) = _course(session, super_admin)
    first = _live(session, dept, "Foundations A", option_of=step1)
    second = _live(session, dept, "Foundations B", start=START + timedelta(days=1),
                   option_of=step1)
    other = _live(session, dept, "Advanced A", start=START + timedelta(days=2),
                  option_of=step2)
    _owns(session, lee, course, dept)
    _refused("not_a_step_option", book_step, session, actor=lee, step_id=step1,
             session_id=other, now=NOW)
    book_step(session, actor=lee, step_id=step1, session_id=first, now=NOW)
    again = _refused("step_already_booked", book_step, session, actor=lee, step_id=step1,
                     session_id=second, now=NOW)
    assert "Step 1" in again.message and "booked" in again.message
    assert _seats(session, second) == 0


def test_a_started_session_is_refused(session: Session, super_admin: Actor) -> None:
    lee = a_learner(session)
    dept, course, (step, _) = _course(session, super_admin)
    live = _live(session, dept, "Foundations A", option_of=step)
    _owns(session, lee, course, dept)
    _refused("session_started", book_step, session, actor=lee, step_id=step, session_id=live,
             now=START + timedelta(minutes=5))
    assert _seats(session, live) == 0
    assert _progress(session, lee, step).status == "unbooked"


def test_an_overlapping_booking_is_refused_naming_the_clash(session: Session,
                                                            super_admin: Actor) -> None:
    lee = a_learner(session)
    dept, course, (step1, step2) = _course(session, super_admin)
    first = _live(session, dept, "Foundations A", option_of=step1)
    clash = _live(session, dept, "Advanced A", start=START + timedelta(minutes=30),
                  option_of=step2)
    after = _live(session, dept, "Advanced B", start=START + timedelta(minutes=60),
                  option_of=step2)
    _owns(session, lee, course, dept)
    book_step(session, actor=lee, step_id=step1, session_id=first, time_zone="Europe/Berlin",
              now=NOW)
    refused = _refused("booking_overlaps", book_step, session, actor=lee, step_id=step2,
                       session_id=clash, time_zone="Europe/Berlin", now=NOW)
    assert '"Foundations A"' in refused.message and "10:00 CET" in refused.message
    assert _seats(session, clash) == 0
    # back to back is fine
    assert book_step(session, actor=lee, step_id=step2, session_id=after, now=NOW).id


def test_a_full_session_offers_the_waitlist(session: Session, super_admin: Actor) -> None:
    lee, ann = a_learner(session), a_learner(session, "ann@example.com")
    dept, course, (step, _) = _course(session, super_admin)
    live = _live(session, dept, "Foundations A", capacity=1, option_of=step)
    _owns(session, lee, course, dept)
    _owns(session, ann, course, dept)
    book_step(session, actor=lee, step_id=step, session_id=live, now=NOW)
    full = _refused("session_full", book_step, session, actor=ann, step_id=step,
                    session_id=live, now=NOW)
    assert "waitlist" in full.message
    assert _seats(session, live) == 1


# -- cancelling ---------------------------------------------------------------------------------


def test_cancelling_a_step_booking_frees_the_seat_and_unbooks_the_step(
        session: Session, super_admin: Actor) -> None:
    lee, ann = a_learner(session), a_learner(session, "ann@example.com")
    dept, course, (step, _) = _course(session, super_admin)
    live = _live(session, dept, "Foundations A", option_of=step)
    _owns(session, lee, course, dept)
    booking = book_step(session, actor=lee, step_id=step, session_id=live, now=NOW)
    assert booking.id is not None
    _refused("forbidden", cancel_booking, session, actor=ann, booking_id=booking.id, now=NOW)

    cancelled = cancel_booking(session, actor=lee, booking_id=booking.id, now=NOW)
    assert cancelled.status == "cancelled" and cancelled.cancelled_at == NOW
    assert _seats(session, live) == 0
    progress = _progress(session, lee, step)
    assert (progress.status, progress.booking_id) == ("unbooked", None)
    assert len(_emails(session, "booking-cancelled")) == 1
    # twice is harmless
    assert cancel_booking(session, actor=lee, booking_id=booking.id, now=NOW).status \
        == "cancelled"
    assert _seats(session, live) == 0
    assert len(_emails(session, "booking-cancelled")) == 1
    # and the step can be booked again
    assert book_step(session, actor=lee, step_id=step, session_id=live, now=NOW).id


def test_an_admin_of_the_department_cancels_but_not_after_the_start(
        session: Session, super_admin: Actor) -> None:
    lee = a_learner(session)
    dept, course, (step1, step2) = _course(session, super_admin)
    admin = an_admin(session, "dept@example.com",
                     grants=(Grant(RoleName.DEPT_ADMIN, dept),))
    first = _live(session, dept, "Foundations A", option_of=step1)
    second = _live(session, dept, "Advanced A", start=START + timedelta(days=1),
                   option_of=step2)
    _owns(session, lee, course, dept)
    one = book_step(session, actor=lee, step_id=step1, session_id=first, now=NOW)
    two = book_step(session, actor=lee, step_id=step2, session_id=second, now=NOW)
    assert one.id is not None and two.id is not None
    assert cancel_booking(session, actor=admin, booking_id=one.id, now=NOW).status \
        == "cancelled"
    late = _refused("session_started", cancel_booking, session, actor=lee, booking_id=two.id,
                    now=START + timedelta(days=1, minutes=1))
    assert "already started" in late.message
    session.expire_all()
    assert session.get(Booking, two.id).status == "booked"  # type: ignore[union-attr]


def test_releasing_a_cancelled_sessions_bookings_returns_everything(
        session: Session, super_admin: Actor) -> None:
    lee, ann = a_learner(session), a_learner(session, "ann@example.com")
    dept, course, (step, _) = _course(session, super_admin)
    live_id = _live(session, dept, "Foundations A", option_of=step)
    _owns(session, lee, course, dept)
    session.add(SessionCredit(dedupe_key="g1", user_id=ann.user_id, department_id=dept,
                              kind="group"))
    session.commit()
    book_step(session, actor=lee, step_id=step, session_id=live_id, now=NOW)
    # late: a credit cancelled now would be spent; a cancelled session returns it anyway
    book_with_credit(session, actor=ann, session_id=live_id, now=START - timedelta(hours=1))
    live = session.get(LiveSession, live_id)
    assert live is not None
    released = release_session_bookings(session, live, actor=super_admin,
                                        reason="The instructor is ill.")
    session.commit()
    assert {b.status for b in released} == {"cancelled"} and len(released) == 2
    assert _seats(session, live_id) == 0
    assert _progress(session, lee, step).status == "unbooked"
    assert session.exec(select(SessionCredit)).one().status == "available"
    assert [b.credit_returned for b in released if b.credit_id] == [True]
    assert _emails(session, "booking-cancelled") == []  # the caller emails


# -- the schedule -------------------------------------------------------------------------------


def test_the_schedule_lists_upcoming_and_past_bookings_with_what_cancelling_does(
        session: Session, super_admin: Actor) -> None:
    lee = a_learner(session)
    dept, course, (step1, step2) = _course(session, super_admin)
    instructor = a_learner(session, "ines@example.com", full_name="Ines Instructor")
    early = _live(session, dept, "Foundations A", start=NOW + timedelta(hours=2),
                  option_of=step1)
    late = _live(session, dept, "Private 60", start=START + timedelta(days=5), kind="private",
                 capacity=1)
    gone = _live(session, dept, "Advanced A", start=START + timedelta(days=1),
                 option_of=step2)
    session.get(LiveSession, late).instructor_id = instructor.user_id  # type: ignore[union-attr]
    _owns(session, lee, course, dept)
    session.add(SessionCredit(dedupe_key="p1", user_id=lee.user_id, department_id=dept,
                              kind="private", minutes=60))
    session.commit()
    book_step(session, actor=lee, step_id=step1, session_id=early, now=NOW)
    private = book_with_credit(session, actor=lee, session_id=late, now=NOW)
    cancelled = book_step(session, actor=lee, step_id=step2, session_id=gone, now=NOW)
    cancel_booking(session, actor=lee, booking_id=cancelled.id or 0, now=NOW)

    schedule = learner_schedule(session, user_id=lee.user_id, now=NOW)
    assert [r.title for r in schedule.upcoming] == ["Foundations A", "Private 60"]
    first, second = schedule.upcoming
    assert (first.step_label, first.course_title, first.can_cancel) == ("Step 1", "Live LIVE",
                                                                        True)
    assert first.credit_back_if_cancelled is False  # a step booking uses no credit
    assert (second.kind, second.instructor_name, second.uses_credit) == (
        "private", "Ines Instructor", True)
    assert second.credit_back_if_cancelled is True  # days before the cut-off
    assert [(r.title, r.status) for r in schedule.past] == [("Advanced A", "cancelled")]
    assert [c.status for c in schedule.credits] == ["used"]

    later = learner_schedule(session, user_id=lee.user_id,
                             now=START + timedelta(days=5) - timedelta(hours=3))
    assert [r.booking_id for r in later.upcoming] == [private.id]
    assert later.upcoming[0].credit_back_if_cancelled is False  # inside the cut-off
    assert [r.title for r in later.past] == ["Advanced A", "Foundations A"]
