"""Razorpay in the prod build: the checkout page loads Razorpay Checkout (from the loopback
fake, as settings name it), a failed attempt is explained, and UPI pays; the server checks
Checkout's signature before the page says paid, and the webhooks change nothing after."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.checkout_steps import ORDER_URL
from tests.e2e.conftest import (
    LEARNER_PASSWORD,
    MOBILE,
    UI_TIMEOUT_MS,
    AppServer,
    NewPage,
    choose_billing_country,
    mail_to,
    register_learner,
    scroll_width,
    serious_axe_violations,
    sign_in,
)
from tests.payments.razorpay_fake import RazorpayFake

pytestmark = pytest.mark.e2e

COURSE = "DS-201"  # the Data Science Lab pays through Razorpay in the e2e app


def test_a_learner_pays_with_upi_in_razorpay_checkout_after_a_declined_card(
    new_page: NewPage, app_server: AppServer, razorpay_fake: RazorpayFake
) -> None:
    address, token = register_learner(app_server, "Ravi Razorpay", LEARNER_PASSWORD)
    listing = httpx.get(app_server.url(f"/api/v2/catalog/courses/{COURSE}"), timeout=30)
    added = httpx.post(app_server.url("/api/v2/cart/items"), timeout=30,
                       headers={"Authorization": f"Bearer {token}"},
                       json={"item_type": "course", "item_id": listing.json()["id"]})
    assert added.status_code == 201, added.text
    page = new_page(MOBILE)
    sign_in(page, address, LEARNER_PASSWORD)
    page.goto("/cart")
    choose_billing_country(page)
    page.locator("#checkout").click()
    page.wait_for_url(ORDER_URL, timeout=UI_TIMEOUT_MS)
    number = ORDER_URL.search(page.url).group(1)  # type: ignore[union-attr]
    total = page.locator("#checkout-total").inner_text()
    pay = page.locator("#pay")
    expect(pay).to_contain_text(total)
    expect(page.get_by_text("card, UPI, net banking or a wallet")).to_be_visible()
    assert serious_axe_violations(page) == []
    assert scroll_width(page) <= MOBILE["width"] + 1

    # Razorpay Checkout opens over the page; the card is declined and Checkout stays open
    pay.click()
    checkout = page.get_by_role("dialog", name="Razorpay test checkout")
    expect(checkout).to_be_visible()
    expect(checkout).to_contain_text(f"Order {number}")
    page.locator("#razorpay-fake-fail").click()
    expect(checkout.get_by_role("status")).to_contain_text("declined")
    page.locator("#razorpay-fake-cancel").click()
    expect(checkout).to_have_count(0)
    expect(page.locator("#payment-error")).to_contain_text(
        "Payment failed because the card was declined")
    declined = mail_to(app_server, address, f"order {number} did not go through")
    assert declined is not None

    # then UPI pays; the page says so once the server has checked Razorpay's signature
    pay.click()
    expect(checkout).to_be_visible()
    checkout.get_by_label("UPI").check()
    page.locator("#razorpay-fake-pay").click()
    expect(page.locator("#order-complete")).to_be_visible()
    paid = [p for p in razorpay_fake.payments.values()
            if p["status"] == "captured" and p["notes"] == {} and p["method"] == "upi"]
    assert len(paid) == 1
    order = razorpay_fake.orders[paid[0]["order_id"]]
    assert order["notes"]["order_number"] == number and order["status"] == "paid"
    confirmation = mail_to(app_server, address, f"order {number} is confirmed")
    assert confirmation is not None
    page.goto(f"/account/orders/{number}")
    expect(page.get_by_text("Completed").first).to_be_visible()
