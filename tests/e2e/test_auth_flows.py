"""Signing in, out and up, as a user sees it (and the server-side end of a session)."""

from __future__ import annotations

import uuid

import httpx
import pyotp
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import delete
from sqlmodel import Session, col

from commerce_dash.db import build_engine
from commerce_dash.models.accounts import LoginAttempt
from commerce_dash.models.commerce import RateLimitHit
from tests.e2e.conftest import (
    DEMO_PASSWORD,
    LEARNER_EMAIL,
    SUPER_EMAIL,
    AppServer,
    NewPage,
    link_in,
    mail_to,
    register_learner,
    serving,
    sign_in,
    submit_login,
    text_of,
    url_with_path,
    wait_hydrated,
)
from tests.notify.doubles import SmtpServer
from tests.payments.localstripe_server import LocalStripe

pytestmark = pytest.mark.e2e

SESSION_COOKIE = "cd_session"
THIEF_AGENT = "Mozilla/5.0 (X11; Linux x86_64) Thief/1.0"


def session_cookie(page: Page) -> str:
    values = [c["value"] for c in page.context.cookies() if c["name"] == SESSION_COOKIE]
    return values[0] if values else ""


def browser_agent(page: Page) -> str:
    return str(page.evaluate("navigator.userAgent"))


def me_status(app_server: AppServer, token: str, user_agent: str) -> int:
    response = httpx.get(
        app_server.url("/api/v2/auth/me"),
        headers={"Authorization": f"Bearer {token}", "User-Agent": user_agent},
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
    (cookie,) = [c for c in page.context.cookies() if c["name"] == SESSION_COOKIE]
    # page scripts never see the session token: the cookie is HttpOnly
    assert cookie["httpOnly"] is True and cookie["sameSite"] == "Lax"
    assert SESSION_COOKIE not in str(page.evaluate("document.cookie"))
    token = cookie["value"]
    assert me_status(app_server, token, browser_agent(page)) == 200

    page.locator("#sign-out").click()

    expect(page).to_have_url(url_with_path("/"))
    expect(page.get_by_text("You are signed out.")).to_be_visible()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    page.goto("/admin")
    expect(page).to_have_url(url_with_path("/login", query=r"next=/admin/?"))
    expect(page.locator("#sign-in-submit")).to_be_visible()
    assert session_cookie(page) == ""
    # The token is revoked on the server, not only forgotten by the browser.
    assert me_status(app_server, token, browser_agent(page)) == 401


def test_a_stolen_session_cookie_alone_does_not_sign_in_elsewhere(
    page: Page, app_server: AppServer
) -> None:
    # given a learner signed in
    sign_in(page, LEARNER_EMAIL, DEMO_PASSWORD)
    expect(page.locator("#account-menu")).to_be_visible()
    token = session_cookie(page)

    # when the cookie turns up in another browser, it is refused there
    assert me_status(app_server, token, THIEF_AGENT) == 401

    # and that session is over (the learner signs in again; the thief has nothing)
    assert me_status(app_server, token, browser_agent(page)) == 401
    page.goto("/account")
    expect(page).to_have_url(url_with_path("/login", query=r"next=/account"))


def test_wrong_password_is_refused_on_the_login_page(page: Page) -> None:
    page.goto("/login")

    submit_login(page, LEARNER_EMAIL, "not-the-password")

    expect(page.get_by_text("Email or password is incorrect.")).to_be_visible()
    expect(page).to_have_url(url_with_path("/login"))
    expect(page.locator("#sign-in-submit")).to_be_enabled()
    assert session_cookie(page) == ""


def test_registering_a_taken_address_answers_as_for_a_new_one(
    page: Page, app_server: AppServer
) -> None:
    # when someone registers with the address of an existing account
    fill_register(
        page, full_name="Someone Else", email=LEARNER_EMAIL, password="a-good-password-1"
    )

    # they read what anyone registering reads, and nobody is signed in
    expect(page.locator("#register-sent")).to_contain_text("Check your email")
    expect(page.locator("#email-error")).to_have_count(0)
    assert session_cookie(page) == ""
    # the account's owner is told, with the way to sign in or reset the password
    message = mail_to(app_server, LEARNER_EMAIL, "Someone tried to sign up")
    assert "/forgot-password" in text_of(message)


def test_a_new_learner_confirms_the_emailed_link_and_is_signed_in(
    page: Page, app_server: AppServer
) -> None:
    email = f"new-learner-{uuid.uuid4().hex[:10]}@example.com"
    name = "Nora Newcomer"

    fill_register(page, full_name=name, email=email, password="a-good-password-1")
    expect(page.locator("#register-sent")).to_contain_text("Check your email")
    assert session_cookie(page) == ""

    link = link_in(mail_to(app_server, email, "Confirm your email"), "/confirm-email")
    page.goto(link)
    wait_hydrated(page, "#confirm-email-submit")
    page.locator("#confirm-email-submit").click()

    expect(page).to_have_url(url_with_path("/store"))
    expect(page.get_by_text("Your email address is confirmed.")).to_be_visible()
    page.goto("/account")
    expect(page.locator("#account-name")).to_have_text(name)
    expect(page.get_by_text(email, exact=True)).to_be_visible()
    expect(page.locator("#account-menu")).to_be_visible()
    assert "ready" in str(mail_to(app_server, email, "account is ready")["Subject"])

    # the link worked once
    page.goto(link)
    wait_hydrated(page, "#confirm-email-submit")
    page.locator("#confirm-email-submit").click()
    expect(page.get_by_text("This confirmation link is invalid or has expired.")).to_be_visible()


def test_a_forgotten_password_is_reset_by_the_emailed_link(
    new_page: NewPage, app_server: AppServer
) -> None:
    page = new_page()
    old, new = "the-old-password-1", "the-new-password-2"
    address, _token = register_learner(app_server, "Pat Reset", old)

    # when they ask for a link from the sign-in page
    page.goto("/login")
    page.locator("#forgot-password-link").click()
    expect(page).to_have_url(url_with_path("/forgot-password"))
    wait_hydrated(page, "#forgot-submit")
    page.locator("#email").fill(address)
    page.locator("#forgot-submit").click()
    expect(page.locator("#reset-sent")).to_contain_text("we sent it a link")

    # and follow it to choose a new password
    link = link_in(mail_to(app_server, address, "Choose a new password"), "/reset-password")
    page.goto(link)
    wait_hydrated(page, "#reset-submit")
    page.locator("#password").fill(new)
    page.locator("#password_confirm").fill(new)
    page.locator("#reset-submit").click()

    # they are signed in, told, and emailed
    expect(page).to_have_url(url_with_path("/account"))
    expect(page.get_by_text("Your password was changed")).to_be_visible()
    mail_to(app_server, address, "Your password was changed")

    # the old password no longer works, the new one does, and the link is used up
    fresh = new_page()
    fresh.goto("/login")
    submit_login(fresh, address, old)
    expect(fresh.get_by_text("Email or password is incorrect.")).to_be_visible()
    submit_login(fresh, address, new)
    fresh.wait_for_url(lambda url: "/account" in url)
    fresh.goto(link)
    wait_hydrated(fresh, "#reset-submit")
    fresh.locator("#password").fill("a-third-password-3")
    fresh.locator("#password_confirm").fill("a-third-password-3")
    fresh.locator("#reset-submit").click()
    expect(fresh.get_by_text("This password link is invalid or has expired.")).to_be_visible()


def _forget_sign_in_failures(app_server: AppServer) -> None:
    """The failures below count against 127.0.0.1, where every other test signs in from."""
    engine = build_engine(app_server.database_url)
    with Session(engine) as session:
        session.execute(delete(RateLimitHit).where(
            col(RateLimitHit.bucket).startswith("login:")))
        session.execute(delete(LoginAttempt))
        session.commit()
    engine.dispose()


def test_a_forged_x_forwarded_for_does_not_escape_the_sign_in_limit(
    new_page: NewPage, app_server: AppServer
) -> None:
    limit = 20  # COMMERCE_LOGIN_MAX_FAILURES_PER_CLIENT's default
    _forget_sign_in_failures(app_server)
    try:
        # given a client that failed to sign in up to the limit, each time claiming to
        # be someone else in X-Forwarded-For
        for i in range(limit):
            answer = httpx.post(app_server.url("/api/v2/auth/login"), timeout=10,
                                headers={"X-Forwarded-For": f"198.51.100.{i + 1}"},
                                json={"email": f"nobody-{i}@example.com", "password": "guess"})
            assert answer.status_code == 401, answer.text

        # when it signs in from the browser, with yet another forged address and the
        # right password
        page = new_page()
        page.context.set_extra_http_headers({"X-Forwarded-For": "203.0.113.77"})
        page.goto("/login")
        submit_login(page, LEARNER_EMAIL, DEMO_PASSWORD)

        # then the limit holds: the header is the client's own, not a proxy's
        expect(page.get_by_text("Too many sign-in attempts")).to_be_visible()
        expect(page).to_have_url(url_with_path("/login"))
        assert session_cookie(page) == ""
    finally:
        _forget_sign_in_failures(app_server)


def test_an_admin_needing_a_second_factor_reaches_admin_only_with_it(
    new_page: NewPage, e2e_smtp: SmtpServer, localstripe_server: LocalStripe
) -> None:
    with serving(e2e_smtp, localstripe_server, own_build=True,
                 COMMERCE_REQUIRE_SECOND_FACTOR_FOR_ADMINS="true") as strict:
        page = new_page(server=strict)
        # given a billing admin who signs in with the password only
        sign_in(page, "billing@example.com", DEMO_PASSWORD)
        page.goto("/admin/refunds")

        # then the admin pages stay closed, and say why and what to do
        expect(page.locator("#second-factor-needed")).to_be_visible()
        expect(page.get_by_role("heading", name="Refunds")).to_have_count(0)
        token = session_cookie(page)
        refused = httpx.get(strict.url("/api/v2/admin/refunds"), timeout=10, headers={
            "Authorization": f"Bearer {token}", "User-Agent": browser_agent(page)})
        assert refused.status_code == 403, refused.text
        assert refused.json()["code"] == "second_factor_required"

        # when they turn on two-factor sign-in with an authenticator app
        page.get_by_role("link", name="Set up two-factor sign-in").click()
        expect(page).to_have_url(url_with_path("/account/security"))
        page.locator("#start-enrolment").click()
        secret = page.locator("#enrol-secret").inner_text()
        expect(page.locator("#enrol-qr")).to_be_visible()
        page.locator("#code").fill(pyotp.TOTP(secret).now())
        page.locator("#confirm-enrolment").click()
        expect(page.locator("#recovery-codes")).to_be_visible()
        codes = page.locator(".recovery-code").all_inner_texts()
        assert len(codes) == 10

        # then this session opens the admin pages
        page.goto("/admin/refunds")
        expect(page.get_by_role("heading", name="Refunds")).to_be_visible()

        # and a new sign-in asks for a code first (a recovery code works once)
        fresh = new_page(server=strict)
        fresh.goto("/login")
        submit_login(fresh, "billing@example.com", DEMO_PASSWORD)
        expect(fresh).to_have_url(url_with_path("/sign-in/code"))
        assert session_cookie(fresh) == ""
        wait_hydrated(fresh, "#second-factor-submit")
        fresh.locator("#code").fill("000000")
        fresh.locator("#second-factor-submit").click()
        expect(fresh.locator("#code-error")).to_contain_text("That code is not right")
        fresh.locator("#code").fill(codes[0])
        fresh.locator("#second-factor-submit").click()
        expect(fresh).to_have_url(url_with_path("/admin"))
        fresh.goto("/admin/refunds")
        expect(fresh.get_by_role("heading", name="Refunds")).to_be_visible()
