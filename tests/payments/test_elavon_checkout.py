"""Checkout paid through Elavon Converge: the Lightbox's session token asked server side, the
sale read back from Converge before the order completes, declines recorded from the attempt
(Converge sends no webhooks), the janitor finding a sale the page never reported, and
refunds (a void before settlement, returns after)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from commerce_dash.domain.actor import Actor
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.errors import DomainError
from commerce_dash.models.commerce import Order, Payment
from commerce_dash.models.revenue import LedgerEntry
from commerce_dash.payments.base import IntentStatus
from commerce_dash.payments.factory import reset_processors
from commerce_dash.services.commerce import payments, refunds
from commerce_dash.services.commerce.checkout_views import CheckoutResult
from commerce_dash.settings import get_settings
from tests.builders import a_course, a_department, checked_out, number_of
from tests.payments.elavon_fake import APPROVE_CARD, DECLINE_CARD, ElavonFake

MERCHANT, USER, PIN = "009001", "apiuser", "PIN123456789"
PRICE, OTHER = 19_999, 5_001


@dataclass
class Shop:
    fake: ElavonFake
    course_id: int
    other_course_id: int


@pytest.fixture
def elavon_shop(session: Session, super_admin: Actor, monkeypatch: pytest.MonkeyPatch
                ) -> Iterator[Shop]:
    with ElavonFake(MERCHANT, USER, PIN) as fake:
        monkeypatch.setenv("COMMERCE_PROCESSOR_BY_DEPARTMENT", json.dumps({"ELV": "elavon"}))
        monkeypatch.setenv("COMMERCE_ELAVON_MERCHANT_ID", MERCHANT)
        monkeypatch.setenv("COMMERCE_ELAVON_USER_ID", USER)
        monkeypatch.setenv("COMMERCE_ELAVON_PIN", PIN)
        monkeypatch.setenv("COMMERCE_ELAVON_API_HOST", fake.base_url)
        get_settings.cache_clear()
        reset_processors()
        dept = a_department(session, super_admin, "ELV", name="Elavon School")
        course = a_course(session, super_admin, "ELV-101", department_id=dept, price=PRICE)
        other = a_course(session, super_admin, "ELV-102", department_id=dept, price=OTHER)
        try:
            yield Shop(fake, course, other)
        finally:
            get_settings.cache_clear()
            reset_processors()


def _fresh(session: Session, order_id: int) -> tuple[Order, Payment]:
    session.expire_all()
    order = session.get(Order, order_id)
    assert order is not None
    return order, session.exec(select(Payment).where(Payment.order_id == order_id)).one()


def _lightbox(session: Session, learner: Actor, shop: Shop, result: CheckoutResult,
              card: str) -> dict[str, str]:
    """The page asks for a session token; the learner pays in the Lightbox."""
    started = payments.hosted_checkout_start(session=session, actor=learner,
                                             number=result.number)
    answer = shop.fake.pay(started["token"], card)
    return {"ssl_txn_id": answer["response"]["ssl_txn_id"]}


def test_an_approved_sale_read_back_from_converge_completes_the_order(
    session: Session, learner: Actor, elavon_shop: Shop
) -> None:
    result = checked_out(session, learner, ("course", elavon_shop.course_id))
    token = next(iter(elavon_shop.fake.tokens), None)
    assert token is None  # no token until the learner presses Pay
    fields = _lightbox(session, learner, elavon_shop, result, APPROVE_CARD)
    session_form = next(iter(elavon_shop.fake.tokens.values()))["form"]
    assert (session_form["ssl_amount"], session_form["ssl_invoice_number"]) == \
        ("199.99", f"order-{result.order_id}-intent")

    answer = payments.hosted_checkout_pay(session=session, actor=learner,
                                          number=result.number, fields=fields)

    assert answer.status is IntentStatus.SUCCEEDED
    order, payment = _fresh(session, result.order_id)
    assert (order.status, payment.status) == ("completed", "succeeded")
    sales = session.exec(select(LedgerEntry).where(LedgerEntry.order_id == order.id)).all()
    assert [s.fee_source for s in sales] == ["estimate"]  # Converge reports no fee


def test_a_made_up_transaction_is_refused_and_a_decline_is_recorded_once(
    session: Session, learner: Actor, elavon_shop: Shop
) -> None:
    result = checked_out(session, learner, ("course", elavon_shop.course_id))
    with pytest.raises(DomainError) as forged:
        payments.hosted_checkout_pay(session=session, actor=learner, number=result.number,
                                     fields={"ssl_txn_id": "999999-FAKE"})
    assert forged.value.code == "payment_mismatch"

    fields = _lightbox(session, learner, elavon_shop, result, DECLINE_CARD)
    declined = payments.hosted_checkout_pay(session=session, actor=learner,
                                            number=result.number, fields=fields)

    assert declined.status is IntentStatus.FAILED
    order, payment = _fresh(session, result.order_id)
    assert (order.status, payment.status, payment.attempts_failed) == ("pending", "failed", 1)
    payment.updated_at = utcnow() - timedelta(hours=1)
    session.add(payment)
    session.commit()
    payments.janitor(session=session)  # the janitor never counts the decline again
    _, payment = _fresh(session, result.order_id)
    assert payment.attempts_failed == 1


def test_the_janitor_finds_a_sale_the_page_never_reported(
    session: Session, learner: Actor, elavon_shop: Shop
) -> None:
    result = checked_out(session, learner, ("course", elavon_shop.course_id))
    _lightbox(session, learner, elavon_shop, result, APPROVE_CARD)  # then the tab closed
    reset_processors()  # another worker: nothing remembered of the sale
    _, payment = _fresh(session, result.order_id)
    payment.updated_at = utcnow() - timedelta(hours=1)
    session.add(payment)
    session.commit()

    assert payments.janitor(session=session)["settled"] == 1

    order, payment = _fresh(session, result.order_id)
    assert (order.status, payment.status) == ("completed", "succeeded")


def test_refunds_void_an_unsettled_sale_and_return_a_settled_one_in_parts(
    session: Session, learner: Actor, super_admin: Actor, elavon_shop: Shop
) -> None:
    voided = checked_out(session, learner, ("course", elavon_shop.course_id))
    payments.hosted_checkout_pay(session=session, actor=learner, number=voided.number,
                                 fields=_lightbox(session, learner, elavon_shop, voided,
                                                  APPROVE_CARD))
    order, _ = _fresh(session, voided.order_id)
    whole = refunds.request_refund(session=session, actor=learner, number=number_of(order),
                                   reason="Changed my mind today")
    refunds.approve(session=session, actor=super_admin, request_id=whole.id or 0)
    order, payment = _fresh(session, voided.order_id)
    assert order.status == "refunded" and payment.refunded_amount == PRICE

    result = checked_out(session, learner, ("course", elavon_shop.other_course_id))
    payments.hosted_checkout_pay(session=session, actor=learner, number=result.number,
                                 fields=_lightbox(session, learner, elavon_shop, result,
                                                  APPROVE_CARD))
    elavon_shop.fake.settle_all()
    order, _ = _fresh(session, result.order_id)
    number = number_of(order)
    part = refunds.request_refund(session=session, actor=learner, number=number,
                                  reason="Part of the order please", amount=1_000)
    refunds.approve(session=session, actor=super_admin, request_id=part.id or 0)
    rest = refunds.request_refund(session=session, actor=learner, number=number,
                                  reason="The rest of the order")
    refunds.approve(session=session, actor=super_admin, request_id=rest.id or 0)

    order, payment = _fresh(session, result.order_id)
    assert order.status == "refunded" and payment.refunded_amount == OTHER
    returns = [t for t in elavon_shop.fake.txns.values()
               if t["ssl_transaction_type"].upper() in ("RETURN", "CCRETURN")]
    assert sorted(t["ssl_amount"] for t in returns) == ["10.00", "40.01"]
