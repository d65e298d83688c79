"""The cart: guest carts by token, learner carts by user, lines, one discount code, totals.

A line keeps the price it was added at; the cart charges the price in force now and says
when the two differ. Totals (discount and tax spread over the lines) come from
``domain.cart``; tax from ``services.tax``; display amounts from ``services.fx``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, delete, func
from sqlmodel import Session, col, select

from commerce_dash.domain.cart import (
    CartLineIn,
    CartTotals,
    cart_fingerprint,
    compute_totals,
    taxable_amounts,
)
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.discounts import (
    DiscountApplied,
    PricedLine,
    learner_refusal,
    normalise_code,
)
from commerce_dash.domain.errors import DomainError, ErrorKind
from commerce_dash.domain.fx import rate_text
from commerce_dash.domain.money import format_minor
from commerce_dash.domain.pricing import BundleForOwner, ItemType, bundle_for_owner
from commerce_dash.domain.tax import TaxableLine, TaxAddress, TaxQuote
from commerce_dash.models.accounts import User
from commerce_dash.models.catalog import Course, Department, Program, ProgramCourse
from commerce_dash.models.commerce import Cart, CartLine
from commerce_dash.models.pricing import Price
from commerce_dash.services.catalog.catalog import course_titles
from commerce_dash.services.catalog.discounts import check_code
from commerce_dash.services.catalog.fx import (
    DisplayAmounts,
    Pricing,
    converted_price,
    display_options,
    pricing_for,
    settlement_worth,
    to_display,
)
from commerce_dash.services.catalog.pricing import in_force_clause
from commerce_dash.services.commerce.tax import quote_tax
from commerce_dash.services.enrollment.ownership import owned_course_ids, program_courses
from commerce_dash.services.platform.rate_limit import limit_code_attempt
from commerce_dash.settings import get_settings

SELLABLE = (ItemType.COURSE.value, ItemType.PROGRAM.value)
_SALE_PRICE_TYPES = ("one_time", "free")


@dataclass(frozen=True)
class CartOwner:
    """Who the cart belongs to: a signed-in learner, else the browser's cart token."""

    user_id: int | None
    token: str = ""
    email: str = ""


@dataclass(frozen=True)
class CartLineView:
    id: int
    key: str
    item_type: str
    item_id: int
    code: str
    title: str
    department: str
    added_amount: int
    amount: int | None  # in force now; None: no longer for sale
    discount: int
    tax: int
    total: int
    display_total: int
    note: str  # price change or availability, for people
    amount_label: str
    discount_label: str = ""
    owned_course_ids: tuple[int, ...] = ()  # a program's courses the learner already owns
    price_change: str = ""  # "Price went up since you added it: ..." (also in the notices)


@dataclass(frozen=True)
class CartView:
    token: str
    currency: str
    display_currency: str
    display_choices: list[str]
    lines: list[CartLineView]
    discount_code: str
    discount_message: str  # why a stored code does not apply now ("" when it does)
    totals: CartTotals
    display_total: int
    exchange_rate: str
    exchange_rate_at: datetime | None
    tax_label: str
    tax_provider: str
    billing: tuple[str, str, str]
    notices: list[str] = field(default_factory=list)
    blockers: list[str] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)
    checkout_order_id: int | None = None
    fingerprint: str = ""  # what a checkout would charge (``domain.cart.cart_fingerprint``)
    # ADR-003: what the charge is worth in the settlement currency (the ledger's amount)
    settlement_currency: str = ""
    settlement_total: int = 0

    @property
    def count(self) -> int:
        return len(self.lines)

    @property
    def can_check_out(self) -> bool:
        return bool(self.lines) and not self.blockers


@dataclass(frozen=True)
class Added:
    """What adding an item did: the cart, and a sentence for the learner."""

    cart: Cart
    message: str
    replaced: tuple[str, ...] = ()  # titles of lines the item took the place of


@dataclass(frozen=True)
class MergeResult:
    moved: int
    messages: list[str]


# ---------------------------------------------------------------- lookups


def new_cart_token() -> str:
    return secrets.token_urlsafe(24)


def _expiry(now: datetime) -> datetime:
    return now + timedelta(hours=get_settings().cart_ttl_hours)


