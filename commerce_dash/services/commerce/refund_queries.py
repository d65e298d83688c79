"""Reading refunds: the billing admins' queue (filtered and paged in SQL), the counts per
status, an order's refund requests, and what is left to refund for the request form.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, or_
from sqlmodel import Session, col, select

from commerce_dash.domain.actor import Actor, require_section
from commerce_dash.domain.errors import DomainError
from commerce_dash.domain.orders import order_number
from commerce_dash.domain.paging import Page, PageRequest
from commerce_dash.domain.refunds import LABELS, RefundStatus
from commerce_dash.models.accounts import User
from commerce_dash.models.commerce import Order, OrderLine, RefundRequest
from commerce_dash.services.catalog import like_pattern
from commerce_dash.services.commerce.refund_amounts import (
    SECTION,
    credit_lines,
    money_label,
    order_for_actor,
    refundable,
    refundable_by_line,
)
from commerce_dash.services.learning import progress_summary


@dataclass(frozen=True)
class RefundRow:
    id: int
    order_number: str
    learner: str
    email: str
    amount: int
    approved_amount: int | None
    amount_label: str
    currency: str
    reason: str
    source: str
    status: str
    status_label: str
    created_at: datetime
    decided_by: str
    decision_reason: str
    last_error: str
    items: str  # "Course A ($50.00), Course B" – what the request covers
    progress: str  # the learner's progress in the courses concerned


def _rows(session: Session, found: Sequence[tuple[RefundRequest, str, str, Order]]
          ) -> list[RefundRow]:
    deciders = {u.id: u.email for u in session.exec(select(User).where(col(User.id).in_(
        {r.decided_by_id for r, *_ in found if r.decided_by_id} or {0})))}
    return [_row(session, r, name, email, order, deciders) for r, name, email, order in found]


def _row(session: Session, r: RefundRequest, name: str, email: str, order: Order,
         deciders: dict[int | None, str]) -> RefundRow:
    line_ids = [int(i["order_line_id"]) for i in r.lines or []] or [
        line_id for line_id in session.exec(select(OrderLine.id).where(
            OrderLine.order_id == order.id)).all() if line_id is not None]
    lines = session.exec(select(OrderLine).where(col(OrderLine.id).in_(line_ids or {0}))).all()
    amounts = {int(i["order_line_id"]): int(i["amount"]) for i in r.lines or []}
    items = ", ".join(f"{line.title} ({money_label(amounts[line.id], r.currency)})"
                      if line.id in amounts else line.title for line in lines)
    shown = r.approved_amount if r.approved_amount is not None else r.amount
    return RefundRow(
        r.id or 0, order_number(order.id or 0, order.created_at), name, email, r.amount,
        r.approved_amount, money_label(shown, r.currency), r.currency, r.reason, r.source, r.status,
        LABELS[RefundStatus(r.status)], r.created_at, deciders.get(r.decided_by_id, ""),
        r.decision_reason, r.last_error, items,
        progress_summary(session=session, user_id=r.user_id, line_ids=[ln.id or 0 for ln in lines]),
    )


def _query():  # type: ignore[no-untyped-def]
    return (select(RefundRequest, User.full_name, User.email, Order)
            .join(User, col(User.id) == RefundRequest.user_id)
            .join(Order, col(Order.id) == RefundRequest.order_id))


def list_queue(*, session: Session, actor: Actor | None, page: PageRequest,
               status: str = "requested", learner: str = "", source: str = "",
               date_from: datetime | None = None, date_to: datetime | None = None,
               ) -> Page[RefundRow]:
    """Refund requests oldest first (the queue), filtered and paged in SQL."""
    require_section(actor, SECTION)
    conditions: list[ColumnElement[bool]] = []
    if status and status != "any":
        if status not in RefundStatus._value2member_map_:
            raise DomainError("invalid_status", "Choose a refund status.", field="status")
        conditions.append(col(RefundRequest.status) == status)
    if source:
        conditions.append(col(RefundRequest.source) == source)
    if date_from is not None:
        conditions.append(col(RefundRequest.created_at) >= date_from)
    if date_to is not None:
        conditions.append(col(RefundRequest.created_at) < date_to)
    pattern = like_pattern(learner)
    if pattern:
        conditions.append(or_(col(User.email).ilike(pattern, escape="\\"),
                              col(User.full_name).ilike(pattern, escape="\\")))
    query = _query().where(*conditions)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    found = session.exec(query.order_by(col(RefundRequest.created_at), col(RefundRequest.id))
                         .offset(page.offset).limit(page.page_size)).all()
    return Page(_rows(session, list(found)), int(total), page.page, page.page_size)


def counts(*, session: Session) -> dict[str, int]:
    return {status: int(n) for status, n in session.exec(
        select(RefundRequest.status, func.count()).group_by(col(RefundRequest.status))).all()}


def for_order(*, session: Session, actor: Actor | None, number: str) -> list[RefundRow]:
    """The refund requests of an order, for its owner or a billing admin."""
    order, _admin = order_for_actor(session, actor, number)
    found = session.exec(_query().where(RefundRequest.order_id == order.id)
                         .order_by(col(RefundRequest.created_at))).all()
    return _rows(session, list(found))


@dataclass(frozen=True)
class RefundableLine:
    id: int
    title: str
    paid: int
    left: int  # what may still be refunded of it (a credit pack: not its used credits)
    note: str = ""  # "1 of 4 credits used: not refundable"; "" when nothing to say


def refund_options(*, session: Session, actor: Actor | None, number: str
                   ) -> tuple[int, list[RefundableLine]]:
    """(what is left to refund, the lines with what is left on each) for the request form."""
    order, _admin = order_for_actor(session, actor, number)
    left = refundable_by_line(session, order)
    credits = credit_lines(session, order)
    lines = session.exec(select(OrderLine).where(OrderLine.order_id == order.id)
                         .order_by(col(OrderLine.position))).all()
    total = refundable(session, order)
    if any(c.used for c in credits.values()):  # a pack's used credits stay out of it
        total = min(total, sum(refundable_by_line(session, order, promised=True).values()))
    return total, [RefundableLine(ln.id or 0, ln.title, ln.total, left.get(ln.id or 0, 0),
                                  credits[ln.id].note if ln.id in credits else "")
                   for ln in lines]

