"""Issue 20: anonymous catalog answers carry an ETag and Cache-Control so a CDN or the browser
serves repeats (304 on If-None-Match); a changed price changes the tag at once; a signed-in
learner's answers (owned/in_cart are theirs) are private and never served to anyone else."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session

from commerce_dash.domain.actor import Actor
from commerce_dash.services.catalog import pricing
from commerce_dash.services.commerce import add_item
from tests.api.conftest import signed_in
from tests.builders import Shop, a_learner, buy, owner_of

COURSES = "/api/v2/catalog/courses"
PATHS = [COURSES, f"{COURSES}?q=python&sort=price_asc", f"{COURSES}/SHOP-PY101",
         "/api/v2/catalog/programs", "/api/v2/catalog/programs/SHOP-PATH"]


def _max_age(response) -> int:
    parts = [p.strip() for p in response.headers["cache-control"].split(",")]
    assert "public" in parts
    return int(next(p for p in parts if p.startswith("max-age=")).split("=")[1])


def test_anonymous_answers_are_tagged_cacheable_and_revalidate_to_304(
    client: TestClient, shop: Shop
) -> None:
    for path in PATHS:
        first = client.get(path)
        assert first.status_code == 200, first.text
        etag = first.headers["etag"]
        assert etag.startswith('W/"')
        assert 0 < _max_age(first) <= 60
        again = client.get(path)
        assert again.headers["etag"] == etag and again.json() == first.json()
        repeat = client.get(path, headers={"If-None-Match": etag})
        assert repeat.status_code == 304, path
        assert repeat.content == b"" and repeat.headers["etag"] == etag
        other = client.get(path, headers={"If-None-Match": 'W/"something-else"'})
        assert other.status_code == 200 and other.json() == first.json()
    assert (client.get(COURSES).headers["etag"]
            != client.get(f"{COURSES}?currency=EUR").headers["etag"])


def test_a_changed_price_changes_the_tag_and_the_answer_at_once(
    client: TestClient, session: Session, shop: Shop, super_admin: Actor
) -> None:
    path = f"{COURSES}/SHOP-PY101"
    before = client.get(path)
    list_before = client.get(COURSES)
    old_amount = before.json()["price"]["amount"]
    pricing.create_price(session=session, actor=super_admin, item_type="course",
                         item_id=shop.courses["PY101"], price_type="one_time",
                         amount=old_amount + 1000)
    after = client.get(path, headers={"If-None-Match": before.headers["etag"]})
    assert after.status_code == 200
    assert after.headers["etag"] != before.headers["etag"]
    assert after.json()["price"]["amount"] == old_amount + 1000
    listed = client.get(COURSES, headers={"If-None-Match": list_before.headers["etag"]})
    assert listed.status_code == 200
    assert {i["code"]: i["price"]["amount"] for i in listed.json()["items"]}[
        "SHOP-PY101"] == old_amount + 1000


def test_signed_in_answers_are_private_and_never_served_to_a_visitor(
    client: TestClient, session: Session, shop: Shop, learner: Actor
) -> None:
    buy(session, learner, shop, ("course", "PY101"))
    add_item(session=session, owner=owner_of(learner), item_type="course",
             item_id=shop.courses["PY201"])
    lee = signed_in(client, "lee@example.com")
    for path in PATHS:
        mine = client.get(path, headers=lee)
        assert mine.status_code == 200, mine.text
        assert "etag" not in mine.headers
        assert {"private", "no-store"} <= {
            p.strip() for p in mine.headers["cache-control"].split(",")}
        assert "authorization" in mine.headers["vary"].lower()
    owned = {i["code"]: i["owned"] for i in client.get(COURSES, headers=lee).json()["items"]}
    assert owned["SHOP-PY101"] is True
    # a visitor asking right after, for the same address, gets a visitor's answer
    visitor = client.get(COURSES).json()
    assert {i["code"]: (i["owned"], i["in_cart"]) for i in visitor["items"]}["SHOP-PY101"] == (
        False, False)
    assert client.get(f"{COURSES}/SHOP-PY101").json()["owned"] is False
    # and another learner gets their own
    a_learner(session, "ann@example.com")
    ann = signed_in(client, "ann@example.com")
    theirs = client.get(COURSES, headers=ann).json()
    assert {i["code"]: i["owned"] for i in theirs["items"]}["SHOP-PY101"] is False
