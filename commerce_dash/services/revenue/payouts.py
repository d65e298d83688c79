"""The payout platform connector (spec 001 "Payout Platform Connector"): every ledger entry is
sent once as ``payment.completed`` (a sale) or ``refund.issued`` (a reversal) through the
outbox, signed like every connector webhook and retried with backoff until it is accepted.

An entry is *synced* when its message was delivered, *pending* while it waits or retries,
*dead* when it ran out of attempts (System → Outbox can replay it), and *not sent* while no
payout platform is configured; the payout_sync job queues those once one is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import String, cast, func, literal
from sqlmodel import Session, col, select

from commerce_dash.connectors.webhooks import queue_webhook
from commerce_dash.domain.actor import Actor
from commerce_dash.domain.paging import Page, PageRequest
from commerce_dash.models.accounts import User
from commerce_dash.models.catalog import Course, Department
from commerce_dash.models.commerce import Order
from commerce_dash.models.delivery import OutboxMessage
from commerce_dash.models.revenue import LedgerEntry
from commerce_dash.outbox import hold, release
from commerce_dash.services.platform import managed_departments
from commerce_dash.settings import get_settings

EVENTS = {"sale": "payment.completed", "reversal": "refund.issued"}


def dedupe_key(entry_id: int) -> str:
    return f"payout:{entry_id}"


def order_item_id(entry: LedgerEntry) -> str:
    """The order item as the LMS and the payout platform know it: line and course (line and
    ``subscription`` for a subscription invoice, which has no course)."""
    part = "subscription" if entry.course_id is None else entry.course_id
    return f"{entry.order_line_id}:{part}"


def subscription_label(department_name: str) -> str:
    """What a department's subscription revenue is called where a course name would be."""
    return f"{department_name} subscriptions"


def _item(session: Session, entry: LedgerEntry) -> dict[str, str]:
    """The course of a sale's payload; for a subscription (no course): no course id, the
    department's subscriptions as its name, and no creator or instructor to pay."""
    if entry.course_id is None:
        department = session.get(Department, entry.department_id)
        return {"itemType": "subscription", "courseId": "",
                "courseName": subscription_label(department.name) if department else "",
                "departmentId": str(entry.department_id)}
    course = session.get(Course, entry.course_id)
    return {"courseId": (course.lms_id or course.code) if course else str(entry.course_id),
            "courseName": course.title if course else ""}


def payload_of(session: Session, entry: LedgerEntry, *, reason: str = "",
               full: bool = False) -> dict[str, Any]:
    """The spec's RevenueRecordedPayload / RefundIssuedPayload for an entry."""
    if entry.entry_type == "reversal":
        return {"source": "commerce-platform", "event": "refund.issued", "payload": {
            "orderId": str(entry.order_id), "orderItemId": order_item_id(entry),
            "refundAmount": -(entry.gross + entry.tax), "fullRefund": full,
            "refundedAt": entry.recorded_at.isoformat(), "reason": reason,
            "ledgerEntryId": str(entry.id), "currency": entry.currency,
            "netReversed": -entry.net,
        }}
    learner = session.get(User, entry.learner_id)
    return {"source": "commerce-platform", "event": "payment.completed", "payload": {
        "orderId": str(entry.order_id), "orderItemId": order_item_id(entry),
        "transactionId": entry.transaction_id, **_item(session, entry),
        "learnerId": str(entry.learner_id), "learnerName": learner.full_name if learner else "",
        "instructorId": str(entry.instructor_id or ""),
        "contentCreatorId": str(entry.creator_id or ""),
        "grossAmount": entry.gross, "processorFee": entry.processor_fee,
        "netAmount": entry.net, "currency": entry.currency,
        "paidAt": entry.recorded_at.isoformat(), "ledgerEntryId": str(entry.id),
        "breakdown": {"platformAmount": entry.platform_amount,
                      "platformShare": entry.platform_bps / 10_000,
                      "creatorAmount": entry.creator_amount,
                      "creatorShare": entry.creator_bps / 10_000,
                      "instructorAmount": entry.instructor_amount,
                      "instructorShare": entry.instructor_bps / 10_000},
    }}


def _key_of_entry():  # type: ignore[no-untyped-def]
    """``dedupe_key`` in SQL (``||`` works on SQLite and Postgres alike)."""
    return literal("payout:") + cast(LedgerEntry.id, String)


def queue_entry(session: Session, entry: LedgerEntry, *, reason: str = "",
                full: bool = False) -> bool:
    """Queue the entry for the payout platform in the caller's transaction (once)."""
    settings = get_settings()
    if not settings.payout_enabled or entry.id is None or entry.entry_type not in EVENTS:
        return False
    return queue_webhook(
        session=session, connector_key_id=settings.payout_connector_key,
        url=settings.payout_webhook_url, event=EVENTS[entry.entry_type],
        body=payload_of(session, entry, reason=reason, full=full),
        dedupe_key=dedupe_key(entry.id),
    ) is not None


