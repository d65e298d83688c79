"""Where a learner stands with catalog items: owned, in their cart, included in their
subscription. The storefront's cards and item pages and the catalog API show it; the rules
stay where they live (ownership in ``enrollment.item_ownership``, subscription access in
``enrollment.included_course_ids``, the cart here in commerce). One call per page, whatever
the number of items on it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlmodel import Session, col, select

from commerce_dash.models.commerce import Cart, CartLine
from commerce_dash.services.commerce.cart_lookups import CartOwner
from commerce_dash.services.commerce.subscription_clock import billing_now
from commerce_dash.services.enrollment import included_course_ids, owned_items

Item = tuple[str, int]  # ("course" | "program", id)


@dataclass(frozen=True)
class ItemStanding:
    owned: bool = False  # nothing left to buy: the learner has it
    in_cart: bool = False  # a line of the learner's cart
    included: bool = False  # a course the learner's subscription opens (not owned yet)


NOTHING = ItemStanding()


def _in_cart(session: Session, owner: CartOwner, items: list[Item]) -> set[Item]:
    where = owner.cart_clause()
    if where is None:
        return set()
    rows = session.exec(
        select(CartLine.item_type, CartLine.item_id)
        .join(Cart, col(CartLine.cart_id) == Cart.id)
        .where(
            where,
            col(CartLine.item_type).in_({kind for kind, _ in items}),
            col(CartLine.item_id).in_({item_id for _, item_id in items}),
        )
    ).all()
    return {(kind, item_id) for kind, item_id in rows}


def item_standings(
    *, session: Session, owner: CartOwner, items: Iterable[Item]
) -> dict[Item, ItemStanding]:
    """Each of ``items`` -> where the cart's ``owner`` stands with it (a visitor owns
    nothing and has no subscription, but may have a guest cart)."""
    items = list(dict.fromkeys(items))
    if not items:
        return {}
    owned = owned_items(session=session, user_id=owner.user_id, items=items)
    included = (
        included_course_ids(session=session, user_id=owner.user_id, now=billing_now(session))
        if owner.user_id is not None and any(k == "course" for k, _ in items)
        else set()
    )
    in_cart = _in_cart(session, owner, items)
    return {
        item: ItemStanding(
            owned=item in owned,
            in_cart=item in in_cart and item not in owned,
            included=item[0] == "course" and item[1] in included and item not in owned,
        )
        for item in items
    }


def item_standing(
    *, session: Session, owner: CartOwner, item_type: str, item_id: int
) -> ItemStanding:
    """Where the owner stands with one item (an item page)."""
    return item_standings(session=session, owner=owner, items=[(item_type, item_id)]).get(
        (item_type, item_id), NOTHING
    )
