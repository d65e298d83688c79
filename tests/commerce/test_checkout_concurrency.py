"""Races that must not break the books (meant for Postgres, where CI runs them; SQLite
serialises writers, so there they pass trivially but still check the arithmetic)."""

from __future__ import annotations

from threading import Barrier, Thread

from sqlmodel import Session, select

from commerce_dash.db import get_engine
from commerce_dash.domain.actor import Actor
from commerce_dash.domain.errors import DomainError
from commerce_dash.models.commerce import Order, Payment, SandboxIntent
from commerce_dash.models.pricing import DiscountCode, DiscountRedemption
from commerce_dash.services.commerce import cart as cart_service
from commerce_dash.services.commerce.checkout import CheckoutRequest, checkout
from tests.builders import build_shop, make_code, owner_of
from tests.conftest import create_user


def test_fifty_learners_racing_for_ten_uses_of_a_code(session: Session,
                                                      super_admin: Actor) -> None:
    shop = build_shop(session, super_admin)
    make_code(session, super_admin, "FIRST10", percent=50, max_uses=10)
    learners = [create_user(session, f"racer{i}@example.com") for i in range(50)]
    for actor in learners:
        cart_service.add_item(session=session, owner=owner_of(actor), item_type="course",
                              item_id=shop.courses["PY101"])
        cart_service.apply_code(session=session, owner=owner_of(actor), code="FIRST10")
    barrier = Barrier(len(learners))
    outcomes: dict[int, str] = {}

    def race(actor: Actor) -> None:
        with Session(get_engine()) as s:
            barrier.wait(timeout=30)
            try:
                result = checkout(session=s, actor=actor,
                                  request=CheckoutRequest(f"race-{actor.user_id}-key"))
                outcomes[actor.user_id] = f"total {result.total}"
            except DomainError as exc:
                outcomes[actor.user_id] = exc.code

    threads = [Thread(target=race, args=(a,)) for a in learners]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert len(outcomes) == 50
    discounted = [o for o in outcomes.values() if o == "total 5000"]
    refused = [o for o in outcomes.values() if o in ("code_used_up", "code_no_longer_valid")]
    assert len(discounted) == 10
    assert len(refused) == 40
    session.expire_all()
    orders = session.exec(select(Order)).all()
    assert sum(1 for o in orders if o.discount_code == "FIRST10") == 10
    assert len(session.exec(select(DiscountRedemption)).all()) == 10
    code = session.exec(select(DiscountCode).where(DiscountCode.code == "FIRST10")).one()
    assert code.uses_count == 10


def test_same_checkout_sent_twice_at_once_gives_one_order_and_one_intent(
    session: Session, super_admin: Actor, learner: Actor
) -> None:
    shop = build_shop(session, super_admin)
    cart_service.add_item(session=session, owner=owner_of(learner), item_type="program",
                          item_id=shop.program_id)
    barrier = Barrier(2)
    results: list[tuple[int, str]] = []
    errors: list[str] = []

    def send() -> None:
        with Session(get_engine()) as s:
            barrier.wait(timeout=30)
            try:
                r = checkout(session=s, actor=learner, request=CheckoutRequest("twin-key-0001"))
                results.append((r.order_id, r.intent_id))
            except DomainError as exc:
                errors.append(exc.code)

    threads = [Thread(target=send) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert len(results) == 2 and results[0] == results[1]
    session.expire_all()
    assert len(session.exec(select(Order)).all()) == 1
    assert len(session.exec(select(Payment)).all()) == 1
    assert len(session.exec(select(SandboxIntent)).all()) == 1
