"""Credit packs (issue 17): session credits sold alone. A pack belongs to a department and is
managed like its courses (super-admins: every department; department admins: their own and
those below). What a pack gives and costs is on its price, written by ``pricing.create_price``
with ``item_type="credit_pack"`` (the credits are checked there)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from commerce_dash.domain.actor import Actor
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.errors import DomainError, ErrorKind, not_found
from commerce_dash.domain.money import format_minor
from commerce_dash.domain.pricing import ItemType, describe_credits
from commerce_dash.models.catalog import Department
from commerce_dash.models.pricing import Price
from commerce_dash.models.sessions import CreditPack
from commerce_dash.services.catalog.prices_now import in_force_clause
from commerce_dash.services.platform import (
    add_created,
    clean_code,
    managed_departments,
    require_managed,
    require_text,
    save_edit,
    save_switch,
)
from commerce_dash.settings import get_settings

SECTION = "courses"  # packs are managed by who manages the department's courses
_DESCRIPTION_LIMIT = 20_000


@dataclass(frozen=True)
class CreditPackIn:
    """The admin form of a pack (its price is set on the Pricing page)."""

    code: str
    title: str
    department_id: int
    description: str = ""


@dataclass(frozen=True)
class CreditPackRow:
    id: int
    code: str
    title: str
    description: str
    department_id: int
    department: str
    published: bool
    price_label: str  # the settlement-currency price in force, "" when none
    credits_note: str  # "Includes 4 private sessions (30 min), valid 180 days"; "" when unpriced


def _clean(data: CreditPackIn) -> tuple[str, str, str]:
    code = clean_code(data.code)
    title = require_text(data.title, "title", "pack title", 200)
    description = data.description.strip()
    if len(description) > _DESCRIPTION_LIMIT:
        raise DomainError("description_too_long", "Use at most 20,000 characters.",
                          field="description")
    return code, title, description


def _require_new_code(session: Session, code: str, pack_id: int | None = None) -> None:
    query = select(CreditPack.id).where(CreditPack.code == code)
    if pack_id is not None:
        query = query.where(col(CreditPack.id) != pack_id)
    if session.exec(query).first() is not None:
        raise DomainError("code_taken", f"A credit pack with code {code} exists.",
                          kind=ErrorKind.CONFLICT, field="code")


def _department(session: Session, department_id: int) -> Department:
    department = session.get(Department, department_id)
    if department is None:
        raise not_found("department", department_id)
    return department


def _managed_pack(session: Session, actor: Actor | None, pack_id: int) -> CreditPack:
    pack = session.get(CreditPack, pack_id)
    if pack is None:
        raise not_found("credit_pack", pack_id)
    allowed = managed_departments(session=session, actor=actor, section=SECTION)
    if allowed is not None and pack.department_id not in allowed:
        raise DomainError("credit_pack_not_managed",
                          "You can only manage the credit packs of your departments.",
                          kind=ErrorKind.FORBIDDEN)
    return pack


def create_credit_pack(*, session: Session, actor: Actor | None, data: CreditPackIn,
                       published: bool = False) -> CreditPack:
    """A new pack in a department the actor manages; audited, commits."""
    _department(session, data.department_id)
    actor = require_managed(session, actor, SECTION, data.department_id)
    code, title, description = _clean(data)
    _require_new_code(session, code)
    pack = CreditPack(code=code, title=title, description=description,
                      department_id=data.department_id, published=published)
    add_created(session=session, actor=actor, row=pack, action="credit_pack.created",
                entity_type="credit_pack",
                after={"code": code, "title": title, "department_id": data.department_id,
                       "published": published})
    session.commit()
    return pack


def update_credit_pack(*, session: Session, actor: Actor | None, pack_id: int,
                       data: CreditPackIn) -> CreditPack:
    """Edit a pack's code, title, description or department (both departments managed);
    only what changed is written and audited; commits."""
    pack = _managed_pack(session, actor, pack_id)
    if data.department_id != pack.department_id:
        _department(session, data.department_id)
        require_managed(session, actor, SECTION, data.department_id)
    code, title, description = _clean(data)
    _require_new_code(session, code, pack_id)
    old = {"code": pack.code, "title": pack.title, "description": pack.description,
           "department_id": pack.department_id}
    new = {"code": code, "title": title, "description": description,
           "department_id": data.department_id}
    save_edit(session=session, actor=actor, row=pack, old=old, new=new,
              action="credit_pack.updated", entity_type="credit_pack", entity_id=pack_id)
    session.commit()
    session.refresh(pack)
    return pack


def publish_credit_pack(*, session: Session, actor: Actor | None, pack_id: int,
                        published: bool = True) -> CreditPack:
    """Put a pack on sale (or take it off); doing it twice changes nothing; commits."""
    pack = _managed_pack(session, actor, pack_id)
    if pack.published != published:
        pack.updated_at = utcnow()
        save_switch(session=session, actor=actor, row=pack, flag="published", value=published,
                    actions=("credit_pack.published", "credit_pack.unpublished"),
                    entity_type="credit_pack", entity_id=pack_id)
    session.commit()
    session.refresh(pack)
    return pack


def _rows(session: Session, packs: list[CreditPack]) -> list[CreditPackRow]:
    settings = get_settings()
    names = dict(session.exec(select(Department.id, Department.name).where(
        col(Department.id).in_({p.department_id for p in packs} or {0}))).all())
    prices = {p.item_id: p for p in session.exec(select(Price).where(
        Price.item_type == ItemType.CREDIT_PACK.value,
        col(Price.item_id).in_([p.id for p in packs] or [0]),
        Price.currency == settings.settlement_currency, Price.interval == "",
        in_force_clause(utcnow()))).all()}
    rows = []
    for pack in packs:
        assert pack.id is not None
        price = prices.get(pack.id)
        rows.append(CreditPackRow(
            id=pack.id, code=pack.code, title=pack.title, description=pack.description,
            department_id=pack.department_id, department=names.get(pack.department_id, ""),
            published=pack.published,
            price_label=(format_minor(price.amount, price.currency, settings.default_locale)
                         if price else ""),
            credits_note=(describe_credits(price.private_credits, price.private_minutes,
                                           price.group_credits, price.credit_expiry_days)
                          if price else ""),
        ))
    return rows


def list_credit_packs(*, session: Session, actor: Actor | None, department_id: int | None = None,
                      search: str = "") -> list[CreditPackRow]:
    """The packs of the actor's departments, by code, with their price in force."""
    allowed = managed_departments(session=session, actor=actor, section=SECTION)
    query = select(CreditPack)
    if allowed is not None:
        query = query.where(col(CreditPack.department_id).in_(allowed))
    if department_id is not None:
        query = query.where(CreditPack.department_id == department_id)
    if search.strip():
        pattern = f"%{search.strip()}%"
        query = query.where(col(CreditPack.title).ilike(pattern)
                            | col(CreditPack.code).ilike(pattern))
    return _rows(session, list(session.exec(query.order_by(col(CreditPack.code))).all()))


