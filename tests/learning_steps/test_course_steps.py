"""A course's steps in the course editor (issue 17, seed 003 phase 4): create, edit, reorder
and delete them, attach and detach group classes, within the admin's departments; what the
course page reads of them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, col, select

from commerce_dash.domain.access import RoleName
from commerce_dash.domain.actor import Actor, Grant
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.errors import DomainError, ErrorKind
from commerce_dash.domain.sessions import StepStatus
from commerce_dash.models.audit import AuditLog
from commerce_dash.models.enrollment import Registration
from commerce_dash.models.sessions import CourseStep, LiveSession, StepOption, StepProgress
from commerce_dash.services.learning import (
    StepIn,
    attach_option,
    course_steps,
    create_step,
    delete_step,
    detach_option,
    get_step,
    move_step,
    seed_steps,
    set_step_status,
    step_progress_for,
    update_step,
)
from tests.builders import a_course, a_department, a_learner, an_admin, paid_order


def _course(session: Session, admin: Actor, code: str = "STEPS") -> tuple[int, int]:
    dept = a_department(session, admin, f"{code}-D")
    return dept, a_course(session, admin, code, department_id=dept)


def _steps(session: Session, admin: Actor, course_id: int, *titles: str) -> list[int]:
    ids = []
    for n, title in enumerate(titles, start=1):
        step = create_step(session, actor=admin, course_id=course_id,
                           data=StepIn(f"Step {n}", title, f"About {title}"))
        assert step.id is not None
        ids.append(step.id)
    session.commit()
    return ids


def _order(session: Session, course_id: int) -> list[tuple[int, str]]:
    return [(s.position, s.title) for s in session.exec(
        select(CourseStep).where(CourseStep.course_id == course_id)
        .order_by(col(CourseStep.position))).all()]


def _group_class(session: Session, department_id: int, title: str = "Foundations, Monday", *,
                 kind: str = "group", status: str = "scheduled", in_days: float = 7,
                 capacity: int = 12, booked: int = 0, instructor_id: int | None = None
                 ) -> int:
    starts = utcnow() + timedelta(days=in_days)
    live = LiveSession(department_id=department_id, kind=kind, title=title,
                       starts_at=starts, ends_at=starts + timedelta(hours=2),
                       time_zone="Europe/Berlin", capacity=capacity, seats_booked=booked,
                       status=status, instructor_id=instructor_id)
    session.add(live)
    session.commit()
    assert live.id is not None
    return live.id


def _refused(call, code: str) -> DomainError:  # type: ignore[no-untyped-def]
    with pytest.raises(DomainError) as caught:
        call()
    assert caught.value.code == code, caught.value
    return caught.value


def _audited(session: Session, action: str) -> list[AuditLog]:
    return list(session.exec(select(AuditLog).where(AuditLog.action == action)).all())


# -- create, edit, reorder ------------------------------------------------------------------------


def test_steps_are_appended_in_order_tidied_and_audited(session: Session,
                                                        super_admin: Actor) -> None:
    _, course = _course(session, super_admin)
    first = create_step(session, actor=super_admin, course_id=course,
                        data=StepIn("  Step   1 ", " Foundations  of\tPython ", "  Basics.  "))
    _steps(session, super_admin, course, "Functions", "Projects")
    assert (first.label, first.title, first.description) == (
        "Step 1", "Foundations of Python", "Basics.")
    assert _order(session, course) == [(1, "Foundations of Python"), (2, "Functions"),
                                       (3, "Projects")]
    assert len(_audited(session, "course_step.created")) == 3


def test_a_step_inserted_at_a_position_moves_the_later_ones_down(session: Session,
                                                                super_admin: Actor) -> None:
    _, course = _course(session, super_admin)
    _steps(session, super_admin, course, "A", "B", "C")
    create_step(session, actor=super_admin, course_id=course, data=StepIn("Extra", "X"),
                position=2)
    create_step(session, actor=super_admin, course_id=course, data=StepIn("Intro", "Zero"),
                position=1)
    session.commit()
    assert _order(session, course) == [(1, "Zero"), (2, "A"), (3, "X"), (4, "B"), (5, "C")]


def test_moving_a_step_reorders_without_gaps(session: Session, super_admin: Actor) -> None:
    _, course = _course(session, super_admin)
    a, b, c, d = _steps(session, super_admin, course, "A", "B", "C", "D")
    ordered = move_step(session, actor=super_admin, step_id=d, position=1)
    session.commit()
    assert [s.title for s in ordered] == ["D", "A", "B", "C"]
    assert _order(session, course) == [(1, "D"), (2, "A"), (3, "B"), (4, "C")]
    move_step(session, actor=super_admin, step_id=d, position=4)
    move_step(session, actor=super_admin, step_id=a, position=3)
    session.commit()
    assert _order(session, course) == [(1, "B"), (2, "C"), (3, "A"), (4, "D")]
    assert [e.after for e in _audited(session, "course_step.moved")][-1] == {"position": 3}
    # moving to where it is changes nothing and writes nothing
    move_step(session, actor=super_admin, step_id=b, position=1)
    assert len(_audited(session, "course_step.moved")) == 3
    assert c


def test_editing_a_step_keeps_its_place_and_audits_before_and_after(
        session: Session, super_admin: Actor) -> None:
    _, course = _course(session, super_admin)
    step_id, _ = _steps(session, super_admin, course, "Old title", "Other")
    update_step(session, actor=super_admin, step_id=step_id,
                data=StepIn("Week 1", "New title", "Now with exercises."))
    session.commit()
    row = get_step(session, step_id)
    assert (row.position, row.label, row.title, row.description) == (
        1, "Week 1", "New title", "Now with exercises.")
    audit = _audited(session, "course_step.updated")
    assert len(audit) == 1
    assert audit[0].before and audit[0].before["title"] == "Old title"
    assert audit[0].after and audit[0].after["title"] == "New title"
    # the same text again: nothing to audit
    update_step(session, actor=super_admin, step_id=step_id,
                data=StepIn("Week 1", "New title", "Now with exercises."))
    assert len(_audited(session, "course_step.updated")) == 1


@pytest.mark.parametrize(("data", "code", "field"), [
    (StepIn("", "Title"), "step_label_required", "label"),
    (StepIn("x" * 41, "Title"), "step_label_too_long", "label"),
    (StepIn("Step 1", "   "), "step_title_required", "title"),
    (StepIn("Step 1", "t" * 201), "step_title_too_long", "title"),
    (StepIn("Step 1", "Title", "d" * 5001), "step_description_too_long", "description"),
])
def test_bad_step_text_is_refused_beside_its_field(session: Session, super_admin: Actor,
                                                   data: StepIn, code: str,
                                                   field: str) -> None:
    _, course = _course(session, super_admin)
    error = _refused(lambda: create_step(session, actor=super_admin, course_id=course,
                                         data=data), code)
    assert error.field == field and error.kind is ErrorKind.INVALID
    session.rollback()
    assert _order(session, course) == []
    # the longest allowed text is fine
    create_step(session, actor=super_admin, course_id=course,
                data=StepIn("x" * 40, "t" * 200, "d" * 5000))


def test_positions_outside_the_steps_are_refused(session: Session, super_admin: Actor) -> None:
    _, course = _course(session, super_admin)
    first, _ = _steps(session, super_admin, course, "A", "B")
    for position in (0, 4, -1):
        error = _refused(lambda p=position: create_step(  # type: ignore[misc]
            session, actor=super_admin, course_id=course, data=StepIn("S", "T"), position=p),
            "invalid_step_position")
        assert error.field == "position" and "1 to 3" in error.message
    _refused(lambda: move_step(session, actor=super_admin, step_id=first, position=3),
             "invalid_step_position")
    _refused(lambda: get_step(session, 999_999), "step_not_found")
    _refused(lambda: create_step(session, actor=super_admin, course_id=999_999,
                                 data=StepIn("S", "T")), "course_not_found")


def test_a_department_admin_edits_only_their_departments_courses(session: Session,
                                                                  super_admin: Actor) -> None:
    mine, my_course = _course(session, super_admin, "MINE")
    _, their_course = _course(session, super_admin, "THEIRS")
    their_step, = _steps(session, super_admin, their_course, "Theirs")
    dept_admin = an_admin(session, "dee@example.com",
                          grants=(Grant(RoleName.DEPT_ADMIN, mine),))
    step = create_step(session, actor=dept_admin, course_id=my_course, data=StepIn("S1", "Mine"))
    session.commit()
    assert step.id is not None
    for call in (
        lambda: create_step(session, actor=dept_admin, course_id=their_course,
                            data=StepIn("S", "T")),
        lambda: update_step(session, actor=dept_admin, step_id=their_step,
                            data=StepIn("S", "T")),
        lambda: move_step(session, actor=dept_admin, step_id=their_step, position=1),
        lambda: delete_step(session, actor=dept_admin, step_id=their_step),
    ):
        assert _refused(call, "forbidden").kind is ErrorKind.FORBIDDEN
        session.rollback()
    learner = a_learner(session, "nope@example.com")
    _refused(lambda: create_step(session, actor=learner, course_id=my_course,
                                 data=StepIn("S", "T")), "forbidden")
    assert _order(session, their_course) == [(1, "Theirs")]


# -- options --------------------------------------------------------------------------------------


def test_group_classes_of_the_department_are_attached_once_and_listed(
        session: Session, super_admin: Actor) -> None:
    dept, course = _course(session, super_admin)
    step, other = _steps(session, super_admin, course, "Foundations", "Functions")
    teacher = an_admin(session, "ina@example.com", full_name="Ina Instructor",
                       grants=(Grant(RoleName.DEPT_ADMIN, dept),))
    later = _group_class(session, dept, "Tuesday class", in_days=8, capacity=10, booked=3,
                         instructor_id=teacher.user_id)
    sooner = _group_class(session, dept, "Monday class", in_days=7, capacity=5, booked=5)
    option = attach_option(session, actor=super_admin, step_id=step, session_id=later)
    again = attach_option(session, actor=super_admin, step_id=step, session_id=later)
    attach_option(session, actor=super_admin, step_id=step, session_id=sooner)
    session.commit()
    assert again.id == option.id
    assert len(_audited(session, "course_step.option_attached")) == 2
    rows = course_steps(session, course)
    assert [(r.title, len(r.options)) for r in rows] == [("Foundations", 2), ("Functions", 0)]
    monday, tuesday = rows[0].options
    assert (monday.title, monday.seats_left, monday.capacity, monday.instructor_name) == (
        "Monday class", 0, 5, "")
    assert (tuesday.title, tuesday.seats_left, tuesday.instructor_name, tuesday.time_zone,
            tuesday.status, tuesday.started) == (
        "Tuesday class", 7, "Ina Instructor", "Europe/Berlin", "scheduled", False)
    # a week later, both have started
    late = course_steps(session, course, now=utcnow() + timedelta(days=9))
    assert all(o.started for o in late[0].options)
    assert other


def test_only_a_scheduled_group_class_of_the_courses_department_is_an_option(
        session: Session, super_admin: Actor) -> None:
    dept, course = _course(session, super_admin)
    step, = _steps(session, super_admin, course, "Foundations")
    elsewhere = a_department(session, super_admin, "ELSEWHERE")
    cases = {
        "option_not_group": _group_class(session, dept, "Private slot", kind="private",
                                         capacity=1),
        "option_other_department": _group_class(session, elsewhere, "Their class"),
        "option_not_scheduled": _group_class(session, dept, "Cancelled class",
                                             status="cancelled"),
    }
    for code, live in cases.items():
        error = _refused(lambda s=live: attach_option(  # type: ignore[misc]
            session, actor=super_admin, step_id=step, session_id=s), code)
        assert error.field == "session_id"
    _refused(lambda: attach_option(session, actor=super_admin, step_id=step,
                                   session_id=999_999), "group_class_not_found")
    assert session.exec(select(StepOption)).all() == []


def test_detaching_an_option_is_audited_and_harmless_twice(session: Session,
                                                          super_admin: Actor) -> None:
    dept, course = _course(session, super_admin)
    step, = _steps(session, super_admin, course, "Foundations")
    option = attach_option(session, actor=super_admin, step_id=step,
                           session_id=_group_class(session, dept))
    session.commit()
    assert option.id is not None
    detach_option(session, actor=super_admin, option_id=option.id)
    detach_option(session, actor=super_admin, option_id=option.id)
    session.commit()
    assert get_step(session, step).options == ()
    assert len(_audited(session, "course_step.option_detached")) == 1


# -- delete ---------------------------------------------------------------------------------------


def test_deleting_a_step_closes_the_gap_and_drops_its_options(session: Session,
                                                              super_admin: Actor) -> None:
    dept, course = _course(session, super_admin)
    _, b, _ = _steps(session, super_admin, course, "A", "B", "C")
    attach_option(session, actor=super_admin, step_id=b, session_id=_group_class(session, dept))
    session.commit()
    delete_step(session, actor=super_admin, step_id=b)
    session.commit()
    assert _order(session, course) == [(1, "A"), (2, "C")]
    assert session.exec(select(StepOption)).all() == []
    assert len(_audited(session, "course_step.deleted")) == 1
    delete_step(session, actor=super_admin, step_id=b)  # already gone: nothing happens


def test_a_step_a_learner_booked_cannot_be_deleted(session: Session,
                                                   super_admin: Actor) -> None:
    _, course = _course(session, super_admin)
    booked_step, free_step = _steps(session, super_admin, course, "Booked", "Free")
    learner = a_learner(session)
    paid_order(session, learner, ("course", course))
    registration = session.exec(select(Registration).where(
        Registration.course_id == course)).one()
    seed_steps(session, registration)
    progress = step_progress_for(session, user_id=learner.user_id, step_id=booked_step)
    assert progress is not None
    set_step_status(session, progress, StepStatus.BOOKED, actor=super_admin)
    session.commit()
    error = _refused(lambda: delete_step(session, actor=super_admin, step_id=booked_step),
                     "step_in_use")
    assert error.kind is ErrorKind.CONFLICT and "1 learner has booked" in error.message
    session.rollback()
    assert _order(session, course) == [(1, "Booked"), (2, "Free")]
    # an unbooked step goes, with the learners' unbooked progress in it
    delete_step(session, actor=super_admin, step_id=free_step)
    session.commit()
    assert _order(session, course) == [(1, "Booked")]
    assert [p.step_id for p in session.exec(select(StepProgress)).all()] == [booked_step]


def test_a_new_step_is_seeded_for_the_courses_live_registrations(session: Session,
                                                                 super_admin: Actor) -> None:
    _, course = _course(session, super_admin)
    first, = _steps(session, super_admin, course, "First")
    lee, kim = a_learner(session), a_learner(session, "kim@example.com")
    for learner in (lee, kim):
        paid_order(session, learner, ("course", course))
    for registration in session.exec(select(Registration)).all():
        seed_steps(session, registration)
    session.commit()
    second = create_step(session, actor=super_admin, course_id=course,
                         data=StepIn("Step 2", "Second"))
    session.commit()
    for learner in (lee, kim):
        row = step_progress_for(session, user_id=learner.user_id, step_id=second.id or 0)
        assert row is not None and row.status == "unbooked"
    assert len(session.exec(select(StepProgress)).all()) == 4
    assert first
