"""The cancellation routes (issue 19): a learner cancels their pending registration, a billing
admin cancels a completed order; again is harmless, someone else's is not found."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from commerce_dash.domain.actor import Actor
from commerce_dash.models.commerce import Order, RefundRequest
from tests.api.conftest import signed_in
from tests.builders import number_of, pending_registration
from tests.conftest import create_user


def test_a_learner_cancels_a_pending_registration_through_the_api(
    client: TestClient, session: Session, shop, learner: Actor
) -> None:  # type: ignore[no-untyped-def]
    registration = pending_registration(session, learner, shop.courses["PY101"])
    create_user(session, "kim@example.com")
    path = f"/api/v2/registrations/{registration.id}/cancel"

    other = client.post(path, headers=signed_in(client, "kim@example.com"))
    assert other.status_code == 404 and other.json()["code"] == "registration_not_found"
    assert client.post(path).status_code == 401

    lee = signed_in(client, "lee@example.com")
    first, again = client.post(path, headers=lee), client.post(path, headers=lee)
    assert first.status_code == 200 and again.status_code == 200
    assert (first.json()["status"], first.json()["changed"]) == ("cancelled", True)
    assert again.json()["changed"] is False
    assert again.json()["refund_request_id"] == first.json()["refund_request_id"] is not None


def test_a_billing_admin_cancels_an_order_through_the_api(
    client: TestClient, session: Session, shop, learner: Actor, billing: Actor
) -> None:  # type: ignore[no-untyped-def]
    registration = pending_registration(session, learner, shop.courses["PY101"])
    order_id = registration.order_id
    order = session.get(Order, order_id)
    assert order is not None
    path = f"/api/v2/admin/orders/{number_of(order)}/cancel"
    admin = signed_in(client, "bill@example.com")

    short = client.post(path, headers=admin, json={"reason": "no"})
    assert short.status_code == 422 and short.json()["code"] == "reason_required"
    done = client.post(path, headers=admin, json={"reason": "Cancelled at the learner's request."})
    again = client.post(path, headers=admin, json={"reason": "Cancelled at the learner's request."})
    assert done.status_code == 200, done.text
    body = done.json()
    assert (body["status"], body["refund_amount"], body["registrations_ended"]) == (
        "cancelled",
        order.total,
        1,
    )
    assert again.status_code == 200 and again.json()["changed"] is False
    assert len(session.exec(select(RefundRequest)).all()) == 1
    learner_try = client.post(
        path,
        headers=signed_in(client, "lee@example.com"),
        json={"reason": "Cancelled at the learner's request."},
    )
    assert learner_try.status_code == 403