def find_cart(*, session: Session, owner: CartOwner) -> Cart | None:
    """The owner's cart: by user when signed in, else a guest cart by token."""
    if owner.user_id is not None:
        return session.exec(select(Cart).where(Cart.user_id == owner.user_id)).first()
    if not owner.token:
        return None
    return session.exec(
        select(Cart).where(Cart.token == owner.token, col(Cart.user_id).is_(None))
    ).first()


def _cart_for_change(session: Session, owner: CartOwner) -> Cart:
    cart = find_cart(session=session, owner=owner)
    now = utcnow()
    if cart is None:
        settings = get_settings()
        cart = Cart(
            token=owner.token if owner.user_id is None and owner.token else new_cart_token(),
            user_id=owner.user_id,
            currency=settings.settlement_currency,
            display_currency=settings.settlement_currency,
            expires_at=_expiry(now),
        )
        session.add(cart)
        session.flush()
    cart.updated_at = now
    cart.expires_at = _expiry(now)
    session.add(cart)
    return cart


def display_currency(*, session: Session, owner: CartOwner) -> str:
    """The currency the learner chose to see prices in (their cart's), else settlement."""
    cart = find_cart(session=session, owner=owner)
    settlement = get_settings().settlement_currency
    chosen = (cart.display_currency if cart is not None else "") or settlement
    return chosen if chosen in display_options(session=session) else settlement


@dataclass(frozen=True)
class Offer:
    """What an item's page tells this learner about buying it."""

    owned: bool  # nothing left to buy
    note: str  # "" when there is nothing to say


def offer_for(*, session: Session, owner: CartOwner, item_type: str, item_id: int) -> Offer:
    """A course the learner owns, or a program they own all or part of, as its page says
    it (the same rule and price the cart applies)."""
    if owner.user_id is None:
        return Offer(False, "")
    owned = owned_course_ids(session=session, user_id=owner.user_id)
    item = _item(session, item_type, item_id)
    refusal = _ownership_refusal(session, owner.user_id, item, owned)
    if refusal:
        return Offer(True, refusal)
    if item_type != ItemType.PROGRAM:
        return Offer(False, "")
    pricing = pricing_for(session=session, display_currency=display_currency(
        session=session, owner=owner))
    line = CartLine(cart_id=0, item_type=item_type, item_id=item_id, department_id=0,
                    title=item.title, unit_amount=0, currency=pricing.charge)
    price = _line_prices(session, [line], pricing, utcnow(), owned).get((item_type, item_id))
    if price is None or price.bundle is None:
        return Offer(False, "")
    titles = course_titles(session=session, course_ids=set(price.bundle.owned))
    locale = get_settings().default_locale
    return Offer(False, f"You already own {_and(tuple(titles[c] for c in price.bundle.owned))}"
                        f": for you the program costs "
                        f"{format_minor(price.amount, pricing.charge, locale)}.")


def cart_count(*, session: Session, owner: CartOwner) -> int:
    """Lines in the owner's cart (the header badge)."""
    where: ColumnElement[bool]
    if owner.user_id is not None:
        where = col(Cart.user_id) == owner.user_id
    elif owner.token:
        where = and_(col(Cart.token) == owner.token, col(Cart.user_id).is_(None))
    else:
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
class _Item:
    item_type: str
    item_id: int
    code: str
    title: str
    department_id: int
    published: bool
    department: str = ""


def _items(session: Session, pairs: list[tuple[str, int]]) -> dict[tuple[str, int], _Item]:
    """The courses and programs of ``pairs`` with their department names (one query each)."""
    found: dict[tuple[str, int], _Item] = {}
    for kind, model in ((ItemType.COURSE.value, Course), (ItemType.PROGRAM.value, Program)):
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
        held_back = _programs_with_unpublished_courses(session, ids) if model is Program else set()
        for item_id, code, title, department_id, published, department in rows:
            found[(kind, item_id)] = _Item(kind, item_id, code, title, department_id,
                                           published and item_id not in held_back, department)
    return found


def _programs_with_unpublished_courses(session: Session, program_ids: list[int]) -> set[int]:
    """Programs holding a course taken off sale: they are not sold until it is back."""
    return set(session.exec(
        select(ProgramCourse.program_id).join(Course, col(Course.id) == ProgramCourse.course_id)
        .where(col(ProgramCourse.program_id).in_(program_ids), col(Course.published).is_(False))
    ).all())


