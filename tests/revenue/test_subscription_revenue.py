"""Subscription revenue in the books: a paid invoice's order writes one sale entry for its
department (shares by the department's rule), refunds reverse it exactly, reports show it as
the department's subscriptions, payouts carry it, and reconciliation checks invoices against
their orders and the ledger."""

from __future__ import annotations

from datetime import date
from itertools import count

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, col, select

from commerce_dash.domain.access import RoleName
from commerce_dash.domain.actor import Actor, Grant
from commerce_dash.domain.ledger import processor_fee
from commerce_dash.domain.paging import PageRequest
from commerce_dash.models.catalog import Course
from commerce_dash.models.commerce import Order, OrderLine
from commerce_dash.models.revenue import LedgerEntry, RevenueShareRule
from commerce_dash.models.subscriptions import Subscription
from commerce_dash.services import revenue as revenue_area
from commerce_dash.services.revenue import payouts
from tests.conftest import create_department, create_user
from tests.revenue.ledger_book import at, make_order, refund_request
from tests.revenue.subscription_book import (
    a_plan,
    a_subscription,
    an_invoice,
    paid_invoice_order,
)

NOV = (date(2026, 11, 1), date(2026, 11, 30))
_examples = count(1)
MONEY = ("gross", "tax", "processor_fee", "net", "platform_amount", "creator_amount",
         "instructor_amount")


def _rule(session: Session, department_id: int | None, bps: tuple[int, int, int]) -> None:
    key = "default" if department_id is None else f"department:{department_id}"
    row = session.exec(select(RevenueShareRule).where(RevenueShareRule.scope_key == key)).first()
    row = row or RevenueShareRule(scope_key=key, department_id=department_id, platform_bps=0,
                                  creator_bps=0, instructor_bps=0)
    row.platform_bps, row.creator_bps, row.instructor_bps = bps
    session.add(row)
    session.flush()


def _subscriber(session: Session, department_id: int, email: str = "lee@example.com",
                **plan: object) -> Subscription:
    learner = create_user(session, email, full_name="Lee Learner")
    price = a_plan(session, department_id, at=at("2026-10-01"), **plan)  # type: ignore[arg-type]
    return a_subscription(session, learner.user_id, price, status="active",
                          created_at=at("2026-10-01"))


def _entries(session: Session, order: Order) -> list[LedgerEntry]:
    return list(session.exec(select(LedgerEntry).where(LedgerEntry.order_id == order.id)
                             .order_by(col(LedgerEntry.id))).all())


def _recorded(session: Session, order: Order, line: OrderLine) -> LedgerEntry:
    assert revenue_area.record_order(session, order, [line]) == 1
    (sale,) = _entries(session, order)
    return sale


def _sums(entries: list[LedgerEntry]) -> dict[str, int]:
    return {name: sum(getattr(e, name) for e in entries) for name in MONEY}


def test_a_paid_invoice_writes_one_sale_for_its_department_by_the_parent_rule(
    session: Session,
) -> None:
    # given a plan of a subdepartment whose parent has a rule (the subdepartment has none)
    eng = create_department(session, "ENG")
    data = create_department(session, "ENG-DATA", parent_id=eng)
    _rule(session, None, (2000, 5000, 3000))
    _rule(session, eng, (7000, 2000, 1000))
    sub = _subscriber(session, data, amount=1900)
    # when its invoice (a 400 discount, 150 tax) is paid and recorded
    _, order, line = paid_invoice_order(session, sub, paid_at=at("2026-11-05"), discount=400,
                                        tax=150)
    sale = _recorded(session, order, line)
    # then one sale of the department, without course, creator or instructor
    assert (sale.course_id, sale.department_id, sale.creator_id, sale.instructor_id) == (
        None, data, None, None)
    assert (sale.gross, sale.tax, sale.currency) == (1_500, 150, "USD")
    fee = processor_fee(1_650, 290, 30)  # 2.9 % + 30 of what was charged
    assert (sale.processor_fee, sale.net) == (fee, 1_500 - fee)
    assert (sale.platform_bps, sale.creator_bps, sale.instructor_bps) == (7000, 2000, 1000)
    assert sale.platform_amount + sale.creator_amount + sale.instructor_amount == sale.net
    assert sale.dedupe_key == f"sale:{line.id}:subscription"
    # and recording it again writes nothing
    assert revenue_area.record_order(session, order, [line]) == 0


