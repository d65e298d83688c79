"""The subscription jobs: the sandbox's renewal engine (Stripe renews on its own) and the
end of the grace period (access suspended, then the subscription cancelled at the
processor), plus the development-only test clock that runs them ahead of time.

Both run under the job leases (one process at a time) in bounded batches. A renewal is
charged by the processor under a key per invoice and attempt, so a crash between charging
and recording never charges twice: the re-run finds the same charge.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from commerce_dash.db import for_update, get_engine
from commerce_dash.domain.errors import DomainError, ErrorKind
from commerce_dash.domain.subscriptions import SubscriptionStatus, subscription_number
from commerce_dash.models.subscriptions import SandboxSubscription, Subscription
from commerce_dash.payments.base import ProcessorError
from commerce_dash.payments.sandbox_subscriptions import SandboxSubscriptions
from commerce_dash.services.commerce.subscription_clock import billing_now, subscription_processor
from commerce_dash.services.commerce.subscription_events import end_access, sync_subscription
from commerce_dash.services.commerce.subscription_status import transition_subscription
from commerce_dash.services.platform import record_audit
from commerce_dash.settings import get_settings

__all__ = ["advance_test_clock", "expire_grace", "run_sandbox_billing"]

GRACE_REASON = "Unpaid after the grace period"


def run_sandbox_billing(*, session: Session, limit: int = 500) -> int:
    """One run of the sandbox's renewal engine: trials ending, renewals, retries and
    cancellations at period end, each emitting its signed events through the webhook
    intake. Returns how many subscriptions it acted on."""
    if session.exec(select(SandboxSubscription.id).limit(1)).first() is None:
        return 0
    session.commit()
    # The events go through the webhook intake on a session of their own that keeps its
    # connection for the run (two commits per event, no pool checkout per transaction).
    with get_engine().connect() as connection, Session(
            bind=connection, expire_on_commit=False) as intake:
        engine = subscription_processor(intake, "sandbox")
        assert isinstance(engine, SandboxSubscriptions)
        acted = engine.advance(limit=limit)
    session.expire_all()  # the caller reads what the events changed
    return acted


def expire_grace(*, session: Session, limit: int = 200) -> int:
    """Past-due subscriptions whose grace period is over: access suspended (enrollments
    from them end, certificates stay), then cancelled at the processor. A processor that
    cannot be reached is tried again on the next run (access stays suspended)."""
    now = billing_now(session)
    due = session.exec(select(Subscription.id).where(
        Subscription.status == SubscriptionStatus.PAST_DUE.value,
        col(Subscription.grace_ends_at) <= now)
        .order_by(col(Subscription.grace_ends_at)).limit(limit)).all()
    done = 0
    for sub_id in due:
        if sub_id is not None and _expire_one(session, sub_id, now):
            done += 1
    return done


def _expire_one(session: Session, sub_id: int, now: datetime) -> bool:
    sub = session.exec(for_update(session, select(Subscription).where(
        Subscription.id == sub_id))).one()
    if sub.status != SubscriptionStatus.PAST_DUE.value:
        session.rollback()
        return False
    number = subscription_number(sub_id)
    if sub.access_ended_at is None:
        end_access(session, sub, now, why=f"{number}: {GRACE_REASON.lower()}")
        record_audit(session=session, actor=None, action="subscription.access_suspended",
                     entity_type="subscription", entity_id=sub_id, reason=GRACE_REASON)
    sub.cancel_reason = GRACE_REASON
    session.add(sub)
    session.commit()
    remote = None
    if sub.processor_subscription_id:
        try:
            remote = subscription_processor(session, sub.processor).cancel_subscription(
                sub.processor_subscription_id, at_period_end=False)
        except (ProcessorError, DomainError):
            return False
    sub = session.exec(for_update(session, select(Subscription).where(
        Subscription.id == sub_id))).one()
    transition_subscription(session=session, subscription=sub,
                            target=SubscriptionStatus.CANCELLED, at=now,
                            action="subscription.cancelled", reason=GRACE_REASON)
    if remote is not None:
        sync_subscription(session, sub, remote, created=0, deleted=True)
    session.commit()
    return True


def advance_test_clock(*, session: Session, days: int = 0, hours: int = 0,
                       rounds: int = 20) -> datetime:
    """Development only: move the sandbox's test clock forward and run the billing jobs
    until nothing more is due (bounded). Returns the new billing time."""
    if get_settings().env == "production":
        raise DomainError("test_clock_refused",
                          "The test clock only moves outside production.",
                          kind=ErrorKind.FORBIDDEN)
    seconds = days * 86_400 + hours * 3_600
    if seconds <= 0 or days > 3_660:
        raise DomainError("invalid_clock_move", "Move the clock forward by 1 hour to 10 years.",
                          field="days")
    engine = subscription_processor(session, "sandbox")
    assert isinstance(engine, SandboxSubscriptions)
    session.commit()
    try:
        engine.move_clock(seconds)
    except ProcessorError as exc:
        raise DomainError(exc.code, exc.message, kind=ErrorKind.FORBIDDEN) from None
    for _ in range(rounds):
        if run_sandbox_billing(session=session) + expire_grace(session=session) == 0:
            break
    return billing_now(session)
