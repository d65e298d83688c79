"""The revenue ledger: sale entries when an order completes, reversal entries when a refund is
paid, revenue-share rules, and the backfill of orders completed before the ledger existed.

A course or program line writes one sale entry per course behind it; a subscription line (a
paid subscription invoice) and a credit-pack line (session credits sold alone) write one entry
without a course: the revenue of the line's department, split by the department's rule, with
no creator or instructor. A course sold with bonus credits (a "package") is a course line.

Entries are written once (a unique ``dedupe_key``) and never changed; each is also sent to the
payout platform through the outbox when one is configured (see ``services/payouts.py``).

This module holds the entries and is the ledger's public face: revenue-share rules
(``share_rules.py``) are re-exported, so callers import them from here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.ledger import (
    Amounts,
    Shares,
    processor_fee,
    reversal,
    sale_amounts,
    scale,
    split_line,
)
from commerce_dash.domain.money import allocate
from commerce_dash.models.catalog import Course, ProgramCourse
from commerce_dash.models.commerce import Order, OrderLine, Payment, RefundRequest
from commerce_dash.models.revenue import LedgerEntry
from commerce_dash.services.catalog import course_prices_in_force
from commerce_dash.services.platform import department_parents
from commerce_dash.services.revenue.payouts import queue_entry
from commerce_dash.services.revenue.share_rules import (
    department_shares,
    list_share_rules,
    set_share_rule,
    shares_for,
)
from commerce_dash.settings import get_settings

SUBSCRIPTION = "subscription"  # the item type of a paid subscription invoice's order line
CREDIT_PACK = "credit_pack"  # the item type of a credit pack's order line
# lines that sell no course: one sale entry of the line's department
_DEPARTMENT_LINES = (SUBSCRIPTION, CREDIT_PACK)

__all__ = [
    "backfill",
    "course_list_shares",
    "course_shares",
    "department_shares",
    "list_share_rules",
    "record_dispute_fee",
    "record_order",
    "record_refund",
    "sale_of",
    "set_share_rule",
    "shares_for",
]


# -- sales -----------------------------------------------------------------------------------


def _line_courses(session: Session, order: Order, line: OrderLine) -> list[tuple[Course, int]]:
    """(course, weight) of a line: a course line is itself; a program line is the courses it
    sold (not those the learner already owned) weighted by their prices when the order was
    placed."""
    if line.item_type == "course":
        course = session.get(Course, line.item_id)
        return [(course, 1)] if course is not None else []
    if line.item_type != "program":
        return []  # a subscription or credit-pack line sells no course
    owned = set(line.owned_course_ids or ())
    course_ids = [c for c in session.exec(select(ProgramCourse.course_id).where(
        ProgramCourse.program_id == line.item_id).order_by(col(ProgramCourse.position))).all()
        if c not in owned]
    prices = course_prices_in_force(session=session, course_ids=course_ids,
                                    currency=line.currency, at=order.created_at)
    courses = [session.get(Course, c) for c in course_ids]
    return [(c, prices.get(c.id or 0, 0)) for c in courses if c is not None]


def course_shares(session: Session, order: Order, line: OrderLine
                  ) -> list[tuple[Course, int, int]]:
    """(course, gross, tax) of each course behind a line: its amount less discount and its
    tax, each split by the courses' prices. Registrations take gross + tax as their share,
    so a refund of one course reverses exactly its ledger entry."""
    courses = _line_courses(session, order, line)
    if not courses:
        return []
    weights = [w for _, w in courses]
    grosses = split_line(line.list_amount - line.discount_amount, weights)
    taxes = split_line(line.tax_amount, weights)
    return [(c, g, t) for (c, _), g, t in zip(courses, grosses, taxes, strict=True)]


def course_list_shares(session: Session, order: Order, line: OrderLine) -> dict[int, int]:
    """Each course's share of the line's list amount (before its discount), split by the
    courses' prices like :func:`course_shares`."""
    courses = _line_courses(session, order, line)
    if not courses:
        return {}
    parts = split_line(line.list_amount, [w for _, w in courses])
    return {c.id or 0: part for (c, _), part in zip(courses, parts, strict=True)}


