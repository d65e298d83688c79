"""The builders of tests/builders.py leave the rows the app's own services leave."""

from __future__ import annotations

from sqlmodel import Session, select

from commerce_dash.domain.access import RoleName
from commerce_dash.domain.actor import Grant
from commerce_dash.domain.certificate_numbers import valid_number
from commerce_dash.models.commerce import OrderLine
from commerce_dash.models.enrollment import Enrollment
from tests.builders import (
    a_course,
    a_learner,
    a_paid_order,
    an_admin,
    issued_certificate,
    number_of,
    pending_registration,
)


def test_people_with_their_grants(session: Session) -> None:
    lee = a_learner(session)
    bill = an_admin(session, "bill@example.com", grants=(Grant(RoleName.BILLING_ADMIN),))
    assert (lee.email, lee.full_name, lee.grants) == (
        "lee@example.com", "Lee", (Grant(RoleName.LEARNER),))
    assert bill.grants == (Grant(RoleName.BILLING_ADMIN),)
    assert an_admin(session).grants == (Grant(RoleName.SUPER_ADMIN),)


def test_a_paid_order_of_three_lines(session: Session) -> None:
    admin, lee = an_admin(session), a_learner(session)
    order = a_paid_order(session, lee, admin, lines=3, price=2_500)
    assert (order.status, order.payment_status, order.total, order.currency) == (
        "completed", "completed", 7_500, "USD")
    lines = session.exec(select(OrderLine).where(OrderLine.order_id == order.id)).all()
    assert sorted(line.total for line in lines) == [2_500, 2_500, 2_500]
    assert number_of(order).startswith("ORD-")
    assert len(session.exec(select(Enrollment)).all()) == 3


def test_a_pending_registration_and_an_issued_certificate(session: Session) -> None:
    admin, lee = an_admin(session), a_learner(session, full_name="Lee Learner")
    waiting = pending_registration(session, lee, a_course(session, admin, "APPROVE-1"))
    assert (waiting.status, waiting.amount_paid) == ("pending", 10_000)
    course_id = a_course(session, admin, "DONE-1", price=4_900)
    certificate = issued_certificate(session, lee, course_id, modules=3)
    assert valid_number(certificate.number) and certificate.status == "active"
    assert (certificate.recipient_name, certificate.description) == ("Lee Learner",
                                                                    "Course DONE-1")
