"""The scheduler in the app and in worker processes: every job scheduled once per process,
started and stopped cleanly, and several workers on one database never run a job twice."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import threading

import pytest
from sqlmodel import col, select

from commerce_dash.jobs import registry, scheduler
from commerce_dash.jobs.registry import JOBS, JobSpec
from commerce_dash.models.delivery import JobLease, JobRun
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
    # then each job runs through run_job, coalesced, one instance at a time, in UTC
    jobs = {job.id: job for job in built.get_jobs()}
    assert set(jobs) == set(JOBS) >= {"outbox_delivery", "housekeeping"}
    for name, job in jobs.items():
        assert job.func is registry.run_job and job.args == (name,)
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


def test_two_worker_processes_share_the_jobs_and_stop_on_sigterm(session):
    # given two scheduler processes on the same database
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "commerce_dash.jobs.worker"],
            cwd=ROOT,
            env=child_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(2)
    ]

    def delivery_runs():
        session.rollback()
        return session.exec(
            select(JobRun)
            .where(JobRun.job_name == "outbox_delivery", JobRun.outcome != "running")
            .order_by(col(JobRun.started_at))
        ).all()

    try:
        # when both run long enough for the delivery job to come round twice (every 5 s)
        wait_for(lambda: len(delivery_runs()) >= 2, timeout=30, step=0.3)
    finally:
        # and both are asked to stop
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        outputs = [w.communicate(timeout=30)[0] for w in workers]
    # then both exit cleanly, the runs never overlapped, and no lease is left held
    assert [w.returncode for w in workers] == [0, 0], outputs
    runs = delivery_runs()
    assert all(r.outcome == "ok" for r in runs)
    for earlier, later in zip(runs, runs[1:], strict=False):
        assert earlier.finished_at <= later.started_at
    # two workers each fire at start: one of them ran, the other was skipped
    assert len([r for r in runs if r.started_at < runs[0].finished_at]) == 1
    session.rollback()
    assert all(lease.leased_until is None for lease in session.exec(select(JobLease)).all())
