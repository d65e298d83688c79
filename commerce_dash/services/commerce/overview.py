"""Key figures for the admin overview page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from commerce_dash.domain.access import RoleName, can_access
from commerce_dash.domain.actor import Actor, require_section
from commerce_dash.domain.clock import utcnow
from commerce_dash.models.accounts import User, UserRole, UserSession
from commerce_dash.models.audit import AuditLog
from commerce_dash.models.catalog import Course, Department, Program
from commerce_dash.models.commerce import Order, PaymentEvent, RefundRequest
from commerce_dash.outbox import status_counts
from commerce_dash.services.commerce.payment_review import held_count
from commerce_dash.services.commerce.processor_choice import unconfigured_departments
from commerce_dash.services.enrollment import pending_count, queue_scope
from commerce_dash.services.platform import department_parents
from commerce_dash.settings import get_settings


@dataclass(frozen=True)
class Overview:
    # platform-wide counts: None for admins scoped to departments (enrollment and
    # dept-admins), who see only their departments' figures
    users: int | None
    learners: int | None
    active_sessions: int | None
    departments: int
    courses: int
    published_courses: int
    programs: int
    audit_events_24h: int | None
    scope_label: str
    dead_messages: int | None  # only for super-admins, who can repair them
    sales: Sales | None = None  # only for billing and super-admins
    pending_registrations: int | None = None  # enrollment and super-admins, in their scope


@dataclass(frozen=True)
class Sales:
    """The last 24 hours of the shop, in the settlement currency."""

    currency: str
    orders_24h: int
    revenue_24h: int  # minor units, completed orders
    pending_checkouts: int
    under_review: int
    dead_payment_events: int
    refunds_waiting: int = 0  # requested, or failed and waiting for a retry
    # departments that cannot sell: their processor's keys are missing
    cannot_sell: tuple[str, ...] = ()


def sales_figures(*, session: Session, now: datetime) -> Sales:
    since = now - timedelta(days=1)
    completed = session.exec(
        select(func.count(), func.coalesce(func.sum(Order.total), 0)).where(
            Order.status == "completed", col(Order.completed_at) >= since
        )
    ).one()
    pending = session.exec(
        select(func.count()).select_from(Order).where(Order.status == "pending")
    ).one()
    review = held_count(session)
    dead = session.exec(
        select(func.count()).select_from(PaymentEvent).where(PaymentEvent.status == "dead")
    ).one()
    refunds = session.exec(
        select(func.count()).select_from(RefundRequest).where(
            col(RefundRequest.status).in_(("requested", "failed")))
    ).one()
    return Sales(
        currency=get_settings().settlement_currency, orders_24h=int(completed[0]),
        revenue_24h=int(completed[1]), pending_checkouts=int(pending),
        under_review=int(review), dead_payment_events=int(dead),
        refunds_waiting=int(refunds),
        cannot_sell=tuple(unconfigured_departments(session=session)),
    )


def _pending_registrations(session: Session, actor: Actor) -> int | None:
    """Registrations waiting in the admin's queue (its scope follows each department's
    registration_reviewers setting); None for roles without the queue."""
    if not can_access(actor.roles, "registrations"):
        return None
    return pending_count(session=session, departments=queue_scope(session, actor))


def admin_overview(*, session: Session, actor: Actor | None) -> Overview:
    """Counts from the database; department admins see their departments' catalogue."""
    actor = require_section(actor, "overview")
    now = utcnow()
    scope = None
    for role in (RoleName.DEPT_ADMIN, RoleName.ENROLLMENT_ADMIN):
        if role in actor.roles and not actor.is_super_admin:
            granted = (
                actor.departments_for(role, department_parents(session=session)) or frozenset()
            )
            scope = (scope or frozenset()) | granted
    if RoleName.BILLING_ADMIN in actor.roles or actor.is_super_admin:
        scope = None

    def count(query) -> int:  # type: ignore[no-untyped-def]
        return int(session.exec(select(func.count()).select_from(query.subquery())).one())

    def platform(query) -> int | None:  # type: ignore[no-untyped-def]
        """A count over the whole platform, which a department-scoped admin does not see."""
        return None if scope is not None else count(query)

    courses = select(Course.id)
    programs = select(Program.id)
    depts = select(Department.id)
    if scope is not None:
        courses = courses.where(col(Course.department_id).in_(scope))
        programs = programs.where(col(Program.department_id).in_(scope))
        depts = depts.where(col(Department.id).in_(scope))
    return Overview(
        users=platform(select(User.id)),
        learners=platform(select(UserRole.user_id).where(UserRole.role == RoleName.LEARNER)),
        active_sessions=platform(
            select(UserSession.id).where(
                col(UserSession.revoked_at).is_(None), UserSession.expires_at > now
            )
        ),
        departments=count(depts),
        courses=count(courses),
        published_courses=count(courses.where(col(Course.published).is_(True))),
        programs=count(programs),
        audit_events_24h=platform(
            select(AuditLog.id).where(AuditLog.at > now - timedelta(days=1))),
        scope_label="All departments" if scope is None else f"{len(scope)} department(s)",
        dead_messages=status_counts(session=session)["dead"] if actor.is_super_admin else None,
        pending_registrations=_pending_registrations(session, actor),
        sales=sales_figures(session=session, now=now) if scope is None
        and (actor.is_super_admin or RoleName.BILLING_ADMIN in actor.roles) else None,
    )
