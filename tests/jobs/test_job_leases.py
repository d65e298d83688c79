"""Job leases: a job runs in one place at a time, across threads and processes, and a dead
holder's lease is taken over once it lapses."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlmodel import col, select

from commerce_dash.domain.access import RoleName
from commerce_dash.domain.actor import Grant
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.errors import DomainError
from commerce_dash.domain.paging import PageRequest
from commerce_dash.jobs import registry
from commerce_dash.jobs.registry import JobSpec, run_job, run_job_now
from commerce_dash.models.audit import AuditLog
from commerce_dash.models.delivery import JobLease, JobRun
from commerce_dash.services.platform import jobs
from tests.conftest import create_user
from tests.jobs.conftest import start_job_process

DEAD_HOLDER = "gone-host:4242:deadbeef"


@pytest.fixture
def probe_job(monkeypatch):
    """A registered job that takes 0.3 s and counts its calls."""
    calls = []

    def probe():
        calls.append(time.monotonic())
        time.sleep(0.3)
        return {"probed": len(calls)}

    monkeypatch.setitem(
        registry.JOBS,
        "probe_job",
        JobSpec("probe_job", probe, {"trigger": "interval", "seconds": 1}, "probe"),
    )
    return calls


def _runs(session, job_name="probe_job"):
    session.rollback()
    return session.exec(
        select(JobRun).where(JobRun.job_name == job_name).order_by(col(JobRun.started_at))
    ).all()


def _lease(session, job_name="probe_job"):
    session.rollback()
    return session.get(JobLease, job_name, populate_existing=True)


def test_a_lease_is_held_by_one_holder_until_released_or_lapsed(session):
    # given holder A took the lease
    assert jobs.acquire_lease(session=session, job_name="j", holder="A", seconds=60)
    # when B asks, then A renews
    taken_by_b = jobs.acquire_lease(session=session, job_name="j", holder="B", seconds=60)
    renewed_by_a = jobs.acquire_lease(session=session, job_name="j", holder="A", seconds=60)
    # then only A holds it; B may not release it
    assert (taken_by_b, renewed_by_a) == (False, True)
    assert not jobs.release_lease(session=session, job_name="j", holder="B")
    # when A releases it, B gets it
    assert jobs.release_lease(session=session, job_name="j", holder="A")
    assert jobs.acquire_lease(session=session, job_name="j", holder="B", seconds=60)
    # and when B's lease lapses, A takes over
    lease = _lease(session, "j")
    lease.leased_until = utcnow() - timedelta(seconds=1)
    session.add(lease)
    session.commit()
    assert jobs.acquire_lease(session=session, job_name="j", holder="A", seconds=60)
    assert _lease(session, "j").holder == "A"


def test_two_threads_running_one_job_at_once_make_one_run(session, probe_job):
    # given two threads that start the same job at the same moment
    barrier = threading.Barrier(2)
    outcomes = []

    def go():
        barrier.wait()
        outcomes.append(run_job("probe_job"))

    threads = [threading.Thread(target=go) for _ in range(2)]
    # when both run it
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    # then one ran and one was skipped, and one run is recorded
    assert sorted(outcomes) == ["ok", "skipped"]
    assert len(probe_job) == 1
    runs = _runs(session)
    assert [(r.outcome, r.trigger) for r in runs] == [("ok", "schedule")]
    assert runs[0].detail == '{"probed": 1}'
    assert _lease(session).leased_until is None  # released after the run


def test_two_processes_running_one_job_at_once_make_one_run(session):
    # given two processes that start the same job at the same wall-clock moment (far enough
    # ahead that both have imported the app even on a loaded machine)
    start_at = str(time.time() + 10)
    children = [start_job_process("race", start_at) for _ in range(2)]
    # when both have run
    outputs = [c.communicate(timeout=60) for c in children]
    # then one ran and the other was skipped
    assert [c.returncode for c in children] == [0, 0], outputs
    assert sorted(out.strip() for out, _ in outputs) == ["ok", "skipped"]
    runs = _runs(session)
    assert len(runs) == 1 and runs[0].outcome == "ok"


def test_two_processes_looping_over_one_job_never_overlap(session):
    # given two processes, each running the job 5 times, trying with short random pauses
    start_at = str(time.time() + 3)
    children = [start_job_process("loop", start_at) for _ in range(2)]
    # when both are done
    outputs = [c.communicate(timeout=120) for c in children]
    assert [c.returncode for c in children] == [0, 0], outputs
    # then the runs recorded never overlap in time, and both processes got turns
    runs = _runs(session)
    ran = sum(out.split().count("ok") for out, _ in outputs)
    assert len(runs) == ran == 10
    assert all(r.outcome == "ok" and r.finished_at is not None for r in runs)
    for earlier, later in zip(runs, runs[1:], strict=False):
        assert earlier.finished_at <= later.started_at
    assert len({r.holder for r in runs}) == 2


def test_the_lapsed_lease_of_a_dead_holder_is_taken_over(session, probe_job):
    # given a lease left by a process that died, lapsed a second ago
    session.add(
        JobLease(
            job_name="probe_job", holder=DEAD_HOLDER, leased_until=utcnow() - timedelta(seconds=1)
        )
    )
    session.commit()
    # when this process runs the job
    outcome = run_job("probe_job")
    # then it runs here and gives the lease back
    assert outcome == "ok"
    assert [r.holder for r in _runs(session)] == [registry.holder()]
    lease = _lease(session)
    assert (lease.holder, lease.leased_until) == (registry.holder(), None)


def test_a_live_lease_of_another_process_skips_the_run(session, probe_job):
    # given another process holds the lease for five more minutes
    session.add(
        JobLease(
            job_name="probe_job", holder=DEAD_HOLDER, leased_until=utcnow() + timedelta(minutes=5)
        )
    )
    session.commit()
    # when this process tries to run the job
    outcome = run_job("probe_job")
    # then it is skipped without a run record
    assert outcome == "skipped"
    assert probe_job == [] and _runs(session) == []


def test_a_failing_job_is_recorded_with_its_traceback_and_does_not_raise(session, monkeypatch):
    # given a job that raises
    def broken():
        raise ZeroDivisionError("nothing to divide")

    monkeypatch.setitem(
        registry.JOBS,
        "probe_job",
        JobSpec("probe_job", broken, {"trigger": "interval", "seconds": 1}, "x"),
    )
    # when it runs twice (from a page, then on schedule)
    first = run_job_now("probe_job")
    second = run_job("probe_job")
    # then both runs are recorded as failed with the traceback, and the lease is free
    assert (first, second) == ("failed", "failed")
    runs = _runs(session)
    assert [(r.trigger, r.outcome) for r in runs] == [("manual", "failed"), ("schedule", "failed")]
    assert "ZeroDivisionError: nothing to divide" in runs[0].detail
    assert "Traceback" in runs[0].detail
    assert _lease(session).leased_until is None


def test_an_unknown_job_fails_without_a_run(session):
    assert run_job("no_such_job") == "failed"
    assert session.exec(select(JobRun)).all() == []


def test_admins_see_the_last_run_of_each_job_and_request_runs(session, super_admin, probe_job):
    # given the probe job ran twice and housekeeping once
    run_job("probe_job")
    run_job_now("probe_job")
    assert run_job("housekeeping") == "ok"
    # when an admin looks at the runs
    last = jobs.last_runs(session=session, actor=super_admin)
    page = jobs.list_runs(
        session=session, actor=super_admin, page=PageRequest(1, 2), job_name="probe_job"
    )
    # then the newest run of each job shows, and the list pages newest first
    assert {name: run.trigger for name, run in last.items()} == {
        "probe_job": "manual",
        "housekeeping": "schedule",
    }
    assert page.total == 2 and [r.trigger for r in page.items] == ["manual", "schedule"]
    # when the admin asks for a run now, it is audited; an unknown job is refused
    jobs.request_run_now(session=session, actor=super_admin, job_name="housekeeping",
                             known_jobs=frozenset(registry.JOBS))
    with pytest.raises(DomainError) as unknown:
        jobs.request_run_now(session=session, actor=super_admin, job_name="reboot",
                                 known_jobs=frozenset(registry.JOBS))
    assert unknown.value.code == "job_not_found"
    audit = session.exec(select(AuditLog)).all()
    assert [(a.action, a.entity_id) for a in audit] == [("job.run_requested", "housekeeping")]


def test_only_super_admins_see_or_request_job_runs(session):
    # given a billing admin
    admin = create_user(session, "billing@example.com", grants=(Grant(RoleName.BILLING_ADMIN),))
    # then the system section is closed to them
    for call in (
        lambda: jobs.last_runs(session=session, actor=admin),
        lambda: jobs.list_runs(session=session, actor=admin, page=PageRequest()),
        lambda: jobs.request_run_now(session=session, actor=admin, job_name="housekeeping",
                             known_jobs=frozenset(registry.JOBS)),
    ):
        with pytest.raises(DomainError) as refused:
            call()
        assert refused.value.code == "forbidden"


def test_housekeeping_forgets_job_runs_older_than_a_week(session):
    from datetime import timedelta

    from commerce_dash.domain.clock import utcnow
    from commerce_dash.models.delivery import JobRun as Run
    from commerce_dash.services.platform.jobs import purge_old_runs

    # given an old finished run, an old run still marked running, and a recent run
    old = utcnow() - timedelta(days=8)
    session.add_all([
        Run(job_name="outbox_delivery", holder="h", started_at=old, outcome="ok"),
        Run(job_name="outbox_delivery", holder="h", started_at=old, outcome="running"),
        Run(job_name="outbox_delivery", holder="h", started_at=utcnow(), outcome="ok"),
    ])
    session.commit()
    # when housekeeping purges
    removed = purge_old_runs(session=session)
    # then only the old finished run is gone
    assert removed == 1
    left = session.exec(select(Run.outcome).order_by(Run.id)).all()
    assert left == ["running", "ok"]
