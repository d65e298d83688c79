"""The same one-call refund sent twice at the same moment with one Idempotency-Key, on SQLite
and on PostgreSQL: one refund request, paid once; the other call answers it or says it is
still being made."""

from __future__ import annotations

from collections.abc import Iterator
from threading import Barrier, Thread

import pytest
from sqlmodel import Session, select

from commerce_dash.db import get_engine
from commerce_dash.domain.actor import Actor
from commerce_dash.domain.errors import DomainError
from commerce_dash.models.commerce import Payment, RefundRequest
from commerce_dash.services import commerce as commerce_area
from commerce_dash.settings import get_settings
from tests.builders import buy

pytestmark = pytest.mark.usefixtures("both_databases")


@pytest.fixture
def four_eyes_off(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("COMMERCE_REFUND_FOUR_EYES", "false")
    get_settings.cache_clear()
    yield
    monkeypatch.delenv("COMMERCE_REFUND_FOUR_EYES")
    get_settings.cache_clear()


def test_one_key_twice_at_once_refunds_once(  # type: ignore[no-untyped-def]
        session: Session, shop, learner: Actor, billing: Actor, four_eyes_off: None) -> None:
    order = buy(session, learner, shop, ("course", "PY101"))
    payment = session.exec(select(Payment).where(Payment.order_id == order.id)).one()
    barrier = Barrier(2)
    answers: list[int] = []
    busy: list[str] = []
    errors: list[BaseException] = []

    def call() -> None:
        try:
            with Session(get_engine(), expire_on_commit=False) as own:
                barrier.wait(timeout=30)
                done = commerce_area.refund_payment(
                    session=own, actor=billing, payment_id=payment.id or 0,
                    reason="Charged twice by mistake.", idempotency_key="race-1")
                answers.append(done.request_id)
        except DomainError as exc:
            busy.append(exc.code)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [Thread(target=call) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert set(busy) <= {"refund_in_progress"} and len(answers) + len(busy) == 2
    assert len(set(answers)) == 1
    session.expire_all()
    [request] = session.exec(select(RefundRequest)).all()
    assert (request.status, request.approved_amount) == ("refunded", order.total)
    again = commerce_area.refund_payment(session=session, actor=billing,
                                         payment_id=payment.id or 0,
                                         reason="Charged twice by mistake.",
                                         idempotency_key="race-1")
    assert (again.request_id, again.replayed, again.status) == (request.id, True, "refunded")
