"""Cancellations in the prod build (issue 19): a learner cancels a paid registration waiting
for approval from the account page (a refund request is opened), and a billing admin cancels
another completed order from its admin page after the confirm dialog; no serious axe-core
violation with either dialog open."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest
from playwright.sync_api import expect
from sqlmodel import Session, col, select

from commerce_dash.db import build_engine
from commerce_dash.models.catalog import Course
from tests.e2e.conftest import (
    DEMO_PASSWORD,
    AppServer,
    NewPage,
    register_learner,
    serious_axe_violations,
    sign_in,
)
from tests.e2e.conftest import LEARNER_PASSWORD as PASSWORD

pytestmark = pytest.mark.e2e


def _buy(app: AppServer, token: str, code: str) -> str:
    with httpx.Client(base_url=app.base_url, timeout=30) as client:
        auth = {"Authorization": f"Bearer {token}"}
        item = client.get(f"/api/v2/catalog/courses/{code}").json()["id"]
        assert client.post("/api/v2/cart/items", headers=auth,
                           json={"item_type": "course", "item_id": item}).status_code == 201
        order = client.post("/api/v2/cart/checkout", json={},
                            headers={**auth, "Idempotency-Key": uuid.uuid4().hex}).json()
        paid = client.post("/api/v2/payments/sandbox/pay", headers=auth, json={
            "order_number": order["number"], "card_number": "4242424242424242",
            "exp_month": 12, "exp_year": 2034, "cvc": "123"})
        assert paid.json()["order_status"] == "completed", paid.text
        return str(order["number"])


def test_a_learner_cancels_a_pending_registration_and_an_admin_an_order(
        new_page: NewPage, app_server: AppServer) -> None:
    engine = build_engine(app_server.database_url)
    with Session(engine) as session:
        course = session.exec(select(Course).where(col(Course.code) == "ENG-140")).one()
        course.approval_required = True
        session.add(course)
        session.commit()
    engine.dispose()
    address, token = register_learner(app_server, "Cora Cancel", PASSWORD)
    _buy(app_server, token, "ENG-140")
    other_number = _buy(app_server, token, "ENG-150")

    # the learner cancels the registration waiting for approval
    learner = new_page()
    sign_in(learner, address, PASSWORD)
    learner.goto("/account")
    button = learner.locator("#my-registrations .cancel-registration")
    expect(button).to_have_count(1)
    button.click()
    expect(learner.get_by_text("The billing team is asked to return what you paid")).to_be_visible()
    assert serious_axe_violations(learner) == []
    learner.locator("#confirm-cancel-registration").click()
    expect(learner.locator('#my-registrations [data-status="cancelled"]')).to_have_count(1)
    expect(learner.locator("#my-registrations .refund-note")).to_have_text(re.compile("Refund of"))
    expect(button).to_have_count(0)

    # a billing admin cancels the other order from its page
    admin = new_page()
    sign_in(admin, "billing@example.com", DEMO_PASSWORD)
    admin.goto(f"/admin/orders/{other_number}")
    admin.locator("#cancel-order").click()
    expect(admin.locator(".cancel-effects li").first).to_contain_text("refund queue")
    assert serious_axe_violations(admin) == []
    admin.locator("#cancel-order-reason").fill("short")
    admin.locator("#confirm-cancel-order").click()
    expect(admin.locator("#cancel-order-reason-error")).to_be_visible()
    admin.locator("#cancel-order-reason").fill("The learner asked us to cancel this order.")
    admin.locator("#confirm-cancel-order").click()
    expect(admin.locator("#cancel-note")).to_have_text(re.compile("^Cancelled "))
