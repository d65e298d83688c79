"""Adding to the cart from any storefront page (guest or signed in)."""

from __future__ import annotations

from typing import Any

import reflex as rx
from sqlmodel import Session, select

from commerce_dash.db import session_scope
from commerce_dash.domain.actor import Actor
from commerce_dash.domain.errors import DomainError
from commerce_dash.models.catalog import Course, Program
from commerce_dash.services import commerce as commerce_area
from commerce_dash.services.catalog import display_options
from commerce_dash.services.commerce import CartOwner
from commerce_dash.state.auth import AuthState


def add_item_to_cart(state: AuthState, item_type: str, code: str) -> list[Any]:
    """Add the course or program called ``code``; the events to return (toasts)."""
    actor = state.current_actor()
    owner = guest_owner(state, actor)
    model = Course if item_type == "course" else Program
    try:
        with session_scope() as session:
            row = session.exec(select(model).where(model.code == code)).first()
            if row is None or row.id is None:
                raise DomainError("item_not_found", "This item is no longer for sale.")
            added = commerce_area.add_item(session=session, owner=owner, item_type=item_type,
                                           item_id=row.id)
    except DomainError as exc:
        return [rx.toast.error(exc.message)]
    state.refresh_cart_count(actor)
    return [rx.toast.success(added.message,
                             description="Open the cart (top right) to check out.")]


def guest_owner(state: AuthState, actor: Actor | None) -> CartOwner:
    """The cart's owner, giving a guest a cart token first if they have none."""
    owner = state.cart_owner(actor)
    if actor is None and not owner.token:
        state.cart_token = commerce_area.new_cart_token()
        owner = CartOwner(user_id=None, token=state.cart_token)
    return owner


def choose_currency(state: AuthState, currency: str) -> list[Any]:
    """The learner picks the currency prices are shown in (kept on their cart, so the
    catalog, the item pages, the cart and checkout agree); the events to return."""
    actor = state.current_actor()
    try:
        with session_scope() as session:
            commerce_area.set_preferences(session=session, owner=guest_owner(state, actor),
                                          display_currency=currency)
    except DomainError as exc:
        return [rx.toast.error(exc.message)]
    return []


def shown_currency(state: AuthState) -> tuple[str, list[str]]:
    """(the currency the learner sees prices in, the ones they may choose)."""
    with session_scope() as session:
        return currency_in(session, state.cart_owner(state.current_actor()))


def currency_in(session: Session, owner: CartOwner) -> tuple[str, list[str]]:
    """``shown_currency`` for ``owner`` in ``session`` (any thread)."""
    return (commerce_area.display_currency(session=session, owner=owner),
            display_options(session=session))
