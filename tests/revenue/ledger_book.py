"""Builders for revenue tests: orders with one line each and ledger rows with known amounts,
written directly (the ledger writer is tested elsewhere)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import count

from sqlmodel import Session

from commerce_dash.models.catalog import Course
from commerce_dash.models.commerce import Order, OrderLine, Payment, RefundRequest
from commerce_dash.models.revenue import LedgerEntry

_serial = count(1)


def at(day: str, hour: int = 12) -> datetime:
    """An aware UTC time on ``day`` ("2026-11-05")."""
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


def make_order(
    session: Session, user_id: int, course: Course, total: int, *, status: str = "completed",
    completed_at: datetime | None = None, currency: str = "USD",
) -> tuple[Order, OrderLine]:
    n = next(_serial)
    order = Order(
        user_id=user_id, status=status, payment_status="succeeded" if status != "pending"
        else "pending", currency=currency, subtotal=total, total=total,
        display_currency=currency, display_total=total, idempotency_key=f"rev-{n}",
        request_hash="x" * 64, prices_locked_until=completed_at or at("2026-11-01"),
        completed_at=completed_at if status != "pending" else None,
        created_at=completed_at or at("2026-11-01"),
    )
    session.add(order)
    session.flush()
    assert order.id is not None and course.id is not None
    line = OrderLine(
        order_id=order.id, item_type="course", item_id=course.id,
        department_id=course.department_id, title=course.title, list_amount=total,
        total=total, currency=currency,
    )
    session.add(line)
    session.flush()
    return order, line


def pay(session: Session, order: Order, amount: int, processed_at: datetime,
        status: str = "succeeded") -> Payment:
    assert order.id is not None
    payment = Payment(order_id=order.id, user_id=order.user_id, processor="sandbox",
                      intent_id=f"pi_{order.id}", amount=amount, currency=order.currency,
                      status=status, processed_at=processed_at)
    session.add(payment)
    session.flush()
    return payment


def refund_request(session: Session, order: Order, amount: int, refunded_at: datetime
                   ) -> RefundRequest:
    assert order.id is not None
    request = RefundRequest(order_id=order.id, user_id=order.user_id, amount=amount,
                            currency=order.currency, reason="Changed my mind", source="learner",
                            status="refunded", approved_amount=amount, refunded_at=refunded_at)
    session.add(request)
    session.flush()
    return request


@dataclass(frozen=True)
class Split:
    platform_bps: int
    creator_bps: int
    instructor_bps: int


def entry(
    session: Session, order: Order, line: OrderLine, course: Course, *, when: datetime,
    gross: int, tax: int, fee: int, parts: tuple[int, int, int], split: Split,
    reversal_of: RefundRequest | None = None, currency: str = "USD",
) -> LedgerEntry:
    """One ledger row; ``parts`` (platform, creator, instructor) are hand-computed and must sum
    to gross - fee."""
    assert sum(parts) == gross - fee
    assert order.id is not None and line.id is not None and course.id is not None
    row = LedgerEntry(
        dedupe_key=f"test:{next(_serial)}",
        entry_type="reversal" if reversal_of is not None else "sale",
        order_id=order.id, order_line_id=line.id,
        refund_request_id=reversal_of.id if reversal_of is not None else None,
        course_id=course.id, department_id=course.department_id, learner_id=order.user_id,
        instructor_id=course.instructor_id, creator_id=course.content_creator_id,
        currency=currency, gross=gross, tax=tax, processor_fee=fee, net=gross - fee,
        platform_bps=split.platform_bps, creator_bps=split.creator_bps,
        instructor_bps=split.instructor_bps, platform_amount=parts[0], creator_amount=parts[1],
        instructor_amount=parts[2], recorded_at=when,
    )
    session.add(row)
    session.flush()
    return row
