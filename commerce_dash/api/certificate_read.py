"""One certificate (``GET /api/v2/certificates/{id}``, spec 001 API table): its holder reads
their own, an admin of its department any of that department; anyone else gets 404.

Registered after ``api.certificates``: its ``/verify/{number}`` (public) and
``/{id}/download`` routes are longer paths and never match this one.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter

from commerce_dash.api.certificates import CertificateId, LearnerCertificateOut
from commerce_dash.api.deps import CurrentActor, DbSession
from commerce_dash.services import learning as learning_area

router = APIRouter(tags=["certificates"])


@router.get("/api/v2/certificates/{certificate_id}", response_model=LearnerCertificateOut)
def certificate(actor: CurrentActor, session: DbSession,
                certificate_id: CertificateId) -> dict[str, Any]:
    return asdict(learning_area.certificate_for(session=session, actor=actor,
                                                certificate_id=certificate_id))
