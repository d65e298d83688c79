"""Issue 17 (ENR-006): the waitlist of a full session. Only a full session that has not
started, only a learner who could book it, once; a cancellation gives the seat to the first in
line at once (offer hours 0) or as an offer held for the configured hours; an entry that can no
longer book is passed over; learners leave, admins reorder, everything audited."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, col, select

from commerce_dash.domain.access import RoleName
from commerce_dash.domain.actor import Actor, Grant
from commerce_dash.domain.errors import DomainError
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
    WaitlistEntry,
)
from commerce_dash.services.commerce import delete_account
from commerce_dash.services.enrollment import (
    accept_offer,
    book_step,
    book_with_credit,
    cancel_booking,
    expire_offers,
    join_waitlist,
    learner_schedule,
    leave_waitlist,
    reorder_waitlist,
    session_waitlist,
)
from commerce_dash.services.learning import seed_steps
from commerce_dash.settings import get_settings
from tests.builders import a_course, a_department, a_learner, an_admin
from tests.conftest import PASSWORD

NOW = datetime(2030, 3, 4, 9, 0, tzinfo=UTC)
START = NOW + timedelta(days=3)


@pytest.fixture
def offers(monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    """A freed seat is offered for 2 hours instead of booked at once."""
    monkeypatch.setenv("COMMERCE_WAITLIST_OFFER_HOURS", "2")
    get_settings.cache_clear()
    yield 2
    monkeypatch.delenv("COMMERCE_WAITLIST_OFFER_HOURS")
    get_settings.cache_clear()


class World:
    """A course with one step and a group class of ``capacity`` seats as its option."""

    def __init__(self, session: Session, admin: Actor, capacity: int = 1) -> None:
        self.session = session
        self.dept = a_department(session, admin, "WAIT")
        self.course = a_course(session, admin, "WAIT1", department_id=self.dept)
        step = CourseStep(course_id=self.course, position=1, label="Step 1", title="Basics")
        session.add(step)
        session.flush()
        self.step = step.id or 0
        self.live = self.session_at(START, "Basics A", capacity)

    def session_at(self, start: datetime, title: str, capacity: int = 1,
                   option: bool = True) -> int:
        live = LiveSession(department_id=self.dept, title=title, starts_at=start,
                           ends_at=start + timedelta(hours=1), capacity=capacity)
        self.session.add(live)
        self.session.flush()
        if option:
            self.session.add(StepOption(step_id=self.step, session_id=live.id or 0))
        self.session.commit()
        return live.id or 0

    def learner(self, name: str, owns: bool = True) -> Actor:
        actor = a_learner(self.session, f"{name}@example.com", full_name=name.title())
        if owns:
            registration = Registration(
                dedupe_key=f"w:{actor.user_id}", user_id=actor.user_id, kind="course",
                course_id=self.course, department_id=self.dept, status="enrolled")
            self.session.add(registration)
            self.session.flush()
            seed_steps(self.session, registration)
            self.session.commit()
        return actor

    def book(self, actor: Actor, live: int | None = None) -> Booking:
        return book_step(self.session, actor=actor, step_id=self.step,
                         session_id=live or self.live, now=NOW)

    def wait(self, actor: Actor, live: int | None = None) -> WaitlistEntry:
        entry = join_waitlist(self.session, actor=actor, session_id=live or self.live,
                              step_id=self.step, now=NOW)
        self.session.commit()
        return entry

    def entry(self, entry_id: int) -> WaitlistEntry:
        self.session.expire_all()
        found = self.session.get(WaitlistEntry, entry_id)
        assert found is not None
        return found

    def seats(self) -> int:
        self.session.expire_all()
        return self.session.get(LiveSession, self.live).seats_booked  # type: ignore[union-attr]

    def emails(self, template: str) -> list[str]:
        return [m.payload["to"] if m.payload and "to" in m.payload else m.dedupe_key
                for m in self.session.exec(select(OutboxMessage).where(
                    col(OutboxMessage.dedupe_key).startswith(f"{template}:"))).all()]


def _refused(code: str, call, *args, **kwargs) -> DomainError:  # type: ignore[no-untyped-def]
    with pytest.raises(DomainError) as caught:
        call(*args, **kwargs)
    assert caught.value.code == code, caught.value
    return caught.value


# -- joining ------------------------------------------------------------------------------------


def test_only_a_full_session_has_a_waitlist_and_each_learner_joins_once(
        session: Session, super_admin: Actor) -> None:
    world = World(session, super_admin)
    lee, ann, bob = world.learner("lee"), world.learner("ann"), world.learner("bob")
    _refused("session_not_full", join_waitlist, session, actor=ann, session_id=world.live,
             step_id=world.step, now=NOW)
    session.rollback()
    world.book(lee)
    _refused("already_booked", join_waitlist, session, actor=lee, session_id=world.live,
             step_id=world.step, now=NOW)
    session.rollback()
    first, second = world.wait(ann), world.wait(bob)
    assert (first.position, second.position) == (1, 2)
    assert world.wait(ann).id == first.id  # twice: the same place
    assert session.exec(select(AuditLog).where(AuditLog.action == "waitlist.joined")).all()
    _refused("session_started", join_waitlist, session, actor=world.learner("cy"),
             session_id=world.live, step_id=world.step, now=START)


def test_a_learner_who_could_not_book_cannot_wait(session: Session, super_admin: Actor
                                                  ) -> None:
    world = World(session, super_admin)
    world.book(world.learner("lee"))
    stranger = world.learner("sam", owns=False)
    _refused("course_not_owned", join_waitlist, session, actor=stranger,
             session_id=world.live, step_id=world.step, now=NOW)
    session.rollback()
    # without a step: only with a credit of the session's kind
    _refused("no_credit", join_waitlist, session, actor=stranger, session_id=world.live,
             now=NOW)
    session.rollback()
    session.add(SessionCredit(dedupe_key="g", user_id=stranger.user_id,
                              department_id=world.dept, kind="group"))
    session.commit()
    entry = join_waitlist(session, actor=stranger, session_id=world.live, now=NOW)
    session.commit()
    assert entry.status == "waiting" and entry.step_id is None


# -- promotion ----------------------------------------------------------------------------------


def test_a_cancellation_books_the_first_in_line_at_once(session: Session, super_admin: Actor
                                                        ) -> None:
    world = World(session, super_admin)
    lee, ann, bob = world.learner("lee"), world.learner("ann"), world.learner("bob")
    booking = world.book(lee)
    first, second = world.wait(ann), world.wait(bob)

    cancel_booking(session, actor=lee, booking_id=booking.id or 0, now=NOW)

    promoted = world.entry(first.id or 0)
    assert promoted.status == "promoted" and promoted.booking_id is not None
    seat = session.get(Booking, promoted.booking_id)
    assert seat is not None and (seat.user_id, seat.status) == (ann.user_id, "booked")
    progress = session.exec(select(StepProgress).where(
        StepProgress.user_id == ann.user_id)).one()
    assert (progress.status, progress.booking_id) == ("booked", seat.id)
    assert world.entry(second.id or 0).status == "waiting"
    assert world.seats() == 1
    assert len(world.emails("waitlist-promoted")) == 1
    assert learner_schedule(session, user_id=bob.user_id, now=NOW).waitlist[0].place == 1


def test_a_deleted_account_leaves_its_waitlists(session: Session, super_admin: Actor) -> None:
    # issue 19: deleting an account takes its places off every waitlist, so the seat freed
    # next goes to a learner who still exists and the admin's list shows no deleted account
    world = World(session, super_admin)
    lee, ann, bob = world.learner("lee"), world.learner("ann"), world.learner("bob")
    booking = world.book(lee)
    gone, next_ = world.wait(ann), world.wait(bob)

    delete_account(session=session, actor=ann, confirm_email="ann@example.com",
                   password=PASSWORD)

    assert world.entry(gone.id or 0).status == "left"
    cancel_booking(session, actor=lee, booking_id=booking.id or 0, now=NOW)
    promoted = world.entry(next_.id or 0)
    assert promoted.status == "promoted"
    assert [line.place for line in session_waitlist(
        session, actor=super_admin, session_id=world.live) if line.status == "waiting"] == []


def test_an_entry_that_can_no_longer_book_is_passed_over(session: Session, super_admin: Actor
                                                         ) -> None:
    world = World(session, super_admin)
    lee, ann, bob = world.learner("lee"), world.learner("ann"), world.learner("bob")
    booking = world.book(lee)
    skipped, next_ = world.wait(ann), world.wait(bob)
    # ann books another option of the step meanwhile: her step is no longer unbooked
    other = world.session_at(START + timedelta(days=1), "Basics B", capacity=5)
    world.book(ann, other)

    cancel_booking(session, actor=lee, booking_id=booking.id or 0, now=NOW)

    assert world.entry(skipped.id or 0).status == "expired"
    assert world.entry(next_.id or 0).status == "promoted"
    expired = session.exec(select(AuditLog).where(AuditLog.action == "waitlist.expired")).one()
    assert "already booked" in expired.reason


def test_with_offer_hours_a_freed_seat_is_offered_and_held(session: Session,
                                                           super_admin: Actor,
                                                           offers: int) -> None:
    world = World(session, super_admin)
    lee, ann, bob = world.learner("lee"), world.learner("ann"), world.learner("bob")
    booking = world.book(lee)
    offered, after = world.wait(ann), world.wait(bob)

    cancel_booking(session, actor=lee, booking_id=booking.id or 0, now=NOW)

    entry = world.entry(offered.id or 0)
    assert (entry.status, entry.offered_until) == ("offered", NOW + timedelta(hours=offers))
    assert world.emails("waitlist-offer") and world.seats() == 0
    # the held seat is not for anyone else
    _refused("session_full", world.book, world.learner("cy"))
    _refused("forbidden", accept_offer, session, actor=bob, entry_id=offered.id or 0,
             now=NOW)
    seat = accept_offer(session, actor=ann, entry_id=offered.id or 0,
                        now=NOW + timedelta(hours=1))
    assert seat.user_id == ann.user_id and world.seats() == 1
    assert world.entry(offered.id or 0).status == "promoted"
    assert accept_offer(session, actor=ann, entry_id=offered.id or 0, now=NOW).id == seat.id
    assert world.entry(after.id or 0).status == "waiting"


def test_a_lapsed_offer_expires_and_goes_to_the_next(session: Session, super_admin: Actor,
                                                     offers: int) -> None:
    world = World(session, super_admin)
    lee, ann, bob = world.learner("lee"), world.learner("ann"), world.learner("bob")
    booking = world.book(lee)
    first, second = world.wait(ann), world.wait(bob)
    cancel_booking(session, actor=lee, booking_id=booking.id or 0, now=NOW)
    late = NOW + timedelta(hours=offers, minutes=1)
    _refused("offer_expired", accept_offer, session, actor=ann, entry_id=first.id or 0,
             now=late)

    assert expire_offers(session, now=late) == 1
    session.commit()
    assert world.entry(first.id or 0).status == "expired"
    nxt = world.entry(second.id or 0)
    assert (nxt.status, nxt.offered_until) == ("offered", late + timedelta(hours=offers))
    assert expire_offers(session, now=late) == 0


# -- leaving and reordering ---------------------------------------------------------------------


def test_leaving_the_line_own_place_or_an_admin(session: Session, super_admin: Actor) -> None:
    world = World(session, super_admin)
    world.book(world.learner("lee"))
    ann, bob = world.learner("ann"), world.learner("bob")
    mine, theirs = world.wait(ann), world.wait(bob)
    _refused("forbidden", leave_waitlist, session, actor=ann, entry_id=theirs.id or 0)
    assert leave_waitlist(session, actor=ann, entry_id=mine.id or 0).status == "left"
    assert leave_waitlist(session, actor=ann, entry_id=mine.id or 0).status == "left"
    admin = an_admin(session, "dept@example.com",
                     grants=(Grant(RoleName.DEPT_ADMIN, world.dept),))
    assert leave_waitlist(session, actor=admin, entry_id=theirs.id or 0).status == "left"
    session.commit()
    actions = session.exec(select(AuditLog.action, AuditLog.reason).where(
        AuditLog.action == "waitlist.left")).all()
    assert sorted(actions) == [("waitlist.left", ""), ("waitlist.left", "removed by an admin")]
    assert world.wait(ann).status == "waiting"  # may join again


def test_an_admin_reorders_the_line_with_a_full_permutation(session: Session,
                                                            super_admin: Actor) -> None:
    world = World(session, super_admin)
    lee = world.learner("lee")
    booking = world.book(lee)
    ann, bob, cy = world.learner("ann"), world.learner("bob"), world.learner("cy")
    a, b, c = (world.wait(x).id or 0 for x in (ann, bob, cy))
    _refused("forbidden", reorder_waitlist, session, actor=ann, session_id=world.live,
             entry_ids=[c, a, b])
    _refused("invalid_waitlist_order", reorder_waitlist, session, actor=super_admin,
             session_id=world.live, entry_ids=[c, a])
    _refused("invalid_waitlist_order", reorder_waitlist, session, actor=super_admin,
             session_id=world.live, entry_ids=[c, a, a, b])
    ordered = reorder_waitlist(session, actor=super_admin, session_id=world.live,
                               entry_ids=[c, a, b])
    session.commit()
    assert [e.id for e in ordered] == [c, a, b]
    line = session_waitlist(session, actor=super_admin, session_id=world.live)
    assert [(r.place, r.name) for r in line] == [(1, "Cy"), (2, "Ann"), (3, "Bob")]
    # each learner's schedule says their own place in the new order
    assert [learner_schedule(session, user_id=x.user_id, now=NOW).waitlist[0].place
            for x in (ann, bob, cy)] == [2, 3, 1]
    audit = session.exec(select(AuditLog).where(AuditLog.action == "waitlist.reordered")).one()
    assert audit.after == {"order": [c, a, b]}
    cancel_booking(session, actor=lee, booking_id=booking.id or 0, now=NOW)
    assert world.entry(c).status == "promoted"


def test_a_credit_entry_is_booked_with_its_credit(session: Session, super_admin: Actor
                                                  ) -> None:
    world = World(session, super_admin)
    lee = world.learner("lee")
    extra = world.session_at(START + timedelta(days=2), "Open class", option=False)
    session.add_all([SessionCredit(dedupe_key=f"g{n}", user_id=lee.user_id,
                                   department_id=world.dept, kind="group") for n in (1, 2)])
    ann = world.learner("ann", owns=False)
    session.add(SessionCredit(dedupe_key="ann-g", user_id=ann.user_id,
                              department_id=world.dept, kind="group"))
    session.commit()
    booking = book_with_credit(session, actor=lee, session_id=extra, now=NOW)
    entry = join_waitlist(session, actor=ann, session_id=extra, now=NOW)
    session.commit()
    cancel_booking(session, actor=lee, booking_id=booking.id or 0, now=NOW)
    promoted = world.entry(entry.id or 0)
    seat = session.get(Booking, promoted.booking_id)
    assert seat is not None and seat.credit_id is not None
    credit = session.get(SessionCredit, seat.credit_id)
    assert credit is not None and (credit.user_id, credit.status) == (ann.user_id, "used")
