"""Issue 16's scheduled jobs and the development test clock: the sandbox's renewal engine
(subscription_billing) and the end of the grace period (subscription_grace) run under
``run_job`` like every job, and ``cli subscriptions advance`` moves the clock and renews,
never in production. Time moves by the sandbox's test clock, never by sleeping."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlmodel import Session, col, select

from commerce_dash import cli
from commerce_dash.domain.actor import Actor
from commerce_dash.jobs.registry import JOBS, run_job
from commerce_dash.models.commerce import Order
from commerce_dash.models.delivery import JobRun
from commerce_dash.models.subscriptions import SandboxClock, Subscription, SubscriptionInvoice
from commerce_dash.payments.sandbox_cards import SUCCESS_CARD
from commerce_dash.services import catalog, commerce
from commerce_dash.settings import get_settings

DECLINE_CARD = "4000000000009995"  # insufficient funds
PRODUCTION = {"env": "production", "secret_key": "k" * 40,
              "public_url": "https://learn.example.org", "stripe_secret_key": "sk_live_123",
              "stripe_webhook_secret": "whsec_123"}


@pytest.fixture
def monthly(session: Session, super_admin: Actor, shop) -> int:  # type: ignore[no-untyped-def]
    """The shop's department sells a $29 monthly plan without a trial."""
    price = catalog.create_price(session=session, actor=super_admin, item_type="subscription",
                                 item_id=shop.department_id, price_type="subscription",
                                 amount=2900, currency="USD", interval="monthly")
    return price.id or 0


def _move_clock(session: Session, days: int) -> None:
    """Move the sandbox's test clock without running anything (the jobs do that)."""
    clock = session.get(SandboxClock, 1) or SandboxClock(id=1, offset_seconds=0)
    clock.offset_seconds += days * 86_400
    session.add(clock)
    session.commit()


def _sub(session: Session, sub_id: int | None) -> Subscription:
    session.expire_all()
    row = session.get(Subscription, sub_id)
    assert row is not None
    return row


def _paid_orders(session: Session, sub_id: int | None) -> list[int]:
    """The totals of the orders recorded for the subscription's paid invoices."""
    session.expire_all()
    ids = session.exec(select(SubscriptionInvoice.order_id).where(
        SubscriptionInvoice.subscription_id == sub_id, SubscriptionInvoice.status == "paid")
        .order_by(col(SubscriptionInvoice.id))).all()
    return [o.total for o in (session.get(Order, i) for i in ids) if o is not None]


def _last_run(session: Session, name: str) -> JobRun:
    session.rollback()
    run = session.exec(select(JobRun).where(JobRun.job_name == name)
                       .order_by(col(JobRun.id).desc())).first()
    assert run is not None
    return run


def test_both_subscription_jobs_are_scheduled() -> None:
    assert JOBS["subscription_billing"].trigger == {"trigger": "interval", "minutes": 1}
    assert JOBS["subscription_grace"].trigger == {"trigger": "interval", "minutes": 10}


def test_the_billing_job_renews_a_due_subscription_once_even_when_run_twice(
        session: Session, learner: Actor, monthly: int) -> None:
    sub = commerce.subscribe(session=session, actor=learner, price_id=monthly,
                             payment_method=SUCCESS_CARD)
    assert _paid_orders(session, sub.id) == [2900]
    # nothing is due yet: the job runs and renews nothing
    assert run_job("subscription_billing") == "ok"
    assert _paid_orders(session, sub.id) == [2900]
    assert '"subscriptions": 0' in _last_run(session, "subscription_billing").detail
    # a month later the renewal is due
    period_end = _sub(session, sub.id).current_period_end
    _move_clock(session, 31)
    assert run_job("subscription_billing") == "ok"
    assert run_job("subscription_billing") == "ok"
    assert _paid_orders(session, sub.id) == [2900, 2900]
    renewed = _sub(session, sub.id)
    assert renewed.status == "active" and renewed.current_period_start == period_end
    runs = session.exec(select(JobRun).where(JobRun.job_name == "subscription_billing")
                        .order_by(col(JobRun.id))).all()
    assert [(r.outcome, r.detail) for r in runs[-2:]] == [
        ("ok", '{"batches": 1, "subscriptions": 1}'),
        ("ok", '{"batches": 1, "subscriptions": 0}')]


def test_the_grace_job_cancels_a_past_due_subscription_after_the_grace_period(
        session: Session, learner: Actor, monthly: int) -> None:
    sub = commerce.subscribe(session=session, actor=learner, price_id=monthly,
                             payment_method=SUCCESS_CARD)
    commerce.update_card(session=session, actor=learner, ref=sub.id or 0,
                         payment_method=DECLINE_CARD)
    _move_clock(session, 31)
    assert run_job("subscription_billing") == "ok"
    assert _sub(session, sub.id).status == "past_due"
    grace = get_settings().subscription_grace_days
    # inside the grace period the grace job leaves it alone
    _move_clock(session, grace - 1)
    assert run_job("subscription_grace") == "ok"
    assert _sub(session, sub.id).status == "past_due"
    assert _last_run(session, "subscription_grace").detail == '{"cancelled": 0}'
    # past it, access ends and the subscription is cancelled
    _move_clock(session, 2)
    assert run_job("subscription_grace") == "ok"
    ended = _sub(session, sub.id)
    assert ended.status == "cancelled" and ended.access_ended_at is not None
    assert _last_run(session, "subscription_grace").detail == '{"cancelled": 1}'
    assert _paid_orders(session, sub.id) == [2900]


def test_cli_advance_moves_the_clock_and_renews(
        session: Session, learner: Actor, monthly: int,
        capsys: pytest.CaptureFixture[str]) -> None:
    sub = commerce.subscribe(session=session, actor=learner, price_id=monthly,
                             payment_method=SUCCESS_CARD)
    before = commerce.billing_now(session)
    assert cli.main(["subscriptions", "advance", "--days", "31", "--hours", "2"]) == 0
    out = capsys.readouterr().out
    session.expire_all()
    moved = commerce.billing_now(session)
    assert moved - before >= timedelta(days=31, hours=2)
    assert f"billing time is now {moved:%Y-%m-%d %H:%M} UTC" in out
    assert "ran: 1 paid invoices" in out
    assert "subscriptions: 1 active" in out
    assert _paid_orders(session, sub.id) == [2900, 2900]
    # nothing more is due an hour later
    assert cli.main(["subscriptions", "advance", "--days", "0", "--hours", "1"]) == 0
    assert "ran: nothing was due" in capsys.readouterr().out
    assert _paid_orders(session, sub.id) == [2900, 2900]


def test_cli_advance_refuses_a_move_of_nothing(
        session: Session, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["subscriptions", "advance", "--days", "0"]) == 1
    assert "Move the clock forward by 1 hour to 10 years." in capsys.readouterr().err


def test_cli_advance_is_refused_in_production(
        session: Session, learner: Actor, monthly: int,
        settings_env: Callable[..., None], capsys: pytest.CaptureFixture[str]) -> None:
    sub = commerce.subscribe(session=session, actor=learner, price_id=monthly,
                             payment_method=SUCCESS_CARD)
    settings_env(**PRODUCTION)
    assert get_settings().env == "production"
    assert cli.main(["subscriptions", "advance", "--days", "31"]) == 1
    err = capsys.readouterr().err
    assert "refusing: the test clock only moves in development" in err
    session.expire_all()
    clock = session.get(SandboxClock, 1)
    assert clock is None or clock.offset_seconds == 0
    assert _paid_orders(session, sub.id) == [2900]
