"""The funnel on the revenue page in the prod build (issue 20 part 5): on a phone, the billing
admin picks a day and the Funnel card shows its page views, cart adds, checkout, payment, paid
and enrolled with the conversion rates, its chart drawn, the page axe-clean."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, col, select

from commerce_dash.db import build_engine
from commerce_dash.models.accounts import User
from commerce_dash.models.catalog import Course
from commerce_dash.models.commerce import Order, OrderLine, Payment
from commerce_dash.models.enrollment import Registration
from commerce_dash.services import revenue as revenue_area
from tests.e2e.conftest import (
    DEMO_PASSWORD,
    LEARNER_EMAIL,
    MOBILE,
    UI_TIMEOUT_MS,
    AppServer,
    NewPage,
    serious_axe_violations,
    sign_in,
)

pytestmark = pytest.mark.e2e

# a day long before the demo data: only this test's rows are in it
DAY = date(2020, 1, 15)


def _one_day_of_funnel(app: AppServer) -> None:
    """40 views and 8 cart adds of ENG-101, and one learner who bought it and was enrolled."""
    at = datetime(2020, 1, 15, 10, tzinfo=UTC)
    engine = build_engine(app.database_url)
    with Session(engine) as session:
        course = session.exec(select(Course).where(col(Course.code) == "ENG-101")).one()
        learner = session.exec(select(User).where(col(User.email) == LEARNER_EMAIL)).one()
        assert course.id is not None and learner.id is not None
        revenue_area.add_counts(session, {(DAY, "view", course.department_id, course.id): 40,
                                          (DAY, "cart", course.department_id, course.id): 8})
        order = Order(user_id=learner.id, status="completed", payment_status="paid",
                      processor="sandbox", currency="USD", subtotal=1000, total=1000,
                      display_currency="USD", display_total=1000,
                      idempotency_key=f"funnel-{uuid.uuid4().hex}", request_hash="x",
                      prices_locked_until=at, created_at=at, updated_at=at, completed_at=at)
        session.add(order)
        session.flush()
        assert order.id is not None
        line = OrderLine(order_id=order.id, item_type="course", item_id=course.id,
                         department_id=course.department_id, title=course.title,
                         list_amount=1000, total=1000, currency="USD")
        session.add(line)
        session.add(Payment(order_id=order.id, user_id=learner.id, processor="sandbox",
                            intent_id=f"pi_funnel_{order.id}", amount=1000, currency="USD",
                            status="succeeded", created_at=at, processed_at=at))
        session.flush()
        session.add(Registration(dedupe_key=f"{line.id}:{course.id}", user_id=learner.id,
                                 kind="course", course_id=course.id,
                                 department_id=course.department_id, order_id=order.id,
                                 order_line_id=line.id, status="approved", created_at=at))
        session.commit()
    engine.dispose()


def test_the_funnel_card_shows_a_days_stages_and_rates_on_a_phone(
    new_page: NewPage, app_server: AppServer
) -> None:
    _one_day_of_funnel(app_server)
    admin = new_page(MOBILE)
    sign_in(admin, "billing@example.com", DEMO_PASSWORD)
    admin.goto("/admin/revenue")
    expect(admin.locator("#funnel-card")).to_be_visible(timeout=30_000)

    admin.locator("#revenue-start").fill(DAY.isoformat())
    admin.locator("#revenue-end").fill(DAY.isoformat())

    stage = admin.locator("#funnel-card .funnel-stage")
    expected = {"view": ("40", "—"), "cart": ("8", "20.0 %"), "checkout": ("1", "12.5 %"),
                "payment": ("1", "100.0 %"), "paid": ("1", "100.0 %"),
                "enrolled": ("1", "100.0 %")}
    for name, (count, rate) in expected.items():
        row = admin.locator(f'#funnel-card .funnel-stage[data-stage="{name}"]')
        expect(row.locator("td").nth(1)).to_have_text(count, timeout=UI_TIMEOUT_MS)
        expect(row.locator("td").nth(2)).to_have_text(rate)
    expect(stage).to_have_count(6)
    card = admin.locator("#funnel-card")
    expect(card).to_contain_text("View → paid")
    expect(card).to_contain_text("2.5 %")  # 1 paid of 40 views
    expect(admin.locator("#funnel-chart .main-svg").first).to_be_visible()
    expect(admin.get_by_role("region", name="Funnel figures by stage")).to_be_visible()

    assert serious_axe_violations(admin) == []
