"""The purchase, in the prod build: guest cart, sign-in merge, a code, sandbox and Stripe
(localstripe) payments with and without 3-D Secure, and the confirmation email over SMTP."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.checkout_steps import ORDER_URL
from tests.e2e.checkout_steps import fill_localstripe_card as _fill_localstripe_card
from tests.e2e.checkout_steps import pay_with_sandbox_card as _pay_with_sandbox_card
from tests.e2e.conftest import (
    LEARNER_PASSWORD,
    UI_TIMEOUT_MS,
    AppServer,
    NewPage,
    choose_billing_country,
    mail_to,
    register_learner,
    sign_in,
    text_of,
)

pytestmark = pytest.mark.e2e
PASSWORD = LEARNER_PASSWORD


def _register(app: AppServer, name: str) -> tuple[str, str]:
    return register_learner(app, name, PASSWORD)


def _api_add(app: AppServer, token: str, kind: str, code: str) -> None:
    listing = httpx.get(app.url(f"/api/v2/catalog/{kind}s/{code}"), timeout=30)
    assert listing.status_code == 200, listing.text
    item_id = listing.json()["id"]
    added = httpx.post(app.url("/api/v2/cart/items"), timeout=30,
                       headers={"Authorization": f"Bearer {token}"},
                       json={"item_type": kind, "item_id": item_id})
    assert added.status_code == 201, added.text


_mail_to = mail_to
_text_of = text_of


def test_guest_cart_merges_at_sign_in_and_a_sandbox_payment_completes_the_order(
    new_page: NewPage, app_server: AppServer
) -> None:
    # given a learner whose cart already holds a course, and a visitor (the same person,
    # signed out) who adds a program and that course to a guest cart
    address, token = _register(app_server, "merge")
    _api_add(app_server, token, "course", "BUS-101")
    page = new_page()
    page.goto("/store/program/P-PYDEV")
    page.locator("#add-to-cart").click()
    expect(page.locator("#cart-count")).to_have_text("1")
    page.goto("/store/course/BUS-101")
    page.locator("#add-to-cart").click()
    expect(page.locator("#cart-count")).to_have_text("2")

    # when they sign in, the guest cart joins theirs and the duplicate is dropped with a note
    sign_in(page, address, PASSWORD)
    expect(page.get_by_text("was already in your cart")).to_be_visible()
    page.goto("/cart")
    lines = page.locator(".cart-line")
    expect(lines).to_have_count(2)
    expect(page.locator("#cart-lines")).to_contain_text("Professional Python Developer")

    # and they apply a code, see the discount, and check out
    total_before = page.locator("#cart-total").inner_text()
    page.locator("#discount-code").fill("welcome10")
    page.locator("#apply-code").click()
    expect(page.locator("#applied-code")).to_have_text("WELCOME10")
    expect(page.locator("#cart-discount")).to_be_visible()
    expect(page.locator("#cart-total")).not_to_have_text(total_before)
    total = page.locator("#cart-total").inner_text()
    choose_billing_country(page)
    page.locator("#checkout").click()
    page.wait_for_url(ORDER_URL, timeout=UI_TIMEOUT_MS)
    number = ORDER_URL.search(page.url).group(1)  # type: ignore[union-attr]
    expect(page.locator("#checkout-total")).to_have_text(total)

    # a declined card shows the processor's reason; the test card then pays
    _pay_with_sandbox_card(page, "4000000000000002")
    expect(page.locator("#payment-error")).to_contain_text("Your card was declined.")
    _pay_with_sandbox_card(page, "4242 4242 4242 4242")

    # then the order is complete, the cart is empty, and the confirmation arrives by SMTP
    expect(page.locator("#order-complete")).to_be_visible()
    expect(page.locator("#cart-count")).to_have_count(0)
    declined = _mail_to(app_server, address, f"order {number} did not go through")
    assert "Your card was declined." in _text_of(declined)
    confirmation = _mail_to(app_server, address, f"order {number} is confirmed")
    body = _text_of(confirmation)
    assert "Professional Python Developer" in body and total in body
    page.goto(f"/account/orders/{number}")
    expect(page.get_by_text(number).first).to_be_visible()
    expect(page.get_by_text("WELCOME10").first).to_be_visible()


def test_sandbox_three_d_secure_challenge(new_page: NewPage, app_server: AppServer) -> None:
    address, token = _register(app_server, "threeds")
    _api_add(app_server, token, "course", "ENG-110")
    page = new_page()
    sign_in(page, address, PASSWORD)
    page.goto("/cart")
    choose_billing_country(page)
    page.locator("#checkout").click()
    page.wait_for_url(ORDER_URL, timeout=UI_TIMEOUT_MS)
    _pay_with_sandbox_card(page, "4000 0025 0000 3155")
    # the "bank" asks for approval on its own page
    page.wait_for_url(re.compile(r"/sandbox/3ds/sbpi_"), timeout=UI_TIMEOUT_MS)
    page.locator("#approve-3ds").click()
    page.wait_for_url(ORDER_URL, timeout=UI_TIMEOUT_MS)
    expect(page.locator("#order-complete")).to_be_visible()


def _stripe_checkout(new_page: NewPage, app_server: AppServer, name: str,
                     course: str) -> tuple[Page, str, str]:
    # HLT is paid through Stripe (localstripe here); Stripe.js comes from the configured URL
    address, token = _register(app_server, name)
    _api_add(app_server, token, "course", course)
    page = new_page()
    sign_in(page, address, PASSWORD)
    page.goto("/cart")
    choose_billing_country(page)
    page.locator("#checkout").click()
    page.wait_for_url(ORDER_URL, timeout=UI_TIMEOUT_MS)
    number = ORDER_URL.search(page.url).group(1)  # type: ignore[union-attr]
    expect(page.locator("#card-element input[placeholder=number]")).to_be_visible()
    return page, address, number


def test_stripe_card_needing_3d_secure_through_the_real_page(
    new_page: NewPage, app_server: AppServer
) -> None:
    page, address, number = _stripe_checkout(new_page, app_server, "stripe3ds", "HLT-101")
    _fill_localstripe_card(page, "4000002500003155")
    expect(page.locator("#pay")).to_be_enabled()
    page.locator("#pay").click()
    # Stripe.js opens the bank's challenge; the learner completes it
    page.get_by_role("button", name="Complete authentication").click()
    expect(page.locator("#order-complete")).to_be_visible()
    _mail_to(app_server, address, f"order {number} is confirmed")


def test_stripe_decline_shows_the_processors_reason(new_page: NewPage,
                                                    app_server: AppServer) -> None:
    page, _address, _number = _stripe_checkout(new_page, app_server, "stripeno", "HLT-120")
    _fill_localstripe_card(page, "4000000000000341")
    page.locator("#pay").click()
    expect(page.locator("#payment-error")).to_contain_text("Your card was declined.")
    expect(page.locator("#order-complete")).to_have_count(0)


def test_stripe_plain_card_succeeds(new_page: NewPage, app_server: AppServer) -> None:
    page, address, number = _stripe_checkout(new_page, app_server, "stripeok", "HLT-110")
    _fill_localstripe_card(page, "4242424242424242")
    page.locator("#pay").click()
    expect(page.locator("#order-complete")).to_be_visible()
    _mail_to(app_server, address, f"order {number} is confirmed")


def test_google_pay_through_stripes_payment_request_button(
    new_page: NewPage, app_server: AppServer
) -> None:
    # a browser with Google Pay (localstripe's Stripe.js gains Stripe's Payment Request
    # Button in the tests): the wallet's button beside the card field pays the order
    page, _address, number = _stripe_checkout(new_page, app_server, "stripegpay", "HLT-130")
    wallet = page.locator("#stripe-wallet").get_by_role("button", name="Google Pay")
    expect(wallet).to_be_visible()

    wallet.click()

    expect(page.locator("#order-complete")).to_be_visible()
    assert page.evaluate("window.__walletCompleted") == "success"  # the sheet was closed
    page.goto(f"/account/orders/{number}")
    expect(page.get_by_text("Completed").first).to_be_visible()
