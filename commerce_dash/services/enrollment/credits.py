"""Session credits (issue 17): granted by a completed order whose prices carry them, one row a
credit; used by a booking, given back by a cancellation before the cut-off, revoked with the
refund of their order line. Read by the learner ("My schedule": what is left and when it
expires).

Granting is idempotent whatever the webhooks do: each credit has a dedupe key (order line,
kind, number) and is inserted with ``ON CONFLICT DO NOTHING`` (SQLite and PostgreSQL), so
two deliveries of the same order at once still grant each credit once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from commerce_dash.db import for_update
from commerce_dash.domain.actor import Actor
from commerce_dash.domain.clock import ensure_utc, utcnow
from commerce_dash.domain.orders import order_number
from commerce_dash.domain.sessions import (
    Credit,
    CreditKind,
    credit_expiry,
    credit_returned,
    pick_credit,
)
from commerce_dash.models.catalog import Department
from commerce_dash.models.commerce import Order, OrderLine
from commerce_dash.models.pricing import Price
from commerce_dash.models.sessions import Booking, LiveSession, SessionCredit
from commerce_dash.services.platform import record_audit
from commerce_dash.settings import get_settings

__all__ = [
    "CreditCount",
    "CreditRow",
    "credit_counts",
    "grant_credits_for_order",
    "learner_credits",
    "revoke_unused_credits",
]

AVAILABLE, USED, REVOKED = "available", "used", "revoked"
PRIVATE = "private"  # a live session's kind that needs a private credit


@dataclass(frozen=True)
class CreditCount:
    """The credits an order line granted, by what became of them."""

    total: int
    used: int
    available: int
    revoked: int


@dataclass(frozen=True)
class CreditRow:
    """One of a learner's credits as "My schedule" shows it. ``status``: available, used or
    expired (an unused credit past ``expires_at``; expired credits are never used)."""

    id: int
    kind: str  # private | group
    minutes: int  # a private session's length; 0 for a group class
    department_name: str
    expires_at: datetime | None
    status: str
    granted_at: datetime
    order_number: str = ""

    @property
    def label(self) -> str:
        return (f"Private session ({self.minutes} min)" if self.kind == CreditKind.PRIVATE
                else "Group class")


def _insert_ignoring_duplicates(session: Session, rows: list[dict[str, Any]]) -> int:
    """Insert credit rows, skipping dedupe keys already present (even ones another
    transaction is inserting right now); how many were inserted."""
    if not rows:
        return 0
    dialect = session.connection().dialect.name
    module: Any = postgresql if dialect == "postgresql" else sqlite
    statement = module.insert(SessionCredit).values(rows).on_conflict_do_nothing(
        index_elements=["dedupe_key"]).returning(SessionCredit.id)
    return len(session.execute(statement).all())


def grant_credits_for_order(session: Session, order: Order, lines: Sequence[OrderLine]) -> int:
    """Grant the credits ``lines`` carry on their prices to ``order``'s learner: one row per
    private session and per group class, in the line's department, expiring the price's
    ``credit_expiry_days`` after the order completed. Idempotent; returns how many rows were
    created now (caller's transaction, no commit)."""
    assert order.id is not None
    granted_at = ensure_utc(order.completed_at or utcnow())
    price_ids = {line.price_id for line in lines if line.price_id is not None}
    prices = {p.id: p for p in session.exec(
        select(Price).where(col(Price.id).in_(price_ids))).all()} if price_ids else {}
    rows: list[dict[str, Any]] = []
    for line in lines:
        price = prices.get(line.price_id) if line.price_id is not None else None
        if price is None or line.id is None:
            continue
        expires_at = credit_expiry(granted_at, price.credit_expiry_days)
        for kind, count, minutes in ((CreditKind.PRIVATE, price.private_credits,
                                      price.private_minutes),
                                     (CreditKind.GROUP, price.group_credits, 0)):
            rows += [{
                "dedupe_key": f"{line.id}:{kind.value}:{n}", "user_id": order.user_id,
                "department_id": line.department_id, "kind": kind.value, "minutes": minutes,
                "status": AVAILABLE, "order_id": order.id, "order_line_id": line.id,
                "granted_at": granted_at, "expires_at": expires_at, "updated_at": granted_at,
            } for n in range(1, count + 1)]
    if not rows:
        return 0
    existing = set(session.exec(select(SessionCredit.dedupe_key).where(
        col(SessionCredit.dedupe_key).in_([r["dedupe_key"] for r in rows]))).all())
    return _insert_ignoring_duplicates(
        session, [r for r in rows if r["dedupe_key"] not in existing])


# -- using and giving back ----------------------------------------------------------------------


def credit_kind(live: LiveSession) -> tuple[CreditKind, int]:
    """The credit a session needs: a private one of its length, or a group-class one."""
    if live.kind == PRIVATE:
        minutes = int((ensure_utc(live.ends_at) - ensure_utc(live.starts_at))
                      .total_seconds() // 60)
        return CreditKind.PRIVATE, minutes
    return CreditKind.GROUP, 0


def usable_credits(session: Session, *, user_id: int, live: LiveSession, now: datetime
                   ) -> list[Credit]:
    """The learner's credits that could pay for ``live``: its kind (and length), its
    department, available, not expired."""
    kind, minutes = credit_kind(live)
    query = select(SessionCredit.id, SessionCredit.expires_at, SessionCredit.minutes).where(
        SessionCredit.user_id == user_id, SessionCredit.kind == kind.value,
        SessionCredit.status == AVAILABLE, SessionCredit.department_id == live.department_id,
        or_(col(SessionCredit.expires_at).is_(None), col(SessionCredit.expires_at) > now))
    if kind is CreditKind.PRIVATE:
        query = query.where(SessionCredit.minutes == minutes)
    return [Credit(id=i, kind=kind, expires_at=e, minutes=m)
            for i, e, m in session.exec(query).all() if i is not None]


def require_credit(session: Session, *, user_id: int, live: LiveSession, now: datetime
                   ) -> Credit:
    """The credit a booking of ``live`` would use; ``no_credit`` (naming the kind) if none."""
    kind, minutes = credit_kind(live)
    return pick_credit(usable_credits(session, user_id=user_id, live=live, now=now), kind,
                       at=now, minutes=minutes)


def consume_credit(session: Session, *, user_id: int, live: LiveSession, now: datetime
                   ) -> Credit:
    """Use the credit a booking of ``live`` takes (oldest expiring first) with a conditional
    UPDATE available -> used; a credit lost to a race is passed over for the next."""
    kind, minutes = credit_kind(live)
    candidates = usable_credits(session, user_id=user_id, live=live, now=now)
    while True:
        credit = pick_credit(candidates, kind, at=now, minutes=minutes)
        result: Any = session.execute(
            update(SessionCredit)
            .where(col(SessionCredit.id) == credit.id, col(SessionCredit.status) == AVAILABLE)
            .values(status=USED, used_at=now, updated_at=now)
            .execution_options(synchronize_session=False))
        if result.rowcount == 1:
            return credit
        candidates = [c for c in candidates if c.id != credit.id]


def attach_credit(session: Session, credit_id: int, booking: Booking) -> None:
    """Record which booking used the credit."""
    session.execute(update(SessionCredit).where(col(SessionCredit.id) == credit_id)
                    .values(booking_id=booking.id)
                    .execution_options(synchronize_session=False))
    stale = session.get(SessionCredit, credit_id)
    if stale is not None:
        session.refresh(stale)


def give_back_credit(session: Session, booking: Booking, now: datetime) -> bool:
    """The booking's credit is available again (if it was used by it); whether it was."""
    if booking.credit_id is None:
        return False
    result: Any = session.execute(
        update(SessionCredit)
        .where(col(SessionCredit.id) == booking.credit_id, col(SessionCredit.status) == USED)
        .values(status=AVAILABLE, booking_id=None, used_at=None, updated_at=now)
        .execution_options(synchronize_session=False))
    credit = session.get(SessionCredit, booking.credit_id)
    if credit is not None:
        session.refresh(credit)
    return bool(result.rowcount == 1)


def credit_back_if_cancelled(booking: Booking, live: LiveSession, now: datetime) -> bool:
    """Whether cancelling ``booking`` at ``now`` gives its credit back: before the cut-off,
    or at any time once the session was rescheduled after the booking was made."""
    if booking.credit_id is None:
        return False
    if live.rescheduled_at is not None \
            and ensure_utc(live.rescheduled_at) > ensure_utc(booking.created_at):
        return True
    return credit_returned(cancelled_at=now, starts_at=live.starts_at,
                           cutoff_hours=get_settings().booking_cancel_cutoff_hours)


# -- counts and the learner's view -------------------------------------------------------------


def credit_counts(session: Session, *, order_line_id: int) -> CreditCount:
    """How many credits the order line granted, used, has left and lost to a refund."""
    by_status = dict(session.exec(
        select(SessionCredit.status, func.count()).where(
            SessionCredit.order_line_id == order_line_id).group_by(SessionCredit.status)
    ).all())
    used, available, revoked = (int(by_status.get(s, 0)) for s in (USED, AVAILABLE, REVOKED))
    return CreditCount(total=used + available + revoked, used=used, available=available,
                       revoked=revoked)


def revoke_unused_credits(session: Session, *, order_line_id: int, actor: Actor | None,
                          now: datetime | None = None) -> CreditCount:
    """The refund of an order line takes back its unused credits (used ones stay used: they
    are not refundable). Audited; twice is harmless (caller's transaction, no commit)."""
    now = ensure_utc(now or utcnow())
    credits = session.exec(for_update(session, select(SessionCredit).where(
        SessionCredit.order_line_id == order_line_id,
        SessionCredit.status == AVAILABLE).order_by(col(SessionCredit.id)))).all()
    if credits:
        ids = [c.id for c in credits]
        session.execute(update(SessionCredit).where(
            col(SessionCredit.id).in_(ids), col(SessionCredit.status) == AVAILABLE,
        ).values(status=REVOKED, revoked_at=now, updated_at=now))
        for credit in credits:
            session.refresh(credit)
        record_audit(session=session, actor=actor, action="session_credit.revoked",
                     entity_type="order_line", entity_id=order_line_id,
                     before={"status": AVAILABLE, "credit_ids": ids},
                     after={"status": REVOKED, "credit_ids": ids},
                     reason="the order line was refunded")
        session.flush()
    return credit_counts(session, order_line_id=order_line_id)


def learner_credits(session: Session, *, user_id: int, now: datetime | None = None
                    ) -> list[CreditRow]:
    """The learner's credits (revoked ones left out): available ones first, expiring first,
    then used and expired ones, newest first."""
    now = ensure_utc(now or utcnow())
    rows = session.exec(
        select(SessionCredit, Department.name, Order.created_at)
        .join(Department, col(Department.id) == SessionCredit.department_id)
        .outerjoin(Order, col(Order.id) == SessionCredit.order_id)
        .where(SessionCredit.user_id == user_id, SessionCredit.status != REVOKED)
    ).all()
    result = []
    for credit, department_name, ordered_at in rows:
        assert credit.id is not None
        status = credit.status
        if status == AVAILABLE and credit.expires_at is not None \
                and ensure_utc(credit.expires_at) <= now:
            status = "expired"
        number = (order_number(credit.order_id, ordered_at)
                  if credit.order_id is not None and ordered_at is not None else "")
        result.append(CreditRow(id=credit.id, kind=credit.kind, minutes=credit.minutes,
                                department_name=department_name,
                                expires_at=credit.expires_at, status=status,
                                granted_at=credit.granted_at, order_number=number))
    far = datetime.max.replace(tzinfo=now.tzinfo)
    available = sorted((r for r in result if r.status == AVAILABLE),
                       key=lambda r: (ensure_utc(r.expires_at) if r.expires_at else far, r.id))
    others = sorted((r for r in result if r.status != AVAILABLE),
                    key=lambda r: (ensure_utc(r.granted_at), r.id), reverse=True)
    return available + others
