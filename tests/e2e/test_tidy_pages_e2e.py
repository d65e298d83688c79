"""Tidy pages in the prod build: the revenue page's JavaScript stays under 1 MB, its charts
fill their cards and follow a resize, tables turn into labelled cards on a phone without
sideways scrolling, the discount codes' actions stay in view at 1366 px, and the overview's
cards link to their pages and count only the admin's scope."""

from __future__ import annotations

import os
import re
import uuid
from datetime import timedelta

import pytest
from playwright.sync_api import Browser, Page, Request, expect
from sqlalchemy import delete
from sqlmodel import Session, col, select

from commerce_dash import routes
from commerce_dash.db import build_engine
from commerce_dash.domain.access import SECTIONS
from commerce_dash.domain.clock import utcnow
from commerce_dash.models.accounts import User
from commerce_dash.models.commerce import Order, Payment
from tests.e2e.conftest import (
    DEMO_PASSWORD,
    LEARNER_EMAIL,
    MOBILE,
    SUPER_EMAIL,
    UI_TIMEOUT_MS,
    AppServer,
    NewPage,
    scroll_width,
    serious_axe_violations,
    sign_in,
)

pytestmark = pytest.mark.e2e

MAX_REVENUE_JS_BYTES = 1_000_000
WIDE = {"width": 1366, "height": 900}
BILLING_EMAIL = "billing@example.com"
ENROLLMENT_EMAIL = "enrollment@example.com"


def _charts_drawn(page: Page) -> None:
    for chart in ("#revenue-over-time", "#revenue-top", "#revenue-split"):
        expect(page.locator(f"{chart} .main-svg").first).to_be_visible(timeout=UI_TIMEOUT_MS)


def test_revenue_page_javascript_is_under_one_megabyte(browser: Browser,
                                                       app_server: AppServer) -> None:
    # given a billing admin signed in (the session copied into a context with an empty cache)
    signing = browser.new_context(base_url=app_server.base_url, viewport=WIDE)
    sign_in(signing.new_page(), BILLING_EMAIL, DEMO_PASSWORD)
    context = browser.new_context(base_url=app_server.base_url, viewport=WIDE,
                                  storage_state=signing.storage_state())
    signing.close()
    scripts: list[Request] = []
    page = context.new_page()
    page.on("requestfinished",
            lambda r: scripts.append(r) if r.url.split("?")[0].endswith(".js") else None)
    try:
        # when the revenue page opens and draws its charts
        page.goto(routes.ADMIN_REVENUE)
        _charts_drawn(page)
        page.wait_for_load_state("networkidle")
        # then the JavaScript it fetched weighs less than 1 MB on the wire
        sent = sum(r.sizes()["responseBodySize"] for r in scripts)
        decoded = sum(len(r.response().body()) for r in scripts if r.response())
        print(f"\n/admin/revenue JavaScript: {len(scripts)} files, {sent} bytes transferred, "
              f"{decoded} bytes decoded")
        assert 0 < sent < MAX_REVENUE_JS_BYTES, f"{sent} bytes of JavaScript"
    finally:
        context.close()


def test_revenue_charts_fill_their_cards_and_follow_a_resize(new_page: NewPage) -> None:
    page = new_page(WIDE)
    sign_in(page, BILLING_EMAIL, DEMO_PASSWORD)
    page.goto(routes.ADMIN_REVENUE)
    _charts_drawn(page)

    def gaps() -> list[float]:
        # the space each chart leaves in its card (card width minus the drawing's width)
        return page.evaluate("""() => ['#revenue-over-time', '#revenue-top', '#revenue-split']
            .map(id => {
                const card = document.querySelector(id);
                const svg = card.querySelector('.main-svg');
                return card.getBoundingClientRect().width - svg.getBoundingClientRect().width;
            })""")

    for gap in gaps():
        assert 0 <= gap <= 60, f"a chart leaves {gap}px of its card (or overflows it)"
    # a narrower window: the charts shrink with their cards
    page.set_viewport_size({"width": 900, "height": 900})
    page.wait_for_timeout(800)
    for gap in gaps():
        assert 0 <= gap <= 60, f"after the resize a chart leaves {gap}px (or overflows)"


