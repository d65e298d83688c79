"""Discount codes: define, edit, switch on and off, usage figures, and checking a code."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, func, or_
from sqlmodel import Session, col, delete, select

from commerce_dash.domain.access import department_closure
from commerce_dash.domain.actor import Actor, require_section
from commerce_dash.domain.clock import ensure_utc, utcnow
from commerce_dash.domain.discounts import (
    DiscountApplied,
    DiscountKind,
    DiscountRefused,
    DiscountRule,
    DiscountScope,
    PricedLine,
    evaluate_discount,
    normalise_code,
    validate_code_definition,
)
from commerce_dash.domain.errors import DomainError, ErrorKind, not_found
from commerce_dash.domain.paging import Page, PageRequest
from commerce_dash.models.catalog import Course, Department, Program
from commerce_dash.models.pricing import DiscountCode, DiscountCodeItem, DiscountRedemption
from commerce_dash.services.platform.audit import record_audit
from commerce_dash.services.platform.org import department_parents
from commerce_dash.settings import get_settings

COUNTED = ("reserved", "redeemed")


@dataclass(frozen=True)
class CodeInput:
    """What an admin fills in for a code (amounts in minor units, percent in basis points)."""

    code: str
    kind: str
    percent_bps: int = 0
    amount_off: int = 0
    currency: str = ""
    scope: str = DiscountScope.ALL
    listed_items: frozenset[tuple[str, int]] = frozenset()
    department_id: int | None = None
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    max_uses: int | None = None
    max_uses_per_user: int | None = None
    min_purchase: int = 0
    description: str = ""


@dataclass(frozen=True)
class CodeStats:
    uses: int
    revenue_affected: int
    discount_given: int
    currency: str
    uses_by_day: list[tuple[date, int]]


def _enum(enum_type, value: str, field: str):  # type: ignore[no-untyped-def]
    try:
        return enum_type(value)
    except ValueError:
        raise DomainError(
            f"invalid_{field}", f"Unknown {field.replace('_', ' ')} {value!r}.", field=field
        ) from None


def _checked(session: Session, data: CodeInput) -> tuple[str, DiscountKind, DiscountScope, str]:
    kind = _enum(DiscountKind, data.kind, "kind")
    scope = _enum(DiscountScope, data.scope, "scope")
    currency = (data.currency or "").strip().upper()
    if kind is DiscountKind.FIXED or data.min_purchase:
        currency = currency or get_settings().settlement_currency
    code = validate_code_definition(
        code=data.code,
        kind=kind,
        percent_bps=data.percent_bps if kind is DiscountKind.PERCENTAGE else 0,
        amount_off=data.amount_off if kind is DiscountKind.FIXED else 0,
        currency=currency or None,
        scope=scope,
        listed_items=data.listed_items if scope is DiscountScope.LISTED else frozenset(),
        valid_from=ensure_utc(data.valid_from) if data.valid_from else utcnow(),
        valid_until=ensure_utc(data.valid_until) if data.valid_until else None,
        max_uses=data.max_uses,
        max_uses_per_user=data.max_uses_per_user,
        min_purchase=data.min_purchase,
    )
    if data.department_id is not None and session.get(Department, data.department_id) is None:
        raise not_found("department", data.department_id)
    for item_type, item_id in data.listed_items if scope is DiscountScope.LISTED else ():
        model = Course if item_type == "course" else Program if item_type == "program" else None
        if model is None or session.get(model, item_id) is None:
            raise DomainError("unknown_item", f"No {item_type} {item_id} exists.", field="items")
    return code, kind, scope, currency


def _snapshot(row: DiscountCode, items: Iterable[tuple[str, int]]) -> dict[str, object]:
    return {
        "code": row.code,
        "kind": row.kind,
        "percent_bps": row.percent_bps,
        "amount_off": row.amount_off,
        "currency": row.currency,
        "scope": row.scope,
        "department_id": row.department_id,
        "max_uses": row.max_uses,
        "max_uses_per_user": row.max_uses_per_user,
        "min_purchase": row.min_purchase,
        "valid_from": row.valid_from.isoformat(),
        "valid_until": row.valid_until.isoformat() if row.valid_until else None,
        "is_active": row.is_active,
        "items": sorted([list(i) for i in items]),
    }


def _items_of(session: Session, code_id: int) -> list[tuple[str, int]]:
    rows = session.exec(
        select(DiscountCodeItem.item_type, DiscountCodeItem.item_id).where(
            DiscountCodeItem.code_id == code_id
        )
    ).all()
    return [(t, i) for t, i in rows]


def _apply(
    row: DiscountCode, data: CodeInput, kind: DiscountKind, scope: DiscountScope, currency: str
) -> None:
    row.kind = kind
    row.percent_bps = data.percent_bps if kind is DiscountKind.PERCENTAGE else 0
    row.amount_off = data.amount_off if kind is DiscountKind.FIXED else 0
    row.currency = currency
    row.scope = scope
    row.department_id = data.department_id
    row.valid_from = ensure_utc(data.valid_from) if data.valid_from else row.valid_from
    row.valid_until = ensure_utc(data.valid_until) if data.valid_until else None
    row.max_uses = data.max_uses
    row.max_uses_per_user = data.max_uses_per_user
    row.min_purchase = data.min_purchase
    row.description = " ".join(data.description.split())[:500]


def create_code(*, session: Session, actor: Actor | None, data: CodeInput) -> DiscountCode:
    """A new discount code; codes are unique whatever their case."""
    actor = require_section(actor, "discounts")
    code, kind, scope, currency = _checked(session, data)
    if session.exec(select(DiscountCode.id).where(DiscountCode.code == code)).first():
        raise DomainError(
            "code_taken", f"The code {code} already exists.", kind=ErrorKind.CONFLICT, field="code"
        )
    row = DiscountCode(
        code=code, kind=kind, valid_from=data.valid_from or utcnow(), created_by_id=actor.user_id
    )
    _apply(row, data, kind, scope, currency)
    session.add(row)
    session.flush()
    assert row.id is not None
    items = sorted(data.listed_items) if scope is DiscountScope.LISTED else []
    for item_type, item_id in items:
        session.add(DiscountCodeItem(code_id=row.id, item_type=item_type, item_id=item_id))
    record_audit(
        session=session,
        actor=actor,
        action="discount.created",
        entity_type="discount_code",
        entity_id=row.id,
        after=_snapshot(row, items),
    )
    session.commit()
    return row


def update_code(
    *, session: Session, actor: Actor | None, code_id: int, data: CodeInput
) -> DiscountCode:
    """Change a code's terms (its text stays; uses so far are kept)."""
    actor = require_section(actor, "discounts")
    row = session.get(DiscountCode, code_id)
    if row is None:
        raise not_found("discount_code", code_id)
    _, kind, scope, currency = _checked(session, CodeInput(**{**data.__dict__, "code": row.code}))
    if data.max_uses is not None and data.max_uses < row.uses_count:
        raise DomainError(
            "limit_below_uses",
            f"The code was already used {row.uses_count} times.",
            field="max_uses",
        )
    before = _snapshot(row, _items_of(session, code_id))
    _apply(row, data, kind, scope, currency)
    row.updated_at = utcnow()
    session.add(row)
    session.exec(delete(DiscountCodeItem).where(col(DiscountCodeItem.code_id) == code_id))  # type: ignore[call-overload]
    items = sorted(data.listed_items) if scope is DiscountScope.LISTED else []
    for item_type, item_id in items:
        session.add(DiscountCodeItem(code_id=code_id, item_type=item_type, item_id=item_id))
    record_audit(
        session=session,
        actor=actor,
        action="discount.updated",
        entity_type="discount_code",
        entity_id=code_id,
        before=before,
        after=_snapshot(row, items),
    )
    session.commit()
    return row


