"""The Steps dialog of the admin Courses page driven as a browser would (no server): a course's
steps listed in order with their attached group classes, added (a field error beside an empty
title), edited, moved, deleted (a step in use says why as a toast), and classes attached and
removed; every change committed and audited by the services (issue 17)."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from commerce_dash import routes
from commerce_dash.domain.access import RoleName
from commerce_dash.domain.actor import Actor, Grant
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.sessions import StepStatus
from commerce_dash.models.audit import AuditLog
from commerce_dash.models.enrollment import Registration
from commerce_dash.models.sessions import LiveSession
from commerce_dash.pages.admin.course_steps_state import CourseStepsState
from commerce_dash.services.learning import (
    StepIn,
    create_step,
    seed_steps,
    set_step_status,
    step_progress_for,
)
from tests.builders import a_course, a_department, a_learner, an_admin, paid_order
from tests.pages.harness import PageAs, run_event, toast_messages


def _group_class(session: Session, department_id: int, title: str, *, in_days: float = 7,
                 capacity: int = 12, booked: int = 0) -> int:
    starts = (utcnow() + timedelta(days=in_days)).replace(second=0, microsecond=0)
    live = LiveSession(department_id=department_id, kind="group", title=title,
                       starts_at=starts, ends_at=starts + timedelta(hours=2),
                       time_zone="Europe/Berlin", capacity=capacity, seats_booked=booked,
                       status="scheduled")
    session.add(live)
    session.commit()
    assert live.id is not None
    return live.id


def _opened(page_as: PageAs, course_id: int, email: str = "root@example.com"
            ) -> CourseStepsState:
    state = page_as(CourseStepsState, routes.ADMIN_COURSES, email=email)
    run_event(CourseStepsState.open_for, state, str(course_id), "STEPS")
    return state


def _titles(state: CourseStepsState) -> list[tuple[str, str]]:
    return [(s.label, s.title) for s in state.steps]


def _add(state: CourseStepsState, label: str, title: str, description: str = "") -> list[str]:
    run_event(CourseStepsState.add_step, state)
    return toast_messages(run_event(CourseStepsState.save_step, state, {
        "step_label": label, "step_title": title, "step_description": description}),
        "success")


def _audited(session: Session, action: str) -> int:
    return len(session.exec(select(AuditLog).where(AuditLog.action == action)).all())


def test_steps_are_added_edited_moved_and_deleted(session: Session, super_admin: Actor,
                                                  page_as: PageAs) -> None:
    dept = a_department(session, super_admin, "LIVE")
    course = a_course(session, super_admin, "STEPS", department_id=dept)
    state = _opened(page_as, course)
    assert state.open and state.steps == []
    # an empty title: the message sits beside the title field, nothing is saved
    run_event(CourseStepsState.add_step, state)
    assert state.form_mode == "add" and state.draft_label == "Step 1"
    answer = run_event(CourseStepsState.save_step, state,
                       {"step_label": "Step 1", "step_title": "  ", "step_description": ""})
    assert answer == [] and state.title_error == "Enter the step's title."
    assert state.form_mode == "add" and state.steps == []
    # added in order
    assert _add(state, "Step 1", "Foundations", "Posture and breath") == ["Step 1 added."]
    assert state.form_mode == "" and state.title_error == ""
    assert _add(state, "Step 2", "Practice") == ["Step 2 added."]
    assert _titles(state) == [("Step 1", "Foundations"), ("Step 2", "Practice")]
    assert state.steps[0].description == "Posture and breath"
    assert (state.steps[0].first, state.steps[1].last) == (True, True)
    # edited
    run_event(CourseStepsState.edit_step, state, state.steps[1].id)
    assert (state.form_mode, state.draft_title) == ("edit", "Practice")
    said = toast_messages(run_event(CourseStepsState.save_step, state, {
        "step_label": "Step 2", "step_title": "Daily practice", "step_description": ""}),
        "success")
    assert said == ["Step 2 saved."]
    # moved: the second goes up
    second = state.steps[1]
    run_event(CourseStepsState.move, state, second.id, second.position - 1)
    assert _titles(state) == [("Step 2", "Daily practice"), ("Step 1", "Foundations")]
    # deleted, after being asked
    run_event(CourseStepsState.ask_delete, state, state.steps[1].id)
    assert state.deleting == state.steps[1].id
    said = toast_messages(run_event(CourseStepsState.delete_step, state, state.steps[1].id),
                          "success")
    assert said == ["Step 1 deleted."]
    assert _titles(state) == [("Step 2", "Daily practice")]
    # each change was committed (a fresh dialog reads it) and audited
    assert _titles(_opened(page_as, course)) == [("Step 2", "Daily practice")]
    for action in ("course_step.created", "course_step.updated", "course_step.moved",
                   "course_step.deleted"):
        assert _audited(session, action) >= 1, action


def test_a_class_is_attached_shown_with_its_seats_and_removed(
        session: Session, super_admin: Actor, page_as: PageAs) -> None:
    dept = a_department(session, super_admin, "LIVE")
    other = a_department(session, super_admin, "OTHER")
    course = a_course(session, super_admin, "STEPS", department_id=dept)
    create_step(session, actor=super_admin, course_id=course,
                data=StepIn("Step 1", "Foundations"))
    session.commit()
    monday = _group_class(session, dept, "Foundations, Monday", capacity=12, booked=3)
    _group_class(session, dept, "Long past", in_days=-3)
    _group_class(session, other, "Another school's class")
    state = _opened(page_as, course)
    # only the department's upcoming scheduled group classes are offered
    assert [c["label"].split(" · ")[0] for c in state.classes] == ["Foundations, Monday"]
    assert "3/12 booked" in state.classes[0]["label"]
    step = state.steps[0]
    run_event(CourseStepsState.start_attach, state, step.id)
    assert state.attach_step == step.id
    # nothing chosen: said beside the select
    assert run_event(CourseStepsState.attach, state) == []
    assert state.attach_error == "Choose a class to attach."
    run_event(CourseStepsState.set_attach_session, state, str(monday))
    said = toast_messages(run_event(CourseStepsState.attach, state), "success")
    assert said == ["Foundations, Monday attached to Step 1."]
    assert state.attach_step == ""
    (option,) = state.steps[0].options
    assert option.title == "Foundations, Monday"
    assert option.seats == "3/12"
    assert option.when.endswith(("CET", "CEST")) and "–" in option.when
    assert option.remove_label == "Remove Foundations, Monday from Step 1"
    # removed with the x button
    said = toast_messages(run_event(CourseStepsState.detach, state, option.option_id,
                                    option.remove_label), "success")
    assert said == ["Foundations, Monday removed from Step 1."]
    assert state.steps[0].options == []
    assert _audited(session, "course_step.option_attached") == 1
    assert _audited(session, "course_step.option_detached") == 1


def test_the_viewer_zone_is_shown_beside_the_class_zone(
        session: Session, super_admin: Actor, page_as: PageAs) -> None:
    dept = a_department(session, super_admin, "LIVE")
    course = a_course(session, super_admin, "STEPS", department_id=dept)
    step = create_step(session, actor=super_admin, course_id=course,
                       data=StepIn("Step 1", "Foundations"))
    session.commit()
    state = _opened(page_as, course)
    run_event(CourseStepsState.start_attach, state, str(step.id))
    run_event(CourseStepsState.set_attach_session, state,
              str(_group_class(session, dept, "Evening class")))
    run_event(CourseStepsState.attach, state)
    assert state.steps[0].options[0].your_time.endswith("UTC")
    run_event(CourseStepsState.set_browser_zone, state, "Asia/Tokyo")
    assert state.steps[0].options[0].your_time.endswith("JST")
    run_event(CourseStepsState.set_browser_zone, state, "Not/AZone")  # ignored
    assert state.time_zone == "Asia/Tokyo"


def test_a_step_in_use_is_not_deleted_and_the_toast_says_why(
        session: Session, super_admin: Actor, page_as: PageAs) -> None:
    dept = a_department(session, super_admin, "LIVE")
    course = a_course(session, super_admin, "STEPS", department_id=dept)
    step = create_step(session, actor=super_admin, course_id=course,
                       data=StepIn("Step 1", "Foundations"))
    learner = a_learner(session)
    paid_order(session, learner, ("course", course))
    registration = session.exec(select(Registration).where(
        Registration.course_id == course)).one()
    seed_steps(session, registration)
    progress = step_progress_for(session, user_id=learner.user_id, step_id=step.id or 0)
    assert progress is not None
    set_step_status(session, progress, StepStatus.BOOKED, actor=super_admin)
    session.commit()
    state = _opened(page_as, course)
    errors = toast_messages(run_event(CourseStepsState.delete_step, state, str(step.id)))
    assert errors == ["1 learner has booked, attended or missed this step, so it cannot be "
                      "deleted. Edit it instead."]
    assert _titles(state) == [("Step 1", "Foundations")]


def test_an_admin_of_another_department_cannot_open_the_steps(
        session: Session, super_admin: Actor, page_as: PageAs) -> None:
    mine = a_department(session, super_admin, "MINE")
    theirs = a_department(session, super_admin, "THEIRS")
    course = a_course(session, super_admin, "STEPS", department_id=theirs)
    an_admin(session, "dept@example.com",
             grants=(Grant(RoleName.DEPT_ADMIN, department_id=mine),))
    state = page_as(CourseStepsState, routes.ADMIN_COURSES, email="dept@example.com")
    errors = toast_messages(run_event(CourseStepsState.open_for, state, str(course), "STEPS"))
    assert errors and not state.open


def test_a_department_admin_edits_the_steps_of_their_course(
        session: Session, super_admin: Actor, page_as: PageAs) -> None:
    dept = a_department(session, super_admin, "LIVE")
    course = a_course(session, super_admin, "STEPS", department_id=dept)
    _group_class(session, dept, "Foundations, Monday")
    an_admin(session, "dept@example.com",
             grants=(Grant(RoleName.DEPT_ADMIN, department_id=dept),))
    state = _opened(page_as, course, email="dept@example.com")
    assert state.open and len(state.classes) == 1
    assert _add(state, "Week 1", "Foundations") == ["Week 1 added."]
    assert _titles(state) == [("Week 1", "Foundations")]
