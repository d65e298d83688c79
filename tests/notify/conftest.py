"""Situations for email tests: a catalog with a priced course, a local SMTP server and a
local HTTP receiver standing in for the SendGrid API."""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from reportlab.pdfgen import canvas
from sqlmodel import Session as DbSession

from commerce_dash.domain.actor import Actor
from commerce_dash.models.catalog import Course
from commerce_dash.services.catalog.pricing import create_price
from commerce_dash.services.platform.courses import create_course
from commerce_dash.services.platform.org import create_department
from tests.conftest import create_user
from tests.notify.doubles import HttpReceiver, SmtpServer, running_smtp


@pytest.fixture
def ada(session: DbSession) -> Actor:
    """A learner whose name the emails greet."""
    return create_user(session, "ada@example.com", full_name="Ada Lovelace")


@pytest.fixture
def priced_course(session: DbSession, super_admin: Actor) -> Course:
    """A published course "Data Engineering Basics" at $129.00."""
    dept = create_department(session=session, actor=super_admin, code="ENG", name="Engineering")
    assert dept.id is not None
    course = create_course(
        session=session,
        actor=super_admin,
        code="DE-101",
        title="Data Engineering Basics",
        department_id=dept.id,
        published=True,
    )
    assert course.id is not None
    create_price(
        session=session,
        actor=super_admin,
        item_type="course",
        item_id=course.id,
        price_type="one_time",
        amount=12900,
        currency="USD",
    )
    return course


@pytest.fixture
def certificate_pdf() -> bytes:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    pdf.drawString(72, 720, "Certificate of completion: Ada Lovelace")
    pdf.save()
    return buffer.getvalue()


# -- SMTP ----------------------------------------------------------------------------------


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A real SMTP server on 127.0.0.1, collecting what it receives."""
    with running_smtp() as server:
        yield server


# -- HTTP ----------------------------------------------------------------------------------


@pytest.fixture
def http_receiver() -> Iterator[Callable[[int], HttpReceiver]]:
    """Start a local HTTP server answering every POST with the given status."""
    servers: list[ThreadingHTTPServer] = []

    def start(status: int) -> HttpReceiver:
        received: list[dict[str, Any]] = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                received.append(
                    {
                        "path": self.path,
                        "headers": dict(self.headers),
                        "json": json.loads(body or b"null"),
                    }
                )
                reply = b"" if status < 300 else b'{"errors":[{"message":"refused"}]}'
                self.send_response(status)
                self.send_header("X-Message-Id", "sg-msg-123")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        servers.append(server)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return HttpReceiver(f"http://127.0.0.1:{server.server_address[1]}", received)

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()