def _line_parts(session: Session, order: Order, line: OrderLine
                ) -> list[tuple[Course | None, int, int]]:
    """(course, gross, tax) of what a line sold: :func:`course_shares` for a course or program
    line; one part without a course for a subscription or credit-pack line (its department's
    revenue)."""
    if line.item_type in _DEPARTMENT_LINES:
        return [(None, line.list_amount - line.discount_amount, line.tax_amount)]
    return [(c, g, t) for c, g, t in course_shares(session, order, line)]


def _part_key(line: OrderLine, course: Course | None) -> str:
    """The part of a line a sale entry is of, in its dedupe key (a line without a course: its
    item type, ``subscription`` or ``credit_pack``)."""
    return line.item_type if course is None else str(course.id)


def sale_of(session: Session, order_line_id: int, course_id: int) -> LedgerEntry | None:
    """The sale entry of one course of an order line."""
    return session.exec(select(LedgerEntry).where(
        LedgerEntry.dedupe_key == f"sale:{order_line_id}:{course_id}")).first()


def _transaction_id(session: Session, order: Order) -> str:
    payment = session.exec(select(Payment).where(Payment.order_id == order.id)).first()
    return (payment.intent_id or "") if payment is not None else ""


def record_order(session: Session, order: Order, lines: Sequence[OrderLine]) -> int:
    """Write the sale entries of a completed order (caller's transaction); 0 if present.

    Each line's amount (less discount) and tax are split over its courses, the order's
    processor fee over every course share by what was paid for it, and each net into the
    platform, creator and instructor shares of the course's rule.
    """
    assert order.id is not None
    if session.exec(select(LedgerEntry.id).where(LedgerEntry.order_id == order.id,
                                                 LedgerEntry.entry_type == "sale")).first():
        return 0
    parts = [(line, course, gross, tax) for line in lines
             for course, gross, tax in _line_parts(session, order, line)]
    if not parts:
        return 0
    currency = order.settlement_currency or order.currency
    if currency != order.currency:
        # charged in another currency (ADR-003): the settlement worth recorded at checkout is
        # spread over every course's amount and tax, exactly
        flat = [v for _, _, gross, tax in parts for v in (gross, tax)]
        worth = (allocate(order.settlement_total, flat) if sum(flat) > 0
                 else [0] * len(flat))
        parts = [(line, course, worth[2 * i], worth[2 * i + 1])
                 for i, (line, course, _, _) in enumerate(parts)]
    paid = [g + t for _, _, g, t in parts]
    fee, fee_source = _order_fee(session, order, sum(paid))
    fees = allocate(fee, paid) if sum(paid) > 0 else [0] * len(parts)
    parents = department_parents(session=session)
    transaction = _transaction_id(session, order)
    at = order.completed_at or utcnow()
    for (line, course, gross, tax), line_fee in zip(parts, fees, strict=True):
        shares = (shares_for(session, course, parents) if course is not None
                  else department_shares(session, line.department_id, parents))
        amounts = sale_amounts(gross, tax, line_fee, shares)
        entry = _entry(order, line, course, amounts, shares, at, transaction,
                       dedupe=f"sale:{line.id}:{_part_key(line, course)}", entry_type="sale",
                       currency=currency)
        entry.fee_source = fee_source
        session.add(entry)
        session.flush()
        queue_entry(session, entry)
    return len(parts)


def _order_fee(session: Session, order: Order, paid: int) -> tuple[int, str]:
    """The processor fee of an order and where it came from: the fee its processor reported
    for the charge (in the charged currency, carried into the settlement currency by the
    order's own settlement worth), else the settings' estimate on what was paid."""
    reported = session.exec(select(Payment.processor_fee).where(
        Payment.order_id == order.id)).first()
    if reported is None:
        settings = get_settings()
        return processor_fee(paid, settings.processor_fee_bps,
                             settings.processor_fee_fixed), "estimate"
    if order.settlement_currency and order.settlement_currency != order.currency \
            and order.total > 0:
        reported = scale(reported, order.settlement_total, order.total)
    return min(reported, paid), "processor"


