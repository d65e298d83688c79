"""Department subscriptions in the prod build (issue 16): a learner subscribes with a trial,
enrolls in two included courses and cancels; the billing admin finds the subscription, its
invoices and timeline, and the MRR on the revenue page. The new pages pass axe-core (no
critical or serious violations) and do not scroll sideways on a 375 px phone."""

from __future__ import annotations

import os
import re
import subprocess

import pytest
from playwright.sync_api import Page, expect

from commerce_dash.demo.data import COURSES, SUBSCRIPTION_PLANS
from tests.e2e.conftest import (
    DEMO_PASSWORD,
    E2E_SECRET_KEY,
    LEARNER_EMAIL,
    LEARNER_PASSWORD,
    MOBILE,
    PROJECT_ROOT,
    VENV_BIN,
    AppServer,
    NewPage,
    choose,
    mail_to,
    register_learner,
    scroll_width,
    serious_axe_violations,
    sign_in,
    text_of,
    url_with_path,
    wait_hydrated,
)

pytestmark = pytest.mark.e2e

BILLING_EMAIL = "billing@example.com"
# The Business School: one monthly plan with a trial, no approval to enroll, and no demo
# subscriber (Leo has Engineering, Ivy Health Sciences).
DEPARTMENT, DEPARTMENT_NAME = "BUS", "Business School"
_, _, AMOUNT, TRIAL_DAYS = next(p for p in SUBSCRIPTION_PLANS if p[0] == DEPARTMENT)
TWO_COURSES = [(c[0], c[1]) for c in COURSES if c[2] == DEPARTMENT and c[5]][:2]
SUB_NUMBER = re.compile(r"SUB-\d+")


def _money(text: str) -> int:
    """Cents of a "$1,234.56" label."""
    found = re.search(r"\$([\d,]+)\.(\d\d)", text)
    assert found, f"no dollar amount in {text!r}"
    return int(found.group(1).replace(",", "")) * 100 + int(found.group(2))


