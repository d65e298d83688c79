"""The approval queue in the prod build: an enrollment-admin filters it, rejects one with a
reason and bulk-approves three; the learner sees the statuses and gets the emails."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest
from playwright.sync_api import expect
from sqlmodel import Session, col, select

from commerce_dash.db import build_engine
from commerce_dash.models.catalog import Course
from tests.e2e.conftest import DEMO_PASSWORD, AppServer, NewPage, register_learner, sign_in
from tests.e2e.conftest import LEARNER_PASSWORD as PASSWORD
from tests.e2e.conftest import mail_to as _mail_to
from tests.e2e.conftest import text_of as _text_of

pytestmark = pytest.mark.e2e
COURSES = ("ENG-140", "ENG-150", "ENG-160", "ENG-170")


def _buy_courses_needing_approval(app: AppServer) -> tuple[str, dict[str, str]]:
    engine = build_engine(app.database_url)
    with Session(engine) as session:
        titles = {}
        for course in session.exec(select(Course).where(col(Course.code).in_(COURSES))):
            course.approval_required = True
            session.add(course)
            titles[course.code] = course.title
        session.commit()
    engine.dispose()
    address, token = register_learner(app, "Quinn Queue", PASSWORD)
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
    return address, titles


def test_enrollment_admin_rejects_one_and_bulk_approves_three(new_page: NewPage,
                                                              app_server: AppServer) -> None:
    address, titles = _buy_courses_needing_approval(app_server)
    for title in titles.values():
        _mail_to(app_server, address, f"We received your registration for {title}")

    # the enrollment-admin of Engineering filters the queue down to this learner
    admin = new_page()
    sign_in(admin, "enrollment@example.com", DEMO_PASSWORD)
    admin.goto("/admin/registrations")
    admin.locator("#learner-search").fill(address)
    rows = admin.locator(".registration-row")
    expect(rows).to_have_count(4)

    # rejects the first with a reason (too short first: the form says why)
    first = rows.first
    rejected_title = next(t for t in titles.values() if t in first.inner_text())
    first.locator(".reject-registration").click()
    admin.locator("#reject-reason").fill("too short")
    admin.locator("#reject-submit").click()
    expect(admin.locator("#reason-error")).to_be_visible()
    admin.locator("#reject-reason").fill("The prerequisite course is missing")
    admin.locator("#reject-submit").click()
    expect(rows).to_have_count(3)

    # and approves the other three at once
    admin.locator("#select-page").click()
    admin.locator("#bulk-approve").click()
    expect(admin.locator("#bulk-results .bulk-result-row")).to_have_count(3)
    expect(rows).to_have_count(0)

    # the learner sees three enrolled and one rejected with its reason, and the emails
    learner = new_page()
    sign_in(learner, address, PASSWORD)
    learner.goto("/account")
    mine = learner.locator("#my-registrations .my-registration")
    expect(mine).to_have_count(4)
    expect(learner.locator('#my-registrations [data-status="enrolled"]')).to_have_count(3)
    expect(learner.locator('#my-registrations [data-status="rejected"]')).to_have_count(1)
    expect(learner.locator(".rejection-reason")).to_have_text(
        re.compile("The prerequisite course is missing"))
    expect(learner.locator("#my-courses .my-course")).to_have_count(3)
    rejection = _mail_to(app_server, address, f"{rejected_title} was not approved")
    assert "The prerequisite course is missing" in _text_of(rejection)
    for title in titles.values():
        if title != rejected_title:
            _mail_to(app_server, address, f"Your registration for {title} is approved")
