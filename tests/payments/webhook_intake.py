"""A loopback receiver for a processor's webhooks: what a processor (or its fake) POSTs is
handed to the app's webhook intake, as the route does. Binds 127.0.0.1; stopped by the test."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from sqlmodel import Session

from commerce_dash.db import get_engine
from commerce_dash.services.commerce import payments


class WebhookIntake:
    """Receives POSTs and passes them to ``payments.receive_webhook`` for ``processor``."""

    def __init__(self, processor: str) -> None:
        self.outcomes: list[str] = []
        self.bodies: list[tuple[bytes, dict[str, str]]] = []
        intake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                headers = dict(self.headers.items())
                intake.bodies.append((body, headers))
                with Session(get_engine()) as session:
                    try:
                        outcome = payments.receive_webhook(
                            session=session, processor=processor, body=body, headers=headers)
                        intake.outcomes.append(outcome.status)
                        self.send_response(200)
                    except Exception as exc:  # noqa: BLE001 - recorded for the assertion
                        intake.outcomes.append(f"error: {exc}")
                        self.send_response(400)
                self.end_headers()

            def log_message(self, *_args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhook/{processor}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