def get_credit_pack(*, session: Session, actor: Actor | None, pack_id: int) -> CreditPackRow:
    """One pack the actor manages, with its price in force."""
    return _rows(session, [_managed_pack(session, actor, pack_id)])[0]


def published_credit_packs(*, session: Session, department_id: int | None = None
                           ) -> list[CreditPackRow]:
    """The packs on sale (the storefront's): published, with a price in force."""
    query = select(CreditPack).where(col(CreditPack.published).is_(True))
    if department_id is not None:
        query = query.where(CreditPack.department_id == department_id)
    rows = _rows(session, list(session.exec(query.order_by(col(CreditPack.title))).all()))
    return [row for row in rows if row.price_label]


def credits_notes(session: Session, price_ids: set[int]) -> dict[int, str]:
    """Price id -> what a purchase at it includes (``domain.pricing.describe_credits``), for
    the prices among ``price_ids`` that give session credits (one query): what the cart, the
    checkout and the order show under a line."""
    if not price_ids:
        return {}
    rows = session.exec(select(Price).where(
        col(Price.id).in_(price_ids),
        (col(Price.private_credits) > 0) | (col(Price.group_credits) > 0))).all()
    return {p.id or 0: describe_credits(p.private_credits, p.private_minutes, p.group_credits,
                                        p.credit_expiry_days) for p in rows}


def credit_pack_options(*, session: Session, actor: Actor | None, section: str = "pricing",
                        published_only: bool = True) -> list[tuple[int, str]]:
    """(id, 'CODE — Title') of the packs the actor may pick in ``section`` (the Pricing
    page's "what is this price for" when the item type is a credit pack), by code."""
    allowed = managed_departments(session=session, actor=actor, section=section)
    query = select(CreditPack.id, CreditPack.code, CreditPack.title)
    if allowed is not None:
        query = query.where(col(CreditPack.department_id).in_(allowed))
    if published_only:
        query = query.where(col(CreditPack.published).is_(True))
    return [(pack_id or 0, f"{code} — {title}")
            for pack_id, code, title in session.exec(query.order_by(col(CreditPack.code))).all()]
