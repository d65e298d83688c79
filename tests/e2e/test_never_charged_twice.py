"""Never charged twice, in the prod build: a learner who owns one course of a program buys
the program at the bundle price less that course's share, and going back to the cart and
checking out again is the same order, paid once."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest
from playwright.sync_api import expect

from commerce_dash.domain.money import format_minor
from commerce_dash.domain.pricing import bundle_for_owner
from tests.e2e.conftest import (
    UI_TIMEOUT_MS,
    AppServer,
    NewPage,
    choose_billing_country,
    register_learner,
    sign_in,
)

pytestmark = pytest.mark.e2e
PASSWORD = "owner-pass-2026"
ORDER_URL = re.compile(r"/checkout/(ORD-\d{4}-\d{5})")


def _api(app: AppServer, method: str, path: str, token: str, **kwargs: object) -> httpx.Response:
    return httpx.request(method, app.url(path), timeout=30,
                         headers={"Authorization": f"Bearer {token}",
                                  **kwargs.pop("headers", {})},  # type: ignore[dict-item]
                         **kwargs)  # type: ignore[arg-type]


def _buy_a_course(app: AppServer, token: str, code: str) -> None:
    course = httpx.get(app.url(f"/api/v2/catalog/courses/{code}"), timeout=30).json()
    added = _api(app, "POST", "/api/v2/cart/items", token,
                 json={"item_type": "course", "item_id": course["id"]})
    assert added.status_code == 201, added.text
    order = _api(app, "POST", "/api/v2/cart/checkout", token, json={},
                 headers={"Idempotency-Key": f"first-{uuid.uuid4().hex}"})
    assert order.status_code == 201, order.text
    paid = _api(app, "POST", "/api/v2/payments/sandbox/pay", token, json={
        "order_number": order.json()["number"], "card_number": "4242424242424242",
        "exp_month": 12, "exp_year": 2034, "cvc": "123"})
    assert paid.json()["order_status"] == "completed", paid.text


def test_a_program_partly_owned_is_sold_for_less_and_paid_once(
        new_page: NewPage, app_server: AppServer) -> None:
    # given a learner who bought ENG-101, one of the four courses of P-PYDEV
    address, token = register_learner(app_server, "Olive Owner", PASSWORD)
    _buy_a_course(app_server, token, "ENG-101")
    program = httpx.get(app_server.url("/api/v2/catalog/programs/P-PYDEV"), timeout=30).json()
    courses = {c["code"]: c for c in program["courses"]}
    owned_id = httpx.get(app_server.url("/api/v2/catalog/courses/ENG-101"),
                         timeout=30).json()["id"]
    prices = [(owned_id if code == "ENG-101" else -i, c["price"]["amount"])
              for i, (code, c) in enumerate(courses.items(), start=1)]
    expected = bundle_for_owner(program["price"]["amount"], prices, {owned_id})
    assert 0 < expected.amount < program["price"]["amount"]
    price = format_minor(expected.amount, "USD")

    # when they open the program page, signed in
    page = new_page()
    sign_in(page, address, PASSWORD)
    page.goto("/store/program/P-PYDEV")
    # then it tells them what they own and their price, and they add it
    expect(page.locator("#offer-note")).to_contain_text(courses["ENG-101"]["title"])
    expect(page.locator("#offer-note")).to_contain_text(price)
    page.locator("#add-to-cart").click()
    expect(page.locator("#cart-count")).to_have_text("1")

    # and the cart charges the bundle less ENG-101's share, saying so
    page.goto("/cart")
    expect(page.locator("#cart-total")).to_have_text(price)
    expect(page.locator(".cart-line")).to_contain_text("You already own")
    choose_billing_country(page)
    page.locator("#checkout").click()
    page.wait_for_url(ORDER_URL, timeout=UI_TIMEOUT_MS)
    number = ORDER_URL.search(page.url).group(1)  # type: ignore[union-attr]
    expect(page.locator("#checkout-total")).to_have_text(price)

    # when they go back to the cart and check out again (a new page load, a new request)
    page.go_back()
    page.wait_for_url(re.compile(r"/cart/?$"), timeout=UI_TIMEOUT_MS, wait_until="commit")
    expect(page.locator("#cart-total")).to_have_text(price)
    page.reload()
    page.locator("#checkout").click()
    # then it is the same order
    page.wait_for_url(ORDER_URL, timeout=UI_TIMEOUT_MS)
    assert ORDER_URL.search(page.url).group(1) == number  # type: ignore[union-attr]

    # and paying it completes it, once
    page.locator("#card-number").fill("4242 4242 4242 4242")
    page.locator("#card-expiry").fill("12/34")
    page.locator("#card-cvc").fill("123")
    page.locator("#pay").click()
    expect(page.locator("#order-complete")).to_be_visible()
    listed = _api(app_server, "GET", "/api/v2/orders", token).json()["items"]
    assert sorted(o["status"] for o in listed) == ["completed", "completed"]
    mine = next(o for o in listed if o["number"] == number)
    assert mine["total"] == expected.amount
