"""Cart and checkout routes (spec 001 "Cart & Checkout").

A guest cart is named by the token returned with it (send it back as ``X-Cart-Token``; the
browser's ``cd_cart`` cookie works for reads); a signed-in learner's cart follows the account.
Checkout needs a signed-in learner and an ``Idempotency-Key`` header.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Request, Response
from pydantic import BaseModel, Field

from commerce_dash.api.deps import (
    BodyId,
    CurrentActor,
    DbSession,
    IdPath,
    OptionalActor,
    client_ip,
)
from commerce_dash.api.schemas import Out, Timestamp, fill, iso, mirror
from commerce_dash.domain.errors import DomainError
from commerce_dash.services import commerce as commerce_area
from commerce_dash.services.commerce import CartOwner, CartView, CheckoutRequest, CheckoutResult
from commerce_dash.services.platform import hit
from commerce_dash.settings import get_settings

router = APIRouter(prefix="/api/v2/cart", tags=["cart"])
CART_COOKIE = "cd_cart"


class AddItemBody(BaseModel):
    item_type: str = Field(max_length=16)
    item_id: BodyId


class CodeBody(BaseModel):
    code: str = Field(max_length=64)


class PreferencesBody(BaseModel):
    display_currency: str | None = Field(default=None, max_length=3)
    billing_country: str | None = Field(default=None, max_length=2)
    billing_region: str | None = Field(default=None, max_length=8)
    billing_postal_code: str | None = Field(default=None, max_length=16)


class CheckoutBody(BaseModel):
    display_currency: str = Field(default="", max_length=3)
    billing_country: str = Field(default="", max_length=2)
    billing_region: str = Field(default="", max_length=8)
    billing_postal_code: str = Field(default="", max_length=16)
    expected_total: int | None = Field(default=None, strict=True, ge=0, le=2**53)


class CartLineOut(Out):
    id: int
    item_type: str
    item_id: int
    code: str
    title: str
    department: str
    price_when_added: int
    price: int | None = Field(description="Null when the item has no price any more")
    discount: int
    tax: int
    total: int
    display_total: int
    note: str


class DisplayOut(Out):
    currency: str
    total: int
    exchange_rate: str = Field(description="Decimal, as text")
    exchange_rate_at: Timestamp | None
    choices: list[str]


class BillingOut(Out):
    country: str
    region: str
    postal_code: str


class CartOut(Out):
    """A cart; amounts are minor units of ``currency``, ``display`` the same total in the
    learner's display currency."""

    token: str = Field(description="A guest cart's token (send it as X-Cart-Token); empty "
                                   "for a learner's cart")
    currency: str
    count: int
    lines: list[CartLineOut]
    discount_code: str
    discount_message: str
    subtotal: int
    discount: int
    tax: int
    tax_label: str
    total: int
    display: DisplayOut
    billing: BillingOut
    labels: dict[str, str]
    notices: list[str]
    blockers: list[str]
    can_check_out: bool


class MergedCartOut(CartOut):
    merge_messages: list[str]


class PaymentIntentOut(Out):
    id: str
    client_secret: str
    publishable_key: str
    next_action_url: str


class CheckoutOut(mirror(CheckoutResult, exclude=(  # type: ignore[misc]
        "intent_id", "client_secret", "publishable_key", "next_action_url",  # payment_intent
        "failure_reason", "replayed"))):
    payment_intent: PaymentIntentOut
    failure_reason: str
    replayed: bool = Field(description="True (status 200) when the Idempotency-Key was "
                                       "seen before: the first answer again")


def _owner(request: Request, actor: OptionalActor, token: str | None) -> CartOwner:
    if actor is not None:
        return CartOwner(user_id=actor.user_id, email=actor.email)
    cookie = request.cookies.get(CART_COOKIE, "") if request.method == "GET" else ""
    return CartOwner(user_id=None, token=(token or cookie or "").strip()[:64])


def cart_json(view: CartView) -> dict[str, Any]:
    totals = view.totals
    return {
        "token": view.token,
        "currency": view.currency,
        "count": view.count,
        "lines": [fill(CartLineOut, line, price_when_added=line.added_amount, price=line.amount)
                  for line in view.lines],
        "discount_code": view.discount_code,
        "discount_message": view.discount_message,
        "subtotal": totals.subtotal,
        "discount": totals.discount,
        "tax": totals.tax,
        "tax_label": view.tax_label,
        "total": totals.total,
        "display": {
            "currency": view.display_currency, "total": view.display_total,
            "exchange_rate": view.exchange_rate,
            "exchange_rate_at": iso(view.exchange_rate_at),
            "choices": view.display_choices,
        },
        "billing": {"country": view.billing[0], "region": view.billing[1],
                    "postal_code": view.billing[2]},
        "labels": view.labels,
        "notices": view.notices,
        "blockers": view.blockers,
        "can_check_out": view.can_check_out,
    }


