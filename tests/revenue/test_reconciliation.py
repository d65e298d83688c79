"""Reconciliation: processor captures and refunds against the ledger, day by day, and the
itemised gaps (paid orders without ledger sale or registration, registrations of unpaid
orders, paid refunds without a ledger reversal)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from sqlmodel import Session

from commerce_dash.domain.access import RoleName
from commerce_dash.domain.actor import Actor, Grant
from commerce_dash.domain.errors import DomainError, ErrorKind
from commerce_dash.domain.orders import order_number
from commerce_dash.models.catalog import Course
from commerce_dash.models.commerce import Order, OrderLine, RefundRequest
from commerce_dash.models.enrollment import Registration
from commerce_dash.services.revenue.revenue_reconciliation import reconciliation
from tests.conftest import create_department, create_user
from tests.revenue.ledger_book import Split, at, entry, make_order, pay, refund_request

NOVEMBER = (date(2026, 11, 1), date(2026, 11, 30))
EVEN = Split(3000, 4000, 3000)


@dataclass(frozen=True)
class Shop:
    course: Course
    good: Order  # paid, in the ledger, registered
    good_line: OrderLine
    unrecorded: Order  # paid, but neither in the ledger nor registered
    pending_registration_id: int  # of an order not paid
    refund: RefundRequest  # paid back, but no reversal in the ledger


def _register(session: Session, order: Order, course: Course, when: str) -> int:
    assert order.id is not None and course.id is not None
    registration = Registration(dedupe_key=f"{order.id}:{course.id}", user_id=order.user_id,
                             kind="course", course_id=course.id,
                             department_id=course.department_id, order_id=order.id,
                             amount_paid=order.total, currency="USD", status="enrolled",
                             created_at=at(when))
    session.add(registration)
    session.flush()
    assert registration.id is not None
    return registration.id


@pytest.fixture
def shop_with_gaps(session: Session) -> Shop:
    department = create_department(session, "ENG")
    lee = create_user(session, "lee@example.com", full_name="Lee Learner")
    course = Course(code="PY101", title="Python Basics", department_id=department)
    session.add(course)
    session.flush()
    # a clean sale on 3 November: captured 110.00, ledger gross 100.00 + tax 10.00
    good, line = make_order(session, lee.user_id, course, 11_000, completed_at=at("2026-11-03"))
    pay(session, good, 11_000, at("2026-11-03"))
    entry(session, good, line, course, when=at("2026-11-03"), gross=10_000, tax=1_000, fee=300,
          parts=(2_910, 3_880, 2_910), split=EVEN)
    _register(session, good, course, "2026-11-03")
    # 4 November: captured 80.00, never written to the ledger nor registered
    unrecorded, _ = make_order(session, lee.user_id, course, 8_000,
                               completed_at=at("2026-11-04", 9))
    pay(session, unrecorded, 8_000, at("2026-11-04", 9))
    # a pending order that has a registration anyway
    pending, _ = make_order(session, lee.user_id, course, 5_000, status="pending")
    pending_registration = _register(session, pending, course, "2026-11-06")
    # 5 November: the good order is refunded in full at the processor, no reversal written
    refund = refund_request(session, good, 11_000, at("2026-11-05"))
    session.commit()
    return Shop(course, good, line, unrecorded, pending_registration, refund)


def _billing(session: Session) -> Actor:
    return create_user(session, "bill@example.com", grants=(Grant(RoleName.BILLING_ADMIN),))


def test_days_that_do_not_match_the_ledger_are_flagged(
    session: Session, shop_with_gaps: Shop
) -> None:
    # when billing reconciles November
    result = reconciliation(session=session, actor=_billing(session), start=NOVEMBER[0],
                            end=NOVEMBER[1])
    # then only the days with activity are listed, with processor and ledger side by side
    days = {d.day.isoformat(): d for d in result.days}
    assert list(days) == ["2026-11-03", "2026-11-04", "2026-11-05"]
    third, fourth, fifth = days.values()
    assert (third.captured, third.ledger_sales, third.orders_completed, third.orders_count,
            third.mismatch) == (11_000, 11_000, 11_000, 1, False)
    assert (fourth.captured, fourth.ledger_sales, fourth.orders_count, fourth.mismatch) == (
        8_000, 0, 1, True)
    assert (fifth.refunded, fifth.ledger_reversals, fifth.mismatch) == (11_000, 0, True)
    assert result.mismatched_days == 2 and not result.reconciles
    assert (result.totals.captured, result.totals.ledger_sales, result.totals.refunded) == (
        19_000, 11_000, 11_000)


def test_gaps_are_itemised(session: Session, shop_with_gaps: Shop) -> None:
    shop = shop_with_gaps
    result = reconciliation(session=session, actor=_billing(session), start=NOVEMBER[0],
                            end=NOVEMBER[1])
    assert shop.unrecorded.id is not None
    unrecorded = order_number(shop.unrecorded.id, shop.unrecorded.created_at)
    assert sorted((p.kind, p.reference, p.amount) for p in result.problems) == [
        ("order_without_ledger", unrecorded, 8_000),
        ("order_without_registration", unrecorded, 8_000),
        ("refund_without_reversal", f"Refund {shop.refund.id}", 11_000),
        ("registration_unpaid", f"Registration {shop.pending_registration_id}", 5_000),
    ]
    unpaid = next(p for p in result.problems if p.kind == "registration_unpaid")
    assert "is pending" in unpaid.detail and not result.truncated


def test_a_reversal_settles_the_refund_and_an_empty_period_reconciles(
    session: Session, shop_with_gaps: Shop
) -> None:
    shop = shop_with_gaps
    billing = _billing(session)
    # October had nothing at all
    quiet = reconciliation(session=session, actor=billing, start=date(2026, 10, 1),
                           end=date(2026, 10, 31))
    assert quiet.days == () and quiet.problems == () and quiet.reconciles
    # once the ledger reverses the refund, 5 November matches and the problem is gone
    entry(session, shop.good, shop.good_line, shop.course, when=at("2026-11-05"),
          gross=-10_000, tax=-1_000, fee=-300, parts=(-2_910, -3_880, -2_910), split=EVEN,
          reversal_of=shop.refund)
    session.commit()
    result = reconciliation(session=session, actor=billing, start=NOVEMBER[0], end=NOVEMBER[1])
    fifth = next(d for d in result.days if d.day == date(2026, 11, 5))
    assert (fifth.refunded, fifth.ledger_reversals, fifth.mismatch) == (11_000, 11_000, False)
    assert "refund_without_reversal" not in {p.kind for p in result.problems}


def test_reconciliation_is_for_billing_and_super_admins_only(
    session: Session, shop_with_gaps: Shop, super_admin: Actor
) -> None:
    assert reconciliation(session=session, actor=super_admin, start=NOVEMBER[0],
                          end=NOVEMBER[1]).mismatched_days == 2
    department = create_department(session, "BUS")
    dept_admin = create_user(session, "dora@example.com",
                             grants=(Grant(RoleName.DEPT_ADMIN, department),))
    learner = create_user(session, "nosy@example.com")
    for actor in (dept_admin, learner):
        with pytest.raises(DomainError) as err:
            reconciliation(session=session, actor=actor, start=NOVEMBER[0], end=NOVEMBER[1])
        assert err.value.kind == ErrorKind.FORBIDDEN
