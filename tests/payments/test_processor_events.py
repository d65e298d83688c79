"""What happens at the processor, outside the app, reaches the books: a refund made in the
processor's dashboard, and chargebacks opened, won and lost. Sandbox events through the same
webhook intake as Stripe's, on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest
from sqlmodel import Session, col, func, select

from commerce_dash.domain.actor import Actor
from commerce_dash.domain.errors import DomainError
from commerce_dash.models.audit import AuditLog
from commerce_dash.models.commerce import Order, Payment, PaymentDispute, RefundRequest
from commerce_dash.models.delivery import OutboxMessage
from commerce_dash.models.enrollment import Enrollment, Registration
from commerce_dash.models.revenue import LedgerEntry
from commerce_dash.payments.factory import get_processor
from commerce_dash.services.commerce import payments, refunds
from tests.builders import buy, number_of

pytestmark = pytest.mark.usefixtures("both_databases")


def _payment(session: Session, order: Order) -> Payment:
    return session.exec(select(Payment).where(Payment.order_id == order.id)).one()


def _ledger(session: Session, order: Order) -> dict[str, tuple[int, int]]:
    """entry type -> (gross + tax, net), summed."""
    rows = session.exec(select(LedgerEntry.entry_type, func.sum(LedgerEntry.gross + LedgerEntry.tax),
                               func.sum(LedgerEntry.net))
                        .where(LedgerEntry.order_id == order.id)
                        .group_by(LedgerEntry.entry_type)).all()
    return {kind: (int(paid), int(net)) for kind, paid, net in rows}


def _payout_statuses(session: Session) -> list[str]:
    return sorted(m.status for m in session.exec(select(OutboxMessage).where(
        col(OutboxMessage.dedupe_key).startswith("payout:"))).all())


def _emails(session: Session, template: str) -> list[OutboxMessage]:
    return [m for m in session.exec(select(OutboxMessage).where(OutboxMessage.topic == "email"))
            if (m.payload or {}).get("template") == template]


def test_a_refund_made_in_the_processors_dashboard_runs_the_whole_cascade(
        session: Session, shop, learner: Actor) -> None:  # type: ignore[no-untyped-def]
    # given a paid order of two courses
    order = buy(session, learner, shop, ("course", "PY101"), ("course", "SQL101"))
    # when an operator refunds part of it in the processor's dashboard, then the rest
    first = payments.sandbox_processor_event(session=session, number=number_of(order),
                                             event="refund", amount=6_000)
    # then the app records it from the processor's event: order, payment, ledger, email
    assert first.status == "processed"
    session.expire_all()
    assert session.get(Order, order.id).status == "partially_refunded"  # type: ignore[union-attr]
    request = session.exec(select(RefundRequest)).one()
    assert (request.source, request.status, request.approved_amount) == ("processor",
                                                                          "refunded", 6_000)
    assert _ledger(session, order)["reversal"][0] == -6_000
    payments.sandbox_processor_event(session=session, number=number_of(order), event="refund")
    session.expire_all()
    paid = session.get(Order, order.id)
    assert paid is not None and (paid.status, paid.refunded_amount) == ("refunded", 18_000)
    assert _payment(session, order).status == "refunded"
    # the second event lists both refunds: only the new one is recorded
    assert session.exec(select(func.count()).select_from(RefundRequest)).one() == 2
    assert _ledger(session, order)["reversal"][0] == -18_000
    assert {r.status for r in session.exec(select(Registration))} == {"cancelled"}
    assert {e.status for e in session.exec(select(Enrollment))} == {"ended"}
    assert len(_emails(session, "refund-approved")) == 2
    assert session.exec(select(func.count()).select_from(AuditLog).where(
        AuditLog.action == "refund.recorded_from_processor")).one() == 2


def test_a_repeated_refund_event_and_the_apps_own_refunds_are_not_counted_twice(
        session: Session, shop, learner: Actor, billing: Actor) -> None:  # type: ignore[no-untyped-def]
    order = buy(session, learner, shop, ("course", "ML301"))
    # given a refund the app made through the queue
    request = refunds.request_refund(session=session, actor=learner, number=number_of(order),
                                     reason="Changed my mind, sorry.", amount=5_000)
    refunds.approve(session=session, actor=billing, request_id=request.id or 0)
    # when the processor reports its refunds (the app's, then one of its own), twice over
    signed = get_processor("sandbox").refund_outside(  # type: ignore[attr-defined]
        intent_id=_payment(session, order).intent_id or "", amount=1_000)
    for _ in range(2):
        payments.receive_webhook(session=session, processor="sandbox", body=signed.body,
                                 headers=signed.headers)
    # then only the dashboard's refund is new: 5,000 + 1,000 back, not more
    session.expire_all()
    assert _payment(session, order).refunded_amount == 6_000
    assert sorted(r.source for r in session.exec(select(RefundRequest))) == ["learner",
                                                                           "processor"]


def test_a_chargeback_holds_the_order_and_a_won_one_gives_it_back(  # type: ignore[no-untyped-def]
        session: Session, shop, learner: Actor, billing: Actor, payout) -> None:
    order = buy(session, learner, shop, ("course", "PY201"))
    assert _payout_statuses(session) == ["pending"]
    asked = refunds.request_refund(session=session, actor=learner, number=number_of(order),
                                   reason="Please refund, it was a mistake.")
    # when the learner's bank opens a chargeback
    outcome = payments.sandbox_processor_event(session=session, number=number_of(order),
                                               event="dispute")
    # then the order is disputed, billing admins are alerted, its payout waits
    assert outcome.status == "processed"
    session.expire_all()
    assert session.get(Order, order.id).status == "disputed"  # type: ignore[union-attr]
    alerts = _emails(session, "dispute-opened")
    assert sorted(m.payload["to"] for m in alerts) == ["bill@example.com",  # type: ignore[index]
                                                       "root@example.com"]
    assert "$150.00" in alerts[0].payload["text"]  # type: ignore[index]
    assert _payout_statuses(session) == ["held"]
    # and nobody can refund it meanwhile (the money is with the bank)
    with pytest.raises(DomainError) as err:
        refunds.approve(session=session, actor=billing, request_id=asked.id or 0)
    assert err.value.code == "order_disputed"
    # when the dispute is won
    payments.sandbox_processor_event(session=session, number=number_of(order),
                                     event="dispute-won")
    # then the order is completed again, the learner keeps the course, the payout goes out
    session.expire_all()
    assert session.get(Order, order.id).status == "completed"  # type: ignore[union-attr]
    assert {r.status for r in session.exec(select(Registration))} == {"enrolled"}
    assert _payout_statuses(session) == ["pending"]
    assert session.exec(select(PaymentDispute)).one().status == "won"


def test_a_lost_chargeback_refunds_the_order_and_books_the_fee(  # type: ignore[no-untyped-def]
        session: Session, shop, learner: Actor, payout) -> None:
    order = buy(session, learner, shop, ("course", "PY101"), ("course", "ML301"))
    payments.sandbox_processor_event(session=session, number=number_of(order), event="dispute")
    # when the dispute is lost (twice reported: harmless)
    for _ in range(2):
        payments.sandbox_processor_event(session=session, number=number_of(order),
                                         event="dispute-lost")
    # then it cascades like a full refund, and the 15.00 fee is the platform's cost
    session.expire_all()
    lost = session.get(Order, order.id)
    assert lost is not None and (lost.status, lost.refunded_amount) == ("refunded", 30_000)
    request = session.exec(select(RefundRequest)).one()
    assert (request.source, request.status) == ("dispute", "refunded")
    assert {r.status for r in session.exec(select(Registration))} == {"cancelled"}
    ledger = _ledger(session, order)
    assert ledger["sale"][0] + ledger["reversal"][0] == 0
    assert ledger["dispute_fee"] == (0, -1_500)
    assert sum(net for _, net in ledger.values()) == -1_500
    # and the held sales go out with their reversals; the fee is not a payout
    assert _payout_statuses(session) == ["pending"] * 4
    assert session.exec(select(PaymentDispute)).one().status == "lost"
    actions = [a.action for a in session.exec(select(AuditLog).where(
        AuditLog.entity_type == "order", col(AuditLog.action).startswith("order.dispute")))]
    assert actions == ["order.disputed", "order.dispute_lost"]
