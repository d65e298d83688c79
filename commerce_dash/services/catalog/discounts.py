"""Discount codes: define, edit, switch on and off, usage figures, and checking a code.

This module holds the changes to codes and is their public face: checking a code
(``discount_checks.py``) and the admin list and figures (``discount_reports.py``) are
re-exported, so callers import discount codes from here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, delete, select

from commerce_dash.domain.actor import Actor
from commerce_dash.domain.clock import ensure_utc, utcnow
from commerce_dash.domain.discounts import DiscountKind, DiscountScope, validate_code_definition
from commerce_dash.domain.errors import DomainError, ErrorKind, not_found
from commerce_dash.models.catalog import Course, Department, Program
from commerce_dash.models.pricing import DiscountCode, DiscountCodeItem
from commerce_dash.services.catalog.discount_checks import (
    check_code,
    code_departments,
    code_items,
    managed_code,
)
from commerce_dash.services.catalog.discount_reports import (
    code_stats,
    code_status,
    get_code,
    list_codes,
)
from commerce_dash.services.platform import record_audit, save_switch
from commerce_dash.settings import get_settings

__all__ = [
    "CodeInput",
    "check_code",
    "code_departments",
    "code_stats",
    "code_status",
    "create_code",
    "get_code",
    "list_codes",
    "set_code_active",
    "update_code",
]


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
    # on a subscription: off the first paid period only ("once") or every period ("forever")
    duration: str = "once"


DURATIONS = ("once", "forever")


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
    if data.duration not in DURATIONS:
        raise DomainError("invalid_duration", "Choose the first period or every period.",
                          field="duration")
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


def _check_departments(session: Session, scope: frozenset[int] | None, data: CodeInput) -> None:
    """A dept-admin's code (``scope``: the departments they manage) is tied to one of their
    departments and lists only items of their departments (CAT-004)."""
    if scope is None:
        return
    if data.department_id is None:
        raise DomainError("department_required", "Choose one of your departments: your codes "
                          "apply to its courses and programs only.", field="department_id")
    if data.department_id not in scope:
        raise DomainError("forbidden", "You can only make codes for your own departments.",
                          kind=ErrorKind.FORBIDDEN, field="department_id")
    for item_type, item_id in data.listed_items if data.scope == DiscountScope.LISTED else ():
        item: Course | Program | None = (session.get(Course, item_id) if item_type == "course"
                                          else session.get(Program, item_id))
        if item is not None and item.department_id not in scope:
            dept = session.get(Department, item.department_id)
            raise DomainError(
                "item_not_managed",
                f"{item.code} {item.title} belongs to {dept.name if dept else 'a department'}, "
                "which you do not manage; your codes cover your departments' items only.",
                kind=ErrorKind.FORBIDDEN, field="items")


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
        "duration": row.duration,
        "valid_from": row.valid_from.isoformat(),
        "valid_until": row.valid_until.isoformat() if row.valid_until else None,
        "is_active": row.is_active,
        "items": sorted([list(i) for i in items]),
    }


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
    row.duration = data.duration
    row.description = " ".join(data.description.split())[:500]


def _save_items(
    session: Session,
    actor: Actor,
    row: DiscountCode,
    data: CodeInput,
    scope: DiscountScope,
    *,
    action: str,
    before: dict[str, object] | None = None,
) -> None:
    """Write a created or edited code's listed items and its audit row, and commit."""
    assert row.id is not None
    items = sorted(data.listed_items) if scope is DiscountScope.LISTED else []
    for item_type, item_id in items:
        session.add(DiscountCodeItem(code_id=row.id, item_type=item_type, item_id=item_id))
    record_audit(
        session=session,
        actor=actor,
        action=action,
        entity_type="discount_code",
        entity_id=row.id,
        before=before,
        after=_snapshot(row, items),
    )
    session.commit()


def create_code(*, session: Session, actor: Actor | None, data: CodeInput) -> DiscountCode:
    """A new discount code; codes are unique whatever their case."""
    actor, departments = code_departments(session, actor)
    code, kind, scope, currency = _checked(session, data)
    _check_departments(session, departments, data)
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
    _save_items(session, actor, row, data, scope, action="discount.created")
    return row


def update_code(
    *, session: Session, actor: Actor | None, code_id: int, data: CodeInput
) -> DiscountCode:
    """Change a code's terms (its text stays; uses so far are kept)."""
    actor, row = managed_code(session, actor, code_id)
    _, kind, scope, currency = _checked(session, CodeInput(**{**data.__dict__, "code": row.code}))
    _check_departments(session, code_departments(session, actor)[1], data)
    if data.max_uses is not None and data.max_uses < row.uses_count:
        raise DomainError(
            "limit_below_uses",
            f"The code was already used {row.uses_count} times.",
            field="max_uses",
        )
    before = _snapshot(row, code_items(session, code_id))
    _apply(row, data, kind, scope, currency)
    row.updated_at = utcnow()
    session.add(row)
    session.exec(delete(DiscountCodeItem).where(col(DiscountCodeItem.code_id) == code_id))  # type: ignore[call-overload]
    _save_items(session, actor, row, data, scope, action="discount.updated", before=before)
    return row


def set_code_active(
    *, session: Session, actor: Actor | None, code_id: int, active: bool
) -> DiscountCode:
    """Switch a code on or off."""
    actor, row = managed_code(session, actor, code_id)
    if row.is_active != active:
        save_switch(session=session, actor=actor, row=row, flag="is_active", value=active,
                    actions=("discount.activated", "discount.deactivated"),
                    entity_type="discount_code", entity_id=code_id)
    return row


