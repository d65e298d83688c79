"""What a department subscription opens: the published courses of its department (and of
its subdepartments when the plan includes them), while the subscription gives access
(``domain.subscriptions.grants_access``: trialing, active, or past due inside the grace
period). The learner self-enrolls in one of them with one click: a registration with source
"subscription", no order, approval rules as for a purchase. When access ends, those
registrations end; certificates already earned stay valid.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from commerce_dash.domain.actor import Actor
from commerce_dash.domain.errors import DomainError, ErrorKind, not_found
from commerce_dash.domain.registrations import RegistrationStatus, approval_required
from commerce_dash.domain.subscriptions import SubscriptionStatus, grants_access
from commerce_dash.models.catalog import Course
from commerce_dash.models.enrollment import Registration
from commerce_dash.models.subscriptions import Subscription
from commerce_dash.services.enrollment.approval_rules import approval_settings
from commerce_dash.services.enrollment.ownership import owned_courses
from commerce_dash.services.enrollment.registration_emails import email_learner
from commerce_dash.services.enrollment.registration_endings import end_registration
from commerce_dash.services.enrollment.registration_views import QueueRow, one_queue_row
from commerce_dash.services.enrollment.registrations import approve_new
from commerce_dash.services.platform import department_parents

__all__ = [
    "access_subscriptions",
    "covered_departments",
    "end_subscription_access",
    "included_course_ids",
    "self_enroll",
]

_LIVE = (RegistrationStatus.PENDING.value, RegistrationStatus.APPROVED.value,
         RegistrationStatus.ENROLLED.value)
_NOT_ENDED = tuple(s.value for s in SubscriptionStatus if s is not SubscriptionStatus.CANCELLED)


def covered_departments(subscription: Subscription, parents: dict[int, int | None]
                        ) -> set[int]:
    """The department of the plan, plus every department below it when the plan includes
    subdepartments."""
    covered = {subscription.department_id}
    if not subscription.includes_subdepartments:
        return covered
    for dept_id in parents:
        seen: set[int] = set()
        node: int | None = dept_id
        while node is not None and node not in seen:
            if node == subscription.department_id:
                covered.add(dept_id)
                break
            seen.add(node)
            node = parents.get(node)
    return covered


def access_subscriptions(*, session: Session, user_id: int, now: datetime
                         ) -> list[Subscription]:
    """The learner's subscriptions that give access at ``now``."""
    rows = session.exec(select(Subscription).where(
        Subscription.user_id == user_id, col(Subscription.status).in_(_NOT_ENDED))).all()
    return [s for s in rows if grants_access(s.status, now=now, grace_ends=s.grace_ends_at)]


def _courses_by_subscription(session: Session, subscriptions: Iterable[Subscription]
                             ) -> dict[int, Subscription]:
    subscriptions = list(subscriptions)
    if not subscriptions:
        return {}
    parents = department_parents(session=session)
    by_dept: dict[int, Subscription] = {}
    for sub in subscriptions:
        for dept_id in covered_departments(sub, parents):
            by_dept.setdefault(dept_id, sub)
    rows = session.exec(select(Course.id, Course.department_id).where(
        col(Course.published).is_(True), col(Course.department_id).in_(by_dept))).all()
    return {course_id: by_dept[dept_id] for course_id, dept_id in rows if course_id is not None}


def included_course_ids(*, session: Session, user_id: int | None, now: datetime) -> set[int]:
    """Published courses the learner's subscriptions include at ``now`` (the storefront shows
    "Included in your subscription" for them; the cart will not sell them)."""
    if user_id is None:
        return set()
    subs = access_subscriptions(session=session, user_id=user_id, now=now)
    return set(_courses_by_subscription(session, subs))


def self_enroll(*, session: Session, actor: Actor, course_id: int, now: datetime) -> QueueRow:
    """One click: a registration from the learner's subscription for ``course_id``.

    Refused (403 ``subscription_required``) when no subscription of the learner includes the
    course now; a course the learner already holds answers with its registration. Approval
    rules apply: the registration is enrolled at once or waits in the queue. Commits.
    """
    course = session.get(Course, course_id)
    if course is None or not course.published:
        raise not_found("course", course_id)
    subs = access_subscriptions(session=session, user_id=actor.user_id, now=now)
    subscription = _courses_by_subscription(session, subs).get(course_id)
    if subscription is None or subscription.id is None:
        raise DomainError("subscription_required",
                          f"{course.title} is not included in a subscription you have.",
                          kind=ErrorKind.FORBIDDEN)
    held = session.exec(select(Registration).where(
        Registration.user_id == actor.user_id, Registration.course_id == course_id,
        Registration.kind == "course", col(Registration.status).in_(_LIVE))).first()
    if held is not None and held.id is not None:
        return one_queue_row(session, held.id)
    if course_id in owned_courses(session=session, user_id=actor.user_id):
        raise DomainError("already_owned", f"You already have {course.title}.",
                          kind=ErrorKind.CONFLICT)
    tries = session.exec(select(func.count()).select_from(Registration).where(
        Registration.subscription_id == subscription.id,
        Registration.course_id == course_id)).one()
    settings_by_dept, parents = approval_settings(session)
    registration = Registration(
        dedupe_key=f"sub:{subscription.id}:{course_id}:{tries}", user_id=actor.user_id,
        kind="course", course_id=course_id, department_id=course.department_id,
        source="subscription", subscription_id=subscription.id, amount_paid=0,
        currency=subscription.currency,
        approval_required=approval_required(course.approval_required, course.department_id,
                                            settings_by_dept, parents),
        status=RegistrationStatus.PENDING.value, created_at=now, updated_at=now,
    )
    session.add(registration)
    try:
        session.flush()
    except IntegrityError:  # the same click twice at once: the first one made it
        session.rollback()
        return self_enroll(session=session, actor=actor, course_id=course_id, now=now)
    if registration.approval_required:
        email_learner(session, registration, "registration-pending")
    else:
        approve_new(session, registration, note="enrolled with a subscription")
    session.commit()
    assert registration.id is not None
    return one_queue_row(session, registration.id)


def end_subscription_access(*, session: Session, subscription_id: int, now: datetime,
                            why: str) -> int:
    """End every live registration made with the subscription (caller's transaction);
    certificates already earned stay valid. Returns how many ended."""
    ended = 0
    for registration in session.exec(select(Registration).where(
            Registration.subscription_id == subscription_id,
            col(Registration.status).in_(_LIVE))).all():
        ended += end_registration(session, registration, why=why, now=now,
                                  lms_reason="subscription_ended", revoke_category=None)
    return ended
