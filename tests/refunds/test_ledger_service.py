"""The revenue ledger as the services write it: splits by rule, a program split by prices,
totals equal to what was paid, append-only rows, the backfill and the payout sync."""

from __future__ import annotations

import pytest
from sqlmodel import Session, delete, select

from commerce_dash.domain.actor import Actor
from commerce_dash.domain.errors import DomainError
from commerce_dash.domain.ledger import Shares
from commerce_dash.models.delivery import OutboxMessage
from commerce_dash.models.revenue import LedgerEntry, LedgerIsAppendOnly
from commerce_dash.services.revenue import ledger, payouts
from tests.builders import buy
from tests.conftest import create_user


def test_rules_course_then_department_then_default(session: Session, shop,  # type: ignore[no-untyped-def]
                                                   super_admin: Actor, learner: Actor) -> None:
    ledger.set_share_rule(session=session, actor=super_admin, scope="default", target_id=None,
                          shares=Shares(2000, 5000, 3000))
    ledger.set_share_rule(session=session, actor=super_admin, scope="department",
                          target_id=shop.department_id, shares=Shares(2500, 2500, 5000))
    ledger.set_share_rule(session=session, actor=super_admin, scope="course",
                          target_id=shop.courses["PY101"], shares=Shares(1000, 8000, 1000))
    with pytest.raises(DomainError) as err:
        ledger.set_share_rule(session=session, actor=super_admin, scope="default",
                              target_id=None, shares=Shares(5000, 5000, 1))
    assert err.value.code == "shares_not_100"
    billing_less = create_user(session, "dept@example.com")
    with pytest.raises(DomainError):
        ledger.set_share_rule(session=session, actor=billing_less, scope="default",
                              target_id=None, shares=Shares(5000, 5000, 0))
    order = buy(session, learner, shop, ("course", "PY101"), ("course", "SQL101"))
    entries = {e.course_id: e for e in session.exec(select(LedgerEntry).where(
        LedgerEntry.order_id == order.id))}
    py101, sql101 = entries[shop.courses["PY101"]], entries[shop.courses["SQL101"]]
    assert (py101.platform_bps, py101.creator_bps, py101.instructor_bps) == (1000, 8000, 1000)
    assert (sql101.platform_bps, sql101.creator_bps) == (2500, 2500)
    for entry in (py101, sql101):
        assert entry.platform_amount + entry.creator_amount + entry.instructor_amount \
            == entry.net == entry.gross - entry.processor_fee
    assert sum(e.gross + e.tax for e in entries.values()) == order.total
    # 2.9 % + 30 of the charge, spread over the two
    assert sum(e.processor_fee for e in entries.values()) == \
        (order.total * 290 + 5_000) // 10_000 + 30
    rows = ledger.list_share_rules(session=session, actor=super_admin)
    assert [r.scope_key.split(":")[0] for r in rows] == ["default", "course", "department"]


def test_a_program_line_is_split_over_its_courses_by_their_prices(  # type: ignore[no-untyped-def]
    session: Session, shop, learner: Actor
) -> None:
    order = buy(session, learner, shop, ("program", "PATH"))  # 30,000 for 10k + 15k + 8k
    entries = session.exec(select(LedgerEntry).where(LedgerEntry.order_id == order.id)).all()
    by_course = {e.course_id: e.gross for e in entries}
    assert by_course == {shop.courses["PY101"]: 9_091, shop.courses["PY201"]: 13_636,
                         shop.courses["SQL101"]: 7_273}
    assert sum(by_course.values()) == 30_000


def test_entries_are_never_changed(session: Session, shop, learner: Actor) -> None:  # type: ignore[no-untyped-def]
    buy(session, learner, shop, ("course", "PY101"))
    entry = session.exec(select(LedgerEntry)).first()
    assert entry is not None
    entry.gross += 1
    session.add(entry)
    with pytest.raises(LedgerIsAppendOnly):
        session.flush()
    session.rollback()
    entry = session.exec(select(LedgerEntry)).first()
    session.delete(entry)
    with pytest.raises(LedgerIsAppendOnly):
        session.flush()
    session.rollback()


def test_backfill_records_older_orders_once(session: Session, shop, learner: Actor) -> None:  # type: ignore[no-untyped-def]
    order = buy(session, learner, shop, ("course", "PY101"), ("course", "ML301"))
    # as if the order had completed before the ledger existed
    session.exec(delete(LedgerEntry))  # type: ignore[call-overload]
    session.commit()
    assert ledger.backfill(session=session) == 1
    assert ledger.backfill(session=session) == 0
    entries = session.exec(select(LedgerEntry).where(LedgerEntry.order_id == order.id)).all()
    assert sum(e.gross + e.tax for e in entries) == order.total


def test_the_payout_sync_sends_what_was_recorded_while_no_platform_was_set(  # type: ignore[no-untyped-def]
    session: Session, shop, learner: Actor, super_admin: Actor, request: pytest.FixtureRequest
) -> None:
    buy(session, learner, shop, ("course", "PY201"))
    assert payouts.sync_unsent(session=session) == 0  # nothing is configured
    request.getfixturevalue("payout")
    assert payouts.sync_unsent(session=session) == 1
    assert payouts.sync_unsent(session=session) == 0
    [message] = session.exec(select(OutboxMessage).where(
        OutboxMessage.topic == "webhook.payment.completed")).all()
    body = (message.payload or {})["body"]
    assert (body["source"], body["event"]) == ("commerce-platform", "payment.completed")
    entry = session.exec(select(LedgerEntry)).one()
    assert body["payload"]["grossAmount"] == entry.gross
    assert body["payload"]["netAmount"] == entry.net
    assert body["payload"]["orderItemId"] == f"{entry.order_line_id}:{entry.course_id}"
    from commerce_dash.domain.paging import PageRequest

    counts, page = payouts.payout_status(session=session, actor=super_admin,
                                         page=PageRequest(1, 25))
    assert (counts.configured, counts.pending, counts.not_sent) == (True, 1, 0)
    assert [r.status for r in page.items] == ["pending"]