def _entry(order: Order, line: OrderLine, course: Course | None, amounts: Amounts,
           shares: Shares, at: Any, transaction: str, *, dedupe: str, entry_type: str, currency: str,
           refund_request_id: int | None = None, reverses_id: int | None = None) -> LedgerEntry:
    return LedgerEntry(
        dedupe_key=dedupe, entry_type=entry_type, order_id=order.id or 0,
        order_line_id=line.id or 0, refund_request_id=refund_request_id,
        reverses_id=reverses_id, transaction_id=transaction[:100],
        course_id=course.id if course is not None else None,
        department_id=course.department_id if course is not None else line.department_id,
        learner_id=order.user_id,
        instructor_id=course.instructor_id if course is not None else None,
        creator_id=course.content_creator_id if course is not None else None,
        currency=currency, gross=amounts.gross, tax=amounts.tax,
        processor_fee=amounts.processor_fee, net=amounts.net,
        platform_bps=shares.platform_bps, creator_bps=shares.creator_bps,
        instructor_bps=shares.instructor_bps, platform_amount=amounts.platform,
        creator_amount=amounts.creator, instructor_amount=amounts.instructor, recorded_at=at,
    )


# -- reversals -------------------------------------------------------------------------------


def _amounts(entry: LedgerEntry) -> Amounts:
    return Amounts(entry.gross, entry.tax, entry.processor_fee, entry.platform_amount,
                   entry.creator_amount, entry.instructor_amount)


def _reversed_so_far(session: Session, sale_id: int) -> int:
    """What has been reversed of a sale entry so far, as a positive gross+tax."""
    total = session.exec(select(func.coalesce(func.sum(LedgerEntry.gross + LedgerEntry.tax), 0))
                         .where(LedgerEntry.reverses_id == sale_id)).one()
    return -int(total)


def record_refund(session: Session, request: RefundRequest,
                  allocation: Sequence[dict[str, Any]], final_lines: frozenset[int] = frozenset()
                  ) -> int:
    """Reversal entries for a paid refund (caller's transaction); returns what they reverse,
    gross + tax in the settlement currency, as a positive amount.

    ``allocation`` is the request's final lines: ``{"order_line_id", "amount"}`` and, to
    target one course of a program line, ``"course_id"``. A line's amount is spread over its
    course entries by what is left of each, so reversals never exceed what was recorded. An
    order charged in another currency is reversed in settlement in proportion, and a line
    refunded to the end (``final_lines``) reverses all that is left of it.
    """
    assert request.id is not None
    order = session.get(Order, request.order_id)
    assert order is not None
    reversed_total = 0
    fee_kept = order.processor in get_settings().refund_fee_kept_by
    for item in allocation:
        line = session.get(OrderLine, int(item["order_line_id"]))
        if line is None:
            continue
        sales = list(session.exec(select(LedgerEntry).where(
            LedgerEntry.order_line_id == line.id, LedgerEntry.entry_type == "sale")
            .order_by(col(LedgerEntry.id))).all())
        if item.get("course_id") is not None:
            sales = [s for s in sales if s.course_id == int(item["course_id"])]
        if not sales:
            continue
        left = [s.gross + s.tax - _reversed_so_far(session, s.id or 0) for s in sales]
        if sum(left) <= 0:
            continue
        amount = _settlement_piece(session, order, line, sales, left, int(item["amount"]),
                                   item.get("course_id"), final=line.id in final_lines)
        if amount <= 0:
            continue
        reversed_total += amount
        pieces = allocate(amount, left)
        for sale, piece, before in zip(sales, pieces, left, strict=True):
            if piece <= 0:
                continue
            refunded_before = sale.gross + sale.tax - before
            amounts = reversal(_amounts(sale), refunded_before, piece, fee_kept=fee_kept)
            shares = Shares(sale.platform_bps, sale.creator_bps, sale.instructor_bps)
            # who and what the reversal is of are the sale's, copied below (a subscription's
            # sale has no course)
            entry = _entry(order, line, None, amounts, shares, utcnow(),
                           sale.transaction_id, dedupe=f"reversal:{request.id}:{sale.id}",
                           entry_type="reversal", currency=sale.currency,
                           refund_request_id=request.id, reverses_id=sale.id)
            entry.course_id, entry.fee_source = sale.course_id, sale.fee_source
            entry.learner_id, entry.department_id = sale.learner_id, sale.department_id
            entry.instructor_id, entry.creator_id = sale.instructor_id, sale.creator_id
            session.add(entry)
            session.flush()
            queue_entry(session, entry, reason=request.reason,
                        full=refunded_before + piece == sale.gross + sale.tax)
    return reversed_total


