"""The processor screen in the prod build: a billing admin sees which processors are set up,
sends a test webhook, and switches a department's processor, which the next checkout uses."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.checkout_steps import ORDER_URL
from tests.e2e.conftest import (
    DEMO_PASSWORD,
    LEARNER_PASSWORD,
    RAZORPAY_DEPARTMENT,
    UI_TIMEOUT_MS,
    AppServer,
    NewPage,
    choose_billing_country,
    register_learner,
    serious_axe_violations,
    sign_in,
)

pytestmark = pytest.mark.e2e

BILLING = "billing@example.com"
COURSE = "DS-210"  # a course of the Data Science Lab (Razorpay in the e2e environment)


def _billing_token(app: AppServer) -> str:
    answer = httpx.post(app.url("/api/v2/auth/login"), timeout=30,
                        json={"email": BILLING, "password": DEMO_PASSWORD})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["token"])


def _back_to_environment(app: AppServer, token: str) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    screen = httpx.get(app.url("/api/v2/admin/processors"), headers=headers, timeout=30).json()
    dept = next(d for d in screen["departments"] if d["code"] == RAZORPAY_DEPARTMENT)
    reset = httpx.put(app.url(f"/api/v2/admin/processors/departments/{dept['department_id']}"),
                      headers=headers, json={"processor": None}, timeout=30)
    assert reset.status_code == 200, reset.text


def test_billing_admin_switches_a_departments_processor_for_the_next_checkout(
    new_page: NewPage, app_server: AppServer
) -> None:
    token = _billing_token(app_server)
    page = new_page()
    sign_in(page, BILLING, DEMO_PASSWORD)
    page.goto("/admin/processors")
    expect(page.get_by_role("heading", name="Payment processors")).to_be_visible()
    razorpay = page.locator('.processor-row[data-processor="razorpay"]')
    expect(razorpay).to_contain_text("Keys set")
    expect(razorpay).to_contain_text("Secret set")
    stripe = page.locator('.processor-row[data-processor="stripe"]')
    expect(stripe).to_contain_text("test")
    expect(page.locator("body")).not_to_contain_text("rzp_e2e_key_secret")
    assert serious_axe_violations(page) == []

    razorpay.get_by_role("button", name="Send a test webhook to Razorpay").click()
    expect(page.get_by_text("verified and stored")).to_be_visible()

    row = page.locator(f'.department-processor-row[data-code="{RAZORPAY_DEPARTMENT}"]')
    expect(row).to_contain_text("From the environment")
    try:
        row.get_by_role("combobox").click()
        page.get_by_role("option", name="Sandbox (test cards)").click()
        expect(page.get_by_text("now go to Sandbox (test cards)")).to_be_visible()
        expect(row).to_contain_text("Chosen here")

        # the next checkout of that department's course goes to the sandbox's card form
        address, learner_token = register_learner(app_server, "Switch Learner",
                                                  LEARNER_PASSWORD)
        listing = httpx.get(app_server.url(f"/api/v2/catalog/courses/{COURSE}"), timeout=30)
        added = httpx.post(app_server.url("/api/v2/cart/items"), timeout=30,
                           headers={"Authorization": f"Bearer {learner_token}"},
                           json={"item_type": "course", "item_id": listing.json()["id"]})
        assert added.status_code == 201, added.text
        shopper = new_page()
        sign_in(shopper, address, LEARNER_PASSWORD)
        shopper.goto("/cart")
        choose_billing_country(shopper)
        shopper.locator("#checkout").click()
        shopper.wait_for_url(ORDER_URL, timeout=UI_TIMEOUT_MS)
        expect(shopper.locator("#card-number")).to_be_visible()
    finally:
        _back_to_environment(app_server, token)
