"""The public catalog API: priced, published courses and programs, and their detail pages.

No sign-in is needed; everything here is what the storefront shows to anyone. A signed-in
learner also learns where they stand with each item (``owned``, ``in_cart``: T-005-03,
CART-008), answered for a whole page at once; a visitor gets false for both.

Caching (issue 20): an anonymous answer carries a weak ``ETag`` made from the catalog's
version (``catalog.catalog_version``: any change to prices, courses, programs, departments or
rates, a price window edge passing, an exchange rate taking effect) and the request, with ``Cache-Control: public, max-age=30``, so a CDN or the browser serves repeats and
a changed price shows within a minute; ``If-None-Match`` with the current tag answers 304. The
process keeps the last answers by tag and reuses the version it read for 2 s (a change this
process commits is seen at once, another process's within 2 s), so a repeat costs no query. A
signed-in answer (owned/in_cart are the learner's) is ``private, no-store``, never kept.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field

from commerce_dash.api.deps import (
    AsciiDigits,
    DbSession,
    OptionalActor,
    OptionalIdQuery,
    PageNumber,
    parse_id,
)
from commerce_dash.api.schemas import Out, Paged, Timestamp, fill, mirror, paged
from commerce_dash.domain.actor import Actor
from commerce_dash.domain.errors import DomainError
from commerce_dash.domain.paging import PageRequest
from commerce_dash.domain.pricing import known_currency
from commerce_dash.services import catalog as catalog_area
from commerce_dash.services import commerce as commerce_area

router = APIRouter(prefix="/api/v2/catalog", tags=["catalog"])

PageSize = Annotated[int, Query(ge=1, le=100), AsciiDigits]
SearchText = Annotated[str, Query(max_length=200)]
CurrencyCode = Annotated[str, Query(max_length=3)]


class StandingOut(Out):
    """Where the signed-in learner stands with an item (T-005-03, CART-008)."""

    owned: bool = Field(description="The signed-in learner owns it already (false for a visitor)")
    in_cart: bool = Field(description="It is in the signed-in learner's cart (false for a visitor)")


class PriceTagOut(Out):
    amount: int = Field(description="Minor units of currency")
    currency: str
    label: str


class CardOut(mirror(catalog_area.CatalogCard, exclude=(  # type: ignore[misc]
        "amount", "currency", "price_label", "estimated_minutes", "converted_from")),
              StandingOut):
    kind: str = Field(description="course or program")
    price: PriceTagOut
    estimated_minutes: int


class ModuleOut(Out):
    position: int
    title: str
    estimated_minutes: int


class NamedCodeOut(Out):
    code: str
    title: str


class CourseDetailOut(mirror(catalog_area.CourseDetail), StandingOut):  # type: ignore[misc]
    modules: list[ModuleOut]
    price: PriceTagOut | None
    programs: list[NamedCodeOut]
    prerequisites: list[NamedCodeOut] = Field(description="Courses to complete first")
    enrollment_deadline: Timestamp | None = Field(description="Not sold after this moment")


class ProgramCourseOut(mirror(catalog_area.ProgramCourseLine)):  # type: ignore[misc]
    price: PriceTagOut | None


class ProgramDetailOut(mirror(catalog_area.ProgramDetail, exclude=(  # type: ignore[misc]
        "courses", "price", "courses_total", "savings", "savings_percent")), StandingOut):
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


PUBLIC_MAX_AGE = 30  # seconds a CDN or browser may reuse an anonymous answer
_VARY = "Authorization, Cookie"
# anonymous answers kept per process (0: none, each answer built afresh: for measuring)
_KEPT = int(os.environ.get("COMMERCE_CATALOG_ANSWERS_KEPT", "512"))
_answers: OrderedDict[str, tuple[str, bytes]] = OrderedDict()
_answers_lock = threading.Lock()


VERSION_MAX_AGE = 2.0  # seconds this process reuses the catalog's version it read


def _etag(session: DbSession, request: Request) -> str:
    version = catalog_area.recent_catalog_version(session=session, max_age=VERSION_MAX_AGE)
    what = f"{version.token}|{request.url.path}?{request.url.query}"
    return f'W/"{hashlib.sha256(what.encode()).hexdigest()[:32]}"'


def _matches(header: str, etag: str) -> bool:
    tags = [t.strip() for t in header.split(",")]
    bare = etag.removeprefix("W/")
    return "*" in tags or any(t.removeprefix("W/") == bare for t in tags)


def _answer(request: Request, session: DbSession, actor: Actor | None,
            model: type[BaseModel], build: Callable[[], dict[str, Any]]) -> Response:
    """The JSON answer of ``model`` built by ``build``: anonymous ones tagged, cacheable and
    kept by tag (304 when the caller has it); signed-in ones private and not kept."""
    if actor is not None:
        return Response(model.model_validate(build()).model_dump_json(),
                        media_type="application/json",
                        headers={"Cache-Control": "private, no-store", "Vary": _VARY})
    etag = _etag(session, request)
    headers = {"ETag": etag, "Cache-Control": f"public, max-age={PUBLIC_MAX_AGE}",
               "Vary": _VARY}
    if _matches(request.headers.get("if-none-match", ""), etag):
        return Response(status_code=304, headers=headers)
    key = f"{request.url.path}?{request.url.query}"
    with _answers_lock:
        kept = _answers.get(key)
    if kept is not None and kept[0] == etag:
        body = kept[1]
    else:
        body = model.model_validate(build()).model_dump_json().encode()
        with _answers_lock:
            if _KEPT <= 0:
                return Response(body, media_type="application/json", headers=headers)
            _answers[key] = (etag, body)
            _answers.move_to_end(key)
            while len(_answers) > _KEPT:
                _answers.popitem(last=False)
    return Response(body, media_type="application/json", headers=headers)


def _checked_sort(sort: str) -> str:
    if sort not in catalog_area.SORTS:
        raise DomainError(
            "invalid_sort", f"Sort by one of: {', '.join(catalog_area.SORTS)}.", field="sort"
        )
    return sort


def _checked_currency(currency: str) -> str:
    return known_currency(currency) if currency else ""


def _public_code(session: DbSession, entity: str, ref: str) -> str:
    """The code ``ref`` names: an id only when written in ASCII digits and in range.

    Anything else ("ECON-101", "¹", "١", "１", a number past the id range) is looked up as a
    code, so at worst it is not found (404); it never reaches an ``int()``.
    """
    ref = ref.strip()
    if parse_id(ref) is None:
        return ref
    return catalog_area.public_code(session=session, entity=entity, ref=ref)


def _price(tag: catalog_area.PriceTag | None) -> dict[str, Any] | None:
    if tag is None:
        return None
    return {"amount": tag.amount, "currency": tag.currency, "label": tag.label}


Standings = dict[tuple[str, int], commerce_area.ItemStanding]


def _standings(session: DbSession, actor: Actor | None, items: list[tuple[str, int]]
               ) -> Standings:
    """Where the signed-in learner stands with each item (one lookup for them all); a
    visitor stands nowhere."""
    if actor is None:
        return {}
    owner = commerce_area.CartOwner(user_id=actor.user_id, email=actor.email)
    return commerce_area.item_standings(session=session, owner=owner, items=items)


def _marks(standings: Standings, kind: str, item_id: int) -> dict[str, bool]:
    standing = standings.get((kind, item_id), commerce_area.ItemStanding())
    return {"owned": standing.owned, "in_cart": standing.in_cart}


def _cards(session: DbSession, actor: Actor | None,
           cards: list[catalog_area.CatalogCard]) -> list[dict[str, Any]]:
    standings = _standings(session, actor, [(c.kind, c.id) for c in cards])
    return [fill(CardOut, c, price={"amount": c.amount, "currency": c.currency,
                                    "label": c.price_label}, **_marks(standings, c.kind, c.id))
            for c in cards]


def _browse(
    session: DbSession, actor: Actor | None, page: int, page_size: int, *, sort: str,
    currency: str, **filters: Any
) -> dict[str, Any]:
    """A page of catalog cards: the sort and the currency checked, the other filters of
    ``catalog.CatalogQuery`` as given."""
    query = catalog_area.CatalogQuery(
        sort=_checked_sort(sort), currency=_checked_currency(currency), **filters
    )
    result = catalog_area.browse(session=session, query=query, page=PageRequest(page, page_size))
    return paged(result, _cards(session, actor, list(result.items)))


@router.get("/courses", response_model=Paged[CardOut])
def list_courses(
    request: Request,
    session: DbSession,
    actor: OptionalActor,
    q: SearchText = "",
    department_id: OptionalIdQuery = None,
    category: Annotated[str, Query(max_length=80)] = "",
    sort: str = "title",
    currency: CurrencyCode = "",
    page: PageNumber = 1,
    page_size: PageSize = 24,
) -> Response:
    return _answer(request, session, actor, Paged[CardOut], lambda: _browse(
        session, actor, page, page_size, sort=sort, currency=currency, search=q,
        department_id=department_id, category=category.strip(), kind="course"))


@router.get("/programs", response_model=Paged[CardOut])
def list_programs(
    request: Request,
    session: DbSession,
    actor: OptionalActor,
    q: SearchText = "",
    department_id: OptionalIdQuery = None,
    sort: str = "title",
    currency: CurrencyCode = "",
    page: PageNumber = 1,
    page_size: PageSize = 24,
) -> Response:
    return _answer(request, session, actor, Paged[CardOut], lambda: _browse(
        session, actor, page, page_size, sort=sort, currency=currency, search=q,
        department_id=department_id, kind="program"))


def _detail(fetch: Callable[..., Any], session: DbSession, entity: str, code: str,
            currency: str) -> Any:
    """A detail page's data: ``code`` read as a public code or id, the currency checked."""
    return fetch(session=session, code=_public_code(session, entity, code),
                 currency=_checked_currency(currency))


