"""Invoices and credit notes (issue 19): one numbered invoice per paid order, issued in the
transaction that completes it, and one credit note per paid refund, issued in the
transaction that settles it; the seller's details a billing admin keeps; the PDFs for the
learner (their own orders only) and for admins of the orders section.

Numbers are gap-free per kind and year (INV-2026-000001, CN-2026-000001): the year's counter
row is moved by one ``UPDATE ... RETURNING`` in the transaction that records the document, so
it stays locked until the commit (a row lock on PostgreSQL, the database's write lock on
SQLite) and a rolled-back issue gives its number back. ``invoice.order_id`` and
``credit_note.refund_request_id`` are unique: a duplicate completion finds the document
already there, and two racing ones end with one (the loser's savepoint is rolled back,
counter included).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from commerce_dash.db import write_lock
from commerce_dash.domain.accounts import normalise_email
from commerce_dash.domain.actor import Actor, require_section
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.errors import DomainError, ErrorKind
from commerce_dash.domain.invoices import (
    CREDIT_NOTE,
    INVOICE,
    SellerInfo,
    TaxedLine,
    credit_parts,
    document_number,
    rate_of,
    tax_by_rate,
)
from commerce_dash.domain.money import allocate
from commerce_dash.domain.tax import TaxAddress, pick_rate
from commerce_dash.models.accounts import User
from commerce_dash.models.commerce import Order, OrderLine, RefundRequest
from commerce_dash.models.invoices import CreditNote, Invoice, InvoiceCounter, SellerDetails
from commerce_dash.notify.message import Attachment
from commerce_dash.services.commerce.invoice_pdf import render_document_pdf
from commerce_dash.services.commerce.order_receipts import find_order, number_of
from commerce_dash.services.commerce.tax import active_rules
from commerce_dash.services.platform import record_audit
from commerce_dash.settings import get_settings

SELLER_SECTION = "settings"  # the Tax & currency page, billing admins
ORDERS_SECTION = "orders"
_SELLER_ID = 1
NAME_MAX, ADDRESS_MAX, TAX_ID_MAX = 200, 1000, 64
_TAX_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 .\-/]*$")

# -- the seller --------------------------------------------------------------------------------


def seller_details(session: Session) -> SellerInfo:
    """The seller's details as a billing admin set them; before that, the app's sender name
    and address (so an invoice is never issued without a seller)."""
    row = session.get(SellerDetails, _SELLER_ID)
    if row is not None:
        return SellerInfo(row.name, row.address, row.tax_id, row.email)
    sender = get_settings().email_from
    name, _, rest = sender.partition("<")
    return SellerInfo(name.strip() or "Commerce Dash", "", "", rest.rstrip(">").strip())


def clean_seller(name: str, address: str, tax_id: str, email: str) -> SellerInfo:
    """The seller's details checked and tidied, or a DomainError naming the field."""
    name, tax_id = " ".join(name.split()), tax_id.strip()
    lines = [line.strip() for line in address.replace("\r", "").split("\n")]
    address = "\n".join(line for line in lines if line)
    if not name:
        raise DomainError("seller_name_required", "Enter the seller's legal name.", field="name")
    if len(name) > NAME_MAX:
        raise DomainError(
            "seller_name_too_long", "Keep the name under 200 characters.", field="name"
        )
    if len(address) > ADDRESS_MAX:
        raise DomainError(
            "seller_address_too_long", "Keep the address under 1,000 characters.", field="address"
        )
    if tax_id and (len(tax_id) > TAX_ID_MAX or not _TAX_ID.match(tax_id)):
        raise DomainError(
            "seller_tax_id_invalid",
            "A tax id has letters, digits, spaces, dots, dashes or slashes (at most 64).",
            field="tax_id",
        )
    clean_email = normalise_email(email) if email.strip() else ""
    return SellerInfo(name, address, tax_id, clean_email)


def save_seller_details(
    *, session: Session, actor: Actor | None, name: str, address: str, tax_id: str, email: str
) -> SellerInfo:
    """A billing admin sets the seller's details (audited, commits). Invoices issued before
    keep the details they were issued with."""
    require_section(actor, SELLER_SECTION)
    assert actor is not None
    info = clean_seller(name, address, tax_id, email)
    row = session.get(SellerDetails, _SELLER_ID)
    before = (
        None if row is None else SellerInfo(row.name, row.address, row.tax_id, row.email).as_dict()
    )
    if before == info.as_dict():
        return info  # nothing changed: no audit row
    row = row or SellerDetails(id=_SELLER_ID, name=info.name)
    row.name, row.address, row.tax_id, row.email = (
        info.name,
        info.address,
        info.tax_id,
        info.email,
    )
    row.updated_by_id, row.updated_at = actor.user_id, utcnow()
    session.add(row)
    record_audit(
        session=session,
        actor=actor,
        action="seller_details.updated",
        entity_type="seller_details",
        entity_id=_SELLER_ID,
        before=before,
        after=info.as_dict(),
    )
    session.commit()
    return info


# -- numbers -----------------------------------------------------------------------------------


