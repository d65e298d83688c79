"""Signing in, out and up, as a user sees it (and the server-side end of a session)."""

from __future__ import annotations

import uuid

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import (
    DEMO_PASSWORD,
    LEARNER_EMAIL,
    SUPER_EMAIL,
    AppServer,
    sign_in,
    submit_login,
    url_with_path,
    wait_hydrated,
)

pytestmark = pytest.mark.e2e

SESSION_COOKIE = "cd_session"
DUPLICATE_EMAIL = "An account with this email already exists. Sign in instead."


def session_cookie(page: Page) -> str:
    values = [c["value"] for c in page.context.cookies() if c["name"] == SESSION_COOKIE]
    return values[0] if values else ""


def me_status(app_server: AppServer, token: str) -> int:
    response = httpx.get(
        app_server.url("/api/v2/auth/me"),
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    return response.status_code


def fill_register(page: Page, *, full_name: str, email: str, password: str) -> None:
    page.goto("/register")
    wait_hydrated(page, "#register-submit")
    page.locator("#full_name").fill(full_name)
    page.locator("#email").fill(email)
    page.locator("#password").fill(password)
    page.locator("#password_confirm").fill(password)
    page.locator("#register-submit").click()


def test_sign_out_ends_the_session_in_browser_and_server(
    page: Page, app_server: AppServer
) -> None:
    sign_in(page, SUPER_EMAIL, DEMO_PASSWORD)
    expect(page).to_have_url(url_with_path("/admin"))
    expect(page.locator("#signed-in-user")).to_have_text("Sam Super")
    token = session_cookie(page)
    assert token, "signing in must set the session cookie"
    assert me_status(app_server, token) == 200

    page.locator("#sign-out").click()

    expect(page).to_have_url(url_with_path("/"))
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    page.goto("/admin")
    expect(page).to_have_url(url_with_path("/login", query=r"next=/admin/?"))
    expect(page.locator("#sign-in-submit")).to_be_visible()
    assert session_cookie(page) == ""
    # The token is revoked on the server, not only forgotten by the browser.
    assert me_status(app_server, token) == 401


def test_wrong_password_is_refused_on_the_login_page(page: Page) -> None:
    page.goto("/login")

    submit_login(page, LEARNER_EMAIL, "not-the-password")

    expect(page.get_by_text("Email or password is incorrect.")).to_be_visible()
    expect(page).to_have_url(url_with_path("/login"))
    expect(page.locator("#sign-in-submit")).to_be_enabled()
    assert session_cookie(page) == ""


def test_register_with_existing_email_shows_duplicate_beside_email(page: Page) -> None:
    fill_register(
        page, full_name="Someone Else", email=LEARNER_EMAIL, password="a-good-password-1"
    )

    error = page.locator("#email-error")
    expect(error).to_have_text(DUPLICATE_EMAIL)
    # "Beside the email field": the message belongs to the email field's group, under it.
    field_group = page.locator("#email").locator(
        "xpath=ancestor::div[.//*[@id='email-error']][1]"
    )
    expect(field_group.locator("#email-error")).to_be_visible()
    expect(field_group.locator("#password")).to_have_count(0)
    expect(page.locator("#password-error")).to_have_count(0)
    email_box = page.locator("#email").bounding_box()
    error_box = error.bounding_box()
    assert email_box is not None and error_box is not None
    assert error_box["y"] >= email_box["y"] + email_box["height"] - 1
    expect(page).to_have_url(url_with_path("/register"))
    assert session_cookie(page) == ""


def test_register_new_learner_lands_on_account(page: Page) -> None:
    email = f"new-learner-{uuid.uuid4().hex[:10]}@example.com"
    name = "Nora Newcomer"

    fill_register(page, full_name=name, email=email, password="a-good-password-1")

    expect(page).to_have_url(url_with_path("/account"))
    expect(page.locator("#account-name")).to_have_text(name)
    expect(page.get_by_text(email, exact=True)).to_be_visible()
    expect(page.locator("#account-menu")).to_be_visible()
