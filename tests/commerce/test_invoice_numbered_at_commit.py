"""An invoice issued with ``number_at_commit`` (issue 20, the checkout hot path): numbered
just before its transaction commits, gap-free as ever, and the email queued with it carries
the numbered invoice PDF."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from io import BytesIO

from pypdf import PdfReader
from sqlmodel import Session, select

from commerce_dash.domain.actor import Actor
from commerce_dash.models.delivery import OutboxMessage
from commerce_dash.models.invoices import Invoice
from commerce_dash.notify.outbox_email import queue_email
from commerce_dash.services import commerce as commerce_area
from commerce_dash.services.commerce.invoices import invoice_attachment
from tests.builders import recorded_order

AT = datetime(2026, 6, 1, tzinfo=UTC)


def _pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(BytesIO(data)).pages)


def _issue_with_email(session: Session, order, key: str) -> Invoice:  # type: ignore[no-untyped-def]
    invoice = commerce_area.issue_invoice(session, order, at=AT, number_at_commit=True)
    queue_email(session=session, template="order-confirmation", to="lee@example.com",
                dedupe_key=key, attachments=[invoice_attachment(invoice)],
                context={"user_name": "Lee", "order_number": "ORD-2026-00001", "items": [],
                         "total": "$10.00", "order_url": "http://localhost/orders"})
    return invoice


def test_numbered_at_the_commit_and_the_email_carries_the_numbered_pdf(
    session: Session, learner: Actor
) -> None:
    first, second = recorded_order(session, learner), recorded_order(session, learner)
    session.commit()
    invoice = _issue_with_email(session, first, "confirm:1")
    assert not invoice.number.startswith("INV-")  # not numbered before the commit
    session.commit()
    assert invoice.number == "INV-2026-000001" and invoice.sequence == 1
    stored = session.exec(select(Invoice).where(Invoice.order_id == first.id)).one()
    assert stored.number == "INV-2026-000001"
    assert stored.content is not None and stored.content["number"] == "INV-2026-000001"
    mail = session.exec(select(OutboxMessage).where(
        OutboxMessage.dedupe_key == "confirm:1")).one()
    session.refresh(mail)
    [attachment] = mail.payload["attachments"]  # type: ignore[index]
    assert (attachment["filename"], attachment["content_type"]) == (
        "INV-2026-000001.pdf", "application/pdf")
    pdf = base64.b64decode(attachment["data_base64"])
    assert pdf.startswith(b"%PDF") and "INV-2026-000001" in _pdf_text(pdf)
    # the next one takes the next number
    assert _issue_with_email(session, second, "confirm:2") is not None
    session.commit()
    numbers = sorted(i.number for i in session.exec(select(Invoice)).all())
    assert numbers == ["INV-2026-000001", "INV-2026-000002"]


def test_a_rolled_back_issue_takes_no_number(session: Session, learner: Actor) -> None:
    first, second = recorded_order(session, learner), recorded_order(session, learner)
    session.commit()
    _issue_with_email(session, first, "confirm:1")
    session.rollback()
    assert session.exec(select(Invoice)).all() == []
    assert _issue_with_email(session, second, "confirm:2").order_id == second.id
    session.commit()
    assert [i.number for i in session.exec(select(Invoice)).all()] == ["INV-2026-000001"]


def test_issued_twice_in_one_transaction_is_one_invoice(
    session: Session, learner: Actor
) -> None:
    order = recorded_order(session, learner)
    session.commit()
    one = commerce_area.issue_invoice(session, order, at=AT, number_at_commit=True)
    two = commerce_area.issue_invoice(session, order, at=AT, number_at_commit=True)
    session.commit()
    assert one.id == two.id and one.number == "INV-2026-000001"
    assert len(session.exec(select(Invoice)).all()) == 1


def test_a_savepoint_rolled_back_on_the_way_leaves_the_numbering_to_the_commit(
    session: Session, learner: Actor
) -> None:
    order = recorded_order(session, learner)
    session.commit()
    invoice = _issue_with_email(session, order, "confirm:1")
    # the same email again: its savepoint (PostgreSQL) is rolled back, the transaction goes on
    assert queue_email(session=session, template="order-confirmation", to="lee@example.com",
                       dedupe_key="confirm:1", context={
                           "user_name": "Lee", "order_number": "ORD-2026-00001", "items": [],
                           "total": "$10.00", "order_url": "http://localhost/orders"}) is None
    session.commit()
    assert invoice.number == "INV-2026-000001"
    assert session.exec(select(Invoice.number)).all() == ["INV-2026-000001"]
