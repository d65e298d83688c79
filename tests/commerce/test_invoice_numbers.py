"""Invoice numbers under concurrency, on SQLite and PostgreSQL: orders completing at once get
numbers 1..n of the year with no gap and no repeat, a transaction that rolls back after
taking a number gives it back, and the same order completed twice at once gets one
invoice."""

from __future__ import annotations

from datetime import UTC, datetime
from threading import Barrier, Thread

import pytest
from sqlmodel import Session, select

from commerce_dash.db import get_engine
from commerce_dash.domain.actor import Actor
from commerce_dash.models.commerce import Order
from commerce_dash.models.invoices import Invoice, InvoiceCounter
from commerce_dash.services import commerce as commerce_area
from tests.builders import recorded_order

pytestmark = pytest.mark.usefixtures("both_databases")

AT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _race(work: list, target) -> list[str]:  # type: ignore[no-untyped-def, type-arg]
    barrier = Barrier(len(work))
    errors: list[str] = []

    def run(item) -> None:  # type: ignore[no-untyped-def]
        try:
            with Session(get_engine(), expire_on_commit=False) as s:
                barrier.wait(timeout=30)
                target(s, item)
        except Exception as exc:  # noqa: BLE001 - reported by the test
            errors.append(repr(exc))

    threads = [Thread(target=run, args=(item,)) for item in work]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return errors


def _issue(s: Session, order_id: int, *, keep: bool = True) -> None:
    order = s.get(Order, order_id)
    assert order is not None
    commerce_area.issue_invoice(s, order, at=AT)
    if keep:
        s.commit()
    else:
        s.rollback()


def test_concurrent_completions_number_without_gaps_or_repeats(
    session: Session, learner: Actor
) -> None:
    orders = [recorded_order(session, learner) for _ in range(12)]
    session.commit()
    ids = [o.id or 0 for o in orders]
    # every third transaction rolls back after taking its number
    work = [(order_id, n % 3 != 2) for n, order_id in enumerate(ids)]
    errors = _race(work, lambda s, item: _issue(s, item[0], keep=item[1]))
    assert errors == []
    session.expire_all()
    invoices = session.exec(select(Invoice)).all()
    kept = [order_id for order_id, keep in work if keep]
    assert sorted(i.order_id for i in invoices) == sorted(kept)
    assert sorted(i.sequence for i in invoices) == list(range(1, len(kept) + 1))
    assert len({i.number for i in invoices}) == len(kept)
    counter = session.get(InvoiceCounter, ("invoice", 2026))
    assert counter is not None and counter.last_number == len(kept)


def test_one_order_completed_twice_at_once_gets_one_invoice(
    session: Session, learner: Actor
) -> None:
    order = recorded_order(session, learner)
    other = recorded_order(session, learner)
    session.commit()
    errors = _race([order.id, order.id, order.id], lambda s, i: _issue(s, i))
    assert errors == []
    session.expire_all()
    invoices = session.exec(select(Invoice)).all()
    assert [(i.order_id, i.sequence) for i in invoices] == [(order.id, 1)]
    # the numbers the losers took were given back: the next invoice is number 2
    _issue(session, other.id or 0)
    assert session.exec(select(Invoice.sequence).where(Invoice.order_id == other.id)).one() == 2