@router.get("/courses/{code}", response_model=CourseDetailOut)
def course_detail(code: str, request: Request, session: DbSession, actor: OptionalActor,
                  currency: CurrencyCode = "") -> Response:
    return _answer(request, session, actor, CourseDetailOut,
                   lambda: _course_detail(code, session, actor, currency))


def _course_detail(code: str, session: DbSession, actor: Actor | None,
                   currency: str) -> dict[str, Any]:
    detail = _detail(catalog_area.course_detail, session, "course", code, currency)
    standings = _standings(session, actor, [("course", detail.id)])
    return fill(
        CourseDetailOut, detail,
        modules=[fill(ModuleOut, m) for m in detail.modules],
        price=_price(detail.price),
        programs=[{"code": c, "title": t} for c, t in detail.programs],
        prerequisites=[{"code": c, "title": t} for c, t in detail.prerequisites],
        enrollment_deadline=(detail.enrollment_deadline.isoformat()
                             if detail.enrollment_deadline else None),
        **_marks(standings, "course", detail.id),
    )


@router.get("/programs/{code}", response_model=ProgramDetailOut)
def program_detail(code: str, request: Request, session: DbSession, actor: OptionalActor,
                   currency: CurrencyCode = "") -> Response:
    return _answer(request, session, actor, ProgramDetailOut,
                   lambda: _program_detail(code, session, actor, currency))


