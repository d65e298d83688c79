"""Prices as administrators read them: the filtered list of prices and one item's price
history.

Re-exported by ``pricing.py``, the prices' public face.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_
from sqlmodel import Session, col, select

from commerce_dash.domain.actor import Actor
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.money import format_minor
from commerce_dash.domain.paging import Page, PageRequest
from commerce_dash.domain.pricing import ItemType, PriceStatus, describe_credits, price_status
from commerce_dash.models.catalog import Course, Department, Program
from commerce_dash.models.pricing import Price
from commerce_dash.models.sessions import CreditPack
from commerce_dash.services.catalog.price_access import (
    priced_item,
    pricing_departments,
    require_item_access,
    window_of,
)
from commerce_dash.services.catalog.prices_now import in_force_clause
from commerce_dash.services.platform import page_of_query
from commerce_dash.settings import get_settings


@dataclass(frozen=True)
class PriceRow:
    id: int
    item_type: str
    item_id: int
    item_title: str
    department: str
    price_type: str
    interval: str
    trial_days: int
    currency: str
    amount: int
    amount_label: str
    effective_from: datetime
    effective_until: datetime | None
    status: PriceStatus
    deactivated_reason: str
    # the session credits a purchase at this price grants (issue 17)
    private_credits: int = 0
    private_minutes: int = 60
    group_credits: int = 0
    credit_expiry_days: int = 0
    credits_note: str = ""  # "Includes 2 private sessions (60 min), valid 90 days"; "" none


def _titles(session: Session, rows: Sequence[Price]) -> dict[tuple[str, int], str]:
    wanted: dict[str, set[int]] = {}
    for p in rows:
        wanted.setdefault(p.item_type, set()).add(p.item_id)
    titles: dict[tuple[str, int], str] = {}
    if ids := wanted.get(ItemType.COURSE):
        for i, t in session.exec(select(Course.id, Course.title).where(col(Course.id).in_(ids))):
            titles[(ItemType.COURSE, i or 0)] = t
    if ids := wanted.get(ItemType.PROGRAM):
        for i, t in session.exec(
            select(Program.id, Program.title).where(col(Program.id).in_(ids))
        ):
            titles[(ItemType.PROGRAM, i or 0)] = t
    if ids := wanted.get(ItemType.SUBSCRIPTION):
        for i, t in session.exec(
            select(Department.id, Department.name).where(col(Department.id).in_(ids))
        ):
            titles[(ItemType.SUBSCRIPTION, i or 0)] = f"{t} subscription"
    if ids := wanted.get(ItemType.CREDIT_PACK):
        for i, t in session.exec(
            select(CreditPack.id, CreditPack.title).where(col(CreditPack.id).in_(ids))
        ):
            titles[(ItemType.CREDIT_PACK, i or 0)] = t
    return titles


def _rows(session: Session, prices: Sequence[Price]) -> list[PriceRow]:
    now = utcnow()
    titles = _titles(session, prices)
    depts = dict(session.exec(select(Department.id, Department.name)).all())
    locale = get_settings().default_locale
    return [
        PriceRow(
            id=p.id or 0, item_type=p.item_type, item_id=p.item_id,
            item_title=titles.get((p.item_type, p.item_id), "?"),
            department=depts.get(p.department_id, ""), price_type=p.price_type,
            interval=p.interval, trial_days=p.trial_days, currency=p.currency,
            amount=p.amount, amount_label=format_minor(p.amount, p.currency, locale),
            effective_from=p.effective_from, effective_until=p.effective_until,
            status=price_status(window_of(p), now), deactivated_reason=p.deactivated_reason,
            private_credits=p.private_credits, private_minutes=p.private_minutes,
            group_credits=p.group_credits, credit_expiry_days=p.credit_expiry_days,
            credits_note=describe_credits(p.private_credits, p.private_minutes,
                                          p.group_credits, p.credit_expiry_days),
        )
        for p in prices
    ]


def list_prices(
    *,
    session: Session,
    actor: Actor | None,
    page: PageRequest,
    item_type: str = "",
    department_id: int | None = None,
    currency: str = "",
    status: str = "",
    search: str = "",
) -> Page[PriceRow]:
    """Prices newest first, filtered, within the actor's departments."""
    allowed = pricing_departments(session=session, actor=actor)
    now = utcnow()
    query = select(Price)
    if allowed is not None:
        query = query.where(col(Price.department_id).in_(allowed))
    if item_type:
        query = query.where(Price.item_type == item_type)
    if department_id:
        query = query.where(Price.department_id == department_id)
    if currency:
        query = query.where(Price.currency == currency.upper())
    if status == PriceStatus.ACTIVE:
        query = query.where(in_force_clause(now))
    elif status == PriceStatus.SCHEDULED:
        query = query.where(col(Price.deactivated_at).is_(None), col(Price.effective_from) > now)
    elif status == PriceStatus.ENDED:
        query = query.where(col(Price.deactivated_at).is_(None),
                            col(Price.effective_until) <= now)
    elif status == PriceStatus.DEACTIVATED:
        query = query.where(col(Price.deactivated_at).is_not(None))
    if search.strip():
        pattern = f"%{search.strip()}%"
        query = query.where(or_(
            and_(col(Price.item_type) == ItemType.COURSE, col(Price.item_id).in_(
                select(Course.id).where(or_(col(Course.title).ilike(pattern),
                                            col(Course.code).ilike(pattern))))),
            and_(col(Price.item_type) == ItemType.PROGRAM, col(Price.item_id).in_(
                select(Program.id).where(or_(col(Program.title).ilike(pattern),
                                             col(Program.code).ilike(pattern))))),
            and_(col(Price.item_type) == ItemType.SUBSCRIPTION, col(Price.item_id).in_(
                select(Department.id).where(col(Department.name).ilike(pattern)))),
            and_(col(Price.item_type) == ItemType.CREDIT_PACK, col(Price.item_id).in_(
                select(CreditPack.id).where(or_(col(CreditPack.title).ilike(pattern),
                                                col(CreditPack.code).ilike(pattern))))),
        ))
    found = page_of_query(session, query, page, col(Price.created_at).desc(),
                          col(Price.id).desc())
    return Page(_rows(session, found.items), found.total, page.page, page.page_size)


def price_history(
    *, session: Session, actor: Actor | None, item_type: str, item_id: int
) -> list[PriceRow]:
    """Every price the item ever had, oldest first."""
    item = priced_item(session=session, item_type=item_type, item_id=item_id)
    require_item_access(session, actor, item)
    prices = session.exec(
        select(Price).where(Price.item_type == item.item_type, Price.item_id == item_id)
        .order_by(col(Price.currency), col(Price.interval), col(Price.effective_from),
                  col(Price.id))
    ).all()
    return _rows(session, prices)
