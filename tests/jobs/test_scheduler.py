"""The scheduler in the app and in worker processes: every job scheduled once per process,
started and stopped cleanly, and several workers on one database never run a job twice."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlmodel import col, select

from commerce_dash.connectors.webhooks import queue_webhook
from commerce_dash.jobs import registry, scheduler
from commerce_dash.jobs.registry import JOBS, JobSpec
from commerce_dash.models.delivery import JobLease, JobRun
from commerce_dash.models.integrations import ApiConnector
from tests.jobs.conftest import ROOT, child_env, wait_for


@pytest.fixture
def only_a_quiet_job(monkeypatch):
    """The registry reduced to one job that does nothing, so a started scheduler is harmless."""
    quiet = {"quiet": JobSpec("quiet", lambda: None, {"trigger": "interval", "hours": 1}, "q")}
    monkeypatch.setattr(registry, "JOBS", quiet)
    monkeypatch.setattr(scheduler, "JOBS", quiet)
    yield
    scheduler.stop_scheduler()


def test_every_registry_job_is_scheduled_once_with_overlap_protection():
    # when the scheduler is built
    built = scheduler.build_scheduler()
    # then each job ticks through run_tick (one run per tick across processes), coalesced,
    # one instance at a time, in UTC
    jobs = {job.id: job for job in built.get_jobs() if not job.id.endswith(scheduler.AT_START)}
    assert set(jobs) == set(JOBS) >= {"outbox_delivery", "housekeeping"}
    # and a job that runs at start has one extra tick now
    at_start = {job.name for job in built.get_jobs() if job.id.endswith(scheduler.AT_START)}
    assert at_start == {name for name, spec in JOBS.items() if spec.run_at_start}
    for name, job in jobs.items():
        assert job.func is scheduler.run_tick and job.args == (name,)
        assert (job.coalesce, job.max_instances, job.misfire_grace_time) == (True, 1, 30)
    assert str(built.timezone) == "UTC"
    assert jobs["outbox_delivery"].trigger.interval.total_seconds() == 5
    assert jobs["housekeeping"].trigger.interval.total_seconds() == 3600


def test_starting_and_stopping_twice_is_harmless(only_a_quiet_job):
    # when the scheduler is started twice, then stopped twice
    first = scheduler.start_scheduler()
    second = scheduler.start_scheduler()
    # then the same scheduler runs, and stopping leaves none
    assert first is second and scheduler.scheduler_is_running()
    scheduler.stop_scheduler()
    scheduler.stop_scheduler()
    assert not scheduler.scheduler_is_running() and not first.running


@pytest.mark.parametrize("enabled", [True, False])
def test_the_app_lifespan_runs_the_scheduler_only_when_enabled(
    only_a_quiet_job, settings_env, enabled
):
    # given the scheduler setting
    settings_env(scheduler_enabled=enabled)
    seen = []

    async def app_lifetime():
        async with scheduler.scheduler_lifespan():
            seen.append(scheduler.scheduler_is_running())

    # when the app starts and stops (in its own thread: the browser tests of the same session
    # keep an event loop running in this one)
    runner = threading.Thread(target=lambda: asyncio.run(app_lifetime()))
    runner.start()
    runner.join(timeout=60)
    # then the scheduler ran during its lifetime only when enabled, and is stopped after
    assert seen == [enabled]
    assert not scheduler.scheduler_is_running()


def test_the_worker_runs_one_job_and_exits(session):
    # when an operator runs housekeeping once from the shell
    done = subprocess.run(
        [sys.executable, "-m", "commerce_dash.jobs.worker", "--once", "housekeeping"],
        cwd=ROOT,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    # then it succeeded and the run is recorded as manual
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "housekeeping: ok"
    runs = session.exec(select(JobRun)).all()
    assert [(r.job_name, r.trigger, r.outcome) for r in runs] == [("housekeeping", "manual", "ok")]


class _HeldReceiver:
    """A webhook receiver on 127.0.0.1 that keeps each request waiting until released."""

    def __init__(self) -> None:
        self.hits = 0
        self.release = threading.Event()
        receiver = self

        class Handle(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.hits += 1
                receiver.release.wait(timeout=60)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handle)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


class _Worker:
    """``python -m commerce_dash.jobs.worker`` on the suite's database, its output read as it
    comes (a line per scheduler event: APScheduler logs every run it starts and ends)."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "commerce_dash.jobs.worker"],
            cwd=ROOT,
            env=child_env(COMMERCE_WEBHOOK_TIMEOUT_SECONDS="45"),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)

    def ran(self, job: str) -> bool:
        """Whether one of this worker's scheduled calls of ``job`` has returned."""
        return any(f'Job "{job} (' in line and "executed successfully" in line
                   for line in list(self.lines))

    def owns(self, run: JobRun) -> bool:
        """Whether ``run`` was recorded by this process (its holder name carries the pid)."""
        return f":{self.process.pid}:" in run.holder

    def stop(self) -> tuple[int | None, str]:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.reader.join(timeout=10)
        return self.process.returncode, "".join(self.lines)