def _cards_shown(page: Page, what: str) -> None:
    """The table's first row is drawn and takes clicks (not clipped nor covered), and the
    page does not scroll sideways."""
    expect(page.locator(".data-table tbody tr").first).to_be_visible()
    page.wait_for_timeout(300)
    cell = page.locator(".data-table tbody tr > td").first
    cell.click(trial=True, timeout=5_000)
    box = page.locator(".data-table tbody tr").first.bounding_box()
    assert box is not None and box["height"] > 30, f"{what}: the first row is {box}"
    assert scroll_width(page) <= MOBILE["width"] + 1, f"{what} scrolls sideways"
    if os.environ.get("E2E_SHOTS"):  # for a look at the cards
        page.screenshot(path=f"{os.environ['E2E_SHOTS']}/{what.strip('/').replace('/', '_')}.png",
                        full_page=True)


def _cell_label(page: Page, selector: str) -> str:
    return str(page.locator(selector).first.evaluate(
        "el => getComputedStyle(el, '::before').content"))


def test_tables_become_labelled_cards_on_a_phone(new_page: NewPage) -> None:
    admin = new_page(MOBILE)
    sign_in(admin, SUPER_EMAIL, DEMO_PASSWORD)
    for path in (routes.ADMIN_ORDERS, routes.ADMIN_DISCOUNTS, routes.ADMIN_AUDIT):
        admin.goto(path)
        _cards_shown(admin, path)
        # each cell says which column it is
        assert _cell_label(admin, ".data-table tbody tr > td:nth-child(2)") not in (
            "none", "normal", '""'), path
        expect(admin.locator(".data-table thead").first).not_to_be_in_viewport()

    learner = new_page(MOBILE)
    sign_in(learner, LEARNER_EMAIL, DEMO_PASSWORD)
    learner.goto(routes.ORDERS)
    _cards_shown(learner, routes.ORDERS)
    assert _cell_label(learner, ".data-table tbody tr > td:nth-child(1)") == '"Order"'
    learner.locator(".data-table tbody a").first.click()
    expect(learner).to_have_url(re.compile(re.escape(routes.ORDERS) + r"/ORD-"))
    _cards_shown(learner, "receipt")
    assert _cell_label(learner, ".data-table tbody tr > td:nth-child(1)") == '"Item"'


def test_discount_code_actions_stay_in_view_at_1366(new_page: NewPage) -> None:
    page = new_page(WIDE)
    sign_in(page, BILLING_EMAIL, DEMO_PASSWORD)
    page.goto(routes.ADMIN_DISCOUNTS)
    edit = page.locator(".discount-row .edit-code").first
    expect(edit).to_be_visible()
    box = edit.bounding_box()
    assert box is not None and box["x"] + box["width"] <= WIDE["width"], box
    expect(edit).to_be_in_viewport()
    assert scroll_width(page) <= WIDE["width"] + 1


def test_overview_cards_link_to_their_pages_and_keep_to_the_admins_scope(
        new_page: NewPage) -> None:
    # a super-admin's Users card opens the users page
    admin = new_page(WIDE)
    sign_in(admin, SUPER_EMAIL, DEMO_PASSWORD)
    admin.goto(routes.ADMIN)
    users = admin.locator('[data-kpi="Users"]')
    expect(users).to_have_attribute("href", routes.ADMIN_USERS)
    users.click()
    expect(admin.get_by_role("heading", name="Users & roles", exact=True)).to_be_visible()

    # an enrollment admin sees their queue and departments, no platform or sales figures
    enrollment = new_page(WIDE)
    sign_in(enrollment, ENROLLMENT_EMAIL, DEMO_PASSWORD)
    enrollment.goto(routes.ADMIN)
    expect(enrollment.locator('[data-kpi="Registrations waiting"]')).to_have_attribute(
        "href", routes.ADMIN_REGISTRATIONS)
    expect(enrollment.locator('[data-kpi="Departments"]')).to_be_visible()
    for hidden in ("Users", "Signed in now", "Admin actions (24 h)", "Revenue (24 h)",
                   "Refunds waiting"):
        expect(enrollment.locator(f'[data-kpi="{hidden}"]')).to_have_count(0)
    # a card for a page they may not open is no link
    expect(enrollment.locator('[data-kpi="Courses"]')).not_to_have_attribute(
        "href", routes.ADMIN_COURSES)


