"""A billing admin schedules a price change and reads the item's price history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import DEMO_PASSWORD, UI_TIMEOUT_MS, sign_in

pytestmark = pytest.mark.e2e


def test_billing_admin_schedules_a_price_and_sees_the_history(page: Page) -> None:
    # given the billing admin on the pricing page
    sign_in(page, "billing@example.com", DEMO_PASSWORD)
    page.goto("/admin/pricing")
    expect(page.get_by_role("heading", name="Pricing", exact=True)).to_be_visible(
        timeout=UI_TIMEOUT_MS)

    # when they schedule a lower price for Linux for Developers ten days ahead
    page.locator("#new-price").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("combobox").filter(has_text="Choose the item").click()
    page.get_by_role("option").filter(has_text="Linux for Developers").click()
    dialog.locator("#amount").fill("44.99")
    start = (datetime.now(UTC) + timedelta(days=10)).replace(second=0, microsecond=0)
    dialog.locator("#effective_from").fill(start.strftime("%Y-%m-%dT%H:%M"))
    dialog.locator("#create-price-submit").click()

    # then they are told it is scheduled, and the list shows it as scheduled
    expect(page.get_by_text("Price scheduled").first).to_be_visible(timeout=UI_TIMEOUT_MS)
    scheduled = page.locator('tr[data-status="scheduled"]').filter(has_text="Linux for Developers")
    expect(scheduled.first).to_be_visible(timeout=UI_TIMEOUT_MS)
    expect(scheduled.first).to_contain_text("$44.99")

    # when they open the item's history
    scheduled.first.get_by_role("button", name="History").click()
    history = page.locator("#price-history")
    expect(history).to_be_visible(timeout=UI_TIMEOUT_MS)
    # then the current price (now ending at the new start) and the scheduled one are listed
    expect(history.locator('.history-row[data-status="active"]')).to_have_count(1)
    expect(history.locator('.history-row[data-status="scheduled"]')).to_have_count(1)
    expect(history.locator('.history-row[data-status="active"]')).to_contain_text(
        start.strftime("%Y-%m-%d"))


def test_a_paid_price_of_zero_is_refused_beside_the_amount(page: Page) -> None:
    sign_in(page, "billing@example.com", DEMO_PASSWORD)
    page.goto("/admin/pricing")
    page.locator("#new-price").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("combobox").filter(has_text="Choose the item").click()
    page.get_by_role("option").filter(has_text="Git and Code Review").click()
    dialog.locator("#amount").fill("0")
    dialog.locator("#create-price-submit").click()
    expect(dialog.get_by_text("A paid price must be more than zero.")).to_be_visible(
        timeout=UI_TIMEOUT_MS)
