"""The verification page and the learner's own data in the prod build: a certificate's public
page at 375 px shows its issuer, validity, share and LinkedIn links, no shop in the header, and
is axe-clean; its holder also gets the PDF; the learner downloads their data and deletes the
account from /account, after which the page says the certificate is held by a deleted
account."""

from __future__ import annotations

import json
import re
import uuid

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import LEARNER_PASSWORD as PASSWORD
from tests.e2e.conftest import (
    AppServer,
    NewPage,
    register_learner,
    scroll_width,
    serious_axe_violations,
    sign_in,
)

pytestmark = pytest.mark.e2e
COURSE = "ENG-130"  # Git and Code Review: three modules, no approval needed
PHONE = {"width": 375, "height": 800}


def _bought(app: AppServer, name: str) -> str:
    """A learner who bought COURSE: their address."""
    address, token = register_learner(app, name, PASSWORD)
    with httpx.Client(base_url=app.base_url, timeout=30) as client:
        auth = {"Authorization": f"Bearer {token}"}
        item = client.get(f"/api/v2/catalog/courses/{COURSE}").json()["id"]
        assert client.post("/api/v2/cart/items", headers=auth,
                           json={"item_type": "course", "item_id": item}).status_code == 201
        order = client.post("/api/v2/cart/checkout", json={},
                            headers={**auth, "Idempotency-Key": uuid.uuid4().hex}).json()
        paid = client.post("/api/v2/payments/sandbox/pay", headers=auth, json={
            "order_number": order["number"], "card_number": "4242424242424242",
            "exp_month": 12, "exp_year": 2034, "cvc": "123"})
        assert paid.json()["order_status"] == "completed", paid.text
    return address


def _complete(page: Page) -> str:
    """The signed-in learner marks every module of COURSE done: the certificate's number."""
    page.goto(f"/account/learn/{COURSE}")
    modules = page.locator(".learn-module")
    expect(modules).to_have_count(3)
    for index in range(3):
        modules.nth(index).get_by_role("button", name="Mark complete").click()
        expect(modules.nth(index).get_by_role("button", name="Mark complete")).to_have_count(0)
    panel = page.locator("#learn-certificate")
    expect(panel).to_be_visible()
    number = re.search(r"CERT-\d{4}-[0-9A-Z]{11}", panel.inner_text())
    assert number is not None, panel.inner_text()
    return number.group(0)


def test_verify_page_then_the_learner_deletes_the_account(
    new_page: NewPage, app_server: AppServer
) -> None:
    address = _bought(app_server, "Vera Verified")
    holder = new_page()
    sign_in(holder, address, PASSWORD)
    number = _complete(holder)

    # a visitor on a phone
    public = new_page(PHONE)
    public.goto(f"/verify/{number}")
    expect(public.locator("#verify-status")).to_have_text("Valid", timeout=20_000)
    expect(public.locator("#verify-issuer")).not_to_be_empty()
    expect(public.locator("#verify-expiry")).to_have_text("Does not expire")
    linkedin = public.locator("#verify-linkedin")
    expect(linkedin).to_have_attribute("href", re.compile(
        r"^https://www\.linkedin\.com/profile/add\?startTask=CERTIFICATION_NAME&.*"
        rf"certId={number}$"))
    expect(public.locator(".copy-share-link")).to_be_visible()
    expect(public.locator("#verify-download")).to_have_count(0)
    expect(public.locator("#minimal-header")).to_be_visible()
    expect(public.locator("#cart-link")).to_have_count(0)
    assert scroll_width(public) <= PHONE["width"]
    assert serious_axe_violations(public) == []

    # the holder gets the PDF too
    holder.goto(f"/verify/{number}")
    expect(holder.locator("#verify-download")).to_be_visible(timeout=20_000)

    # the holder downloads their data from the account page
    holder.goto("/account")
    with holder.expect_download() as download:
        holder.locator("#download-my-data").click()
    data = json.loads(download.value.path().read_text())
    assert data["profile"]["email"] == address
    assert [c["number"] for c in data["certificates"]] == [number]

    # and deletes the account: the email typed wrong first, then right
    holder.locator("#delete-account-open").click()
    dialog = holder.get_by_role("dialog")
    dialog.locator("#confirm_email").fill("someone-else@example.com")
    dialog.locator("#password").fill(PASSWORD)
    dialog.locator("#delete-account-submit").click()
    expect(dialog.locator("#confirm_email-error")).to_contain_text("Type the email")
    dialog.locator("#confirm_email").fill(address)
    dialog.locator("#password").fill(PASSWORD)
    dialog.locator("#delete-account-submit").click()
    expect(holder.get_by_text("Your account was deleted.")).to_be_visible(timeout=20_000)
    expect(holder.get_by_role("link", name="Sign in")).to_be_visible()

    # the public page keeps the certificate, held by a deleted account, without the name
    public.goto(f"/verify/{number}")
    expect(public.locator("#verify-holder-deleted")).to_contain_text(
        "Held by a deleted account", timeout=20_000)
    expect(public.locator("#verify-recipient")).to_have_count(0)
    expect(public.get_by_text("Vera Verified")).to_have_count(0)
