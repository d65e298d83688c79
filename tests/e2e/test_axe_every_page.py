"""axe-core over every page of the page matrix: no critical and no serious violation.

One browser session per role keeps it quick: a visitor for the public pages, the demo
learner (who owns a completed course, a certificate and an order) for the learner pages, and
the super-admin, who may open every admin section. Each violation is printed in full.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect

from commerce_dash import routes
from commerce_dash.domain.access import SECTIONS
from tests.e2e.checkout_steps import ORDER_URL
from tests.e2e.conftest import (
    DEMO_PASSWORD,
    LEARNER_EMAIL,
    SUPER_EMAIL,
    UI_TIMEOUT_MS,
    NewPage,
    choose,
    serious_axe_violations,
    sign_in,
)

pytestmark = pytest.mark.e2e

CERTIFICATE = re.compile(r"CERT-\d{4}-[0-9A-Z]{11}")
ORDER = re.compile(r"ORD-\d{4}-\d{5}")
# the admin pages below a section, each opened by the super-admin
ADMIN_SUBPAGES = (
    routes.ADMIN_CERT_TEMPLATES, routes.ADMIN_PROGRESS, routes.ADMIN_EMAILS,
)


def _settled(page: Page) -> None:
    """Wait until the page's data arrived: hydrated, no spinner or skeleton left."""
    page.wait_for_function("() => document.readyState === 'complete'", timeout=UI_TIMEOUT_MS)
    page.wait_for_function(
        """() => !document.querySelector('.rt-Spinner, .rt-Skeleton')""",
        timeout=UI_TIMEOUT_MS,
    )
    page.wait_for_timeout(300)


def _check(page: Page, name: str, found: dict[str, list[str]]) -> None:
    _settled(page)
    found[name] = serious_axe_violations(page)


def _visit(page: Page, path: str, found: dict[str, list[str]], ready: str = "h1, h2") -> bool:
    """Open ``path``, wait for ``ready`` and run axe-core; a page that does not load is
    recorded as a failure and the next page still gets checked."""
    try:
        page.goto(path)
        expect(page.locator(ready).first).to_be_visible()
        _check(page, path, found)
    except (PlaywrightError, AssertionError) as exc:
        found[path] = [f"did not load: {str(exc).splitlines()[0]}"]
        return False
    return True


def _report(found: dict[str, list[str]]) -> None:
    failing = {name: v for name, v in found.items() if v}
    for name, violations in failing.items():
        print(f"\n== {name}: {len(violations)} critical/serious")
        for violation in violations:
            print("  ", violation)
    assert not failing, f"axe-core violations on {sorted(failing)} (printed above)"


def _first_match(page: Page, pattern: re.Pattern[str]) -> str:
    try:
        expect(page.get_by_text(pattern).first).to_be_visible()
    except AssertionError:
        return ""
    found = pattern.search(page.locator("body").inner_text())
    return found.group(0) if found else ""


def test_public_and_learner_pages_have_no_serious_axe_violations(new_page: NewPage) -> None:
    found: dict[str, list[str]] = {}
    visitor = new_page()
    for path in (routes.HOME, routes.STORE, f"{routes.STORE_COURSE}/ENG-101",
                 f"{routes.STORE_PROGRAM}/P-PYDEV", f"{routes.STORE_DEPARTMENT}/ENG",
                 routes.LOGIN, routes.REGISTER, routes.FORGOT_PASSWORD):
        _visit(visitor, path, found)

    learner = new_page()
    sign_in(learner, LEARNER_EMAIL, DEMO_PASSWORD)
    for path in (routes.ACCOUNT, routes.SCHEDULE, routes.MY_SUBSCRIPTIONS,
                 routes.ACCOUNT_SECURITY, f"{routes.LEARN}/ENG-102"):
        _visit(learner, path, found)
    # an order of the learner's and the certificate of the course they completed
    order = _first_match(learner, ORDER) if _visit(learner, routes.ORDERS, found) else ""
    certificate = (_first_match(learner, CERTIFICATE)
                   if _visit(learner, routes.MY_CERTIFICATES, found) else "")
    assert order and certificate, "the demo learner has no order or no certificate"
    _visit(learner, routes.order_href(order), found)
    _visit(visitor, routes.verify_href(certificate), found)

    # the cart with an item (its currency and country selects), then its checkout
    learner.goto(f"{routes.STORE_COURSE}/BUS-101")
    learner.locator("#add-to-cart").click()
    expect(learner.locator("#cart-count")).to_be_visible()
    if _visit(learner, routes.CART, found, ready=".cart-line"):
        if learner.locator("#billing-country").count():  # tax needs the billing country
            choose(learner, "#billing-country", "Germany")
        expect(learner.locator("#checkout")).to_be_enabled()
        learner.locator("#checkout").click()
        learner.wait_for_url(ORDER_URL, timeout=UI_TIMEOUT_MS)
        expect(learner.locator("#checkout-total")).to_be_visible()
        _check(learner, "/checkout/[number]", found)
    _report(found)


def test_every_admin_section_has_no_serious_axe_violations(new_page: NewPage) -> None:
    found: dict[str, list[str]] = {}
    admin = new_page()
    sign_in(admin, SUPER_EMAIL, DEMO_PASSWORD)
    for section in SECTIONS:
        _visit(admin, section.route, found, ready="main h1, main h2")
    for path in ADMIN_SUBPAGES:
        _visit(admin, path, found, ready="main h1, main h2")
    admin.goto(routes.ADMIN_ORDERS)
    first = admin.locator(f'a[href^="{routes.ADMIN_ORDERS}/ORD-"]').first
    expect(first).to_be_visible()
    _visit(admin, first.get_attribute("href") or "", found)
    _report(found)
