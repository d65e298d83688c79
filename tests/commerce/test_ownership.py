"""A learner is never charged twice for a course and never blocked from what they paid for:
course and program in one cart, a program partly owned, two checkouts of one cart, a
refunded line, money arriving for something already owned. On SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest
from sqlmodel import Session, col, func, select

from commerce_dash.domain.actor import Actor
from commerce_dash.domain.errors import DomainError
from commerce_dash.models.audit import AuditLog
from commerce_dash.models.commerce import (
    Order,
    OrderLine,
    Payment,
    RefundRequest,
    SandboxIntent,
    SandboxRefund,
)
from commerce_dash.models.delivery import OutboxMessage
from commerce_dash.models.enrollment import Enrollment, Registration
from commerce_dash.models.revenue import LedgerEntry
from commerce_dash.payments.factory import get_processor
from commerce_dash.services.commerce import cart as cart_service
from commerce_dash.services.commerce import orders, payments, refunds
from commerce_dash.services.commerce.cart_lookups import CartOwner
from commerce_dash.services.commerce.checkout import CheckoutRequest, checkout
from tests.builders import GOOD_CARD, buy, number_of, owner_of

pytestmark = pytest.mark.usefixtures("both_databases")


def _add(session: Session, who: CartOwner, shop, kind: str, code: str = ""):  # type: ignore[no-untyped-def]
    item_id = shop.program_id if kind == "program" else shop.courses[code]
    return cart_service.add_item(session=session, owner=who, item_type=kind, item_id=item_id)


def _emails(session: Session, template: str) -> list[OutboxMessage]:
    return [m for m in session.exec(select(OutboxMessage).where(OutboxMessage.topic == "email"))
            if (m.payload or {}).get("template") == template]


def _live_registrations(session: Session, user_id: int, course_id: int) -> int:
    return int(session.exec(select(func.count()).select_from(Registration).where(
        Registration.user_id == user_id, Registration.course_id == course_id,
        col(Registration.status).in_(("pending", "approved", "enrolled")))).one())


# -- finding 1: a course and the program that holds it ----------------------------------------


def test_a_program_takes_the_place_of_its_courses_and_a_course_inside_it_is_refused(
        session: Session, shop, learner: Actor) -> None:  # type: ignore[no-untyped-def]
    me = owner_of(learner)
    # given a course of the program and another course in the cart
    _add(session, me, shop, "course", "PY101")
    _add(session, me, shop, "course", "ML301")
    # when the program is added
    added = _add(session, me, shop, "program")
    # then it replaces the course it holds, and says so
    assert added.message == ("Python Path is in your cart. It includes Course PY101, so it was "
                             "taken out of your cart.")
    view = cart_service.view_cart(session=session, owner=me)
    assert [line.title for line in view.lines] == ["Course ML301", "Python Path"]
    assert view.totals.total == 20_000 + 30_000
    # and a course of the program can't be added beside it
    with pytest.raises(DomainError) as err:
        _add(session, me, shop, "course", "SQL101")
    assert err.value.code == "in_cart_program"
    assert err.value.message == ("Course SQL101 is part of Python Path, which is already in "
                                 "your cart.")


def test_a_guest_cart_with_the_program_replaces_its_course_at_sign_in(
        session: Session, shop, learner: Actor) -> None:  # type: ignore[no-untyped-def]
    # given the learner's cart holds a course and their guest cart the program holding it
    _add(session, owner_of(learner), shop, "course", "PY201")
    guest = CartOwner(user_id=None, token="guest-program-token")
    _add(session, guest, shop, "program")
    # when they sign in
    merged = cart_service.merge_guest_cart(session=session, token=guest.token,
                                           user_id=learner.user_id)
    # then the program stays, the course goes, and they are told
    assert merged.messages == ["Course PY201 is part of Python Path, so it was taken out of "
                               "your cart."]
    view = cart_service.view_cart(session=session, owner=owner_of(learner))
    assert [line.title for line in view.lines] == ["Python Path"]
    assert view.can_check_out


# -- finding 2: a program with a course already owned --------------------------------------


def test_a_program_partly_owned_costs_the_bundle_less_the_owned_share_and_skips_it(
        session: Session, shop, learner: Actor) -> None:  # type: ignore[no-untyped-def]
    # given the learner owns PY101 (10,000 of the 33,000 the three courses cost alone)
    buy(session, learner, shop, ("course", "PY101"))
    me = owner_of(learner)
    # when they put the 30,000 program in the cart
    _add(session, me, shop, "program")
    view = cart_service.view_cart(session=session, owner=me)
    # then PY101's share of the bundle (30,000 * 10/33, largest remainder: 9,091) comes off
    (line,) = view.lines
    assert (line.amount, line.amount_label) == (20_909, "$209.09")
    assert view.totals.total == 20_909
    assert line.note == ("You already own Course PY101: $90.91 off the bundle price of "
                         "$300.00 (its share of it), and it is not sold again.")
    # and buying it charges that, registers only the other two courses
    result = checkout(session=session, actor=learner, request=CheckoutRequest("partly-owned"))
    assert result.total == 20_909
    payments.sandbox_pay(session=session, actor=learner, number=result.number, card=GOOD_CARD)
    session.expire_all()
    assert _live_registrations(session, learner.user_id, shop.courses["PY101"]) == 1
    assert _live_registrations(session, learner.user_id, shop.courses["PY201"]) == 1
    assert _live_registrations(session, learner.user_id, shop.courses["SQL101"]) == 1
    order_line = session.exec(select(OrderLine).where(
        OrderLine.order_id == result.order_id)).one()
    assert order_line.owned_course_ids == [shop.courses["PY101"]]
    # and the ledger splits exactly what was paid over the two courses sold
    sales = session.exec(select(LedgerEntry).where(LedgerEntry.order_id == result.order_id)
                         ).all()
    assert sorted(e.course_id for e in sales) == sorted([shop.courses["PY201"],
                                                         shop.courses["SQL101"]])
    assert sum(e.gross + e.tax for e in sales) == 20_909
    assert refunds.refund_options(session=session, actor=learner, number=result.number
                                  )[0] == 20_909
    # and the receipt says what was left out
    receipt = orders.order_detail(session=session, number=result.number,
                                  user_id=learner.user_id)
    assert receipt.lines[0].note == "Without Course PY101: already yours"


# -- finding 3: two open orders for one cart -----------------------------------------------


def test_checking_out_the_same_cart_twice_is_one_order_and_one_charge(
        session: Session, shop, learner: Actor) -> None:  # type: ignore[no-untyped-def]
    _add(session, owner_of(learner), shop, "course", "PY201")
    # given a checkout, then the learner goes back to the cart and checks out again
    first = checkout(session=session, actor=learner, request=CheckoutRequest("first-tab-01"))
    again = checkout(session=session, actor=learner, request=CheckoutRequest("second-tab-2"))
    # then the second checkout is the first order
    assert (again.order_id, again.intent_id, again.replayed) == (first.order_id,
                                                                  first.intent_id, True)
    assert session.exec(select(func.count()).select_from(Order)).one() == 1
    assert session.exec(select(func.count()).select_from(SandboxIntent)).one() == 1
    # and paying it once completes it; nothing is left to pay twice
    payments.sandbox_pay(session=session, actor=learner, number=first.number, card=GOOD_CARD)
    with pytest.raises(DomainError):
        checkout(session=session, actor=learner, request=CheckoutRequest("third-tab-03"))
    assert session.exec(select(func.count()).select_from(Payment).where(
        Payment.status == "succeeded")).one() == 1


def test_a_changed_cart_cancels_its_open_order_before_the_new_one(
        session: Session, shop, learner: Actor) -> None:  # type: ignore[no-untyped-def]
    me = owner_of(learner)
    _add(session, me, shop, "course", "PY201")
    first = checkout(session=session, actor=learner, request=CheckoutRequest("before-change"))
    # when the learner adds a course and checks out again
    _add(session, me, shop, "course", "ML301")
    second = checkout(session=session, actor=learner, request=CheckoutRequest("after-change"))
    # then the first order is cancelled and its intent voided at the processor
    assert second.order_id != first.order_id and second.total == 35_000
    session.expire_all()
    old = session.get(Order, first.order_id)
    assert old is not None and old.status == "cancelled"
    assert "Replaced by a new checkout" in old.failure_reason
    assert get_processor("sandbox").retrieve_intent(first.intent_id).status.value == "canceled"
    # and the old checkout page can no longer be paid
    with pytest.raises(DomainError) as err:
        payments.sandbox_pay(session=session, actor=learner, number=first.number,
                             card=GOOD_CARD)
    assert err.value.code == "order_not_payable"
    payments.sandbox_pay(session=session, actor=learner, number=second.number, card=GOOD_CARD)
    session.expire_all()
    assert session.exec(select(func.count()).select_from(Order).where(
        Order.status == "completed")).one() == 1


# -- finding 4: a refunded line is not owned -----------------------------------------------


def test_a_refunded_course_can_be_bought_again(session: Session, shop, learner: Actor,  # type: ignore[no-untyped-def]
                                               billing: Actor) -> None:
    # given an order of two courses, one of them refunded in full
    order = buy(session, learner, shop, ("course", "PY101"), ("course", "SQL101"))
    line = session.exec(select(OrderLine).where(
        OrderLine.order_id == order.id, OrderLine.item_id == shop.courses["PY101"])).one()
    request = refunds.request_refund(session=session, actor=learner, number=number_of(order),
                                     reason="Wrong course, I meant the other one.",
                                     lines=[refunds.LineRefund(line.id or 0, line.total)])
    assert refunds.approve(session=session, actor=billing,
                           request_id=request.id or 0).status == "refunded"
    # when the learner adds it to the cart again
    added = _add(session, owner_of(learner), shop, "course", "PY101")
    # then it is for sale to them, while the course they kept is not
    assert added.message == "Course PY101 is in your cart."
    with pytest.raises(DomainError) as err:
        _add(session, owner_of(learner), shop, "course", "SQL101")
    assert err.value.message == "You already own Course SQL101."


# -- money for something already owned: refused before the charge, refunded after ---------


def _grant(session: Session, learner: Actor, course_id: int) -> None:
    """An admin gives the learner the course (a manual enrollment)."""
    session.add(Enrollment(user_id=learner.user_id, course_id=course_id, source="manual",
                           mode="local", status="active"))
    session.commit()


def test_a_payment_for_a_course_owned_meanwhile_is_refused_before_the_charge(
        session: Session, shop, learner: Actor) -> None:  # type: ignore[no-untyped-def]
    _add(session, owner_of(learner), shop, "course", "ML301")
    result = checkout(session=session, actor=learner, request=CheckoutRequest("owned-later"))
    # given the learner was given the course while the checkout page was open
    _grant(session, learner, shop.courses["ML301"])
    # when they pay
    with pytest.raises(DomainError) as err:
        payments.sandbox_pay(session=session, actor=learner, number=result.number,
                             card=GOOD_CARD)
    # then nothing is charged and the order is cancelled, saying why
    assert err.value.code == "already_owned"
    assert err.value.message.startswith("You already own Course ML301, so this order was "
                                         "cancelled before any charge.")
    assert get_processor("sandbox").retrieve_intent(result.intent_id).status.value == "canceled"
    session.expire_all()
    assert session.get(Order, result.order_id).status == "cancelled"  # type: ignore[union-attr]


def test_money_that_arrives_for_an_owned_course_is_refunded_at_once(
        session: Session, shop, learner: Actor) -> None:  # type: ignore[no-untyped-def]
    _add(session, owner_of(learner), shop, "course", "ML301")
    _add(session, owner_of(learner), shop, "course", "SQL101")
    result = checkout(session=session, actor=learner, request=CheckoutRequest("paid-anyway"))
    _grant(session, learner, shop.courses["ML301"])
    # when the processor takes the money anyway (the card was charged in another window)
    # and its webhook arrives
    sandbox = get_processor("sandbox")
    _, event = sandbox.pay(intent_id=result.intent_id, client_secret=None,  # type: ignore[attr-defined]
                           card=GOOD_CARD)
    payments.receive_webhook(session=session, processor="sandbox", body=event.body,
                             headers=event.headers)
    # then the order completes, the course they owned is paid back at once, with a reason
    session.expire_all()
    order = session.get(Order, result.order_id)
    assert order is not None and order.status == "partially_refunded"
    assert order.refunded_amount == 20_000
    request = session.exec(select(RefundRequest).where(
        RefundRequest.order_id == order.id)).one()
    assert (request.source, request.status, request.approved_amount) == ("duplicate",
                                                                          "refunded", 20_000)
    assert request.decided_by_id is None
    assert session.exec(select(func.count()).select_from(SandboxRefund)).one() == 1
    (email,) = _emails(session, "refund-approved")
    assert "$200.00" in email.payload["text"]  # type: ignore[index]
    assert "You already owned Course ML301" in email.payload["text"]  # type: ignore[index]
    audit = [a.action for a in session.exec(select(AuditLog).where(
        AuditLog.entity_type == "refund_request")).all()]
    assert audit == ["refund.requested", "refund.approved", "refund.paid"]
    # and only the course they did not own is registered from this order
    registered = session.exec(select(Registration.course_id).where(
        Registration.order_id == order.id)).all()
    assert registered == [shop.courses["SQL101"]]
    # and the ledger keeps what was kept: SQL101's 8,000
    entries = session.exec(select(LedgerEntry).where(LedgerEntry.order_id == order.id)).all()
    assert sum(e.gross + e.tax for e in entries) == 8_000