def set_code_active(
    *, session: Session, actor: Actor | None, code_id: int, active: bool
) -> DiscountCode:
    """Switch a code on or off."""
    actor = require_section(actor, "discounts")
    row = session.get(DiscountCode, code_id)
    if row is None:
        raise not_found("discount_code", code_id)
    if row.is_active != active:
        row.is_active = active
        row.updated_at = utcnow()
        session.add(row)
        record_audit(
            session=session,
            actor=actor,
            action="discount.activated" if active else "discount.deactivated",
            entity_type="discount_code",
            entity_id=code_id,
            before={"is_active": not active},
            after={"is_active": active},
        )
        session.commit()
    return row


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
    """Codes newest first, searched by text or description, filtered by status."""
    require_section(actor, "discounts")
    now = utcnow()
    query = select(DiscountCode)
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
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(
        query.order_by(col(DiscountCode.created_at).desc(), col(DiscountCode.id).desc())
        .offset(page.offset)
        .limit(page.page_size)
    ).all()
    return Page(list(rows), int(total), page.page, page.page_size)


def get_code(
    *, session: Session, actor: Actor | None, code_id: int
) -> tuple[DiscountCode, list[tuple[str, int]]]:
    """A code and its listed items, for editing."""
    require_section(actor, "discounts")
    row = session.get(DiscountCode, code_id)
    if row is None:
        raise not_found("discount_code", code_id)
    return row, _items_of(session, code_id)


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


def rule_for(*, session: Session, code: str) -> DiscountRule | None:
    """The rule behind a code typed by a learner, or None when no such code exists."""
    row = session.exec(
        select(DiscountCode).where(DiscountCode.code == normalise_code(code))
    ).first()
    if row is None or row.id is None:
        return None
    departments = (
        department_closure(department_parents(session=session), [row.department_id])
        if row.department_id is not None
        else None
    )
    return DiscountRule(
        code=row.code,
        kind=DiscountKind(row.kind),
        percent_bps=row.percent_bps,
        amount_off=row.amount_off,
        currency=row.currency or None,
        scope=DiscountScope(row.scope),
        listed_items=frozenset(_items_of(session, row.id)),
        department_ids=departments,
        valid_from=row.valid_from,
        valid_until=row.valid_until,
        is_active=row.is_active,
        max_uses=row.max_uses,
        max_uses_per_user=row.max_uses_per_user,
        min_purchase=row.min_purchase,
    )


def check_code(
    *,
    session: Session,
    code: str,
    lines: Sequence[PricedLine],
    user_id: int | None,
    at: datetime | None = None,
) -> DiscountApplied | DiscountRefused:
    """Evaluate a code for a cart: the discount per line, or the exact reason it fails."""
    rule = rule_for(session=session, code=code)
    uses = by_user = 0
    if rule is not None:
        row = session.exec(select(DiscountCode).where(DiscountCode.code == rule.code)).one()
        uses = row.uses_count
        if user_id is not None:
            by_user = int(
                session.exec(
                    select(func.count()).where(
                        DiscountRedemption.code_id == row.id,
                        DiscountRedemption.user_id == user_id,
                        col(DiscountRedemption.status).in_(COUNTED),
                    )
                ).one()
            )
    return evaluate_discount(
        rule,
        code=code,
        lines=lines,
        at=at or utcnow(),
        uses_so_far=uses,
        uses_by_user=by_user,
        locale=get_settings().default_locale,
    )
