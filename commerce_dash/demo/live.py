"""Demo data for live sessions (issue 17): a cohort course of four steps taught by Ivy
Instructor, one group class per step each week for four weeks (New York time), sold bundled
with two private 60-minute sessions valid 90 days; Ivy's private availability; a credit pack
of five private sessions. Everything goes through the services, as an admin would do it."""

from __future__ import annotations

from datetime import time, timedelta

from sqlmodel import Session

from commerce_dash.domain.actor import Actor
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.sessions import zone
from commerce_dash.services import enrollment as enrollment_area
from commerce_dash.services import learning as learning_area
from commerce_dash.services.catalog import CreditPackIn, create_credit_pack, create_price
from commerce_dash.services.platform import create_course

LIVE_COURSE = ("ENG-LIVE", "Live Python Cohort", 40_000)  # code, title, price (USD cents)
LIVE_STEPS = (
    ("Step 1", "Kick-off and setup", "Meet the cohort, set up Python and the project."),
    ("Step 2", "Data structures", "Lists, dicts and sets on real data."),
    ("Step 3", "Testing", "Write tests first with pytest."),
    ("Step 4", "Demo day", "Show your project to the cohort."),
)
LIVE_ZONE = "America/New_York"
CREDIT_PACK = ("ENG-PRIVATE-5", "Five private sessions", 60_000)


def load_live_course(session: Session, actor: Actor, *, department_id: int,
                     instructor_id: int) -> dict[str, int]:
    code, title, amount = LIVE_COURSE
    course = create_course(
        session=session, actor=actor, code=code, title=title, department_id=department_id,
        description=("A four-week live cohort: one group class per step each week (choose "
                     "the week that suits you), two private sessions with the instructor "
                     "included."),
        category="Programming", published=True, estimated_minutes=8 * 60,
        instructor_id=instructor_id, content_creator_id=instructor_id, modules=[])
    assert course.id is not None
    first_day = (utcnow().astimezone(zone(LIVE_ZONE)) + timedelta(days=3)).date()
    sessions = 0
    for n, (label, step_title, description) in enumerate(LIVE_STEPS):
        step = learning_area.create_step(session, actor=actor, course_id=course.id,
                                         data=learning_area.StepIn(label, step_title,
                                                                   description))
        assert step.id is not None
        classes = enrollment_area.schedule_sessions(
            session, actor=actor, data=enrollment_area.SessionIn(
                department_id=department_id, title=f"{title}: {step_title}",
                day=first_day + timedelta(days=n), start=time(18), end=time(19, 30),
                time_zone=LIVE_ZONE, capacity=12, instructor_id=instructor_id,
                meeting_url="https://meet.example.com/live-python", repeat_weeks=4))
        for live in classes:
            assert live.id is not None
            learning_area.attach_option(session, actor=actor, step_id=step.id,
                                        session_id=live.id)
        sessions += len(classes)
    slots = enrollment_area.open_private_slots(
        session, actor=actor, department_id=department_id, instructor_id=instructor_id,
        day=first_day + timedelta(days=5), start=time(10), end=time(13), time_zone=LIVE_ZONE,
        minutes=60, meeting_url="https://meet.example.com/ivy")
    session.commit()
    create_price(session=session, actor=actor, item_type="course", item_id=course.id,
                 price_type="one_time", amount=amount, currency="USD", private_credits=2,
                 private_minutes=60, credit_expiry_days=90)
    pack_code, pack_title, pack_amount = CREDIT_PACK
    pack = create_credit_pack(session=session, actor=actor, published=True, data=CreditPackIn(
        code=pack_code, title=pack_title, department_id=department_id,
        description="Five one-hour private sessions with an instructor of the department."))
    assert pack.id is not None
    create_price(session=session, actor=actor, item_type="credit_pack", item_id=pack.id,
                 price_type="one_time", amount=pack_amount, currency="USD", private_credits=5,
                 private_minutes=60, credit_expiry_days=180)
    return {"live_sessions": sessions + len(slots), "course_steps": len(LIVE_STEPS)}
