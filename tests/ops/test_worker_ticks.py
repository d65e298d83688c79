"""Job workers share the schedule: a tick claimed by one worker is skipped by the others,
even when the job's own run is already over (its lease given back) when they fire."""

from __future__ import annotations

import time

import pytest
from sqlmodel import select

from commerce_dash.jobs import registry, scheduler
from commerce_dash.jobs.registry import JobSpec
from commerce_dash.models.delivery import JobRun


@pytest.fixture
def quick_job(monkeypatch):
    calls = []
    monkeypatch.setitem(registry.JOBS, "quick_job", JobSpec(
        "quick_job", lambda: calls.append(time.monotonic()),
        {"trigger": "interval", "seconds": 4}, "quick"))
    return calls


def test_a_tick_claimed_by_one_worker_is_skipped_by_the_others(session, quick_job):
    spec = registry.JOBS["quick_job"]
    # given another worker claimed this tick and already ran the job (its lease released)
    assert scheduler.claim_tick(spec, me="other-host:4242:aaaa")
    # when this worker's scheduler fires the same tick
    outcome = scheduler.run_tick("quick_job")
    # then it skips it: the job did not run here and no run was recorded
    assert outcome == "skipped"
    assert quick_job == []
    session.rollback()
    assert session.exec(select(JobRun).where(JobRun.job_name == "quick_job")).all() == []
    # and the tick is held for half the interval, then the next tick is free again
    assert scheduler.tick_hold_seconds(spec) == 2
    time.sleep(2.2)
    assert scheduler.run_tick("quick_job") == "ok" and len(quick_job) == 1


def test_every_interval_job_is_aligned_on_one_epoch_across_workers():
    # given two workers' schedulers built at different moments
    first = scheduler.build_scheduler()
    time.sleep(0.3)
    second = scheduler.build_scheduler()
    first.start(paused=True)
    second.start(paused=True)
    try:
        # then every job's next tick is the same instant in both (at-start runs aside)
        for spec in registry.JOBS.values():
            a, b = first.get_job(spec.name), second.get_job(spec.name)
            assert a.next_run_time == b.next_run_time, spec.name
    finally:
        first.shutdown(wait=False)
        second.shutdown(wait=False)
