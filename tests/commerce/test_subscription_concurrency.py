"""Issue 16: the guards of subscriptions under concurrency, on SQLite and PostgreSQL: one
learner subscribing to a department from two tabs at once gets one subscription and one
charge; the same renewal event delivered twice at once records one order."""

from __future__ import annotations

import json
from threading import Barrier, Thread

import pytest
from sqlmodel import Session, func, select

from commerce_dash.db import get_engine
from commerce_dash.domain.actor import Actor
from commerce_dash.domain.errors import DomainError
from commerce_dash.models.commerce import Order, PaymentEvent, SandboxIntent
from commerce_dash.models.subscriptions import SandboxSubscription, Subscription
from commerce_dash.payments.factory import sandbox_secret
from commerce_dash.payments.sandbox import SandboxProcessor
from commerce_dash.payments.sandbox_cards import SUCCESS_CARD
from commerce_dash.services import catalog, commerce
from commerce_dash.settings import get_settings

pytestmark = pytest.mark.usefixtures("both_databases")


@pytest.fixture
def plan(session: Session, super_admin: Actor, shop) -> int:  # type: ignore[no-untyped-def]
    price = catalog.create_price(session=session, actor=super_admin, item_type="subscription",
                                 item_id=shop.department_id, price_type="subscription",
                                 amount=2900, currency="USD", interval="monthly")
    return price.id or 0


def test_two_tabs_subscribing_at_once_make_one_subscription_and_one_charge(
        session: Session, learner: Actor, plan: int) -> None:
    barrier = Barrier(2)
    outcomes: list[str] = []

    def tab(key: str) -> None:
        with Session(get_engine()) as s:
            barrier.wait(timeout=30)
            try:
                sub = commerce.subscribe(session=s, actor=learner, price_id=plan,
                                         payment_method=SUCCESS_CARD, idempotency_key=key)
                outcomes.append(sub.status)
            except DomainError as exc:
                outcomes.append(exc.code)

    threads = [Thread(target=tab, args=(f"tab-{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert sorted(outcomes) == ["active", "already_subscribed"]
    session.expire_all()
    live = session.exec(select(Subscription).where(Subscription.status != "cancelled")).all()
    assert len(live) == 1
    assert session.exec(select(func.count()).select_from(SandboxSubscription)).one() == 1
    charged = session.exec(select(SandboxIntent).where(SandboxIntent.status == "succeeded")
                           ).all()
    assert [i.amount for i in charged] == [2900]


def test_the_same_paid_invoice_event_twice_at_once_records_one_order(
        session: Session, learner: Actor, plan: int) -> None:
    sub = commerce.subscribe(session=session, actor=learner, price_id=plan,
                             payment_method=SUCCESS_CARD)
    stored = session.exec(select(PaymentEvent).where(
        PaymentEvent.event_type == "invoice.paid")).one()
    payload = dict(stored.payload or {})
    sandbox = SandboxProcessor(webhook_secret=sandbox_secret(get_settings()), challenge_url="")
    # the same invoice under two new event ids, as a processor retrying a delivery would
    bodies = []
    for i in range(2):
        payload["id"] = f"evt_twin_{i}"
        bodies.append(json.dumps(payload).encode())
    barrier = Barrier(2)

    def deliver(body: bytes) -> None:
        with Session(get_engine()) as s:
            barrier.wait(timeout=30)
            commerce.receive_webhook(session=s, processor="sandbox", body=body,
                                     headers=sandbox.sign_body(body))

    threads = [Thread(target=deliver, args=(b,)) for b in bodies]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    session.expire_all()
    orders = session.exec(select(Order).where(Order.user_id == learner.user_id)).all()
    assert [o.total for o in orders] == [2900]
    assert session.get(Subscription, sub.id).status == "active"  # type: ignore[union-attr]
