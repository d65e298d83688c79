"""Certificates in the prod build: a learner completes the last module, the certificate appears
on their account and its PDF downloads, the public page verifies it; the department admin
revokes it and the public page says so. A dept-admin designs a template with a preview."""

from __future__ import annotations

import io
import re
import uuid

import httpx
import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.e2e.conftest import DEMO_PASSWORD, AppServer, NewPage, register_learner, sign_in
from tests.e2e.conftest import LEARNER_PASSWORD as PASSWORD
from tests.e2e.conftest import mail_to as _mail_to

pytestmark = pytest.mark.e2e
COURSE = "ENG-130"  # Git and Code Review: three modules, no approval needed
TITLE = "Git and Code Review"


def _buy(app: AppServer, name: str) -> str:
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


def test_learner_earns_downloads_and_shares_then_admin_revokes(
    new_page: NewPage, app_server: AppServer
) -> None:
    address = _buy(app_server, "Casey Certified")
    learner = new_page()
    sign_in(learner, address, PASSWORD)

    # the account lists the course with its progress; the learning page marks modules done
    learner.goto("/account")
    expect(learner.locator("#my-courses .my-course")).to_have_count(1)
    learner.goto(f"/account/learn/{COURSE}")
    modules = learner.locator(".learn-module")
    expect(modules).to_have_count(3)
    for index in range(3):
        modules.nth(index).get_by_role("button", name="Mark complete").click()
        expect(modules.nth(index).get_by_role("button", name="Mark complete")).to_have_count(0)
    panel = learner.locator("#learn-certificate")
    expect(panel).to_be_visible()
    number = re.search(r"CERT-\d{4}-[0-9A-Z]{11}", panel.inner_text())
    assert number is not None, panel.inner_text()
    number_text = number.group(0)

    # the certificate is on the account, and its PDF downloads with the learner's name in it
    learner.goto("/account/certificates")
    row = learner.locator(".my-certificate")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(number_text)
    with learner.expect_download() as download_info:
        row.get_by_text("Download PDF").click()
    pdf = download_info.value
    data = open(pdf.path(), "rb").read()  # noqa: SIM115 - a temp file Playwright cleans up
    text = PdfReader(io.BytesIO(data)).pages[0].extract_text()
    assert "Casey Certified" in text and TITLE in text and number_text in text

    # the email carries the same PDF
    earned = _mail_to(app_server, address, f"certificate for {TITLE}")
    attachments = [p for p in earned.walk() if p.get_content_type() == "application/pdf"]
    assert len(attachments) == 1

    # anyone can verify it, signed in or not
    public = new_page()
    public.goto("/verify")
    public.locator("input").first.fill(number_text.lower())
    public.keyboard.press("Enter")
    expect(public.locator("#verify-status")).to_have_text("Valid", timeout=20_000)
    expect(public.locator("#verify-recipient")).to_have_text("Casey Certified")
    expect(public.locator("#verify-title")).to_contain_text(TITLE)

    # the department admin finds and revokes it
    admin = new_page()
    sign_in(admin, "deptadmin@example.com", DEMO_PASSWORD)
    admin.goto("/admin/certificates")
    admin.locator("#certificate-search").fill(number_text)
    rows = admin.locator(".certificate-row")
    expect(rows).to_have_count(1)
    rows.first.locator(".certificate-number").click()
    admin.locator("#open-revoke").click()
    admin.locator("#revoke-category").click()
    admin.get_by_role("option", name="Issued in error").click()
    admin.locator("#revoke-reason").fill("short")
    admin.locator("#revoke-submit").click()
    expect(admin.locator("#revoke-error")).to_be_visible()
    admin.locator("#revoke-reason").fill("Issued to the wrong learner by mistake.")
    admin.locator("#revoke-submit").click()
    expect(admin.locator("#detail-status")).to_have_text("Revoked")

    # the public page says revoked, with the category but not the private reason
    public.goto(f"/verify/{number_text}")
    expect(public.locator("#verify-status")).to_have_text("Revoked", timeout=20_000)
    expect(public.get_by_text("Issued in error")).to_be_visible()
    expect(public.get_by_text("wrong learner")).to_have_count(0)
    _mail_to(app_server, address, f"certificate for {TITLE} was revoked")

    # an unknown number is simply not found
    public.goto("/verify/CERT-2026-0000000000X")
    expect(public.locator("#verify-status")).to_have_text("Not found", timeout=20_000)


def test_dept_admin_designs_a_template_with_a_preview(new_page: NewPage) -> None:
    admin = new_page()
    sign_in(admin, "deptadmin@example.com", DEMO_PASSWORD)
    admin.goto("/admin/certificates/templates")
    admin.locator("#new-template").click()
    name = f"Formal {uuid.uuid4().hex[:6]}"
    admin.locator("#template-name").fill(name)
    admin.locator("#template-title").fill("Certificate of Achievement")
    admin.locator("#template-body").fill("Awarded to {{nickname}}.")
    admin.locator("#template-save").click()
    expect(admin.locator("#template-body_text-error")).to_contain_text("{{nickname}}")
    admin.locator("#template-body").fill("Awarded to {{recipientName}} for {{courseTitle}}.")
    admin.locator("#template-preview-button").click()
    preview = admin.locator("#template-preview")
    expect(preview).to_be_visible(timeout=30_000)
    assert "data:image/png;base64," in (preview.get_attribute("src") or "")
    admin.locator("#template-save").click()
    expect(admin.locator(f'.template-row[data-name="{name}"]')).to_have_count(1)
