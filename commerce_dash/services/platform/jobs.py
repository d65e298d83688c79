"""Job leases and run records: which process may run a job now, and how each run ended.

A lease is one row per job. Taking it is a single conditional UPDATE (or the INSERT of the
missing row), so two processes on the same database never both hold it. A running job renews
its lease (``renew_lease``, from a heartbeat) so a run longer than ``seconds`` keeps it; a holder
that dies stops renewing and its lease lapses, so another process takes over after ``seconds``.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, func, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from commerce_dash.domain.actor import Actor, require_section
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.errors import not_found
from commerce_dash.domain.paging import Page, PageRequest
from commerce_dash.models.delivery import JobLease, JobRun
from commerce_dash.services.platform.audit import record_audit
from commerce_dash.services.platform.paging import page_of_query

OUTCOMES = ("running", "ok", "failed")
MAX_DETAIL_CHARS = 20_000


def acquire_lease(*, session: Session, job_name: str, holder: str, seconds: int) -> bool:
    """Take or renew the lease of ``job_name`` for ``seconds``; False when another holds it.

    Commits either way, so the lease is visible to other processes at once.
    """
    now = utcnow()
    until = now + timedelta(seconds=seconds)
    result = session.execute(
        update(JobLease)
        .where(
            col(JobLease.job_name) == job_name,
            or_(
                col(JobLease.leased_until).is_(None),
                col(JobLease.leased_until) < now,
                col(JobLease.holder) == holder,
            ),
        )
        .values(holder=holder, leased_until=until)
    )
    if result.rowcount == 1:  # type: ignore[attr-defined]
        session.commit()
        return True
    session.commit()
    # No row updated: either the job has never run (no row yet) or someone else holds it.
    try:
        session.add(JobLease(job_name=job_name, holder=holder, leased_until=until))
        session.commit()
    except IntegrityError:  # the row exists (held), or another process inserted it first
        session.rollback()
        return False
    return True


def renew_lease(*, session: Session, job_name: str, holder: str, seconds: int) -> bool:
    """Extend ``holder``'s lease of ``job_name`` to ``seconds`` from now, and commit.

    False when the lease is no longer theirs: released, or lapsed and taken by another holder.
    Unlike ``acquire_lease`` it never takes a lease: a late heartbeat can neither claim a job
    another holder now runs nor revive a released lease.
    """
    result = session.execute(
        update(JobLease)
        .where(
            col(JobLease.job_name) == job_name,
            col(JobLease.holder) == holder,
            col(JobLease.leased_until).is_not(None),
        )
        .values(leased_until=utcnow() + timedelta(seconds=seconds))
    )
    session.commit()
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def release_lease(*, session: Session, job_name: str, holder: str) -> bool:
    """Give the lease back if ``holder`` still has it; False when it had lapsed to another."""
    result = session.execute(
        update(JobLease)
        .where(col(JobLease.job_name) == job_name, col(JobLease.holder) == holder)
        .values(leased_until=None)
    )
    session.commit()
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def start_run(*, session: Session, job_name: str, holder: str, trigger: str) -> int:
    """Record that a run began and return its id."""
    run = JobRun(job_name=job_name, holder=holder[:64], trigger=trigger, started_at=utcnow())
    session.add(run)
    session.commit()
    assert run.id is not None
    return run.id


def finish_run(*, session: Session, run_id: int, outcome: str, detail: str = "") -> JobRun:
    """Record how a run ended (``ok`` or ``failed``) with a short detail or a traceback."""
    if outcome not in OUTCOMES[1:]:
        raise ValueError(f"unknown outcome {outcome!r}")
    run = session.get(JobRun, run_id)
    if run is None:
        raise not_found("job_run", run_id)
    run.outcome, run.finished_at = outcome, utcnow()
    # A traceback's end says most; keep it when the text is long.
    run.detail = detail if len(detail) <= MAX_DETAIL_CHARS else "…" + detail[-MAX_DETAIL_CHARS:]
    session.add(run)
    session.commit()
    return run


def list_runs(
    *, session: Session, actor: Actor | None, page: PageRequest, job_name: str = ""
) -> Page[JobRun]:
    """Runs newest first, optionally of one job; super-admins only."""
    require_section(actor, "system")
    query = select(JobRun)
    if job_name:
        query = query.where(JobRun.job_name == job_name)
    return page_of_query(session, query, page, col(JobRun.id).desc())


def last_runs(*, session: Session, actor: Actor | None) -> dict[str, JobRun]:
    """The newest run of every job that has run, by job name."""
    require_section(actor, "system")
    newest = select(func.max(JobRun.id)).group_by(col(JobRun.job_name))
    rows = session.exec(select(JobRun).where(col(JobRun.id).in_(newest.scalar_subquery()))).all()
    return {row.job_name: row for row in rows}


def request_run_now(
    *,
    session: Session,
    actor: Actor | None,
    job_name: str,
    known_jobs: frozenset[str],
) -> None:
    """Audit an admin's request to run a job now; the caller then runs it (``run_job_now``).

    ``known_jobs``: the names in the job registry (``jobs/registry.py``, a layer above the
    services); an unknown name is refused.
    """
    actor = require_section(actor, "system")
    if job_name not in known_jobs:
        raise not_found("job", job_name)
    record_audit(
        session=session,
        actor=actor,
        action="job.run_requested",
        entity_type="job",
        entity_id=job_name,
    )
    session.commit()


def purge_old_runs(*, session: Session, keep_days: int = 7) -> int:
    """Delete finished job runs older than ``keep_days`` (the delivery job runs every 5 s)."""
    cutoff = utcnow() - timedelta(days=keep_days)
    result = session.execute(
        delete(JobRun).where(col(JobRun.started_at) < cutoff, col(JobRun.outcome) != "running")
    )
    session.commit()
    return int(result.rowcount)  # type: ignore[attr-defined]
