"""A learner's personal data: a copy of everything the shop keeps about them, and deleting
their account.

The export spans commerce (orders with their lines and payments, refund requests,
subscriptions and their invoices), enrollment (registrations, enrollments, bookings,
session credits) and learning (progress, certificates), so it lives here, at the top of the
service areas. Secrets are never exported (password hash, two-factor secret, payment client
secrets, token and request hashes).

Deleting an account (``delete_account``) anonymises it and keeps what accounting needs:

- name -> "Deleted account", email -> ``deleted-<id>@invalid``, password hash cleared, the
  account deactivated, every session revoked, two-factor sign-in and its recovery codes
  removed, unused account tokens and the sign-in throttle of the old email deleted;
- open carts (with their saved billing address) deleted;
- live registrations (pending, approved, enrolled) ended through the enrollment area's
  guarded path (``end_registration``: audited moves, the LMS told), certificates kept;
  upcoming bookings cancelled through ``cancel_booking`` (the seat goes to the waitlist);
- orders, their billing address (tax evidence), payments, invoices, the ledger and the
  audit log are kept: they are records the business must keep, tied to the account's id;
- certificates stay valid for whoever holds the paper, but their recipient name is replaced
  and the public verification page says "held by a deleted account".

Refused (nothing changes) while a payment of the learner is being made (an order still
open for payment, or a payment the processor is still working on or waiting for 3-D Secure
on): deleting then would leave money moving for an account that no longer exists. Refused
too while a subscription still renews: it would keep charging a deleted account, so the
learner cancels it first (one that ends at the period's end is fine). An account with an
admin role is refused as well (its roles are removed by a super-admin first, so the shop
never loses its last admin this way). Deleting twice is harmless: the second call changes
nothing.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, update
from sqlmodel import Session, SQLModel, col, select

from commerce_dash.db import for_update
from commerce_dash.domain.access import is_admin
from commerce_dash.domain.actor import Actor
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.errors import DomainError, ErrorKind, not_found
from commerce_dash.domain.orders import OrderStatus, PaymentStatus, order_number
from commerce_dash.domain.registrations import RegistrationStatus
from commerce_dash.models.accounts import (
    AccountToken,
    LoginThrottle,
    RecoveryCode,
    User,
    UserRole,
)
from commerce_dash.models.certificates import Certificate, ModuleProgress
from commerce_dash.models.commerce import Cart, CartLine, Order, OrderLine, Payment, RefundRequest
from commerce_dash.models.enrollment import Enrollment, Registration
from commerce_dash.models.sessions import Booking, SessionCredit, StepProgress, WaitlistEntry
from commerce_dash.models.subscriptions import Subscription, SubscriptionInvoice
from commerce_dash.services.enrollment import cancel_booking, end_registration, leave_waitlist
from commerce_dash.services.platform import record_audit, sign_out_others, verify_password

DELETED_NAME = "Deleted account"
# never copied out: secrets and internal keys
_SECRET_FIELDS = frozenset(
    {
        "password_hash",
        "totp_secret",
        "totp_last_step",
        "client_secret",
        "token_hash",
        "code_hash",
        "request_hash",
        "processor_response",
    }
)
_LIVE_REGISTRATIONS = (
    RegistrationStatus.PENDING.value,
    RegistrationStatus.APPROVED.value,
    RegistrationStatus.ENROLLED.value,
)
_MOVING_PAYMENTS = (PaymentStatus.PROCESSING.value, PaymentStatus.REQUIRES_ACTION.value)


def deleted_email(user_id: int) -> str:
    return f"deleted-{user_id}@invalid"


# -- export ----------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return None
    return value


def _number(order: Order) -> str:
    return order_number(order.id or 0, order.created_at)


def _row(row: SQLModel, **extra: Any) -> dict[str, Any]:
    data = {k: _plain(v) for k, v in row.model_dump().items() if k not in _SECRET_FIELDS}
    return {**data, **extra}


def _rows(session: Session, model: type[SQLModel], column: Any, value: Any) -> list[Any]:
    query = select(model).where(column == value)
    return list(session.exec(query.order_by(col(model.id))).all())  # type: ignore[attr-defined]


def export_personal_data(*, session: Session, user_id: int) -> dict[str, Any]:
    """Everything kept about the learner, as plain JSON-ready data (reads only)."""
    user = session.get(User, user_id)
    if user is None:
        raise not_found("user", user_id)
    orders = []
    for order in _rows(session, Order, Order.user_id, user_id):
        lines = _rows(session, OrderLine, OrderLine.order_id, order.id)
        payments = _rows(session, Payment, Payment.order_id, order.id)
        orders.append(
            _row(
                order,
                number=_number(order),
                lines=[_row(x) for x in lines],
                payments=[_row(p) for p in payments],
            )
        )
    enrollments = _rows(session, Enrollment, Enrollment.user_id, user_id)
    enrollment_ids = [e.id for e in enrollments]
    progress = (
        list(
            session.exec(
                select(ModuleProgress)
                .where(col(ModuleProgress.enrollment_id).in_(enrollment_ids))
                .order_by(col(ModuleProgress.id))
            ).all()
        )
        if enrollment_ids
        else []
    )
    subscriptions = []
    for sub in _rows(session, Subscription, Subscription.user_id, user_id):
        invoices = _rows(session, SubscriptionInvoice, SubscriptionInvoice.subscription_id, sub.id)
        subscriptions.append(_row(sub, invoices=[_row(i) for i in invoices]))
    roles = session.exec(select(UserRole.role).where(UserRole.user_id == user_id)).all()
    return {
        "exportedAt": utcnow().isoformat(),
        "profile": {
            "id": user.id,
            "email": user.email,
            "fullName": user.full_name,
            "createdAt": _plain(user.created_at),
            "lastLoginAt": _plain(user.last_login_at),
            "emailVerifiedAt": _plain(user.email_verified_at),
            "twoFactorOn": user.totp_enabled_at is not None,
            "roles": sorted(set(roles)),
            "deletedAt": _plain(user.deleted_at),
        },
        "orders": orders,
        "refundRequests": [
            _row(r) for r in _rows(session, RefundRequest, RefundRequest.user_id, user_id)
        ],
        "registrations": [
            _row(r) for r in _rows(session, Registration, Registration.user_id, user_id)
        ],
        "enrollments": [_row(e) for e in enrollments],
        "progress": {
            "modules": [_row(p) for p in progress],
            "steps": [_row(s) for s in _rows(session, StepProgress, StepProgress.user_id, user_id)],
        },
        "certificates": [
            _row(c) for c in _rows(session, Certificate, Certificate.user_id, user_id)
        ],
        "subscriptions": subscriptions,
        "bookings": [_row(b) for b in _rows(session, Booking, Booking.user_id, user_id)],
        "sessionCredits": [
            _row(c) for c in _rows(session, SessionCredit, SessionCredit.user_id, user_id)
        ],
    }


def export_filename(user_id: int) -> str:
    return f"my-data-{user_id}-{utcnow():%Y%m%d}.json"


# -- deletion --------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeletionOutcome:
    already_deleted: bool
    registrations_ended: int = 0
    bookings_cancelled: int = 0
    carts_deleted: int = 0
    sessions_revoked: int = 0


def deletion_blockers(*, session: Session, user_id: int) -> list[DomainError]:
    """Why the account cannot be deleted now (empty: it can)."""
    now = utcnow()
    problems: list[DomainError] = []
    moving = session.exec(
        select(Order)
        .join(Payment, col(Payment.order_id) == Order.id, isouter=True)
        .where(
            Order.user_id == user_id,
            Order.status == OrderStatus.PENDING.value,
            col(Payment.status).in_(_MOVING_PAYMENTS) | (Order.prices_locked_until > now),
        )
        .order_by(col(Order.id))
    ).first()
    if moving is not None:
        problems.append(
            DomainError(
                "deletion_payment_in_flight",
                f"A payment of order {_number(moving)} is still being made. Finish or "
                "abandon it and try again once it has settled (at the latest when its prices "
                "lapse).",
                kind=ErrorKind.CONFLICT,
            )
        )
    renewing = session.exec(
        select(Subscription).where(
            Subscription.user_id == user_id,
            col(Subscription.live_key).is_not(None),
            (col(Subscription.cancel_at_period_end).is_(False))
            | (Subscription.status == "incomplete"),
        )
    ).first()
    if renewing is not None:
        problems.append(
            DomainError(
                "deletion_subscription_live",
                "Your subscription still renews. Cancel it on the My subscriptions page first, "
                "then delete your account.",
                kind=ErrorKind.CONFLICT,
            )
        )
    return problems


def _check_request(session: Session, user: User, confirm_email: str, password: str) -> None:
    if " ".join(confirm_email.split()).lower() != user.email.lower():
        raise DomainError(
            "deletion_email_mismatch",
            "Type the email of your account exactly to confirm the deletion.",
            field="confirm_email",
        )
    if user.password_hash and not verify_password(user.password_hash, password):
        raise DomainError("wrong_password", "The password is incorrect.", field="password")
    roles = session.exec(select(UserRole.role).where(UserRole.user_id == user.id)).all()
    if is_admin(roles):
        raise DomainError(
            "deletion_admin_account",
            "This account has an admin role; ask a super-admin to remove it first.",
            kind=ErrorKind.CONFLICT,
        )
    problems = deletion_blockers(session=session, user_id=user.id or 0)
    if problems:
        raise problems[0]


def _cancel_upcoming_bookings(session: Session, actor: Actor) -> int:
    """Upcoming bookings end through the bookings' own path (seat freed, waitlist moved);
    each commits."""
    ids = session.exec(
        select(Booking.id).where(
            Booking.user_id == actor.user_id,
            Booking.status == "booked",
            Booking.starts_at > utcnow(),
        )
    ).all()
    done = 0
    for booking_id in ids:
        try:
            cancel_booking(session, actor=actor, booking_id=booking_id or 0)
            done += 1
        except DomainError:
            session.rollback()  # one that cannot be cancelled any more stays as it is
    return done


def _leave_waitlists(session: Session, actor: Actor) -> None:
    """Every place the learner holds on a waitlist is given up through the waitlist's own
    path (an offer held passes to the next in line), in the deletion's transaction."""
    ids = session.exec(
        select(WaitlistEntry.id).where(
            WaitlistEntry.user_id == actor.user_id,
            col(WaitlistEntry.status).in_(("waiting", "offered")),
        )
    ).all()
    for entry_id in ids:
        leave_waitlist(session, actor=actor, entry_id=entry_id or 0)


