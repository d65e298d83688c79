"""Discount codes as administrators read them: a code's status, the searchable list, one
code, and its usage figures.

Re-exported by ``discounts.py``, the discount codes' public face.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, func, or_
from sqlmodel import Session, col, select

from commerce_dash.domain.actor import Actor
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.paging import Page, PageRequest
from commerce_dash.models.pricing import DiscountCode, DiscountRedemption
from commerce_dash.services.catalog.discount_checks import (
    COUNTED,
    code_departments,
    code_items,
    managed_code,
)
from commerce_dash.services.platform import page_of_query
from commerce_dash.settings import get_settings


@dataclass(frozen=True)
class CodeStats:
    uses: int
    revenue_affected: int
    discount_given: int
    currency: str
    uses_by_day: list[tuple[date, int]]


def code_status(row: DiscountCode, now: datetime) -> str:
    """active, inactive, scheduled, expired or used_up, as an admin reads it."""
    if not row.is_active:
        return "inactive"
    if row.valid_from > now:
        return "scheduled"
    if row.valid_until is not None and row.valid_until <= now:
        return "expired"
    if row.max_uses is not None and row.uses_count >= row.max_uses:
        return "used_up"
    return "active"


def list_codes(
    *,
    session: Session,
    actor: Actor | None,
    page: PageRequest,
    search: str = "",
    status: str = "",
) -> Page[DiscountCode]:
    """Codes newest first, searched by text or description, filtered by status; a dept-admin
    sees the codes of their departments only."""
    scope = code_departments(session, actor)[1]
    now = utcnow()
    query = select(DiscountCode)
    if scope is not None:
        query = query.where(col(DiscountCode.department_id).in_(scope or {0}))
    if search.strip():
        pattern = f"%{search.strip()}%"
        query = query.where(
            or_(col(DiscountCode.code).ilike(pattern), col(DiscountCode.description).ilike(pattern))
        )
    # The same order of checks as code_status, so a filter shows exactly the badge it names.
    started = and_(col(DiscountCode.is_active).is_(True), col(DiscountCode.valid_from) <= now)
    running = and_(
        started, or_(col(DiscountCode.valid_until).is_(None), col(DiscountCode.valid_until) > now)
    )
    used_up = and_(
        col(DiscountCode.max_uses).is_not(None),
        col(DiscountCode.uses_count) >= col(DiscountCode.max_uses),
    )
    if status == "inactive":
        query = query.where(col(DiscountCode.is_active).is_(False))
    elif status == "scheduled":
        query = query.where(col(DiscountCode.is_active).is_(True), DiscountCode.valid_from > now)
    elif status == "expired":
        query = query.where(started, col(DiscountCode.valid_until) <= now)
    elif status == "used_up":
        query = query.where(running, used_up)
    elif status == "active":
        query = query.where(running, ~used_up)
    return page_of_query(session, query, page, col(DiscountCode.created_at).desc(),
                         col(DiscountCode.id).desc())


def get_code(
    *, session: Session, actor: Actor | None, code_id: int
) -> tuple[DiscountCode, list[tuple[str, int]]]:
    """A code and its listed items, for editing."""
    row = managed_code(session, actor, code_id)[1]
    return row, code_items(session, code_id)


def code_stats(*, session: Session, actor: Actor | None, code_id: int) -> CodeStats:
    """Uses, revenue the code applied to, discount given, and uses per day."""
    row, _ = get_code(session=session, actor=actor, code_id=code_id)
    counted = and_(
        col(DiscountRedemption.code_id) == code_id, col(DiscountRedemption.status).in_(COUNTED)
    )
    uses, revenue, given = session.exec(
        select(
            func.count(),
            func.coalesce(func.sum(DiscountRedemption.revenue_affected), 0),
            func.coalesce(func.sum(DiscountRedemption.discount_amount), 0),
        ).where(counted)
    ).one()
    # Days are UTC days: on Postgres date() of a timestamptz uses the session's time zone.
    at = (
        func.timezone("UTC", DiscountRedemption.at)
        if session.get_bind().dialect.name == "postgresql"
        else DiscountRedemption.at
    )
    day = func.date(at)
    per_day = session.exec(
        select(day, func.count()).where(counted).group_by(day).order_by(day)
    ).all()
    return CodeStats(
        uses=int(uses),
        revenue_affected=int(revenue),
        discount_given=int(given),
        currency=row.currency or get_settings().settlement_currency,
        uses_by_day=[
            (d if isinstance(d, date) else date.fromisoformat(str(d)), int(n)) for d, n in per_day
        ],
    )
