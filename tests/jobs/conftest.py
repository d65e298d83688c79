"""Fixtures for the jobs tests: webhook receivers on 127.0.0.1, settings overrides, and
child processes that share the suite's database."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from commerce_dash.settings import get_settings

ROOT = Path(__file__).resolve().parents[2]
JOB_PROCESS = Path(__file__).with_name("job_process.py")


@dataclass
class Hit:
    status: int
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A webhook receiver answering from a script of statuses (then ``then``), dropping
    repeated ``X-Commerce-Delivery`` ids the way a well-behaved receiver does."""

    script: list[int]
    then: int = 200
    url: str = ""
    hits: list[Hit] = field(default_factory=list)
    accepted: list[Hit] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, headers: dict[str, str], body: bytes) -> int:
        with self.lock:
            status = self.script.pop(0) if self.script else self.then
            hit = Hit(status, headers, body)
            self.hits.append(hit)
            delivery = headers.get("X-Commerce-Delivery")
            if 200 <= status < 300 and all(
                a.headers.get("X-Commerce-Delivery") != delivery for a in self.accepted
            ):
                self.accepted.append(hit)
            return status


def _serve(receiver: Receiver) -> ThreadingHTTPServer:
    class Handle(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            status = receiver.answer(dict(self.headers.items()), body)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handle)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    return server


@pytest.fixture
def start_receiver() -> Iterator[Callable[..., Receiver]]:
    """Start receivers on free loopback ports; all are stopped after the test."""
    servers: list[ThreadingHTTPServer] = []

    def start(script: list[int] | None = None, then: int = 200) -> Receiver:
        receiver = Receiver(list(script or []), then)
        servers.append(_serve(receiver))
        return receiver

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def settings_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    """Override COMMERCE_* settings for this process; restored after the test."""

    def override(**values: object) -> None:
        for key, value in values.items():
            monkeypatch.setenv(f"COMMERCE_{key.upper()}", str(value))
        get_settings.cache_clear()

    yield override
    monkeypatch.undo()
    get_settings.cache_clear()


def child_env(**values: str) -> dict[str, str]:
    """The environment of a child process on the suite's database."""
    return {**os.environ, "PYTHONPATH": str(ROOT), **values}


def start_job_process(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(JOB_PROCESS), *args],
        cwd=ROOT,
        env=env or child_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(condition: Callable[[], object], timeout: float, step: float = 0.1) -> object:
    """Poll ``condition`` until it is truthy or ``timeout`` seconds pass (then fail)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"condition not met within {timeout} s")
