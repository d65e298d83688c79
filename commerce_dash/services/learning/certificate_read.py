"""One certificate read through the API (``GET /api/v2/certificates/{id}``): its holder reads
their own, an admin of its department (certificates section) any of that department; anyone
else is told it does not exist, so ids cannot be probed (the rule of the PDF download)."""

from __future__ import annotations

from sqlmodel import Session

from commerce_dash.domain.actor import Actor
from commerce_dash.domain.errors import DomainError, ErrorKind, not_found
from commerce_dash.models.certificates import Certificate
from commerce_dash.services.learning.certificate_admin import administers_certificates
from commerce_dash.services.learning.certificate_lookup import (
    LearnerCertificate,
    list_for_learner,
)


def certificate_for(*, session: Session, actor: Actor | None,
                    certificate_id: int) -> LearnerCertificate:
    """The certificate as its holder's list shows it, for the holder or an admin of it."""
    if actor is None:
        raise DomainError("not_signed_in", "Sign in to continue.",
                          kind=ErrorKind.UNAUTHENTICATED)
    certificate = session.get(Certificate, certificate_id)
    if certificate is None or (certificate.user_id != actor.user_id and not
                               administers_certificates(session, actor,
                                                        certificate.department_id)):
        raise not_found("certificate", certificate_id)
    return next(c for c in list_for_learner(session=session, user_id=certificate.user_id)
                if c.id == certificate_id)
