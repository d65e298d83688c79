"""Invoice pages (issue 19), driven through their states: the learner's order page and the
admin order page link the invoice and credit notes (the learner only for their own order);
the seller card on the Tax & currency page shows what is saved, says a bad tax id beside its
box and saves (audited)."""

from __future__ import annotations

from sqlmodel import Session, select

from commerce_dash import routes
from commerce_dash.domain.access import RoleName
from commerce_dash.domain.actor import Actor, Grant
from commerce_dash.models.audit import AuditLog
from commerce_dash.models.commerce import RefundRequest
from commerce_dash.pages.admin.seller_details import SellerDetailsState
from commerce_dash.pages.store.order_documents import OrderDocumentsState
from commerce_dash.services import commerce as commerce_area
from tests.builders import number_of, recorded_order
from tests.conftest import create_user
from tests.pages.harness import page_state, run_event, state_as, toasts, token_for


def _paid(session: Session, learner: Actor) -> tuple[str, str, str]:
    order = recorded_order(session, learner)
    request = RefundRequest(
        order_id=order.id or 0,
        user_id=learner.user_id,
        amount=500,
        currency="USD",
        reason="Part of it.",
        source="learner",
        approved_amount=500,
    )
    session.add(request)
    session.commit()
    invoice = commerce_area.issue_invoice(session, order)
    note = commerce_area.issue_credit_note(session, request, order)
    session.commit()
    return number_of(order), invoice.number, note.number


def _documents(
    session: Session, email: str, base: str, number: str, *, admin: bool
) -> list[dict[str, str]]:
    page = page_state(
        OrderDocumentsState, f"{base}/{number}", {"number": number}, token_for(session, email)
    )
    run_event(OrderDocumentsState.load_admin if admin else OrderDocumentsState.load_mine, page)
    return page.documents


def test_the_learner_sees_their_invoice_and_credit_note(session: Session, learner: Actor) -> None:
    number, invoice, note = _paid(session, learner)
    assert _documents(session, "lee@example.com", routes.ORDERS, number, admin=False) == [
        {"label": f"Invoice {invoice}", "href": f"/api/v2/orders/{number}/invoice.pdf"},
        {
            "label": f"Credit note {note}",
            "href": f"/api/v2/orders/{number}/credit-notes/{note}.pdf",
        },
    ]
    create_user(session, "other@example.com")
    session.commit()
    assert _documents(session, "other@example.com", routes.ORDERS, number, admin=False) == []


def test_the_admin_order_page_links_the_admin_downloads(
    session: Session, learner: Actor, super_admin: Actor
) -> None:
    number, invoice, _ = _paid(session, learner)
    links = _documents(session, "root@example.com", routes.ADMIN_ORDERS, number, admin=True)
    assert links[0] == {
        "label": f"Invoice {invoice}",
        "href": f"/api/v2/admin/orders/{number}/invoice.pdf",
    }
    assert len(links) == 2


def test_the_seller_card_validates_and_saves(session: Session) -> None:
    create_user(session, "bill@example.com", grants=(Grant(RoleName.BILLING_ADMIN),))
    session.commit()
    card = state_as(session, SellerDetailsState, routes.ADMIN_SETTINGS, email="bill@example.com")
    run_event(SellerDetailsState.load_seller, card)
    assert card.seller_loaded and card.seller["name"]  # the app's sender until one is saved
    form = {
        "seller_name": "Acme Learning Ltd",
        "seller_address": "1 Main Street",
        "seller_tax_id": "<b>",
        "seller_email": "",
    }
    run_event(SellerDetailsState.save_seller, card, form)
    assert [name for name, error in card.seller_errors.items() if error] == ["tax_id"]
    assert card.seller_errors["tax_id"].startswith("A tax id has letters")
    events = run_event(SellerDetailsState.save_seller, card, {**form, "seller_tax_id": "GB1"})
    assert "Acme Learning Ltd" in toasts(events)
    assert not any(card.seller_errors.values())
    assert commerce_area.seller_details(session).tax_id == "GB1"
    assert (
        session.exec(select(AuditLog).where(AuditLog.action == "seller_details.updated")).first()
        is not None
    )
