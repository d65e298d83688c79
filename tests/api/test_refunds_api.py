"""Refund API: a learner asks, a billing admin approves a lower amount; errors are 4xx JSON."""

from __future__ import annotations

from sqlmodel import Session

from commerce_dash.domain.access import RoleName
from commerce_dash.domain.actor import Actor, Grant
from tests.api.conftest import signed_in
from tests.builders import buy, number_of
from tests.conftest import create_user


def test_learner_requests_and_billing_approves_less(client, session: Session, shop,  # type: ignore[no-untyped-def]
                                                    learner: Actor) -> None:
    order = buy(session, learner, shop, ("course", "PY101"), ("course", "SQL101"))
    number = number_of(order)
    create_user(session, "bea@example.com", grants=(Grant(RoleName.BILLING_ADMIN),))
    mine, billing = signed_in(client, "lee@example.com"), signed_in(client, "bea@example.com")
    options = client.get(f"/api/v2/orders/{number}/refunds", headers=mine).json()
    assert options["refundable"] == order.total and len(options["lines"]) == 2
    short = client.post(f"/api/v2/orders/{number}/refunds", headers=mine,
                        json={"reason": "meh"})
    assert short.status_code == 422 and short.json()["field"] == "reason"
    too_much = client.post(f"/api/v2/orders/{number}/refunds", headers=mine,
                           json={"reason": "Please refund it all.", "amount": order.total + 1})
    assert too_much.status_code == 409 and too_much.json()["code"] == "over_refund"
    line = options["lines"][1]
    made = client.post(f"/api/v2/orders/{number}/refunds", headers=mine, json={
        "reason": "The second course overlaps.",
        "lines": [{"order_line_id": line["id"], "amount": line["left"]}]})
    assert made.status_code == 201 and made.json()["status"] == "requested"
    assert client.post(f"/api/v2/admin/refunds/{made.json()['id']}/approve", headers=mine,
                       json={}).status_code == 403
    queue = client.get("/api/v2/admin/refunds", headers=billing).json()
    assert [r["order_number"] for r in queue["items"]] == [number]
    assert queue["counts"] == {"requested": 1}
    paid = client.post(f"/api/v2/admin/refunds/{made.json()['id']}/approve", headers=billing,
                       json={"amount": 2_000, "note": "Partial goodwill."})
    body = paid.json()
    assert paid.status_code == 200, body
    assert (body["status"], body["approved_amount"], body["order_status"]) == (
        "refunded", 2_000, "partially_refunded")
    again = client.post(f"/api/v2/admin/refunds/{made.json()['id']}/approve", headers=billing,
                        json={})
    # approving it again is harmless: the refund as it is, nothing paid twice
    assert again.status_code == 200
    assert (again.json()["status"], again.json()["approved_amount"]) == ("refunded", 2_000)
    listed = client.get(f"/api/v2/orders/{number}/refunds", headers=mine).json()
    assert listed["refundable"] == order.total - 2_000
    assert [r["status"] for r in listed["items"]] == ["refunded"]
