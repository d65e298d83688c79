"""Invoice and credit-note downloads over the API (issue 19): the learner gets their own,
another learner's order is 404 like an unknown number, admins of the orders section get
any; the seller's details are read and set by billing admins, validated (422)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from commerce_dash.domain.access import RoleName
from commerce_dash.domain.actor import Actor, Grant
from commerce_dash.models.audit import AuditLog
from commerce_dash.models.commerce import RefundRequest
from commerce_dash.services import commerce as commerce_area
from tests.api.conftest import signed_in
from tests.builders import number_of, recorded_order
from tests.conftest import create_user


def _documents(session: Session, learner: Actor) -> tuple[str, str]:
    order = recorded_order(session, learner)
    request = RefundRequest(
        order_id=order.id or 0,
        user_id=learner.user_id,
        amount=1000,
        currency="USD",
        reason="Changed my mind.",
        source="learner",
        approved_amount=1000,
    )
    session.add(request)
    session.commit()
    commerce_area.issue_invoice(session, order)
    note = commerce_area.issue_credit_note(session, request, order)
    session.commit()
    return number_of(order), note.number


def test_the_learner_downloads_their_invoice_and_credit_note(
    client: TestClient, session: Session, learner: Actor
) -> None:
    number, note = _documents(session, learner)
    headers = signed_in(client, "lee@example.com")
    response = client.get(f"/api/v2/orders/{number}/invoice.pdf", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"].startswith('attachment; filename="INV-')
    assert response.content.startswith(b"%PDF")
    response = client.get(f"/api/v2/orders/{number}/credit-notes/{note}.pdf", headers=headers)
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    missing = client.get(
        f"/api/v2/orders/{number}/credit-notes/CN-1999-000001.pdf", headers=headers
    )
    assert (missing.status_code, missing.json()["code"]) == (404, "credit_note_not_found")
    assert client.get(f"/api/v2/orders/{number}/invoice.pdf").status_code == 401


def test_another_learners_invoice_is_404_like_an_unknown_order(
    client: TestClient, session: Session, learner: Actor
) -> None:
    number, note = _documents(session, learner)
    create_user(session, "other@example.com")
    session.commit()
    headers = signed_in(client, "other@example.com")
    for url in (
        f"/api/v2/orders/{number}/invoice.pdf",
        f"/api/v2/orders/{number}/credit-notes/{note}.pdf",
        "/api/v2/orders/ORD-2026-99999/invoice.pdf",
    ):
        response = client.get(url, headers=headers)
        assert (response.status_code, response.json()["code"]) == (404, "order_not_found")


def test_an_unpaid_order_has_no_invoice(
    client: TestClient, session: Session, learner: Actor
) -> None:
    order = recorded_order(session, learner, status="pending", payment=None)
    session.commit()
    headers = signed_in(client, "lee@example.com")
    response = client.get(f"/api/v2/orders/{number_of(order)}/invoice.pdf", headers=headers)
    assert (response.status_code, response.json()["code"]) == (404, "invoice_not_found")


def test_admins_download_any_invoice_and_billing_admins_set_the_seller(
    client: TestClient, session: Session, learner: Actor
) -> None:
    number, note = _documents(session, learner)
    create_user(session, "bill@example.com", grants=(Grant(RoleName.BILLING_ADMIN),))
    session.commit()
    headers = signed_in(client, "bill@example.com")
    for url in (
        f"/api/v2/admin/orders/{number}/invoice.pdf",
        f"/api/v2/admin/orders/{number}/credit-notes/{note}.pdf",
    ):
        response = client.get(url, headers=headers)
        assert response.status_code == 200 and response.content.startswith(b"%PDF")
    bad = client.put(
        "/api/v2/admin/seller-details", headers=headers, json={"name": "Acme", "tax_id": "<b>"}
    )
    assert (bad.status_code, bad.json()["code"]) == (422, "seller_tax_id_invalid")
    good = client.put(
        "/api/v2/admin/seller-details",
        headers=headers,
        json={
            "name": "Acme Learning Ltd",
            "address": "1 Main Street",
            "tax_id": "GB123",
            "email": "billing@acme-learning.com",
        },
    )
    assert good.status_code == 200, good.text
    assert client.get("/api/v2/admin/seller-details", headers=headers).json() == {
        "name": "Acme Learning Ltd",
        "address": "1 Main Street",
        "tax_id": "GB123",
        "email": "billing@acme-learning.com",
    }
    assert (
        session.exec(select(AuditLog).where(AuditLog.action == "seller_details.updated")).first()
        is not None
    )
