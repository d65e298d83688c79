"""Abandoned-cart reminders (issue 19): one email for a signed-in learner's cart left
untouched for ``settings.cart_reminder_after_hours``, an unsubscribe link that is honoured,
and the orders those reminders recovered.

Which carts: a learner's (never a guest's or a one-call purchase's, which have no user), with
lines, no payment in flight, not expired, not claimed before, of an active learner who did not
opt out and placed no order since the cart last changed (none after a purchase).

Once: the claim is a conditional UPDATE of ``cart.reminded_at`` (``WHERE reminded_at IS
NULL``) in the same transaction as the queued email and the ``CartReminder`` row, so of two
job runs the second updates nothing and sends nothing, and a rollback undoes all three.

Unsubscribe: the email links to a public route with a signed token (HMAC of the learner's id
under the secret key); following it records an ``EmailOptOut`` of kind ``cart_reminders``.
That opt-out stops these reminders only: receipts and other transactional emails never
look at it.

Recovered: a completed order made from a reminded cart after the reminder was sent.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import exists, func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from commerce_dash import routes
from commerce_dash.domain.actor import Actor
from commerce_dash.domain.clock import ensure_utc, utcnow
from commerce_dash.domain.errors import DomainError, ErrorKind
from commerce_dash.domain.money import format_minor
from commerce_dash.domain.orders import OrderStatus
from commerce_dash.domain.report_periods import check_period, period_bounds
from commerce_dash.models.accounts import User
from commerce_dash.models.cart_reminders import CartReminder, EmailOptOut
from commerce_dash.models.commerce import Cart, CartLine, Order, OrderLine
from commerce_dash.notify.outbox_email import queue_email
from commerce_dash.services.platform import managed_departments
from commerce_dash.settings import get_settings

__all__ = [
    "CART_REMINDERS",
    "REMINDER_BATCH",
    "UNSUBSCRIBE_PATH",
    "RecoveredOrders",
    "due_cart_reminders",
    "opt_out_of_cart_reminders",
    "recovered_orders",
    "send_cart_reminders",
    "unsubscribe_token",
    "unsubscribe_user",
]

CART_REMINDERS = "cart_reminders"  # the EmailOptOut kind
REMINDER_BATCH = 200
UNSUBSCRIBE_PATH = "/api/v2/email/cart-reminders/unsubscribe"
# what a recovered order may still be: paid and not given back in full
_RECOVERED_STATUSES = (
    OrderStatus.COMPLETED.value,
    OrderStatus.PARTIALLY_REFUNDED.value,
    OrderStatus.DISPUTED.value,
)


# ---------------------------------------------------------------- the unsubscribe token


def _signature(user_id: int) -> str:
    key = get_settings().secret_key.get_secret_value().encode()
    message = f"{CART_REMINDERS}:unsubscribe:{user_id}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:40]


def unsubscribe_token(user_id: int) -> str:
    """The token of a learner's unsubscribe link (signed, it never expires)."""
    return f"{user_id}.{_signature(user_id)}"


def unsubscribe_user(token: str) -> int:
    """The learner a genuine token names; a forged or damaged one is refused (422)."""
    head, _, signature = token.strip().partition(".")
    if (
        head.isdigit()
        and len(head) <= 12
        and hmac.compare_digest(signature.encode(), _signature(int(head)).encode())
    ):
        return int(head)
    raise DomainError(
        "invalid_unsubscribe_link",
        "This unsubscribe link is not valid. Use the link of the email as it was sent.",
        field="token",
    )


def unsubscribe_url(user_id: int) -> str:
    base = get_settings().public_url.rstrip("/")
    return f"{base}{UNSUBSCRIBE_PATH}?token={unsubscribe_token(user_id)}"


def opt_out_of_cart_reminders(*, session: Session, token: str) -> bool:
    """Record the learner's opt-out of cart reminders (commits); True when it is new. Doing
    it again is harmless."""
    user_id = unsubscribe_user(token)
    if session.get(User, user_id) is None:
        raise DomainError(
            "invalid_unsubscribe_link",
            "This unsubscribe link is not valid.",
            field="token",
            kind=ErrorKind.INVALID,
        )
    if _opted_out(session, user_id):
        return False
    session.add(EmailOptOut(user_id=user_id, kind=CART_REMINDERS, created_at=utcnow()))
    try:
        session.commit()
    except IntegrityError:  # the same link followed twice at once
        session.rollback()
        return False
    return True


def _opted_out(session: Session, user_id: int) -> bool:
    return (
        session.exec(
            select(EmailOptOut.id).where(
                EmailOptOut.user_id == user_id, EmailOptOut.kind == CART_REMINDERS
            )
        ).first()
        is not None
    )


# ---------------------------------------------------------------- the job


