"""Refunds of session credits (issue 17): refunding a course package takes back its unused
credits (used ones stay used) and the ledger reverses it exactly; a credit pack gives back at
most what its unused credits are worth (rounded down) and refuses more, naming the used
credits; a pack refunded to that end loses its unused credits, one partly refunded keeps them.

Using a credit needs a booked session (the bookings' own tests): here a credit is marked used
directly, the one row these tests write themselves."""

from __future__ import annotations

import pytest
from sqlalchemy import func
from sqlmodel import Session, col, select

from commerce_dash.domain.actor import Actor
from commerce_dash.domain.errors import DomainError
from commerce_dash.models.commerce import Order, OrderLine
from commerce_dash.models.revenue import LedgerEntry
from commerce_dash.models.sessions import SessionCredit
from commerce_dash.services.catalog import CreditPackIn, create_credit_pack, pricing
from commerce_dash.services.commerce import refund_options, refund_preview, refunds
from commerce_dash.services.commerce.refunds import LineRefund
from tests.builders import a_course, a_department, number_of, paid_order

REASON = "I no longer need these sessions."


def _pack_order(session: Session, admin: Actor, learner: Actor, *, amount: int = 9_999,
                credits: int = 4) -> tuple[Order, OrderLine]:
    dept = a_department(session, admin, "PACKS")
    pack = create_credit_pack(session=session, actor=admin, published=True, data=CreditPackIn(
        code="PACK", title="Pack of four", department_id=dept))
    assert pack.id is not None
    pricing.create_price(session=session, actor=admin, item_type="credit_pack", item_id=pack.id,
                         price_type="one_time", amount=amount, currency="USD",
                         private_credits=credits, private_minutes=60)
    order = paid_order(session, learner, ("credit_pack", pack.id))
    line = session.exec(select(OrderLine).where(OrderLine.order_id == order.id)).one()
    return order, line


def _use(session: Session, order: Order, n: int) -> None:
    """``n`` of the order's credits used by bookings (written directly, see the docstring)."""
    credits = session.exec(select(SessionCredit).where(
        SessionCredit.order_id == order.id, SessionCredit.status == "available")
        .order_by(col(SessionCredit.id)).limit(n)).all()
    for credit in credits:
        credit.status = "used"
        session.add(credit)
    session.commit()


def _statuses(session: Session, order: Order) -> list[str]:
    return sorted(session.exec(select(SessionCredit.status).where(
        SessionCredit.order_id == order.id)).all())


def _ledger(session: Session, order: Order, entry_type: str) -> int:
    return int(session.exec(select(func.coalesce(func.sum(LedgerEntry.gross + LedgerEntry.tax),
                                                 0)).where(
        LedgerEntry.order_id == order.id, LedgerEntry.entry_type == entry_type)).one())


def _exact(session: Session, order: Order) -> None:
    """Every reversal is split like its sale: shares add up to the net, entry by entry."""
    for entry in session.exec(select(LedgerEntry).where(LedgerEntry.order_id == order.id)):
        assert entry.platform_amount + entry.creator_amount + entry.instructor_amount == \
            entry.net
        assert entry.gross + entry.tax - entry.processor_fee == entry.net + entry.tax


def test_refunding_a_package_takes_back_its_unused_credits(
        session: Session, super_admin: Actor, learner: Actor) -> None:
    course = a_course(session, super_admin, "COACH", price=None)
    pricing.create_price(session=session, actor=super_admin, item_type="course",
                         item_id=course, price_type="one_time", amount=30_000, currency="USD",
                         private_credits=2, private_minutes=60, group_credits=1)
    order = paid_order(session, learner, ("course", course))
    _use(session, order, 1)
    options = refund_options(session=session, actor=learner, number=number_of(order))
    assert options[0] == 30_000  # the course part is refundable as ever
    request = refunds.request_refund(session=session, actor=learner, number=number_of(order),
                                     reason=REASON)
    assert request.amount == 30_000
    # the approve dialog says which credits go (issue 19), and saying it changes nothing
    preview = refund_preview(session=session, actor=super_admin, request_id=request.id or 0)
    assert preview.credits_taken_back == ("1 group class credit",
                                          "1 private 60-minute session credit")
    assert "Take back 1 group class credit not used yet." in preview.steps
    assert _statuses(session, order) == ["available", "available", "used"]
    done = refunds.approve(session=session, actor=super_admin, request_id=request.id or 0)
    assert done.status == "refunded"
    session.expire_all()
    assert _statuses(session, order) == ["revoked", "revoked", "used"]
    assert session.get(Order, order.id).status == "refunded"  # type: ignore[union-attr]
    assert _ledger(session, order, "sale") == 30_000
    assert _ledger(session, order, "reversal") == -30_000
    _exact(session, order)