def _item(session: Session, item_type: str, item_id: int) -> _Item:
    if item_type == ItemType.COURSE:
        course = session.get(Course, item_id)
        if course is not None and course.id is not None:
            return _Item(item_type, course.id, course.code, course.title, course.department_id,
                         course.published)
    elif item_type == ItemType.PROGRAM:
        program = session.get(Program, item_id)
        if program is not None and program.id is not None:
            return _Item(item_type, program.id, program.code, program.title,
                         program.department_id, program.published and not
                         _programs_with_unpublished_courses(session, [program.id]))
    else:
        raise DomainError("invalid_item_type", "Only courses and programs can be added to the "
                          "cart.", field="item_type")
    raise DomainError("item_not_found", f"No {item_type} {item_id} is for sale.",
                      kind=ErrorKind.NOT_FOUND)


def _price_now(
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


def _ownership_refusal(
    session: Session, user_id: int | None, item: _Item, owned: set[int] | None = None
) -> str | None:
    """Why the learner cannot buy this item again, or None. A program with only some of its
    courses owned is for sale (at a lower price, see ``_line_prices``)."""
    if user_id is None:
        return None
    owned = owned if owned is not None else owned_course_ids(session=session, user_id=user_id)
    if item.item_type == ItemType.COURSE and item.item_id in owned:
        return f"You already own {item.title}."
    if item.item_type == ItemType.PROGRAM:
        courses = set(program_courses(session=session, program_ids=[item.item_id])[item.item_id])
        if courses and courses <= owned:
            return f"You already own every course of {item.title}."
    return None


def _overlap(session: Session, item: _Item, lines: list[CartLine]
             ) -> tuple[str | None, list[CartLine]]:
    """A course and a program holding it are never in one cart together.

    Returns (why the item is refused, or None; the course lines a program takes the place of).
    """
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


# ---------------------------------------------------------------- changes


def add_item(*, session: Session, owner: CartOwner, item_type: str, item_id: int) -> Added:
    """Add a course or a program (one line, at the price in force now) and commit.

    A course already inside a program in the cart is refused; a program takes the place of
    the courses of it that are in the cart (the message names them).
    """
    item = _item(session, item_type, item_id)
    if not item.published:
        raise DomainError("item_not_for_sale", f"{item.title} is not for sale.")
    refusal = _ownership_refusal(session, owner.user_id, item)
    if refusal:
        raise DomainError("already_owned", refusal, kind=ErrorKind.CONFLICT)
    cart = _cart_for_change(session, owner)
    assert cart.id is not None
    lines = list(session.exec(select(CartLine).where(CartLine.cart_id == cart.id)).all())
    if any((line.item_type, line.item_id) == (item.item_type, item.item_id) for line in lines):
        session.rollback()
        raise DomainError("already_in_cart", f"{item.title} is already in your cart.",
                          kind=ErrorKind.CONFLICT)
    refused, replaced = _overlap(session, item, lines)
    if refused:
        session.rollback()
        raise DomainError("in_cart_program", refused, kind=ErrorKind.CONFLICT)
    pricing = pricing_for(session=session, display_currency=cart.display_currency)
    key = (item.item_type, item.item_id)
    price = _price_now(session, [key], pricing.charge, utcnow())
    currency = pricing.charge
    if key not in price and pricing.converts:
        price, currency = _price_now(session, [key], pricing.settlement, utcnow()), \
            pricing.settlement
    if key not in price:
        session.rollback()
        raise DomainError("item_not_for_sale", f"{item.title} has no price yet, so it can't "
                          "be bought.")
    price_id, amount = price[key]
    for line in replaced:
        session.delete(line)
    session.add(CartLine(
        cart_id=cart.id, item_type=item.item_type, item_id=item.item_id,
        department_id=item.department_id, title=item.title, price_id=price_id,
        unit_amount=amount, currency=currency,
    ))
    session.commit()
    titles = tuple(line.title for line in replaced)
    message = f"{item.title} is in your cart."
    if titles:
        message += (f" It includes {_and(titles)}, so {'they were' if len(titles) > 1 else 'it was'}"
                    " taken out of your cart.")
    return Added(cart, message, titles)


def _and(titles: tuple[str, ...]) -> str:
    return titles[0] if len(titles) == 1 else f"{', '.join(titles[:-1])} and {titles[-1]}"


def remove_line(*, session: Session, owner: CartOwner, line_id: int) -> None:
    cart = find_cart(session=session, owner=owner)
    line = session.get(CartLine, line_id) if cart is not None else None
    if cart is None or line is None or line.cart_id != cart.id:
        raise DomainError("line_not_found", "That item is no longer in your cart.",
                          kind=ErrorKind.NOT_FOUND)
    session.delete(line)
    cart.updated_at = utcnow()
    cart.expires_at = _expiry(cart.updated_at)
    session.add(cart)
    session.commit()


def apply_code(*, session: Session, owner: CartOwner, code: str,
               client_ip: str = "") -> DiscountApplied:
    """Check a code against the cart now (every rule) and keep it on the cart; commit.

    Attempts are limited per client address and per cart, and a code that does not exist
    gets the same answer as one that cannot be used, so codes cannot be found by trying.
    """
    typed = normalise_code(code)
    if not typed:
        raise DomainError("invalid_code", "Enter a discount code.", field="code")
    cart = find_cart(session=session, owner=owner)
    if cart is None or cart.id is None:
        raise DomainError("cart_empty", "Add something to your cart first.", field="code")
    lines = _priced_lines(session, cart, utcnow())
    if not lines:
        raise DomainError("cart_empty", "Add something to your cart first.", field="code")
    limit_code_attempt(session=session, client_ip=client_ip, cart_key=str(cart.id))
    result = check_code(session=session, code=typed, lines=lines, user_id=owner.user_id)
    if not isinstance(result, DiscountApplied):
        error, message = learner_refusal(result)
        raise DomainError(error, message, field="code")
    cart.discount_code = result.code
    cart.updated_at = utcnow()
    session.add(cart)
    session.commit()
    return result


def remove_code(*, session: Session, owner: CartOwner) -> None:
    cart = find_cart(session=session, owner=owner)
    if cart is not None and cart.discount_code:
        cart.discount_code = ""
        cart.updated_at = utcnow()
        session.add(cart)
        session.commit()


def set_preferences(
    *, session: Session, owner: CartOwner, display_currency: str | None = None,
    billing_country: str | None = None, billing_region: str | None = None,
    billing_postal_code: str | None = None,
) -> Cart:
    """Display currency and billing address (tax depends on it); commit."""
    cart = _cart_for_change(session, owner)
    if display_currency is not None:
        wanted = display_currency.strip().upper()
        if wanted not in display_options(session=session):
            raise DomainError("invalid_display_currency",
                              f"Prices can't be shown in {wanted or 'that currency'}.",
                              field="display_currency")
        cart.display_currency = wanted
    if billing_country is not None:
        country = billing_country.strip().upper()
        if country and (len(country) != 2 or not country.isalpha()):
            raise DomainError("invalid_country", "Choose a country.", field="billing_country")
        cart.billing_country = country
    if billing_region is not None:
        region = billing_region.strip().upper()
        if len(region) > 8 or not region.replace("-", "").isalnum() and region:
            raise DomainError("invalid_region", "Enter a state or region code, like NY.",
                              field="billing_region")
        cart.billing_region = region
    if billing_postal_code is not None:
        postal = billing_postal_code.strip().upper()
        if len(postal) > 16:
            raise DomainError("invalid_postal_code", "That postal code is too long.",
                              field="billing_postal_code")
        cart.billing_postal_code = postal
    session.add(cart)
    session.commit()
    session.refresh(cart)
    return cart


def merge_guest_cart(*, session: Session, token: str, user_id: int) -> MergeResult:
    """At sign-in: move the guest cart's lines into the learner's cart and commit.

    Lines already in the learner's cart and items the learner owns are dropped, each with
    a message. The guest cart is deleted.
    """
    if not token:
        return MergeResult(0, [])
    guest = session.exec(
        select(Cart).where(Cart.token == token, col(Cart.user_id).is_(None))
    ).first()
    if guest is None or guest.id is None:
        return MergeResult(0, [])
    mine = session.exec(select(Cart).where(Cart.user_id == user_id)).first()
    guest_lines = list(session.exec(
        select(CartLine).where(CartLine.cart_id == guest.id).order_by(col(CartLine.id))
    ).all())
    owned = owned_course_ids(session=session, user_id=user_id)
    messages: list[str] = []
    moved = 0
    if mine is None:
        guest.user_id = user_id
        guest.token = new_cart_token()
        target = guest
    else:
        target = mine
    assert target.id is not None
    kept = list(session.exec(select(CartLine).where(CartLine.cart_id == target.id)).all()
                ) if target is not guest else []
    for line in guest_lines:
        item = _Item(line.item_type, line.item_id, "", line.title, line.department_id, True)
        refusal = _ownership_refusal(session, user_id, item, owned)
        if refusal:
            messages.append(f"{refusal} It was taken out of your cart.")
            session.delete(line)
            continue
        if any((k.item_type, k.item_id) == (line.item_type, line.item_id) for k in kept):
            messages.append(f"{line.title} was already in your cart.")
            session.delete(line)
            continue
        refused, replaced = _overlap(session, item, kept)
        if refused:
            messages.append(f"{refused} It was taken out of your cart.")
            session.delete(line)
            continue
        for old in replaced:
            messages.append(f"{old.title} is part of {line.title}, so it was taken out of "
                            "your cart.")
            kept.remove(old)
            session.delete(old)
        if target is not guest:
            line.cart_id = target.id
            session.add(line)
        kept.append(line)
        moved += 1
    if target is not guest:
        if not target.discount_code and guest.discount_code:
            target.discount_code = guest.discount_code
        session.flush()
        session.delete(guest)
    target.updated_at = utcnow()
    target.expires_at = _expiry(target.updated_at)
    session.add(target)
    session.commit()
    return MergeResult(moved, messages)


def clear_purchased(*, session: Session, cart_id: int | None, items: list[tuple[str, int]]) -> None:
    """Take bought items out of the cart (in the caller's transaction)."""
    if cart_id is None or not items:
        return
    for item_type, item_id in items:
        session.exec(  # type: ignore[call-overload]
            delete(CartLine).where(
                col(CartLine.cart_id) == cart_id, col(CartLine.item_type) == item_type,
                col(CartLine.item_id) == item_id,
            )
        )
    cart = session.get(Cart, cart_id)
    if cart is not None:
        cart.discount_code = ""
        cart.checkout_order_id = None
        session.add(cart)


def expire_carts(*, session: Session, now: datetime | None = None, batch: int = 500) -> int:
    """Delete carts past their expiry, never one with a payment in flight; commit."""
    now = now or utcnow()
    ids = list(session.exec(
        select(Cart.id).where(col(Cart.expires_at) < now, col(Cart.checkout_order_id).is_(None))
        .limit(batch)
    ).all())
    if not ids:
        return 0
    session.exec(delete(CartLine).where(col(CartLine.cart_id).in_(ids)))  # type: ignore[call-overload]
    session.exec(  # type: ignore[call-overload]
        delete(Cart).where(col(Cart.id).in_(ids), col(Cart.checkout_order_id).is_(None))
    )
    session.commit()
    return len(ids)


# ---------------------------------------------------------------- the priced view


@dataclass(frozen=True)
class _LinePrice:
    price_id: int
    list_amount: int  # the item's price in force, in the charge currency
    amount: int  # what this learner pays for it: less the owned courses of a program
    bundle: BundleForOwner | None = None
    converted_from: int | None = None  # its settlement price, when it has none of its own


def _line_prices(session: Session, rows: list[CartLine], pricing: Pricing, at: datetime,
                 owned: set[int]) -> dict[tuple[str, int], _LinePrice]:
    """What each line costs this learner now, in the charge currency (lines no longer for
    sale are left out).

    An item without a price in the charge currency costs its settlement price converted at
    the pricing's rate. A program some of whose courses the learner owns costs the bundle
    price less those courses' shares of it (``domain.pricing.bundle_for_owner``)."""
    pairs = [(r.item_type, r.item_id) for r in rows]
    own, base = _prices_in(session, pairs, pricing, at)
    programs = [i for k, i in own if k == ItemType.PROGRAM]
    courses_of = program_courses(session=session, program_ids=programs) if owned else {}
    course_prices: dict[int, int] = {}
    if any(owned & set(cs) for cs in courses_of.values()):
        wanted = [(ItemType.COURSE.value, c) for cs in courses_of.values() for c in cs]
        found, _ = _prices_in(session, wanted, pricing, at)
        course_prices = {i: amount for (_, i), (_, amount) in found.items()}
    prices: dict[tuple[str, int], _LinePrice] = {}
    for key, (price_id, amount) in own.items():
        bundle = None
        if key[0] == ItemType.PROGRAM and owned & set(courses_of.get(key[1], ())):
            bundle = bundle_for_owner(
                amount, [(c, course_prices.get(c, 0)) for c in courses_of[key[1]]], owned)
        prices[key] = _LinePrice(price_id, amount, bundle.amount if bundle else amount, bundle,
                                 base.get(key))
    return prices


def _prices_in(session: Session, pairs: list[tuple[str, int]], pricing: Pricing, at: datetime
               ) -> tuple[dict[tuple[str, int], tuple[int, int]], dict[tuple[str, int], int]]:
    """(item -> (price id, amount in the charge currency); item -> its settlement price, for
    the items whose amount was converted from it)."""
    found = _price_now(session, pairs, pricing.charge, at)
    converted: dict[tuple[str, int], int] = {}
    if pricing.converts:
        missing = [p for p in pairs if p not in found]
        for key, (price_id, amount) in _price_now(session, missing, pricing.settlement,
                                                  at).items():
            found[key] = (price_id, converted_price(pricing, amount))
            converted[key] = amount
    return found, converted


def _priced_lines(session: Session, cart: Cart, at: datetime) -> list[PricedLine]:
    rows = list(session.exec(
        select(CartLine).where(CartLine.cart_id == cart.id).order_by(col(CartLine.id))
    ).all())
    owned = (owned_course_ids(session=session, user_id=cart.user_id)
             if cart.user_id is not None else set())
    pricing = pricing_for(session=session, display_currency=cart.display_currency, at=at)
    prices = _line_prices(session, rows, pricing, at, owned)
    return [
        PricedLine(f"{r.item_type}:{r.item_id}", r.item_type, r.item_id, r.department_id,
                   prices[(r.item_type, r.item_id)].amount, pricing.charge)
        for r in rows
        if (r.item_type, r.item_id) in prices
    ]


def _empty_totals(currency: str) -> CartTotals:
    return compute_totals(currency, {}, None, {})


def view_cart(*, session: Session, owner: CartOwner, at: datetime | None = None) -> CartView:
    """The cart priced now: lines, discount, tax, totals, display amounts, what blocks checkout.

    Shown in a currency with a price list, the cart is priced and charged in it (ADR-003):
    items priced in it at that price, the others at their settlement price converted, each
    saying so. Shown in another currency, it is charged in the settlement currency and the
    amounts are shown converted.
    """
    settings = get_settings()
    locale = settings.default_locale
    at = at or utcnow()
    cart = find_cart(session=session, owner=owner)
    choices = display_options(session=session)
    if cart is None or cart.id is None:
        currency = settings.settlement_currency
        totals = _empty_totals(currency)
        return CartView(
            token=owner.token, currency=currency, display_currency=currency,
            display_choices=choices, lines=[], discount_code="", discount_message="",
            totals=totals, display_total=0, exchange_rate="1", exchange_rate_at=None,
            tax_label="", tax_provider="", billing=("", "", ""),
            labels=_labels(totals, 0, currency, locale), settlement_currency=currency,
        )
    rows = list(session.exec(
        select(CartLine).where(CartLine.cart_id == cart.id).order_by(col(CartLine.id))
    ).all())
    pairs = [(r.item_type, r.item_id) for r in rows]
    items = _items(session, pairs)
    owned = (owned_course_ids(session=session, user_id=owner.user_id)
             if owner.user_id is not None else set())
    pricing = pricing_for(session=session, display_currency=cart.display_currency, at=at)
    currency = pricing.charge
    prices = _line_prices(session, rows, pricing, at, owned)
    blockers: list[str] = []
    sellable: list[CartLine] = []
    line_in: dict[str, CartLineIn] = {}
    for r in rows:
        key = f"{r.item_type}:{r.item_id}"
        current = prices.get((r.item_type, r.item_id))
        item = items[(r.item_type, r.item_id)]
        if current is None or not item.published:
            blockers.append(f"{r.title} is no longer for sale: remove it to check out.")
            line_in[key] = CartLineIn(key, r.title, r.unit_amount, None)
            continue
        refusal = _ownership_refusal(session, owner.user_id, item, owned)
        if refusal:
            blockers.append(f"{refusal} Remove it to check out.")
        # a price change is told in the currency the line was added in
        added = r.unit_amount if r.currency == currency else current.list_amount
        line_in[key] = CartLineIn(key, r.title, added, current.list_amount)
        sellable.append(r)
    blockers += _overlaps_in(session, rows)

    priced = [
        PricedLine(f"{r.item_type}:{r.item_id}", r.item_type, r.item_id, r.department_id,
                   prices[(r.item_type, r.item_id)].amount, currency)
        for r in sellable
    ]
    amounts = {p.key: p.amount for p in priced}
    discount: DiscountApplied | None = None
    discount_message = ""
    if cart.discount_code and priced:
        result = check_code(session=session, code=cart.discount_code, lines=priced,
                            user_id=owner.user_id, at=at)
        if isinstance(result, DiscountApplied):
            discount = result
        else:
            discount_message = learner_refusal(result)[1]
    taxable = taxable_amounts(amounts, discount)
    address = (TaxAddress(cart.billing_country, cart.billing_region, cart.billing_postal_code)
               if cart.billing_country else None)
    email = owner.email
    if owner.user_id is not None and not email:
        user = session.get(User, owner.user_id)
        email = user.email if user else ""
    quote: TaxQuote = quote_tax(
        session=session,
        lines=[TaxableLine(p.key, p.item_type, p.department_id, taxable[p.key]) for p in priced],
        currency=currency, address=address, user_id=owner.user_id, user_email=email or None,
    )
    totals = compute_totals(currency, amounts, discount, quote.per_line)
    display = _display(session, pricing, totals, cart.display_currency or currency)
    views = _line_views(session, rows, items, line_in, prices, totals, display, pricing)
    notices = [v.price_change for v in views if v.price_change]
    if discount_message:
        notices.append(f"Code {cart.discount_code}: {discount_message}")
    return CartView(
        token=cart.token if cart.user_id is None else "",
        currency=currency, display_currency=display.currency, display_choices=choices,
        lines=views, discount_code=cart.discount_code, discount_message=discount_message,
        totals=totals, display_total=display.total, exchange_rate=display.rate,
        exchange_rate_at=display.rate_at, tax_label=quote.label, tax_provider=quote.provider,
        billing=(cart.billing_country, cart.billing_region, cart.billing_postal_code),
        notices=notices, blockers=blockers,
        labels=_labels(totals, display.total, display.currency, locale),
        checkout_order_id=cart.checkout_order_id,
        fingerprint=cart_fingerprint(
            totals=totals, display_currency=display.currency, display_total=display.total,
            billing=(cart.billing_country, cart.billing_region, cart.billing_postal_code),
            discount_code=cart.discount_code if discount is not None else ""),
        settlement_currency=pricing.settlement,
        settlement_total=settlement_worth(pricing, totals.total),
    )


def currency_note(view: CartView) -> str:
    """How the cart's currency relates to the charge and the settlement, for people."""
    if view.display_currency != view.currency:
        return (f"≈ {view.labels['display_total']} at 1 {view.currency} = {view.exchange_rate} "
                f"{view.display_currency}; you are charged {view.labels['total']} "
                f"({view.currency}).")
    if view.settlement_currency and view.settlement_currency != view.currency:
        return (f"You are charged {view.labels['total']} ({view.currency}). Items without a "
                f"{view.currency} price are converted from {view.settlement_currency} at "
                f"1 {view.settlement_currency} = {view.exchange_rate} {view.currency}.")
    return ""


def _display(session: Session, pricing: Pricing, totals: CartTotals,
             display_currency: str) -> DisplayAmounts:
    """What the learner is shown: the charge itself when it is in their currency (with the
    settlement rate beside it), else the charge converted for display."""
    if pricing.rate is not None:
        return DisplayAmounts([line.total for line in totals.lines], totals.total,
                              pricing.charge, rate_text(pricing.rate.rate),
                              pricing.rate.effective_at)
    return to_display(session=session, amounts=[line.total for line in totals.lines],
                      currency=totals.currency, display_currency=display_currency)


def _line_views(session: Session, rows: list[CartLine], items: dict[tuple[str, int], _Item],
                line_in: dict[str, CartLineIn], prices: dict[tuple[str, int], _LinePrice],
                totals: CartTotals, display: DisplayAmounts, pricing: Pricing
                ) -> list[CartLineView]:
    locale = get_settings().default_locale
    currency = totals.currency

    def money(amount: int, in_currency: str = currency) -> str:
        return format_minor(amount, in_currency, locale)

    display_by_key = {line.key: d for line, d in zip(totals.lines, display.amounts, strict=True)}
    by_key = {line.key: line for line in totals.lines}
    titles = course_titles(session=session, course_ids={
        c for p in prices.values() if p.bundle for c in p.bundle.owned})
    views = []
    for r in rows:
        key = f"{r.item_type}:{r.item_id}"
        info = line_in[key]
        t = by_key.get(key)
        notes = []
        change = ""
        if info.current_amount is None:
            notes.append("No longer for sale")
        elif info.current_amount != info.added_amount:
            direction = "went up" if info.current_amount > info.added_amount else "went down"
            change = (f"Price {direction} since you added it: was {money(info.added_amount)}, "
                      f"now {money(info.current_amount)}.")
            notes.append(change)
        item = items[(r.item_type, r.item_id)]
        price = prices.get((r.item_type, r.item_id))
        amount = price.amount if price is not None and info.current_amount is not None else None
        bundle = price.bundle if price is not None else None
        if price is not None and amount is not None and price.converted_from is not None \
                and pricing.rate is not None:
            notes.append(f"Converted from {money(price.converted_from, pricing.settlement)} "
                         f"at 1 {pricing.settlement} = {rate_text(pricing.rate.rate)} "
                         f"{currency}: it has no {currency} price.")
        if bundle is not None and price is not None and amount is not None:
            they = "they are" if len(bundle.owned) > 1 else "it is"
            notes.append(f"You already own {_and(tuple(titles[c] for c in bundle.owned))}"
                         f": {money(bundle.credit)} off the bundle price of "
                         f"{money(price.list_amount)} (its share of it), and {they} not sold "
                         "again.")
        views.append(CartLineView(
            id=r.id or 0, key=key, item_type=r.item_type, item_id=r.item_id, code=item.code,
            title=r.title, department=item.department,
            added_amount=r.unit_amount, amount=amount,
            discount=t.discount if t else 0, tax=t.tax if t else 0, total=t.total if t else 0,
            display_total=display_by_key.get(key, 0), note=" ".join(notes),
            amount_label=money(amount) if amount is not None else "Unavailable",
            discount_label=money(t.discount) if t else "",
            owned_course_ids=bundle.owned if bundle is not None else (), price_change=change,
        ))
    return views


def _overlaps_in(session: Session, rows: list[CartLine]) -> list[str]:
    """A course and a program holding it, both in the cart (a program that gained the course
    after both were added): one of them must go before checkout."""
    programs = {r.item_id: r.title for r in rows if r.item_type == ItemType.PROGRAM}
    if not programs:
        return []
    courses_of = program_courses(session=session, program_ids=programs)
    return [f"{r.title} is also part of {programs[p]} in your cart: remove one of them to "
            "check out." for r in rows if r.item_type == ItemType.COURSE
            for p, courses in courses_of.items() if r.item_id in courses]


def _labels(totals: CartTotals, display_total: int, display_currency: str,
            locale: str) -> dict[str, str]:
    c = totals.currency
    return {
        "subtotal": format_minor(totals.subtotal, c, locale),
        "discount": format_minor(totals.discount, c, locale),
        "tax": format_minor(totals.tax, c, locale),
        "total": format_minor(totals.total, c, locale),
        "display_total": format_minor(display_total, display_currency, locale),
    }
