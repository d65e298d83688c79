"""The production layout (commerce_dash/cluster.py) on this machine: two app processes (the
Reflex app with its state in Redis and its scheduler off; the pages are not built here, the
API and the websocket are what they serve), two job workers, one PostgreSQL database.

What an operator relies on: a purchase started through one app process completes through the
other; each scheduled job runs once per tick across the workers, not once per worker; and a
worker killed with SIGKILL while delivering 100 webhooks loses none of them, a receiver that
drops repeated delivery ids seeing each exactly once.

Needs PostgreSQL (DATABASE_URL when it names one, else TEST_POSTGRES_URL, else the local
server) and Redis (REDIS_URL, else the local server; database 13 here, flushed); skipped when
either does not answer.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, col, select

from commerce_dash import cluster
from commerce_dash.connectors.webhooks import queue_webhook
from commerce_dash.models.delivery import JobLease, JobRun, OutboxMessage
from commerce_dash.models.integrations import ApiConnector

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]
REDIS_DB = 13
DEMO_PASSWORD = "cluster-demo-pass-2026"
KEY_ID = "ck_cluster_layout"
CARD = {"card_number": "4242424242424242", "exp_month": 12, "exp_year": 2034, "cvc": "123"}
MESSAGES = 100


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for(condition: Callable[[], object], timeout: float, what: str,
              step: float = 0.2) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"{what}: not within {timeout} s")


def _postgres_server() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        url = os.environ.get("TEST_POSTGRES_URL",
                             "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    return url


@dataclass
class Running:
    layout: cluster.Layout
    apps: list[cluster.Process]
    workers: list[cluster.Process]
    engine: Engine
    started: datetime
    log_dir: Path

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n" + p.read_text(errors="replace")[-3000:]
                         for p in sorted(self.log_dir.glob("*.log")))


@pytest.fixture(scope="module")
def running() -> Iterator[Running]:
    """A scratch database and Redis db, migrated and seeded, with the layout started on it."""
    server = _postgres_server()
    name = f"cd_cluster_{uuid.uuid4().hex[:8]}"
    try:
        admin = create_engine(make_url(server).set(drivername="postgresql+psycopg"),
                              isolation_level="AUTOCOMMIT",
                              connect_args={"connect_timeout": 3})
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 (any failure to reach the server)
        pytest.skip(f"no PostgreSQL server answers: {exc}")
    import redis

    redis_url = re.sub(r"/\d*$", "", os.environ.get("REDIS_URL", "redis://127.0.0.1:6379"))
    redis_url = f"{redis_url.rstrip('/')}/{REDIS_DB}"
    try:
        cluster.check_redis(redis_url, timeout=2)
    except cluster.LayoutError as exc:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        pytest.skip(str(exc))
    redis.Redis.from_url(redis_url).flushdb()
    url = make_url(server).set(drivername="postgresql+psycopg", database=name)
    database_url = url.render_as_string(hide_password=False)
    log_dir = Path(tempfile.mkdtemp(prefix="cd-cluster-"))
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": database_url,
        "REFLEX_REDIS_URL": redis_url,
        "COMMERCE_ENV": "test",
        "COMMERCE_SECRET_KEY": "cluster-test-secret-key-that-is-long-enough-0123",
        "COMMERCE_DEMO_PASSWORD": DEMO_PASSWORD,
        "COMMERCE_ARGON2_TIME_COST": "1",
        "COMMERCE_ARGON2_MEMORY_COST_KIB": "64",
        "COMMERCE_EMAIL_PROVIDER": "file",
        "COMMERCE_EMAIL_FILE_DIR": str(log_dir / "mail"),
        "COMMERCE_PAYMENT_PROCESSOR": "sandbox",
        # short leases, so that a killed worker's jobs and claims lapse within seconds
        "COMMERCE_JOB_LEASE_SECONDS": "6",
        "COMMERCE_OUTBOX_LEASE_SECONDS": "6",
        "COMMERCE_OUTBOX_BATCH_SIZE": "10",
        "COMMERCE_WEBHOOK_TIMEOUT_SECONDS": "2",
        "COMMERCE_LOG_FORMAT": "text",
    }
    engine = create_engine(url)
    layout = cluster.Layout(env=env, public_url="", log_dir=log_dir)
    try:
        cluster.check_postgres(database_url)
        cluster.migrate(env)
        subprocess.run([sys.executable, "-m", "commerce_dash.cli", "seed"], cwd=ROOT, env=env,
                       check=True, stdout=subprocess.DEVNULL, timeout=120)
        ports = [_free_port(), _free_port()]
        layout.public_url = f"http://127.0.0.1:{ports[0]}"
        started = datetime.now(UTC)
        apps = [layout.start_app(port, mount_frontend=False) for port in ports]
        workers = [layout.start_worker(), layout.start_worker()]
        layout.wait_ready(apps, timeout=120)
        yield Running(layout, apps, workers, engine, started, log_dir)
    finally:
        layout.stop()
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
        redis.Redis.from_url(redis_url).flushdb()
        shutil.rmtree(log_dir, ignore_errors=True)


def test_a_purchase_started_on_one_app_process_completes_on_the_other(running: Running):
    one, two = (httpx.Client(base_url=app.url, timeout=30) for app in running.apps)
    with one, two:
        # given a learner signed in through process 1, with a course in the cart
        signed = one.post("/api/v2/auth/login",
                          json={"email": "learner@example.com", "password": DEMO_PASSWORD})
        assert signed.status_code == 200, signed.text
        auth = {"Authorization": f"Bearer {signed.json()['token']}"}
        courses = one.get("/api/v2/catalog/courses", params={"page_size": 50}).json()["items"]
        added = None
        for course in courses:
            answer = one.post("/api/v2/cart/items", headers=auth,
                              json={"item_type": "course", "item_id": course["id"]})
            if answer.status_code == 201:
                added = answer.json()
                break
        assert added is not None, "no course of the demo catalog could be added"
        # when the checkout starts on process 1
        key = {**auth, "Idempotency-Key": f"cluster-{uuid.uuid4().hex[:12]}"}
        started = one.post("/api/v2/cart/checkout", headers=key,
                           json={"expected_total": added["total"]})
        assert started.status_code == 201, started.text
        number = started.json()["number"]
        # and is paid, and its status read, through process 2
        paid = two.post("/api/v2/payments/sandbox/pay", headers=auth,
                        json={"order_number": number, **CARD})
        assert paid.status_code == 200, paid.text
        status = two.get(f"/api/v2/payments/status/{number}", headers=auth)
        # and the learner's client retries the checkout through process 2 with the same key
        again = two.post("/api/v2/cart/checkout", headers=key,
                         json={"expected_total": added["total"]})
        # then the order is paid and completed on both, and the retry is the same order
        assert paid.json()["order_status"] == "completed"
        assert status.status_code == 200
        assert (status.json()["order_status"], status.json()["payment_status"]) == (
            "completed", "succeeded")
        assert again.status_code == 200, again.text
        assert (again.json()["number"], again.json()["replayed"]) == (number, True)
        assert one.get(f"/api/v2/orders/{number}", headers=auth).json()["status"] == "completed"


async def _reflex_event(url: str, token: str, name: str, query: dict[str, str]) -> dict:
    """Send one Reflex event over the app's websocket as the browser tab ``token`` does and
    return the state delta of the answers (merged), at most 30 s."""
    import socketio

    client = socketio.AsyncClient(reconnection=False)
    delta: dict = {}
    done = asyncio.Event()

    @client.on("event", namespace="/_event")
    async def on_event(update: dict) -> None:
        for state, values in (update.get("delta") or {}).items():
            delta.setdefault(state, {}).update(values)
        if update.get("final", True):
            done.set()

    await client.connect(f"{url}?token={token}", transports=["websocket"],
                         socketio_path="/_event", namespaces=["/_event"], wait_timeout=15)
    try:
        search = "&".join(f"{k}={v}" for k, v in query.items())
        await client.emit("event", {"name": name, "payload": {}, "router_data": {
            "pathname": "/login", "asPath": "/login" + (f"?{search}" if search else ""),
            "query": query}}, namespace="/_event")
        await asyncio.wait_for(done.wait(), 30)
    finally:
        await client.disconnect()
    return delta


def test_a_tabs_reflex_state_set_on_one_app_process_is_there_on_the_other(running: Running):
    from reflex.state import State

    from commerce_dash.pages.public.login import EXPIRED, LoginState

    login = LoginState.get_full_name()
    field_name = "form_error_rx_state_"
    token = str(uuid.uuid4())
    one, two = (app.url for app in running.apps)
    # given a tab whose sign-in page loaded through process 1 with an expired sign-in
    first = asyncio.run(_reflex_event(one, token, f"{login}.load", {"expired": "1"}))
    assert first[login][field_name] == EXPIRED
    # when the same tab reconnects to process 2 (another proxy pick) and hydrates
    second = asyncio.run(_reflex_event(two, token, f"{State.get_full_name()}.hydrate", {}))
    # then process 2 answers with the state process 1 left in Redis (no sticky session)
    headers = second[State.get_full_name()]["rx_router_headers_rx_state_"]
    assert headers["host"] == two.removeprefix("http://")
    assert second[login][field_name] == EXPIRED


def _runs(engine: Engine, job: str, since: datetime) -> list[JobRun]:
    with Session(engine) as session:
        return list(session.exec(select(JobRun).where(
            JobRun.job_name == job, col(JobRun.started_at) >= since,
        ).order_by(col(JobRun.started_at))).all())


def test_each_job_runs_once_per_tick_across_two_workers(running: Running):
    # given two workers running every job on its schedule against one database
    assert all(worker.alive() for worker in running.workers), running.logs()
    # when they run side by side for three ticks of the outbox job (every 5 s)
    tick = timedelta(seconds=5)
    now = datetime.now(UTC)
    first_tick = datetime.fromtimestamp((now.timestamp() // 5 + 1) * 5, UTC)
    ticks = [first_tick + tick * i for i in range(3)]
    time.sleep((ticks[-1] + tick - datetime.now(UTC)).total_seconds())
    # then each tick's period holds one run of the job, not one per worker
    runs = [r for r in _runs(running.engine, "outbox_delivery", ticks[0])
            if r.started_at < ticks[-1] + tick]
    per_tick = [len([r for r in runs if t <= r.started_at < t + tick]) for t in ticks]
    assert per_tick == [1, 1, 1], [(r.started_at.isoformat(), r.holder) for r in runs]
    # and no two runs of any job overlapped
    with Session(running.engine) as session:
        every = session.exec(select(JobRun).order_by(col(JobRun.started_at))).all()
    for job in {r.job_name for r in every}:
        mine = [r for r in every if r.job_name == job]
        for earlier, later in zip(mine, mine[1:], strict=False):
            assert earlier.finished_at is not None and earlier.finished_at <= later.started_at


@dataclass
class DedupingReceiver:
    """A webhook receiver that takes each delivery id once (answering 200 to repeats too) and
    counts every request; each answer takes a little while, so delivery takes seconds."""

    delay: float = 0.04
    raw: int = 0
    seen: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def take(self, delivery: str) -> None:
        time.sleep(self.delay)
        with self.lock:
            self.raw += 1
            self.seen[delivery] = self.seen.get(delivery, 0) + 1

    def unique(self) -> int:
        with self.lock:
            return len(self.seen)


@pytest.fixture
def receiver() -> Iterator[DedupingReceiver]:
    found = DedupingReceiver()

    class Handle(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            found.take(self.headers.get("X-Commerce-Delivery", ""))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handle)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    found.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    try:
        yield found
    finally:
        server.shutdown()
        server.server_close()


def _pid_of(name: str) -> int:
    """The process id inside a lease holder or claim owner name (host:pid:random)."""
    return int(name.rsplit(":", 2)[1])


def test_a_worker_killed_while_delivering_100_webhooks_loses_none(
        running: Running, receiver: DedupingReceiver):
    # given 100 webhooks queued at once for a receiver that drops repeated delivery ids
    keys = [f"cluster-hook-{i:03d}" for i in range(MESSAGES)]
    with Session(running.engine) as session:
        session.add(ApiConnector(name="Cluster LMS", kind="lms", key_id=KEY_ID))
        session.commit()
        for key in keys:
            queue_webhook(session=session, connector_key_id=KEY_ID, url=receiver.url,
                          event="order.paid", body={"key": key}, dedupe_key=key)
        session.commit()
    # when a fifth of them arrived, the worker delivering them (the holder of the outbox job's
    # lease while it is held) is killed with SIGKILL
    def delivering_now() -> str:
        if receiver.unique() < MESSAGES // 5:
            return ""
        with Session(running.engine) as session:
            lease = session.get(JobLease, "outbox_delivery")
        return lease.holder if lease is not None and lease.leased_until is not None else ""

    holder = str(_wait_for(delivering_now, 30, "delivery did not start", step=0.05))
    delivering = next((w for w in running.workers if w.pid == _pid_of(holder)), None)
    assert delivering is not None, f"the outbox job is held by {holder}"
    running.layout.kill(delivering, signal.SIGKILL)
    arrived_at_kill = receiver.unique()
    # and a new worker starts beside the one left, as a supervisor would
    running.workers.append(running.layout.start_worker())

    def all_sent() -> bool:
        with Session(running.engine) as session:
            rows = session.exec(select(OutboxMessage.status).where(
                col(OutboxMessage.dedupe_key).in_(keys))).all()
        return len(rows) == MESSAGES and set(rows) == {"sent"}

    # then once the killed worker's leases lapse the others deliver the rest: every message
    # is sent, the receiver saw each key exactly once (and repeats at most for those in flight)
    _wait_for(all_sent, 60, "not every message was sent", step=0.5)
    assert arrived_at_kill < MESSAGES
    assert sorted(receiver.seen) == keys
    assert receiver.raw >= MESSAGES
    # and the dead worker sent some of them, the others the rest
    with Session(running.engine) as session:
        owners = set(session.exec(select(OutboxMessage.claimed_by).where(
            col(OutboxMessage.dedupe_key).in_(keys))).all())
    pids = {_pid_of(owner) for owner in owners if owner}
    assert delivering.pid in pids and len(pids) >= 2, (owners, running.logs())