def test_learner_subscribes_with_a_trial_enrolls_cancels_and_billing_sees_it(
    new_page: NewPage, app_server: AppServer
) -> None:
    assert TRIAL_DAYS > 0 and len(TWO_COURSES) == 2
    address, _ = register_learner(app_server, "Sam Subscriber")
    learner = new_page()
    sign_in(learner, address, LEARNER_PASSWORD)

    # the department page offers its plan with the trial
    learner.goto(f"/store/department/{DEPARTMENT}")
    plan = learner.locator(".department-plan").filter(has_text=f"{TRIAL_DAYS}-day free trial")
    expect(plan).to_have_count(1)
    expect(plan).to_contain_text(f"${AMOUNT // 100}.{AMOUNT % 100:02d}")
    plan.get_by_role("button", name=re.compile(r"^Subscribe")).click()

    # the subscribe page: country, the quote (nothing today), the test card
    expect(learner).to_have_url(url_with_path(f"/subscribe/{DEPARTMENT}", r"plan=\d+"))
    expect(learner.locator("#subscribe-title")).to_have_text(f"Subscribe to {DEPARTMENT_NAME}")
    wait_hydrated(learner, "#subscribe")
    choose(learner, "#billing-country", "United States")
    expect(learner.locator("#billing-country")).to_contain_text("United States")
    expect(learner.locator("#quote-trial")).to_contain_text(f"({TRIAL_DAYS}-day trial)")
    expect(learner.locator("#quote-today")).to_have_text("$0.00")
    expect(learner.locator("#quote-then")).to_contain_text("then $")
    learner.locator("#card-number").fill("4242 4242 4242 4242")
    learner.locator("#card-expiry").fill("12/34")
    learner.locator("#card-cvc").fill("123")
    learner.locator("#subscribe").click()

    # My subscriptions: the trial
    expect(learner).to_have_url(url_with_path("/account/subscriptions"))
    mine = learner.locator(".subscription").filter(has_text=DEPARTMENT_NAME)
    expect(mine).to_have_count(1)
    status = mine.locator(".subscription-status")
    expect(status).to_have_attribute("data-status", "trialing")
    expect(status).to_have_text("Trial")
    expect(mine.locator(".subscription-next")).to_contain_text("Trial until")
    expect(mine.locator(".subscription-card")).to_contain_text("4242")
    found = SUB_NUMBER.search(mine.inner_text())
    assert found, mine.inner_text()
    number = found.group(0)

    # two courses of the department come with it: Enroll on each
    learner.goto(f"/store/department/{DEPARTMENT}")
    for code, _title in TWO_COURSES:
        card = learner.locator(f'.catalog-card[data-code="{code}"]')
        expect(card.locator(".catalog-card-price")).to_have_text("Included in your subscription")
    for code, title in TWO_COURSES:
        learner.goto(f"/store/department/{DEPARTMENT}")
        learner.locator(f'.catalog-card[data-code="{code}"] .catalog-card-title').click()
        expect(learner).to_have_url(url_with_path(f"/store/course/{code}"))
        expect(learner.locator("#course-title")).to_have_text(title)
        expect(learner.locator("#course-included")).to_be_visible()
        wait_hydrated(learner, "#enroll")
        learner.locator("#enroll").click()
        expect(learner.locator("#enroll-status")).to_contain_text("You are enrolled")
    learner.goto("/account")
    my_courses = learner.locator("#my-courses .my-course")
    for _, title in TWO_COURSES:
        expect(my_courses.filter(has_text=title)).to_have_count(1)

    # cancel from My subscriptions: at the end of the trial period
    learner.goto("/account/subscriptions")
    mine = learner.locator(".subscription").filter(has_text=number)
    mine.get_by_role("button", name=f"Cancel {number}", exact=True).click()
    dialog = learner.get_by_role("alertdialog").or_(learner.get_by_role("dialog"))
    expect(dialog).to_contain_text(f"Cancel {number}")
    expect(dialog.get_by_role("radio", name=re.compile("At the end of the period"))) \
        .to_be_checked()
    learner.locator("#confirm-cancel").click()
    expect(dialog).to_have_count(0)
    expect(mine.locator(".subscription-next")).to_contain_text("Ends on")
    expect(mine.get_by_role("button", name=f"Undo cancel {number}", exact=True)).to_be_visible()
    expect(mine.get_by_role("button", name=f"Cancel {number}", exact=True)).to_have_count(0)

    # the billing admin finds it with the filters, opens it: trial, invoices, timeline
    admin = new_page()
    sign_in(admin, BILLING_EMAIL, DEMO_PASSWORD)
    admin.goto("/admin/subscriptions")
    rows = admin.locator(".admin-subscription-row")
    expect(rows.first).to_be_visible()
    choose(admin, "#subscription-department", DEPARTMENT_NAME)
    choose(admin, "#subscription-status", "Trialing")
    admin.locator("#subscription-learner-search").fill(address)
    row = admin.locator(f'.admin-subscription-row[data-number="{number}"]')
    expect(row).to_have_count(1)
    expect(rows).to_have_count(1)
    expect(row).to_contain_text(address)
    expect(row).to_contain_text("Ends at period end")
    row.get_by_role("link", name=number).click()

    expect(admin).to_have_url(url_with_path(f"/admin/subscriptions/{number}"))
    summary = admin.locator("#subscription-summary")
    expect(summary.locator(".status-badge")).to_have_attribute("data-status", "trialing")
    expect(summary.locator('[data-label="Learner"]')).to_contain_text(address)
    expect(summary.locator('[data-label="Department"]')).to_contain_text(DEPARTMENT_NAME)
    expect(summary.locator('[data-label="Next charge"]')).to_contain_text("None: ends on")
    expect(summary.locator('[data-label="Trial ends"]')).not_to_have_text(re.compile("—$"))
    invoices = admin.locator("#subscription-invoices")
    # a trial charges nothing: any invoice yet is a zero one, none failed
    expect(invoices.locator('.subscription-invoice[data-status="failed"]')).to_have_count(0)
    for i in range(invoices.locator(".subscription-invoice").count()):
        assert _money(invoices.locator(".subscription-invoice").nth(i).inner_text()) == 0
    if invoices.locator(".subscription-invoice").count() == 0:
        expect(invoices).to_contain_text("No invoices yet")
    timeline = admin.locator("#subscription-timeline")
    expect(timeline.locator('[data-action="subscription.created"]')).to_have_count(1)
    expect(timeline.locator('[data-action="subscription.cancel_scheduled"]')).to_have_count(1)
    expect(admin.locator("#action-undo-cancel")).to_be_visible()

    # the revenue page: MRR counts active and past-due subscriptions only, trials apart
    admin.goto("/admin/revenue")
    card = admin.locator("#subscriptions-card")
    mrr = card.locator('[data-kpi="MRR"] .kpi-value')
    expect(mrr).to_have_text(re.compile(r"\$[\d,]+\.\d\d"))
    plan_row = card.locator(".subscription-plan").filter(has_text=DEPARTMENT_NAME)
    expect(plan_row).to_have_count(1)
    cells = plan_row.locator("td")
    expect(cells.nth(4)).to_have_text(re.compile(r"^[1-9]\d*$"))  # our trial is counted
    plans = card.locator(".subscription-plan")
    by_plan = sum(_money(plans.nth(i).locator("td").nth(5).inner_text())
                  for i in range(plans.count()))
    assert _money(mrr.inner_text()) == by_plan
    expect(card.locator('[data-kpi="Active subscribers"]')).to_contain_text("trialing")


