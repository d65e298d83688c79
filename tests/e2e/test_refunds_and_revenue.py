"""Refunds and revenue in the prod build: a learner asks for a refund of one course from the
order page, the billing admin approves a lower amount in the queue, the learner sees it
refunded; the revenue report is grouped, filtered and exported."""

from __future__ import annotations

import csv
import io
import re
import uuid

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import DEMO_PASSWORD, AppServer, NewPage, register_learner, sign_in
from tests.e2e.conftest import LEARNER_PASSWORD as PASSWORD
from tests.e2e.conftest import mail_to as _mail_to
from tests.e2e.conftest import text_of as _text_of

pytestmark = pytest.mark.e2e
COURSES = ("ENG-101", "ENG-110")  # Python Foundations, Web APIs with FastAPI


def _buy(app: AppServer) -> tuple[str, str]:
    address, token = register_learner(app, "Robin Refund", PASSWORD)
    with httpx.Client(base_url=app.base_url, timeout=30) as client:
        auth = {"Authorization": f"Bearer {token}"}
        for code in COURSES:
            item = client.get(f"/api/v2/catalog/courses/{code}").json()["id"]
            assert client.post("/api/v2/cart/items", headers=auth,
                               json={"item_type": "course", "item_id": item}).status_code == 201
        order = client.post("/api/v2/cart/checkout", json={},
                            headers={**auth, "Idempotency-Key": uuid.uuid4().hex}).json()
        paid = client.post("/api/v2/payments/sandbox/pay", headers=auth, json={
            "order_number": order["number"], "card_number": "4242424242424242",
            "exp_month": 12, "exp_year": 2034, "cvc": "123"})
        assert paid.json()["order_status"] == "completed", paid.text
    return address, order["number"]


def test_learner_asks_billing_approves_part_and_the_learner_sees_it(
    new_page: NewPage, app_server: AppServer
) -> None:
    address, number = _buy(app_server)

    # the learner asks for the second course back from the order page
    learner = new_page()
    sign_in(learner, address, PASSWORD)
    learner.goto(f"/account/orders/{number}")
    learner.locator("#request-refund").click()
    learner.locator("#refund-mode-items").click()
    learner.locator(".refund-line").nth(1).click()
    learner.locator("#refund-reason").fill("The second course overlaps with my job training.")
    learner.locator("#refund-submit").click()
    expect(learner.locator('.my-refund[data-status="requested"]')).to_have_count(1)
    _mail_to(app_server, address, "refund")

    # the billing admin approves $50.00 of it
    admin = new_page()
    sign_in(admin, "billing@example.com", DEMO_PASSWORD)
    admin.goto("/admin/refunds")
    row = admin.locator(f'.refund-row[data-order="{number}"]')
    expect(row).to_have_count(1)
    expect(row).to_contain_text("The second course overlaps")
    row.locator(".approve-refund").click()
    admin.locator("#approve-amount").fill("50.00")
    admin.locator("#approve-note").fill("Half: the first modules were taken.")
    admin.locator("#approve-submit").click()
    expect(row).to_have_count(0)  # it left the queue of requested refunds

    # the learner sees it refunded, and is told by email
    learner.reload()
    expect(learner.locator('.my-refund[data-status="refunded"]')).to_have_count(1)
    expect(learner.locator(".my-refund")).to_contain_text("$50.00")
    approved = _mail_to(app_server, address, "approved")
    assert "$50.00" in _text_of(approved)


def test_billing_admin_groups_filters_and_exports_the_revenue_report(
    new_page: NewPage, app_server: AppServer
) -> None:
    _buy(app_server)
    admin = new_page()
    sign_in(admin, "billing@example.com", DEMO_PASSWORD)
    admin.goto("/admin/revenue")
    rows = admin.locator(".revenue-row")
    expect(rows.first).to_be_visible(timeout=30_000)
    expect(admin.locator("#revenue-totals")).to_be_visible()
    # grouped by course, the two courses bought are there
    for code in COURSES:
        expect(admin.locator(f'.revenue-row:has-text("{code}")').first).to_be_visible()
    # grouped by department: one row per department with sales
    admin.locator("#revenue-group").get_by_role("radio", name="Department").click()
    expect(admin.locator('.revenue-row:has-text("School of Engineering")')).to_have_count(1)
    shown = admin.locator(".revenue-row").count()
    with admin.expect_download() as download_info:
        admin.locator("#export-csv").click()
    text = open(download_info.value.path(), encoding="utf-8").read()  # noqa: SIM115
    table = list(csv.reader(io.StringIO(text)))
    # a header, exactly the rows shown, and the totals
    assert len(table) == shown + 2, table
    assert any(re.search("School of Engineering", ",".join(r)) for r in table)
