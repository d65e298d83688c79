"""A super-admin invites someone; the invitee sets a password from the link and is in."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import (
    DEMO_PASSWORD,
    SUPER_EMAIL,
    AppServer,
    NewPage,
    sign_in,
    url_with_path,
    wait_hydrated,
)

pytestmark = pytest.mark.e2e


def test_invited_learner_sets_password_and_is_listed(
    new_page: NewPage, app_server: AppServer
) -> None:
    email = f"invitee-{uuid.uuid4().hex[:10]}@example.com"
    name = f"Ivan Invitee {uuid.uuid4().hex[:6]}"

    admin = new_page()
    sign_in(admin, SUPER_EMAIL, DEMO_PASSWORD)
    admin.goto("/admin/users")
    expect(admin.locator(f'[data-email="{SUPER_EMAIL}"]')).to_be_visible()

    admin.locator("#add-user").click()
    dialog = admin.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("heading", name="Add a user")).to_be_visible()
    dialog.locator("#email").fill(email)
    dialog.locator("#full_name").fill(name)
    dialog.get_by_role("combobox").click()
    admin.get_by_role("option", name="Learner", exact=True).click()
    expect(dialog.get_by_role("combobox")).to_have_text("Learner")
    dialog.get_by_role("radio", name="invite").check()
    expect(dialog.get_by_role("radio", name="invite")).to_be_checked()
    expect(dialog.locator("#password")).to_have_count(0)
    dialog.locator("#create-user-submit").click()

    link_input = dialog.locator("#invitation-link")
    expect(link_input).to_be_visible()
    link_prefix = app_server.url("/accept-invite?token=")
    expect(link_input).to_have_value(re.compile("^" + re.escape(link_prefix) + r"\S+$"))
    link = link_input.input_value()

    # The invitee opens the link in their own browser.
    invitee = new_page()
    invitee.goto(link)
    expect(invitee.get_by_role("heading", name="Set your password")).to_be_visible()
    submit = invitee.get_by_role("button", name="Set password and sign in")
    wait_hydrated(invitee, "form button[type=submit]")
    invitee.locator("#password").fill("invitee-password-1")
    invitee.locator("#password_confirm").fill("invitee-password-1")
    submit.click()

    expect(invitee).to_have_url(url_with_path("/account"))
    expect(invitee.locator("#account-name")).to_have_text(name)
    expect(invitee.get_by_text(email, exact=True)).to_be_visible()

    # Back with the admin: the table lists the new account, no longer waiting on the invite.
    dialog.get_by_role("button", name="Done").click()
    expect(dialog).to_have_count(0)
    admin.reload()
    admin.get_by_placeholder("Search name or email").fill(email)
    row = admin.locator(f'[data-email="{email}"]')
    expect(row).to_be_visible()
    expect(row).to_contain_text(name)
    expect(row).to_contain_text("Learner")
    expect(row.get_by_text("active", exact=True)).to_be_visible()
    expect(row.get_by_text("invited", exact=True)).to_have_count(0)
