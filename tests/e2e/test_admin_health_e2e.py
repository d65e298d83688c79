"""The admin Health page on a phone shows what the database holds (the outbox waiting, a
processor's payments) and the app's measured figures; /metrics of the running app answers
this machine with the event-loop probe's figures; the page is axe-clean at 375 px."""

from __future__ import annotations

import urllib.request
import uuid
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from prometheus_client.parser import text_string_to_metric_families
from sqlmodel import Session, col, func, select

from commerce_dash import routes
from commerce_dash.db import build_engine
from commerce_dash.domain.clock import utcnow
from commerce_dash.models.delivery import OutboxMessage
from commerce_dash.outbox import enqueue
from tests.e2e.conftest import (
    DEMO_PASSWORD,
    MOBILE,
    SUPER_EMAIL,
    AppServer,
    NewPage,
    scroll_width,
    serious_axe_violations,
    sign_in,
)

pytestmark = pytest.mark.e2e


def _scrape(app_server: AppServer) -> dict[str, float]:
    with urllib.request.urlopen(app_server.url("/metrics"), timeout=30) as answer:  # noqa: S310
        assert answer.status == 200
        text = answer.read().decode()
    return {sample.name: sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples
            if not sample.labels}


def test_health_page_on_a_phone_shows_the_outbox_and_the_measured_figures(
        new_page: NewPage, app_server: AppServer) -> None:
    # given a few messages waiting in the outbox of the running app (due tomorrow, so that
    # its dispatcher leaves them where they are)
    engine = build_engine(app_server.database_url)
    with Session(engine) as session:
        for n in range(3):
            message = enqueue(session=session, topic="email",
                              dedupe_key=f"health-e2e-{uuid.uuid4()}", payload={"n": n})
            assert message is not None
            message.next_attempt_at = utcnow() + timedelta(days=1)
        session.commit()
        waiting = session.exec(select(func.count()).select_from(OutboxMessage).where(
            col(OutboxMessage.status).in_(("pending", "sending")))).one()
    engine.dispose()

    # when a super-admin opens Health on a phone
    page = new_page(MOBILE)
    sign_in(page, SUPER_EMAIL, DEMO_PASSWORD)
    page.goto(routes.ADMIN_HEALTH)
    expect(page.get_by_role("heading", name="Health", exact=True)).to_be_visible()

    # then the outbox card says how many wait, as the database does
    outbox = page.locator('[data-kpi="Outbox waiting"] .kpi-value')
    expect(outbox).to_have_text(str(waiting))
    # and requests answered so far are measured by route
    expect(page.locator("#health-routes table tbody tr").first).to_be_visible()
    # and so are the page events handled so far (signing in was some), by handler
    expect(page.locator("#health-events table tbody tr").first).to_be_visible()
    expect(page.locator('[data-kpi="Event-loop lag (p95 / max)"] .kpi-value')).not_to_have_text(
        "— / —")
    page.wait_for_timeout(300)
    assert scroll_width(page) <= MOBILE["width"] + 1, f"scrolls sideways: {scroll_width(page)}"
    assert serious_axe_violations(page) == []

    # and /metrics of the running app answers this machine with the probe's figures
    scraped = _scrape(app_server)
    assert scraped["commerce_event_loop_lag_seconds_count"] > 0
    assert "commerce_event_loop_lag_max_seconds" in scraped
    assert scraped["commerce_outbox_depth"] == waiting
