"""Invoice and credit-note downloads (issue 19): the learner's own orders only (another's
answers like an unknown number), any order for admins of the orders section; an order paid
before invoices existed gets its invoice when first asked for."""

from __future__ import annotations

from sqlmodel import Session, col, select

from commerce_dash.domain.actor import Actor, require_section
from commerce_dash.domain.errors import DomainError, ErrorKind
from commerce_dash.domain.invoices import CREDIT_NOTE, INVOICE
from commerce_dash.models.commerce import Order
from commerce_dash.models.invoices import CreditNote, Invoice
from commerce_dash.services.commerce.invoices import issue_invoice, render_document
from commerce_dash.services.commerce.order_receipts import find_order

ORDERS_SECTION = "orders"


def _not_found(kind: str, ref: str) -> DomainError:
    if kind == INVOICE:
        return DomainError(
            "invoice_not_found", f"No invoice {ref[:40]} was found.", kind=ErrorKind.NOT_FOUND
        )
    return DomainError(
        "credit_note_not_found", f"No credit note {ref[:40]} was found.", kind=ErrorKind.NOT_FOUND
    )


def _order_for(session: Session, number: str, user_id: int | None, actor: Actor | None) -> Order:
    """The order by its number: any order for an admin of the orders section, only their own
    for a learner (another's is missing, like an unknown number)."""
    if actor is not None:
        require_section(actor, ORDERS_SECTION)
        return find_order(session, number)
    order = find_order(session, number)
    if order.user_id != user_id:  # told exactly what an unknown number is told
        raise DomainError(
            "order_not_found",
            f"No order {number.strip()[:40]} was found.",
            kind=ErrorKind.NOT_FOUND,
        )
    return order


def invoice_pdf(
    *, session: Session, number: str, user_id: int | None = None, actor: Actor | None = None
) -> tuple[str, bytes]:
    """(file name, PDF) of the order's invoice; 404 when it has none (not paid)."""
    order = _order_for(session, number, user_id, actor)
    invoice = _invoice_of(session, order)
    if invoice is None:
        raise _not_found(INVOICE, number)
    return f"{invoice.number}.pdf", render_document(invoice)


_PAID = frozenset({"completed", "partially_refunded", "refunded", "disputed"})


def _invoice_of(session: Session, order: Order) -> Invoice | None:
    """The order's invoice; an order paid before invoices existed gets its own now, once
    (numbered in today's year: an invoice is dated when it is issued). None: never paid."""
    invoice = session.exec(select(Invoice).where(Invoice.order_id == order.id)).first()
    if invoice is None and (order.status in _PAID or order.completed_at is not None):
        invoice = issue_invoice(session, order)
        session.commit()
    return invoice


def credit_note_pdf(
    *,
    session: Session,
    number: str,
    credit_note: str,
    user_id: int | None = None,
    actor: Actor | None = None,
) -> tuple[str, bytes]:
    """(file name, PDF) of one credit note of the order (by its CN number)."""
    order = _order_for(session, number, user_id, actor)
    note = session.exec(
        select(CreditNote).where(
            CreditNote.order_id == order.id, CreditNote.number == credit_note.strip()[:32]
        )
    ).first()
    if note is None:
        raise _not_found(CREDIT_NOTE, credit_note)
    return f"{note.number}.pdf", render_document(note)


def order_documents(
    *, session: Session, number: str, user_id: int | None = None, actor: Actor | None = None
) -> list[tuple[str, str]]:
    """(label, download path) of the order's invoice and credit notes, invoice first: the
    learner's paths for ``user_id`` (their own order only), the admin's for ``actor``."""
    order = _order_for(session, number, user_id, actor)
    base = f"/api/v2/admin/orders/{number}" if actor is not None else f"/api/v2/orders/{number}"
    found = _invoice_of(session, order)
    invoice = found.number if found is not None else None
    notes = session.exec(
        select(CreditNote.number)
        .where(CreditNote.order_id == order.id)
        .order_by(col(CreditNote.id))
    ).all()
    links = [(f"Invoice {invoice}", f"{base}/invoice.pdf")] if invoice else []
    return links + [(f"Credit note {n}", f"{base}/credit-notes/{n}.pdf") for n in notes]
