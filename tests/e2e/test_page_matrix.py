"""Every admin page against every demo role: the page or the refusal, nothing in between."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from commerce_dash.demo.data import DEMO_USERS
from commerce_dash.domain.access import SECTIONS, can_access
from tests.e2e.conftest import DEMO_PASSWORD, UI_TIMEOUT_MS, NewPage, sign_in

pytestmark = pytest.mark.e2e

USERS = [u for u in DEMO_USERS if u.email != "instructor@example.com"]


@pytest.mark.parametrize("user", USERS, ids=lambda u: u.email.split("@")[0])
def test_each_role_opens_exactly_its_admin_pages(new_page: NewPage, user) -> None:
    # given the demo user signed in
    page = new_page()
    sign_in(page, user.email, DEMO_PASSWORD)
    roles = [str(role) for role, _ in user.grants]
    for section in SECTIONS:
        # when they open the section's page
        page.goto(section.route)
        # then they see it, or the refusal without any of its content
        if can_access(roles, section.key):
            expect(page.get_by_role("heading", name=section.label, exact=True)).to_be_visible(
                timeout=UI_TIMEOUT_MS
            )
            expect(page.locator("#access-refused")).to_have_count(0)
        else:
            expect(page.locator("#access-refused")).to_be_visible(timeout=UI_TIMEOUT_MS)
            expect(page.get_by_role("heading", name=section.label, exact=True)).to_have_count(0)
            expect(page.locator(".kpi-value")).to_have_count(0)
