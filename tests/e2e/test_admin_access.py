"""Who sees which admin sections, and what a refused or signed-out visitor sees."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, expect

from commerce_dash.demo.data import DEMO_USERS
from commerce_dash.domain.access import RoleName, visible_sections
from tests.e2e.conftest import (
    DEMO_PASSWORD,
    LEARNER_EMAIL,
    SUPER_EMAIL,
    NewPage,
    path_of,
    sign_in,
    submit_login,
    url_with_path,
)

pytestmark = pytest.mark.e2e

DEMO_BY_EMAIL = {u.email: u for u in DEMO_USERS}
ADMIN_DEMO_EMAILS = [
    "super@example.com",
    "billing@example.com",
    "enrollment@example.com",
    "deptadmin@example.com",
]

# The known truth today, written out so that a regression in access.py is caught here
# rather than silently followed by the derived expectation below.
KNOWN_SECTIONS = {
    "super@example.com": [
        "overview", "courses", "sessions", "programs", "pricing", "discounts", "registrations",
        "certificates", "orders", "subscriptions", "refunds", "revenue", "settings", "processors",
        "system", "health", "users", "audit",
    ],
    "billing@example.com": [
        "overview", "programs", "pricing", "discounts", "orders", "subscriptions", "refunds",
        "revenue", "settings", "processors", "health",
    ],
    "deptadmin@example.com": [
        "overview", "courses", "sessions", "programs", "pricing", "discounts", "registrations",
        "certificates", "subscriptions", "revenue",
    ],
    "enrollment@example.com": ["overview", "registrations"],
}


def expected_sections(email: str) -> list[str]:
    """The sidebar keys access.py grants the demo user, in display order."""
    roles = [str(role) for role, _dept in DEMO_BY_EMAIL[email].grants]
    return [s.key for s in visible_sections(roles)]


def sidebar_keys(page: Page) -> list[str]:
    links = page.locator("#admin-sidebar .admin-nav-link")
    return [links.nth(i).get_attribute("data-section") or "" for i in range(links.count())]


def test_known_sections_match_access_module() -> None:
    """The hard-coded truth agrees with access.py (fails fast, without a browser)."""
    for email, keys in KNOWN_SECTIONS.items():
        assert expected_sections(email) == keys, email
    assert {str(r) for r, _ in DEMO_BY_EMAIL["super@example.com"].grants} == {
        RoleName.SUPER_ADMIN.value
    }


@pytest.mark.parametrize("email", ADMIN_DEMO_EMAILS)
def test_admin_sees_exactly_their_sections(new_page: NewPage, email: str) -> None:
    expected = expected_sections(email)
    if email in KNOWN_SECTIONS:
        assert expected == KNOWN_SECTIONS[email]
    assert expected, f"{email} is an admin and must see at least the overview"
    page = new_page()

    sign_in(page, email, DEMO_PASSWORD)

    expect(page).to_have_url(url_with_path("/admin"))
    expect(page.locator("#signed-in-user")).to_have_text(DEMO_BY_EMAIL[email].full_name)
    sidebar = page.locator("#admin-sidebar")
    expect(sidebar).to_be_visible()
    links = sidebar.locator(".admin-nav-link")
    expect(links).to_have_count(len(expected))
    assert sidebar_keys(page) == expected
    # The overview is allowed for every admin: its figures load (the departments of their
    # scope; platform-wide ones such as Users only for unscoped admins).
    expect(page.locator('[data-kpi="Departments"] .kpi-value')).to_have_text(
        re.compile(r"^\d+$"))


def test_learner_lands_on_account_and_is_refused_admin(page: Page) -> None:
    learner = DEMO_BY_EMAIL[LEARNER_EMAIL]

    sign_in(page, LEARNER_EMAIL, DEMO_PASSWORD)

    expect(page).to_have_url(url_with_path("/account"))
    expect(page.locator("#account-name")).to_have_text(learner.full_name)

    page.goto("/admin")
    refused = page.locator("#access-refused")
    expect(refused).to_be_visible()
    expect(refused).to_have_text("You do not have access to this page")
    expect(page).to_have_url(url_with_path("/admin"))
    # No admin data and no admin navigation reach a learner.
    expect(page.locator(".kpi-value")).to_have_count(0)
    expect(page.locator("[data-kpi]")).to_have_count(0)
    expect(page.locator("#admin-sidebar")).to_have_count(0)
    expect(page.locator(".admin-nav-link")).to_have_count(0)


def test_dept_admin_is_refused_users_but_keeps_their_sidebar(page: Page) -> None:
    sign_in(page, "deptadmin@example.com", DEMO_PASSWORD)
    expect(page).to_have_url(url_with_path("/admin"))

    page.goto("/admin/users")

    expect(page.locator("#access-refused")).to_be_visible()
    expect(page.locator("#access-refused")).to_have_text("You do not have access to this page")
    expect(page.locator("[data-email]")).to_have_count(0)
    expect(page.locator("#add-user")).to_have_count(0)
    sidebar = page.locator("#admin-sidebar")
    expect(sidebar).to_be_visible()
    expect(sidebar.locator(".admin-nav-link")).to_have_count(
        len(KNOWN_SECTIONS["deptadmin@example.com"]))
    assert sidebar_keys(page) == KNOWN_SECTIONS["deptadmin@example.com"]
    expect(page.locator("#signed-in-user")).to_have_text(
        DEMO_BY_EMAIL["deptadmin@example.com"].full_name
    )


def test_signed_out_visitor_is_sent_to_login_and_back(page: Page) -> None:
    page.goto("/admin/users")

    expect(page).to_have_url(url_with_path("/login", query=r"next=.*"))
    nexts = parse_qs(urlsplit(page.url).query).get("next", [])
    # The static server may have added a trailing slash to the typed-in path first.
    assert [n.rstrip("/") for n in nexts] == ["/admin/users"], page.url
    expect(page.locator("[data-email]")).to_have_count(0)

    submit_login(page, SUPER_EMAIL, DEMO_PASSWORD)

    expect(page).to_have_url(url_with_path("/admin/users"))
    assert path_of(page) == "/admin/users"
    expect(page.locator(f'[data-email="{SUPER_EMAIL}"]')).to_be_visible()
    expect(page.locator("#add-user")).to_be_visible()
