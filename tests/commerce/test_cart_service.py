"""The cart as a learner sees it: lines, refusals, codes, totals, price changes, merge, expiry."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from commerce_dash.domain.actor import Actor
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.errors import DomainError
from commerce_dash.models.commerce import Cart, CartLine
from commerce_dash.models.pricing import DiscountCode
from commerce_dash.services.catalog import pricing
from commerce_dash.services.commerce import cart as cart_service
from commerce_dash.services.commerce.cart_lookups import CartOwner
from commerce_dash.services.commerce.checkout import CheckoutRequest, checkout
from tests.builders import PROGRAM_PRICE, make_code, owner_of, paid_order

pytestmark = pytest.mark.usefixtures("session")



def test_guest_adds_a_course_and_a_program_at_their_prices(session: Session, shop) -> None:  # type: ignore[no-untyped-def]
    guest = CartOwner(user_id=None, token="guest-token-123456")
    cart_service.add_item(session=session, owner=guest, item_type="course",
                          item_id=shop.courses["ML301"])
    cart_service.add_item(session=session, owner=guest, item_type="program",
                          item_id=shop.program_id)
    view = cart_service.view_cart(session=session, owner=guest)
    assert [line.title for line in view.lines] == ["Course ML301", "Python Path"]
    assert [line.amount for line in view.lines] == [20_000, PROGRAM_PRICE]
    assert view.totals.subtotal == 50_000
    assert view.totals.total == 50_000
    assert view.labels["total"] == "$500.00"
    assert cart_service.cart_count(session=session, owner=guest) == 2


def test_duplicates_and_unknown_items_are_refused(session: Session, shop, learner: Actor) -> None:  # type: ignore[no-untyped-def]
    me = owner_of(learner)
    cart_service.add_item(session=session, owner=me, item_type="course",
                          item_id=shop.courses["PY101"])
    with pytest.raises(DomainError) as err:
        cart_service.add_item(session=session, owner=me, item_type="course",
                              item_id=shop.courses["PY101"])
    assert err.value.code == "already_in_cart"
    assert "already in your cart" in err.value.message
    with pytest.raises(DomainError) as err:
        cart_service.add_item(session=session, owner=me, item_type="course", item_id=999_999)
    assert err.value.code == "item_not_found"
    with pytest.raises(DomainError):
        cart_service.add_item(session=session, owner=me, item_type="subscription", item_id=1)


def test_owned_course_and_fully_owned_program_are_refused(session: Session, shop,  # type: ignore[no-untyped-def]
                                                          learner: Actor) -> None:
    me = owner_of(learner)
    for code in ("PY101", "PY201", "SQL101"):
        cart_service.add_item(session=session, owner=me, item_type="course",
                              item_id=shop.courses[code])
    paid_order(session, learner, key="buy-three-courses")
    assert cart_service.view_cart(session=session, owner=me).lines == []
    with pytest.raises(DomainError) as err:
        cart_service.add_item(session=session, owner=me, item_type="course",
                              item_id=shop.courses["PY101"])
    assert err.value.message == "You already own Course PY101."
    with pytest.raises(DomainError) as err:
        cart_service.add_item(session=session, owner=me, item_type="program",
                              item_id=shop.program_id)
    assert err.value.message == "You already own every course of Python Path."


def test_code_is_spread_over_lines_and_can_be_removed(session: Session, shop, super_admin: Actor,  # type: ignore[no-untyped-def]
                                                      learner: Actor) -> None:
    make_code(session, super_admin, "TENOFF", percent=10)
    me = owner_of(learner)
    for code in ("PY101", "SQL101"):
        cart_service.add_item(session=session, owner=me, item_type="course",
                              item_id=shop.courses[code])
    applied = cart_service.apply_code(session=session, owner=me, code=" tenoff ")
    assert applied.total == 1_800
    view = cart_service.view_cart(session=session, owner=me)
    assert view.discount_code == "TENOFF"
    assert [line.discount for line in view.lines] == [1_000, 800]
    assert view.totals.total == 16_200
    cart_service.remove_code(session=session, owner=me)
    assert cart_service.view_cart(session=session, owner=me).totals.discount == 0
    with pytest.raises(DomainError) as err:
        cart_service.apply_code(session=session, owner=me, code="NOPE")
    assert (err.value.code, err.value.message) == (
        "code_invalid", "This code isn't valid, or can no longer be used.")


def test_unknown_and_unusable_codes_read_the_same_and_attempts_are_limited(  # type: ignore[no-untyped-def]
        session: Session, shop, super_admin: Actor, learner: Actor) -> None:
    from commerce_dash.services.catalog import discounts

    # given an expired code, and a cart
    make_code(session, super_admin, "OLD20", percent=20)
    old = session.exec(select(DiscountCode).where(DiscountCode.code == "OLD20")).one()
    discounts.set_code_active(session=session, actor=super_admin, code_id=old.id or 0,
                              active=False)
    me = owner_of(learner)
    cart_service.add_item(session=session, owner=me, item_type="course",
                          item_id=shop.courses["PY101"])
    # when a learner tries an unknown code and the inactive one
    answers = set()
    for code in ("NOPE", "OLD20"):
        with pytest.raises(DomainError) as err:
            cart_service.apply_code(session=session, owner=me, code=code, client_ip="198.51.100.7")
        answers.add((err.value.code, err.value.message))
    # then they read the same: trying codes teaches nothing
    assert answers == {("code_invalid", "This code isn't valid, or can no longer be used.")}
    # and past the limit per cart (10 a minute) the cart is told to wait
    for _ in range(8):
        with pytest.raises(DomainError):
            cart_service.apply_code(session=session, owner=me, code="GUESS", client_ip="198.51.100.7")
    with pytest.raises(DomainError) as err:
        cart_service.apply_code(session=session, owner=me, code="GUESS", client_ip="198.51.100.8")
    assert err.value.code == "rate_limited"


def test_cart_says_when_a_price_changed_since_adding(session: Session, shop, super_admin: Actor,  # type: ignore[no-untyped-def]
                                                     learner: Actor) -> None:
    me = owner_of(learner)
    cart_service.add_item(session=session, owner=me, item_type="course",
                          item_id=shop.courses["PY101"])
    pricing.create_price(session=session, actor=super_admin, item_type="course",
                         item_id=shop.courses["PY101"], price_type="one_time", amount=12_000,
                         currency="USD")
    view = cart_service.view_cart(session=session, owner=me)
    line = view.lines[0]
    assert (line.added_amount, line.amount) == (10_000, 12_000)
    assert line.note == "Price went up since you added it: was $100.00, now $120.00."
    assert view.totals.total == 12_000


def test_guest_cart_merges_at_sign_in_dropping_duplicates_and_owned(  # type: ignore[no-untyped-def]
    session: Session, shop, learner: Actor
) -> None:
    me = owner_of(learner)
    cart_service.add_item(session=session, owner=me, item_type="course",
                          item_id=shop.courses["ML301"])
    paid_order(session, learner, key="buy-ml301-first")
    cart_service.add_item(session=session, owner=me, item_type="course",
                          item_id=shop.courses["SQL101"])
    guest = CartOwner(user_id=None, token="guest-merge-token")
    for code in ("ML301", "SQL101", "PY101"):
        cart_service.add_item(session=session, owner=guest, item_type="course",
                              item_id=shop.courses[code])
    result = cart_service.merge_guest_cart(session=session, token=guest.token,
                                           user_id=learner.user_id)
    assert result.moved == 1
    assert result.messages == [
        "You already own Course ML301. It was taken out of your cart.",
        "Course SQL101 was already in your cart.",
    ]
    view = cart_service.view_cart(session=session, owner=me)
    assert sorted(line.title for line in view.lines) == ["Course PY101", "Course SQL101"]
    assert session.exec(select(Cart).where(Cart.token == guest.token)).first() is None


def test_expiry_job_keeps_carts_with_a_payment_in_flight(session: Session, shop,  # type: ignore[no-untyped-def]
                                                         learner: Actor) -> None:
    guest = CartOwner(user_id=None, token="old-guest-cart-1")
    cart_service.add_item(session=session, owner=guest, item_type="course",
                          item_id=shop.courses["PY101"])
    me = owner_of(learner)
    cart_service.add_item(session=session, owner=me, item_type="course",
                          item_id=shop.courses["PY201"])
    checkout(session=session, actor=learner, request=CheckoutRequest("in-flight-key"))
    later = utcnow() + timedelta(days=30)
    assert cart_service.expire_carts(session=session, now=later) == 1
    remaining = session.exec(select(Cart)).all()
    assert [c.user_id for c in remaining] == [learner.user_id]
    assert len(session.exec(select(CartLine)).all()) == 1
