"""Two job runs claim the same idle carts at the same moment, on SQLite and on PostgreSQL:
each cart is reminded once (one email, one reminder row), whoever wins."""

from __future__ import annotations

from datetime import timedelta
from threading import Barrier, Thread

import pytest
from sqlmodel import Session, col, select

from commerce_dash.db import get_engine
from commerce_dash.domain.actor import Actor
from commerce_dash.domain.clock import utcnow
from commerce_dash.models.cart_reminders import CartReminder
from commerce_dash.models.commerce import Cart
from commerce_dash.models.delivery import OutboxMessage
from commerce_dash.services import commerce as commerce_area
from commerce_dash.services.commerce import cart as cart_service
from commerce_dash.settings import get_settings
from tests.builders import owner_of
from tests.conftest import create_user

pytestmark = pytest.mark.usefixtures("both_databases")
CARTS = 6


def test_two_runs_at_once_remind_each_cart_once(session: Session, shop) -> None:  # type: ignore[no-untyped-def]
    # given six learners who left a course in their carts a day ago
    learners: list[Actor] = [create_user(session, f"l{n}@example.com") for n in range(CARTS)]
    for learner in learners:
        cart_service.add_item(
            session=session,
            owner=owner_of(learner),
            item_type="course",
            item_id=shop.courses["PY101"],
        )
    idle = utcnow() - timedelta(hours=get_settings().cart_reminder_after_hours + 1)
    for cart in session.exec(select(Cart)).all():
        cart.updated_at = idle
        session.add(cart)
    session.commit()

    # when two runs of the job claim them at the same moment
    barrier = Barrier(2)
    sent: list[int] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            with Session(get_engine()) as own:
                barrier.wait(timeout=30)
                n = commerce_area.send_cart_reminders(own)
                own.commit()
                sent.append(n)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    # then every cart got one reminder, and the two runs together sent six
    assert errors == []
    assert sum(sent) == CARTS
    session.expire_all()
    emails = session.exec(
        select(OutboxMessage.dedupe_key).where(
            col(OutboxMessage.dedupe_key).startswith("cart-reminder:")
        )
    ).all()
    assert len(emails) == len(set(emails)) == CARTS
    assert len(session.exec(select(CartReminder)).all()) == CARTS
