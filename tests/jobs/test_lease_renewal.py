"""Job leases are renewed while a job runs (issue 14, item 8): a run longer than its lease keeps
the job from every other process until it ends, and a holder that dies frees the job once its
last renewal lapses."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlmodel import col, select

from commerce_dash.domain.clock import utcnow
from commerce_dash.jobs import registry
from commerce_dash.jobs.registry import JobSpec, run_job
from commerce_dash.models.delivery import JobLease, JobRun
from commerce_dash.services.platform import jobs
from tests.jobs.conftest import child_env, start_job_process, wait_for

LEASE = 5  # seconds: the shortest lease COMMERCE_JOB_LEASE_SECONDS allows
LONG_RUN = 8  # seconds: well past one lease


@pytest.fixture
def short_lease(settings_env):
    settings_env(job_lease_seconds=LEASE)


def _register(monkeypatch, seconds: float) -> list[str]:
    """probe_job in this process: sleeps ``seconds`` and records which holder ran it."""
    calls: list[str] = []

    def probe():
        calls.append(registry.holder())
        time.sleep(seconds)
        return {"probed": len(calls)}

    spec = JobSpec("probe_job", probe, {"trigger": "interval", "seconds": 1}, "probe")
    monkeypatch.setitem(registry.JOBS, "probe_job", spec)
    return calls


def _runs(session) -> list[JobRun]:
    session.rollback()
    return list(session.exec(
        select(JobRun).where(JobRun.job_name == "probe_job").order_by(col(JobRun.id))
    ).all())


def _lease(session) -> JobLease | None:
    session.rollback()
    return session.get(JobLease, "probe_job", populate_existing=True)


def _other_process_runs_probe_at(wall_time: float, probe_seconds: float = 0.2):
    """A child process that tries probe_job once at ``wall_time`` and prints the outcome."""
    return start_job_process(
        "race", str(wall_time),
        env=child_env(COMMERCE_JOB_LEASE_SECONDS=str(LEASE), PROBE_SECONDS=str(probe_seconds)),
    )


def _heartbeats() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if "probe_job" in t.name and t.is_alive()]


def test_a_run_longer_than_its_lease_keeps_the_job_until_it_ends(
    session, short_lease, monkeypatch
):
    # given this process runs an 8 s job under a 5 s lease
    calls = _register(monkeypatch, LONG_RUN)
    started = time.time()
    during = _other_process_runs_probe_at(started + LEASE + 1.5)
    outcome: list[str] = []
    runner = threading.Thread(target=lambda: outcome.append(run_job("probe_job")))
    runner.start()
    try:
        # when another process tries the job 6.5 s in, past the first lease term
        out_during, err_during = during.communicate(timeout=60)
        runner.join(timeout=60)
    finally:
        if during.poll() is None:
            during.kill()
    # then it was refused while this run went on, and this run finished
    assert out_during.strip() == "skipped", err_during
    assert outcome == ["ok"] and calls == [registry.holder()]
    # and the renewal stopped with the run: no heartbeat left, the lease given back
    assert _heartbeats() == []
    assert _lease(session).leased_until is None
    # when the other process tries again after the run ended
    after = _other_process_runs_probe_at(time.time())
    out_after, err_after = after.communicate(timeout=60)
    # then it runs there
    assert out_after.strip() == "ok", err_after
    runs = _runs(session)
    assert [(r.holder == registry.holder(), r.outcome) for r in runs] == [
        (True, "ok"), (False, "ok")]
    assert runs[0].finished_at - runs[0].started_at >= timedelta(seconds=LONG_RUN)
    assert runs[0].finished_at <= runs[1].started_at


def test_a_holder_that_dies_mid_run_frees_the_job_once_its_lease_lapses(
    session, short_lease, monkeypatch
):
    # given another process runs a 60 s job under a 5 s lease
    _register(monkeypatch, 0.1)
    child = _other_process_runs_probe_at(time.time(), probe_seconds=60)
    try:
        running = wait_for(lambda: _runs(session), timeout=30)[0]
        # when this process tries the job past the first lease term, while that holder lives
        time.sleep(max(0.0, running.started_at.timestamp() + LEASE + 1.5 - time.time()))
        while_alive = run_job("probe_job")
        # and that holder dies (SIGKILL: its renewal dies with it)
        child.kill()
        child.communicate(timeout=10)
    finally:
        if child.poll() is None:
            child.kill()
    killed_at = utcnow()
    right_after = run_job("probe_job")
    last_renewal_lapses_at = _lease(session).leased_until
    # then the live holder kept the job, and the dead one keeps it only until its lease lapses
    assert (while_alive, right_after) == ("skipped", "skipped")
    assert last_renewal_lapses_at - killed_at <= timedelta(seconds=LEASE)
    wait_for(lambda: run_job("probe_job") == "ok", timeout=LEASE + 5, step=0.25)
    runs = _runs(session)
    assert [(r.holder, r.outcome) for r in runs] == [
        (running.holder, "running"), (registry.holder(), "ok")]
    assert runs[1].started_at >= last_renewal_lapses_at


def test_a_renewal_never_takes_back_a_lease_that_another_holder_took_or_was_released(session):
    # given holder A's lease lapsed and B took the job
    assert jobs.acquire_lease(session=session, job_name="j", holder="A", seconds=60)
    lease = session.get(JobLease, "j")
    lease.leased_until = utcnow() - timedelta(seconds=1)
    session.add(lease)
    session.commit()
    assert jobs.acquire_lease(session=session, job_name="j", holder="B", seconds=60)
    # when A's heartbeat renews, then B's
    renewed_by_a = jobs.renew_lease(session=session, job_name="j", holder="A", seconds=60)
    renewed_by_b = jobs.renew_lease(session=session, job_name="j", holder="B", seconds=60)
    # then only B's renewal holds
    assert (renewed_by_a, renewed_by_b) == (False, True)
    session.expire_all()
    assert session.get(JobLease, "j").holder == "B"
    # when B releases and a late heartbeat of B renews
    assert jobs.release_lease(session=session, job_name="j", holder="B")
    late = jobs.renew_lease(session=session, job_name="j", holder="B", seconds=60)
    # then the released lease stays free for the next run
    assert late is False
    session.expire_all()
    assert session.get(JobLease, "j").leased_until is None
