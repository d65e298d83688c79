"""What the cart's items cost this learner now: the price in the charge currency (converted
from the settlement price when an item has none of its own), a program less the courses the
learner already owns, and what an item's page says about buying it (the same rule and price).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.discounts import PricedLine
from commerce_dash.domain.money import format_minor
from commerce_dash.domain.pricing import BundleForOwner, ItemType, bundle_for_owner
from commerce_dash.models.commerce import Cart, CartLine
from commerce_dash.services.catalog import Pricing, converted_price, course_titles, pricing_for
from commerce_dash.services.commerce.cart_lookups import (
    CartOwner,
    and_list,
    display_currency,
    ownership_refusal,
    price_now,
    sale_item,
)
from commerce_dash.services.enrollment import owned_course_ids, program_courses
from commerce_dash.settings import get_settings


@dataclass(frozen=True)
class LinePrice:
    price_id: int
    list_amount: int  # the item's price in force, in the charge currency
    amount: int  # what this learner pays for it: less the owned courses of a program
    bundle: BundleForOwner | None = None
    converted_from: int | None = None  # its settlement price, when it has none of its own


def line_prices(session: Session, rows: list[CartLine], pricing: Pricing, at: datetime,
                 owned: set[int]) -> dict[tuple[str, int], LinePrice]:
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
    prices: dict[tuple[str, int], LinePrice] = {}
    for key, (price_id, amount) in own.items():
        bundle = None
        if key[0] == ItemType.PROGRAM and owned & set(courses_of.get(key[1], ())):
            bundle = bundle_for_owner(
                amount, [(c, course_prices.get(c, 0)) for c in courses_of[key[1]]], owned)
        prices[key] = LinePrice(price_id, amount, bundle.amount if bundle else amount, bundle,
                                 base.get(key))
    return prices


def _prices_in(session: Session, pairs: list[tuple[str, int]], pricing: Pricing, at: datetime
               ) -> tuple[dict[tuple[str, int], tuple[int, int]], dict[tuple[str, int], int]]:
    """(item -> (price id, amount in the charge currency); item -> its settlement price, for
    the items whose amount was converted from it)."""
    found = price_now(session, pairs, pricing.charge, at)
    converted: dict[tuple[str, int], int] = {}
    if pricing.converts:
        missing = [p for p in pairs if p not in found]
        for key, (price_id, amount) in price_now(session, missing, pricing.settlement,
                                                  at).items():
            found[key] = (price_id, converted_price(pricing, amount))
            converted[key] = amount
    return found, converted


def priced_lines(session: Session, cart: Cart, at: datetime) -> list[PricedLine]:
    rows = list(session.exec(
        select(CartLine).where(CartLine.cart_id == cart.id).order_by(col(CartLine.id))
    ).all())
    owned = (owned_course_ids(session=session, user_id=cart.user_id)
             if cart.user_id is not None else set())
    pricing = pricing_for(session=session, display_currency=cart.display_currency, at=at)
    prices = line_prices(session, rows, pricing, at, owned)
    return [
        PricedLine(f"{r.item_type}:{r.item_id}", r.item_type, r.item_id, r.department_id,
                   prices[(r.item_type, r.item_id)].amount, pricing.charge)
        for r in rows
        if (r.item_type, r.item_id) in prices
    ]


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
    item = sale_item(session, item_type, item_id)
    refusal = ownership_refusal(session, owner.user_id, item, owned)
    if refusal:
        return Offer(True, refusal)
    if item_type != ItemType.PROGRAM:
        return Offer(False, "")
    pricing = pricing_for(session=session, display_currency=display_currency(
        session=session, owner=owner))
    line = CartLine(cart_id=0, item_type=item_type, item_id=item_id, department_id=0,
                    title=item.title, unit_amount=0, currency=pricing.charge)
    price = line_prices(session, [line], pricing, utcnow(), owned).get((item_type, item_id))
    if price is None or price.bundle is None:
        return Offer(False, "")
    titles = course_titles(session=session, course_ids=set(price.bundle.owned))
    locale = get_settings().default_locale
    return Offer(False, f"You already own {and_list(tuple(titles[c] for c in price.bundle.owned))}"
                        f": for you the program costs "
                        f"{format_minor(price.amount, pricing.charge, locale)}.")

