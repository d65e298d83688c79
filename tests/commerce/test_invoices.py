"""Invoices and credit notes (issue 19): one invoice per paid order whatever repeats, the
confirmation email carries it, the PDF says who sold what to whom with the tax by rate and
the totals, a credit note per paid refund with negative amounts summing to it, the seller's
details set by a billing admin (validated, audited, snapshotted at issue time)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from io import BytesIO

import pytest
from pypdf import PdfReader
from sqlmodel import Session, select

from commerce_dash.domain.access import RoleName
from commerce_dash.domain.actor import Actor, Grant
from commerce_dash.domain.errors import DomainError
from commerce_dash.domain.orders import PaymentStatus
from commerce_dash.models.audit import AuditLog
from commerce_dash.models.commerce import Order, OrderLine, Payment
from commerce_dash.models.delivery import OutboxMessage
from commerce_dash.models.invoices import CreditNote, Invoice
from commerce_dash.models.tax import TaxRate
from commerce_dash.services import commerce as commerce_area
from commerce_dash.services.commerce import refunds
from commerce_dash.services.commerce.settlement import complete_order, move_payment
from tests.builders import buy, make_code, number_of, recorded_order
from tests.conftest import create_user


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(BytesIO(pdf)).pages)


@pytest.fixture
def billing_admin(session: Session) -> Actor:
    return create_user(
        session, "bill@example.com", grants=(Grant(RoleName.BILLING_ADMIN),), full_name="Bill Admin"
    )


def _seller(session: Session, admin: Actor) -> None:
    commerce_area.save_seller_details(
        session=session,
        actor=admin,
        name="Acme Learning Ltd",
        address="1 Main Street\nSpringfield",
        tax_id="GB123456789",
        email="Billing@Acme-Learning.com",
    )


def test_a_paid_order_gets_one_invoice_whatever_repeats(
    session: Session,
    shop,  # type: ignore[no-untyped-def]
    learner: Actor,
) -> None:
    order = buy(session, learner, shop, ("course", "PY101"))
    invoices = session.exec(select(Invoice)).all()
    assert len(invoices) == 1
    invoice = invoices[0]
    year = invoice.issued_at.year
    assert (invoice.number, invoice.order_id, invoice.total) == (
        f"INV-{year}-000001",
        order.id,
        order.total,
    )
    payment = session.exec(select(Payment).where(Payment.order_id == order.id)).one()
    # the processor's webhook again, and the completion called again: nothing new
    assert move_payment(
        session=session, payment=payment, target=PaymentStatus.SUCCEEDED
    ).startswith("already")
    complete_order(
        session=session, order=order, payment=payment, at=invoice.issued_at, note="again"
    )
    assert commerce_area.issue_invoice(session, order).id == invoice.id
    session.commit()
    assert len(session.exec(select(Invoice)).all()) == 1
    # the next order takes the next number
    buy(session, learner, shop, ("course", "SQL101"))
    numbers = sorted(i.number for i in session.exec(select(Invoice)).all())
    assert numbers == [f"INV-{year}-000001", f"INV-{year}-000002"]


def test_the_confirmation_email_carries_the_invoice_pdf(
    session: Session,
    shop,  # type: ignore[no-untyped-def]
    learner: Actor,
) -> None:
    order = buy(session, learner, shop, ("course", "PY101"))
    invoice = session.exec(select(Invoice).where(Invoice.order_id == order.id)).one()
    mail = [
        m
        for m in session.exec(select(OutboxMessage))
        if (m.payload or {}).get("template") == "order-confirmation"
    ]
    assert len(mail) == 1
    attachments = mail[0].payload["attachments"]  # type: ignore[index]
    assert [(a["filename"], a["content_type"]) for a in attachments] == [
        (f"{invoice.number}.pdf", "application/pdf")
    ]
    pdf = base64.b64decode(attachments[0]["data_base64"])
    assert pdf.startswith(b"%PDF") and invoice.number in _text(pdf)


def test_the_invoice_pdf_shows_seller_buyer_lines_tax_by_rate_and_totals(
    session: Session, learner: Actor, billing_admin: Actor
) -> None:
    _seller(session, billing_admin)
    order = recorded_order(
        session,
        learner,
        lines=(("Python Basics", 10_000), ("SQL Basics", 5_000)),
        discount=1_000,
        discount_code="SAVE10",
        tax=500,
        currency="USD",
        display_currency="EUR",
        display_total=13_050,
        exchange_rate="0.9",
        billing=("US", "CA"),
    )
    order.settlement_currency, order.settlement_total, order.tax_provider = "GBP", 12_000, ""
    session.add(order)
    session.commit()
    invoice = commerce_area.issue_invoice(session, order)
    session.commit()
    name, pdf = commerce_area.invoice_pdf(
        session=session, number=number_of(order), user_id=learner.user_id
    )
    assert name == f"{invoice.number}.pdf"
    text = _text(pdf)
    for expected in (
        "Invoice",
        invoice.number,
        number_of(order),
        "Acme Learning Ltd",
        "1 Main Street",
        "Springfield",
        "GB123456789",
        "billing@acme-learning.com",  # the seller
        "Lee Learner",
        "lee@example.com",
        "CA, US",  # the buyer
        "Python Basics",
        "SQL Basics",
        "$100.00",
        "$50.00",  # the lines
        "Discount (SAVE10)",
        "-$10.00",
        "Tax 10% on $50.00",
        "$5.00",  # the tax by rate (on the taxed line)
        "Total (USD)",
        "$145.00",
        "about €130.50",
        "£120.00",
    ):
        assert expected in text, (expected, text)


def test_letters_beyond_latin_1_print_in_an_embedded_face(session: Session) -> None:
    learner = create_user(session, "lukasz@example.com", full_name="Łukasz Żółć")
    order = recorded_order(session, learner, currency="INR", lines=(("Kurs Python", 50_000),))
    session.commit()
    commerce_area.issue_invoice(session, order)
    pdf = commerce_area.invoice_pdf(
        session=session, number=number_of(order), user_id=learner.user_id
    )[1]
    text = _text(pdf)
    assert "Łukasz Żółć" in text and "₹500.00" in text


def test_tax_is_grouped_by_the_rate_table_rule(
    session: Session, learner: Actor, super_admin: Actor
) -> None:
    order = recorded_order(
        session, learner, lines=(("Python Basics", 10_000),), tax=888, billing=("US", "NY")
    )
    session.add(TaxRate(country="US", region="NY", rate_ppm=88_750, label="Sales tax"))
    order.tax_provider = "manual"
    session.add(order)
    session.commit()
    invoice = commerce_area.issue_invoice(session, order)
    assert invoice.content["tax_by_rate"] == [  # type: ignore[index]
        {"label": "Sales tax 8.875%", "rate": "8.875", "base": 10_000, "tax": 888}
    ]
    assert "Sales tax 8.875% on $100.00" in _text(
        commerce_area.invoice_pdf(session=session, number=number_of(order), actor=super_admin)[1]
    )


def test_numbering_restarts_each_year(session: Session, learner: Actor) -> None:
    orders = [recorded_order(session, learner) for _ in range(3)]
    session.commit()
    dates = [
        datetime(2026, 12, 31, 23, 59, tzinfo=UTC),
        datetime(2027, 1, 1, 0, 0, tzinfo=UTC),
        datetime(2027, 1, 2, tzinfo=UTC),
    ]
    numbers = [
        commerce_area.issue_invoice(session, o, at=at).number
        for o, at in zip(orders, dates, strict=True)
    ]
    session.commit()
    assert numbers == ["INV-2026-000001", "INV-2027-000001", "INV-2027-000002"]


def test_a_rolled_back_issue_gives_its_number_back(session: Session, learner: Actor) -> None:
    first, second = recorded_order(session, learner), recorded_order(session, learner)
    session.commit()
    at = datetime(2026, 6, 1, tzinfo=UTC)
    assert commerce_area.issue_invoice(session, first, at=at).number == "INV-2026-000001"
    session.rollback()
    assert commerce_area.issue_invoice(session, second, at=at).number == "INV-2026-000001"
    session.commit()


def test_credit_notes_for_a_partial_then_a_full_refund(
    session: Session,
    shop,  # type: ignore[no-untyped-def]
    learner: Actor,
    super_admin: Actor,
) -> None:
    make_code(session, super_admin, "TENOFF", percent=10)
    order = buy(session, learner, shop, ("course", "PY101"), ("course", "SQL101"), code="TENOFF")
    # tax on the lines, as a taxed checkout leaves it (the sandbox shop charges none)
    lines = session.exec(select(OrderLine).where(OrderLine.order_id == order.id)).all()
    for line in lines:
        line.tax_amount = (line.list_amount - line.discount_amount) // 10
        line.total = line.list_amount - line.discount_amount + line.tax_amount
        session.add(line)
    session.commit()
    first = refunds.request_refund(
        session=session, actor=learner, number=number_of(order), reason="Half of it was not for me."
    )
    done = refunds.approve(
        session=session, actor=super_admin, request_id=first.id or 0, amount=5_000
    )
    assert done.status == "refunded"
    note = session.exec(select(CreditNote).where(CreditNote.refund_request_id == first.id)).one()
    content = note.content or {}
    assert (
        note.total == -5_000 and note.number.startswith("CN-") and note.number.endswith("-000001")
    )
    assert sum(line["total"] for line in content["lines"]) == -5_000
    assert all(line["total"] <= 0 and line["tax"] <= 0 for line in content["lines"])
    assert content["tax_total"] < 0 and content["subtotal"] + content["tax_total"] == -5_000
    assert content["invoice_number"] == session.exec(select(Invoice.number)).one()
    session.expire_all()
    order = session.get(Order, order.id)  # type: ignore[assignment]
    rest = order.total - order.refunded_amount
    second = refunds.request_refund(
        session=session, actor=learner, number=number_of(order), reason="The rest, please."
    )
    refunds.approve(session=session, actor=super_admin, request_id=second.id or 0)
    notes = session.exec(select(CreditNote).order_by(CreditNote.id)).all()
    assert [n.total for n in notes] == [-5_000, -rest]
    assert sum(n.total for n in notes) == -order.total
    assert notes[1].number.endswith("-000002")
    # the credit note downloads for the learner, and says what it credits
    name, pdf = commerce_area.credit_note_pdf(
        session=session,
        number=number_of(order),
        credit_note=notes[1].number,
        user_id=learner.user_id,
    )
    text = _text(pdf)
    assert name == f"{notes[1].number}.pdf" and "Credit note" in text
    assert content["invoice_number"] in text and "The rest, please." in text


def test_another_learners_invoice_is_not_found(
    session: Session,
    shop,  # type: ignore[no-untyped-def]
    learner: Actor,
) -> None:
    order = buy(session, learner, shop, ("course", "PY101"))
    other = create_user(session, "other@example.com")
    with pytest.raises(DomainError) as err:
        commerce_area.invoice_pdf(session=session, number=number_of(order), user_id=other.user_id)
    assert err.value.code == "order_not_found"  # as for a number that does not exist


def test_seller_details_are_validated_audited_and_snapshotted(
    session: Session, learner: Actor, billing_admin: Actor
) -> None:
    for fields, code in (
        ({"name": " "}, "seller_name_required"),
        ({"tax_id": "<script>"}, "seller_tax_id_invalid"),
        ({"email": "not-an-email"}, "invalid_email"),
    ):
        data = {"name": "Acme", "address": "", "tax_id": "", "email": "", **fields}
        with pytest.raises(DomainError) as err:
            commerce_area.save_seller_details(session=session, actor=billing_admin, **data)
        assert err.value.code == code
    with pytest.raises(DomainError) as err:
        commerce_area.save_seller_details(
            session=session, actor=learner, name="Me", address="", tax_id="", email=""
        )
    assert err.value.code == "forbidden"
    _seller(session, billing_admin)
    _seller(session, billing_admin)  # the same again: no second audit row
    audits = session.exec(select(AuditLog).where(AuditLog.action == "seller_details.updated")).all()
    assert len(audits) == 1
    order = recorded_order(session, learner)
    session.commit()
    invoice = commerce_area.issue_invoice(session, order)
    session.commit()
    commerce_area.save_seller_details(
        session=session, actor=billing_admin, name="New Name Inc", address="", tax_id="", email=""
    )
    session.refresh(invoice)
    assert invoice.content["seller"]["name"] == "Acme Learning Ltd"  # type: ignore[index]
    assert commerce_area.seller_details(session).name == "New Name Inc"


def test_an_order_paid_before_invoices_gets_its_invoice_when_first_asked(
    session: Session, learner: Actor
) -> None:
    # an order completed before invoices existed has none; the learner's order page and the
    # download then issue it, once, numbered in the year it is issued
    order = recorded_order(session, learner)
    assert session.exec(select(Invoice).where(Invoice.order_id == order.id)).first() is None
    links = commerce_area.order_documents(
        session=session, number=number_of(order), user_id=learner.user_id)
    invoice = session.exec(select(Invoice).where(Invoice.order_id == order.id)).one()
    assert links == [(f"Invoice {invoice.number}", f"/api/v2/orders/{number_of(order)}/invoice.pdf")]
    name, pdf = commerce_area.invoice_pdf(
        session=session, number=number_of(order), user_id=learner.user_id)
    assert name == f"{invoice.number}.pdf" and invoice.number in _text(pdf)
    assert len(session.exec(select(Invoice).where(Invoice.order_id == order.id)).all()) == 1


def test_an_unpaid_order_has_no_invoice(session: Session, learner: Actor) -> None:
    order = recorded_order(session, learner, status="pending", payment=None)
    with pytest.raises(DomainError) as err:
        commerce_area.invoice_pdf(session=session, number=number_of(order),
                                  user_id=learner.user_id)
    assert err.value.code == "invoice_not_found"
    assert session.exec(select(Invoice).where(Invoice.order_id == order.id)).first() is None
