"""Ending a learner's place in a course: the registration cancelled, its enrollments ended
(the LMS told through the outbox), and the certificates of those enrollments revoked or
kept. A refund revokes them (the purchase is undone); a subscription whose access ended keeps
what was earned while it was paid for.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from commerce_dash.connectors.webhooks import queue_webhook
from commerce_dash.domain.actor import Actor
from commerce_dash.domain.registrations import EnrollmentStatus, RegistrationStatus
from commerce_dash.models.enrollment import Enrollment, Registration
from commerce_dash.services.enrollment.lms_users import lms_user_id
from commerce_dash.services.enrollment.registration_status import (
    sync_program_registrations,
    transition_enrollment,
    transition_registration,
)
from commerce_dash.services.learning import revoke_for_enrollment
from commerce_dash.settings import get_settings

__all__ = ["end_registration"]


def end_registration(session: Session, registration: Registration, *, why: str,
                     now: datetime, lms_reason: str, revoke_category: str | None,
                     actor: Actor | None = None) -> bool:
    """Cancel ``registration`` and end its enrollments, in the caller's transaction.

    ``revoke_category`` names why certificates of the ended enrollments are revoked
    (``refunded``); None keeps them valid. ``actor``: who ended it (None: the system, as a
    refund does). Returns False when it had already ended.
    """
    if registration.status == RegistrationStatus.CANCELLED.value:
        return False
    why = why[:500]
    if registration.status != RegistrationStatus.REJECTED.value:
        transition_registration(session=session, registration=registration,
                                target=RegistrationStatus.CANCELLED, actor=actor, reason=why)
        registration.updated_at = now
        session.add(registration)
    for enrollment in session.exec(select(Enrollment).where(
            Enrollment.registration_id == registration.id)).all():
        if enrollment.status in (EnrollmentStatus.ACTIVE.value, EnrollmentStatus.PENDING.value):
            transition_enrollment(session=session, enrollment=enrollment,
                                  target=EnrollmentStatus.ENDED, actor=actor, reason=why)
            enrollment.ended_at = enrollment.updated_at = now
            session.add(enrollment)
            _tell_lms(session, registration, enrollment, lms_reason)
        if revoke_category is not None:
            revoke_for_enrollment(session=session, enrollment_id=enrollment.id or 0,
                                  category=revoke_category, reason=why)
    sync_program_registrations(session, [registration.parent_id], after_refund=True)
    return True


def _tell_lms(session: Session, registration: Registration, enrollment: Enrollment,
              reason: str) -> None:
    """An LMS enrollment ends at the LMS too (through the outbox, retried)."""
    settings = get_settings()
    if enrollment.mode != "lms" or not settings.lms_mode:
        return
    queue_webhook(session=session, connector_key_id=settings.lms_connector_key,
                  url=settings.lms_enrollment_url, event="enrollment.cancelled",
                  body={"source": "commerce-platform", "apiKey": settings.lms_connector_key,
                        "payload": {"orderId": str(registration.order_id or ""),
                                    "orderItemId": registration.dedupe_key,
                                    "enrollmentId": enrollment.lms_enrollment_id,
                                    "userId": lms_user_id(session=session,
                                                          user_id=registration.user_id),
                                    "reason": reason}},
                  dedupe_key=f"lms-cancel:{enrollment.id}")