def _order_keys(session: Session, order_id: int) -> list[str]:
    return [dedupe_key(entry_id) for entry_id in session.exec(select(LedgerEntry.id).where(
        LedgerEntry.order_id == order_id,
        col(LedgerEntry.entry_type).in_(EVENTS))).all() if entry_id is not None]


def hold_order(session: Session, order_id: int) -> int:
    """A disputed order's entries wait for the dispute to close before they are paid out."""
    return hold(session=session, dedupe_keys=_order_keys(session, order_id))


def release_order(session: Session, order_id: int) -> int:
    """The dispute closed: the order's held entries (and a lost one's reversals) go out."""
    return release(session=session, dedupe_keys=_order_keys(session, order_id))


def sync_unsent(*, session: Session, limit: int = 500) -> int:
    """Queue entries that have no payout message yet (recorded while no platform was
    configured, or by the backfill); commits. Returns how many were queued."""
    if not get_settings().payout_enabled:
        return 0
    sent_keys = select(OutboxMessage.dedupe_key).where(
        col(OutboxMessage.dedupe_key).startswith("payout:"))
    disputed = select(Order.id).where(Order.status == "disputed")
    entries = session.exec(
        select(LedgerEntry).where(
            _key_of_entry().not_in(sent_keys), col(LedgerEntry.entry_type).in_(EVENTS),
            col(LedgerEntry.order_id).not_in(disputed),
        ).order_by(col(LedgerEntry.id)).limit(limit)).all()
    queued = 0
    for entry in entries:
        full = False
        if entry.entry_type == "reversal" and entry.reverses_id is not None:
            sale = session.get(LedgerEntry, entry.reverses_id)
            reversed_total = session.exec(
                select(func.coalesce(func.sum(LedgerEntry.gross + LedgerEntry.tax), 0))
                .where(LedgerEntry.reverses_id == entry.reverses_id,
                       col(LedgerEntry.id) <= entry.id)).one()
            full = sale is not None and -int(reversed_total) == sale.gross + sale.tax
        queued += queue_entry(session, entry, full=full)
    session.commit()
    return queued


@dataclass(frozen=True)
class PayoutCounts:
    configured: bool
    not_sent: int
    pending: int
    synced: int
    dead: int
    held: int = 0  # waiting for a disputed order's chargeback to close


@dataclass(frozen=True)
class PayoutRow:
    entry_id: int
    event: str
    order_item: str
    course: str
    amount: int
    currency: str
    recorded_at: str
    status: str  # not_sent | pending | synced | dead
    attempts: int
    last_error: str
    message_id: int | None


_STATUS = {"pending": "pending", "sending": "pending", "sent": "synced", "dead": "dead",
           "discarded": "dead", "held": "held"}


def _scoped(actor: Actor | None, session: Session):  # type: ignore[no-untyped-def]
    scope = managed_departments(session=session, actor=actor, section="revenue")
    # a subscription's entry has no course: its row is named after its department
    query = (select(LedgerEntry, OutboxMessage, Course.code, Department.name)
             .outerjoin(OutboxMessage, col(OutboxMessage.dedupe_key) == _key_of_entry())
             .outerjoin(Course, col(Course.id) == LedgerEntry.course_id)
             .join(Department, col(Department.id) == LedgerEntry.department_id))
    if scope is not None:
        query = query.where(col(LedgerEntry.department_id).in_(scope or {0}))
    return query


def payout_status(*, session: Session, actor: Actor | None, page: PageRequest,
                  status: str = "") -> tuple[PayoutCounts, Page[PayoutRow]]:
    """Counts by sync status and one page of entries (newest first)."""
    query = _scoped(actor, session)
    counts = {"not_sent": 0, "pending": 0, "synced": 0, "dead": 0, "held": 0}
    sub = query.with_only_columns(col(OutboxMessage.status)).subquery()
    for raw, n in session.exec(select(sub.c.status, func.count()).group_by(sub.c.status)):
        counts[_STATUS.get(raw or "", "not_sent") if raw else "not_sent"] += int(n)
    if status == "not_sent":
        query = query.where(col(OutboxMessage.id).is_(None))
    elif status == "synced":
        query = query.where(col(OutboxMessage.status) == "sent")
    elif status == "pending":
        query = query.where(col(OutboxMessage.status).in_(("pending", "sending")))
    elif status == "dead":
        query = query.where(col(OutboxMessage.status).in_(("dead", "discarded")))
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(query.order_by(col(LedgerEntry.id).desc())
                        .offset(page.offset).limit(page.page_size)).all()
    items = [
        PayoutRow(e.id or 0, EVENTS[e.entry_type], order_item_id(e),
                  code if code is not None else subscription_label(department),
                  e.gross + e.tax if e.entry_type == "sale" else -(e.gross + e.tax),
                  e.currency, f"{e.recorded_at:%Y-%m-%d %H:%M}",
                  _STATUS.get(m.status, "pending") if m else "not_sent",
                  m.attempts if m else 0, (m.last_error or "")[:200] if m else "",
                  m.id if m else None)
        for e, m, code, department in rows
    ]
    return (PayoutCounts(get_settings().payout_enabled, **counts),
            Page(items, int(total), page.page, page.page_size))