def due_cart_reminders(session: Session, *, now: datetime, limit: int) -> list[int]:
    """Ids of the carts whose reminder is due at ``now``, longest idle first."""
    hours = get_settings().cart_reminder_after_hours
    if hours <= 0:
        return []
    idle_since = now - timedelta(hours=hours)
    has_lines = exists().where(col(CartLine.cart_id) == col(Cart.id))
    opted_out = exists().where(
        col(EmailOptOut.user_id) == col(Cart.user_id), col(EmailOptOut.kind) == CART_REMINDERS
    )
    ordered_since = exists().where(
        col(Order.user_id) == col(Cart.user_id), col(Order.created_at) >= col(Cart.updated_at)
    )
    rows = session.exec(
        select(Cart.id)
        .join(User, col(User.id) == col(Cart.user_id))
        .where(
            col(Cart.user_id).is_not(None),
            col(Cart.reminded_at).is_(None),
            col(Cart.checkout_order_id).is_(None),
            col(Cart.updated_at) <= idle_since,
            col(Cart.expires_at) > now,
            col(User.is_active).is_(True),
            has_lines,
            ~opted_out,
            ~ordered_since,
        )
        .order_by(col(Cart.updated_at), col(Cart.id))
        .limit(limit)
    ).all()
    return [int(i) for i in rows if i is not None]


def send_cart_reminders(
    session: Session, *, now: datetime | None = None, limit: int = REMINDER_BATCH
) -> int:
    """Queue "cart-reminder" for up to ``limit`` due carts, each at most once; returns how
    many were queued. Flushes, does not commit (the job commits each batch)."""
    now = ensure_utc(now or utcnow())
    sent = 0
    for cart_id in due_cart_reminders(session, now=now, limit=limit):
        claimed = session.execute(
            update(Cart)
            .where(
                col(Cart.id) == cart_id,
                col(Cart.reminded_at).is_(None),
                col(Cart.checkout_order_id).is_(None),
            )
            .values(reminded_at=now)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            continue  # another run claimed it, or a checkout started meanwhile
        cart = session.get(Cart, cart_id, populate_existing=True)
        user = session.get(User, cart.user_id) if cart is not None and cart.user_id else None
        if cart is None or user is None:
            continue
        session.add(CartReminder(cart_id=cart_id, user_id=user.id or 0, sent_at=now))
        _email(session, cart, user)
        sent += 1
    session.flush()
    return sent


def _email(session: Session, cart: Cart, user: User) -> None:
    lines = session.exec(
        select(CartLine)
        .where(CartLine.cart_id == cart.id)
        .order_by(col(CartLine.added_at), col(CartLine.id))
    ).all()
    base = get_settings().public_url.rstrip("/")
    locale = get_settings().default_locale
    stop_url = unsubscribe_url(user.id or 0)
    queue_email(
        session=session,
        template="cart-reminder",
        to=user.email,
        context={
            "user_name": user.full_name,
            "items": [
                {
                    "title": line.title,
                    "amount": format_minor(line.unit_amount, line.currency, locale),
                }
                for line in lines
            ],
            "cart_url": f"{base}{routes.CART}",
            "unsubscribe_url": stop_url,
        },
        dedupe_key=f"cart-reminder:{cart.id}:{cart.token}",
        # mail clients offer their own unsubscribe button: one click POSTs to the same link
        # (RFC 8058), which records the opt-out like the page's button
        headers={"List-Unsubscribe": f"<{stop_url}>",
                 "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
    )


# ---------------------------------------------------------------- recovered orders


@dataclass(frozen=True)
class RecoveredOrders:
    """Orders completed from a reminded cart within a period: how many, and what they were
    paid per currency (minor units; fully refunded ones left out)."""

    start: date
    end: date
    orders: int
    revenue: dict[str, int]
    reminders: int | None  # reminders sent in the period (None: not for a department admin)

    def labels(self) -> list[str]:
        """Revenue per currency for people, e.g. ["$120.00", "€40.00"]."""
        locale = get_settings().default_locale
        return [
            format_minor(amount, currency, locale)
            for currency, amount in sorted(self.revenue.items())
        ]


def recovered_orders(
    *, session: Session, actor: Actor | None, start: date, end: date
) -> RecoveredOrders:
    """Orders completed in [start, end] (UTC days) from a cart reminded before the order was
    placed, within the departments the actor may see in Revenue (a department admin counts
    orders with lines of theirs, and only those lines' amounts)."""
    check_period(start, end)
    allowed = managed_departments(session=session, actor=actor, section="revenue")
    since, until = period_bounds(start, end)
    reminded = (
        select(Order.id)
        .join(CartReminder, col(CartReminder.cart_id) == col(Order.cart_id))
        .where(
            col(CartReminder.user_id) == col(Order.user_id),
            col(CartReminder.sent_at) <= col(Order.created_at),
            col(Order.status).in_(_RECOVERED_STATUSES),
            col(Order.completed_at) >= since,
            col(Order.completed_at) < until,
        )
    )
    query = (
        select(
            OrderLine.currency,
            func.count(func.distinct(OrderLine.order_id)),
            func.coalesce(func.sum(OrderLine.total), 0),
        )
        .where(col(OrderLine.order_id).in_(reminded))
        .group_by(col(OrderLine.currency))
    )
    if allowed is not None:
        query = query.where(col(OrderLine.department_id).in_(allowed or {0}))
    revenue: dict[str, int] = {}
    orders = 0
    for currency, count, amount in session.exec(query).all():
        revenue[currency] = int(amount or 0)
        orders += int(count or 0)
    sent = None  # reminders are not by department: only whole-shop admins see how many
    if allowed is None:
        sent = int(
            session.exec(
                select(func.count())
                .select_from(CartReminder)
                .where(col(CartReminder.sent_at) >= since, col(CartReminder.sent_at) < until)
            ).one()
            or 0
        )
    return RecoveredOrders(start, end, orders, revenue, sent)
