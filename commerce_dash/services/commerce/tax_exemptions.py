"""Who pays no tax: a learner, or an organisation by e-mail domain (or a parent domain of it).
Read by every tax provider before it prices anything; the admin side is in
``tax_exemption_admin.py``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_
from sqlmodel import Session, col, select

from commerce_dash.models.tax import TaxExemption


def _email_domains(email: str | None) -> list[str]:
    """'a@eng.acme.org' -> ['eng.acme.org', 'acme.org'] (never a bare top-level domain)."""
    if not email or "@" not in email:
        return []
    labels = email.rsplit("@", 1)[1].strip().lower().rstrip(".").split(".")
    return [".".join(labels[i:]) for i in range(len(labels) - 1) if all(labels[i:])]


def find_exemption(
    *, session: Session, user_id: int | None, user_email: str | None
) -> TaxExemption | None:
    """The exemption in force for the buyer (by user, or by their e-mail domain or a parent
    domain of it), or None."""
    conditions: list[Any] = []
    if user_id is not None:
        conditions.append(col(TaxExemption.user_id) == user_id)
    domains = _email_domains(user_email)
    if domains:
        conditions.append(col(TaxExemption.email_domain).in_(domains))
    if not conditions:
        return None
    return session.exec(
        select(TaxExemption)
        .where(col(TaxExemption.revoked_at).is_(None), or_(*conditions))
        .order_by(col(TaxExemption.id))
    ).first()


def is_exempt(*, session: Session, user_id: int | None, user_email: str | None) -> bool:
    """Whether the buyer pays no tax."""
    return find_exemption(session=session, user_id=user_id, user_email=user_email) is not None
