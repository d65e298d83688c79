"""Enrollment rules in the prod build: a department admin gives a course a prerequisite and
a deadline in its edit dialog; the course page says so, and a learner who has not completed
the prerequisite cannot put the course in the cart."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import (
    DEMO_PASSWORD,
    LEARNER_PASSWORD,
    AppServer,
    NewPage,
    register_learner,
    serious_axe_violations,
    sign_in,
)

pytestmark = pytest.mark.e2e

COURSE, REQUIRED = "DS-240", "DS-201"


def test_a_prerequisite_set_by_the_department_admin_stops_a_learner_at_the_cart(
    new_page: NewPage, app_server: AppServer
) -> None:
    admin = new_page()
    sign_in(admin, "deptadmin@example.com", DEMO_PASSWORD)
    admin.goto("/admin/courses")
    admin.get_by_placeholder("Search code, title or category").fill(COURSE)
    row = admin.locator(f'[data-code="{COURSE}"]')
    expect(row).to_have_count(1)
    row.get_by_role("button", name="Edit").click()
    dialog = admin.get_by_role("dialog")
    dialog.get_by_label("Prerequisites").fill("nope-1")
    dialog.get_by_label("Enrollment deadline (UTC day)").fill("2099-12-31")
    dialog.locator("#save-course-submit").click()
    expect(dialog.get_by_text("No course NOPE-1.")).to_be_visible()  # beside the field
    dialog.get_by_label("Prerequisites").fill(REQUIRED.lower())
    dialog.locator("#save-course-submit").click()
    expect(admin.get_by_text(f"{COURSE} saved.")).to_be_visible()

    address, _ = register_learner(app_server, "Rule Learner", LEARNER_PASSWORD)
    page = new_page()
    sign_in(page, address, LEARNER_PASSWORD)
    page.goto(f"/store/course/{COURSE}")
    expect(page.locator("#course-prerequisites")).to_contain_text("Complete first:")
    expect(page.locator("#course-prerequisites").get_by_role("link")).to_have_attribute(
        "href", f"/store/course/{REQUIRED}")
    expect(page.locator("#course-deadline")).to_contain_text("Enrollment closes on Dec 31, 2099")
    assert serious_axe_violations(page) == []

    page.locator("#add-to-cart").click()

    expect(page.get_by_text("needs").first).to_contain_text("completed first")
    page.goto("/cart")
    expect(page.get_by_text("Your cart is empty")).to_be_visible()