def _program_detail(code: str, session: DbSession, actor: Actor | None,
                    currency: str) -> dict[str, Any]:
    detail = _detail(catalog_area.program_detail, session, "program", code, currency)
    standings = _standings(session, actor, [("program", detail.id)])
    return fill(
        ProgramDetailOut, detail,
        courses=[fill(ProgramCourseOut, line, price=_price(line.price))
                 for line in detail.courses],
        price=_price(detail.price),
        courses_total=_price(detail.courses_total),
        savings=_price(detail.savings),
        **_marks(standings, "program", detail.id),
    )


@router.get("/departments/{code}", response_model=DepartmentDetailOut)
def department_detail(code: str, request: Request, session: DbSession, actor: OptionalActor,
                      currency: CurrencyCode = "") -> Response:
    return _answer(request, session, actor, DepartmentDetailOut,
                   lambda: _department_detail(code, session, actor, currency))


def _department_detail(code: str, session: DbSession, actor: Actor | None,
                       currency: str) -> dict[str, Any]:
    detail = _detail(catalog_area.department_detail, session, "department", code, currency)
    return fill(
        DepartmentDetailOut, detail,
        parent={"code": detail.parent[0], "name": detail.parent[1]} if detail.parent else None,
        subdepartments=[{"code": c, "name": n} for c, n in detail.subdepartments],
        courses=_cards(session, actor, list(detail.courses)),
        plans=[fill(PlanOut, p, price=_price(p.price)) for p in detail.plans],
    )
