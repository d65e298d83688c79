"""Reading subscriptions: a department's plans to choose from, the learner's subscriptions,
the admin list (filtered, scoped to the admin's departments) and one subscription's detail
with its invoices and the timeline of what happened to it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from commerce_dash.domain.access import RoleName
from commerce_dash.domain.actor import Actor, require_section
from commerce_dash.domain.errors import not_found
from commerce_dash.domain.orders import order_number
from commerce_dash.domain.paging import Page, PageRequest
from commerce_dash.domain.pricing import ItemType
from commerce_dash.domain.subscriptions import (
    SubscriptionStatus,
    grants_access,
    subscription_number,
)
from commerce_dash.models.accounts import User
from commerce_dash.models.audit import AuditLog
from commerce_dash.models.catalog import Department
from commerce_dash.models.commerce import Order
from commerce_dash.models.pricing import Price
from commerce_dash.models.subscriptions import Subscription, SubscriptionInvoice
from commerce_dash.services.catalog import in_force_clause
from commerce_dash.services.commerce.subscription_actions import SECTION, subscription_for
from commerce_dash.services.commerce.subscription_clock import billing_now
from commerce_dash.services.commerce.subscription_invoices import terms_of
from commerce_dash.services.platform import department_parents, page_of_query

__all__ = [
    "InvoiceView",
    "PlanOption",
    "SubscriptionView",
    "HistoryEntry",
    "department_plans",
    "get_subscription",
    "list_my_subscriptions",
    "list_subscriptions",
]

_INTERVAL_ORDER = {"monthly": 0, "quarterly": 1, "annual": 2}


@dataclass(frozen=True)
class PlanOption:
    price_id: int
    department_id: int
    department_code: str
    department_name: str
    interval: str
    amount: int
    currency: str
    trial_days: int
    includes_subdepartments: bool


def department_plans(*, session: Session, department_code: str, at: datetime | None = None
                     ) -> list[PlanOption]:
    """The plans of a department in force now, monthly first."""
    dept = session.exec(select(Department).where(
        Department.code == department_code.strip().upper())).first()
    if dept is None or dept.id is None:
        raise not_found("department", department_code)
    at = at or billing_now(session)
    prices = session.exec(select(Price).where(
        Price.item_type == ItemType.SUBSCRIPTION.value, Price.item_id == dept.id,
        in_force_clause(at), Price.amount > 0)).all()
    return sorted(
        (PlanOption(p.id or 0, dept.id, dept.code, dept.name, p.interval, p.amount, p.currency,
                    p.trial_days, p.includes_subdepartments) for p in prices),
        key=lambda p: (_INTERVAL_ORDER.get(p.interval, 9), p.currency))


@dataclass(frozen=True)
class InvoiceView:
    id: int
    processor_invoice_id: str
    billing_reason: str
    status: str
    amount: int  # paid, or due when unpaid
    currency: str
    period_start: datetime | None
    period_end: datetime | None
    paid_at: datetime | None
    failure_message: str
    order_number: str  # the receipt, when paid


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    action: str
    actor: str
    detail: str


@dataclass(frozen=True)
class SubscriptionView:
    id: int
    number: str
    user_id: int
    learner_email: str
    learner_name: str
    department_id: int
    department_code: str
    department_name: str
    price_id: int
    interval: str
    status: str
    currency: str
    unit_amount: int
    renewal_total: int
    discount_code: str
    discount_duration: str
    trial_ends_at: datetime | None
    current_period_start: datetime | None
    current_period_end: datetime | None
    next_charge_at: datetime | None  # None: nothing will be charged (paused, ending)
    next_charge_amount: int
    cancel_at_period_end: bool
    cancelled_at: datetime | None
    paused_at: datetime | None
    grace_ends_at: datetime | None
    next_retry_at: datetime | None
    has_access: bool
    card: str
    processor: str
    client_secret: str
    pending_interval: str
    includes_subdepartments: bool
    created_at: datetime
    invoices: tuple[InvoiceView, ...] = ()
    timeline: tuple[HistoryEntry, ...] = ()


def _view(session: Session, sub: Subscription, now: datetime, *, detail: bool = False,
          names: dict[int, tuple[str, str]] | None = None,
          users: dict[int, tuple[str, str]] | None = None) -> SubscriptionView:
    assert sub.id is not None
    if names is None or sub.department_id not in names:
        dept = session.get(Department, sub.department_id)
        names = {sub.department_id: (dept.code, dept.name) if dept else ("", "")}
    if users is None or sub.user_id not in users:
        user = session.get(User, sub.user_id)
        users = {sub.user_id: (user.email, user.full_name) if user else ("", "")}
    code, name = names[sub.department_id]
    email, full_name = users[sub.user_id]
    terms = terms_of(sub)
    pending = session.get(Price, sub.pending_price_id) if sub.pending_price_id else None
    charging = sub.status in (SubscriptionStatus.ACTIVE.value, SubscriptionStatus.TRIALING.value,
                              SubscriptionStatus.PAST_DUE.value) and not sub.cancel_at_period_end
    first_due = sub.status == SubscriptionStatus.TRIALING.value
    next_amount = terms.first().total if first_due else terms.renewal().total
    if pending is not None:
        next_amount = pending.amount + sub.tax_amount * pending.amount // sub.unit_amount
    return SubscriptionView(
        id=sub.id, number=subscription_number(sub.id), user_id=sub.user_id,
        learner_email=email, learner_name=full_name, department_id=sub.department_id,
        department_code=code, department_name=name, price_id=sub.price_id,
        interval=sub.interval, status=sub.status, currency=sub.currency,
        unit_amount=sub.unit_amount, renewal_total=terms.renewal().total,
        discount_code=sub.discount_code, discount_duration=sub.discount_duration,
        trial_ends_at=sub.trial_ends_at, current_period_start=sub.current_period_start,
        current_period_end=sub.current_period_end,
        next_charge_at=(sub.next_retry_at if sub.status == SubscriptionStatus.PAST_DUE.value
                        else sub.current_period_end) if charging else None,
        next_charge_amount=next_amount if charging else 0,
        cancel_at_period_end=sub.cancel_at_period_end, cancelled_at=sub.cancelled_at,
        paused_at=sub.paused_at, grace_ends_at=sub.grace_ends_at,
        next_retry_at=sub.next_retry_at,
        has_access=grants_access(sub.status, now=now, grace_ends=sub.grace_ends_at),
        card=f"{sub.card_brand} •••• {sub.card_last4}".strip() if sub.card_last4 else "",
        processor=sub.processor, client_secret=sub.client_secret,
        pending_interval=pending.interval if pending else "",
        includes_subdepartments=sub.includes_subdepartments, created_at=sub.created_at,
        invoices=_invoices(session, sub.id) if detail else (),
        timeline=_timeline(session, sub.id) if detail else (),
    )


def _invoices(session: Session, sub_id: int) -> tuple[InvoiceView, ...]:
    rows = session.exec(select(SubscriptionInvoice).where(
        SubscriptionInvoice.subscription_id == sub_id)
        .order_by(col(SubscriptionInvoice.created_at).desc(),
                  col(SubscriptionInvoice.id).desc())).all()
    orders = {o.id: o for o in session.exec(select(Order).where(
        col(Order.id).in_([r.order_id for r in rows if r.order_id] or [0]))).all()}
    return tuple(
        InvoiceView(
            id=r.id or 0, processor_invoice_id=r.processor_invoice_id,
            billing_reason=r.billing_reason, status=r.status,
            amount=r.amount_paid if r.status == "paid" else r.amount_due, currency=r.currency,
            period_start=r.period_start, period_end=r.period_end, paid_at=r.paid_at,
            failure_message=r.failure_message,
            order_number=(order_number(o.id or 0, o.created_at)
                          if (o := orders.get(r.order_id)) is not None else ""),
        )
        for r in rows
    )


def _timeline(session: Session, sub_id: int) -> tuple[HistoryEntry, ...]:
    rows = session.exec(select(AuditLog).where(
        AuditLog.entity_type == "subscription", AuditLog.entity_id == str(sub_id))
        .order_by(col(AuditLog.at).desc(), col(AuditLog.id).desc()).limit(200)).all()
    return tuple(HistoryEntry(r.at, r.action, r.actor_email or "system",
                               r.reason or "") for r in rows)


def list_my_subscriptions(*, session: Session, actor: Actor | None) -> list[SubscriptionView]:
    """The signed-in learner's subscriptions, newest first, with their invoices."""
    if actor is None:
        return []
    now = billing_now(session)
    rows = session.exec(select(Subscription).where(Subscription.user_id == actor.user_id)
                        .order_by(col(Subscription.created_at).desc())).all()
    return [_view(session, s, now, detail=True) for s in rows]


