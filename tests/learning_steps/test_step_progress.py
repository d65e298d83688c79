"""A learner's progress through a course's steps (issue 17): seeded UNBOOKED exactly once,
moved only by the guarded writer, shown to the learner with the session they booked, and
"all steps attended" completing the course with its certificate."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from commerce_dash.db import get_engine
from commerce_dash.domain.actor import Actor
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.completion import CompletionCriteria, Requirement
from commerce_dash.domain.errors import DomainError, ErrorKind
from commerce_dash.domain.sessions import StepStatus
from commerce_dash.models.audit import AuditLog
from commerce_dash.models.certificates import Certificate
from commerce_dash.models.enrollment import Registration
from commerce_dash.models.sessions import Booking, LiveSession, StepProgress
from commerce_dash.services.learning import (
    StepIn,
    completion_rule,
    create_step,
    learner_course,
    learner_steps,
    seed_steps,
    set_completion_rule,
    set_step_status,
    step_progress_for,
)
from commerce_dash.services.learning.step_progress import insert_unbooked
from tests.builders import a_course, a_department, a_learner, course_modules, paid_order

STEPS = ("Foundations", "Functions", "Data", "Project")


class Course:
    def __init__(self, session: Session, admin: Actor, code: str = "COHORT",
                 steps: tuple[str, ...] = STEPS) -> None:
        self.department_id = a_department(session, admin, f"{code}-D")
        self.id = a_course(session, admin, code, department_id=self.department_id)
        self.code = code
        self.steps: list[int] = []
        for n, title in enumerate(steps, start=1):
            step = create_step(session, actor=admin, course_id=self.id,
                               data=StepIn(f"Step {n}", title))
            assert step.id is not None
            self.steps.append(step.id)
        session.commit()


def _bought(session: Session, learner: Actor, course: Course) -> Registration:
    """The learner bought the course: their registration, its steps seeded."""
    paid_order(session, learner, ("course", course.id))
    registration = session.exec(select(Registration).where(
        Registration.user_id == learner.user_id, Registration.course_id == course.id)).one()
    seed_steps(session, registration)
    session.commit()
    return registration


def _progress(session: Session, learner: Actor, step_id: int) -> StepProgress:
    row = step_progress_for(session, user_id=learner.user_id, step_id=step_id)
    assert row is not None
    return row


def _attend(session: Session, learner: Actor, step_id: int, admin: Actor) -> None:
    row = _progress(session, learner, step_id)
    set_step_status(session, row, StepStatus.BOOKED, actor=learner)
    set_step_status(session, row, StepStatus.ATTENDED, actor=admin)
    session.commit()


def _booking(session: Session, learner: Actor, course: Course, registration: Registration,
             step_id: int) -> Booking:
    starts = utcnow() + timedelta(days=3)
    live = LiveSession(department_id=course.department_id, title="Foundations, Tuesday",
                       starts_at=starts, ends_at=starts + timedelta(hours=2),
                       time_zone="Asia/Kolkata", capacity=10, seats_booked=1)
    session.add(live)
    session.flush()
    assert live.id is not None
    booking = Booking(session_id=live.id, user_id=learner.user_id, starts_at=live.starts_at,
                      ends_at=live.ends_at, step_id=step_id, registration_id=registration.id)
    session.add(booking)
    session.commit()
    return booking


# -- seeding ----------------------------------------------------------------------------------


def test_a_purchase_seeds_every_step_unbooked_exactly_once(session: Session,
                                                           super_admin: Actor) -> None:
    course = Course(session, super_admin)
    learner = a_learner(session)
    registration = _bought(session, learner, course)
    rows = session.exec(select(StepProgress)).all()
    assert sorted(r.step_id for r in rows) == sorted(course.steps)
    assert {(r.status, r.user_id, r.registration_id) for r in rows} == {
        ("unbooked", learner.user_id, registration.id)}
    # a duplicate webhook, approval or retry seeds nothing more
    assert seed_steps(session, registration) == 0
    assert insert_unbooked(session, [(registration, s) for s in course.steps]) == 0
    session.commit()
    assert len(session.exec(select(StepProgress)).all()) == 4


def test_concurrent_seeding_writes_each_row_once(session: Session, super_admin: Actor) -> None:
    course = Course(session, super_admin)
    learner = a_learner(session)
    paid_order(session, learner, ("course", course.id))
    registration_id = session.exec(select(Registration.id).where(
        Registration.course_id == course.id)).one()
    session.execute(StepProgress.__table__.delete())  # type: ignore[attr-defined]
    session.commit()
    start = threading.Barrier(4)
    created: list[int] = []
    errors: list[BaseException] = []

    def seed() -> None:
        try:
            with Session(get_engine(), expire_on_commit=False) as own:
                registration = own.get(Registration, registration_id)
                assert registration is not None
                start.wait()
                created.append(seed_steps(own, registration))
                own.commit()
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=seed) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(created) == 4
    assert len(session.exec(select(StepProgress)).all()) == 4


def test_only_a_live_course_registration_is_seeded(session: Session, super_admin: Actor) -> None:
    course = Course(session, super_admin)
    learner = a_learner(session)
    registration = _bought(session, learner, course)
    session.execute(StepProgress.__table__.delete())  # type: ignore[attr-defined]
    session.commit()
    registration.status = "cancelled"  # as a refund leaves it (not saved)
    assert seed_steps(session, registration) == 0
    session.rollback()


# -- the guarded writer -----------------------------------------------------------------------


def test_a_step_cannot_be_attended_before_it_is_booked(session: Session,
                                                       super_admin: Actor) -> None:
    course = Course(session, super_admin)
    learner = a_learner(session)
    _bought(session, learner, course)
    row = _progress(session, learner, course.steps[0])
    with pytest.raises(DomainError) as refused:
        set_step_status(session, row, StepStatus.ATTENDED, actor=super_admin)
    assert refused.value.code == "invalid_step_move"
    assert refused.value.kind is ErrorKind.CONFLICT
    assert "unbooked" in refused.value.message and "attended" in refused.value.message
    session.rollback()
    assert _progress(session, learner, course.steps[0]).status == "unbooked"


def test_booking_and_cancelling_a_step_records_the_booking_then_forgets_it(
        session: Session, super_admin: Actor) -> None:
    course = Course(session, super_admin)
    learner = a_learner(session)
    registration = _bought(session, learner, course)
    booking = _booking(session, learner, course, registration, course.steps[0])
    row = _progress(session, learner, course.steps[0])
    set_step_status(session, row, StepStatus.BOOKED, actor=learner, booking_id=booking.id)
    set_step_status(session, row, StepStatus.BOOKED, actor=learner, booking_id=booking.id)
    session.commit()
    assert (row.status, row.booking_id, row.booked_at is not None) == (
        "booked", booking.id, True)
    assert len(session.exec(select(AuditLog).where(
        AuditLog.action == "step_progress.booked")).all()) == 1
    set_step_status(session, row, StepStatus.UNBOOKED, actor=learner, reason="cancelled")
    session.commit()
    again = _progress(session, learner, course.steps[0])
    assert (again.status, again.booking_id, again.booked_at) == ("unbooked", None, None)
    audit = session.exec(select(AuditLog).where(
        AuditLog.action == "step_progress.unbooked")).one()
    assert audit.before == {"status": "booked", "booking_id": booking.id}
    assert audit.reason == "cancelled"


def test_the_learner_sees_each_step_with_the_session_booked(session: Session,
                                                            super_admin: Actor) -> None:
    course = Course(session, super_admin)
    learner = a_learner(session)
    registration = _bought(session, learner, course)
    booking = _booking(session, learner, course, registration, course.steps[0])
    set_step_status(session, _progress(session, learner, course.steps[0]), StepStatus.BOOKED,
                    actor=learner, booking_id=booking.id)
    session.commit()
    steps = learner_steps(session, user_id=learner.user_id, course_id=course.id)
    assert [(s.position, s.label, s.title, s.status) for s in steps] == [
        (1, "Step 1", "Foundations", "booked"), (2, "Step 2", "Functions", "unbooked"),
        (3, "Step 3", "Data", "unbooked"), (4, "Step 4", "Project", "unbooked")]
    first = steps[0]
    assert (first.booking_id, first.session_title, first.time_zone) == (
        booking.id, "Foundations, Tuesday", "Asia/Kolkata")
    assert first.starts_at == booking.starts_at and first.ends_at == booking.ends_at
    assert steps[1].session_title == "" and steps[1].starts_at is None
    # someone who did not buy the course sees its steps without a place in them
    other = a_learner(session, "kim@example.com")
    assert {s.status for s in learner_steps(session, user_id=other.user_id,
                                            course_id=course.id)} == {""}
    assert step_progress_for(session, user_id=other.user_id, step_id=course.steps[0]) is None


# -- "all steps attended" -----------------------------------------------------------------------


def test_attending_every_step_issues_the_certificate(session: Session,
                                                     super_admin: Actor) -> None:
    course = Course(session, super_admin)
    form = set_completion_rule(session=session, actor=super_admin, course_id=course.id,
                               criteria=CompletionCriteria(Requirement.ALL_STEPS))
    assert form.description == "Attend every step."
    assert [label for _, label in form.steps] == [
        "Step 1: Foundations", "Step 2: Functions", "Step 3: Data", "Step 4: Project"]
    learner = a_learner(session)
    _bought(session, learner, course)
    for step_id in course.steps[:3]:
        _attend(session, learner, step_id, super_admin)
    # a missed step does not count
    last = _progress(session, learner, course.steps[3])
    set_step_status(session, last, StepStatus.BOOKED, actor=learner)
    set_step_status(session, last, StepStatus.MISSED, actor=super_admin)
    session.commit()
    progress = learner_course(session=session, user_id=learner.user_id, course_code=course.code)
    assert (progress.percent, progress.complete, progress.missing) == (
        75, False, ("1 of 4 steps to attend.",))
    assert session.exec(select(Certificate)).all() == []
    # the instructor corrects the attendance: the course is complete
    set_step_status(session, last, StepStatus.ATTENDED, actor=super_admin)
    session.commit()
    certificate = session.exec(select(Certificate)).one()
    assert (certificate.kind, certificate.course_id, certificate.user_id, certificate.status) == (
        "course", course.id, learner.user_id, "active")
    done = learner_course(session=session, user_id=learner.user_id, course_code=course.code)
    assert (done.percent, done.complete, done.certificate_number) == (
        100, True, certificate.number)
    # attending again (a repeated LMS report) changes nothing and issues nothing more
    set_step_status(session, last, StepStatus.ATTENDED, actor=super_admin)
    session.commit()
    assert len(session.exec(select(Certificate)).all()) == 1


def test_modules_do_not_complete_a_course_whose_rule_is_all_steps(
        session: Session, super_admin: Actor) -> None:
    course = Course(session, super_admin, steps=("Only step",))
    course_modules(session, course.id, n=1)
    set_completion_rule(session=session, actor=super_admin, course_id=course.id,
                        criteria=CompletionCriteria(Requirement.ALL_STEPS))
    learner = a_learner(session)
    _bought(session, learner, course)
    progress = learner_course(session=session, user_id=learner.user_id,
                              course_code=course.code)
    assert (progress.percent, progress.missing) == (0, ("1 of 1 steps to attend.",))
    _attend(session, learner, course.steps[0], super_admin)
    assert session.exec(select(Certificate.course_id)).all() == [course.id]


def test_all_steps_is_refused_for_a_course_without_steps(session: Session,
                                                         super_admin: Actor) -> None:
    dept = a_department(session, super_admin, "SELF")
    course_id = a_course(session, super_admin, "SELFPACED", department_id=dept)
    course_modules(session, course_id, n=2)
    with pytest.raises(DomainError) as refused:
        set_completion_rule(session=session, actor=super_admin, course_id=course_id,
                            criteria=CompletionCriteria(Requirement.ALL_STEPS))
    assert (refused.value.code, refused.value.field) == ("no_steps", "requirement")
    session.rollback()
    form = completion_rule(session=session, actor=super_admin, course_id=course_id)
    assert form.criteria.requirement is Requirement.ALL_MODULES and form.steps == []
