"""The cart, checkout and payment routes over HTTP: what an API client sees."""

from __future__ import annotations

from commerce_dash.domain.actor import Actor
from commerce_dash.settings import get_settings
from tests.api.conftest import bearer
from tests.conftest import PASSWORD


def _token(client, email: str) -> str:  # type: ignore[no-untyped-def]
    answer = client.post("/api/v2/auth/login", json={"email": email, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["token"])


def test_guest_cart_by_token_then_merge_after_sign_in(client, shop, learner: Actor) -> None:  # type: ignore[no-untyped-def]
    added = client.post("/api/v2/cart/items",
                        json={"item_type": "program", "item_id": shop.program_id})
    assert added.status_code == 201
    cart = added.json()
    token = cart["token"]
    assert cart["count"] == 1 and cart["total"] == 30_000 and cart["labels"]["total"] == "$300.00"
    again = client.post("/api/v2/cart/items", headers={"X-Cart-Token": token},
                        json={"item_type": "program", "item_id": shop.program_id})
    assert again.status_code == 409
    assert again.json() == {"code": "already_in_cart",
                            "message": "Python Path is already in your cart.",
                            "request_id": again.headers["x-request-id"]}
    assert client.get("/api/v2/cart", headers={"X-Cart-Token": token}).json()["count"] == 1
    learner_token = _token(client, learner.email)
    merged = client.post("/api/v2/cart/merge",
                         headers={**bearer(learner_token), "X-Cart-Token": token})
    assert merged.status_code == 200
    assert [line["title"] for line in merged.json()["lines"]] == ["Python Path"]
    assert client.get("/api/v2/cart", headers={"X-Cart-Token": token}).json()["count"] == 0


def test_checkout_needs_a_signed_in_learner_and_an_idempotency_key(  # type: ignore[no-untyped-def]
    client, shop, learner: Actor
) -> None:
    assert client.post("/api/v2/cart/checkout", json={}).status_code == 401
    auth = bearer(_token(client, learner.email))
    client.post("/api/v2/cart/items", headers=auth,
                json={"item_type": "course", "item_id": shop.courses["PY101"]})
    missing = client.post("/api/v2/cart/checkout", headers=auth, json={})
    assert missing.status_code == 422 and missing.json()["code"] == "idempotency_key_required"
    first = client.post("/api/v2/cart/checkout", headers={**auth, "Idempotency-Key": "api-key-01"},
                        json={"expected_total": 10_000})
    assert first.status_code == 201
    body = first.json()
    assert body["status"] == "pending" and body["payment_intent"]["client_secret"]
    again = client.post("/api/v2/cart/checkout", headers={**auth, "Idempotency-Key": "api-key-01"},
                        json={"expected_total": 10_000})
    assert again.status_code == 200
    assert (again.json()["number"], again.json()["replayed"]) == (body["number"], True)
    other = client.post("/api/v2/cart/checkout", headers={**auth, "Idempotency-Key": "api-key-01"},
                        json={"expected_total": 1})
    assert other.status_code == 409 and other.json()["code"] == "idempotency_conflict"
    paid = client.post("/api/v2/payments/sandbox/pay", headers=auth, json={
        "order_number": body["number"], "card_number": "4242424242424242", "exp_month": 12,
        "exp_year": 2034, "cvc": "123"})
    assert paid.status_code == 200
    assert paid.json()["order_status"] == "completed"
    mine = client.get(f"/api/v2/orders/{body['number']}", headers=auth)
    assert mine.status_code == 200


def test_a_changed_total_is_refused_at_checkout(client, shop, learner: Actor) -> None:  # type: ignore[no-untyped-def]
    auth = bearer(_token(client, learner.email))
    client.post("/api/v2/cart/items", headers=auth,
                json={"item_type": "course", "item_id": shop.courses["SQL101"]})
    answer = client.post("/api/v2/cart/checkout",
                         headers={**auth, "Idempotency-Key": "api-key-02"},
                         json={"expected_total": 7_000})
    assert answer.status_code == 409
    assert answer.json()["message"].startswith("Your total changed to $80.00.")


def test_forged_webhook_is_400_and_unknown_processor_404(client) -> None:  # type: ignore[no-untyped-def]
    forged = client.post("/api/v2/payments/webhook/sandbox", content=b'{"id":"evt_1"}',
                         headers={"Sandbox-Signature": "t=1,v1=00"})
    assert forged.status_code == 400 and forged.json()["code"] == "invalid_signature"
    unknown = client.post("/api/v2/payments/webhook/paypal", content=b"{}")
    assert unknown.status_code == 404


def test_checkout_is_rate_limited_per_learner(client, shop, learner: Actor,  # type: ignore[no-untyped-def]
                                              monkeypatch) -> None:
    monkeypatch.setenv("COMMERCE_CHECKOUT_RATE_LIMIT_PER_MINUTE", "2")
    get_settings.cache_clear()
    try:
        auth = bearer(_token(client, learner.email))
        codes = [client.post("/api/v2/cart/checkout",
                             headers={**auth, "Idempotency-Key": f"limit-key-{i:02d}"},
                             json={}).status_code for i in range(3)]
        assert codes[:2] == [409, 409]  # the cart is empty: refused, but counted
        assert codes[2] == 429
        limited = client.post("/api/v2/cart/checkout",
                              headers={**auth, "Idempotency-Key": "limit-key-09"}, json={})
        assert limited.json()["code"] == "rate_limited"
        assert int(limited.headers["Retry-After"]) > 0
    finally:
        get_settings.cache_clear()



def test_a_course_added_to_a_cart_is_counted_in_the_funnel_a_program_is_not(  # type: ignore[no-untyped-def]
        client, shop) -> None:
    from commerce_dash.services import revenue as revenue_area

    course = shop.courses["PY101"]

    def carts() -> dict[int, int]:  # cart adds not flushed yet, by course
        found: dict[int, int] = {}
        for (_day, stage, _dept, item), n in revenue_area.pending_counts().items():
            if stage == "cart":
                found[item] = found.get(item, 0) + n
        return found

    before = carts()
    added = client.post("/api/v2/cart/items", json={"item_type": "course", "item_id": course})
    assert added.status_code == 201, added.text
    # refused (already in the cart) or a program: nothing more counted
    again = client.post("/api/v2/cart/items", headers={"X-Cart-Token": added.json()["token"]},
                        json={"item_type": "course", "item_id": course})
    assert again.status_code == 409
    program = client.post("/api/v2/cart/items",
                          json={"item_type": "program", "item_id": shop.program_id})
    assert program.status_code == 201
    after = carts()
    assert after.get(course, 0) == before.get(course, 0) + 1
    assert sum(after.values()) == sum(before.values()) + 1