def test_two_worker_processes_share_the_jobs_and_stop_on_sigterm(session):
    # given a webhook in the outbox whose receiver keeps the delivery waiting until released,
    # so that the first delivery run holds the job's lease as long as the test wants
    session.add(ApiConnector(name="Campus LMS", kind="lms", key_id="ck_lms_sched"))
    session.commit()
    receiver = _HeldReceiver()
    queue_webhook(session=session, connector_key_id="ck_lms_sched", url=receiver.url,
                  event="order.paid", body={"order": 41}, dedupe_key="order-41-paid")
    session.commit()

    def delivery_runs(finished: bool = True):
        session.rollback()
        query = select(JobRun).where(JobRun.job_name == "outbox_delivery")
        if finished:
            query = query.where(JobRun.outcome != "running")
        return session.exec(query.order_by(col(JobRun.started_at))).all()

    workers: list[_Worker] = []
    try:
        # when a first worker starts and its at-start delivery run is sending (lease held)
        workers.append(_Worker())
        first, = wait_for(lambda: delivery_runs(finished=False), timeout=30, step=0.1)
        wait_for(lambda: receiver.hits == 1, timeout=30, step=0.1)
        # and a second worker starts, and its own at-start delivery run comes and goes
        workers.append(_Worker())
        wait_for(lambda: workers[1].ran("outbox_delivery"), timeout=30, step=0.1)
        # then the second worker skipped it: the only delivery run is still the first worker's,
        # still running, and nothing was sent twice
        during = delivery_runs(finished=False)
        assert [(r.id, r.outcome) for r in during] == [(first.id, "running")]
        assert workers[0].owns(first) and not workers[1].owns(first)
        assert receiver.hits == 1
        # when the receiver answers, and both run long enough for the delivery job to come
        # round again (every 5 s)
        receiver.release.set()
        wait_for(lambda: len(delivery_runs()) >= 2, timeout=30, step=0.3)
    finally:
        # and both are asked to stop (a delivery still waiting is answered first)
        receiver.release.set()
        stopped = [worker.stop() for worker in workers]
        receiver.close()
    # then both exit cleanly, the runs never overlapped, and no lease is left held
    assert [code for code, _ in stopped] == [0, 0], [out for _, out in stopped]
    runs = delivery_runs()
    assert all(r.outcome == "ok" for r in runs)
    for earlier, later in zip(runs, runs[1:], strict=False):
        assert earlier.finished_at <= later.started_at
    # two workers each fire at start: one of them ran, the other was skipped (proven above,
    # while the first run held the lease; its run is the first recorded, no other overlaps it)
    assert runs[0].id == first.id and workers[0].owns(runs[0])
    assert len([r for r in runs if r.started_at < runs[0].finished_at]) == 1
    assert receiver.hits == 1
    session.rollback()
    assert all(lease.leased_until is None for lease in session.exec(select(JobLease)).all())
