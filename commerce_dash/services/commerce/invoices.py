"""Invoices and credit notes (issue 19): one numbered invoice per paid order, issued in the
transaction that completes it, and one credit note per paid refund, issued in the
transaction that settles it. The seller is ``invoice_seller.py``, the downloads
``invoice_downloads.py``.

Numbers are gap-free per kind and year (INV-2026-000001, CN-2026-000001): the year's counter
row is moved by one ``UPDATE ... RETURNING`` in the transaction that records the document, so
it stays locked until the commit (a row lock on PostgreSQL, the database's write lock on
SQLite) and a rolled-back issue gives its number back. ``invoice.order_id`` and
``credit_note.refund_request_id`` are unique: a duplicate completion finds the document
already there, and two racing ones end with one (the loser's savepoint is rolled back,
counter included).
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

from sqlalchemy import event, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm.attributes import flag_modified
from sqlmodel import Session, col, select

from commerce_dash.db import write_lock
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.invoices import (
    CREDIT_NOTE,
    INVOICE,
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
from commerce_dash.models.delivery import OutboxMessage
from commerce_dash.models.invoices import CreditNote, Invoice, InvoiceCounter
from commerce_dash.notify.message import Attachment
from commerce_dash.notify.outbox_email import AWAITING_ATTACHMENTS
from commerce_dash.services.commerce.invoice_pdf import render_document_pdf
from commerce_dash.services.commerce.invoice_seller import seller_details
from commerce_dash.services.commerce.order_receipts import number_of
from commerce_dash.services.commerce.tax import active_rules
from commerce_dash.settings import get_settings

# -- numbers -----------------------------------------------------------------------------------


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


# -- numbered at the commit (issue 20) ----------------------------------------------------------
#
# An invoice numbered at its transaction's commit, not when it is issued (issue 20).
#
# Invoice numbers are gap-free: the year's counter row is moved in the transaction that
# issues the invoice and stays locked until it commits. Issued in the middle of an order's
# completion, the invoice kept that one row locked through everything the completion does
# after it (the email, ledger, registrations and enrollments, the event row), so under load
# every completion waited for the one before it. Issued with ``number_at_commit``, the
# invoice is inserted with a provisional number (``PENDING-<order id>``, sequence ``-order
# id``: unique, never shown) and numbered by this module's ``before_commit`` hook: the counter
# is moved, the invoice gets its number and content, and the confirmation email queued in the
# same transaction gets the invoice PDF (rendered once the number is known), all just before
# the COMMIT. The lock is held for those few statements only; a rollback gives nothing back
# because nothing was taken.

_PENDING = "cd_invoices_to_number"
_HOOKED = "cd_invoice_numbering_hooked"
PROVISIONAL = "PENDING-"


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


def provisional(order_id: int) -> tuple[str, int]:
    """The placeholder number and sequence of an order's invoice until its commit."""
    return f"{PROVISIONAL}{order_id}", -order_id


def is_provisional(invoice: Invoice) -> bool:
    return invoice.number.startswith(PROVISIONAL)


def number_at_commit(session: OrmSession, invoice: Invoice, at: datetime) -> None:
    """Have ``invoice`` (inserted with a provisional number) numbered when ``session``
    commits."""
    session.info.setdefault(_PENDING, []).append((invoice, at))
    if not session.info.get(_HOOKED):
        session.info[_HOOKED] = True
        event.listen(session, "before_commit", _number_pending)
        event.listen(session, "after_soft_rollback", _forget_soft)


def _forget_soft(session: OrmSession, previous: Any) -> None:
    """A rollback of the whole transaction forgets what it issued (a savepoint's does not:
    the transaction goes on)."""
    if previous.parent is None:
        session.info.pop(_PENDING, None)
        session.info.pop(AWAITING_ATTACHMENTS, None)


def _number_pending(session: OrmSession) -> None:
    if session.in_nested_transaction():  # a savepoint's release: not the commit yet
        return
    pending: list[tuple[Invoice, datetime]] = session.info.pop(_PENDING, [])
    if not pending:
        return
    for invoice, at in pending:
        if not is_provisional(invoice):
            continue
        placeholder = f"{invoice.number}.pdf"
        sequence = next_number(session, INVOICE, invoice.year)  # type: ignore[arg-type]
        number = document_number(INVOICE, invoice.year, sequence)
        invoice.number = number
        invoice.sequence = sequence
        invoice.content = {**(invoice.content or {}), "number": number,
                           "issued_on": at.date().isoformat()}
        session.add(invoice)
        _attach(session, placeholder, f"{number}.pdf", invoice)
    session.info.pop(AWAITING_ATTACHMENTS, None)


def _attach(session: OrmSession, placeholder: str, filename: str, invoice: Invoice) -> None:
    """Put the numbered invoice's PDF into the emails of this transaction that carry its
    placeholder."""
    data: bytes | None = None
    for obj in session.info.get(AWAITING_ATTACHMENTS, []):
        if not isinstance(obj, OutboxMessage) or not obj.payload:
            continue
        attachments = obj.payload.get("attachments") or []
        if not any(a.get("filename") == placeholder for a in attachments):
            continue
        if data is None:
            data = render_document_pdf(invoice.content or {},
                                       locale=get_settings().default_locale)
        obj.payload = {**obj.payload, "attachments": [
            {"filename": filename, "content_type": a["content_type"],
             "data_base64": base64.b64encode(data).decode("ascii")}
            if a.get("filename") == placeholder else a for a in attachments]}
        flag_modified(obj, "payload")
        session.add(obj)


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
    number_at_commit: bool = False,
) -> Invoice:
    """The order's invoice, issued now in the caller's transaction if it has none yet.

    ``number_at_commit``: numbered (and its PDF put into the emails queued with it) just
    before the caller's commit instead of now, so the year's counter row is locked for a
    moment only (``invoice_numbering.py``); until then ``invoice.number`` is provisional."""
    assert order.id is not None
    write_lock(session)  # SQLite: the check, the savepoint and the number in one write
    existing = session.exec(select(Invoice).where(Invoice.order_id == order.id)).first()
    if existing is not None:
        return existing
    at = at or utcnow()
    content = invoice_content(
        session, order, lines if lines is not None else _order_lines(session, order)
    )
    if number_at_commit:
        return _provisional(session, order, at, content)
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


def _provisional(session: Session, order: Order, at: datetime, content: dict[str, Any]
                 ) -> Invoice:
    """The invoice inserted with its provisional number, to be numbered at the commit; the
    one another transaction issued first when the unique order id says so."""
    assert order.id is not None
    number, sequence = provisional(order.id)
    session.flush()  # the caller's own changes fail (or not) outside the savepoint
    invoice = Invoice(number=number, year=at.year, sequence=sequence, issued_at=at,
                      content=content, order_id=order.id, user_id=order.user_id,
                      currency=order.currency, total=order.total)
    try:
        with session.begin_nested():
            session.add(invoice)
            session.flush()
    except IntegrityError:
        return session.exec(select(Invoice).where(Invoice.order_id == order.id)).one()
    number_at_commit(session, invoice, at)
    return invoice


def invoice_attachment(invoice: Invoice) -> Attachment:
    """The invoice PDF as an email attachment (an invoice still to be numbered at the
    commit: a placeholder the numbering fills with the PDF)."""
    if is_provisional(invoice):
        return Attachment(f"{invoice.number}.pdf", "application/pdf", b"")
    return Attachment(f"{invoice.number}.pdf", "application/pdf", render_document(invoice))


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


def render_document(document: Invoice | CreditNote) -> bytes:
    return render_document_pdf(document.content or {}, locale=get_settings().default_locale)
