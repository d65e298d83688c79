"""Issue 19 in the prod build at 375 px: the cart asks for the billing country and state beside
the fields before Check out, then shows the tax line (the demo's New York rate); a learner
held for payment review sees a lasting banner saying how the hold is lifted, with Check out
disabled. Both views axe-clean (no critical or serious violations) and without sideways
scrolling."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from commerce_dash.db import build_engine
from commerce_dash.models.accounts import User
from commerce_dash.models.commerce import PaymentReview
from tests.e2e.conftest import (
    LEARNER_PASSWORD,
    MOBILE,
    AppServer,
    NewPage,
    choose,
    register_learner,
    scroll_width,
    serious_axe_violations,
    sign_in,
)

pytestmark = pytest.mark.e2e
SHOTS = Path("var/screenshots")


def test_cart_tax_line_and_review_hold_banner_at_375px(
    new_page: NewPage, app_server: AppServer
) -> None:
    # given a new learner whose cart holds one course (added as an app would)
    address, token = register_learner(app_server, "Tax Learner", LEARNER_PASSWORD)
    listing = httpx.get(app_server.url("/api/v2/catalog/courses/BUS-101"), timeout=30)
    added = httpx.post(
        app_server.url("/api/v2/cart/items"),
        timeout=30,
        headers={"Authorization": f"Bearer {token}"},
        json={"item_type": "course", "item_id": listing.json()["id"]},
    )
    assert added.status_code == 201, added.text
    page = new_page(MOBILE)
    sign_in(page, address, LEARNER_PASSWORD)

    # when they open the cart: the country is asked beside its field, Check out waits
    page.goto("/cart")
    expect(page.locator("#billing-country-error")).to_contain_text("Choose your billing country")
    expect(page.locator("#checkout")).to_be_disabled()
    expect(page.locator("#checkout-reason")).to_contain_text("billing address")
    expect(page.locator("#cart-tax")).to_have_text("Needs your billing country")

    # the United States asks for the state; New York's rate then gives the tax line
    choose(page, "#billing-country", "United States")
    expect(page.locator("#billing-region-error")).to_contain_text("Enter your state")
    page.locator("#billing-region").fill("NY")
    page.locator("#billing-region-save").click()
    expect(page.get_by_text("Sales tax 8.875% (US-NY)")).to_be_visible()
    expect(page.locator("#cart-tax")).to_contain_text("$")
    expect(page.locator("#cart-tax")).not_to_have_text("$0.00")
    expect(page.locator("#checkout")).to_be_enabled()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "cart-tax-375.png"), full_page=True)
    assert serious_axe_violations(page) == []
    assert scroll_width(page) <= MOBILE["width"]

    # when the learner is held for payment review (as five declines would)
    engine = build_engine(app_server.database_url)
    with Session(engine) as db:
        user = db.exec(select(User).where(User.email == address)).one()
        assert user.id is not None
        db.add(
            PaymentReview(user_id=user.id, reason="5 declined payments within 24 hours", failures=5)
        )
        db.commit()
    engine.dispose()

    # then the cart shows the hold as a banner that stays, and Check out is disabled
    page.reload()
    banner = page.locator("#review-hold")
    expect(banner).to_contain_text("Checkout is paused")
    expect(banner).to_contain_text("does not lift by waiting")
    expect(page.locator("#checkout")).to_be_disabled()
    expect(page.locator("#checkout-reason")).to_contain_text("reviewed")
    page.screenshot(path=str(SHOTS / "cart-review-hold-375.png"), full_page=True)
    assert serious_axe_violations(page) == []
    assert scroll_width(page) <= MOBILE["width"]
