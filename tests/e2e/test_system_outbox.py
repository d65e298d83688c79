"""A super-admin replays a dead webhook from the System page and it reaches its receiver once."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from commerce_dash.db import build_engine
from commerce_dash.domain.clock import utcnow
from commerce_dash.models.accounts import User
from commerce_dash.outbox import enqueue
from commerce_dash.services.enrollment.lms_auth import create_connector
from commerce_dash.services.platform.accounts import load_actor
from tests.e2e.conftest import DEMO_PASSWORD, UI_TIMEOUT_MS, AppServer, sign_in

pytestmark = pytest.mark.e2e


class Receiver:
    def __init__(self) -> None:
        self.deliveries: list[str] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                self.rfile.read(int(self.headers.get("content-length", 0)))
                receiver.deliveries.append(self.headers.get("X-Commerce-Delivery", ""))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *_args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    r.thread.start()
    yield r
    r.server.shutdown()
    r.server.server_close()


def test_super_admin_replays_a_dead_webhook_and_it_is_delivered_once(
    page: Page, app_server: AppServer, receiver: Receiver
) -> None:
    # given a webhook message that went dead (its receiver was down)
    engine = build_engine(app_server.database_url)
    with Session(engine) as session:
        # to the payout platform's connector (a message for no connector dies unsent)
        root = session.exec(select(User).where(User.email == "super@example.com")).one()
        connector, _secrets = create_connector(
            session=session, actor=load_actor(session=session, user=root),
            name=f"Payouts {uuid.uuid4().hex[:6]}", kind="payout")
        session.commit()
        message = enqueue(
            session=session,
            topic="webhook.payment.completed",
            dedupe_key="e2e-dead-webhook-1",
            payload={
                "url": receiver.url,
                "key_id": connector.key_id,
                "event": "payment.completed",
                "body": {"order": "ORD-E2E"},
                "dedupe_key": "e2e-dead-webhook-1",
            },
        )
        assert message is not None
        message.status, message.attempts, message.dead_at = "dead", 8, utcnow()
        message.last_error = "503 Service Unavailable"
        session.add(message)
        session.commit()
    engine.dispose()

    # when the super-admin opens System, sees the dead message and replays it
    sign_in(page, "super@example.com", DEMO_PASSWORD)
    page.goto("/admin/system")
    expect(page.locator("#dead-count")).to_have_text("1", timeout=UI_TIMEOUT_MS)
    row = page.locator('.outbox-row[data-status="dead"]').filter(has_text="payment.completed")
    expect(row).to_have_count(1, timeout=UI_TIMEOUT_MS)
    row.locator(".replay-message").click()
    # and runs the delivery job at once instead of waiting for its schedule
    page.locator('.job-row[data-job="outbox_delivery"] .run-job').click()

    # then the receiver gets it exactly once, and the page shows it sent
    expect(page.locator("#dead-count")).to_have_text("0", timeout=UI_TIMEOUT_MS)
    page.wait_for_timeout(6000)  # one more scheduled round: it must not deliver again
    assert receiver.deliveries == ["e2e-dead-webhook-1"]
    page.reload()
    expect(
        page.locator('.outbox-row[data-status="sent"]').filter(has_text="payment.completed")
    ).to_have_count(1, timeout=UI_TIMEOUT_MS)