def _leo_number(admin: Page) -> str:
    admin.goto("/admin/subscriptions")
    admin.locator("#subscription-learner-search").fill(LEARNER_EMAIL)
    row = admin.locator(".admin-subscription-row").filter(has_text=LEARNER_EMAIL).first
    expect(row).to_be_visible()
    number = row.get_attribute("data-number")
    assert number and SUB_NUMBER.fullmatch(number), number
    return number


def test_subscription_pages_have_no_serious_axe_violations(new_page: NewPage) -> None:
    learner = new_page()
    sign_in(learner, LEARNER_EMAIL, DEMO_PASSWORD)
    found: dict[str, list[str]] = {}

    learner.goto(f"/subscribe/{DEPARTMENT}")
    expect(learner.locator("#quote-today")).to_be_visible()
    wait_hydrated(learner, "#subscribe")
    found[f"/subscribe/{DEPARTMENT}"] = serious_axe_violations(learner)

    learner.goto("/account/subscriptions")
    expect(learner.locator(".subscription").first).to_be_visible()
    found["/account/subscriptions"] = serious_axe_violations(learner)
    learner.locator(".subscription .sub-cancel").first.click()  # the dialog, not confirmed
    expect(learner.locator("#confirm-cancel")).to_be_visible()
    found["/account/subscriptions (cancel dialog)"] = serious_axe_violations(learner)
    learner.keyboard.press("Escape")
    expect(learner.locator("#confirm-cancel")).to_have_count(0)

    admin = new_page()
    sign_in(admin, BILLING_EMAIL, DEMO_PASSWORD)
    number = _leo_number(admin)
    found["/admin/subscriptions"] = serious_axe_violations(admin)
    admin.goto(f"/admin/subscriptions/{number}")
    expect(admin.locator("#subscription-timeline")).to_be_visible()
    found[f"/admin/subscriptions/{number}"] = serious_axe_violations(admin)

    assert not any(found.values()), "\n".join(
        f"{page}: {v}" for page, vs in found.items() for v in vs)


def test_subscribe_and_my_subscriptions_fit_a_phone(new_page: NewPage) -> None:
    phone = new_page(MOBILE)
    sign_in(phone, LEARNER_EMAIL, DEMO_PASSWORD)
    wide: dict[str, int] = {}

    phone.goto(f"/subscribe/{DEPARTMENT}")
    expect(phone.locator("#quote-today")).to_be_visible()
    expect(phone.locator("#subscribe")).to_be_visible()
    wide[f"/subscribe/{DEPARTMENT}"] = scroll_width(phone)

    phone.goto("/account/subscriptions")
    expect(phone.locator(".subscription").first).to_be_visible()
    expect(phone.locator(".subscription-status").first).to_be_visible()
    wide["/account/subscriptions"] = scroll_width(phone)

    too_wide = {path: w for path, w in wide.items() if w > MOBILE["width"] + 1}
    assert not too_wide, f"scrolls sideways at {MOBILE['width']} px: {too_wide}"