def _end_registrations(session: Session, user_id: int) -> int:
    now = utcnow()
    rows = session.exec(
        select(Registration)
        .where(Registration.user_id == user_id, col(Registration.status).in_(_LIVE_REGISTRATIONS))
        # a program's courses before the program: the program follows its courses
        .order_by(col(Registration.parent_id).is_(None), col(Registration.id))
    ).all()
    ended = 0
    for registration in rows:
        if registration.status in _LIVE_REGISTRATIONS and end_registration(
            session,
            registration,
            why="The learner deleted their account.",
            now=now,
            lms_reason="account_deleted",
            revoke_category=None,
        ):
            ended += 1
    return ended


def _delete_carts(session: Session, user_id: int) -> int:
    ids = list(session.exec(select(Cart.id).where(Cart.user_id == user_id)).all())
    if ids:
        session.execute(delete(CartLine).where(col(CartLine.cart_id).in_(ids)))
        session.execute(delete(Cart).where(col(Cart.id).in_(ids)))
    return len(ids)


def _anonymise(session: Session, user: User, now: datetime) -> int:
    user_id = user.id or 0
    old_email = user.email
    user.full_name, user.email = DELETED_NAME, deleted_email(user_id)
    user.password_hash, user.is_active = "", False
    user.totp_secret, user.totp_enabled_at, user.totp_last_step = "", None, 0
    user.deleted_at = user.updated_at = now
    session.add(user)
    session.execute(delete(RecoveryCode).where(col(RecoveryCode.user_id) == user_id))
    session.execute(delete(AccountToken).where(col(AccountToken.user_id) == user_id))
    session.execute(
        delete(LoginThrottle).where(col(LoginThrottle.account_key) == old_email.lower())
    )
    session.execute(
        update(Certificate)
        .where(col(Certificate.user_id) == user_id)
        .values(recipient_name=DELETED_NAME, updated_at=now)
    )
    return sign_out_others(session=session, user_id=user_id)