def _settlement_piece(session: Session, order: Order, line: OrderLine,
                      sales: Sequence[LedgerEntry], left: Sequence[int], amount: int,
                      course_id: Any, *, final: bool) -> int:
    """What ``amount`` (order currency) of a line, or of one course of it, reverses in the
    settlement currency of its sale entries: itself when the two are one; else its share of
    what those entries recorded, or all that is left when the line (or course) is refunded
    to the end."""
    cap = sum(left)
    if (order.settlement_currency or order.currency) == order.currency:
        return min(amount, cap)
    whole = line.total
    if course_id is not None:
        whole = next((gross + tax for course, gross, tax in course_shares(session, order, line)
                      if course.id == int(course_id)), line.total)
    if final or amount >= whole or whole <= 0:
        return cap
    return min(cap, scale(sum(s.gross + s.tax for s in sales), amount, whole))


def record_dispute_fee(session: Session, order: Order, fee: int, dispute_id: str) -> int:
    """The processor's fee for a lost chargeback: the platform bears it (caller's transaction;
    once per dispute). It is entered against the order's first sale, as a cost: no gross, the
    fee, a negative net that is all the platform's. Not sent to the payout platform."""
    if fee <= 0:
        return 0
    sale = session.exec(select(LedgerEntry).where(
        LedgerEntry.order_id == order.id, LedgerEntry.entry_type == "sale")
        .order_by(col(LedgerEntry.id))).first()
    dedupe = f"dispute-fee:{order.id}:{dispute_id}"[:80]
    if sale is None or session.exec(select(LedgerEntry.id).where(
            LedgerEntry.dedupe_key == dedupe)).first() is not None:
        return 0
    session.add(LedgerEntry(
        dedupe_key=dedupe, entry_type="dispute_fee", order_id=order.id or 0,
        order_line_id=sale.order_line_id, transaction_id=sale.transaction_id,
        course_id=sale.course_id, department_id=sale.department_id, learner_id=sale.learner_id,
        instructor_id=sale.instructor_id, creator_id=sale.creator_id, currency=sale.currency,
        gross=0, tax=0, processor_fee=fee, net=-fee, platform_bps=sale.platform_bps,
        creator_bps=sale.creator_bps, instructor_bps=sale.instructor_bps,
        platform_amount=-fee, creator_amount=0, instructor_amount=0, recorded_at=utcnow(),
    ))
    return 1


# -- backfill --------------------------------------------------------------------------------


def backfill(*, session: Session, batch: int = 500) -> int:
    """Sale entries for completed orders that have none (orders from before the ledger);
    safe to run again. Commits per batch; returns the number of orders recorded."""
    done, last_id = 0, 0
    while True:
        recorded = select(LedgerEntry.order_id).where(LedgerEntry.entry_type == "sale")
        orders = session.exec(
            select(Order).where(col(Order.status).in_(("completed", "refunded",
                                                       "partially_refunded")),
                                col(Order.id) > last_id, col(Order.id).not_in(recorded))
            .order_by(col(Order.id)).limit(batch)).all()
        if not orders:
            return done
        for order in orders:
            lines = session.exec(select(OrderLine).where(OrderLine.order_id == order.id)
                                 .order_by(col(OrderLine.position))).all()
            done += 1 if record_order(session, order, lines) else 0
        last_id = orders[-1].id or last_id
        session.commit()
