"""Courses with steps and live sessions in the prod build (issue 17): the department admin
schedules a class, adds a step to the live cohort, attaches the class and sets "every step
attended"; a learner who bought the cohort books the step on the course page, cancels it on
My schedule, books it again; once the classes have begun the instructor marks attendance on
Teaching and the certificate appears on the learner's account. The new pages pass axe-core
and do not scroll sideways on a 375 px phone."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from commerce_dash.db import build_engine
from commerce_dash.demo.live import LIVE_COURSE
from commerce_dash.models.accounts import User
from commerce_dash.models.sessions import Booking, LiveSession
from tests.e2e.conftest import (
    DEMO_PASSWORD,
    LEARNER_PASSWORD,
    MOBILE,
    AppServer,
    NewPage,
    choose,
    register_learner,
    scroll_width,
    serious_axe_violations,
    sign_in,
    wait_hydrated,
)

pytestmark = pytest.mark.e2e

COURSE, TITLE, _ = LIVE_COURSE
CLASS = "E2E bonus class"


def _buy(app: AppServer, name: str) -> tuple[str, str]:
    address, token = register_learner(app, name, LEARNER_PASSWORD)
    with httpx.Client(base_url=app.base_url, timeout=30) as client:
        auth = {"Authorization": f"Bearer {token}"}
        item = client.get(f"/api/v2/catalog/courses/{COURSE}").json()["id"]
        assert client.post("/api/v2/cart/items", headers=auth,
                           json={"item_type": "course", "item_id": item}).status_code == 201
        order = client.post("/api/v2/cart/checkout", json={},
                            headers={**auth, "Idempotency-Key": uuid.uuid4().hex}).json()
        paid = client.post("/api/v2/payments/sandbox/pay", headers=auth, json={
            "order_number": order["number"], "card_number": "4242424242424242",
            "exp_month": 12, "exp_year": 2034, "cvc": "123"})
        assert paid.json()["order_status"] == "completed", paid.text
    return address, token


def _clean(page: Page, where: str) -> None:
    violations = serious_axe_violations(page)
    assert not violations, f"{where}: " + "\n".join(violations)


def test_admin_builds_a_step_learner_books_cancels_rebooks_instructor_marks_certificate(
    new_page: NewPage, app_server: AppServer
) -> None:
    tomorrow = date.today() + timedelta(days=1)

    # the department admin schedules a class for tomorrow morning, taught by Ivy
    admin = new_page()
    sign_in(admin, "deptadmin@example.com", DEMO_PASSWORD)
    admin.goto("/admin/sessions")
    expect(admin.locator(".admin-session-row").first).to_be_visible()
    wait_hydrated(admin, "#open-schedule")
    _clean(admin, "admin sessions list")
    admin.locator("#open-schedule").click()
    choose(admin, "#schedule-department", "School of Engineering")
    admin.locator("#title").fill(CLASS)
    admin.locator("#day").fill(tomorrow.isoformat())
    admin.locator("#start").fill("07:00")
    admin.locator("#end").fill("08:00")
    admin.locator("#capacity").fill("5")
    choose(admin, "#schedule-instructor", "Ivy Instructor (instructor@example.com)")
    admin.locator("#schedule-submit").click()
    row = admin.locator(".admin-session-row").filter(has_text=CLASS)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("0/5")

    # ...adds step 5 to the cohort, attaches the class, and sets "every step attended"
    admin.goto("/admin/courses")
    course_row = admin.locator(f'[data-code="{COURSE}"]')
    expect(course_row).to_have_count(1)
    wait_hydrated(admin, f'[data-code="{COURSE}"] .course-steps')
    course_row.locator(".course-steps").click()
    steps = admin.locator("#course-steps .course-step")
    expect(steps).to_have_count(4)
    admin.locator("#add-step").click()
    admin.locator("#step_label").fill("Step 5")
    admin.locator("#step_title").fill("Bonus")
    admin.locator("#save-step").click()
    expect(steps).to_have_count(5)
    fifth = steps.filter(has_text="Bonus")
    fifth.get_by_role("button", name="Attach a class to Step 5").click()
    admin.locator("#attach-class").click()
    admin.get_by_role("option", name=CLASS).first.click()
    admin.locator("#attach-submit").click()
    expect(fifth).to_contain_text(CLASS)
    _clean(admin, "step editor")
    admin.keyboard.press("Escape")
    course_row.locator(".completion-rule").click()
    choose(admin, "#rule-requirement", "Every step attended (courses with steps)")
    admin.locator("#rule-save").click()
    expect(admin.locator("#rule-error")).to_have_count(0)

    # a learner buys the cohort; the course page shows the 5 steps, none booked
    address, token = _buy(app_server, "Bea Booker")
    learner = new_page()
    sign_in(learner, address, LEARNER_PASSWORD)
    learner.goto(f"/store/course/{COURSE}")
    panel = learner.locator("#course-steps")
    expect(panel.locator(".course-step")).to_have_count(5)
    expect(panel.locator(".step-status").first).to_have_text("Not booked")
    bonus = panel.locator(".course-step").filter(has_text="Bonus")
    wait_hydrated(learner, "#book-next-step")
    _clean(learner, "course page with steps")
    bonus.locator(".step-option").filter(has_text=CLASS).locator(".step-book").click()
    expect(bonus.locator(".step-status")).to_have_text("Booked")
    expect(bonus.locator(".step-booked")).to_contain_text(CLASS)

    # My schedule: the booking; cancel it; then book again from the course page
    learner.goto("/account/schedule")
    booking = learner.locator(".booking").filter(has_text=CLASS)
    expect(booking).to_have_count(1)
    _clean(learner, "my schedule")
    booking.locator(".booking-cancel").click()
    learner.locator("#confirm-cancel-booking").click()
    expect(learner.locator(".booking").filter(has_text=CLASS)).to_have_count(0)
    learner.goto(f"/store/course/{COURSE}")
    bonus = learner.locator("#course-steps .course-step").filter(has_text="Bonus")
    expect(bonus.locator(".step-status")).to_have_text("Not booked")
    bonus.locator(".step-option").filter(has_text=CLASS).locator(".step-book").click()
    expect(bonus.locator(".step-status")).to_have_text("Booked")

    # on a phone the course page and the schedule fit the width
    phone = new_page(MOBILE)
    sign_in(phone, address, LEARNER_PASSWORD)
    for path, shown in ((f"/store/course/{COURSE}", "#course-steps .step-status"),
                        ("/account/schedule", "#schedule-upcoming .booking")):
        phone.goto(path)
        expect(phone.locator(shown).first).to_be_visible()
        assert scroll_width(phone) <= MOBILE["width"], path

    # steps 1-4 booked through the API (their first class each)
    with httpx.Client(base_url=app_server.base_url, timeout=30) as client:
        auth = {"Authorization": f"Bearer {token}"}
        for step in client.get(f"/api/v2/courses/{COURSE}/steps").json()[:4]:
            made = client.post("/api/v2/me/bookings", headers=auth, json={
                "session_id": step["options"][0]["session_id"], "step_id": step["step_id"]})
            assert made.status_code == 201, made.text

    # time passes: the learner's classes have begun (attendance is marked once they start)
    engine = build_engine(app_server.database_url)
    began = datetime.now(UTC) - timedelta(hours=2)
    with Session(engine) as db:
        user = db.exec(select(User).where(User.email == address)).one()
        booked = db.exec(select(Booking).where(Booking.user_id == user.id,
                                               Booking.status == "booked")).all()
        assert len(booked) == 5
        for offset, booking in enumerate(booked):
            live = db.get(LiveSession, booking.session_id)
            assert live is not None
            live.starts_at = booking.starts_at = began - timedelta(hours=2 * offset)
            live.ends_at = booking.ends_at = live.starts_at + timedelta(hours=1)
            db.add_all([live, booking])
        db.commit()
    engine.dispose()

    # Ivy marks the learner attended in each of their five classes
    ivy = new_page()
    sign_in(ivy, "instructor@example.com", DEMO_PASSWORD)
    ivy.goto("/teaching")
    marks = ivy.get_by_role("button", name="Attended: Bea Booker")
    expect(marks).to_have_count(5)
    _clean(ivy, "teaching")
    for index in range(5):
        marks.nth(index).click()
        expect(marks.nth(index)).to_have_attribute("aria-pressed", "true")

    # the course is complete: the certificate is on the learner's account
    learner.goto(f"/store/course/{COURSE}")
    expect(learner.locator("#course-steps .step-status").first).to_have_text("Attended")
    learner.goto("/account/certificates")
    expect(learner.locator(".my-certificate").filter(has_text=TITLE)).to_have_count(1)
