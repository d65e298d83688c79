"""Which priced items an administrator may see and price: the item a price is for, the
departments the actor manages prices of, and a price's validity window.

Re-exported by ``pricing.py``, the prices' public face.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from commerce_dash.domain.access import RoleName
from commerce_dash.domain.actor import Actor, require_section
from commerce_dash.domain.errors import DomainError, ErrorKind, not_found
from commerce_dash.domain.pricing import ItemType, PriceWindow
from commerce_dash.models.catalog import Course, Department, Program
from commerce_dash.models.pricing import Price
from commerce_dash.models.sessions import CreditPack
from commerce_dash.services.platform import department_parents


@dataclass(frozen=True)
class PricedItem:
    item_type: ItemType
    item_id: int
    department_id: int
    title: str
    published: bool


def window_of(price: Price) -> PriceWindow:
    assert price.id is not None
    return PriceWindow(
        id=price.id, amount=price.amount, currency=price.currency,
        effective_from=price.effective_from, effective_until=price.effective_until,
        deactivated=price.deactivated_at is not None,
    )


def priced_item(*, session: Session, item_type: str, item_id: int) -> PricedItem:
    """The course, program, department (plan) or credit pack a price is for."""
    try:
        kind = ItemType(item_type)
    except ValueError:
        raise DomainError("invalid_item_type", "Prices are for a course, a program, a "
                          "department subscription plan or a credit pack.",
                          field="item_type") from None
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
    if kind is ItemType.CREDIT_PACK:
        pack = session.get(CreditPack, item_id)
        if pack is None:
            raise not_found("credit_pack", item_id)
        return PricedItem(kind, item_id, pack.department_id, pack.title, pack.published)
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


def require_item_access(session: Session, actor: Actor | None, item: PricedItem) -> Actor:
    allowed = pricing_departments(session=session, actor=actor)
    assert actor is not None
    if allowed is not None and item.department_id not in allowed:
        raise DomainError("forbidden", "You can only price items of your departments.",
                          kind=ErrorKind.FORBIDDEN)
    return actor
