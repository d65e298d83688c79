"""Checkout steps in the browser shared by the end-to-end tests (not a test module)."""

from __future__ import annotations

import re

from playwright.sync_api import Page

ORDER_URL = re.compile(r"/checkout/(ORD-\d{4}-\d{5})")


def pay_with_sandbox_card(page: Page, number: str) -> None:
    page.locator("#card-number").fill(number)
    page.locator("#card-expiry").fill("12/34")
    page.locator("#card-cvc").fill("123")
    page.locator("#pay").click()


def fill_localstripe_card(page: Page, number: str) -> None:
    # localstripe's Stripe.js renders plain inputs named by their placeholders
    card = page.locator("#card-element")
    card.locator("input[placeholder=number]").fill(number)
    card.locator("input[placeholder=exp_month]").fill("12")
    card.locator("input[placeholder=exp_year]").fill("34")
    card.locator("input[placeholder=cvc]").fill("123")
