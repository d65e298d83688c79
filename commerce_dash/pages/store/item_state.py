"""What the course and program pages' states share: reading the item with what the learner
already owns of it, and the vars every item page shows. The department page shares the
"another item in the address" check.

Where the learner stands with an item (owned, in the cart) comes from
``commerce.item_standings``, one lookup for a whole page of cards (``standing_rows``); the pages
only show it.

Each page keeps its own state class (its var names are part of the rendered page); the
shared vars come from the ``ItemVars`` mixin, which copies them into each page's state (so a
course and a program never share a title), and these helpers take the state and set them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import reflex as rx

from commerce_dash import routes
from commerce_dash.components.catalog_card import card_row, duration_label, owned_href
from commerce_dash.db import session_scope
from commerce_dash.domain.actor import Actor
from commerce_dash.domain.errors import DomainError
from commerce_dash.services import catalog as catalog_area
from commerce_dash.services import commerce as commerce_area
from commerce_dash.services import enrollment as enrollment_area
from commerce_dash.services.commerce import CartOwner
from commerce_dash.state.cart import add_item_to_cart, currency_in
from commerce_dash.state.links import learn_href
from commerce_dash.state.offload import with_session


class ItemVars(rx.State, mixin=True):
    """The vars of a catalog item page that ``show_item`` and ``set_price`` fill; a page state
    mixes this in before ``AuthState`` and adds its code var and what only it shows."""

    status: str = "loading"  # loading | found | missing
    title: str = ""
    description: str = ""
    department: str = ""
    department_href: str = ""
    thumbnail_url: str = ""
    duration: str = ""
    price_label: str = ""
    converted_note: str = ""  # the settlement price it was converted from, when it was
    owned: bool = False  # the learner owns it already: "Owned" and a link to learn
    owned_href: str = ""  # where it is learned (a course's learning page, or the account)
    in_cart: bool = False  # in the learner's cart: "In your cart" and a link to the cart
    _item_id: int = 0  # the shown item's id (server side only)
    offer_note: str = ""  # what the learner owns of it, and their price
    for_sale: bool = False
    # a course the learner's subscription includes: no price, an Enroll button instead
    included: bool = False
    enroll_status: str = ""  # "" | pending | approved | enrolled (the registration's)
    learn_href: str = ""
    enrolling: bool = False


def shows_other_item(status: str, shown_code: str, code: str) -> bool:
    """Whether the page still shows another item than the address names: the caller then
    goes back to "loading" (and yields once) so the previous item never shows under the new
    address."""
    return status != "loading" and code.upper() != shown_code.upper()


def store_department_href(department_code: str) -> str:
    """The storefront department page of an item, or "" when it has no department."""
    return (
        f"{routes.STORE_DEPARTMENT}/{quote(department_code, safe='')}" if department_code else ""
    )


def standing_rows(session: Any, owner: CartOwner, cards: Sequence[catalog_area.CatalogCard]
                  ) -> list[dict[str, str]]:
    """The rows of a page of catalog cards, each with where ``owner`` (the learner, or the
    guest's cart) stands with it: one lookup for the whole page (any thread: touches no
    state)."""
    standings = commerce_area.item_standings(
        session=session, owner=owner, items=[(c.kind, c.id) for c in cards])
    return [card_row(c, standings.get((c.kind, c.id))) for c in cards]


def set_price(state: Any, price: Any) -> None:
    """An item's price vars: whether it is for sale, its label, the converted-from note."""
    state.for_sale = price is not None
    state.price_label = price.label if price else "Not for sale right now"
    state.converted_note = (
        f"Converted from {price.converted_from}" if price and price.converted_from else ""
    )


@dataclass(frozen=True)
class ItemRead:
    """An item page's item as ``read_item`` found it for the learner."""

    item: Any
    offer: Any
    standing: Any


