"""Payment fixtures: localstripe in-process, a StripeProcessor pointed at it, a loopback
webhook receiver and a scripted stand-in for Stripe (for answers localstripe never gives).

Everything binds 127.0.0.1 and every wait is bounded.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import stripe

from commerce_dash.payments.stripe_processor import StripeProcessor
from tests.payments.localstripe_server import LocalStripe

SECRET_KEY = "sk_test_commerce_dash_localstripe"
PUBLISHABLE_KEY = "pk_test_commerce_dash_localstripe"
WEBHOOK_SECRET = "whsec_test_commerce_dash_localstripe"


@pytest.fixture(scope="session")
def localstripe(localstripe_server: LocalStripe) -> str:
    """The base URL of a localstripe running on 127.0.0.1 for the whole session."""
    return localstripe_server.base_url


@pytest.fixture
def stripe_processor(localstripe: str) -> StripeProcessor:
    # No SDK retries: a refused call must fail at once in tests.
    return StripeProcessor(
        secret_key=SECRET_KEY,
        webhook_secret=WEBHOOK_SECRET,
        api_base=localstripe,
        max_network_retries=0,
        timeout_seconds=10.0,
    )


@pytest.fixture
def stripe_client(localstripe: str) -> stripe.StripeClient:
    """The bare SDK on localstripe, for set-up the processor does not offer (cards, lists)."""
    return stripe.StripeClient(
        SECRET_KEY,
        base_addresses={"api": localstripe},
        max_network_retries=0,
        http_client=stripe.RequestsClient(timeout=10.0),
    )


# -- a loopback HTTP server that records requests and plays scripted answers --------------


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Reply:
    status: int = 200
    body: Any = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)


class LoopbackServer:
    """Records every request; answers with queued replies (default 200 ``{}``)."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.replies: list[Reply] = []
        self._cond = threading.Condition()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                record = Recorded(self.command, self.path, dict(self.headers.items()), body)
                with outer._cond:
                    outer.requests.append(record)
                    reply = outer.replies.pop(0) if outer.replies else Reply()
                    outer._cond.notify_all()
                payload = json.dumps(reply.body).encode()
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_DELETE = _handle

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def wait_for(self, predicate: Callable[[Recorded], bool], timeout: float = 10.0) -> Recorded:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for record in self.requests:
                    if predicate(record):
                        return record
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"no matching request within {timeout} s")
                self._cond.wait(remaining)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


@pytest.fixture
def loopback() -> Iterator[LoopbackServer]:
    server = LoopbackServer()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def webhook_inbox(
    localstripe_server: LocalStripe, loopback: LoopbackServer
) -> Iterator[LoopbackServer]:
    """A receiver registered in localstripe for every event, signed with WEBHOOK_SECRET."""
    endpoint_id = f"we_{uuid.uuid4().hex[:12]}"
    localstripe_server.register_webhook(
        endpoint_id, loopback.url + "/webhooks/stripe", WEBHOOK_SECRET
    )
    try:
        yield loopback
    finally:
        localstripe_server.unregister_webhook(endpoint_id)
