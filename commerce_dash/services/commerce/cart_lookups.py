"""Cart lookups: whose cart, what an item is and costs now, and what stops it being sold
(the owner has it, a program overlaps). Shared by the cart's changes (``cart.py``) and its
priced view (``cart_view.py``)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, func
from sqlmodel import Session, col, select

from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.errors import DomainError, ErrorKind
from commerce_dash.domain.pricing import ItemType
from commerce_dash.models.catalog import Course, Department, Program, ProgramCourse
from commerce_dash.models.commerce import Cart, CartLine
from commerce_dash.models.pricing import Price
from commerce_dash.models.sessions import CreditPack
from commerce_dash.services.catalog import display_options, in_force_clause
from commerce_dash.services.enrollment import (
    included_course_ids,
    owned_course_ids,
    program_courses,
    program_owned,
)
from commerce_dash.settings import get_settings

SELLABLE = (ItemType.COURSE.value, ItemType.PROGRAM.value, ItemType.CREDIT_PACK.value)


_SALE_PRICE_TYPES = ("one_time", "free")


@dataclass(frozen=True)
class CartOwner:
    """Who the cart belongs to: a signed-in learner, else the browser's cart token.

    ``direct``: a learner's cart of one purchase made in one call (the enrollment API), kept
    apart from their shopping cart by its ``token``; it is priced, checked and checked out
    as theirs."""

    user_id: int | None
    token: str = ""
    email: str = ""
    direct: bool = False

    def cart_clause(self) -> ColumnElement[bool] | None:
        """Which cart row is this owner's (None: no cart can be)."""
        if self.user_id is not None and not self.direct:
            return col(Cart.user_id) == self.user_id
        if self.token:
            return and_(col(Cart.token) == self.token, col(Cart.user_id).is_(None))
        return None


def new_cart_token() -> str:
    return secrets.token_urlsafe(24)


def expiry(now: datetime) -> datetime:
    return now + timedelta(hours=get_settings().cart_ttl_hours)


def find_cart(*, session: Session, owner: CartOwner) -> Cart | None:
    """The owner's cart: by user when signed in, else (a guest's, or a direct purchase's) by
    token."""
    clause = owner.cart_clause()
    return session.exec(select(Cart).where(clause)).first() if clause is not None else None


def cart_for_change(session: Session, owner: CartOwner) -> Cart:
    cart = find_cart(session=session, owner=owner)
    now = utcnow()
    if cart is None:
        settings = get_settings()
        by_token = (owner.user_id is None or owner.direct) and owner.token
        cart = Cart(
            token=owner.token if by_token else new_cart_token(),
            user_id=None if owner.direct else owner.user_id,
            currency=settings.settlement_currency,
            display_currency=settings.settlement_currency,
            expires_at=expiry(now),
        )
        session.add(cart)
        session.flush()
    cart.updated_at = now
    cart.expires_at = expiry(now)
    session.add(cart)
    return cart


def display_currency(*, session: Session, owner: CartOwner) -> str:
    """The currency the learner chose to see prices in (their cart's), else settlement."""
    cart = find_cart(session=session, owner=owner)
    settlement = get_settings().settlement_currency
    chosen = (cart.display_currency if cart is not None else "") or settlement
    return chosen if chosen in display_options(session=session) else settlement


def cart_count(*, session: Session, owner: CartOwner) -> int:
    """Lines in the owner's cart (the header badge)."""
    where = owner.cart_clause()
    if where is None:
        return 0
    return int(
        session.exec(
            select(func.count())
            .select_from(CartLine)
            .join(Cart, col(CartLine.cart_id) == Cart.id)
            .where(where)
        ).one()
    )


@dataclass(frozen=True)
class SaleItem:
    item_type: str
    item_id: int
    code: str
    title: str
    department_id: int
    published: bool
    department: str = ""


def sale_items(session: Session, pairs: list[tuple[str, int]]) -> dict[tuple[str, int], SaleItem]:
    """The courses, programs and credit packs of ``pairs`` with their department names (one
    query each)."""
    found: dict[tuple[str, int], SaleItem] = {}
    for kind, model in ((ItemType.COURSE.value, Course), (ItemType.PROGRAM.value, Program),
                        (ItemType.CREDIT_PACK.value, CreditPack)):
        ids = [i for k, i in pairs if k == kind]
        if not ids:
            continue
        rows = session.execute(
            select(  # type: ignore[call-overload]
                model.id, model.code, model.title, model.department_id, model.published,
                Department.name,
            )
            .join(Department, col(Department.id) == model.department_id)
            .where(col(model.id).in_(ids))
        ).all()
        held_back = programs_with_unpublished_courses(session, ids) if model is Program else set()
        for item_id, code, title, department_id, published, department in rows:
            found[(kind, item_id)] = SaleItem(kind, item_id, code, title, department_id,
                                           published and item_id not in held_back, department)
    return found


