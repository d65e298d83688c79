"""The figures of the app's health that durable rows hold: payment outcomes by processor,
webhook processing lag, the outbox's depth and oldest message, job runs and failures, and
failed sign-ins. One rule for both readers: ``/metrics`` (at scrape time, so every process's
work is counted, and no request path pays for it) and the admin Health page.

Rows are pruned (job runs, sign-in attempts), so the counts are over a recent window
(``WINDOW_HOURS``) rather than totals since the start of time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from commerce_dash import outbox
from commerce_dash.domain.clock import utcnow
from commerce_dash.models.accounts import LoginAttempt
from commerce_dash.models.commerce import Payment, PaymentEvent
from commerce_dash.models.delivery import JobRun, OutboxMessage

WINDOW_HOURS = 24
# payment statuses by outcome: a refunded payment was taken first
PAYMENT_OUTCOMES = {
    "succeeded": "succeeded", "refunded": "succeeded", "partially_refunded": "succeeded",
    "failed": "failed", "canceled": "canceled",
}
OUTBOX_WAITING = ("pending", "sending")
WEBHOOK_WAITING = ("received", "failed")
LAG_SAMPLE = 5000  # the most recent processed webhooks the lag is worked out from


@dataclass(frozen=True)
class ProcessorPayments:
    processor: str
    by_status: dict[str, int]  # payment status -> payments last updated in the window

    def outcome(self, name: str) -> int:
        return sum(n for status, n in self.by_status.items()
                   if PAYMENT_OUTCOMES.get(status, "pending") == name)

    @property
    def success_rate(self) -> float | None:
        """Succeeded / (succeeded + failed), None when neither happened."""
        done = self.outcome("succeeded") + self.outcome("failed")
        return self.outcome("succeeded") / done if done else None


@dataclass(frozen=True)
class JobFigures:
    job_name: str
    runs: int
    failed: int
    last_outcome: str


@dataclass(frozen=True)
class HealthFigures:
    at: datetime
    window_hours: int
    payments: list[ProcessorPayments]
    webhooks_waiting: int
    webhook_oldest_waiting_seconds: float
    webhook_lag_avg_seconds: float | None  # received -> processed, over the window
    webhook_lag_max_seconds: float | None
    webhooks_processed: int
    outbox_by_status: dict[str, int]
    outbox_oldest_waiting_seconds: float
    jobs: list[JobFigures] = field(default_factory=list)
    login_failures: int = 0  # in the window
    login_failures_last_hour: int = 0

    @property
    def outbox_depth(self) -> int:
        return sum(self.outbox_by_status.get(s, 0) for s in OUTBOX_WAITING)

    @property
    def job_runs(self) -> int:
        return sum(j.runs for j in self.jobs)

    @property
    def job_failures(self) -> int:
        return sum(j.failed for j in self.jobs)


def _age(now: datetime, since: datetime | None) -> float:
    return max(0.0, (now - since).total_seconds()) if since is not None else 0.0


def _payments(session: Session, since: datetime) -> list[ProcessorPayments]:
    rows = session.exec(
        select(Payment.processor, Payment.status, func.count())
        .where(col(Payment.updated_at) >= since)
        .group_by(col(Payment.processor), col(Payment.status))).all()
    found: dict[str, dict[str, int]] = {}
    for processor, status, count in rows:
        found.setdefault(processor, {})[status] = int(count)
    return [ProcessorPayments(p, found[p]) for p in sorted(found)]


def _webhooks(session: Session, now: datetime, since: datetime) -> tuple[
        int, float, float | None, float | None, int]:
    waiting = col(PaymentEvent.status).in_(WEBHOOK_WAITING)
    webhook = col(PaymentEvent.source) == "webhook"
    count, oldest = session.exec(
        select(func.count(), func.min(PaymentEvent.received_at)).where(webhook, waiting)).one()
    done = session.exec(
        select(PaymentEvent.received_at, PaymentEvent.processed_at)
        .where(webhook, col(PaymentEvent.processed_at).is_not(None),
               col(PaymentEvent.processed_at) >= since)
        .order_by(col(PaymentEvent.processed_at).desc()).limit(LAG_SAMPLE)).all()
    lags = [max(0.0, (processed - received).total_seconds())
            for received, processed in done if processed is not None]
    oldest_age = _age(now, _aware(oldest))
    if not lags:
        return int(count), oldest_age, None, None, 0
    return int(count), oldest_age, sum(lags) / len(lags), max(lags), len(lags)


def _aware(value: datetime | None) -> datetime | None:
    """An aggregate (min) comes back without the column type's conversion on SQLite."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


def _outbox(session: Session, now: datetime) -> tuple[dict[str, int], float]:
    counts = outbox.status_counts(session=session)
    oldest = session.exec(select(func.min(OutboxMessage.created_at)).where(
        col(OutboxMessage.status).in_(OUTBOX_WAITING))).one()
    return counts, _age(now, _aware(oldest))


def _jobs(session: Session, since: datetime) -> list[JobFigures]:
    rows = session.exec(
        select(JobRun.job_name, JobRun.outcome, func.count())
        .where(col(JobRun.started_at) >= since)
        .group_by(col(JobRun.job_name), col(JobRun.outcome))).all()
    runs: dict[str, dict[str, int]] = {}
    for name, outcome, count in rows:
        runs.setdefault(name, {})[outcome] = int(count)
    latest = dict(session.exec(
        select(JobRun.job_name, JobRun.outcome)
        .where(col(JobRun.id).in_(select(func.max(JobRun.id)).where(
            col(JobRun.started_at) >= since).group_by(col(JobRun.job_name))))).all())
    return [JobFigures(name, sum(by.values()), by.get("failed", 0), latest.get(name, ""))
            for name, by in sorted(runs.items())]


def _login_failures(session: Session, since: datetime) -> int:
    return int(session.exec(select(func.count()).select_from(LoginAttempt).where(
        col(LoginAttempt.succeeded).is_(False), col(LoginAttempt.at) >= since)).one())


def health_figures(*, session: Session, now: datetime | None = None,
                   window_hours: int = WINDOW_HOURS) -> HealthFigures:
    """The figures now, counts over the last ``window_hours``. Reads only (a handful of
    grouped counts on indexed columns and at most ``LAG_SAMPLE`` webhook rows)."""
    now = now or utcnow()
    since = now - timedelta(hours=window_hours)
    waiting, oldest, lag_avg, lag_max, processed = _webhooks(session, now, since)
    by_status, outbox_oldest = _outbox(session, now)
    return HealthFigures(
        at=now,
        window_hours=window_hours,
        payments=_payments(session, since),
        webhooks_waiting=waiting,
        webhook_oldest_waiting_seconds=oldest,
        webhook_lag_avg_seconds=lag_avg,
        webhook_lag_max_seconds=lag_max,
        webhooks_processed=processed,
        outbox_by_status=by_status,
        outbox_oldest_waiting_seconds=outbox_oldest,
        jobs=_jobs(session, since),
        login_failures=_login_failures(session, since),
        login_failures_last_hour=_login_failures(session, now - timedelta(hours=1)),
    )
