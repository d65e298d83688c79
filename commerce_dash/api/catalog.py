"""The public catalog API: priced, published courses and programs, and their detail pages.

No sign-in is needed; everything here is what the storefront shows to anyone.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import Field

from commerce_dash.api.deps import AsciiDigits, DbSession, OptionalIdQuery, PageNumber, parse_id
from commerce_dash.api.schemas import Out, Paged
from commerce_dash.domain.errors import DomainError
from commerce_dash.domain.money import currency_digits
from commerce_dash.domain.paging import PageRequest
from commerce_dash.services.catalog import catalog

router = APIRouter(prefix="/api/v2/catalog", tags=["catalog"])

PageSize = Annotated[int, Query(ge=1, le=100), AsciiDigits]
SearchText = Annotated[str, Query(max_length=200)]
CurrencyCode = Annotated[str, Query(max_length=3)]


class PriceTagOut(Out):
    amount: int = Field(description="Minor units of currency")
    currency: str
    label: str


class CardOut(Out):
    kind: str = Field(description="course or program")
    id: int
    code: str
    title: str
    description: str
    category: str
    department_id: int
    department: str
    thumbnail_url: str
    price: PriceTagOut
    estimated_minutes: int


class ModuleOut(Out):
    position: int
    title: str
    estimated_minutes: int


class NamedCodeOut(Out):
    code: str
    title: str


class CourseDetailOut(Out):
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
    modules: list[ModuleOut]
    price: PriceTagOut | None
    programs: list[NamedCodeOut]


class ProgramCourseOut(Out):
    code: str
    title: str
    estimated_minutes: int
    price: PriceTagOut | None


class ProgramDetailOut(Out):
    id: int
    code: str
    title: str
    description: str
    department_code: str
    department: str
    thumbnail_url: str
    estimated_minutes: int
    courses: list[ProgramCourseOut]
    price: PriceTagOut | None
    courses_total: PriceTagOut | None
    savings: PriceTagOut | None
    savings_percent: int


class DepartmentRefOut(Out):
    code: str
    name: str


class PlanOut(Out):
    interval: str
    trial_days: int
    price: PriceTagOut | None


class DepartmentDetailOut(Out):
    id: int
    code: str
    name: str
    description: str
    parent: DepartmentRefOut | None
    subdepartments: list[DepartmentRefOut]
    courses: list[CardOut]
    plans: list[PlanOut]


def _checked_sort(sort: str) -> str:
    if sort not in catalog.SORTS:
        raise DomainError(
            "invalid_sort", f"Sort by one of: {', '.join(catalog.SORTS)}.", field="sort"
        )
    return sort


def _checked_currency(currency: str) -> str:
    if not currency:
        return ""
    try:
        currency_digits(currency)
    except ValueError:
        raise DomainError(
            "invalid_currency", f"Unknown currency {currency!r}.", field="currency"
        ) from None
    return currency.strip().upper()


def _public_code(session: DbSession, entity: str, ref: str) -> str:
    """The code ``ref`` names: an id only when written in ASCII digits and in range.

    Anything else ("ECON-101", "¹", "١", "１", a number past the id range) is looked up as a
    code, so at worst it is not found (404); it never reaches an ``int()``.
    """
    ref = ref.strip()
    if parse_id(ref) is None:
        return ref
    return catalog.public_code(session=session, entity=entity, ref=ref)


def _price(tag: catalog.PriceTag | None) -> dict[str, Any] | None:
    if tag is None:
        return None
    return {"amount": tag.amount, "currency": tag.currency, "label": tag.label}


def _card(card: catalog.CatalogCard) -> dict[str, Any]:
    return {
        "kind": card.kind,
        "id": card.id,
        "code": card.code,
        "title": card.title,
        "description": card.description,
        "category": card.category,
        "department_id": card.department_id,
        "department": card.department,
        "thumbnail_url": card.thumbnail_url,
        "price": {"amount": card.amount, "currency": card.currency, "label": card.price_label},
        "estimated_minutes": card.estimated_minutes,
    }


def _browse(
    session: DbSession, query: catalog.CatalogQuery, page: int, page_size: int
) -> dict[str, Any]:
    result = catalog.browse(session=session, query=query, page=PageRequest(page, page_size))
    return {
        "items": [_card(c) for c in result.items],
        "total": result.total,
        "page": result.page,
        "page_size": result.page_size,
        "pages": result.pages,
    }


@router.get("/courses", response_model=Paged[CardOut])
def list_courses(
    session: DbSession,
    q: SearchText = "",
    department_id: OptionalIdQuery = None,
    category: Annotated[str, Query(max_length=80)] = "",
    sort: str = "title",
    currency: CurrencyCode = "",
    page: PageNumber = 1,
    page_size: PageSize = 24,
) -> dict[str, Any]:
    query = catalog.CatalogQuery(
        search=q,
        department_id=department_id,
        category=category.strip(),
        kind="course",
        sort=_checked_sort(sort),
        currency=_checked_currency(currency),
    )
    return _browse(session, query, page, page_size)


@router.get("/programs", response_model=Paged[CardOut])
def list_programs(
    session: DbSession,
    q: SearchText = "",
    department_id: OptionalIdQuery = None,
    sort: str = "title",
    currency: CurrencyCode = "",
    page: PageNumber = 1,
    page_size: PageSize = 24,
) -> dict[str, Any]:
    query = catalog.CatalogQuery(
        search=q,
        department_id=department_id,
        kind="program",
        sort=_checked_sort(sort),
        currency=_checked_currency(currency),
    )
    return _browse(session, query, page, page_size)


@router.get("/courses/{code}", response_model=CourseDetailOut)
def course_detail(code: str, session: DbSession, currency: CurrencyCode = "") -> dict[str, Any]:
    detail = catalog.course_detail(
        session=session,
        code=_public_code(session, "course", code),
        currency=_checked_currency(currency),
    )
    return {
        "id": detail.id,
        "code": detail.code,
        "title": detail.title,
        "description": detail.description,
        "category": detail.category,
        "department_id": detail.department_id,
        "department_code": detail.department_code,
        "department": detail.department,
        "instructor": detail.instructor,
        "thumbnail_url": detail.thumbnail_url,
        "estimated_minutes": detail.estimated_minutes,
        "modules": [
            {"position": m.position, "title": m.title, "estimated_minutes": m.estimated_minutes}
            for m in detail.modules
        ],
        "price": _price(detail.price),
        "programs": [{"code": c, "title": t} for c, t in detail.programs],
    }


@router.get("/programs/{code}", response_model=ProgramDetailOut)
def program_detail(code: str, session: DbSession, currency: CurrencyCode = "") -> dict[str, Any]:
    detail = catalog.program_detail(
        session=session,
        code=_public_code(session, "program", code),
        currency=_checked_currency(currency),
    )
    return {
        "id": detail.id,
        "code": detail.code,
        "title": detail.title,
        "description": detail.description,
        "department_code": detail.department_code,
        "department": detail.department,
        "thumbnail_url": detail.thumbnail_url,
        "estimated_minutes": detail.estimated_minutes,
        "courses": [
            {
                "code": line.code,
                "title": line.title,
                "estimated_minutes": line.estimated_minutes,
                "price": _price(line.price),
            }
            for line in detail.courses
        ],
        "price": _price(detail.price),
        "courses_total": _price(detail.courses_total),
        "savings": _price(detail.savings),
        "savings_percent": detail.savings_percent,
    }


@router.get("/departments/{code}", response_model=DepartmentDetailOut)
def department_detail(code: str, session: DbSession, currency: CurrencyCode = "") -> dict[str, Any]:
    detail = catalog.department_detail(
        session=session,
        code=_public_code(session, "department", code),
        currency=_checked_currency(currency),
    )
    return {
        "id": detail.id,
        "code": detail.code,
        "name": detail.name,
        "description": detail.description,
        "parent": {"code": detail.parent[0], "name": detail.parent[1]} if detail.parent else None,
        "subdepartments": [{"code": c, "name": n} for c, n in detail.subdepartments],
        "courses": [_card(c) for c in detail.courses],
        "plans": [
            {"interval": p.interval, "trial_days": p.trial_days, "price": _price(p.price)}
            for p in detail.plans
        ],
    }
