"""What the public verification page says about a certificate, and why one is revoked."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum


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