def delete_account(
    *, session: Session, actor: Actor, confirm_email: str, password: str
) -> DeletionOutcome:
    """Delete the signed-in learner's account (see the module's note). Commits.

    ``confirm_email`` must be the account's email and ``password`` its password (checked
    here: call this off the event loop). A deleted account answers ``already_deleted``.
    """
    user = session.exec(
        for_update(session, select(User).where(User.id == actor.user_id))
    ).one_or_none()
    if user is None or user.deleted_at is not None:
        session.rollback()
        return DeletionOutcome(already_deleted=True)
    _check_request(session, user, confirm_email, password)
    bookings = _cancel_upcoming_bookings(session, actor)
    # the bookings committed: take the account again and check nothing started meanwhile
    user = session.exec(for_update(session, select(User).where(User.id == actor.user_id))).one()
    if user.deleted_at is not None:
        session.rollback()
        return DeletionOutcome(already_deleted=True, bookings_cancelled=bookings)
    problems = deletion_blockers(session=session, user_id=actor.user_id)
    if problems:
        session.rollback()
        raise problems[0]
    now = utcnow()
    registrations = _end_registrations(session, actor.user_id)
    _leave_waitlists(session, actor)
    carts = _delete_carts(session, actor.user_id)
    sessions = _anonymise(session, user, now)
    outcome = DeletionOutcome(False, registrations, bookings, carts, sessions)
    # the audit row names the account by its id and anonymised email only
    record_audit(
        session=session,
        actor=dataclasses.replace(actor, email=user.email, full_name=DELETED_NAME),
        action="user.account_deleted",
        entity_type="user",
        entity_id=actor.user_id,
        after={
            "registrations_ended": registrations,
            "bookings_cancelled": bookings,
            "carts_deleted": carts,
            "sessions_revoked": sessions,
        },
        reason="Deleted by the learner",
    )
    session.commit()
    return outcome
