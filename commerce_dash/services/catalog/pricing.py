"""Prices: create (closing the one in force), schedule, deactivate, list, history, lookups.

This module holds the changes to prices and is their public face: the prices in force
(``prices_now.py``), access to priced items (``price_access.py``) and the admin list and
history (``price_list.py``) are re-exported, so callers import prices from here.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from commerce_dash.db import for_update
from commerce_dash.domain.actor import Actor
from commerce_dash.domain.clock import ensure_utc, utcnow
from commerce_dash.domain.errors import DomainError, not_found
from commerce_dash.domain.money import format_minor, is_known_currency
from commerce_dash.domain.pricing import (
    BundleSavings,
    ItemType,
    PriceType,
    bundle_savings,
    check_price_credits,
    plan_new_price,
    validate_price,
)
from commerce_dash.models.catalog import Course, Department, Program
from commerce_dash.models.pricing import Price
from commerce_dash.models.sessions import CreditPack
from commerce_dash.services.catalog.price_access import (
    PricedItem,
    priced_item,
    require_item_access,
    window_of,
)
from commerce_dash.services.catalog.price_list import list_prices, price_history
from commerce_dash.services.catalog.prices_now import (
    prices_in_force,
    program_course_prices,
    program_savings,
)
from commerce_dash.services.platform import add_created, record_audit
from commerce_dash.settings import get_settings

__all__ = [
    "PricedItem",
    "create_price",
    "deactivate_price",
    "list_prices",
    "price_history",
    "priced_item",
    "prices_in_force",
    "program_savings",
    "window_of",
]


def _check_bundle_price(
    session: Session, program: PricedItem, kind: PriceType, amount: int, currency: str,
    at: datetime,
) -> BundleSavings | None:
    """The bundle rule for a program's price in ``currency`` from ``at``: every course of it
    has a price in force there, and the program costs more than nothing and less than its
    courses together; only a program of free courses is free (then no savings, None)."""
    course_prices = program_course_prices(session, program.item_id, currency, at)
    missing = [title for title, price in course_prices if price is None]
    if missing:
        raise DomainError(
            "course_without_price",
            f"{program.title} cannot be priced in {currency}: {', '.join(missing)} "
            f"{'has' if len(missing) == 1 else 'have'} no {currency} price in force. "
            f"Price every course of the program in {currency} first.",
            field="currency",
        )
    total = sum(price or 0 for _, price in course_prices)
    if total == 0:
        if kind is PriceType.FREE:
            return None
        raise DomainError(
            "bundle_not_cheaper",
            f"The courses of {program.title} are free in {currency}, so the program can only "
            "be free.",
            field="amount",
        )
    given_away = kind is PriceType.FREE or amount <= 0
    if given_away or amount >= total:
        raise DomainError(
            "bundle_given_away" if given_away else "bundle_not_cheaper",
            f"The courses of {program.title} cost "
            f"{format_minor(total, currency, get_settings().default_locale)} together; "
            "a bundle must cost more than nothing and less than that.",
            field="amount",
        )
    return bundle_savings(course_prices, amount, currency)


def create_price(
    *,
    session: Session,
    actor: Actor | None,
    item_type: str,
    item_id: int,
    price_type: str,
    amount: int,
    currency: str | None = None,
    interval: str = "",
    trial_days: int = 0,
    effective_from: datetime | None = None,
    effective_until: datetime | None = None,
    includes_subdepartments: bool = False,
    private_credits: int = 0,
    private_minutes: int = 60,
    group_credits: int = 0,
    credit_expiry_days: int = 0,
) -> Price:
    """Write a new price; the open-ended price in force before it is closed at its start.

    A department's subscription plan may include its subdepartments' courses
    (``includes_subdepartments``); subscribers keep the price they subscribed at. A course's
    price may give session credits with it (a "package") and a credit pack's must: private
    sessions of ``private_minutes`` (30 or 60), group classes, valid ``credit_expiry_days``
    (0: never); each purchase at the price grants them (``domain.pricing.check_price_credits``)."""
    item = priced_item(session=session, item_type=item_type, item_id=item_id)
    actor = require_item_access(session, actor, item)
    if not item.published:
        raise DomainError("not_published", f"Publish {item.title} before pricing it.",
                          field="item_id")
    try:
        kind = PriceType(price_type)
    except ValueError:
        raise DomainError("invalid_price_type", "Choose one-time, subscription or free.",
                          field="price_type") from None
    # Lock the priced item, so two admins pricing it at once queue up instead of both
    # writing overlapping windows (the price rows alone may not exist yet to be locked).
    # "Now" is read after the lock, so a price that waited starts after the one before it.
    model = {ItemType.COURSE: Course, ItemType.PROGRAM: Program,
             ItemType.CREDIT_PACK: CreditPack}.get(item.item_type, Department)
    session.exec(for_update(session, select(model).where(model.id == item_id))).one()  # type: ignore[attr-defined,arg-type]
    now = utcnow()
    currency_code = currency or get_settings().settlement_currency
    start = ensure_utc(effective_from) if effective_from else now
    if start < now.replace(second=0, microsecond=0):
        raise DomainError("start_in_past", "A price cannot start in the past.",
                          field="effective_from")
    end = ensure_utc(effective_until) if effective_until else None
    savings = None
    if item.item_type is ItemType.PROGRAM and is_known_currency(currency_code):
        # Before the generic checks, so a program priced at 0 hears the bundle rule.
        savings = _check_bundle_price(session, item, kind, amount,
                                      currency_code.strip().upper(), start)
    if includes_subdepartments and item.item_type is not ItemType.SUBSCRIPTION:
        raise DomainError("subdepartments_not_allowed",
                          "Only a department's subscription plan can include subdepartments.",
                          field="includes_subdepartments")
    credits = check_price_credits(private_credits, private_minutes, group_credits,
                                  credit_expiry_days, item_type=item.item_type)
    code = validate_price(
        item_type=item.item_type, price_type=kind, amount=amount,
        currency=currency_code, interval=interval,
        trial_days=trial_days, effective_from=start, effective_until=end, now=now,
    )
    live = session.exec(
        select(Price)
        .where(
            Price.item_type == item.item_type, Price.item_id == item_id, Price.currency == code,
            Price.interval == interval, col(Price.deactivated_at).is_(None),
        )
    ).all()
    plan = plan_new_price([window_of(p) for p in live], effective_from=start,
                          effective_until=end, locale=get_settings().default_locale)
    by_id = {p.id: p for p in live}
    for price_id, new_end in plan.closes:
        closed = by_id[price_id]
        record_audit(
            session=session, actor=actor, action="price.closed", entity_type="price",
            entity_id=price_id, before={"effective_until": None},
            after={"effective_until": new_end.isoformat()},
        )
        closed.effective_until = new_end
        session.add(closed)
    price = Price(
        item_type=item.item_type, item_id=item_id, department_id=item.department_id,
        price_type=kind, interval=interval, trial_days=trial_days, currency=code,
        amount=amount, effective_from=start, effective_until=end, created_by_id=actor.user_id,
        includes_subdepartments=includes_subdepartments,
        private_credits=credits.private_credits, private_minutes=credits.private_minutes,
        group_credits=credits.group_credits, credit_expiry_days=credits.expiry_days,
    )
    add_created(
        session=session, actor=actor, row=price,
        action="price.scheduled" if start > now else "price.created",
        entity_type="price",
        after={"item": f"{item.item_type}:{item_id}", "amount": amount, "currency": code,
               "price_type": kind.value, "interval": interval, "trial_days": trial_days,
               "includes_subdepartments": includes_subdepartments, "from": start.isoformat(),
               "until": end.isoformat() if end else None,
               **({"private_credits": credits.private_credits,
                   "private_minutes": credits.private_minutes,
                   "group_credits": credits.group_credits,
                   "credit_expiry_days": credits.expiry_days} if credits.total else {}),
               **({"savings": savings.savings} if savings else {})},
    )
    session.commit()
    return price


def deactivate_price(
    *, session: Session, actor: Actor | None, price_id: int, reason: str
) -> Price:
    """Take a price out of force; the row stays as history."""
    price = session.get(Price, price_id)
    if price is None:
        raise not_found("price", price_id)
    item = priced_item(session=session, item_type=price.item_type, item_id=price.item_id)
    actor = require_item_access(session, actor, item)
    reason = " ".join(reason.split())
    if len(reason) < 5:
        raise DomainError("reason_required", "Say why the price is deactivated (5+ characters).",
                          field="reason")
    if price.deactivated_at is not None:
        return price
    # the item's lock, as create_price and the catalog_prices job take it
    model = {ItemType.COURSE: Course, ItemType.PROGRAM: Program,
             ItemType.CREDIT_PACK: CreditPack}.get(item.item_type, Department)
    session.exec(for_update(session, select(model).where(model.id == price.item_id))).one()  # type: ignore[attr-defined,arg-type]
    now = utcnow()
    if price.effective_from > now:
        # A scheduled price closed its predecessor at its own start; cancelling it hands
        # that time back, so the item does not end up without a price.
        predecessor = session.exec(
            select(Price).where(
                Price.item_type == price.item_type, Price.item_id == price.item_id,
                Price.currency == price.currency, Price.interval == price.interval,
                col(Price.deactivated_at).is_(None),
                col(Price.effective_until) == price.effective_from,
            )
        ).first()
        if predecessor is not None:
            record_audit(
                session=session, actor=actor, action="price.reopened", entity_type="price",
                entity_id=predecessor.id,
                before={"effective_until": price.effective_from.isoformat()},
                after={"effective_until": price.effective_until.isoformat()
                       if price.effective_until else None},
            )
            predecessor.effective_until = price.effective_until
            session.add(predecessor)
    price.deactivated_at = now
    price.deactivated_reason = reason[:500]
    session.add(price)
    record_audit(session=session, actor=actor, action="price.deactivated", entity_type="price",
                 entity_id=price_id, before={"deactivated": False}, after={"deactivated": True},
                 reason=reason)
    session.commit()
    return price


