"""The public catalog: published courses and programs with a price in force.

This module holds the course, program and department pages and is the catalog's public face:
browsing (``catalog_browse.py``) is re-exported, so callers import the catalog from here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlmodel import Session, col, select

from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.errors import not_found
from commerce_dash.domain.money import format_minor
from commerce_dash.domain.paging import PageRequest
from commerce_dash.domain.pricing import BundleSavings, ItemType
from commerce_dash.models.accounts import User
from commerce_dash.models.catalog import (
    Course,
    CourseModule,
    CoursePrerequisite,
    Department,
    Program,
    ProgramCourse,
)
from commerce_dash.models.pricing import Price
from commerce_dash.services.catalog.catalog_browse import (
    CatalogCard,
    CatalogQuery,
    browse,
    card_price,
    page_pricing,
)
from commerce_dash.services.catalog.fx import Pricing, converted_price
from commerce_dash.services.catalog.prices_now import in_force_clause, prices_in_force
from commerce_dash.services.catalog.prices_table import table_prices, table_ready
from commerce_dash.settings import get_settings

__all__ = [
    "CatalogCard",
    "CatalogQuery",
    "CourseDetail",
    "DepartmentDetail",
    "ModuleTitle",
    "PlanTag",
    "PriceTag",
    "ProgramCourseLine",
    "ProgramDetail",
    "browse",
    "course_detail",
    "department_detail",
    "program_detail",
    "public_code",
]


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
    # (code, title) of the courses to complete first; after the deadline it is not sold
    prerequisites: list[tuple[str, str]] = field(default_factory=list)
    enrollment_deadline: datetime | None = None


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


def _price_tag(session: Session, item_type: str, item_id: int, pricing: Pricing,
               at: datetime, ready: bool) -> PriceTag | None:
    """The item's price in the page's currency; converting, its settlement price converted
    when it has none of its own (what the cart will charge). From the prices kept ready when
    ``ready``, else by the rule at ``at``."""

    def price_in(code: str) -> Any:
        if ready:
            return table_prices(session=session, item_type=item_type, currency=code,
                                item_ids=[item_id]).get(item_id)
        return session.exec(
            select(Price.amount, Price.price_type).where(
                Price.item_type == item_type, Price.item_id == item_id, Price.currency == code,
                Price.interval == "", in_force_clause(at),
            ).order_by(col(Price.effective_from).desc(), col(Price.id).desc())
        ).first()

    row = price_in(pricing.charge)
    if row is not None:
        return _tag(row[0], pricing.charge, row[1])
    base = price_in(pricing.settlement) if pricing.converts else None
    if base is None:
        return None
    amount, converted_from = card_price(pricing, None, base[0])
    tag = _tag(amount, pricing.charge, base[1])
    assert tag is not None
    return PriceTag(tag.amount, tag.currency, tag.label, tag.price_type, converted_from)


def _course_prices(session: Session, course_ids: list[int], pricing: Pricing,
                   at: datetime, ready: bool) -> dict[int, int]:
    """Each course's price in the page's currency (converted when it has none)."""

    def amounts_in(code: str, ids: list[int]) -> dict[int, int]:
        if ready:
            return {i: a for i, (a, _) in table_prices(
                session=session, item_type=ItemType.COURSE, currency=code,
                item_ids=ids).items()}
        return prices_in_force(session=session, item_type=ItemType.COURSE, item_ids=ids,
                               currency=code, at=at)

    amounts = amounts_in(pricing.charge, course_ids)
    if pricing.converts:
        missing = [c for c in course_ids if c not in amounts]
        for course_id, amount in amounts_in(pricing.settlement, missing).items():
            amounts[course_id] = converted_price(pricing, amount)
    return amounts


_Item = TypeVar("_Item", Course, Program)


def _published(session: Session, model: type[_Item], code: str, entity: str) -> _Item:
    """The published course or program with the code (any case), else ``not_found``."""
    item = session.exec(
        select(model).where(model.code == code.upper(), col(model.published).is_(True))
    ).first()
    if item is None or item.id is None:
        raise not_found(entity, code)
    return item


def _item_page(
    session: Session, model: type[_Item], code: str, entity: str, currency: str,
    at: datetime | None,
) -> tuple[_Item, Department | None, Pricing, datetime, bool]:
    """What a course's or program's page starts from: the published item (else
    ``not_found``), its department, the prices shown in ``currency`` at ``at`` (now), and
    whether they are read from the prices kept ready (now, and no edge passed unwritten)."""
    ready = at is None and table_ready(session=session)
    at = at or utcnow()
    pricing = page_pricing(session, currency, at)
    item = _published(session, model, code, entity)
    return item, session.get(Department, item.department_id), pricing, at, ready


def course_detail(*, session: Session, code: str, currency: str = "",
                  at: datetime | None = None) -> CourseDetail:
    """A published course by code, with modules (titles only) and its price."""
    course, dept, pricing, at, ready = _item_page(session, Course, code, "course", currency, at)
    assert course.id is not None
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
    required = session.exec(
        select(Course.code, Course.title)
        .join(CoursePrerequisite, col(CoursePrerequisite.required_course_id) == Course.id)
        .where(CoursePrerequisite.course_id == course.id).order_by(col(Course.code))
    ).all()
    return CourseDetail(
        prerequisites=[(c, t) for c, t in required],
        enrollment_deadline=course.enrollment_deadline,
        id=course.id, code=course.code, title=course.title, description=course.description,
        category=course.category, department_id=course.department_id,
        department_code=dept.code if dept else "", department=dept.name if dept else "",
        instructor=instructor.full_name if instructor else "",
        thumbnail_url=course.thumbnail_url, estimated_minutes=course.estimated_minutes,
        modules=[ModuleTitle(m.position, m.title, m.estimated_minutes) for m in modules],
        price=_price_tag(session, ItemType.COURSE, course.id, pricing, at, ready),
        programs=[(c, t) for c, t in programs],
    )


def program_detail(*, session: Session, code: str, currency: str = "",
                   at: datetime | None = None) -> ProgramDetail:
    """A published program with its courses in order, bundle price and savings."""
    program, dept, pricing, at, ready = _item_page(session, Program, code, "program", currency,
                                                   at)
    assert program.id is not None
    currency = pricing.charge
    courses = session.exec(
        select(Course)
        .join(ProgramCourse, col(ProgramCourse.course_id) == Course.id)
        .where(ProgramCourse.program_id == program.id)
        .order_by(col(ProgramCourse.position))
    ).all()
    amounts = _course_prices(session, [c.id for c in courses if c.id], pricing, at, ready)
    lines = [
        ProgramCourseLine(c.code, c.title, c.estimated_minutes, _tag(amounts.get(c.id or 0),
                                                                    currency))
        for c in courses
    ]
    # a program holding a course taken off sale is not sold until the course is back
    price = (_price_tag(session, ItemType.PROGRAM, program.id, pricing, at, ready)
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