def read_item(session: Any, owner: CartOwner, kind: str, detail: Callable[..., Any],
              code: str) -> ItemRead | None:
    """The ``kind`` (course, program) ``code`` in ``owner``'s currency and what they own of
    it (any thread: touches no state); None when there is no such item for sale."""
    try:
        currency, _ = currency_in(session, owner)
        item: Any = detail(session=session, code=code, currency=currency)
        offer = commerce_area.offer_for(session=session, owner=owner, item_type=kind,
                                        item_id=item.id)
        standing = commerce_area.item_standing(session=session, owner=owner,
                                               item_type=kind, item_id=item.id)
    except DomainError:
        return None
    return ItemRead(item, offer, standing)


def show_item(state: Any, kind: str, read: ItemRead) -> None:
    """Set the vars every item page has (title, description, department, artwork, duration,
    price, offer) from what ``read_item`` found; the caller sets its status and code."""
    item, offer, standing = read.item, read.offer, read.standing
    state.title, state.description = item.title, item.description
    state.department = item.department
    state.department_href = store_department_href(item.department_code)
    state.thumbnail_url = item.thumbnail_url
    state.duration = duration_label(item.estimated_minutes)
    set_price(state, item.price)
    state._item_id = item.id
    state.owned, state.in_cart = standing.owned, standing.in_cart
    state.owned_href = owned_href(kind, item.code)
    # "You already own ..." says nothing the Owned box does not
    state.offer_note = "" if standing.owned else offer.note


def add_to_cart(state: Any, kind: str, code: str) -> list[Any]:
    """The Add to cart button of an item page: add it, then show "In your cart" when it
    is there (the events to return: the toasts)."""
    events = add_item_to_cart(state, kind, code)
    if not state._item_id:
        return events
    with session_scope() as session:
        standing = commerce_area.item_standing(
            session=session, owner=state.cart_owner(state.current_actor()), item_type=kind,
            item_id=state._item_id)
    state.owned, state.in_cart = standing.owned, standing.in_cart
    return events


_LIVE_REGISTRATIONS = ("pending", "approved", "enrolled")


def read_included(session: Any, actor: Actor | None, course_id: int, title: str
                  ) -> tuple[bool, str] | None:
    """(whether ``actor``'s subscription includes the course, the status of their live
    registration of it or ""); None when nobody is signed in. Any thread: touches no state."""
    if actor is None:
        return None
    now = commerce_area.billing_now(session=session)
    if course_id not in enrollment_area.included_course_ids(session=session,
                                                            user_id=actor.user_id, now=now):
        return False, ""
    held = [r for r in enrollment_area.list_for_learner(session=session, user_id=actor.user_id)
            if r.kind == "course" and r.title == title and r.status in _LIVE_REGISTRATIONS]
    return True, held[0].status if held else ""


def show_included(state: Any, code: str, included: tuple[bool, str] | None) -> None:
    """Whether the learner's subscription includes the course, and their registration of it
    when they have one (``included``, ``enroll_status``, ``learn_href``), from
    ``read_included``."""
    state.included, state.enroll_status = included or (False, "")
    state.enrolling = False
    state.learn_href = learn_href(code)


def enroll_message(status: str) -> str:
    """What the learner is told once a subscription registration is made."""
    if status == "pending":
        return "Registered: an administrator approves it first; we email you when you can start."
    return "You are enrolled: start learning from My courses or the Start learning button."


async def enroll_included(state: Any, course_id: int):  # type: ignore[no-untyped-def]
    """The one-click enrollment of a course the learner's subscription includes (off the
    event loop: approval may enroll at the LMS); the events to return."""
    actor = state.current_actor()
    if actor is None:
        return rx.redirect(f"{routes.LOGIN}?next={quote(state.router.url.path or '/', safe='/')}")
    state.enrolling = True

    def work(session: Any) -> str:
        row = enrollment_area.self_enroll(session=session, actor=actor, course_id=course_id,
                                          now=commerce_area.billing_now(session=session))
        return row.status

    try:
        status = await with_session(work)
    except DomainError as exc:
        state.enrolling = False
        return rx.toast.error(exc.message)
    state.enrolling, state.enroll_status, state.owned = False, status, True
    return rx.toast.success(enroll_message(status))

