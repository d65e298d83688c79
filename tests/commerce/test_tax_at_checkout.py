"""Issue 19: tax at checkout (the billing address tax needs, prefilled from the last order; the
tax line from the cart on; the receipt's tax by rate), the rate table serving when TaxJar does
not answer (the order says which source priced its tax), and the payment-review hold counting
only the processor's declines (typos do not count) and saying how it is lifted."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from pydantic import SecretStr
from sqlmodel import Session, select

from commerce_dash.domain.actor import Actor
from commerce_dash.domain.errors import DomainError
from commerce_dash.models.commerce import Order, Payment, PaymentReview
from commerce_dash.payments.sandbox import CardInput
from commerce_dash.services.commerce import cart as cart_service
from commerce_dash.services.commerce import payments
from commerce_dash.services.commerce import tax as tax_service
from commerce_dash.services.commerce.checkout import CheckoutRequest, checkout
from commerce_dash.services.commerce.order_receipts import order_detail
from commerce_dash.settings import get_settings
from tests.builders import owner_of

GOOD = CardInput("4242 4242 4242 4242", 12, 2040, "123")
DECLINED = CardInput("4000000000000002", 12, 2040, "123")
TYPO = CardInput("4242 4242 4242 4241", 12, 2040, "123")  # fails the Luhn check


def _rate(
    session: Session, admin: Actor, country: str, region: str, percent: str, label: str
) -> None:
    tax_service.upsert_tax_rate(
        session=session,
        actor=admin,
        country=country,
        region=region,
        department_id=None,
        rate_text=percent,
        label=label,
    )


def _fill(session: Session, actor: Actor, shop, *codes: str) -> None:  # type: ignore[no-untyped-def]
    for code in codes:
        cart_service.add_item(
            session=session, owner=owner_of(actor), item_type="course", item_id=shop.courses[code]
        )


@pytest.fixture
def taxjar_down(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """TaxJar is the configured provider, and nothing answers at its address."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("COMMERCE_TAX_PROVIDER", "taxjar")
    monkeypatch.setenv("COMMERCE_TAXJAR_API_KEY", "tj-test-key")
    monkeypatch.setenv("COMMERCE_TAXJAR_API_URL", f"http://127.0.0.1:{port}")
    get_settings.cache_clear()
    assert get_settings().taxjar_api_key == SecretStr("tj-test-key")
    tax_service._taxjar_resting_until.clear()
    yield
    tax_service._taxjar_resting_until.clear()
    get_settings.cache_clear()


# -- the address tax needs ---------------------------------------------------------------------


def test_checkout_asks_for_the_country_and_state_then_shows_and_charges_the_tax(  # type: ignore[no-untyped-def]
    session: Session, shop, super_admin: Actor, learner: Actor
) -> None:
    _rate(session, super_admin, "US", "NY", "8.875", "Sales tax")
    _rate(session, super_admin, "DE", "", "19", "VAT")
    _fill(session, learner, shop, "PY101")
    owner = owner_of(learner)

    view = cart_service.view_cart(session=session, owner=owner)
    assert view.billing_errors == {
        "billing_country": "Choose your billing country: the tax depends on it."
    }
    assert (view.can_check_out, view.ready_to_pay, view.tax_source) == (True, False, "none")
    with pytest.raises(DomainError) as err:
        checkout(
            session=session,
            actor=learner,
            request=CheckoutRequest("tax-need-01", require_billing=True),
        )
    assert (err.value.code, err.value.field) == ("billing_address_required", "billing_country")

    # the United States: the state too
    cart_service.set_preferences(session=session, owner=owner, billing_country="US")
    view = cart_service.view_cart(session=session, owner=owner)
    assert view.billing_errors == {
        "billing_region": "Enter your state (e.g. NY): the tax depends on it."
    }
    cart_service.set_preferences(session=session, owner=owner, billing_region="NY")
    view = cart_service.view_cart(session=session, owner=owner)
    assert view.billing_errors == {} and view.ready_to_pay
    # the tax line from the cart on: PY101 is 100.00, 8.875 % is 8.88 (half up)
    assert (view.totals.tax, view.tax_label, view.labels["tax"], view.labels["total"]) == (
        888,
        "Sales tax 8.875% (US-NY)",
        "$8.88",
        "$108.88",
    )
    assert (view.tax_source, view.tax_by_rate) == ("table", (("Sales tax 8.875% (US-NY)", 888),))

    result = checkout(
        session=session,
        actor=learner,
        request=CheckoutRequest(
            "tax-need-02", require_billing=True, expected_total=view.totals.total
        ),
    )
    assert result.total == 10_888
    order = session.get(Order, result.order_id)
    assert order is not None
    assert (order.tax_amount, order.tax_source, order.tax_provider) == (888, "table", "manual")
    assert order.tax_breakdown == [{"label": "Sales tax 8.875% (US-NY)", "amount": 888}]
    payments.sandbox_pay(session=session, actor=learner, number=result.number, card=GOOD)
    session.expire_all()

    # the receipt shows the tax by rate, and the learner paid exactly that
    detail = order_detail(session=session, user_id=learner.user_id, number=result.number)
    assert detail.tax_rates == [("Sales tax 8.875% (US-NY)", "$8.88")]
    paid = session.exec(select(Payment).where(Payment.order_id == result.order_id)).one()
    assert (paid.status, paid.amount) == ("succeeded", 10_888)

    # a new cart (this one expired: its address is gone) is prefilled from that order
    cart_service.set_preferences(
        session=session, owner=owner, billing_country="", billing_region=""
    )
    _fill(session, learner, shop, "SQL101")
    again = cart_service.view_cart(session=session, owner=owner)
    assert (again.billing, again.billing_prefilled, again.billing_errors) == (
        ("US", "NY", ""),
        True,
        {},
    )
    assert again.totals.tax == 710  # 8.875 % of 80.00


