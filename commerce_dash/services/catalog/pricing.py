"""Prices: create (closing the one in force), schedule, deactivate, list, history, lookups."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, or_
from sqlmodel import Session, col, select

from commerce_dash.db import for_update
from commerce_dash.domain.access import RoleName
from commerce_dash.domain.actor import Actor, require_section
from commerce_dash.domain.clock import ensure_utc, utcnow
from commerce_dash.domain.errors import DomainError, ErrorKind, not_found
from commerce_dash.domain.money import currency_digits, format_minor
from commerce_dash.domain.paging import Page, PageRequest
from commerce_dash.domain.pricing import (
    BundleSavings,
    ItemType,
    PriceStatus,
    PriceType,
    PriceWindow,
    bundle_savings,
    plan_new_price,
    price_status,
    validate_price,
)
from commerce_dash.models.catalog import Course, Department, Program, ProgramCourse
from commerce_dash.models.pricing import Price
from commerce_dash.services.platform.audit import record_audit
from commerce_dash.services.platform.org import department_parents
from commerce_dash.settings import get_settings


@dataclass(frozen=True)
class PricedItem:
    item_type: ItemType
    item_id: int
    department_id: int
    title: str
    published: bool


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


def window_of(price: Price) -> PriceWindow:
    assert price.id is not None
    return PriceWindow(
        id=price.id, amount=price.amount, currency=price.currency,
        effective_from=price.effective_from, effective_until=price.effective_until,
        deactivated=price.deactivated_at is not None,
    )


def priced_item(*, session: Session, item_type: str, item_id: int) -> PricedItem:
    """The course, program or department (plan) a price is for."""
    try:
        kind = ItemType(item_type)
    except ValueError:
        raise DomainError("invalid_item_type", "Prices are for a course, a program or a "
                          "department subscription plan.", field="item_type") from None
    if kind is ItemType.COURSE:
        course = session.get(Course, item_id)
        if course is None:
            raise not_found("course", item_id)
        return PricedItem(kind, item_id, course.department_id, course.title, course.published)
    if kind is ItemType.PROGRAM:
        program = session.get(Program, item_id)
        if program is None:
            raise not_found("program", item_id)
        return PricedItem(kind, item_id, program.department_id, program.title, program.published)
    dept = session.get(Department, item_id)
    if dept is None:
        raise not_found("department", item_id)
    return PricedItem(kind, item_id, item_id, f"{dept.name} subscription", True)


def pricing_departments(*, session: Session, actor: Actor | None) -> frozenset[int] | None:
    """Departments whose prices the actor manages; None means all."""
    actor = require_section(actor, "pricing")
    if actor.is_super_admin or RoleName.BILLING_ADMIN in actor.roles:
        return None
    return actor.departments_for(RoleName.DEPT_ADMIN, department_parents(session=session))


def _require_item_access(session: Session, actor: Actor | None, item: PricedItem) -> Actor:
    allowed = pricing_departments(session=session, actor=actor)
    assert actor is not None
    if allowed is not None and item.department_id not in allowed:
        raise DomainError("forbidden", "You can only price items of your departments.",
                          kind=ErrorKind.FORBIDDEN)
    return actor


def course_prices_in_force(
    *, session: Session, course_ids: Sequence[int], currency: str, at: datetime
) -> dict[int, int]:
    """Amount in force at ``at`` for each course that has one in ``currency``."""
    return prices_in_force(session=session, item_type=ItemType.COURSE, item_ids=course_ids,
                           currency=currency, at=at)


def in_force_clause(at: datetime):  # type: ignore[no-untyped-def]
    """SQL condition: the price row covers ``at`` and is not deactivated."""
    return and_(
        col(Price.deactivated_at).is_(None),
        col(Price.effective_from) <= at,
        or_(col(Price.effective_until).is_(None), col(Price.effective_until) > at),
    )


def prices_in_force(
    *, session: Session, item_type: str, item_ids: Iterable[int], currency: str, at: datetime,
    interval: str = "",
) -> dict[int, int]:
    """Item id -> amount in force at ``at`` (one query)."""
    ids = list(item_ids)
    if not ids:
        return {}
    rows = session.exec(
        select(Price.item_id, Price.amount).where(
            Price.item_type == item_type, col(Price.item_id).in_(ids),
            Price.currency == currency, Price.interval == interval, in_force_clause(at),
        )
    ).all()
    return {item_id: amount for item_id, amount in rows}


def _program_course_prices(
    session: Session, program_id: int, currency: str, at: datetime
) -> list[tuple[str, int | None]]:
    """(title, amount in force at ``at`` or None) of each course of the program, in order."""
    courses = session.exec(
        select(ProgramCourse.course_id, Course.title)
        .join(Course, col(ProgramCourse.course_id) == Course.id)
        .where(ProgramCourse.program_id == program_id)
        .order_by(col(ProgramCourse.position))
    ).all()
    amounts = course_prices_in_force(session=session, course_ids=[c for c, _ in courses],
                                     currency=currency, at=at)
    return [(t, amounts.get(c)) for c, t in courses]


def program_savings(
    *, session: Session, program_id: int, bundle_price: int, currency: str, at: datetime
) -> BundleSavings:
    """Savings of the program at ``bundle_price`` against its courses in force at ``at``."""
    return bundle_savings(_program_course_prices(session, program_id, currency, at),
                          bundle_price, currency)


def _known_currency(code: str) -> bool:
    try:
        currency_digits(code)
    except ValueError:
        return False
    return True


def _check_bundle_price(
    session: Session, program: PricedItem, kind: PriceType, amount: int, currency: str,
    at: datetime,
) -> BundleSavings | None:
    """The bundle rule for a program's price in ``currency`` from ``at``: every course of it
    has a price in force there, and the program costs more than nothing and less than its
    courses together; only a program of free courses is free (then no savings, None)."""
    course_prices = _program_course_prices(session, program.item_id, currency, at)
    missing = [title for title, price in course_prices if price is None]
    if missing:
        raise DomainError(
            "course_without_price",
            f"{program.title} cannot be priced in {currency}: {', '.join(missing)} "
            f"{'has' if len(missing) == 1 else 'have'} no {currency} price in force. "
            f"Price every course of the program in {currency} first.",
            field="currency",
        )
    total = sum(price or 0 for _, price in course_prices)
    if total == 0:
        if kind is PriceType.FREE:
            return None
        raise DomainError(
            "bundle_not_cheaper",
            f"The courses of {program.title} are free in {currency}, so the program can only "
            "be free.",
            field="amount",
        )
    given_away = kind is PriceType.FREE or amount <= 0
    if given_away or amount >= total:
        raise DomainError(
            "bundle_given_away" if given_away else "bundle_not_cheaper",
            f"The courses of {program.title} cost "
            f"{format_minor(total, currency, get_settings().default_locale)} together; "
            "a bundle must cost more than nothing and less than that.",
            field="amount",
        )
    return bundle_savings(course_prices, amount, currency)


def create_price(
    *,
    session: Session,
    actor: Actor | None,
    item_type: str,
    item_id: int,
    price_type: str,
    amount: int,
    currency: str | None = None,
    interval: str = "",
    trial_days: int = 0,
    effective_from: datetime | None = None,
    effective_until: datetime | None = None,
) -> Price:
    """Write a new price; the open-ended price in force before it is closed at its start."""
    item = priced_item(session=session, item_type=item_type, item_id=item_id)
    actor = _require_item_access(session, actor, item)
    if not item.published:
        raise DomainError("not_published", f"Publish {item.title} before pricing it.",
                          field="item_id")
    try:
        kind = PriceType(price_type)
    except ValueError:
        raise DomainError("invalid_price_type", "Choose one-time, subscription or free.",
                          field="price_type") from None
    # Lock the priced item, so two admins pricing it at once queue up instead of both
    # writing overlapping windows (the price rows alone may not exist yet to be locked).
    # "Now" is read after the lock, so a price that waited starts after the one before it.
    model = {ItemType.COURSE: Course, ItemType.PROGRAM: Program}.get(item.item_type, Department)
    session.exec(for_update(session, select(model).where(model.id == item_id))).one()  # type: ignore[attr-defined,arg-type]
    now = utcnow()
    currency_code = currency or get_settings().settlement_currency
    start = ensure_utc(effective_from) if effective_from else now
    if start < now.replace(second=0, microsecond=0):
        raise DomainError("start_in_past", "A price cannot start in the past.",
                          field="effective_from")
    end = ensure_utc(effective_until) if effective_until else None
    savings = None
    if item.item_type is ItemType.PROGRAM and _known_currency(currency_code):
        # Before the generic checks, so a program priced at 0 hears the bundle rule.
        savings = _check_bundle_price(session, item, kind, amount,
                                      currency_code.strip().upper(), start)
    code = validate_price(
        item_type=item.item_type, price_type=kind, amount=amount,
        currency=currency_code, interval=interval,
        trial_days=trial_days, effective_from=start, effective_until=end, now=now,
    )
    live = session.exec(
        select(Price)
        .where(
            Price.item_type == item.item_type, Price.item_id == item_id, Price.currency == code,
            Price.interval == interval, col(Price.deactivated_at).is_(None),
        )
    ).all()
    plan = plan_new_price([window_of(p) for p in live], effective_from=start,
                          effective_until=end, locale=get_settings().default_locale)
    by_id = {p.id: p for p in live}
    for price_id, new_end in plan.closes:
        closed = by_id[price_id]
        record_audit(
            session=session, actor=actor, action="price.closed", entity_type="price",
            entity_id=price_id, before={"effective_until": None},
            after={"effective_until": new_end.isoformat()},
        )
        closed.effective_until = new_end
        session.add(closed)
    price = Price(
        item_type=item.item_type, item_id=item_id, department_id=item.department_id,
        price_type=kind, interval=interval, trial_days=trial_days, currency=code,
        amount=amount, effective_from=start, effective_until=end, created_by_id=actor.user_id,
    )
    session.add(price)
    session.flush()
    record_audit(
        session=session, actor=actor,
        action="price.scheduled" if start > now else "price.created",
        entity_type="price", entity_id=price.id,
        after={"item": f"{item.item_type}:{item_id}", "amount": amount, "currency": code,
               "price_type": kind.value, "interval": interval, "from": start.isoformat(),
               "until": end.isoformat() if end else None,
               **({"savings": savings.savings} if savings else {})},
    )
    session.commit()
    return price


def deactivate_price(
    *, session: Session, actor: Actor | None, price_id: int, reason: str
) -> Price:
    """Take a price out of force; the row stays as history."""
    price = session.get(Price, price_id)
    if price is None:
        raise not_found("price", price_id)
    item = priced_item(session=session, item_type=price.item_type, item_id=price.item_id)
    actor = _require_item_access(session, actor, item)
    reason = " ".join(reason.split())
    if len(reason) < 5:
        raise DomainError("reason_required", "Say why the price is deactivated (5+ characters).",
                          field="reason")
    if price.deactivated_at is not None:
        return price
    now = utcnow()
    if price.effective_from > now:
        # A scheduled price closed its predecessor at its own start; cancelling it hands
        # that time back, so the item does not end up without a price.
        predecessor = session.exec(
            select(Price).where(
                Price.item_type == price.item_type, Price.item_id == price.item_id,
                Price.currency == price.currency, Price.interval == price.interval,
                col(Price.deactivated_at).is_(None),
                col(Price.effective_until) == price.effective_from,
            )
        ).first()
        if predecessor is not None:
            record_audit(
                session=session, actor=actor, action="price.reopened", entity_type="price",
                entity_id=predecessor.id,
                before={"effective_until": price.effective_from.isoformat()},
                after={"effective_until": price.effective_until.isoformat()
                       if price.effective_until else None},
            )
            predecessor.effective_until = price.effective_until
            session.add(predecessor)
    price.deactivated_at = now
    price.deactivated_reason = reason[:500]
    session.add(price)
    record_audit(session=session, actor=actor, action="price.deactivated", entity_type="price",
                 entity_id=price_id, before={"deactivated": False}, after={"deactivated": True},
                 reason=reason)
    session.commit()
    return price


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
        ))
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    prices = session.exec(
        query.order_by(col(Price.created_at).desc(), col(Price.id).desc())
        .offset(page.offset).limit(page.page_size)
    ).all()
    return Page(_rows(session, prices), int(total), page.page, page.page_size)


def price_history(
    *, session: Session, actor: Actor | None, item_type: str, item_id: int
) -> list[PriceRow]:
    """Every price the item ever had, oldest first."""
    item = priced_item(session=session, item_type=item_type, item_id=item_id)
    _require_item_access(session, actor, item)
    prices = session.exec(
        select(Price).where(Price.item_type == item.item_type, Price.item_id == item_id)
        .order_by(col(Price.currency), col(Price.interval), col(Price.effective_from),
                  col(Price.id))
    ).all()
    return _rows(session, prices)
