"""Issue 19 (3): the catalog API says whether the signed-in learner owns each item and
whether it is in their cart (T-005-03, CART-008); a visitor gets false for both. The flags
of a page come from one lookup, not one per card."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlmodel import Session

from commerce_dash.domain.actor import Actor
from commerce_dash.services.commerce import add_item
from tests.api.conftest import signed_in
from tests.builders import Shop, a_learner, buy, owner_of

COURSES = "/api/v2/catalog/courses"
PROGRAMS = "/api/v2/catalog/programs"


def _flags(
    client: TestClient, path: str, headers: dict[str, str] | None = None
) -> dict[str, tuple[bool, bool]]:
    response = client.get(path, headers=headers or {}, params={"page_size": 100})
    assert response.status_code == 200, response.text
    return {item["code"]: (item["owned"], item["in_cart"]) for item in response.json()["items"]}


def _detail(
    client: TestClient, path: str, headers: dict[str, str] | None = None
) -> tuple[bool, bool]:
    response = client.get(path, headers=headers or {})
    assert response.status_code == 200, response.text
    body = response.json()
    return body["owned"], body["in_cart"]


def test_a_visitor_owns_nothing_and_has_nothing_in_a_cart(client: TestClient, shop: Shop) -> None:
    assert set(_flags(client, COURSES).values()) == {(False, False)}
    assert set(_flags(client, PROGRAMS).values()) == {(False, False)}
    assert _detail(client, f"{COURSES}/SHOP-PY101") == (False, False)
    assert _detail(client, f"{PROGRAMS}/SHOP-PATH") == (False, False)


def test_an_owner_sees_owned_and_what_is_in_the_cart_and_no_one_else_does(
    client: TestClient, session: Session, shop: Shop, learner: Actor
) -> None:
    buy(session, learner, shop, ("course", "PY101"))
    add_item(
        session=session, owner=owner_of(learner), item_type="course", item_id=shop.courses["PY201"]
    )
    lee = signed_in(client, "lee@example.com")
    courses = _flags(client, COURSES, lee)
    assert courses["SHOP-PY101"] == (True, False)
    assert courses["SHOP-PY201"] == (False, True)
    assert courses["SHOP-SQL101"] == (False, False)
    assert _detail(client, f"{COURSES}/SHOP-PY101", lee) == (True, False)
    assert _detail(client, f"{COURSES}/SHOP-PY201", lee) == (False, True)
    # one course of three owned: the program is still for sale (at a lower price)
    assert _flags(client, PROGRAMS, lee)["SHOP-PATH"] == (False, False)
    # search results carry the flags too
    found = client.get(COURSES, headers=lee, params={"q": "PY101"}).json()["items"]
    assert [(i["code"], i["owned"]) for i in found] == [("SHOP-PY101", True)]
    # the department page's courses too
    dept = client.get("/api/v2/catalog/departments/SHOP", headers=lee).json()
    assert {c["code"]: c["owned"] for c in dept["courses"]}["SHOP-PY101"] is True

    a_learner(session, "kim@example.com")
    kim = signed_in(client, "kim@example.com")
    assert set(_flags(client, COURSES, kim).values()) == {(False, False)}
    assert set(_flags(client, COURSES).values()) == {(False, False)}


def test_a_bought_program_is_owned_with_each_of_its_courses(
    client: TestClient, session: Session, shop: Shop, learner: Actor
) -> None:
    buy(session, learner, shop, ("program", ""))
    lee = signed_in(client, "lee@example.com")
    assert _flags(client, PROGRAMS, lee)["SHOP-PATH"] == (True, False)
    assert _detail(client, f"{PROGRAMS}/SHOP-PATH", lee) == (True, False)
    courses = _flags(client, COURSES, lee)
    assert {c for c, (owned, _) in courses.items() if owned} == {
        "SHOP-PY101",
        "SHOP-PY201",
        "SHOP-SQL101",
    }
    assert courses["SHOP-ML301"] == (False, False)


def test_a_program_in_the_cart_is_flagged_in_cart(
    client: TestClient, session: Session, shop: Shop, learner: Actor
) -> None:
    add_item(session=session, owner=owner_of(learner), item_type="program", item_id=shop.program_id)
    lee = signed_in(client, "lee@example.com")
    assert _detail(client, f"{PROGRAMS}/SHOP-PATH", lee) == (False, True)
    assert _flags(client, PROGRAMS, lee)["SHOP-PATH"] == (False, True)


@contextmanager
def _statements(session: Session) -> Iterator[list[str]]:
    seen: list[str] = []
    engine = session.get_bind()

    def count(*args: Any) -> None:
        seen.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_the_flags_of_a_page_cost_the_same_for_one_card_or_many(
    client: TestClient, session: Session, shop: Shop, learner: Actor
) -> None:
    buy(session, learner, shop, ("course", "PY101"))
    lee = signed_in(client, "lee@example.com")
    counts = []
    for size in (1, 4):
        with _statements(session) as seen:
            response = client.get(COURSES, headers=lee, params={"page_size": size})
        assert len(response.json()["items"]) == size
        counts.append(len(seen))
    assert counts[0] == counts[1], counts
