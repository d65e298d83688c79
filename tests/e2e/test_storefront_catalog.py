"""A visitor browses the catalog without signing in: search, filter, program savings."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from commerce_dash.demo.data import COURSES, PROGRAMS, course_price
from tests.e2e.conftest import UI_TIMEOUT_MS

pytestmark = pytest.mark.e2e

PUBLISHED = [c for c in COURSES if c[5]]


def choose(page: Page, select_id: str, option: str) -> None:
    page.locator(f"#{select_id}").click()
    page.get_by_role("option", name=option, exact=True).click()


def cards(page: Page):
    return page.locator(".catalog-card")


def test_visitor_searches_filters_and_sees_program_savings(page: Page) -> None:
    # given the catalog, unsigned: the demo courses, the live cohort (demo/live.py), programs
    page.goto("/store")
    expect(page.locator("#catalog-count")).to_have_text(
        f"{len(PUBLISHED) + 1 + len(PROGRAMS)} results", timeout=UI_TIMEOUT_MS
    )
    expect(cards(page)).to_have_count(12)  # first page

    # when they search for python
    page.locator("#catalog-search").fill("python")
    # then the Python course and the Python programme are found, nothing unrelated
    expect(page.locator('.catalog-card[data-code="ENG-101"]')).to_be_visible(
        timeout=UI_TIMEOUT_MS)
    expect(page.locator('.catalog-card[data-code="P-PYDEV"]')).to_be_visible()
    expect(page.locator('.catalog-card[data-code="BUS-110"]')).to_have_count(0)
    assert "q=python" in page.url

    # when they clear the search and keep only the Business School's programs
    page.locator("#catalog-search").fill("")
    choose(page, "catalog-department", "Business School")
    business = [c for c in PUBLISHED if c[2] == "BUS"]
    expect(page.locator("#catalog-count")).to_have_text(
        f"{len(business) + 1} results", timeout=UI_TIMEOUT_MS)
    choose(page, "catalog-kind", "Programs")
    expect(page.locator("#catalog-count")).to_have_text("1 result", timeout=UI_TIMEOUT_MS)
    expect(cards(page)).to_have_count(1)
    expect(page.locator('.catalog-card[data-code="P-MGMT"]')).to_be_visible()

    # when they open the program
    page.locator('.catalog-card[data-code="P-MGMT"] .catalog-card-title').click()
    # then the page shows its courses in order and what the bundle saves
    expect(page).to_have_url(re.compile(r"/store/program/P-MGMT/?$"), timeout=UI_TIMEOUT_MS)
    codes = dict((p[0], p[3]) for p in PROGRAMS)["P-MGMT"]
    hours = {c[0]: c[4] for c in COURSES}
    total = sum(course_price(hours[c]) for c in codes)
    bundle = total * 80 // 10000 * 100 + 99
    saved = total - bundle
    expect(page.locator("#program-savings")).to_contain_text(
        f"You save ${saved // 100}.{saved % 100:02d}", timeout=UI_TIMEOUT_MS)
    for code in codes:
        expect(page.locator(f'[data-code="{code}"]')).to_be_visible()


def test_sorting_by_price_puts_the_cheapest_first(page: Page) -> None:
    page.goto("/store")
    expect(cards(page)).to_have_count(12, timeout=UI_TIMEOUT_MS)
    choose(page, "catalog-kind", "Courses")
    choose(page, "catalog-sort", "Price low-high")
    cheapest = min(PUBLISHED, key=lambda c: (course_price(c[4]), c[1]))
    expect(cards(page).first).to_have_attribute("data-code", cheapest[0], timeout=UI_TIMEOUT_MS)


def test_a_course_page_lists_modules_and_a_visitor_adds_it_to_a_guest_cart(page: Page) -> None:
    # given a course page
    page.goto("/store/course/ENG-102")
    course = next(c for c in COURSES if c[0] == "ENG-102")
    for module in course[6]:
        expect(page.get_by_text(module, exact=True)).to_be_visible(timeout=UI_TIMEOUT_MS)
    price = course_price(course[4])
    price_label = f"${price // 100}.{price % 100:02d}"
    expect(page.get_by_text(price_label).first).to_be_visible()
    # when a visitor (not signed in) adds it to the cart
    page.locator("#add-to-cart").click()
    # then the header counts it and the cart lists it at that price
    expect(page.locator("#cart-count")).to_have_text("1", timeout=UI_TIMEOUT_MS)
    page.locator("#cart-link").click()
    expect(page.locator(".cart-line")).to_have_count(1, timeout=UI_TIMEOUT_MS)
    expect(page.locator(".cart-line .line-price")).to_have_text(price_label)
    expect(page.locator("#checkout")).to_have_text("Sign in to check out")


def test_an_unknown_course_shows_a_friendly_not_found(page: Page) -> None:
    page.goto("/store/course/NOPE-999")
    expect(page.get_by_text("Course not found")).to_be_visible(timeout=UI_TIMEOUT_MS)