def checkout_json(result: CheckoutResult) -> dict[str, Any]:
    return fill(CheckoutOut, result, payment_intent=fill(
        PaymentIntentOut, result, id=result.intent_id))


def _view(session: DbSession, owner: CartOwner, token: str = "") -> dict[str, Any]:
    body = cart_json(commerce_area.view_cart(session=session, owner=owner))
    if owner.user_id is None and not body["token"]:
        body["token"] = token
    return body


CartToken = Annotated[str | None, Header(alias="X-Cart-Token", max_length=64)]


@router.get("", response_model=CartOut)
def get_cart(request: Request, session: DbSession, actor: OptionalActor,
             x_cart_token: CartToken = None) -> dict[str, Any]:
    return _view(session, _owner(request, actor, x_cart_token))


@router.post("/items", status_code=201, response_model=CartOut)
def add_item(body: AddItemBody, request: Request, response: Response, session: DbSession,
             actor: OptionalActor, x_cart_token: CartToken = None) -> dict[str, Any]:
    owner = _owner(request, actor, x_cart_token)
    hit(session=session, bucket=f"client:{client_ip(request)}",
        limit=get_settings().client_rate_limit_per_minute)
    if owner.user_id is None and not owner.token:
        owner = CartOwner(user_id=None, token=commerce_area.new_cart_token())
    cart = commerce_area.add_item(session=session, owner=owner, item_type=body.item_type,
                                  item_id=body.item_id).cart
    if owner.user_id is None:
        response.set_cookie(CART_COOKIE, cart.token, httponly=True, samesite="lax",
                            max_age=get_settings().cart_ttl_hours * 3600)
    return _view(session, owner, cart.token)


@router.delete("/items/{line_id}", response_model=CartOut)
def remove_item(line_id: IdPath, request: Request, session: DbSession, actor: OptionalActor,
                x_cart_token: CartToken = None) -> dict[str, Any]:
    owner = _owner(request, actor, x_cart_token)
    commerce_area.remove_line(session=session, owner=owner, line_id=line_id)
    return _view(session, owner)


@router.post("/discount", response_model=CartOut)
def apply_discount(body: CodeBody, request: Request, session: DbSession, actor: OptionalActor,
                   x_cart_token: CartToken = None) -> dict[str, Any]:
    owner = _owner(request, actor, x_cart_token)
    commerce_area.apply_code(session=session, owner=owner, code=body.code,
                             client_ip=client_ip(request))
    return _view(session, owner)


@router.delete("/discount", response_model=CartOut)
def remove_discount(request: Request, session: DbSession, actor: OptionalActor,
                    x_cart_token: CartToken = None) -> dict[str, Any]:
    owner = _owner(request, actor, x_cart_token)
    commerce_area.remove_code(session=session, owner=owner)
    return _view(session, owner)


@router.put("/preferences", response_model=CartOut)
def set_preferences(body: PreferencesBody, request: Request, session: DbSession,
                    actor: OptionalActor, x_cart_token: CartToken = None) -> dict[str, Any]:
    owner = _owner(request, actor, x_cart_token)
    if owner.user_id is None and not owner.token:
        raise DomainError("cart_empty", "Add something to your cart first.")
    commerce_area.set_preferences(session=session, owner=owner, **body.model_dump())
    return _view(session, owner)


@router.post("/merge", response_model=MergedCartOut)
def merge(request: Request, session: DbSession, actor: CurrentActor,
          x_cart_token: CartToken = None) -> dict[str, Any]:
    """After signing in through the API: move the guest cart into the learner's cart."""
    result = commerce_area.merge_guest_cart(session=session, token=x_cart_token or "",
                                            user_id=actor.user_id)
    body = _view(session, CartOwner(user_id=actor.user_id, email=actor.email))
    body["merge_messages"] = result.messages
    return body


@router.post("/checkout", status_code=201, response_model=CheckoutOut,
             responses={200: {"model": CheckoutOut,
                              "description": "A replay of an earlier checkout"}})
def checkout(body: CheckoutBody, request: Request, response: Response, session: DbSession,
             actor: CurrentActor,
             idempotency_key: Annotated[str, Header(alias="Idempotency-Key", max_length=100)]
             = "") -> dict[str, Any]:
    if not idempotency_key:
        raise DomainError("idempotency_key_required",
                          "Send an Idempotency-Key header with every checkout.",
                          field="idempotency_key")
    result = commerce_area.place_order(
        session=session, actor=actor,
        request=CheckoutRequest(idempotency_key=idempotency_key, **body.model_dump()),
    )
    if result.replayed:
        response.status_code = 200
    return checkout_json(result)
