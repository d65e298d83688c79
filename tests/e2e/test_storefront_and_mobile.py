"""The storefront for anonymous visitors, and the admin shell on a phone-sized screen."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from commerce_dash.domain.access import RoleName, visible_sections
from tests.e2e.conftest import (
    DEMO_PASSWORD,
    LEARNER_EMAIL,
    MOBILE,
    SUPER_EMAIL,
    NewPage,
    sign_in,
    url_with_path,
)

pytestmark = pytest.mark.e2e

MIN_COURSE_CARDS = 20


def horizontal_overflow(page: Page) -> tuple[int, int]:
    """(scrollWidth, clientWidth) of the document."""
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    return int(widths[0]), int(widths[1])


def test_admin_overview_on_a_phone(new_page: NewPage) -> None:
    page = new_page(MOBILE)
    expected = [s.key for s in visible_sections([RoleName.SUPER_ADMIN.value])]
    assert expected == [
        "overview", "courses", "sessions", "programs", "pricing", "discounts", "registrations",
        "certificates", "orders", "subscriptions", "refunds", "revenue", "settings", "processors",
        "system", "health", "users", "audit",
    ]

    sign_in(page, SUPER_EMAIL, DEMO_PASSWORD)

    expect(page).to_have_url(url_with_path("/admin"))
    expect(page.locator(".kpi-value").first).to_be_visible()
    expect(page.locator("#admin-sidebar")).to_be_hidden()
    menu = page.locator("#mobile-menu-button")
    expect(menu).to_be_visible()
    scroll_width, _ = horizontal_overflow(page)
    assert scroll_width <= MOBILE["width"] + 1, f"/admin scrolls sideways: {scroll_width}px"

    menu.click()

    drawer = page.get_by_role("dialog")
    expect(drawer).to_be_visible()
    links = drawer.locator(".admin-nav-link")
    expect(links).to_have_count(len(expected))
    for i, key in enumerate(expected):
        expect(links.nth(i)).to_be_visible()
        expect(links.nth(i)).to_have_attribute("data-section", key)
    expect(drawer.get_by_role("link", name="Users & roles")).to_be_visible()

    drawer.locator('.admin-nav-link[data-section="users"]').click()
    expect(page).to_have_url(url_with_path("/admin/users"))
    # the list is paged by name and the suite registers many learners: search, as one would
    page.get_by_role("textbox", name="Search name or email").fill(SUPER_EMAIL)
    expect(page.locator(f'[data-email="{SUPER_EMAIL}"]')).to_be_attached()


def test_storefront_home_on_a_phone_does_not_scroll_sideways(new_page: NewPage) -> None:
    page = new_page(MOBILE)

    page.goto("/")

    cards = page.locator(".course-card")
    expect(cards.nth(MIN_COURSE_CARDS - 1)).to_be_visible()
    scroll_width, _ = horizontal_overflow(page)
    assert scroll_width <= MOBILE["width"] + 1, f"/ scrolls sideways: {scroll_width}px"


def test_storefront_home_for_anonymous_visitor(page: Page) -> None:
    page.goto("/")

    expect(page.get_by_role("heading", name="Departments", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="Courses", exact=True)).to_be_visible()
    cards = page.locator(".course-card")
    expect(cards.nth(MIN_COURSE_CARDS - 1)).to_be_visible()
    assert cards.count() >= MIN_COURSE_CARDS
    expect(cards.first.get_by_role("heading")).to_have_text(re.compile(r"\S"))
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    expect(page.locator("#account-menu")).to_have_count(0)
    cart = page.locator("#cart-link")
    expect(cart).to_be_visible()

    cart.click()

    expect(page).to_have_url(url_with_path("/cart"))
    expect(page.get_by_text("Your cart is empty")).to_be_visible()


def test_cart_page_is_empty(page: Page) -> None:
    page.goto("/cart")

    expect(page.get_by_role("heading", name="Your cart", exact=True)).to_be_visible()
    expect(page.get_by_text("Your cart is empty")).to_be_visible()


def test_signed_in_header_has_account_menu_with_sign_out(page: Page) -> None:
    sign_in(page, LEARNER_EMAIL, DEMO_PASSWORD)
    page.goto("/")

    account = page.locator("#account-menu")
    expect(account).to_be_visible()
    expect(page.get_by_role("button", name="Sign in")).to_have_count(0)
    account.click()
    sign_out = page.get_by_role("menuitem", name="Sign out")
    expect(sign_out).to_be_visible()
    expect(page.get_by_role("menuitem", name="Admin dashboard")).to_have_count(0)

    sign_out.click()

    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    expect(page.locator("#account-menu")).to_have_count(0)


def test_audit_log_on_a_phone_does_not_scroll_sideways(new_page: NewPage) -> None:
    page = new_page(MOBILE)
    sign_in(page, SUPER_EMAIL, DEMO_PASSWORD)

    page.goto("/admin/audit")

    expect(page.get_by_role("heading", name="Audit log")).to_be_visible()
    expect(page.locator("tbody tr").first).to_be_visible()
    scroll_width, _ = horizontal_overflow(page)
    assert scroll_width <= MOBILE["width"] + 1, f"/admin/audit scrolls sideways: {scroll_width}px"
