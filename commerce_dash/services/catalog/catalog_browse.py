"""Browsing the public catalog: the cards of published courses and programs with a price in
force, filtered, sorted and paged in SQL; course titles and categories for the filters.

Re-exported by ``catalog.py``, the catalog's public face.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, String, cast, exists, func, literal, or_, union_all
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from commerce_dash.domain.access import department_closure
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.money import format_minor
from commerce_dash.domain.paging import Page, PageRequest
from commerce_dash.domain.pricing import ItemType
from commerce_dash.models.catalog import Course, Department, PriceInForce, Program, ProgramCourse
from commerce_dash.models.pricing import Price
from commerce_dash.services.catalog.fx import Pricing, converted_price, pricing_for
from commerce_dash.services.catalog.prices_now import in_force_clause
from commerce_dash.services.catalog.prices_table import table_ready
from commerce_dash.services.platform import department_parents
from commerce_dash.settings import get_settings

SORTS = ("title", "price_asc", "price_desc", "newest")


@dataclass(frozen=True)
class CatalogQuery:
    search: str = ""
    department_id: int | None = None
    category: str = ""
    kind: str = ""  # "", "course" or "program"
    sort: str = "title"
    currency: str = ""
    at: datetime | None = None


@dataclass(frozen=True)
class CatalogCard:
    kind: str
    id: int
    code: str
    title: str
    description: str
    category: str
    department_id: int
    department: str
    thumbnail_url: str
    amount: int
    currency: str
    price_label: str
    estimated_minutes: int
    converted_from: str = ""  # "$100.00" when the price is the settlement price converted


def _scope(session: Session, department_id: int | None) -> frozenset[int] | None:
    if not department_id:
        return None
    return department_closure(department_parents(session=session), [department_id])


def like_pattern(text: str) -> str | None:
    """A LIKE pattern matching ``text`` anywhere, with its own % and _ taken literally."""
    text = text.strip()
    if not text:
        return None
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def page_pricing(session: Session, currency: str, at: datetime) -> Pricing:
    """The prices a page in ``currency`` shows: the cart's rule (a currency with a price list
    and a rate converts what has no price in it); a currency that is not offered shows only
    its own price list."""
    settlement = get_settings().settlement_currency
    wanted = (currency or settlement).strip().upper()
    pricing = pricing_for(session=session, display_currency=wanted, at=at)
    return pricing if pricing.charge == wanted else Pricing(wanted, wanted, None)


def _priced(item_type: str, pricing: Pricing, at: datetime, ready: bool) -> Any:
    """item id -> amount, price type and, converting, the settlement amount (a subquery):
    from the prices kept ready when ``ready``, else by the rule at ``at``."""

    def in_currency(code: str, name: str) -> Any:
        if ready:
            return (sa_select(col(PriceInForce.item_id), col(PriceInForce.amount),
                              col(PriceInForce.price_type))
                    .where(col(PriceInForce.item_type) == item_type,
                           col(PriceInForce.currency) == code, col(PriceInForce.interval) == "",
                           col(PriceInForce.price_id).is_not(None)).subquery(name))
        return (select(Price.item_id, Price.amount, Price.price_type)
                .where(Price.item_type == item_type, Price.currency == code,
                       Price.interval == "", in_force_clause(at)).subquery(name))

    own = in_currency(pricing.charge, f"p_{item_type}")
    if not pricing.converts:
        return (sa_select(own.c.item_id.label("item_id"), own.c.amount.label("amount"),
                          own.c.price_type.label("price_type"),
                          cast(literal(None), Integer).label("base_amount"),
                          own.c.amount.label("sort_amount"))
                .subquery(f"priced_{item_type}"))
    assert pricing.rate is not None
    base = in_currency(pricing.settlement, f"b_{item_type}")
    # only an ordering key (the page converts each price exactly, in Decimal)
    approx = base.c.amount * float(pricing.rate.rate)
    items = union_all(sa_select(own.c.item_id), sa_select(base.c.item_id)).subquery(
        f"i_{item_type}")
    return (sa_select(items.c.item_id.label("item_id"), own.c.amount.label("amount"),
                      func.coalesce(own.c.price_type, base.c.price_type).label("price_type"),
                      base.c.amount.label("base_amount"),
                      func.coalesce(own.c.amount, approx).label("sort_amount"))
            .select_from(items)
            .outerjoin(own, own.c.item_id == items.c.item_id)
            .outerjoin(base, base.c.item_id == items.c.item_id)
            .distinct().subquery(f"priced_{item_type}"))


def card_price(pricing: Pricing, amount: int | None, base_amount: int | None
                ) -> tuple[int, str]:
    """(amount in the page's currency, the settlement price it was converted from or "")."""
    if amount is not None:
        return amount, ""
    assert base_amount is not None
    locale = get_settings().default_locale
    return (converted_price(pricing, base_amount),
            format_minor(base_amount, pricing.settlement, locale))


def browse(*, session: Session, query: CatalogQuery, page: PageRequest) -> Page[CatalogCard]:
    """One page of the catalog: items with a price in force in the currency (or, in a
    currency learners may be charged in, converted from the settlement price), filtered,
    sorted."""
    at = query.at or utcnow()
    # now: the prices kept ready, unless a window edge passed that the job has not written
    ready = query.at is None and table_ready(session=session, at=at)
    pricing = page_pricing(session, query.currency, at)
    currency = pricing.charge
    scope = _scope(session, query.department_id)
    pattern = like_pattern(query.search)

    def priced(item_type: str):  # type: ignore[no-untyped-def]
        return _priced(item_type, pricing, at, ready)

    course_price = priced(ItemType.COURSE)
    courses = (
        sa_select(
            literal("course").label("kind"), col(Course.id).label("id"),
            col(Course.code).label("code"), col(Course.title).label("title"),
            col(Course.description).label("description"), col(Course.category).label("category"),
            col(Course.department_id).label("department_id"),
            col(Course.thumbnail_url).label("thumbnail_url"),
            course_price.c.amount.label("amount"), course_price.c.price_type.label("price_type"),
            course_price.c.base_amount.label("base_amount"),
            course_price.c.sort_amount.label("sort_amount"),
            col(Course.estimated_minutes).label("minutes"),
            col(Course.created_at).label("created_at"),
        )
        .join(course_price, course_price.c.item_id == Course.id)
        .where(col(Course.published).is_(True))
    )
    program_price = priced(ItemType.PROGRAM)
    minutes = (
        select(ProgramCourse.program_id, func.sum(Course.estimated_minutes).label("m"))
        .join(Course, col(Course.id) == ProgramCourse.course_id)
        .group_by(col(ProgramCourse.program_id))
        .subquery("pm")
    )
    programs = (
        sa_select(
            literal("program").label("kind"), col(Program.id).label("id"),
            col(Program.code).label("code"), col(Program.title).label("title"),
            col(Program.description).label("description"),
            cast(literal(""), String).label("category"),
            col(Program.department_id).label("department_id"),
            col(Program.thumbnail_url).label("thumbnail_url"),
            program_price.c.amount.label("amount"), program_price.c.price_type.label("price_type"),
            program_price.c.base_amount.label("base_amount"),
            program_price.c.sort_amount.label("sort_amount"),
            cast(func.coalesce(minutes.c.m, 0), Integer).label("minutes"),
            col(Program.created_at).label("created_at"),
        )
        .join(program_price, program_price.c.item_id == Program.id)
        .outerjoin(minutes, minutes.c.program_id == Program.id)
        .where(col(Program.published).is_(True), ~exists(_unpublished_course(Program.id)))
    )
    if pattern:
        courses = courses.where(or_(col(Course.title).ilike(pattern, escape="\\"),
                                    col(Course.description).ilike(pattern, escape="\\"),
                                    col(Course.code).ilike(pattern, escape="\\")))
        programs = programs.where(or_(col(Program.title).ilike(pattern, escape="\\"),
                                      col(Program.description).ilike(pattern, escape="\\"),
                                      col(Program.code).ilike(pattern, escape="\\")))
    if scope is not None:
        courses = courses.where(col(Course.department_id).in_(scope))
        programs = programs.where(col(Program.department_id).in_(scope))
    if query.category:
        courses = courses.where(col(Course.category) == query.category)
    parts = []
    if query.kind in ("", "course"):
        parts.append(courses)
    if query.kind in ("", "program") and not query.category:
        parts.append(programs)
    if not parts:
        return Page([], 0, page.page, page.page_size)
    items = union_all(*parts).subquery("items") if len(parts) > 1 else parts[0].subquery("items")
    order = {
        "price_asc": (items.c.sort_amount.asc(), items.c.title.asc()),
        "price_desc": (items.c.sort_amount.desc(), items.c.title.asc()),
        "newest": (items.c.created_at.desc(), items.c.id.desc()),
    }.get(query.sort, (func.lower(items.c.title).asc(), items.c.kind.asc()))
    # The page, then the total on its own: a window count would make the database carry
    # every matching row to the sort instead of keeping the best page_size.
    rows: list[Any] = session.execute(  # type: ignore[assignment]
        sa_select(items, col(Department.name))
        .join(Department, col(Department.id) == items.c.department_id)
        .order_by(*order, items.c.kind, items.c.id)
        .offset(page.offset).limit(page.page_size)
    ).all()
    if page.page == 1 and len(rows) < page.page_size:
        total = len(rows)
    else:
        total = session.execute(sa_select(func.count()).select_from(items)).scalar_one()
    locale = get_settings().default_locale
    cards = []
    for r in rows:
        amount, converted_from = card_price(pricing, r.amount, r.base_amount)
        cards.append(CatalogCard(
            kind=r.kind, id=r.id, code=r.code, title=r.title, description=r.description,
            category=r.category or "", department_id=r.department_id, department=r.name,
            thumbnail_url=r.thumbnail_url, amount=amount, currency=currency,
            price_label="Free" if r.price_type == "free" or amount == 0
            else format_minor(amount, currency, locale),
            estimated_minutes=int(r.minutes or 0), converted_from=converted_from,
        ))
    return Page(cards, int(total), page.page, page.page_size)


def _unpublished_course(program_id: Any) -> Any:
    """Correlated: the courses of the program that are not published."""
    return (sa_select(col(ProgramCourse.program_id))
            .join(Course, col(Course.id) == ProgramCourse.course_id)
            .where(col(ProgramCourse.program_id) == program_id,
                   col(Course.published).is_(False)))


def course_titles(*, session: Session, course_ids: Iterable[int]) -> dict[int, str]:
    """id -> title of the courses named (none asked: no query)."""
    ids = set(course_ids)
    if not ids:
        return {}
    return {cid: title for cid, title in session.exec(
        select(Course.id, Course.title).where(col(Course.id).in_(ids))).all()
        if cid is not None}


def categories(*, session: Session) -> list[str]:
    """Categories of published courses, alphabetically."""
    rows = session.exec(
        select(Course.category).where(col(Course.published).is_(True), Course.category != "")
        .distinct().order_by(Course.category)
    ).all()
    return list(rows)
