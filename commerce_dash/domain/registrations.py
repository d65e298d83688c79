"""Registrations and enrollments: their state machines and the approval rule.

Registration (spec 001 "Registration State Machine"):
    pending -> approved | rejected | cancelled;  approved -> enrolled | rejected (the LMS
    refused it) | cancelled.
Enrollment: pending (waiting for the LMS) -> active | rejected; active -> ended.

Approval: a course's own ``approval_required`` wins; unset, its department decides, and an
unset department inherits from its parent; a root department left unset needs no approval.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from commerce_dash.domain.errors import DomainError, ErrorKind

__all__ = [
    "MIN_REJECTION_REASON",
    "EnrollmentStatus",
    "RegistrationStatus",
    "approval_required",
    "can_move_enrollment",
    "can_move_registration",
    "check_rejection_reason",
    "require_enrollment_move",
    "require_registration_move",
]

MIN_REJECTION_REASON = 10


class RegistrationStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    ENROLLED = "enrolled"


class EnrollmentStatus(StrEnum):
    PENDING = "pending"  # requested from the LMS, no answer yet
    ACTIVE = "active"
    REJECTED = "rejected"  # the LMS refused it
    ENDED = "ended"  # cancelled after a refund


_REGISTRATION_MOVES: dict[RegistrationStatus, frozenset[RegistrationStatus]] = {
    RegistrationStatus.PENDING: frozenset(
        {RegistrationStatus.APPROVED, RegistrationStatus.REJECTED, RegistrationStatus.CANCELLED}
    ),
    # approved and waiting for the LMS, which may refuse the enrollment (then rejected)
    RegistrationStatus.APPROVED: frozenset(
        {RegistrationStatus.ENROLLED, RegistrationStatus.REJECTED, RegistrationStatus.CANCELLED}
    ),
    RegistrationStatus.ENROLLED: frozenset({RegistrationStatus.CANCELLED}),
    RegistrationStatus.REJECTED: frozenset(),
    RegistrationStatus.CANCELLED: frozenset(),
}

_ENROLLMENT_MOVES: dict[EnrollmentStatus, frozenset[EnrollmentStatus]] = {
    EnrollmentStatus.PENDING: frozenset(
        {EnrollmentStatus.ACTIVE, EnrollmentStatus.REJECTED, EnrollmentStatus.ENDED}
    ),
    EnrollmentStatus.ACTIVE: frozenset({EnrollmentStatus.ENDED}),
    EnrollmentStatus.REJECTED: frozenset(),
    EnrollmentStatus.ENDED: frozenset(),
}


def can_move_registration(current: str, target: str) -> bool:
    return RegistrationStatus(target) in _REGISTRATION_MOVES[RegistrationStatus(current)]


def can_move_enrollment(current: str, target: str) -> bool:
    return EnrollmentStatus(target) in _ENROLLMENT_MOVES[EnrollmentStatus(current)]


def require_registration_move(current: str, target: str) -> None:
    """Refuse a move the state machine does not allow, with a message for the reviewer."""
    if not can_move_registration(current, target):
        raise DomainError(
            "registration_already_decided",
            f"This registration is {current}; it can't become {target}.",
            kind=ErrorKind.CONFLICT,
        )


def require_enrollment_move(current: str, target: str) -> None:
    """Refuse an enrollment move the state machine does not allow, naming both states."""
    if not can_move_enrollment(current, target):
        raise DomainError(
            "invalid_enrollment_move",
            f"This enrollment is {current}; it can't become {target}.",
            kind=ErrorKind.CONFLICT,
        )


def check_rejection_reason(reason: str) -> str:
    """A rejection needs a reason of at least 10 characters (it is sent to the learner)."""
    cleaned = " ".join(reason.split())
    if len(cleaned) < MIN_REJECTION_REASON:
        raise DomainError(
            "reason_too_short",
            f"Give the learner a reason of at least {MIN_REJECTION_REASON} characters.",
            field="reason",
        )
    if len(cleaned) > 1000:
        raise DomainError("reason_too_long", "Keep the reason under 1,000 characters.",
                          field="reason")
    return cleaned


def approval_required(
    course_setting: bool | None,
    department_id: int,
    department_settings: Mapping[int, bool | None],
    parent_of: Mapping[int, int | None],
) -> bool:
    """Whether a registration for the course waits for an admin (see the module docstring)."""
    if course_setting is not None:
        return course_setting
    seen: set[int] = set()
    current: int | None = department_id
    while current is not None and current not in seen:
        seen.add(current)
        setting = department_settings.get(current)
        if setting is not None:
            return setting
        current = parent_of.get(current)
    return False
