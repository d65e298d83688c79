"""Checkout: re-validate the cart, lock its prices, create the order once per idempotency key,
reserve the discount, and get the payment intent from the processor (outside the transaction).

This module is checkout's public face: the intent (``payment_intents.py``) and the result and
summary views (``checkout_views.py``) are re-exported, so callers import checkout from here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from commerce_dash.db import for_update
from commerce_dash.domain.actor import Actor
from commerce_dash.domain.cart import checkout_fingerprint
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.errors import DomainError, ErrorKind
from commerce_dash.domain.orders import OrderStatus, PaymentStatus, order_number
from commerce_dash.models.commerce import Cart, CartLine, Order, OrderLine, Payment
from commerce_dash.models.pricing import DiscountCode, DiscountRedemption
from commerce_dash.payments.base import ProcessorError
from commerce_dash.services.commerce.cart_lookups import CartOwner
from commerce_dash.services.commerce.cart_view import view_cart
from commerce_dash.services.commerce.checkout_views import CheckoutResult, checkout_result
from commerce_dash.services.commerce.discount_uses import take_use
from commerce_dash.services.commerce.payment_intents import ensure_intent
from commerce_dash.services.commerce.payment_review import require_not_under_review
from commerce_dash.services.commerce.payment_settling import close_unpaid_order
from commerce_dash.services.commerce.processor_choice import (
    processor_for_departments,
    require_configured,
)
from commerce_dash.services.commerce.settlement import complete_order
from commerce_dash.services.platform import limit_checkout, require_verified
from commerce_dash.settings import get_settings

# checkout's public face: the intent and the views are re-exported
__all__ = [
    "CheckoutRequest",
    "CheckoutResult",
    "checkout",
    "ensure_intent",
]

_KEY_RE = re.compile(r"[A-Za-z0-9_.:\-]{8,100}", re.ASCII)


@dataclass(frozen=True)
class CheckoutRequest:
    idempotency_key: str
    display_currency: str = ""
    billing_country: str = ""
    billing_region: str = ""
    billing_postal_code: str = ""
    expected_total: int | None = None  # the total the learner saw; a change is refused
    # refuse without the billing address tax needs (the web cart asks for it beside its
    # fields); API clients that send none keep the zero "calculated at checkout" tax
    require_billing: bool = False


def _existing(session: Session, user_id: int, key: str) -> Order | None:
    return session.exec(
        select(Order).where(Order.user_id == user_id, Order.idempotency_key == key)
    ).first()


def _replay(session: Session, order: Order, fingerprint: str) -> CheckoutResult:
    if order.request_hash != fingerprint:
        raise DomainError(
            "idempotency_conflict",
            "This idempotency key was used for a different checkout request.",
            kind=ErrorKind.CONFLICT,
        )
    assert order.id is not None
    payment = ensure_intent(session=session, order_id=order.id)
    session.refresh(order)
    return checkout_result(session, order, payment, replayed=True)


def checkout(*, session: Session, actor: Actor, request: CheckoutRequest,
             owner: CartOwner | None = None) -> CheckoutResult:
    """Turn the learner's cart (or ``owner``'s: a direct purchase's) into a pending order and
    its payment intent.

    The same idempotency key returns the same order and intent; a different request with
    the same key is refused. Commits; the processor is called after the commit.
    """
    key = request.idempotency_key.strip()
    if not _KEY_RE.fullmatch(key):
        raise DomainError("invalid_idempotency_key", "Send an Idempotency-Key of 8 to 100 "
                          "letters, digits or - _ . : characters.", field="idempotency_key")
    fingerprint = checkout_fingerprint(
        billing=(request.billing_country.strip().upper(), request.billing_region.strip().upper(),
                 request.billing_postal_code.strip().upper()),
        display_currency=request.display_currency.strip().upper(),
        expected_total=request.expected_total,
    )
    limit_checkout(session=session, actor=actor)
    existing = _existing(session, actor.user_id, key)
    if existing is not None:
        return _replay(session, existing, fingerprint)
    require_verified(session=session, user_id=actor.user_id)
    require_not_under_review(session=session, user_id=actor.user_id)
    for _ in range(2):
        try:
            outcome = _checkout_cart(session, actor, request, key, fingerprint,
                                     owner or CartOwner(user_id=actor.user_id,
                                                        email=actor.email))
        except DomainError:
            session.rollback()
            raise
        if isinstance(outcome, CheckoutResult):
            return outcome
        _close_replaced(session, outcome)
    raise DomainError("checkout_in_progress", "Your cart is being checked out elsewhere; try "
                      "again in a moment.", kind=ErrorKind.CONFLICT, retry_after_seconds=2)


def _close_replaced(session: Session, order_id: int) -> None:
    """The cart changed since its open order was made: that order is cancelled (its intent
    voided first) before the new one; if it was paid meanwhile, the learner is told."""
    try:
        status = close_unpaid_order(
            session=session, order_id=order_id,
            reason="Replaced by a new checkout of the same cart after it changed.")
    except ProcessorError as exc:
        raise DomainError("payment_unavailable", "The payment service could not close your "
                          f"earlier checkout: {exc.message}", kind=ErrorKind.CONFLICT) from None
    if status in (OrderStatus.CANCELLED.value, OrderStatus.FAILED.value):
        return
    order = session.get(Order, order_id)
    assert order is not None
    number = order_number(order_id, order.created_at)
    if status == OrderStatus.PENDING.value:
        raise DomainError("checkout_in_progress", f"The payment of your earlier checkout "
                          f"{number} is being processed; try again in a moment.",
                          kind=ErrorKind.CONFLICT, retry_after_seconds=5)
    raise DomainError("checkout_paid", f"Your earlier checkout {number} was paid meanwhile: "
                      "see My orders before buying again.", kind=ErrorKind.CONFLICT)


def _checkout_cart(session: Session, actor: Actor, request: CheckoutRequest, key: str,
                   fingerprint: str, owner: CartOwner) -> CheckoutResult | int:
    """Check the cart out under its lock: the result, or the id of the cart's open order that
    must be closed first (the cart changed since it was made)."""
    # one checkout of a cart at a time
    clause = owner.cart_clause()
    assert clause is not None and owner.user_id == actor.user_id
    cart = session.exec(for_update(session, select(Cart).where(clause))).first()
    existing = _existing(session, actor.user_id, key)  # a twin may have won while we waited
    if existing is not None:
        session.commit()
        return _replay(session, existing, fingerprint)
    if cart is None or cart.id is None:
        raise DomainError("cart_empty", "Your cart is empty.", kind=ErrorKind.CONFLICT)
    changed = False
    if request.billing_country:
        cart.billing_country = request.billing_country.strip().upper()
        cart.billing_region = request.billing_region.strip().upper()
        cart.billing_postal_code = request.billing_postal_code.strip().upper()
        changed = True
    if request.display_currency:
        cart.display_currency = request.display_currency.strip().upper()
        changed = True
    if changed:
        session.add(cart)
        session.flush()

    view = view_cart(session=session, owner=owner)
    if not view.lines:
        raise DomainError("cart_empty", "Your cart is empty.", kind=ErrorKind.CONFLICT)
    if view.blockers:
        raise DomainError("cart_not_ready", view.blockers[0], kind=ErrorKind.CONFLICT)
    if request.require_billing and view.billing_errors:
        field, message = next(iter(view.billing_errors.items()))
        raise DomainError("billing_address_required", message, field=field)
    if view.discount_message:
        cart.discount_code = ""
        session.add(cart)
        session.commit()
        raise DomainError("code_no_longer_valid",
                          f"Your discount code no longer applies: {view.discount_message} "
                          "It was removed; review your cart.", kind=ErrorKind.CONFLICT)
    if request.expected_total is not None and request.expected_total != view.totals.total:
        raise DomainError(
            "total_changed",
            f"Your total changed to {view.labels['total']}. Review your cart and check out again.",
            kind=ErrorKind.CONFLICT,
        )
    display = request.display_currency.strip().upper()
    if display and display not in view.display_choices:
        raise DomainError("invalid_display_currency",
                          f"Prices can't be shown in {display}.", field="display_currency")
    open_order = session.get(Order, cart.checkout_order_id) if cart.checkout_order_id else None
    if open_order is not None and open_order.status == OrderStatus.PENDING.value:
        assert open_order.id is not None
        session.commit()
        if open_order.cart_fingerprint != view.fingerprint:
            return open_order.id
        # the same cart checked out again (a new key, a second tab): its open order
        return checkout_result(session, open_order, ensure_intent(session=session, order_id=open_order.id),
                       replayed=True)

    settings = get_settings()
    now = utcnow()
    cart_rows = {f"{r.item_type}:{r.item_id}": r for r in _cart_rows(session, cart.id)}
    processor = ("none" if view.totals.total == 0 else processor_for_departments(
        session, {r.department_id for r in cart_rows.values()}))
    require_configured(processor)

    code_row: DiscountCode | None = None
    if view.discount_code and view.totals.discount > 0:
        code_row = session.exec(
            select(DiscountCode).where(DiscountCode.code == view.discount_code)
        ).one()
        assert code_row.id is not None
        take_use(session, code_row.id)

    by_key = {line.key: line for line in view.lines}
    order = Order(
        user_id=actor.user_id, cart_id=cart.id, status=OrderStatus.PENDING.value,
        payment_status="pending", processor=processor, currency=view.currency,
        subtotal=view.totals.subtotal, discount_amount=view.totals.discount,
        tax_amount=view.totals.tax, total=view.totals.total,
        discount_code=view.discount_code if code_row else "",
        discount_code_id=code_row.id if code_row else None,
        tax_provider=view.tax_provider, tax_label=view.tax_label, tax_source=view.tax_source,
        tax_breakdown=[{"label": label, "amount": amount}
                       for label, amount in view.tax_by_rate] or None,
        billing_country=view.billing[0], billing_region=view.billing[1],
        billing_postal_code=view.billing[2],
        display_currency=view.display_currency, display_total=view.display_total,
        exchange_rate=view.exchange_rate, exchange_rate_at=view.exchange_rate_at,
        settlement_currency=view.settlement_currency, settlement_total=view.settlement_total,
        idempotency_key=key, request_hash=fingerprint, cart_fingerprint=view.fingerprint,
        prices_locked_until=now + timedelta(minutes=settings.price_lock_minutes),
        created_at=now, updated_at=now,
    )
    session.add(order)
    try:
        session.flush()
    except IntegrityError:  # the same key was used concurrently: answer with that order
        session.rollback()
        twin = _existing(session, actor.user_id, key)
        if twin is None:
            raise
        return _replay(session, twin, fingerprint)
    assert order.id is not None
    number = order_number(order.id, order.created_at)
    for position, line in enumerate(view.totals.lines, start=1):
        shown = by_key[line.key]
        row = cart_rows[line.key]
        session.add(OrderLine(
            order_id=order.id, position=position, item_type=shown.item_type,
            item_id=shown.item_id, department_id=row.department_id, title=shown.title,
            price_id=row.price_id, list_amount=line.amount, discount_amount=line.discount,
            tax_amount=line.tax, total=line.total, display_total=shown.display_total,
            currency=view.currency, owned_course_ids=list(shown.owned_course_ids) or None,
        ))
    if code_row is not None:
        assert code_row.id is not None
        session.add(DiscountRedemption(
            code_id=code_row.id, user_id=actor.user_id, order_ref=number,
            currency=view.currency,
            revenue_affected=sum(line.amount for line in view.totals.lines if line.discount),
            discount_amount=view.totals.discount, status="reserved", at=now,
        ))
    payment = Payment(
        order_id=order.id, user_id=actor.user_id, processor=processor,
        amount=order.total, currency=order.currency,
        status=PaymentStatus.PENDING.value, created_at=now, updated_at=now,
    )
    session.add(payment)
    cart.checkout_order_id = order.id
    session.add(cart)
    if order.total == 0:
        session.flush()
        payment.intent_id = f"free-{order.id}"
        complete_order(session=session, order=order, payment=payment, at=now,
                       note="Nothing to pay: completed without a processor.")
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        twin = _existing(session, actor.user_id, key)
        if twin is None:
            raise
        return _replay(session, twin, fingerprint)
    if order.total == 0:
        session.refresh(order)
        session.refresh(payment)
        return checkout_result(session, order, payment, replayed=False)
    payment = ensure_intent(session=session, order_id=order.id)
    return checkout_result(session, order, payment, replayed=False)


def _cart_rows(session: Session, cart_id: int) -> list[CartLine]:
    return list(session.exec(select(CartLine).where(CartLine.cart_id == cart_id)).all())

