"""Stand-ins for the systems around the app, for tests: they listen on 127.0.0.1."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeLms:
    """Answers 503 for the first ``failures`` requests, then 200; records what it got."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.received: list[tuple[dict[str, str], bytes]] = []
        lms = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                lms.received.append((dict(self.headers.items()), body))
                failing = len(lms.received) <= lms.failures
                self.send_response(503 if failing else 200)
                self.end_headers()
                self.wfile.write(b'{"success": true, "status": "pending"}')

            def log_message(self, *_args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/enrollment-request"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
