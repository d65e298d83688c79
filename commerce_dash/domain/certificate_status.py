"""What the public verification page says about a certificate, and why one is revoked."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from commerce_dash.domain.errors import DomainError, ErrorKind


class CertificateStatus(StrEnum):
    ACTIVE = "active"
    REVOKED = "revoked"


# An issued certificate can be revoked; a revoked one stays revoked (a new one is issued).
_CERTIFICATE_MOVES: dict[CertificateStatus, frozenset[CertificateStatus]] = {
    CertificateStatus.ACTIVE: frozenset({CertificateStatus.REVOKED}),
    CertificateStatus.REVOKED: frozenset(),
}


def can_move_certificate(current: str, target: str) -> bool:
    """Whether a certificate in ``current`` may move to ``target`` (staying put is no move)."""
    return CertificateStatus(target) in _CERTIFICATE_MOVES[CertificateStatus(current)]


def require_certificate_move(current: str, target: str) -> None:
    """Refuse a certificate move the table does not allow, naming both states."""
    if not can_move_certificate(current, target):
        raise DomainError("invalid_certificate_move",
                          f"This certificate is {current}; it can't become {target}.",
                          kind=ErrorKind.CONFLICT)


class Verification(StrEnum):
    VALID = "valid"
    REVOKED = "revoked"
    EXPIRED = "expired"
    NOT_FOUND = "not_found"


# category -> what the public page shows; the free-text reason stays private.
REVOCATION_CATEGORIES: dict[str, str] = {
    "refunded": "The purchase was refunded",
    "issued_in_error": "Issued in error",
    "academic_misconduct": "Academic misconduct",
    "requirements_not_met": "Completion requirements not met",
    "other": "Other",
}
MIN_REASON = 10


def verification_of(status: str, expires_at: datetime | None, now: datetime) -> Verification:
    """Revoked wins over expired; a certificate past its expiry is expired, else valid."""
    if status == "revoked":
        return Verification.REVOKED
    if expires_at is not None and expires_at <= now:
        return Verification.EXPIRED
    return Verification.VALID