def next_number(session: Session, kind: str, year: int) -> int:
    """The next number of ``kind`` in ``year``, in the caller's transaction: the counter row
    stays locked until it commits, and a rollback gives the number back."""
    write_lock(session)
    dialect = session.connection().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    session.execute(
        module.insert(InvoiceCounter)
        .values(kind=kind, year=year, last_number=0)
        .on_conflict_do_nothing(index_elements=["kind", "year"])
    )
    number = session.execute(
        update(InvoiceCounter)
        .where(col(InvoiceCounter.kind) == kind, col(InvoiceCounter.year) == year)
        .values(last_number=col(InvoiceCounter.last_number) + 1)
        .returning(col(InvoiceCounter.last_number))
    ).scalar_one()
    return int(number)


def _record(
    session: Session,
    model: type[Invoice] | type[CreditNote],
    kind: str,
    at: datetime,
    fields: dict[str, Any],
    content: dict[str, Any],
) -> Invoice | CreditNote | None:
    """Number and insert the document in a savepoint; None when the unique key says another
    transaction issued it first (its number given back with the savepoint)."""
    session.flush()  # the caller's own changes fail (or not) outside the savepoint
    try:
        with session.begin_nested():
            sequence = next_number(session, kind, at.year)
            number = document_number(kind, at.year, sequence)
            content = {**content, "number": number, "issued_on": at.date().isoformat()}
            document = model(
                number=number,
                year=at.year,
                sequence=sequence,
                issued_at=at,
                content=content,
                **fields,
            )
            session.add(document)
            session.flush()
    except IntegrityError:
        return None
    return document


# -- invoices ----------------------------------------------------------------------------------


def _buyer(session: Session, order: Order) -> dict[str, str]:
    user = session.get(User, order.user_id)
    return {
        "name": user.full_name if user else "",
        "email": user.email if user else "",
        "country": order.billing_country,
        "region": order.billing_region,
    }


def _taxed_lines(session: Session, order: Order, lines: list[OrderLine]) -> list[TaxedLine]:
    """The order's lines with the rate that taxed each (the rate table's rule for a manual
    quote; otherwise worked out from the amounts)."""
    rules = (
        active_rules(session=session, country=order.billing_country)
        if order.tax_provider == "manual" and order.billing_country
        else []
    )
    address = TaxAddress(country=order.billing_country, region=order.billing_region)
    taxed = []
    for line in lines:
        rule = pick_rate(rules, address, line.department_id) if line.tax_amount else None
        ppm = rule.rate_ppm if rule is not None and rule.rate_ppm > 0 else None
        name = (rule.label.strip() if rule is not None else "") or "Tax"
        taxed.append(
            TaxedLine(
                line.title,
                line.list_amount,
                line.discount_amount,
                line.tax_amount,
                line.total,
                ppm,
                name,
            )
        )
    return taxed


def _line_out(line: TaxedLine) -> dict[str, Any]:
    return {
        "title": line.title,
        "list": line.list_amount,
        "discount": line.discount,
        "net": line.net,
        "tax": line.tax,
        "total": line.total,
        "rate_ppm": rate_of(line) if line.tax else None,
        "rate_name": line.rate_name,
    }


def _currencies(order: Order, total: int, settlement_total: int | None) -> dict[str, Any]:
    """What the totals came to in the currency the learner saw and in the settlement
    currency, each only where it differs from the charged one."""
    out: dict[str, Any] = {"display": None, "settlement": None}
    if order.display_currency and order.display_currency != order.currency and order.total:
        shown = (
            allocate(order.display_total, [abs(total), max(0, order.total - abs(total))])[0]
            if abs(total) < order.total
            else order.display_total
        )
        out["display"] = {
            "currency": order.display_currency,
            "rate": order.exchange_rate,
            "total": shown if total >= 0 else -shown,
        }
    if (
        order.settlement_currency
        and order.settlement_currency != order.currency
        and settlement_total is not None
    ):
        out["settlement"] = {"currency": order.settlement_currency, "total": settlement_total}
    return out


def _order_lines(session: Session, order: Order) -> list[OrderLine]:
    return list(
        session.exec(
            select(OrderLine)
            .where(OrderLine.order_id == order.id)
            .order_by(col(OrderLine.position), col(OrderLine.id))
        ).all()
    )


def invoice_content(session: Session, order: Order, lines: list[OrderLine]) -> dict[str, Any]:
    """Everything the invoice prints, frozen now (the number and date are added on issue)."""
    taxed = _taxed_lines(session, order, lines)
    return {
        "kind": INVOICE,
        "order_number": number_of(order),
        "seller": seller_details(session).as_dict(),
        "buyer": _buyer(session, order),
        "currency": order.currency,
        "lines": [_line_out(t) for t in taxed],
        "subtotal": order.subtotal,
        "discount": {"code": order.discount_code, "amount": order.discount_amount},
        "tax_by_rate": tax_by_rate(taxed),
        "tax_total": order.tax_amount,
        "total": order.total,
        **_currencies(order, order.total, order.settlement_total),
    }