def test_a_pack_with_a_used_credit_refunds_the_unused_ones_rounded_down(
        session: Session, super_admin: Actor, learner: Actor) -> None:
    order, line = _pack_order(session, super_admin, learner)
    _use(session, order, 1)
    total, lines = refund_options(session=session, actor=learner, number=number_of(order))
    assert total == 7_499  # floor(9,999 * 3 / 4)
    assert [(ln.paid, ln.left, ln.note) for ln in lines] == [
        (9_999, 7_499, "1 of 4 credits used: not refundable")]
    with pytest.raises(DomainError) as err:
        refunds.request_refund(session=session, actor=learner, number=number_of(order),
                               reason=REASON, lines=[LineRefund(line.id or 0, 9_999)])
    assert err.value.code == "credits_used"
    assert err.value.message == ("Pack of four: 1 of its 4 credits is used and not "
                                 "refundable, so at most $74.99 can be refunded for it.")
    with pytest.raises(DomainError) as err:
        refunds.request_refund(session=session, actor=learner, number=number_of(order),
                               reason=REASON, amount=8_000)
    assert err.value.code == "credits_used"
    assert "Pack of four: 1 of 4 credits used" in err.value.message
    assert "$74.99" in err.value.message

    request = refunds.request_refund(session=session, actor=learner, number=number_of(order),
                                     reason=REASON)  # all that may be refunded
    assert request.amount == 7_499
    done = refunds.approve(session=session, actor=super_admin, request_id=request.id or 0)
    assert (done.status, done.approved_amount) == ("refunded", 7_499)
    session.expire_all()
    assert _statuses(session, order) == ["revoked", "revoked", "revoked", "used"]
    assert session.get(Order, order.id).status == "partially_refunded"  # type: ignore[union-attr]
    assert _ledger(session, order, "sale") == 9_999
    assert _ledger(session, order, "reversal") == -7_499
    _exact(session, order)
    # nothing more is refundable
    assert refund_options(session=session, actor=learner, number=number_of(order))[0] == 0


def test_credits_used_after_the_request_are_refused_at_approval(
        session: Session, super_admin: Actor, learner: Actor) -> None:
    order, line = _pack_order(session, super_admin, learner, amount=10_000)
    request = refunds.request_refund(session=session, actor=learner, number=number_of(order),
                                     reason=REASON, lines=[LineRefund(line.id or 0, 10_000)])
    _use(session, order, 2)
    with pytest.raises(DomainError) as err:
        refunds.approve(session=session, actor=super_admin, request_id=request.id or 0)
    assert err.value.code == "credits_used"
    assert "2 of its 4 credits are used" in err.value.message
    done = refunds.approve(session=session, actor=super_admin, request_id=request.id or 0,
                           amount=5_000)
    assert (done.status, done.approved_amount) == ("refunded", 5_000)
    session.expire_all()
    assert _statuses(session, order) == ["revoked", "revoked", "used", "used"]


def test_a_pack_partly_refunded_keeps_its_credits_until_refunded_to_the_end(
        session: Session, super_admin: Actor, learner: Actor) -> None:
    order, line = _pack_order(session, super_admin, learner, amount=10_000)
    first = refunds.request_refund(session=session, actor=learner, number=number_of(order),
                                   reason=REASON, amount=2_000)
    refunds.approve(session=session, actor=super_admin, request_id=first.id or 0)
    session.expire_all()
    assert _statuses(session, order) == ["available"] * 4
    second = refunds.request_refund(session=session, actor=learner, number=number_of(order),
                                    reason=REASON)
    assert second.amount == 8_000
    refunds.approve(session=session, actor=super_admin, request_id=second.id or 0)
    session.expire_all()
    assert _statuses(session, order) == ["revoked"] * 4
    assert session.get(Order, order.id).status == "refunded"  # type: ignore[union-attr]
    assert _ledger(session, order, "sale") + _ledger(session, order, "reversal") == 0
    _exact(session, order)