def programs_with_unpublished_courses(session: Session, program_ids: list[int]) -> set[int]:
    """Programs holding a course taken off sale: they are not sold until it is back."""
    return set(session.exec(
        select(ProgramCourse.program_id).join(Course, col(Course.id) == ProgramCourse.course_id)
        .where(col(ProgramCourse.program_id).in_(program_ids), col(Course.published).is_(False))
    ).all())


def sale_item(session: Session, item_type: str, item_id: int) -> SaleItem:
    if item_type == ItemType.COURSE:
        course = session.get(Course, item_id)
        if course is not None and course.id is not None:
            return SaleItem(item_type, course.id, course.code, course.title, course.department_id,
                         course.published)
    elif item_type == ItemType.PROGRAM:
        program = session.get(Program, item_id)
        if program is not None and program.id is not None:
            return SaleItem(item_type, program.id, program.code, program.title,
                         program.department_id, program.published and not
                         programs_with_unpublished_courses(session, [program.id]))
    elif item_type == ItemType.CREDIT_PACK:
        pack = session.get(CreditPack, item_id)
        if pack is not None and pack.id is not None:
            return SaleItem(item_type, pack.id, pack.code, pack.title, pack.department_id,
                            pack.published)
    else:
        raise DomainError("invalid_item_type", "Only courses, programs and credit packs can be "
                          "added to the cart.", field="item_type")
    raise DomainError("item_not_found", f"No {item_type} {item_id} is for sale.",
                      kind=ErrorKind.NOT_FOUND)


def price_now(
    session: Session, items: list[tuple[str, int]], currency: str, at: datetime
) -> dict[tuple[str, int], tuple[int, int]]:
    """(item type, id) -> (price id, amount) of the one-time or free price in force."""
    if not items:
        return {}
    found: dict[tuple[str, int], tuple[int, int]] = {}
    for kind in {k for k, _ in items}:
        ids = [i for k, i in items if k == kind]
        rows = session.exec(
            select(Price.id, Price.item_id, Price.amount).where(
                Price.item_type == kind, col(Price.item_id).in_(ids), Price.currency == currency,
                Price.interval == "", col(Price.price_type).in_(_SALE_PRICE_TYPES),
                in_force_clause(at),
            )
        ).all()
        for price_id, item_id, amount in rows:
            assert price_id is not None
            found[(kind, item_id)] = (price_id, amount)
    return found


def ownership_refusal(
    session: Session, user_id: int | None, item: SaleItem, owned: set[int] | None = None
) -> str | None:
    """Why the learner cannot buy this item again, or None. A program with only some of its
    courses owned is for sale (at a lower price, see ``line_prices``)."""
    if user_id is None:
        return None
    owned = owned if owned is not None else owned_course_ids(session=session, user_id=user_id)
    if item.item_type == ItemType.COURSE and item.item_id in owned:
        return f"You already own {item.title}."
    if item.item_type == ItemType.COURSE and item.item_id in included_course_ids(
            session=session, user_id=user_id, now=utcnow()):
        return (f"{item.title} is included in your subscription: enroll from its page "
                "instead of buying it.")
    if item.item_type == ItemType.PROGRAM:
        courses = program_courses(session=session, program_ids=[item.item_id])[item.item_id]
        if program_owned(courses, owned):
            return f"You already own every course of {item.title}."
    return None


def overlap_refusal(session: Session, item: SaleItem, lines: list[CartLine]
             ) -> tuple[str | None, list[CartLine]]:
    """A course and a program holding it are never in one cart together.

    Returns (why the item is refused, or None; the course lines a program takes the place of).
    A credit pack overlaps nothing.
    """
    if item.item_type == ItemType.CREDIT_PACK:
        return None, []
    programs = {line.item_id: line.title for line in lines
                if line.item_type == ItemType.PROGRAM}
    if item.item_type == ItemType.PROGRAM:
        programs[item.item_id] = item.title
    courses = program_courses(session=session, program_ids=programs)
    if item.item_type == ItemType.COURSE:
        holder = next((programs[p] for p, c in courses.items() if item.item_id in c), None)
        if holder is not None:
            return f"{item.title} is part of {holder}, which is already in your cart.", []
        return None, []
    inside = set(courses[item.item_id])
    return None, [line for line in lines
                  if line.item_type == ItemType.COURSE and line.item_id in inside]


def and_list(titles: tuple[str, ...]) -> str:
    return titles[0] if len(titles) == 1 else f"{', '.join(titles[:-1])} and {titles[-1]}"
