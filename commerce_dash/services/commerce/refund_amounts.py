"""What is left to refund on an order and on each of its lines, the order and payment a
refund is about, and the learner's refund emails: the pieces every refund step shares.

"Left" is what was captured, less what paid refunds gave back, less what approved refunds
not yet paid will give back (*in flight*), so two approvals can never promise the same money.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from commerce_dash.db import for_update
from commerce_dash.domain.access import RoleName
from commerce_dash.domain.actor import Actor
from commerce_dash.domain.errors import DomainError, ErrorKind, not_found
from commerce_dash.domain.money import format_minor
from commerce_dash.domain.orders import OrderStatus, PaymentStatus, order_number, parse_order_number
from commerce_dash.domain.pricing import ItemType, check_credit_refund, credit_refund_cap
from commerce_dash.domain.refunds import IN_FLIGHT, RefundStatus
from commerce_dash.models.accounts import User
from commerce_dash.models.commerce import Order, OrderLine, Payment, RefundRequest
from commerce_dash.models.pricing import Price
from commerce_dash.notify.outbox_email import queue_email
from commerce_dash.services.enrollment import credit_counts
from commerce_dash.settings import get_settings

SECTION = "refunds"
REFUNDABLE_ORDERS = (OrderStatus.COMPLETED.value, OrderStatus.PARTIALLY_REFUNDED.value)
# a payment with money captured that a refund can come from
_CAPTURED = (PaymentStatus.SUCCEEDED.value, PaymentStatus.PARTIALLY_REFUNDED.value)


def money_label(amount: int, currency: str) -> str:
    return format_minor(amount, currency, get_settings().default_locale)


def _order_by_number(session: Session, number: str) -> Order:
    year, order_id = parse_order_number(number)
    order = session.get(Order, order_id)
    if order is None or order.created_at.year != year:
        raise not_found("order", number.strip())
    return order


def order_for_actor(session: Session, actor: Actor | None, number: str) -> tuple[Order, bool]:
    """The order with this number for its owner or a billing admin, and whether ``actor`` is
    such an admin; anybody else is told it does not exist, like a number that does not."""
    if actor is None:
        raise DomainError("not_signed_in", "Sign in to continue.", kind=ErrorKind.UNAUTHENTICATED)
    order = _order_by_number(session, number)
    admin = actor.is_super_admin or actor.has_role(RoleName.BILLING_ADMIN)
    if order.user_id != actor.user_id and not admin:
        raise not_found("order", number.strip())
    return order, admin


def captured_payment(session: Session, order_id: int, *, lock: bool) -> Payment:
    query = select(Payment).where(Payment.order_id == order_id)
    payment = session.exec(for_update(session, query) if lock else query).first()
    if payment is None or payment.status not in _CAPTURED:
        raise DomainError("nothing_captured", "This order has no captured payment to refund.",
                          kind=ErrorKind.CONFLICT)
    return payment


def in_flight(session: Session, order_id: int, exclude: int | None = None) -> int:
    query = select(func.coalesce(func.sum(RefundRequest.approved_amount), 0)).where(
        RefundRequest.order_id == order_id,
        col(RefundRequest.status).in_([s.value for s in IN_FLIGHT]))
    if exclude is not None:
        query = query.where(col(RefundRequest.id) != exclude)
    return int(session.exec(query).one() or 0)


def refundable(session: Session, order: Order, exclude: int | None = None) -> int:
    """What is left to refund: captured, less refunded, less approved but not yet paid."""
    assert order.id is not None
    payment = session.exec(select(Payment).where(Payment.order_id == order.id)).first()
    if payment is None or payment.status not in _CAPTURED:
        return 0
    return max(0, payment.amount - payment.refunded_amount
               - in_flight(session, order.id, exclude))


def _refunded_by_line(session: Session, order_id: int, *, promised: bool = False,
                      exclude: int | None = None) -> dict[int, int]:
    """What paid refunds gave back per order line (with ``promised``: also what approved
    refunds not yet paid will give back)."""
    statuses = [RefundStatus.REFUNDED.value]
    if promised:
        statuses += [s.value for s in IN_FLIGHT]
    query = select(RefundRequest.lines).where(RefundRequest.order_id == order_id,
                                              col(RefundRequest.status).in_(statuses))
    if exclude is not None:
        query = query.where(col(RefundRequest.id) != exclude)
    out: dict[int, int] = {}
    for lines in session.exec(query).all():
        for item in lines or []:
            line_id = int(item["order_line_id"])
            out[line_id] = out.get(line_id, 0) + int(item["amount"])
    return out


def left_by_line(session: Session, order: Order, *, promised: bool = False,
                  exclude: int | None = None) -> dict[int, int]:
    done = _refunded_by_line(session, order.id or 0, promised=promised, exclude=exclude)
    lines = session.exec(select(OrderLine).where(OrderLine.order_id == order.id)
                         .order_by(col(OrderLine.position))).all()
    return {line.id or 0: line.total - done.get(line.id or 0, 0) for line in lines}


@dataclass(frozen=True)
class CreditLine:
    """A credit-pack line of an order: what it cost and how many of its credits are used (a
    used credit is not refundable, ``domain.pricing.credit_refund_cap``)."""

    line_id: int
    title: str
    total: int
    credits: int
    used: int

    @property
    def cap(self) -> int:
        return credit_refund_cap(self.total, self.credits, self.used)

    @property
    def note(self) -> str:
        """For people, "" when nothing is used: "1 of 4 credits used: not refundable"."""
        if not self.used:
            return ""
        return f"{self.used} of {self.credits} credits used: not refundable"


def credit_lines(session: Session, order: Order) -> dict[int, CreditLine]:
    """The order's credit-pack lines with their credits (those granted, else those its price
    gives when none are granted yet) and how many are used."""
    lines = session.exec(select(OrderLine).where(
        OrderLine.order_id == order.id,
        OrderLine.item_type == ItemType.CREDIT_PACK.value)).all()
    out: dict[int, CreditLine] = {}
    for line in lines:
        assert line.id is not None
        counts = credit_counts(session, order_line_id=line.id)
        credits = counts.total
        if not credits and line.price_id is not None:
            price = session.get(Price, line.price_id)
            credits = (price.private_credits + price.group_credits) if price else 0
        out[line.id] = CreditLine(line.id, line.title, line.total, credits, counts.used)
    return out


def refundable_by_line(session: Session, order: Order, *, promised: bool = False,
                       exclude: int | None = None) -> dict[int, int]:
    """What each line may still give back: :func:`left_by_line`, and for a credit-pack line
    no more than its unused credits are worth less what was refunded of it."""
    left = left_by_line(session, order, promised=promised, exclude=exclude)
    for line_id, credit in credit_lines(session, order).items():
        refunded = credit.total - left.get(line_id, 0)
        left[line_id] = max(0, min(left.get(line_id, 0), credit.cap - refunded))
    return left


def check_credit_refunds(session: Session, order: Order, items: Iterable[Mapping[str, Any]],
                         *, exclude: int | None = None) -> None:
    """Refuse (409 ``credits_used``) a refund whose lines take more from a credit-pack line
    than its unused credits are worth, counting the refunds paid and promised before."""
    credits = credit_lines(session, order)
    if not credits:
        return
    left = left_by_line(session, order, promised=True, exclude=exclude)
    for item in items:
        credit = credits.get(int(item["order_line_id"]))
        if credit is None:
            continue
        refunded = credit.total - left.get(credit.line_id, 0)
        check_credit_refund(
            int(item["amount"]), title=credit.title, line_total=credit.total,
            refunded=refunded, total_credits=credit.credits, used_credits=credit.used,
            money=money_label(max(0, credit.cap - refunded), order.currency))


def check_credit_total(session: Session, order: Order, amount: int, *,
                       exclude: int | None = None) -> None:
    """Refuse (409 ``credits_used``) a refund of ``amount`` spread over the order's lines that
    is more than what they may give back because credits of a pack are used."""
    credits = [c for c in credit_lines(session, order).values() if c.used]
    if not credits:
        return
    most = sum(refundable_by_line(session, order, promised=True, exclude=exclude).values())
    if amount > most:
        used = ", ".join(f"{c.title}: {c.used} of {c.credits} credits" for c in credits)
        raise DomainError(
            "credits_used",
            f"Used session credits are not refundable ({used} used), so at most "
            f"{money_label(most, order.currency)} can be refunded for this order.",
            field="amount", kind=ErrorKind.CONFLICT)


def email_learner(session: Session, request: RefundRequest, template: str) -> None:
    user = session.get(User, request.user_id)
    order = session.get(Order, request.order_id)
    assert user is not None and order is not None and request.id is not None
    amount = request.approved_amount if request.approved_amount is not None else request.amount
    context = {"user_name": user.full_name,
               "order_number": order_number(order.id or 0, order.created_at),
               "amount": money_label(amount, request.currency),
               "reason": request.decision_reason}
    queue_email(session=session, template=template, to=user.email, context=context,
                dedupe_key=f"{template}:{request.id}")


def locked_request(session: Session, request_id: int) -> RefundRequest | None:
    """The request, locked against other deciders and payers until the commit."""
    return session.exec(for_update(
        session, select(RefundRequest).where(RefundRequest.id == request_id))).first()
