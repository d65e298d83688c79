"""What a certificate prints and where it lives: its number, its public addresses, the facts
printed on it and their fingerprint (which keys the PDF cache).

Re-exported by ``certificates.py``, the certificates' public face.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from commerce_dash import routes
from commerce_dash.domain.certificate_design import CertificateFacts
from commerce_dash.domain.certificate_numbers import ALPHABET, new_number
from commerce_dash.domain.clock import utcnow
from commerce_dash.models.catalog import Department
from commerce_dash.models.certificates import Certificate, CertificatePdf, CertificateTemplate
from commerce_dash.services.learning.certificate_uploads import department_logo_id
from commerce_dash.settings import get_settings


def verification_url(number: str) -> str:
    return f"{get_settings().public_url.rstrip('/')}{routes.VERIFY}/{number}"


LINKEDIN_ADD = "https://www.linkedin.com/profile/add"


def linkedin_add_url(*, name: str, organization: str, issued_on: str, number: str) -> str:
    """LinkedIn's "Add to profile" address for a certification (``issued_on`` is
    YYYY-MM-DD); the certificate's public page is its credential URL."""
    year, month = (issued_on.split("-") + ["", ""])[:2]
    query = {"startTask": "CERTIFICATION_NAME", "name": name, "organizationName": organization,
             "issueYear": year, "issueMonth": str(int(month)) if month.isdigit() else "",
             "certUrl": verification_url(number), "certId": number}
    return f"{LINKEDIN_ADD}?{urlencode({k: v for k, v in query.items() if v})}"


def download_path(certificate_id: int) -> str:
    return f"/api/v2/certificates/{certificate_id}/download"


def _random_symbols(k: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(k))


def new_certificate_number(now: datetime) -> str:
    return new_number(now.year, _random_symbols)


def _department_name(session: Session, department_id: int) -> str:
    return session.exec(select(Department.name).where(Department.id == department_id)
                        ).first() or ""


def facts_of(session: Session, certificate: Certificate) -> CertificateFacts:
    return CertificateFacts(
        number=certificate.number, recipient_name=certificate.recipient_name,
        course_title=certificate.description, certificate_title=certificate.title,
        department_name=_department_name(session, certificate.department_id),
        completed_on=certificate.completed_at.date(), issued_on=certificate.issued_at.date(),
        verification_url=verification_url(certificate.number),
        expires_on=certificate.expires_at.date() if certificate.expires_at else None,
        grade=certificate.grade, percentage=certificate.percentage,
        revoked=certificate.status == "revoked",
    )


def template_of(session: Session, certificate: Certificate) -> CertificateTemplate | None:
    if certificate.template_id is None:
        return None
    return session.get(CertificateTemplate, certificate.template_id)


def fingerprint(session: Session, certificate: Certificate) -> str:
    """A hash of everything the PDF shows; it changes whenever the PDF would."""
    template = template_of(session, certificate)
    facts = facts_of(session, certificate)
    material: dict[str, Any] = {
        "facts": {k: str(v) for k, v in facts.__dict__.items() if k != "extra"},
        "template": [template.id, template.version] if template else None,
        "logo": department_logo_id(session, certificate.department_id),
        "renderer": 1,
    }
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()


def cache_pdf(session: Session, certificate_id: int, key: str, data: bytes) -> None:
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    values = {"certificate_id": certificate_id, "fingerprint": key, "data": data,
              "rendered_at": utcnow()}
    statement = insert(CertificatePdf).values(**values)
    session.execute(statement.on_conflict_do_update(
        index_elements=["certificate_id"],
        set_={"fingerprint": key, "data": data, "rendered_at": values["rendered_at"]},
    ))


def pdf_filename(certificate: Certificate) -> str:
    return f"{certificate.number}.pdf"