def issue_invoice(
    session: Session,
    order: Order,
    lines: list[OrderLine] | None = None,
    *,
    at: datetime | None = None,
) -> Invoice:
    """The order's invoice, issued now in the caller's transaction if it has none yet."""
    assert order.id is not None
    write_lock(session)  # SQLite: the check, the savepoint and the number in one write
    existing = session.exec(select(Invoice).where(Invoice.order_id == order.id)).first()
    if existing is not None:
        return existing
    at = at or utcnow()
    content = invoice_content(
        session, order, lines if lines is not None else _order_lines(session, order)
    )
    made = _record(
        session,
        Invoice,
        INVOICE,
        at,
        {
            "order_id": order.id,
            "user_id": order.user_id,
            "currency": order.currency,
            "total": order.total,
        },
        content,
    )
    if made is None:
        return session.exec(select(Invoice).where(Invoice.order_id == order.id)).one()
    assert isinstance(made, Invoice)
    return made


def invoice_attachment(invoice: Invoice) -> Attachment:
    """The invoice PDF as an email attachment."""
    return Attachment(f"{invoice.number}.pdf", "application/pdf", _render(invoice))


# -- credit notes ------------------------------------------------------------------------------


def _refunded_lines(request: RefundRequest, lines: list[OrderLine]) -> dict[int, int]:
    """Line id -> what the refund gives back of it (its allocation, else spread over the
    lines' totals)."""
    amount = request.approved_amount or request.amount
    if request.lines:
        out: dict[int, int] = {}
        for item in request.lines:
            key = int(item["order_line_id"])
            out[key] = out.get(key, 0) + int(item["amount"])
        return out
    weights = [line.total for line in lines]
    if not any(weights):
        weights = [1] * len(lines)
    return {line.id or 0: part for line, part in zip(lines, allocate(amount, weights), strict=True)}


def issue_credit_note(
    session: Session, request: RefundRequest, order: Order, *, at: datetime | None = None
) -> CreditNote:
    """The paid refund's credit note, issued now in the caller's transaction if it has none:
    its lines, tax and total are negative and sum to the refund."""
    assert request.id is not None and order.id is not None
    write_lock(session)
    existing = session.exec(
        select(CreditNote).where(CreditNote.refund_request_id == request.id)
    ).first()
    if existing is not None:
        return existing
    at = at or utcnow()
    lines = _order_lines(session, order)
    invoice = issue_invoice(session, order, lines, at=at)  # an order from before invoices
    by_id = {line.id: line for line in lines}
    refunded = _refunded_lines(request, lines)
    parts = credit_parts(
        refunded,
        {i: line.tax_amount for i, line in by_id.items() if i},
        {i: line.total for i, line in by_id.items() if i},
    )
    # each line keeps the rate its invoice printed, so the tax groups match
    printed = dict(
        zip([line.id for line in lines], (invoice.content or {}).get("lines", []), strict=False)
    )
    taxed = []
    for line_id, (net, tax) in parts.items():
        line, was = by_id.get(line_id), printed.get(line_id) or {}
        title = line.title if line is not None else f"Line {line_id}"
        taxed.append(
            TaxedLine(
                title,
                -net,
                0,
                -tax,
                -(net + tax),
                was.get("rate_ppm"),
                was.get("rate_name") or "Tax",
            )
        )
    total = -sum(refunded.values())
    settlement = -request.settlement_amount if request.settlement_amount is not None else None
    content = {
        "kind": CREDIT_NOTE,
        "order_number": number_of(order),
        "invoice_number": invoice.number,
        "reason": request.reason,
        "seller": seller_details(session).as_dict(),
        "buyer": _buyer(session, order),
        "currency": order.currency,
        "lines": [_line_out(t) for t in taxed],
        "subtotal": sum(t.net for t in taxed),
        "discount": {"code": "", "amount": 0},
        "tax_by_rate": tax_by_rate(taxed),
        "tax_total": sum(t.tax for t in taxed),
        "total": total,
        **_currencies(order, total, settlement),
    }
    made = _record(
        session,
        CreditNote,
        CREDIT_NOTE,
        at,
        {
            "order_id": order.id,
            "invoice_id": invoice.id,
            "user_id": order.user_id,
            "refund_request_id": request.id,
            "currency": order.currency,
            "total": total,
        },
        content,
    )
    if made is None:
        return session.exec(
            select(CreditNote).where(CreditNote.refund_request_id == request.id)
        ).one()
    assert isinstance(made, CreditNote)
    return made


# -- downloads ---------------------------------------------------------------------------------


def _not_found(kind: str, ref: str) -> DomainError:
    if kind == INVOICE:
        return DomainError(
            "invoice_not_found", f"No invoice {ref[:40]} was found.", kind=ErrorKind.NOT_FOUND
        )
    return DomainError(
        "credit_note_not_found", f"No credit note {ref[:40]} was found.", kind=ErrorKind.NOT_FOUND
    )


def _render(document: Invoice | CreditNote) -> bytes:
    return render_document_pdf(document.content or {}, locale=get_settings().default_locale)


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
    return f"{invoice.number}.pdf", _render(invoice)


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
    return f"{note.number}.pdf", _render(note)


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
