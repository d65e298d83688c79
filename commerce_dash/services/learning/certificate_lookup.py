"""Certificates as the learner and the public see them: the learner's list, and public
verification by number.

Re-exported by ``certificates.py``, the certificates' public face.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from commerce_dash.domain.certificate_numbers import normalise_number, valid_number
from commerce_dash.domain.certificate_status import (
    REVOCATION_CATEGORIES,
    Verification,
    verification_of,
)
from commerce_dash.domain.clock import utcnow
from commerce_dash.models.catalog import Department
from commerce_dash.models.certificates import Certificate
from commerce_dash.services.learning.certificate_facts import download_path, verification_url
from commerce_dash.services.platform import hit
from commerce_dash.settings import get_settings


@dataclass(frozen=True)
class VerificationResult:
    """Only what may be shown to anyone holding the number."""

    number: str
    status: Verification
    recipient_name: str = ""
    title: str = ""
    kind: str = ""  # course | program
    item_title: str = ""
    department: str = ""
    completed_on: str = ""
    issued_on: str = ""
    expires_on: str = ""
    revoked_on: str = ""
    revoked_category: str = ""

    def public_json(self) -> dict[str, Any]:
        return {
            "number": self.number, "status": self.status.value,
            "recipientName": self.recipient_name or None, "title": self.title or None,
            "kind": self.kind or None, "courseOrProgram": self.item_title or None,
            "department": self.department or None,
            "completedOn": self.completed_on or None, "issuedOn": self.issued_on or None,
            "expiresOn": self.expires_on or None, "revokedOn": self.revoked_on or None,
            "revocationCategory": self.revoked_category or None,
        }


def verify(*, session: Session, number: str, client: str) -> VerificationResult:
    """Look a number up for the public (rate-limited per client address, committed)."""
    hit(session=session, bucket=f"verify:{client or 'unknown'}",
        limit=get_settings().verify_rate_limit_per_minute)
    normal = normalise_number(number)
    if not valid_number(normal):  # a mistyped number never reaches the table
        return VerificationResult(normal or number.strip()[:40], Verification.NOT_FOUND)
    found = session.exec(select(Certificate, Department.name)
                         .join(Department, col(Department.id) == Certificate.department_id)
                         .where(Certificate.number == normal)).first()
    if found is None:
        return VerificationResult(normal, Verification.NOT_FOUND)
    certificate, department = found
    status = verification_of(certificate.status, certificate.expires_at, utcnow())
    return VerificationResult(
        number=certificate.number, status=status, recipient_name=certificate.recipient_name,
        title=certificate.title, kind=certificate.kind, item_title=certificate.description,
        department=department, completed_on=f"{certificate.completed_at:%Y-%m-%d}",
        issued_on=f"{certificate.issued_at:%Y-%m-%d}",
        expires_on=f"{certificate.expires_at:%Y-%m-%d}" if certificate.expires_at else "",
        revoked_on=f"{certificate.revoked_at:%Y-%m-%d}" if certificate.revoked_at else "",
        revoked_category=REVOCATION_CATEGORIES.get(certificate.revoked_category, "")
        if status is Verification.REVOKED else "",
    )


@dataclass(frozen=True)
class LearnerCertificate:
    id: int
    number: str
    title: str
    item_title: str
    kind: str
    issued_on: str
    status: str  # valid | revoked | expired
    verify_url: str
    download_url: str


def list_for_learner(*, session: Session, user_id: int) -> list[LearnerCertificate]:
    rows = session.exec(select(Certificate).where(Certificate.user_id == user_id)
                        .order_by(col(Certificate.issued_at).desc())).all()
    now = utcnow()
    return [
        LearnerCertificate(c.id or 0, c.number, c.title, c.description, c.kind,
                           f"{c.issued_at:%Y-%m-%d}",
                           verification_of(c.status, c.expires_at, now).value,
                           verification_url(c.number), download_path(c.id or 0))
        for c in rows
    ]
