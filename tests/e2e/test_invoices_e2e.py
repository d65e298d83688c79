"""Invoices in the prod build (issue 19): the billing admin sets the seller on the Tax &
currency page; a learner pays, the confirmation email carries the invoice PDF, and the order
page downloads it; the admin order page links it too."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.checkout_steps import ORDER_URL, pay_with_sandbox_card
from tests.e2e.conftest import (
    DEMO_PASSWORD,
    LEARNER_PASSWORD,
    UI_TIMEOUT_MS,
    AppServer,
    NewPage,
    choose_billing_country,
    mail_to,
    register_learner,
    sign_in,
)

pytestmark = pytest.mark.e2e
INVOICE = re.compile(r"INV-\d{4}-\d{6}")


def test_the_seller_is_set_and_a_paid_order_has_its_invoice(
    new_page: NewPage, app_server: AppServer
) -> None:
    # the billing admin names the seller; a bad tax id is said beside its box
    admin = new_page()
    sign_in(admin, "billing@example.com", DEMO_PASSWORD)
    admin.goto("/admin/settings")
    expect(admin.locator("#seller_name")).to_be_visible(timeout=UI_TIMEOUT_MS)
    admin.locator("#seller_name").fill("Acme Learning Ltd")
    admin.locator("#seller_tax_id").fill("<b>")
    admin.locator("#seller-save").click()
    expect(admin.locator("#seller_tax_id-error")).to_contain_text("A tax id has letters")
    admin.locator("#seller_tax_id").fill("GB123456789")
    admin.locator("#seller_address").fill("1 Main Street\nSpringfield")
    admin.locator("#seller-save").click()
    expect(admin.get_by_text("Seller details saved")).to_be_visible()

    # a learner buys a course with the sandbox card
    address, token = register_learner(app_server, "invoice", LEARNER_PASSWORD)
    listing = httpx.get(app_server.url("/api/v2/catalog/courses/BUS-101"), timeout=30)
    httpx.post(
        app_server.url("/api/v2/cart/items"),
        timeout=30,
        headers={"Authorization": f"Bearer {token}"},
        json={"item_type": "course", "item_id": listing.json()["id"]},
    ).raise_for_status()
    page = new_page()
    sign_in(page, address, LEARNER_PASSWORD)
    page.goto("/cart")
    choose_billing_country(page)
    page.locator("#checkout").click()
    page.wait_for_url(ORDER_URL, timeout=UI_TIMEOUT_MS)
    number = ORDER_URL.search(page.url).group(1)  # type: ignore[union-attr]
    pay_with_sandbox_card(page, "4242 4242 4242 4242")
    expect(page.locator("#order-complete")).to_be_visible()

    # the confirmation email carries the invoice as a PDF
    confirmation = mail_to(app_server, address, f"order {number} is confirmed")
    attached = [
        part for part in confirmation.walk() if part.get_content_type() == "application/pdf"
    ]
    assert len(attached) == 1 and INVOICE.fullmatch(
        (attached[0].get_filename() or "").removesuffix(".pdf")
    )
    assert (attached[0].get_payload(decode=True) or b"").startswith(b"%PDF")

    # the order page downloads it
    page.goto(f"/account/orders/{number}")
    link = page.locator(".order-document").first
    expect(link).to_contain_text("Invoice INV-", timeout=UI_TIMEOUT_MS)
    with page.expect_download() as download:
        link.click()
    assert INVOICE.search(download.value.suggested_filename)
    with open(download.value.path(), "rb") as pdf:
        assert pdf.read(4) == b"%PDF"

    # and the admin order page links it
    admin.goto(f"/admin/orders/{number}")
    expect(admin.locator(".order-document").first).to_contain_text(
        "Invoice INV-", timeout=UI_TIMEOUT_MS
    )
