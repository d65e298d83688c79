"""The only writers of a registration's and an enrollment's ``status`` (issue 15: one
guarded transition per entity), and the one sync of a program registration's status.

``transition_registration`` and ``transition_enrollment`` check the state machines of
``domain/registrations.py``, write the audit row and return the entity, in the caller's
transaction (through ``platform/transitions.guarded_move``). Moving to the state the entity
is already in returns it unchanged (no second audit row); a move the table refuses is a DomainError (409) naming both states.

A program registration has no moves of its own: its status follows its courses'
(``sync_program_registrations``), audited when it changes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlmodel import Session, select

from commerce_dash.domain.actor import Actor
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.registrations import (
    EnrollmentStatus,
    RegistrationStatus,
    require_enrollment_move,
    require_registration_move,
)
from commerce_dash.models.enrollment import Enrollment, Registration
from commerce_dash.services.platform import guarded_move, record_audit

__all__ = [
    "new_enrollment",
    "sync_program_registrations",
    "transition_enrollment",
    "transition_registration",
]


def transition_registration(
    *, session: Session, registration: Registration, target: RegistrationStatus | str,
    actor: Actor | None = None, action: str = "", reason: str = "",
    before: dict[str, Any] | None = None, after: dict[str, Any] | None = None,
) -> Registration:
    """Move ``registration`` to ``target`` (checked, audited); already there: unchanged.

    ``action``, ``before`` and ``after`` name the audit row (default
    ``registration.<target>`` and the two statuses).
    """
    return guarded_move(session=session, entity=registration,
                        goal=RegistrationStatus(target).value,
                        require_move=require_registration_move, entity_type="registration",
                        actor=actor, action=action, reason=reason, before=before, after=after)


def transition_enrollment(
    *, session: Session, enrollment: Enrollment, target: EnrollmentStatus | str,
    actor: Actor | None = None, action: str = "", reason: str = "",
    before: dict[str, Any] | None = None, after: dict[str, Any] | None = None,
) -> Enrollment:
    """Move ``enrollment`` to ``target`` (checked, audited); already there: unchanged."""
    return guarded_move(session=session, entity=enrollment,
                        goal=EnrollmentStatus(target).value,
                        require_move=require_enrollment_move, entity_type="enrollment",
                        actor=actor, action=action, reason=reason, before=before, after=after)


def new_enrollment(*, session: Session, registration: Registration, mode: str,
                   status: EnrollmentStatus, **fields: Any) -> Enrollment:
    """The enrollment of an approved course registration, in its first state (pending at the
    LMS, or active at once in local mode)."""
    if status not in (EnrollmentStatus.PENDING, EnrollmentStatus.ACTIVE):
        raise ValueError(f"An enrollment starts pending or active, not {status}")
    assert registration.course_id is not None and registration.id is not None
    enrollment = Enrollment(
        user_id=registration.user_id, course_id=registration.course_id,
        registration_id=registration.id, source="registration", mode=mode,
        status=status.value, **fields,
    )
    session.add(enrollment)
    return enrollment


def _program_status(statuses: set[str], current: str, *, after_refund: bool) -> str:
    if after_refund:  # a refund cancels the program once none of its courses is kept
        if statuses <= {RegistrationStatus.CANCELLED.value, RegistrationStatus.REJECTED.value}:
            return RegistrationStatus.CANCELLED.value
        return current
    if statuses == {RegistrationStatus.ENROLLED.value}:
        return RegistrationStatus.ENROLLED.value
    if RegistrationStatus.PENDING.value in statuses:
        return RegistrationStatus.PENDING.value
    if statuses <= {RegistrationStatus.REJECTED.value, RegistrationStatus.CANCELLED.value}:
        return RegistrationStatus.REJECTED.value
    return RegistrationStatus.APPROVED.value


def sync_program_registrations(session: Session, parent_ids: Iterable[int | None], *,
                               after_refund: bool = False) -> None:
    """A program registration follows its courses: enrolled when all are, pending while one
    is, rejected when none was given, else approved; after a refund, cancelled once none of
    its courses is kept. Audited when it changes; the caller commits."""
    for parent_id in {p for p in parent_ids if p is not None}:
        parent = session.get(Registration, parent_id)
        if parent is None:
            continue
        statuses = set(session.exec(
            select(Registration.status).where(Registration.parent_id == parent_id)
        ).all())
        current = parent.status
        goal = _program_status(statuses, current, after_refund=after_refund)
        now = utcnow()
        if goal != current:
            parent.status = goal
            record_audit(session=session, actor=None, action="registration.program_synced",
                         entity_type="registration", entity_id=parent.id,
                         before={"status": current}, after={"status": goal})
        if goal != current or not after_refund:
            parent.updated_at = now
            session.add(parent)