def get_subscription(*, session: Session, actor: Actor | None, ref: str | int
                     ) -> SubscriptionView:
    """One subscription with its invoices and timeline (its learner or an admin over it)."""
    sub = subscription_for(session, actor, ref)
    return _view(session, sub, billing_now(session), detail=True)


def list_subscriptions(*, session: Session, actor: Actor | None, page: PageRequest,
                       department_id: int | None = None, interval: str = "",
                       status: str = "", query: str = "") -> Page[SubscriptionView]:
    """Subscriptions for admins, newest first: billing admins see all, department admins
    their departments'."""
    actor = require_section(actor, SECTION)
    stmt = select(Subscription)
    scope = (None if actor.has_role(RoleName.BILLING_ADMIN) else
             actor.departments_for(RoleName.DEPT_ADMIN, department_parents(session=session)))
    if scope is not None:
        stmt = stmt.where(col(Subscription.department_id).in_(scope or {0}))
    if department_id is not None:
        stmt = stmt.where(Subscription.department_id == department_id)
    if interval:
        stmt = stmt.where(Subscription.interval == interval)
    if status:
        stmt = stmt.where(Subscription.status == status)
    if query.strip():
        ids = select(User.id).where(col(User.email).ilike(f"%{query.strip()}%"))
        stmt = stmt.where(col(Subscription.user_id).in_(ids))
    found = page_of_query(session, stmt, page, col(Subscription.created_at).desc(),
                          col(Subscription.id).desc())
    now = billing_now(session)
    names = {d.id or 0: (d.code, d.name) for d in session.exec(select(Department)).all()}
    user_ids = {s.user_id for s in found.items}
    users = {u.id or 0: (u.email, u.full_name) for u in session.exec(
        select(User).where(col(User.id).in_(user_ids or {0}))).all()}
    return Page([_view(session, s, now, names=names, users=users) for s in found.items],
                found.total, found.page, found.page_size)
