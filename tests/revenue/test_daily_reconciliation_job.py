"""The daily reconciliation job: yesterday (UTC) is reconciled; when it does not reconcile,
each billing admin and super-admin gets one email through the outbox, once, however often the
job runs; a clean day sends none."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, col, select

from commerce_dash.domain.access import RoleName
from commerce_dash.domain.actor import Actor, Grant
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.orders import order_number
from commerce_dash.jobs.reconciliation import daily_reconciliation
from commerce_dash.jobs.registry import JOBS, run_job
from commerce_dash.models.catalog import Course
from commerce_dash.models.delivery import OutboxMessage
from commerce_dash.notify.message import message_from_payload
from tests.builders import a_learner, a_paid_order, an_admin
from tests.conftest import create_department
from tests.revenue.ledger_book import make_order, pay

ALERT = "reconciliation-mismatch:"


def _alerts(session: Session) -> list[OutboxMessage]:
    session.expire_all()
    return list(
        session.exec(
            select(OutboxMessage)
            .where(col(OutboxMessage.dedupe_key).startswith(ALERT))
            .order_by(col(OutboxMessage.id))
        )
    )


def _billing(session: Session) -> Actor:
    return an_admin(
        session,
        "bill@example.com",
        grants=(Grant(RoleName.BILLING_ADMIN),),
        full_name="Bill Billing",
    )


def test_a_clean_day_sends_nothing(session: Session, super_admin: Actor) -> None:
    _billing(session)
    a_paid_order(session, a_learner(session), super_admin)
    outcome = daily_reconciliation(utcnow().date())
    assert outcome["reconciles"] is True and outcome["emails"] == 0
    assert _alerts(session) == []


def test_a_mismatch_emails_each_billing_admin_once(session: Session, super_admin: Actor) -> None:
    _billing(session)
    an_admin(session, "enid@example.com", grants=(Grant(RoleName.ENROLLMENT_ADMIN),))
    # yesterday: an order paid at the processor that never reached the ledger
    yesterday = utcnow() - timedelta(days=1)
    lee = a_learner(session)
    course = Course(
        code="PY101", title="Python Basics", department_id=create_department(session, "ENG")
    )
    session.add(course)
    session.flush()
    order, _line = make_order(session, lee.user_id, course, 11_000, completed_at=yesterday)
    pay(session, order, 11_000, yesterday)
    session.commit()
    assert order.id is not None

    assert run_job("daily_reconciliation") == "ok"
    alerts = _alerts(session)
    assert sorted(m.payload["to"] for m in alerts) == ["bill@example.com", "root@example.com"]
    message = message_from_payload(alerts[0].payload)
    day = yesterday.date().isoformat()
    assert day in message.subject and "1 day(s)" in message.subject
    assert (
        f"Paid order without ledger sale: {order_number(order.id, order.created_at)}"
        in message.text
    )
    assert "captured $110.00, ledger sales $0.00" in message.text
    assert "/admin/revenue" in message.text

    # run again the same day (a retry, a second worker): nothing more
    assert run_job("daily_reconciliation") == "ok"
    assert daily_reconciliation(yesterday.date())["emails"] == 0
    assert len(_alerts(session)) == 2


def test_it_is_scheduled_daily() -> None:
    assert JOBS["daily_reconciliation"].trigger == {"trigger": "cron", "hour": 2, "minute": 15}