def test_no_admin_section_scrolls_sideways_on_a_phone(new_page: NewPage) -> None:
    page = new_page(MOBILE)
    sign_in(page, SUPER_EMAIL, DEMO_PASSWORD)
    wide: dict[str, int] = {}
    serious: dict[str, list[str]] = {}
    for section in SECTIONS:
        page.goto(section.route)
        expect(page.get_by_role("heading", name=section.label, exact=True)).to_be_visible()
        page.wait_for_timeout(500)
        # what a phone shows differs (icon-only buttons, stacked cards): axe-core here too
        found = serious_axe_violations(page)
        if found:
            serious[section.route] = found
        if scroll_width(page) > MOBILE["width"] + 1:
            wide[section.route] = scroll_width(page)
            if os.environ.get("E2E_SHOTS"):
                page.screenshot(path=f"{os.environ['E2E_SHOTS']}/wide_{section.key}.png",
                                full_page=True)
    assert not wide, f"pages wider than {MOBILE['width']} px: {wide}"
    assert not serious, "\n".join(f"{route}: {v}" for route, vs in serious.items() for v in vs)


def test_overflowing_reconciliation_tables_are_reachable_by_keyboard_on_a_phone(
        new_page: NewPage, app_server: AppServer) -> None:
    """Paid orders without their ledger sale on six days fill both reconciliation tables
    past their 24em: each scrolls in a named region a keyboard can focus (axe-core)."""
    engine = build_engine(app_server.database_url)
    now = utcnow()
    with Session(engine) as session:
        learner = session.exec(select(User).where(col(User.email) == LEARNER_EMAIL)).one()
        ids = []
        for day in range(1, 7):
            at = now - timedelta(days=day)
            order = Order(user_id=learner.id or 0, status="completed", payment_status="paid",
                          processor="sandbox", currency="USD", subtotal=1000, total=1000,
                          display_currency="USD", display_total=1000,
                          idempotency_key=f"recon-{uuid.uuid4().hex}", request_hash="x",
                          prices_locked_until=at, created_at=at, updated_at=at,
                          completed_at=at)
            session.add(order)
            session.flush()
            session.add(Payment(order_id=order.id or 0, user_id=learner.id or 0,
                                processor="sandbox", amount=1000, currency="USD",
                                status="succeeded", created_at=at, updated_at=at,
                                processed_at=at))
            ids.append(order.id)
        session.commit()
    try:
        page = new_page(MOBILE)
        sign_in(page, SUPER_EMAIL, DEMO_PASSWORD)
        page.goto(routes.ADMIN_REVENUE)
        expect(page.locator(".reconciliation-problem").first).to_be_visible()
        for name in ("Reconciliation by day", "Reconciliation problems"):
            region = page.get_by_role("region", name=name)
            assert region.evaluate("el => el.scrollHeight > el.clientHeight"), name
        assert serious_axe_violations(page) == []
    finally:
        with Session(engine) as session:
            session.execute(delete(Payment).where(col(Payment.order_id).in_(ids)))
            session.execute(delete(Order).where(col(Order.id).in_(ids)))
            session.commit()
        engine.dispose()


def test_recovered_carts_card_shows_its_figures_and_follows_the_period(
        new_page: NewPage) -> None:
    page = new_page(WIDE)
    sign_in(page, BILLING_EMAIL, DEMO_PASSWORD)
    page.goto(routes.ADMIN_REVENUE)
    card = page.locator("#recovered-carts-card")
    # the card loads with the page's period: its three figures are shown
    expect(card.locator("[data-kpi]")).to_have_count(3)
    for label in ("Recovered orders", "Recovered revenue", "Reminders sent"):
        expect(card.locator(f'[data-kpi="{label}"] .kpi-value')).not_to_have_text("")
    # a period of one day in 2020 reloads it: nothing was recovered then
    page.locator("#revenue-start").fill("2020-01-01")
    page.locator("#revenue-end").fill("2020-01-01")
    expect(card.locator('[data-kpi="Recovered orders"] .kpi-value')).to_have_text("0")
