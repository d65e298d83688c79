"""The cart: guest carts by token, learner carts by user, lines, one discount code, totals.

A line keeps the price it was added at; the cart charges the price in force now and says
when the two differ. Totals (discount and tax spread over the lines) come from
``domain.cart``; tax from ``services.tax``; display amounts from ``services.fx``.

This module holds the cart's changes and is its public face: lookups (``cart_lookups.py``),
the priced view (``cart_view.py``) and what items cost this learner (``cart_prices.py``) are
re-exported, so callers import the cart from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete
from sqlmodel import Session, col, select

from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.discounts import DiscountApplied, learner_refusal, normalise_code
from commerce_dash.domain.errors import DomainError, ErrorKind
from commerce_dash.domain.pricing import ItemType
from commerce_dash.domain.tax import billing_region_code
from commerce_dash.models.commerce import Cart, CartLine
from commerce_dash.services.catalog import check_code, display_options, pricing_for
from commerce_dash.services.commerce.cart_lookups import (
    CartOwner,
    SaleItem,
    and_list,
    cart_count,
    cart_for_change,
    display_currency,
    expiry,
    find_cart,
    new_cart_token,
    overlap_refusal,
    ownership_refusal,
    price_now,
    sale_item,
)
from commerce_dash.services.commerce.cart_prices import priced_lines
from commerce_dash.services.commerce.cart_view import currency_note, view_cart
from commerce_dash.services.enrollment import owned_course_ids
from commerce_dash.services.learning import enrollment_refusals
from commerce_dash.services.platform import limit_code_attempt
from commerce_dash.services.revenue import count as count_funnel

# the cart's public face: its lookups and priced view are re-exported for callers
__all__ = [
    "Added",
    "CartOwner",
    "MergeResult",
    "add_item",
    "apply_code",
    "cart_count",
    "clear_purchased",
    "currency_note",
    "display_currency",
    "expire_carts",
    "find_cart",
    "merge_guest_cart",
    "new_cart_token",
    "remove_code",
    "remove_line",
    "set_preferences",
    "view_cart",
]


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


def add_item(*, session: Session, owner: CartOwner, item_type: str, item_id: int) -> Added:
    """Add a course or a program (one line, at the price in force now) and commit.

    A course already inside a program in the cart is refused; a program takes the place of
    the courses of it that are in the cart (the message names them).
    """
    item = sale_item(session, item_type, item_id)
    if not item.published:
        raise DomainError("item_not_for_sale", f"{item.title} is not for sale.")
    refusal = ownership_refusal(session, owner.user_id, item)
    if refusal:
        raise DomainError("already_owned", refusal, kind=ErrorKind.CONFLICT)
    if item.item_type == ItemType.COURSE:
        closed = enrollment_refusals(session, owner.user_id, [item.item_id]).get(item.item_id)
        if closed:
            raise DomainError("cannot_enroll", closed, kind=ErrorKind.CONFLICT)
    cart = cart_for_change(session, owner)
    assert cart.id is not None
    lines = list(session.exec(select(CartLine).where(CartLine.cart_id == cart.id)).all())
    if any((line.item_type, line.item_id) == (item.item_type, item.item_id) for line in lines):
        session.rollback()
        raise DomainError("already_in_cart", f"{item.title} is already in your cart.",
                          kind=ErrorKind.CONFLICT)
    refused, replaced = overlap_refusal(session, item, lines)
    if refused:
        session.rollback()
        raise DomainError("in_cart_program", refused, kind=ErrorKind.CONFLICT)
    pricing = pricing_for(session=session, display_currency=cart.display_currency)
    key = (item.item_type, item.item_id)
    price = price_now(session, [key], pricing.charge, utcnow())
    currency = pricing.charge
    if key not in price and pricing.converts:
        price, currency = price_now(session, [key], pricing.settlement, utcnow()), \
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
    if item.item_type == ItemType.COURSE:  # the funnel's cart adds: in memory, no I/O
        count_funnel("cart", item.department_id, item.item_id)
    titles = tuple(line.title for line in replaced)
    message = f"{item.title} is in your cart."
    if titles:
        message += (f" It includes {and_list(titles)}, so {'they were' if len(titles) > 1 else 'it was'}"
                    " taken out of your cart.")
    return Added(cart, message, titles)


def remove_line(*, session: Session, owner: CartOwner, line_id: int) -> None:
    cart = find_cart(session=session, owner=owner)
    line = session.get(CartLine, line_id) if cart is not None else None
    if cart is None or line is None or line.cart_id != cart.id:
        raise DomainError("line_not_found", "That item is no longer in your cart.",
                          kind=ErrorKind.NOT_FOUND)
    session.delete(line)
    cart.updated_at = utcnow()
    cart.expires_at = expiry(cart.updated_at)
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
    lines = priced_lines(session, cart, utcnow())
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
    cart = cart_for_change(session, owner)
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
        cart.billing_region = billing_region_code(cart.billing_country, billing_region)
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
        item = SaleItem(line.item_type, line.item_id, "", line.title, line.department_id, True)
        refusal = ownership_refusal(session, user_id, item, owned)
        if refusal:
            messages.append(f"{refusal} It was taken out of your cart.")
            session.delete(line)
            continue
        if any((k.item_type, k.item_id) == (line.item_type, line.item_id) for k in kept):
            messages.append(f"{line.title} was already in your cart.")
            session.delete(line)
            continue
        refused, replaced = overlap_refusal(session, item, kept)
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
    target.expires_at = expiry(target.updated_at)
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
