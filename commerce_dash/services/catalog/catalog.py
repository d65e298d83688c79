"""The public catalog: published courses and programs with a price in force."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, String, cast, exists, func, literal, or_, union_all
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from commerce_dash.domain.access import department_closure
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.errors import not_found
from commerce_dash.domain.money import format_minor
from commerce_dash.domain.paging import Page, PageRequest
from commerce_dash.domain.pricing import BundleSavings, ItemType
from commerce_dash.models.accounts import User
from commerce_dash.models.catalog import Course, CourseModule, Department, Program, ProgramCourse
from commerce_dash.models.pricing import Price
from commerce_dash.services.catalog.fx import Pricing, converted_price, pricing_for
from commerce_dash.services.catalog.pricing import in_force_clause, prices_in_force
from commerce_dash.services.platform.org import department_parents
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


@dataclass(frozen=True)
class PriceTag:
    amount: int
    currency: str
    label: str
    price_type: str
    converted_from: str = ""  # "$100.00" when the price is the settlement price converted


@dataclass(frozen=True)
class ModuleTitle:
    position: int
    title: str
    estimated_minutes: int


@dataclass(frozen=True)
class CourseDetail:
    id: int
    code: str
    title: str
    description: str
    category: str
    department_id: int
    department_code: str
    department: str
    instructor: str
    thumbnail_url: str
    estimated_minutes: int
    modules: list[ModuleTitle]
    price: PriceTag | None
    programs: list[tuple[str, str]]  # (code, title) of published programs holding it


@dataclass(frozen=True)
class ProgramCourseLine:
    code: str
    title: str
    estimated_minutes: int
    price: PriceTag | None


@dataclass(frozen=True)
class ProgramDetail:
    id: int
    code: str
    title: str
    description: str
    department_code: str
    department: str
    thumbnail_url: str
    courses: list[ProgramCourseLine]
    price: PriceTag | None
    courses_total: PriceTag | None
    savings: PriceTag | None
    savings_percent: int
    estimated_minutes: int


@dataclass(frozen=True)
class PlanTag:
    interval: str
    trial_days: int
    price: PriceTag


@dataclass(frozen=True)
class DepartmentDetail:
    id: int
    code: str
    name: str
    description: str
    parent: tuple[str, str] | None
    subdepartments: list[tuple[str, str]]
    courses: list[CatalogCard]
    plans: list[PlanTag]
    extra: dict[str, str] = field(default_factory=dict)


def _tag(amount: int | None, currency: str, price_type: str = "one_time") -> PriceTag | None:
    if amount is None:
        return None
    locale = get_settings().default_locale
    label = "Free" if price_type == "free" or amount == 0 else format_minor(amount, currency, locale)
    return PriceTag(amount, currency, label, price_type)


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


def _pricing(session: Session, currency: str, at: datetime) -> Pricing:
    """The prices a page in ``currency`` shows: the cart's rule (a currency with a price list
    and a rate converts what has no price in it); a currency that is not offered shows only
    its own price list."""
    settlement = get_settings().settlement_currency
    wanted = (currency or settlement).strip().upper()
    pricing = pricing_for(session=session, display_currency=wanted, at=at)
    return pricing if pricing.charge == wanted else Pricing(wanted, wanted, None)


def _priced(item_type: str, pricing: Pricing, at: datetime) -> Any:
    """item id -> amount, price type and, converting, the settlement amount (a subquery)."""

    def in_currency(code: str, name: str) -> Any:
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


def _card_price(pricing: Pricing, amount: int | None, base_amount: int | None
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
    pricing = _pricing(session, query.currency, at)
    currency = pricing.charge
    scope = _scope(session, query.department_id)
    pattern = like_pattern(query.search)

    def priced(item_type: str):  # type: ignore[no-untyped-def]
        return _priced(item_type, pricing, at)

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
    # The total rides along with the page (a window count), saving a second pass.
    rows: list[Any] = session.execute(  # type: ignore[assignment]
        sa_select(items, col(Department.name), func.count().over().label("total_rows"))
        .join(Department, col(Department.id) == items.c.department_id)
        .order_by(*order, items.c.kind, items.c.id)
        .offset(page.offset).limit(page.page_size)
    ).all()
    if rows:
        total = rows[0].total_rows
    elif page.page == 1:
        total = 0
    else:  # past the last page: count on its own
        total = session.execute(sa_select(func.count()).select_from(items)).scalar_one()
    locale = get_settings().default_locale
    cards = []
    for r in rows:
        amount, converted_from = _card_price(pricing, r.amount, r.base_amount)
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


def _price_tag(session: Session, item_type: str, item_id: int, pricing: Pricing,
               at: datetime) -> PriceTag | None:
    """The item's price in the page's currency; converting, its settlement price converted
    when it has none of its own (what the cart will charge)."""

    def price_in(code: str) -> Any:
        return session.exec(
            select(Price.amount, Price.price_type).where(
                Price.item_type == item_type, Price.item_id == item_id, Price.currency == code,
                Price.interval == "", in_force_clause(at),
            )
        ).first()

    row = price_in(pricing.charge)
    if row is not None:
        return _tag(row[0], pricing.charge, row[1])
    base = price_in(pricing.settlement) if pricing.converts else None
    if base is None:
        return None
    amount, converted_from = _card_price(pricing, None, base[0])
    tag = _tag(amount, pricing.charge, base[1])
    assert tag is not None
    return PriceTag(tag.amount, tag.currency, tag.label, tag.price_type, converted_from)


def _course_prices(session: Session, course_ids: list[int], pricing: Pricing,
                   at: datetime) -> dict[int, int]:
    """Each course's price in the page's currency (converted when it has none)."""
    amounts = prices_in_force(session=session, item_type=ItemType.COURSE, item_ids=course_ids,
                              currency=pricing.charge, at=at)
    if pricing.converts:
        missing = [c for c in course_ids if c not in amounts]
        for course_id, amount in prices_in_force(
                session=session, item_type=ItemType.COURSE, item_ids=missing,
                currency=pricing.settlement, at=at).items():
            amounts[course_id] = converted_price(pricing, amount)
    return amounts


def course_detail(*, session: Session, code: str, currency: str = "",
                  at: datetime | None = None) -> CourseDetail:
    """A published course by code, with modules (titles only) and its price."""
    at = at or utcnow()
    pricing = _pricing(session, currency, at)
    currency = pricing.charge
    course = session.exec(
        select(Course).where(Course.code == code.upper(), col(Course.published).is_(True))
    ).first()
    if course is None or course.id is None:
        raise not_found("course", code)
    dept = session.get(Department, course.department_id)
    instructor = session.get(User, course.instructor_id) if course.instructor_id else None
    modules = session.exec(
        select(CourseModule).where(CourseModule.course_id == course.id)
        .order_by(col(CourseModule.position))
    ).all()
    programs = session.exec(
        select(Program.code, Program.title)
        .join(ProgramCourse, col(ProgramCourse.program_id) == Program.id)
        .where(ProgramCourse.course_id == course.id, col(Program.published).is_(True))
        .order_by(Program.title)
    ).all()
    return CourseDetail(
        id=course.id, code=course.code, title=course.title, description=course.description,
        category=course.category, department_id=course.department_id,
        department_code=dept.code if dept else "", department=dept.name if dept else "",
        instructor=instructor.full_name if instructor else "",
        thumbnail_url=course.thumbnail_url, estimated_minutes=course.estimated_minutes,
        modules=[ModuleTitle(m.position, m.title, m.estimated_minutes) for m in modules],
        price=_price_tag(session, ItemType.COURSE, course.id, pricing, at),
        programs=[(c, t) for c, t in programs],
    )


def program_detail(*, session: Session, code: str, currency: str = "",
                   at: datetime | None = None) -> ProgramDetail:
    """A published program with its courses in order, bundle price and savings."""
    at = at or utcnow()
    pricing = _pricing(session, currency, at)
    currency = pricing.charge
    program = session.exec(
        select(Program).where(Program.code == code.upper(), col(Program.published).is_(True))
    ).first()
    if program is None or program.id is None:
        raise not_found("program", code)
    dept = session.get(Department, program.department_id)
    courses = session.exec(
        select(Course)
        .join(ProgramCourse, col(ProgramCourse.course_id) == Course.id)
        .where(ProgramCourse.program_id == program.id)
        .order_by(col(ProgramCourse.position))
    ).all()
    amounts = _course_prices(session, [c.id for c in courses if c.id], pricing, at)
    lines = [
        ProgramCourseLine(c.code, c.title, c.estimated_minutes, _tag(amounts.get(c.id or 0),
                                                                    currency))
        for c in courses
    ]
    # a program holding a course taken off sale is not sold until the course is back
    price = (_price_tag(session, ItemType.PROGRAM, program.id, pricing, at)
             if all(c.published for c in courses) else None)
    total = sum(amounts.values()) if len(amounts) == len(courses) else None
    savings: BundleSavings | None = None
    if price is not None and total is not None and price.amount < total:
        savings = BundleSavings(total, price.amount, total - price.amount, currency)
    return ProgramDetail(
        id=program.id, code=program.code, title=program.title, description=program.description,
        department_code=dept.code if dept else "", department=dept.name if dept else "",
        thumbnail_url=program.thumbnail_url, courses=lines, price=price,
        courses_total=_tag(total, currency),
        savings=_tag(savings.savings, currency) if savings else None,
        savings_percent=savings.percent if savings else 0,
        estimated_minutes=sum(c.estimated_minutes for c in courses),
    )


def department_detail(*, session: Session, code: str, currency: str = "",
                      at: datetime | None = None) -> DepartmentDetail:
    """A department with its priced courses (and subdepartments') and subscription plans."""
    at = at or utcnow()
    currency = (currency or get_settings().settlement_currency).upper()
    dept = session.exec(select(Department).where(Department.code == code.upper())).first()
    if dept is None or dept.id is None:
        raise not_found("department", code)
    parent = session.get(Department, dept.parent_id) if dept.parent_id else None
    subs = session.exec(
        select(Department.code, Department.name).where(Department.parent_id == dept.id)
        .order_by(Department.name)
    ).all()
    courses = browse(
        session=session,
        query=CatalogQuery(department_id=dept.id, kind="course", currency=currency, at=at),
        page=PageRequest(1, 200),
    ).items
    def plans_in(code: str) -> list[Price]:
        return list(session.exec(
            select(Price).where(Price.item_type == ItemType.SUBSCRIPTION,
                                Price.item_id == dept.id, Price.currency == code,
                                in_force_clause(at))
        ).all())

    plans = plans_in(currency)
    if not plans and currency != get_settings().settlement_currency:
        currency = get_settings().settlement_currency
        plans = plans_in(currency)
    order = {"monthly": 0, "quarterly": 1, "annual": 2}
    plan_tags = [
        PlanTag(p.interval, p.trial_days, _tag(p.amount, currency, p.price_type))  # type: ignore[arg-type]
        for p in sorted(plans, key=lambda p: order.get(p.interval, 9))
    ]
    return DepartmentDetail(
        id=dept.id, code=dept.code, name=dept.name, description=dept.description,
        parent=(parent.code, parent.name) if parent else None,
        subdepartments=[(c, n) for c, n in subs], courses=courses, plans=plan_tags,
    )


_CODED: dict[str, type[Course] | type[Program] | type[Department]] = {
    "course": Course,
    "program": Program,
    "department": Department,
}
_MAX_ID = 2**31 - 1


def public_code(*, session: Session, entity: str, ref: str) -> str:
    """The public code ``ref`` names: a code as given, or the code of a numeric id.

    A code that is all digits wins over an id; unpublished courses and programs are never
    resolved, so an id cannot reveal them.
    """
    model = _CODED[entity]
    ref = ref.strip()
    if not (ref.isascii() and ref.isdigit()) or len(ref) > 10 or int(ref) > _MAX_ID:
        return ref
    if session.exec(select(model.id).where(model.code == ref.upper())).first() is not None:
        return ref
    query = select(model.code).where(model.id == int(ref))
    if model is not Department:
        query = query.where(col(model.published).is_(True))  # type: ignore[union-attr]
    return session.exec(query).first() or ref
