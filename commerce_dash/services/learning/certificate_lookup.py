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
from commerce_dash.models.accounts import User
from commerce_dash.models.catalog import Course, Department, Program, ProgramCourse
from commerce_dash.models.certificates import Certificate
from commerce_dash.services.learning.certificate_facts import (
    download_path,
    linkedin_add_url,
    verification_url,
)
from commerce_dash.services.learning.certificate_uploads import department_logo_id, image_path
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
    # the issuer (the certificate's department) and its logo (the department's own, else its
    # nearest ancestor's; an /api/v2/images/... path, "" for none)
    issuer_logo: str = ""
    description: str = ""  # what the course or program covers, as the catalog says it
    hours: float | None = None  # the catalog's estimated learning time, when it gives one
    holder_deleted: bool = False  # the holder deleted their account: the name is hidden
    # never public: who holds it, so the page can offer the holder their PDF
    holder_id: int = 0
    certificate_id: int = 0

    @property
    def issuer(self) -> str:
        return self.department

    def linkedin_url(self) -> str:
        """LinkedIn's Add to profile address while the certificate is valid, else ""."""
        if self.status is not Verification.VALID:
            return ""
        return linkedin_add_url(name=self.item_title or self.title, organization=self.issuer,
                                issued_on=self.issued_on, number=self.number)

    def public_json(self) -> dict[str, Any]:
        found = self.status is not Verification.NOT_FOUND
        return {
            "number": self.number, "status": self.status.value,
            "recipientName": self.recipient_name or None, "title": self.title or None,
            "kind": self.kind or None, "courseOrProgram": self.item_title or None,
            "department": self.department or None,
            "completedOn": self.completed_on or None, "issuedOn": self.issued_on or None,
            "expiresOn": self.expires_on or None, "revokedOn": self.revoked_on or None,
            "revocationCategory": self.revoked_category or None,
            "issuerName": self.issuer or None,
            "issuerLogoUrl": absolute_url(self.issuer_logo) if self.issuer_logo else None,
            "description": self.description or None,
            "hours": self.hours,
            "doesNotExpire": (not self.expires_on) if found else None,
            "holderDeleted": self.holder_deleted if found else None,
            "verificationUrl": verification_url(self.number) if found else None,
            "linkedInAddUrl": self.linkedin_url() or None,
        }


def absolute_url(path: str) -> str:
    return f"{get_settings().public_url.rstrip('/')}{path}"


DELETED_HOLDER = "Held by a deleted account"


def _about(session: Session, certificate: Certificate) -> tuple[str, float | None]:
    """What the course or program covers and its estimated hours (None when unknown)."""
    if certificate.kind == "program" and certificate.program_id is not None:
        text = session.exec(select(Program.description)
                            .where(Program.id == certificate.program_id)).first() or ""
        minutes = sum(session.exec(
            select(Course.estimated_minutes)
            .join(ProgramCourse, col(ProgramCourse.course_id) == Course.id)
            .where(ProgramCourse.program_id == certificate.program_id)).all())
    elif certificate.course_id is not None:
        row = session.exec(select(Course.description, Course.estimated_minutes)
                           .where(Course.id == certificate.course_id)).first()
        text, minutes = (row[0], row[1]) if row else ("", 0)
    else:
        return "", None
    return text.strip(), (round(minutes / 60, 1) if minutes else None)


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
    holder_deleted = session.exec(select(User.deleted_at)
                                  .where(User.id == certificate.user_id)).first() is not None
    description, hours = _about(session, certificate)
    return VerificationResult(
        number=certificate.number, status=status,
        recipient_name="" if holder_deleted else certificate.recipient_name,
        issuer_logo=image_path(session, department_logo_id(session, certificate.department_id)),
        description=description, hours=hours, holder_deleted=holder_deleted,
        holder_id=certificate.user_id, certificate_id=certificate.id or 0,
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
