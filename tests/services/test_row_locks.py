"""A locked read sees the row as committed, not as the session remembers it.

Every app session keeps its objects after a commit (``expire_on_commit=False``). A guard
that reads a row, calls a processor (no transaction open), then locks the row to decide
must decide on what another writer committed meanwhile: the janitor settling a payment
that a webhook completed a moment earlier once completed the order a second time (the
registration's unique key refused it, and the janitor crashed)."""

from __future__ import annotations

from sqlmodel import Session, select

from commerce_dash.db import for_update, get_engine
from commerce_dash.domain.actor import Actor
from commerce_dash.models.commerce import Payment
from commerce_dash.services.commerce.payment_settling import lock_payment
from tests.builders import a_course, checked_out


def test_a_locked_payment_is_read_as_another_writer_committed_it(
    session: Session, learner: Actor, super_admin: Actor
) -> None:
    course = a_course(session, super_admin, "LOCK-1", price=5_000)
    result = checked_out(session, learner, ("course", course))
    mine = session.exec(select(Payment).where(Payment.order_id == result.order_id)).one()
    assert mine.status == "pending"
    session.commit()  # what the janitor does before it calls the processor

    with Session(get_engine()) as webhook:  # meanwhile the webhook moves it
        theirs = webhook.get(Payment, mine.id)
        assert theirs is not None
        theirs.status = "succeeded"
        webhook.add(theirs)
        webhook.commit()

    locked = lock_payment(session, mine.processor, result.intent_id)
    assert locked is mine and locked.status == "succeeded"
    session.rollback()
    again = session.exec(for_update(session, select(Payment).where(
        Payment.id == mine.id))).one()
    assert again.status == "succeeded"
    session.rollback()
