"""Square and Elavon in the prod build: a billing admin hands the Data Science Lab to each on
the processor screen's API; the checkout page then loads that processor's script from its
loopback fake (Square's Web Payments SDK with Google Pay, Elavon's Lightbox) and pays."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.checkout_steps import ORDER_URL
from tests.e2e.conftest import (
    DEMO_PASSWORD,
    LEARNER_PASSWORD,
    MOBILE,
    RAZORPAY_DEPARTMENT,
    UI_TIMEOUT_MS,
    AppServer,
    NewPage,
    choose_billing_country,
    register_learner,
    scroll_width,
    serious_axe_violations,
    sign_in,
)
from tests.payments.elavon_fake import ElavonFake
from tests.payments.square_fake import SquareFake

pytestmark = pytest.mark.e2e


def _admin(app: AppServer) -> dict[str, str]:
    answer = httpx.post(app.url("/api/v2/auth/login"), timeout=30,
                        json={"email": "billing@example.com", "password": DEMO_PASSWORD})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['token']}"}


def _choose(app: AppServer, headers: dict[str, str], processor: str | None) -> None:
    screen = httpx.get(app.url("/api/v2/admin/processors"), headers=headers, timeout=30).json()
    dept = next(d for d in screen["departments"] if d["code"] == RAZORPAY_DEPARTMENT)
    chosen = httpx.put(app.url(f"/api/v2/admin/processors/departments/{dept['department_id']}"),
                       headers=headers, json={"processor": processor}, timeout=30)
    assert chosen.status_code == 200, chosen.text


@pytest.fixture
def lab_processor(app_server: AppServer) -> Iterator[object]:
    """Hands the Data Science Lab to a processor for one test, then back to the environment."""
    headers = _admin(app_server)

    def choose(processor: str) -> None:
        _choose(app_server, headers, processor)

    yield choose
    _choose(app_server, headers, None)


def _checkout(app: AppServer, page: Page, course: str) -> str:
    address, token = register_learner(app, "Lab Learner", LEARNER_PASSWORD)
    listing = httpx.get(app.url(f"/api/v2/catalog/courses/{course}"), timeout=30)
    added = httpx.post(app.url("/api/v2/cart/items"), timeout=30,
                       headers={"Authorization": f"Bearer {token}"},
                       json={"item_type": "course", "item_id": listing.json()["id"]})
    assert added.status_code == 201, added.text
    sign_in(page, address, LEARNER_PASSWORD)
    page.goto("/cart")
    choose_billing_country(page)
    page.locator("#checkout").click()
    page.wait_for_url(ORDER_URL, timeout=UI_TIMEOUT_MS)
    return ORDER_URL.search(page.url).group(1)  # type: ignore[union-attr]


def test_square_card_declined_then_google_pay_pays(
    new_page: NewPage, app_server: AppServer, square_fake: SquareFake, lab_processor
) -> None:
    lab_processor("square")
    page = new_page(MOBILE)
    number = _checkout(app_server, page, "DS-220")

    card = page.locator("#square-card").get_by_label("Card number")
    expect(card).to_be_visible()
    expect(page.locator("#square-google-pay").get_by_role("button", name="Google Pay")
           ).to_be_visible()
    # Apple Pay is Safari's, on a domain verified with Square: not offered here
    expect(page.get_by_role("button", name="Pay with Apple Pay")).to_have_count(0)
    assert serious_axe_violations(page) == []
    assert scroll_width(page) <= MOBILE["width"] + 1
    card.fill("4000 0000 0000 0002")
    page.locator("#pay").click()
    expect(page.locator("#payment-error")).to_contain_text("declined")

    page.locator("#square-google-pay").get_by_role("button", name="Google Pay").click()

    expect(page.locator("#order-complete")).to_be_visible()
    order = next(o for o in square_fake.orders.values() if o.get("reference_id") == number)
    paid = [p for p in square_fake.payments.values()
            if p["order_id"] == order["id"] and p["status"] == "COMPLETED"]
    assert len(paid) == 1 and paid[0]["source_type"] == "WALLET"


def test_elavon_lightbox_pays_the_order_read_back_from_converge(
    new_page: NewPage, app_server: AppServer, elavon_fake: ElavonFake, lab_processor
) -> None:
    lab_processor("elavon")
    page = new_page()
    number = _checkout(app_server, page, "DS-230")
    expect(page.get_by_text("Pay by card in Elavon's secure checkout.")).to_be_visible()

    page.locator("#pay").click()
    lightbox = page.get_by_role("dialog", name="Converge test checkout")
    expect(lightbox).to_be_visible()
    lightbox.get_by_label("Card number").fill("4111111111111111")
    page.locator("#converge-fake-pay").click()

    expect(page.locator("#order-complete")).to_be_visible()
    sales = [t for t in elavon_fake.txns.values()
             if t["ssl_invoice_number"].startswith("order-") and t["ssl_result"] == "0"]
    assert sales, "the Lightbox made no approved sale"
    page.goto(f"/account/orders/{number}")
    expect(page.get_by_text("Completed").first).to_be_visible()
