"""Checking a discount code against a cart: the code's rule (its terms and the items it
covers) and the verdict, applied or refused with the reason.

Re-exported by ``discounts.py``, the discount codes' public face.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from commerce_dash.domain.access import RoleName, department_closure
from commerce_dash.domain.actor import Actor, require_section
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.discounts import (
    DiscountApplied,
    DiscountKind,
    DiscountRefused,
    DiscountRule,
    DiscountScope,
    PricedLine,
    evaluate_discount,
    normalise_code,
)
from commerce_dash.domain.errors import not_found
from commerce_dash.models.pricing import DiscountCode, DiscountCodeItem, DiscountRedemption
from commerce_dash.services.platform import department_parents
from commerce_dash.settings import get_settings

COUNTED = ("reserved", "redeemed")


def code_departments(session: Session, actor: Actor | None) -> tuple[Actor, frozenset[int] | None]:
    """The checked actor of the discounts section and the departments whose codes they manage:
    None (every code) for billing and super admins; for a dept-admin the departments they were
    granted and their subdepartments (CAT-004): they see and make only codes of those."""
    checked = require_section(actor, "discounts")
    if checked.is_super_admin or RoleName.BILLING_ADMIN in checked.roles:
        return checked, None
    granted = checked.departments_for(RoleName.DEPT_ADMIN, department_parents(session=session))
    return checked, granted or frozenset()


def managed_code(session: Session, actor: Actor | None, code_id: int) -> tuple[Actor, DiscountCode]:
    """The code an admin of the discounts section works on (the checked actor and the row),
    else ``not_found`` (a dept-admin is told so of another department's code too)."""
    checked, scope = code_departments(session, actor)
    row = session.get(DiscountCode, code_id)
    if row is None or (scope is not None and row.department_id not in scope):
        raise not_found("discount_code", code_id)
    return checked, row


def code_items(session: Session, code_id: int) -> list[tuple[str, int]]:
    rows = session.exec(
        select(DiscountCodeItem.item_type, DiscountCodeItem.item_id).where(
            DiscountCodeItem.code_id == code_id
        )
    ).all()
    return [(t, i) for t, i in rows]


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
        listed_items=frozenset(code_items(session, row.id)),
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
