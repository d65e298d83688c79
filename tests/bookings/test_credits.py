"""Issue 17: session credits. A completed order grants the credits its prices carry (once,
however often it is granted); a private slot uses a private credit of its length and a group
class a group credit, of the session's department, the one expiring first, never an expired
one; cancelling before the cut-off (or after a reschedule) gives it back, later it is spent; a
refund takes back the unused ones; the learner sees what is left."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from commerce_dash.domain.actor import Actor
from commerce_dash.domain.errors import DomainError
from commerce_dash.models.audit import AuditLog
from commerce_dash.models.commerce import Order, OrderLine
from commerce_dash.models.pricing import Price
from commerce_dash.models.sessions import Booking, LiveSession, SessionCredit
from commerce_dash.services.enrollment import (
    CreditCount,
    book_with_credit,
    cancel_booking,
    credit_counts,
    grant_credits_for_order,
    learner_credits,
    revoke_unused_credits,
)
from commerce_dash.settings import get_settings
from tests.builders import a_course, a_department, a_learner, number_of, recorded_order

NOW = datetime(2030, 3, 4, 9, 0, tzinfo=UTC)
START = NOW + timedelta(days=3)


def _live(session: Session, dept: int, title: str, *, start: datetime = START,
          minutes: int = 60, kind: str = "private", capacity: int = 1) -> int:
    live = LiveSession(department_id=dept, kind=kind, title=title, starts_at=start,
                       ends_at=start + timedelta(minutes=minutes), time_zone="UTC",
                       capacity=capacity)
    session.add(live)
    session.commit()
    return live.id or 0


def _credit(session: Session, learner: Actor, dept: int, key: str, *, kind: str = "private",
            minutes: int = 60, expires_at: datetime | None = None) -> int:
    credit = SessionCredit(dedupe_key=key, user_id=learner.user_id, department_id=dept,
                           kind=kind, minutes=minutes if kind == "private" else 0,
                           expires_at=expires_at)
    session.add(credit)
    session.commit()
    return credit.id or 0


def _status(session: Session, credit_id: int) -> str:
    session.expire_all()
    credit = session.get(SessionCredit, credit_id)
    assert credit is not None
    return credit.status


def _package(session: Session, admin: Actor, learner: Actor) -> tuple[int, OrderLine]:
    """A completed order of one course whose price gives 2 private credits of 30 minutes
    and 1 group class, expiring after 90 days: (department, its line)."""
    dept = a_department(session, admin, "PKG")
    course = a_course(session, admin, "PKG1", department_id=dept, price=None)
    price = Price(item_type="course", item_id=course, department_id=dept,
                  price_type="one_time", currency="USD", amount=20_000, private_credits=2,
                  private_minutes=30, group_credits=1, credit_expiry_days=90,
                  effective_from=NOW - timedelta(days=30))
    session.add(price)
    session.flush()
    order = recorded_order(session, learner, created_at=NOW - timedelta(days=1),
                           lines=(("Course with coaching", 20_000),))
    line = session.exec(select(OrderLine).where(OrderLine.order_id == order.id)).one()
    line.price_id, line.department_id = price.id, dept
    session.add(line)
    session.commit()
    return dept, line


# -- granting -----------------------------------------------------------------------------------


def test_a_completed_order_grants_its_credits_once(session: Session, super_admin: Actor
                                                   ) -> None:
    lee = a_learner(session)
    dept, line = _package(session, super_admin, lee)
    order = line.order_id
    placed = session.get(Order, order)
    assert placed is not None and placed.completed_at is not None

    assert grant_credits_for_order(session, placed, [line]) == 3
    session.commit()
    assert grant_credits_for_order(session, placed, [line]) == 0
    session.commit()
    credits = session.exec(select(SessionCredit).order_by(SessionCredit.dedupe_key)).all()
    assert [(c.dedupe_key, c.kind, c.minutes) for c in credits] == [
        (f"{line.id}:group:1", "group", 0), (f"{line.id}:private:1", "private", 30),
        (f"{line.id}:private:2", "private", 30)]
    assert {(c.user_id, c.department_id, c.status, c.order_id) for c in credits} == {
        (lee.user_id, dept, "available", order)}
    assert {c.expires_at for c in credits} == {placed.completed_at + timedelta(days=90)}
    assert credit_counts(session, order_line_id=line.id or 0) == CreditCount(3, 0, 3, 0)


def test_a_price_without_credits_grants_nothing(session: Session, super_admin: Actor) -> None:
    lee = a_learner(session)
    order = recorded_order(session, lee)
    lines = list(session.exec(select(OrderLine).where(OrderLine.order_id == order.id)).all())
    assert grant_credits_for_order(session, order, lines) == 0


# -- using ------------------------------------------------------------------------------------


def test_a_private_slot_uses_the_credit_of_its_length_expiring_first(
        session: Session, super_admin: Actor) -> None:
    lee = a_learner(session)
    dept = a_department(session, super_admin, "COACH")
    elsewhere = a_department(session, super_admin, "OTHER")
    never = _credit(session, lee, dept, "never")
    expired = _credit(session, lee, dept, "expired", expires_at=NOW - timedelta(days=1))
    short = _credit(session, lee, dept, "short", minutes=30, expires_at=NOW + timedelta(days=2))
    other_dept = _credit(session, lee, elsewhere, "other", expires_at=NOW + timedelta(days=3))
    soon = _credit(session, lee, dept, "soon", expires_at=NOW + timedelta(days=10))
    later = _credit(session, lee, dept, "later", expires_at=NOW + timedelta(days=20))
    slot = _live(session, dept, "Coaching 60")

    booking = book_with_credit(session, actor=lee, session_id=slot, now=NOW)

    assert booking.credit_id == soon
    assert _status(session, soon) == "used"
    credit = session.get(SessionCredit, soon)
    assert credit is not None and credit.booking_id == booking.id
    assert {k: _status(session, k) for k in (never, expired, short, other_dept, later)} == {
        never: "available", expired: "available", short: "available",
        other_dept: "available", later: "available"}
    assert booking.step_id is None and booking.status == "booked"


def test_an_expired_or_missing_credit_is_refused_and_nothing_is_written(
        session: Session, super_admin: Actor) -> None:
    lee = a_learner(session)
    dept = a_department(session, super_admin, "COACH")
    _credit(session, lee, dept, "old", expires_at=NOW - timedelta(minutes=1))
    _credit(session, lee, dept, "group", kind="group")
    slot = _live(session, dept, "Coaching 60")
    with pytest.raises(DomainError) as caught:
        book_with_credit(session, actor=lee, session_id=slot, now=NOW)
    assert caught.value.code == "no_credit"
    assert "private-session credit" in caught.value.message
    session.expire_all()
    assert session.exec(select(Booking)).all() == []
    assert session.get(LiveSession, slot).seats_booked == 0  # type: ignore[union-attr]


def test_an_extra_group_class_uses_a_group_credit(session: Session, super_admin: Actor
                                                  ) -> None:
    lee = a_learner(session)
    dept = a_department(session, super_admin, "COACH")
    private = _credit(session, lee, dept, "p")
    group = _credit(session, lee, dept, "g", kind="group")
    live = _live(session, dept, "Open class", kind="group", capacity=12)
    booking = book_with_credit(session, actor=lee, session_id=live, now=NOW)
    assert booking.credit_id == group
    assert (_status(session, group), _status(session, private)) == ("used", "available")


# -- giving back --------------------------------------------------------------------------------


def test_cancelling_before_the_cut_off_gives_the_credit_back_after_it_does_not(
        session: Session, super_admin: Actor) -> None:
    lee = a_learner(session)
    dept = a_department(session, super_admin, "COACH")
    first = _credit(session, lee, dept, "a", expires_at=NOW + timedelta(days=30))
    second = _credit(session, lee, dept, "b", expires_at=NOW + timedelta(days=40))
    early = _live(session, dept, "Coaching Mon")
    late = _live(session, dept, "Coaching Tue", start=START + timedelta(days=1))
    cutoff = timedelta(hours=get_settings().booking_cancel_cutoff_hours)

    one = book_with_credit(session, actor=lee, session_id=early, now=NOW)
    back = cancel_booking(session, actor=lee, booking_id=one.id or 0, now=START - cutoff)
    assert back.credit_returned is True and _status(session, first) == "available"
    assert session.get(SessionCredit, first).booking_id is None  # type: ignore[union-attr]

    two = book_with_credit(session, actor=lee, session_id=late, now=NOW)
    assert two.credit_id == first  # the returned credit is used again: it expires first
    spent = cancel_booking(session, actor=lee, booking_id=two.id or 0,
                           now=START + timedelta(days=1) - cutoff + timedelta(minutes=1))
    assert spent.credit_returned is False and _status(session, first) == "used"
    assert _status(session, second) == "available"
    assert len(session.exec(select(AuditLog).where(
        AuditLog.action == "booking.cancelled")).all()) == 2


def test_after_a_reschedule_cancelling_late_still_gives_the_credit_back(
        session: Session, super_admin: Actor) -> None:
    lee = a_learner(session)
    dept = a_department(session, super_admin, "COACH")
    credit = _credit(session, lee, dept, "a")
    slot = _live(session, dept, "Coaching")
    booking = book_with_credit(session, actor=lee, session_id=slot, now=NOW)
    live = session.get(LiveSession, slot)
    assert live is not None
    live.rescheduled_at = NOW + timedelta(hours=1)  # moved after the learner booked
    session.add(live)
    session.commit()
    back = cancel_booking(session, actor=lee, booking_id=booking.id or 0,
                          now=START - timedelta(hours=1))
    assert back.credit_returned is True and _status(session, credit) == "available"


# -- refunds and the learner's view -------------------------------------------------------------


def test_a_refund_revokes_the_unused_credits_only(session: Session, super_admin: Actor
                                                  ) -> None:
    lee = a_learner(session)
    dept, line = _package(session, super_admin, lee)
    order = session.get(Order, line.order_id)
    assert order is not None
    grant_credits_for_order(session, order, [line])
    session.commit()
    group_class = _live(session, dept, "Open class", kind="group", capacity=5)
    book_with_credit(session, actor=lee, session_id=group_class, now=NOW)

    counts = revoke_unused_credits(session, order_line_id=line.id or 0, actor=super_admin)
    session.commit()
    assert counts == CreditCount(total=3, used=1, available=0, revoked=2)
    assert revoke_unused_credits(session, order_line_id=line.id or 0, actor=super_admin) \
        == counts
    audit = session.exec(select(AuditLog).where(
        AuditLog.action == "session_credit.revoked")).all()
    assert len(audit) == 1 and len(audit[0].after["credit_ids"]) == 2  # type: ignore[index]
    assert [c.status for c in learner_credits(session, user_id=lee.user_id, now=NOW)] \
        == ["used"]


def test_the_learner_sees_available_used_and_expired_credits(session: Session,
                                                             super_admin: Actor) -> None:
    lee = a_learner(session)
    dept, line = _package(session, super_admin, lee)
    order = session.get(Order, line.order_id)
    assert order is not None
    grant_credits_for_order(session, order, [line])
    session.commit()
    _credit(session, lee, dept, "old", expires_at=NOW - timedelta(days=1))
    rows = learner_credits(session, user_id=lee.user_id, now=NOW)
    assert [(r.kind, r.minutes, r.status) for r in rows] == [
        ("private", 30, "available"), ("private", 30, "available"), ("group", 0, "available"),
        ("private", 60, "expired")]
    assert rows[0].department_name == "PKG School" and rows[0].label == \
        "Private session (30 min)"
    assert rows[0].order_number == number_of(order)
    assert rows[-1].order_number == ""
