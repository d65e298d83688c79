"""Issue 17: the booking guards under concurrency, on SQLite and on PostgreSQL (threads with
sessions of their own, released together): 30 learners racing for 10 seats get exactly 10
bookings; one learner with one credit racing for two private slots uses it once; the same
order's credits granted twice at once exist once; cancellations and bookings racing keep the
seat count equal to the live bookings; a seat freed while a newcomer tries to book goes to
the waitlist."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from threading import Barrier, Lock, Thread

import pytest
from sqlmodel import Session, func, select

from commerce_dash.db import get_engine
from commerce_dash.domain.actor import Actor
from commerce_dash.domain.errors import DomainError
from commerce_dash.models.commerce import Order, OrderLine
from commerce_dash.models.enrollment import Registration
from commerce_dash.models.pricing import Price
from commerce_dash.models.sessions import (
    Booking,
    CourseStep,
    LiveSession,
    SessionCredit,
    StepOption,
    StepProgress,
    WaitlistEntry,
)
from commerce_dash.services.enrollment import (
    book_step,
    book_with_credit,
    cancel_booking,
    grant_credits_for_order,
    join_waitlist,
)
from commerce_dash.services.learning import seed_steps
from tests.builders import a_course, a_department, recorded_order
from tests.conftest import create_user

pytestmark = pytest.mark.usefixtures("both_databases")

NOW = datetime(2030, 3, 4, 9, 0, tzinfo=UTC)
START = NOW + timedelta(days=3)


def _race(calls: list[Callable[[Session], str]]) -> list[str]:
    """Run each call in a thread with a session of its own, all released at once; what each
    answered (a result, or the code it was refused with)."""
    barrier = Barrier(len(calls))
    outcomes: list[str] = []
    guard = Lock()

    def run(call: Callable[[Session], str]) -> None:
        with Session(get_engine(), expire_on_commit=False) as s:
            barrier.wait(timeout=60)
            try:
                outcome = call(s)
            except DomainError as exc:
                outcome = exc.code
            with guard:
                outcomes.append(outcome)

    threads = [Thread(target=run, args=(c,)) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=240)
    assert len(outcomes) == len(calls), "a racer did not finish"
    return outcomes


def _live(session: Session, dept: int, title: str, *, start: datetime = START,
          capacity: int = 1, kind: str = "group") -> int:
    live = LiveSession(department_id=dept, kind=kind, title=title, starts_at=start,
                       ends_at=start + timedelta(hours=1), capacity=capacity)
    session.add(live)
    session.commit()
    return live.id or 0


def _seats(session: Session, live_id: int) -> int:
    session.expire_all()
    return session.get(LiveSession, live_id).seats_booked  # type: ignore[union-attr]


def test_thirty_learners_racing_for_ten_seats_get_exactly_ten(session: Session,
                                                              super_admin: Actor) -> None:
    dept = a_department(session, super_admin, "RACE")
    course = a_course(session, super_admin, "RACE1", department_id=dept)
    step = CourseStep(course_id=course, position=1, label="Step 1", title="Basics")
    session.add(step)
    session.commit()
    live = _live(session, dept, "Popular class", capacity=10)
    session.add(StepOption(step_id=step.id or 0, session_id=live))
    learners = [create_user(session, f"racer{i}@example.com") for i in range(30)]
    for learner in learners:
        registration = Registration(dedupe_key=f"race:{learner.user_id}",
                                    user_id=learner.user_id, kind="course", course_id=course,
                                    department_id=dept, status="enrolled")
        session.add(registration)
        session.flush()
        seed_steps(session, registration)
    session.commit()

    def booker(learner: Actor) -> Callable[[Session], str]:
        return lambda s: book_step(s, actor=learner, step_id=step.id or 0, session_id=live,
                                   now=NOW).status

    outcomes = _race([booker(a) for a in learners])

    assert outcomes.count("booked") == 10
    assert outcomes.count("session_full") == 20
    assert _seats(session, live) == 10
    assert session.exec(select(func.count()).select_from(Booking).where(
        Booking.status == "booked")).one() == 10
    assert session.exec(select(func.count()).select_from(StepProgress).where(
        StepProgress.status == "booked")).one() == 10


def test_one_credit_racing_for_two_private_slots_is_used_once(session: Session,
                                                              super_admin: Actor) -> None:
    dept = a_department(session, super_admin, "COACH")
    lee = create_user(session, "lee@example.com")
    monday = _live(session, dept, "Coaching Mon", kind="private")
    tuesday = _live(session, dept, "Coaching Tue", kind="private",
                    start=START + timedelta(days=1))
    session.add(SessionCredit(dedupe_key="only", user_id=lee.user_id, department_id=dept,
                              kind="private", minutes=60))
    session.commit()

    def booker(live: int) -> Callable[[Session], str]:
        return lambda s: book_with_credit(s, actor=lee, session_id=live, now=NOW).status

    outcomes = _race([booker(monday), booker(tuesday)])

    assert sorted(outcomes) == ["booked", "no_credit"]
    session.expire_all()
    credit = session.exec(select(SessionCredit)).one()
    booking = session.exec(select(Booking)).one()
    assert (credit.status, credit.booking_id) == ("used", booking.id)
    assert _seats(session, monday) + _seats(session, tuesday) == 1


def test_the_same_order_granted_twice_at_once_gives_its_credits_once(
        session: Session, super_admin: Actor) -> None:
    dept = a_department(session, super_admin, "PKG")
    lee = create_user(session, "lee@example.com")
    course = a_course(session, super_admin, "PKG1", department_id=dept, price=None)
    price = Price(item_type="course", item_id=course, department_id=dept,
                  price_type="one_time", currency="USD", amount=20_000, private_credits=3,
                  private_minutes=60, group_credits=2, credit_expiry_days=0,
                  effective_from=NOW - timedelta(days=30))
    session.add(price)
    session.flush()
    order = recorded_order(session, lee, created_at=NOW - timedelta(days=1),
                           lines=(("Course with coaching", 20_000),))
    line = session.exec(select(OrderLine).where(OrderLine.order_id == order.id)).one()
    line.price_id, line.department_id = price.id, dept
    session.add(line)
    session.commit()

    def grant(s: Session) -> str:
        mine = s.get(Order, order.id)
        lines = list(s.exec(select(OrderLine).where(OrderLine.order_id == order.id)).all())
        assert mine is not None
        created = grant_credits_for_order(s, mine, lines)
        s.commit()
        return str(created)

    outcomes = _race([grant for _ in range(4)])

    assert sorted(outcomes) == ["0", "0", "0", "5"]
    session.expire_all()
    assert session.exec(select(func.count()).select_from(SessionCredit)).one() == 5


def test_cancellations_and_bookings_racing_keep_the_seat_count_exact(
        session: Session, super_admin: Actor) -> None:
    dept = a_department(session, super_admin, "MIX")
    live = _live(session, dept, "Open class", capacity=5)
    holders = [create_user(session, f"holder{i}@example.com") for i in range(5)]
    newcomers = [create_user(session, f"new{i}@example.com") for i in range(10)]
    for actor in holders + newcomers:
        session.add(SessionCredit(dedupe_key=f"g-{actor.user_id}", user_id=actor.user_id,
                                  department_id=dept, kind="group"))
    session.commit()
    bookings = [book_with_credit(session, actor=a, session_id=live, now=NOW) for a in holders]

    def canceller(actor: Actor, booking_id: int) -> Callable[[Session], str]:
        return lambda s: cancel_booking(s, actor=actor, booking_id=booking_id,
                                        now=NOW).status

    def booker(actor: Actor) -> Callable[[Session], str]:
        return lambda s: book_with_credit(s, actor=actor, session_id=live, now=NOW).status

    outcomes = _race([canceller(a, b.id or 0) for a, b in zip(holders, bookings, strict=True)]
                     + [booker(a) for a in newcomers])

    assert outcomes.count("cancelled") == 5
    booked = session.exec(select(func.count()).select_from(Booking).where(
        Booking.session_id == live, Booking.status == "booked")).one()
    assert _seats(session, live) == booked == outcomes.count("booked") <= 5
    used = session.exec(select(func.count()).select_from(SessionCredit).where(
        SessionCredit.status == "used")).one()
    assert used == booked  # every cancelled credit came back (days before the cut-off)


def test_a_cancellation_racing_a_newcomer_gives_the_seat_to_the_waitlist_once(
        session: Session, super_admin: Actor) -> None:
    dept = a_department(session, super_admin, "LINE")
    live = _live(session, dept, "Small class", capacity=1)
    lee, ann, cy = (create_user(session, f"{n}@example.com") for n in ("lee", "ann", "cy"))
    for actor in (lee, ann, cy):
        session.add(SessionCredit(dedupe_key=f"g-{actor.user_id}", user_id=actor.user_id,
                                  department_id=dept, kind="group"))
    session.commit()
    booking = book_with_credit(session, actor=lee, session_id=live, now=NOW)
    entry = join_waitlist(session, actor=ann, session_id=live, now=NOW)
    session.commit()

    outcomes = _race([
        lambda s: cancel_booking(s, actor=lee, booking_id=booking.id or 0, now=NOW).status,
        lambda s: book_with_credit(s, actor=cy, session_id=live, now=NOW).status,
    ])

    # whoever goes first, the freed seat goes to the line, never to the newcomer
    assert sorted(outcomes) == ["cancelled", "session_full"]
    assert _seats(session, live) == 1
    holders = session.exec(select(Booking.user_id).where(
        Booking.session_id == live, Booking.status == "booked")).all()
    assert holders == [ann.user_id]
    session.expire_all()
    promoted = session.get(WaitlistEntry, entry.id)
    assert promoted is not None and promoted.status == "promoted"
