"""Buying session credits (issue 17): a course sold with bonus credits (a "package") and a
credit pack sold alone go through the cart, checkout, tax and the ledger like any line; the
cart, checkout and order say what a line includes, and completing the order grants the
credits once, whatever repeats."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, col, select

from commerce_dash.domain.actor import Actor
from commerce_dash.domain.clock import ensure_utc
from commerce_dash.domain.errors import DomainError
from commerce_dash.domain.ledger import Shares
from commerce_dash.models.commerce import Order, OrderLine
from commerce_dash.models.revenue import LedgerEntry
from commerce_dash.models.sessions import SessionCredit
from commerce_dash.services.catalog import (
    CreditPackIn,
    create_credit_pack,
    pricing,
    publish_credit_pack,
)
from commerce_dash.services.commerce import cart as cart_service
from commerce_dash.services.commerce import checkout_summary, order_detail, view_cart
from commerce_dash.services.commerce.settlement import ORDER_COMPLETED_HOOKS
from commerce_dash.services.commerce.tax_rates import upsert_tax_rate
from commerce_dash.services.enrollment import grant_credits_for_order
from commerce_dash.services.revenue import set_share_rule
from tests.builders import a_course, a_department, number_of, owner_of, paid_order

PACKAGE_NOTE = "Includes 2 private sessions (60 min), valid 90 days"


def _package(session: Session, admin: Actor, department_id: int) -> int:
    """A course whose price of $300 includes 2 private 60-minute sessions for 90 days."""
    course = a_course(session, admin, "COACH", title="Coached Python",
                      department_id=department_id, price=None)
    pricing.create_price(session=session, actor=admin, item_type="course", item_id=course,
                         price_type="one_time", amount=30_000, currency="USD",
                         private_credits=2, private_minutes=60, credit_expiry_days=90)
    return course


def _pack(session: Session, admin: Actor, department_id: int) -> int:
    """A pack of 3 group classes and 1 private 30-minute session, $99.99, valid 30 days."""
    pack = create_credit_pack(session=session, actor=admin, published=True, data=CreditPackIn(
        code="MIX4", title="Mixed pack", department_id=department_id))
    assert pack.id is not None
    pricing.create_price(session=session, actor=admin, item_type="credit_pack", item_id=pack.id,
                         price_type="one_time", amount=9_999, currency="USD",
                         private_credits=1, private_minutes=30, group_credits=3,
                         credit_expiry_days=30)
    return pack.id


def _credits(session: Session, order: Order) -> list[SessionCredit]:
    return list(session.exec(select(SessionCredit).where(SessionCredit.order_id == order.id)
                             .order_by(col(SessionCredit.id))).all())


def test_a_course_package_grants_its_credits_once(session: Session, super_admin: Actor,
                                                  learner: Actor) -> None:
    dept = a_department(session, super_admin, "PKG")
    course = _package(session, super_admin, dept)
    cart_service.add_item(session=session, owner=owner_of(learner), item_type="course",
                          item_id=course)
    line = view_cart(session=session, owner=owner_of(learner)).lines[0]
    assert (line.title, line.amount, line.credits_note) == ("Coached Python", 30_000,
                                                            PACKAGE_NOTE)
    order = paid_order(session, learner)
    credits = _credits(session, order)
    assert [(c.kind, c.minutes, c.status, c.department_id) for c in credits] == [
        ("private", 60, "available", dept)] * 2
    completed = ensure_utc(order.completed_at)  # type: ignore[arg-type]
    assert all(ensure_utc(c.expires_at) == completed + timedelta(days=90)  # type: ignore[arg-type]
               for c in credits)
    # the completion hook that grants them runs again (a repeated webhook): nothing more
    assert grant_credits_for_order in ORDER_COMPLETED_HOOKS
    lines = list(session.exec(select(OrderLine).where(OrderLine.order_id == order.id)).all())
    assert grant_credits_for_order(session, order, lines) == 0
    session.commit()
    assert len(_credits(session, order)) == 2
    # the order still sells the course as before: one sale entry of the course
    sales = session.exec(select(LedgerEntry).where(LedgerEntry.order_id == order.id)).all()
    assert [(e.course_id, e.gross + e.tax) for e in sales] == [(course, order.total)]
    detail = order_detail(session=session, number=number_of(order), user_id=learner.user_id)
    assert detail.lines[0].credits_note == PACKAGE_NOTE
    summary = checkout_summary(session=session, actor=learner, number=number_of(order))
    assert summary.lines[0]["credits_note"] == PACKAGE_NOTE


def test_a_credit_pack_bought_alone(session: Session, super_admin: Actor,
                                    learner: Actor) -> None:
    dept = a_department(session, super_admin, "PACKS")
    pack = _pack(session, super_admin, dept)
    set_share_rule(session=session, actor=super_admin, scope="department", target_id=dept,
                   shares=Shares(5000, 2000, 3000))
    upsert_tax_rate(session=session, actor=super_admin, country="US", region="", department_id=None,
                    rate_text="10", label="Sales tax")
    cart_service.add_item(session=session, owner=owner_of(learner), item_type="credit_pack",
                          item_id=pack)
    cart_service.set_preferences(session=session, owner=owner_of(learner), billing_country="US")
    view = view_cart(session=session, owner=owner_of(learner))
    line = view.lines[0]
    assert (line.item_type, line.code, line.department, line.amount, line.tax) == (
        "credit_pack", "MIX4", "PACKS School", 9_999, 1_000)
    assert line.credits_note == ("Includes 1 private session (30 min) and 3 group classes, "
                                 "valid 30 days")
    assert view.can_check_out and view.totals.total == 10_999

    order = paid_order(session, learner)
    assert (order.total, order.tax_amount) == (10_999, 1_000)
    order_line = session.exec(select(OrderLine).where(OrderLine.order_id == order.id)).one()
    assert (order_line.item_type, order_line.item_id, order_line.department_id) == (
        "credit_pack", pack, dept)
    credits = _credits(session, order)
    assert sorted((c.kind, c.minutes) for c in credits) == [
        ("group", 0), ("group", 0), ("group", 0), ("private", 30)]
    completed = ensure_utc(order.completed_at)  # type: ignore[arg-type]
    assert {ensure_utc(c.expires_at) for c in credits} == {  # type: ignore[arg-type]
        completed + timedelta(days=30)}
    assert {(c.user_id, c.order_line_id) for c in credits} == {(learner.user_id, order_line.id)}
    # one sale of the department, no course, split by the department's rule
    sale = session.exec(select(LedgerEntry).where(LedgerEntry.order_id == order.id)).one()
    assert (sale.entry_type, sale.course_id, sale.department_id) == ("sale", None, dept)
    assert (sale.gross, sale.tax, sale.gross + sale.tax) == (9_999, 1_000, order.total)
    assert (sale.platform_bps, sale.creator_bps, sale.instructor_bps) == (5000, 2000, 3000)
    assert sale.platform_amount + sale.creator_amount + sale.instructor_amount == sale.net
    assert sale.net == sale.gross - sale.processor_fee
    assert sale.dedupe_key == f"sale:{order_line.id}:credit_pack"
    # the cart is empty again and the pack can be bought again
    assert view_cart(session=session, owner=owner_of(learner)).lines == []
    second = paid_order(session, learner, ("credit_pack", pack))
    assert len(_credits(session, second)) == 4
    detail = order_detail(session=session, number=number_of(second), user_id=learner.user_id)
    assert detail.lines[0].credits_note.startswith("Includes 1 private session (30 min)")
    summary = checkout_summary(session=session, actor=learner, number=number_of(second))
    assert summary.lines[0]["kind"] == "Credit pack"


def test_an_unpublished_pack_is_not_for_sale(session: Session, super_admin: Actor,
                                             learner: Actor) -> None:
    dept = a_department(session, super_admin, "HIDE")
    pack = _pack(session, super_admin, dept)
    publish_credit_pack(session=session, actor=super_admin, pack_id=pack, published=False)
    with pytest.raises(DomainError) as err:
        cart_service.add_item(session=session, owner=owner_of(learner), item_type="credit_pack",
                              item_id=pack)
    assert (err.value.code, err.value.message) == ("item_not_for_sale",
                                                   "Mixed pack is not for sale.")
