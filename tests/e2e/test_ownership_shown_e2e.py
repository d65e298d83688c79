"""Issue 19 (3) in the prod build on a 375 px phone: an owned course says "Owned" with a link
to learn (course page and search results), a course added to the cart says "In your cart"
with a link to the cart and still does after a reload, and a visitor who registers from the
cart lands back on it once the emailed link signs them in. axe-core finds nothing serious."""

from __future__ import annotations

import re
import uuid
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import (
    MOBILE,
    UI_TIMEOUT_MS,
    AppServer,
    NewPage,
    link_in,
    mail_to,
    register_learner,
    scroll_width,
    serious_axe_violations,
    sign_in,
    wait_hydrated,
)

pytestmark = pytest.mark.e2e
PASSWORD = "owned-pass-2026"
OWNED_COURSE = "BUS-101"
CART_COURSE = "ENG-101"


def _api(app: AppServer, method: str, path: str, token: str, **kwargs: object) -> httpx.Response:
    return httpx.request(
        method,
        app.url(path),
        timeout=30,
        headers={"Authorization": f"Bearer {token}", **kwargs.pop("headers", {})},  # type: ignore[dict-item]
        **kwargs,
    )  # type: ignore[arg-type]


def _buy(app: AppServer, token: str, code: str) -> None:
    """The learner buys ``code`` through the API with the sandbox's good card."""
    course = httpx.get(app.url(f"/api/v2/catalog/courses/{code}"), timeout=30).json()
    added = _api(
        app,
        "POST",
        "/api/v2/cart/items",
        token,
        json={"item_type": "course", "item_id": course["id"]},
    )
    assert added.status_code == 201, added.text
    _api(app, "PUT", "/api/v2/cart/preferences", token, json={"billing_country": "GB"})
    order = _api(
        app,
        "POST",
        "/api/v2/cart/checkout",
        token,
        json={},
        headers={"Idempotency-Key": f"owned-{uuid.uuid4().hex}"},
    )
    assert order.status_code == 201, order.text
    paid = _api(
        app,
        "POST",
        "/api/v2/payments/sandbox/pay",
        token,
        json={
            "order_number": order.json()["number"],
            "card_number": "4242424242424242",
            "exp_month": 12,
            "exp_year": 2034,
            "cvc": "123",
        },
    )
    assert paid.json()["order_status"] == "completed", paid.text


def _tidy(page: Page, where: str) -> None:
    assert serious_axe_violations(page) == [], where
    assert scroll_width(page) <= MOBILE["width"], where


def test_owned_and_in_cart_are_shown_and_registering_from_the_cart_comes_back(
    new_page: NewPage, app_server: AppServer
) -> None:
    # given a learner who bought a course
    address, token = register_learner(app_server, "Owen Owner", PASSWORD)
    _buy(app_server, token, OWNED_COURSE)
    flags = _api(app_server, "GET", f"/api/v2/catalog/courses/{OWNED_COURSE}", token).json()
    assert (flags["owned"], flags["in_cart"]) == (True, False)

    # when they open its page on a phone: Owned, a link to learn, no Add to cart
    page = new_page(MOBILE)
    sign_in(page, address, PASSWORD)
    page.goto(f"/store/course/{OWNED_COURSE}")
    expect(page.locator("#item-owned")).to_have_text("Owned", timeout=UI_TIMEOUT_MS)
    expect(page.locator("#owned-learn")).to_have_attribute("href", f"/account/learn/{OWNED_COURSE}")
    expect(page.locator("#add-to-cart")).to_have_count(0)
    _tidy(page, "owned course page")

    # and in the search results
    page.goto(f"/store?q={OWNED_COURSE}")
    card = page.locator(f'.catalog-card[data-code="{OWNED_COURSE}"]')
    expect(card.locator(".catalog-card-owned")).to_have_text("Owned", timeout=UI_TIMEOUT_MS)
    expect(card.locator(".catalog-card-standing-link")).to_have_attribute(
        "href", f"/account/learn/{OWNED_COURSE}"
    )
    _tidy(page, "search results")

    # a visitor adds a course: In your cart with a link to the cart, also after a reload
    guest = new_page(MOBILE)
    guest.goto(f"/store/course/{CART_COURSE}")
    wait_hydrated(guest, "#add-to-cart")
    guest.locator("#add-to-cart").click()
    expect(guest.locator("#item-in-cart")).to_have_text("In your cart", timeout=UI_TIMEOUT_MS)
    guest.reload()
    expect(guest.locator("#item-in-cart")).to_be_visible(timeout=UI_TIMEOUT_MS)
    expect(guest.locator("#view-cart")).to_have_attribute("href", "/cart")
    _tidy(guest, "course in the cart")
    guest.goto(f"/store?q={CART_COURSE}")
    in_cart = guest.locator(f'.catalog-card[data-code="{CART_COURSE}"] .catalog-card-in-cart')
    expect(in_cart).to_have_text("In your cart", timeout=UI_TIMEOUT_MS)

    # they register from the cart and open the emailed link: back on the cart, signed in
    guest.goto("/cart")
    expect(guest.locator("#cart-sign-in")).to_have_attribute("href", "/login?next=/cart")
    guest.locator("#cart-register").click()
    guest.wait_for_url(re.compile(r"/register/?\?next=(%2F|/)cart$"), timeout=UI_TIMEOUT_MS)
    email = f"cart-newcomer-{uuid.uuid4().hex[:8]}@example.com"
    wait_hydrated(guest, "#register-submit")
    guest.locator("#full_name").fill("Cara Cart")
    guest.locator("#email").fill(email)
    guest.locator("#password").fill(PASSWORD)
    guest.locator("#password_confirm").fill(PASSWORD)
    guest.locator("#register-submit").click()
    expect(guest.locator("#register-sent")).to_contain_text("Check your email")
    link = urlsplit(link_in(mail_to(app_server, email, "Confirm your email"), "/confirm-email"))
    guest.goto(f"{link.path}?{link.query}")
    wait_hydrated(guest, "#confirm-email-submit")
    guest.locator("#confirm-email-submit").click()
    guest.wait_for_url(re.compile(r"/cart/?$"), timeout=UI_TIMEOUT_MS)
    expect(guest.locator(".cart-line")).to_have_count(1, timeout=UI_TIMEOUT_MS)
    expect(guest.locator("#checkout")).to_have_text("Check out")