def advance_clock(app: AppServer, days: int) -> str:
    """The README's development command: move the sandbox's test clock and run the billing
    jobs, against the served app's database."""
    env = {**os.environ, "DATABASE_URL": app.database_url, "COMMERCE_ENV": "test",
           "COMMERCE_SECRET_KEY": E2E_SECRET_KEY, "COMMERCE_PAYMENT_PROCESSOR": "sandbox",
           "COMMERCE_PUBLIC_URL": app.base_url}
    env.pop("COMMERCE_DATABASE_URL", None)
    done = subprocess.run(
        [str(VENV_BIN / "python"), "-m", "commerce_dash.cli", "subscriptions", "advance",
         "--days", str(days)],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def save_card(page: Page, number: str, sub_number: str) -> None:
    mine = page.locator(".subscription").filter(has_text=sub_number)
    mine.get_by_role("button", name=f"Update card {sub_number}", exact=True).click()
    page.locator("#new-card-number").fill(number)
    page.locator("#new-card-expiry").fill("12/34")
    page.locator("#new-card-cvc").fill("123")
    page.locator("#save-card").click()


def test_the_trial_ends_paid_a_renewal_fails_and_a_new_card_recovers_it(
    new_page: NewPage, app_server: AppServer
) -> None:
    """Done when (issue 16): subscribe, renew with the test clock, fail and recover."""
    address, _ = register_learner(app_server, "Rae Renewer")
    learner = new_page()
    sign_in(learner, address, LEARNER_PASSWORD)
    learner.goto(f"/store/department/{DEPARTMENT}")
    learner.locator(".department-plan").first.get_by_role(
        "button", name=re.compile(r"^Subscribe")).click()
    wait_hydrated(learner, "#subscribe")
    learner.locator("#card-number").fill("4242 4242 4242 4242")
    learner.locator("#card-expiry").fill("12/34")
    learner.locator("#card-cvc").fill("123")
    learner.locator("#subscribe").click()
    expect(learner).to_have_url(url_with_path("/account/subscriptions"))
    mine = learner.locator(".subscription").filter(has_text=DEPARTMENT_NAME)
    found = SUB_NUMBER.search(mine.inner_text())
    assert found, mine.inner_text()
    number = found.group(0)
    mine = learner.locator(".subscription").filter(has_text=number)
    expect(mine.locator(".subscription-status")).to_have_attribute("data-status", "trialing")

    # the trial ends: the first period is charged and receipted
    advance_clock(app_server, TRIAL_DAYS + 1)
    learner.reload()
    expect(mine.locator(".subscription-status")).to_have_attribute("data-status", "active")
    expect(mine.locator('.invoice-status[data-status="paid"]')).to_have_count(1)
    expect(mine.locator(".invoice-receipt")).to_have_attribute(
        "href", re.compile(r"/account/orders/ORD-"))

    # a card that declines, then the renewal: past due, with the dunning email
    save_card(learner, "4000 0000 0000 9995", number)
    expect(learner.get_by_text(re.compile(f"Card saved for {number}"))).to_be_visible()
    advance_clock(app_server, 32)
    learner.reload()
    expect(mine.locator(".subscription-status")).to_have_attribute("data-status", "past_due")
    expect(mine.locator(".subscription-next")).to_contain_text("Past due: update your card")
    dunning = mail_to(app_server, address, "failed")
    assert "/account/subscriptions" in text_of(dunning)

    # the good card again: the open invoice is paid at once and the subscription recovers
    save_card(learner, "4242 4242 4242 4242", number)
    learner.reload()
    expect(mine.locator(".subscription-status")).to_have_attribute("data-status", "active")
    expect(mine.locator('.invoice-status[data-status="paid"]')).to_have_count(2)