def test_a_country_without_regional_rates_needs_no_region(  # type: ignore[no-untyped-def]
    session: Session, shop, super_admin: Actor, learner: Actor
) -> None:
    _rate(session, super_admin, "DE", "", "19", "VAT")
    _fill(session, learner, shop, "PY101")
    cart_service.set_preferences(session=session, owner=owner_of(learner), billing_country="DE")
    view = cart_service.view_cart(session=session, owner=owner_of(learner))
    assert view.billing_errors == {} and view.totals.tax == 1900
    assert view.tax_by_rate == (("VAT 19% (DE)", 1900),)


def test_without_any_tax_set_up_nothing_is_asked(
    session: Session,
    shop,  # type: ignore[no-untyped-def]
    learner: Actor,
) -> None:
    _fill(session, learner, shop, "PY101")
    view = cart_service.view_cart(session=session, owner=owner_of(learner))
    assert view.billing_errors == {} and view.ready_to_pay


# -- TaxJar down: the rate table serves ----------------------------------------------------------


def test_taxjar_down_the_table_serves_and_the_order_says_so(  # type: ignore[no-untyped-def]
    session: Session, shop, super_admin: Actor, learner: Actor, taxjar_down: None
) -> None:
    _rate(session, super_admin, "US", "NY", "8.875", "Sales tax")
    _fill(session, learner, shop, "PY101")
    owner = owner_of(learner)
    cart_service.set_preferences(
        session=session, owner=owner, billing_country="US", billing_region="NY"
    )
    view = cart_service.view_cart(session=session, owner=owner)  # no refusal: the table
    assert (view.totals.tax, view.tax_source, view.tax_fallback, view.tax_provider) == (
        888,
        "table",
        True,
        "taxjar",
    )
    result = checkout(
        session=session,
        actor=learner,
        request=CheckoutRequest(
            "taxjar-down-1", require_billing=True, expected_total=view.totals.total
        ),
    )
    order = session.get(Order, result.order_id)
    assert order is not None
    assert (order.tax_amount, order.tax_source, order.tax_provider) == (888, "table", "taxjar")
    assert result.total == 10_888


def test_taxjar_refusing_the_address_is_still_the_learners_to_fix(  # type: ignore[no-untyped-def]
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    from commerce_dash.domain.tax import TaxableLine, TaxAddress
    from commerce_dash.services.commerce.taxjar_provider import TaxJarProvider

    def refuse(self, request):  # type: ignore[no-untyped-def]
        raise DomainError("tax_address_invalid", "Check the postal code.", field="postal_code")

    monkeypatch.setattr(TaxJarProvider, "quote", refuse)
    provider = TaxJarProvider(get_settings())
    with pytest.raises(DomainError) as err:
        tax_service.price_tax(
            session=session,
            lines=[TaxableLine("a", "course", None, 100)],
            currency="USD",
            address=TaxAddress("US", "NY", "99999"),
            user_id=None,
            user_email=None,
            provider=provider,
        )
    assert err.value.code == "tax_address_invalid"


# -- the payment-review hold ----------------------------------------------------------------------


def test_three_declines_and_two_typos_do_not_put_the_learner_on_hold(  # type: ignore[no-untyped-def]
    session: Session, shop, learner: Actor
) -> None:
    assert get_settings().payment_failures_for_review == 5
    _fill(session, learner, shop, "PY101")
    result = checkout(session=session, actor=learner, request=CheckoutRequest("hold-typo-01"))
    for card in (DECLINED, TYPO, DECLINED, TYPO, DECLINED):
        payments.sandbox_pay(session=session, actor=learner, number=result.number, card=card)
    session.expire_all()
    payment = session.exec(select(Payment).where(Payment.order_id == result.order_id)).one()
    assert (payment.attempts_failed, payment.declines) == (5, 3)
    assert session.get(PaymentReview, learner.user_id) is None
    view = cart_service.view_cart(session=session, owner=owner_of(learner))
    assert view.review_hold == "" and view.can_check_out
    payments.sandbox_pay(session=session, actor=learner, number=result.number, card=GOOD)
    session.expire_all()
    order = session.get(Order, result.order_id)
    assert order is not None and order.status == "completed"


def test_five_declines_hold_and_the_cart_says_why_and_how_it_is_lifted(  # type: ignore[no-untyped-def]
    session: Session, shop, learner: Actor, billing: Actor
) -> None:
    _fill(session, learner, shop, "PY101")
    result = checkout(session=session, actor=learner, request=CheckoutRequest("hold-five-01"))
    for _ in range(5):
        payments.sandbox_pay(session=session, actor=learner, number=result.number, card=DECLINED)
    session.expire_all()
    review = session.get(PaymentReview, learner.user_id)
    assert review is not None and review.reason == "5 declined payments within 24 hours"
    view = cart_service.view_cart(session=session, owner=owner_of(learner))
    assert not view.can_check_out
    assert view.review_hold.startswith("Checkout is paused: your account is being reviewed")
    assert "does not lift by waiting" in view.review_hold
    # a billing admin clears it: the cart can check out again
    from commerce_dash.services.commerce.orders import clear_review

    clear_review(session=session, actor=billing, user_id=learner.user_id, note="Talked to Lee")
    view = cart_service.view_cart(session=session, owner=owner_of(learner))
    assert view.review_hold == "" and view.can_check_out
