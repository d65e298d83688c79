"""Prices in other currencies are honoured end to end (ADR-003): a learner who views in JPY
sees the same amount in the catalog, on the course page, in the cart, at checkout and on the
receipt, is charged in JPY, and the books keep the settlement worth in USD. On SQLite and on
PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, func, select

from commerce_dash.domain.actor import Actor
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.paging import PageRequest
from commerce_dash.models.commerce import Order, OrderLine, SandboxIntent
from commerce_dash.models.revenue import LedgerEntry
from commerce_dash.services.catalog import catalog, fx, pricing
from commerce_dash.services.commerce import cart as cart_service
from commerce_dash.services.commerce import orders, payments, refunds
from commerce_dash.services.commerce.checkout import CheckoutRequest, checkout
from commerce_dash.services.revenue.revenue_reconciliation import reconciliation
from tests.builders import GOOD_CARD, build_shop, number_of, owner_of
from tests.conftest import create_user

pytestmark = pytest.mark.usefixtures("both_databases")


@pytest.fixture
def shop(session: Session, super_admin: Actor):  # type: ignore[no-untyped-def]
    # given a shop priced in USD, PY101 also priced ¥4,980, and 1 USD = 151.37 JPY
    shop = build_shop(session, super_admin)
    fx.set_rate(session=session, actor=super_admin, quote="JPY", rate_text="151.37",
                effective_at=utcnow() - timedelta(minutes=1))
    fx.set_rate(session=session, actor=super_admin, quote="GBP", rate_text="0.79",
                effective_at=utcnow() - timedelta(minutes=1))
    pricing.create_price(session=session, actor=super_admin, item_type="course",
                         item_id=shop.courses["PY101"], price_type="one_time", amount=4_980,
                         currency="JPY")
    return shop


def _in_jpy(session: Session, learner: Actor, shop, *codes: str) -> None:  # type: ignore[no-untyped-def]
    me = owner_of(learner)
    cart_service.set_preferences(session=session, owner=me, display_currency="JPY")
    for code in codes:
        cart_service.add_item(session=session, owner=me, item_type="course",
                              item_id=shop.courses[code])


def test_the_catalog_course_page_and_cart_show_the_jpy_price_list(
        session: Session, shop, learner: Actor) -> None:  # type: ignore[no-untyped-def]
    # when the catalog is viewed in JPY
    cards = {c.code: c for c in catalog.browse(
        session=session, query=catalog.CatalogQuery(currency="JPY", kind="course"),
        page=PageRequest(1, 50)).items}
    # then PY101 shows its own price and ML301 ($200.00, no JPY price) its converted one
    assert (cards["SHOP-PY101"].price_label, cards["SHOP-PY101"].converted_from) == ("¥4,980",
                                                                                    "")
    assert (cards["SHOP-ML301"].price_label, cards["SHOP-ML301"].converted_from) == (
        "¥30,274", "$200.00")
    page = catalog.course_detail(session=session, code="SHOP-PY101", currency="JPY")
    assert page.price is not None and page.price.label == "¥4,980"
    # and the cart shows the very same amounts, and says which rate converted ML301
    _in_jpy(session, learner, shop, "PY101", "ML301")
    view = cart_service.view_cart(session=session, owner=owner_of(learner))
    assert view.currency == "JPY"
    assert [(line.code, line.amount_label) for line in view.lines] == [
        ("SHOP-PY101", "¥4,980"), ("SHOP-ML301", "¥30,274")]
    assert view.lines[1].note == ("Converted from $200.00 at 1 USD = 151.37 JPY: it has no "
                                  "JPY price.")
    assert view.labels["total"] == "¥35,254"
    assert cart_service.currency_note(view) == (
        "You are charged ¥35,254 (JPY). Items without a JPY price are converted from USD at "
        "1 USD = 151.37 JPY.")


def test_an_order_in_jpy_is_charged_in_jpy_and_booked_at_its_usd_worth(
        session: Session, shop, learner: Actor, super_admin: Actor) -> None:  # type: ignore[no-untyped-def]
    _in_jpy(session, learner, shop, "PY101", "ML301")
    # when the learner checks out and pays
    result = checkout(session=session, actor=learner, request=CheckoutRequest("yen-order-1"))
    assert (result.currency, result.total, result.total_label) == ("JPY", 35_254, "¥35,254")
    intent = session.exec(select(SandboxIntent)).one()
    assert (intent.currency, intent.amount) == ("JPY", 35_254)
    payments.sandbox_pay(session=session, actor=learner, number=result.number, card=GOOD_CARD)
    session.expire_all()
    # then the receipt shows what was charged and what it is worth in USD
    detail = orders.order_detail(session=session, number=result.number,
                                 user_id=learner.user_id)
    assert (detail.status, detail.total_label) == ("completed", "¥35,254")
    assert [line.total_label for line in detail.lines] == ["¥4,980", "¥30,274"]
    # 35,254 / 151.37 = 232.899... dollars
    assert detail.settlement_label == "Charged in JPY: worth $232.90 at 1 USD = 151.37 JPY."
    order = session.get(Order, result.order_id)
    assert order is not None and (order.settlement_currency, order.settlement_total) == (
        "USD", 23_290)
    # and the ledger holds exactly that worth, in USD
    entries = session.exec(select(LedgerEntry).where(LedgerEntry.order_id == order.id)).all()
    assert {e.currency for e in entries} == {"USD"}
    assert sum(e.gross + e.tax for e in entries) == 23_290
    today = utcnow().date()
    assert reconciliation(session=session, actor=super_admin, start=today, end=today).reconciles

    # when PY101's line is refunded in yen, then the rest
    billing = create_user(session, "bill@example.com", grants=super_admin.grants)
    line = session.exec(select(OrderLine).where(OrderLine.order_id == order.id,
                                                OrderLine.item_id == shop.courses["PY101"])).one()
    first = refunds.request_refund(session=session, actor=learner, number=number_of(order),
                                   reason="Wrong course, sorry about it.",
                                   lines=[refunds.LineRefund(line.id or 0, 4_980)])
    refunds.approve(session=session, actor=billing, request_id=first.id or 0)
    rest = refunds.request_refund(session=session, actor=learner, number=number_of(order),
                                  reason="The other one too, please.")
    assert rest.amount == 30_274
    refunds.approve(session=session, actor=billing, request_id=rest.id or 0)
    # then the yen go back and the ledger returns exactly to zero in USD
    session.expire_all()
    refunded = session.get(Order, order.id)
    assert refunded is not None and (refunded.status, refunded.refunded_amount) == (
        "refunded", 35_254)
    total = session.exec(select(func.sum(LedgerEntry.gross + LedgerEntry.tax)).where(
        LedgerEntry.order_id == order.id)).one()
    assert total == 0
    assert reconciliation(session=session, actor=super_admin, start=today, end=today).reconciles


def test_a_currency_without_a_price_list_is_shown_converted_and_charged_in_usd(
        session: Session, shop, learner: Actor) -> None:  # type: ignore[no-untyped-def]
    me = owner_of(learner)
    cart_service.set_preferences(session=session, owner=me, display_currency="GBP")
    cart_service.add_item(session=session, owner=me, item_type="course",
                          item_id=shop.courses["PY101"])
    view = cart_service.view_cart(session=session, owner=me)
    assert (view.currency, view.display_currency, view.labels["total"]) == ("USD", "GBP",
                                                                            "$100.00")
    assert view.labels["display_total"] == "£79.00"
    assert cart_service.currency_note(view) == ("≈ £79.00 at 1 USD = 0.79 GBP; you are charged "
                                                "$100.00 (USD).")
    result = checkout(session=session, actor=learner, request=CheckoutRequest("pounds-shown"))
    assert (result.currency, result.total) == ("USD", 10_000)