def test_an_order_charged_in_another_currency_is_recorded_at_its_settlement_worth(
    session: Session,
) -> None:
    dept = create_department(session, "ENG")
    sub = _subscriber(session, dept, amount=1_800, currency="EUR")
    _, order, line = paid_invoice_order(session, sub, paid_at=at("2026-11-05"), tax=200,
                                        settlement=("USD", 2_171))
    sale = _recorded(session, order, line)
    assert (sale.currency, sale.gross + sale.tax) == ("USD", 2_171)
    assert sale.gross == 1_954  # 2,171 spread over 1,800 and 200 by their amounts


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(amount=st.integers(1, 500_000), discount_pct=st.integers(0, 100),
       tax=st.integers(0, 50_000),
       bps=st.lists(st.integers(0, 10_000), min_size=2, max_size=2).map(sorted),
       where=st.sampled_from(["department", "parent", "default"]),
       refunds=st.lists(st.integers(1, 100), min_size=0, max_size=3))
def test_shares_sum_exactly_and_refunds_reverse_to_zero(
    session: Session, amount: int, discount_pct: int, tax: int, bps: list[int], where: str,
    refunds: list[int],
) -> None:
    # the database is emptied once per test, not per example: fresh departments each time,
    # and what is not committed is rolled back at the end
    n = next(_examples)
    parent = create_department(session, f"P{n}")
    child = create_department(session, f"C{n}", parent_id=parent)
    shares = (bps[0], bps[1] - bps[0], 10_000 - bps[1])
    _rule(session, {"department": child, "parent": parent, "default": None}[where], shares)
    plan_user = create_user(session, f"u{parent}@example.com")
    price = a_plan(session, child, amount=amount, at=at("2026-10-01"))
    sub = a_subscription(session, plan_user.user_id, price, status="active",
                         created_at=at("2026-10-01"))
    discount = amount * discount_pct // 100
    _, order, line = paid_invoice_order(session, sub, paid_at=at("2026-11-05"),
                                        discount=discount, tax=tax)
    sale = _recorded(session, order, line)
    paid = amount - discount + tax
    assert (sale.gross, sale.tax) == (amount - discount, tax)
    assert (sale.platform_bps, sale.creator_bps, sale.instructor_bps) == shares
    assert sale.platform_amount + sale.creator_amount + sale.instructor_amount == sale.net \
        == sale.gross - sale.processor_fee
    # partial refunds (percentages of what is left), then the rest: each exact, all back to 0
    left = paid
    for n, pct in enumerate([*refunds, 100]):
        piece = max(1, left * pct // 100) if pct < 100 else left
        if left <= 0:
            break
        request = refund_request(session, order, piece, at("2026-11-20"))
        final = frozenset({line.id or 0}) if piece == left else frozenset()
        reversed_now = revenue_area.record_refund(
            session, request, [{"order_line_id": line.id, "amount": piece}], final)
        assert reversed_now == piece, n
        left -= piece
        entries = _entries(session, order)
        assert sum(e.gross + e.tax for e in entries) == left
        for e in entries:
            assert e.platform_amount + e.creator_amount + e.instructor_amount == e.net
    assert _sums(_entries(session, order)) == dict.fromkeys(MONEY, 0)
    session.rollback()


def test_a_half_refund_reverses_half_of_each_field(session: Session) -> None:
    dept = create_department(session, "ENG")
    _rule(session, dept, (3000, 4000, 3000))
    sub = _subscriber(session, dept, amount=10_000)
    _, order, line = paid_invoice_order(session, sub, paid_at=at("2026-11-05"), tax=1_000)
    sale = _recorded(session, order, line)
    # 2.9 % + 30 of 11,000 is 349; 9,651 split 30 / 40 / 30, the unit left to the creator
    assert (sale.processor_fee, sale.platform_amount, sale.creator_amount,
            sale.instructor_amount) == (349, 2_895, 3_861, 2_895)
    request = refund_request(session, order, 5_500, at("2026-11-20"))
    assert revenue_area.record_refund(
        session, request, [{"order_line_id": line.id, "amount": 5_500}]) == 5_500
    reversal = _entries(session, order)[1]
    assert (reversal.course_id, reversal.department_id, reversal.reverses_id) == (
        None, dept, sale.id)
    # 5,500 of 11,000: half of gross, tax and fee (174.5 rounds away from zero), the net
    # 4,825 split like the sale's (the unit left over to the platform's larger remainder)
    assert (reversal.gross, reversal.tax, reversal.processor_fee, reversal.net) == (
        -5_000, -500, -175, -4_825)
    assert (reversal.platform_amount, reversal.creator_amount, reversal.instructor_amount) == (
        -1_448, -1_930, -1_447)


def test_payouts_send_a_subscription_sale_without_course_creator_or_instructor(
    session: Session, payout: None
) -> None:
    dept = create_department(session, "ENG")
    sub = _subscriber(session, dept, amount=1_900)
    _, order, line = paid_invoice_order(session, sub, paid_at=at("2026-11-05"))
    sale = _recorded(session, order, line)
    body = payouts.payload_of(session, sale)["payload"]
    assert (body["orderItemId"], body["itemType"], body["courseId"], body["courseName"]) == (
        f"{line.id}:subscription", "subscription", "", "Department ENG subscriptions")
    assert (body["contentCreatorId"], body["instructorId"], body["departmentId"]) == (
        "", "", str(dept))
    assert body["grossAmount"] == 1_900
    session.commit()
    admin = create_user(session, "bill@example.com", grants=(Grant(RoleName.BILLING_ADMIN),))
    counts, page = revenue_area.payout_status(session=session, actor=admin,
                                              page=PageRequest())
    assert counts.pending == 1
    assert [(r.course, r.amount, r.order_item) for r in page.items] == [
        ("Department ENG subscriptions", 1_900, f"{line.id}:subscription")]


def _billing(session: Session) -> Actor:
    return create_user(session, "bill@example.com", grants=(Grant(RoleName.BILLING_ADMIN),))


def test_reports_show_subscriptions_as_a_department_row_in_every_grouping(
    session: Session,
) -> None:
    # given a course sale and a subscription invoice of the same department in November
    dept = create_department(session, "ENG")
    cara = create_user(session, "cara@example.com", full_name="Cara Creator")
    course = Course(code="PY101", title="Python", department_id=dept,
                    content_creator_id=cara.user_id)
    session.add(course)
    session.flush()
    sub = _subscriber(session, dept, amount=1_900)
    course_order, course_line = make_order(session, sub.user_id, course, 10_000,
                                           completed_at=at("2026-11-03"))
    assert revenue_area.record_order(session, course_order, [course_line]) == 1
    _, order, line = paid_invoice_order(session, sub, paid_at=at("2026-11-05"))
    _recorded(session, order, line)
    session.commit()
    billing = _billing(session)

    def report(group_by: str) -> revenue_area.RevenueReport:
        return revenue_area.report(session=session, actor=billing, group_by=group_by,  # type: ignore[arg-type]
                                   start=NOV[0], end=NOV[1])

    # then by course: the course, and the department's subscriptions (no seat sold)
    by_course = report("course")
    assert [(r.key, r.label, r.gross, r.enrollments) for r in by_course.rows] == [
        (str(course.id), "PY101 · Python", 10_000, 1),
        (f"subscriptions:{dept}", "Department ENG subscriptions", 1_900, 0)]
    assert by_course.rows[1].completion_rate is None
    # by creator likewise, and by department one row; every grouping has the same totals
    assert [r.label for r in report("creator").rows] == [
        "Cara Creator", "Department ENG subscriptions"]
    assert [(r.label, r.gross) for r in report("department").rows] == [
        ("Department ENG", 11_900)]
    totals = {g: report(g).totals for g in revenue_area.GROUPINGS}
    assert {(t.gross, t.net, t.enrollments) for t in totals.values()} == {
        (11_900, by_course.totals.net, 1)}
    # and the CSV export names the row
    assert b"Department ENG subscriptions" in revenue_area.to_csv(by_course)


def test_reconciliation_flags_invoices_that_differ_from_their_order_or_ledger(
    session: Session,
) -> None:
    dept = create_department(session, "ENG")
    sub = _subscriber(session, dept, amount=1_900)
    good, good_order, good_line = paid_invoice_order(session, sub, paid_at=at("2026-11-05"))
    _recorded(session, good_order, good_line)
    # an order changed after its invoice was paid and recorded
    tampered, order, line = paid_invoice_order(session, sub, paid_at=at("2026-11-06"))
    _recorded(session, order, line)
    order.total = 1_800
    session.add(order)
    # an order whose settlement worth no longer matches its ledger sale
    skewed, skewed_order, skewed_line = paid_invoice_order(session, sub,
                                                           paid_at=at("2026-11-07"))
    _recorded(session, skewed_order, skewed_line)
    skewed_order.settlement_total = 2_000
    session.add(skewed_order)
    # and a paid invoice no order was recorded for
    orphan = an_invoice(session, sub, amount=1_900, paid_at=at("2026-11-08"))
    session.commit()
    result = revenue_area.reconciliation(session=session, actor=_billing(session),
                                         start=NOV[0], end=NOV[1])
    invoices = [(p.kind, p.reference, p.amount) for p in result.problems
                if p.kind.startswith("invoice_")]
    assert invoices == [
        ("invoice_order_mismatch", f"Invoice {tampered.processor_invoice_id}", 1_900),
        ("invoice_ledger_mismatch", f"Invoice {skewed.processor_invoice_id}", 1_900),
        ("invoice_without_order", f"Invoice {orphan.processor_invoice_id}", 1_900),
    ]
    details = {p.kind: p.detail for p in result.problems}
    assert "says 18.00 USD" in details["invoice_order_mismatch"]
    assert "worth 20.00 USD, but the ledger's sale records 19.00 USD" in details[
        "invoice_ledger_mismatch"]
    assert good.processor_invoice_id not in " ".join(p.reference for p in result.problems)
    assert not result.reconciles
