"""Certificates for administrators: the search, one certificate's detail and history, and the
options of the manual-issue form.

Re-exported by ``certificates.py``, the certificates' public face.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, or_
from sqlmodel import Session, col, select

from commerce_dash.domain.actor import Actor
from commerce_dash.domain.certificate_numbers import normalise_number
from commerce_dash.domain.certificate_status import REVOCATION_CATEGORIES, verification_of
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.errors import DomainError, not_found
from commerce_dash.domain.paging import Page, PageRequest
from commerce_dash.models.accounts import User
from commerce_dash.models.audit import AuditLog
from commerce_dash.models.catalog import Course, Department, Program
from commerce_dash.models.certificates import Certificate
from commerce_dash.services.catalog import like_pattern
from commerce_dash.services.learning.certificate_facts import (
    download_path,
    template_of,
    verification_url,
)
from commerce_dash.services.platform import managed_departments

SECTION = "certificates"


@dataclass(frozen=True)
class CertificateQuery:
    text: str = ""  # number or learner name / email
    course_id: int | None = None
    program_id: int | None = None
    department_id: int | None = None
    status: str = ""  # "" | valid | revoked | expired
    issued_from: datetime | None = None
    issued_to: datetime | None = None


@dataclass(frozen=True)
class CertificateRow:
    id: int
    number: str
    learner: str
    email: str
    kind: str
    item_title: str
    department: str
    issued_on: str
    status: str
    manual: bool


def _row_query():  # type: ignore[no-untyped-def]
    return (select(Certificate, User.full_name, User.email, Department.name)
            .join(User, col(User.id) == Certificate.user_id)
            .join(Department, col(Department.id) == Certificate.department_id))


def _row(c: Certificate, name: str, email: str, dept: str, now: datetime) -> CertificateRow:
    return CertificateRow(c.id or 0, c.number, name, email, c.kind, c.description, dept,
                          f"{c.issued_at:%Y-%m-%d}",
                          verification_of(c.status, c.expires_at, now).value,
                          c.issued_by_id is not None)


def search(*, session: Session, actor: Actor | None, query: CertificateQuery,
           page: PageRequest) -> Page[CertificateRow]:
    """Certificates of the actor's departments, newest first, filtered and paged in SQL."""
    scope = managed_departments(session=session, actor=actor, section=SECTION)
    now = utcnow()
    conditions: list[ColumnElement[bool]] = []
    if scope is not None:
        conditions.append(col(Certificate.department_id).in_(scope or {0}))
    if query.department_id is not None:
        conditions.append(col(Certificate.department_id) == query.department_id)
    if query.course_id is not None:
        conditions.append(col(Certificate.course_id) == query.course_id)
    if query.program_id is not None:
        conditions.append(col(Certificate.program_id) == query.program_id)
    if query.issued_from is not None:
        conditions.append(col(Certificate.issued_at) >= query.issued_from)
    if query.issued_to is not None:
        conditions.append(col(Certificate.issued_at) < query.issued_to)
    if query.status == "revoked":
        conditions.append(col(Certificate.status) == "revoked")
    elif query.status == "expired":
        conditions += [col(Certificate.status) == "active", col(Certificate.expires_at) <= now]
    elif query.status == "valid":
        conditions += [col(Certificate.status) == "active",
                       or_(col(Certificate.expires_at).is_(None),
                           col(Certificate.expires_at) > now)]
    elif query.status:
        raise DomainError("invalid_status", "Choose valid, revoked or expired.", field="status")
    text = query.text.strip()
    if text:
        number = normalise_number(text)
        pattern = like_pattern(text)
        conditions.append(or_(col(Certificate.number) == number,
                              col(User.email).ilike(pattern, escape="\\"),
                              col(User.full_name).ilike(pattern, escape="\\")))
    base = _row_query().where(*conditions)
    total = session.exec(select(func.count()).select_from(base.subquery())).one()
    found = session.exec(base.order_by(col(Certificate.issued_at).desc(),
                                       col(Certificate.id).desc())
                         .offset(page.offset).limit(page.page_size)).all()
    return Page([_row(c, n, e, d, now) for c, n, e, d in found], int(total), page.page,
                page.page_size)


@dataclass(frozen=True)
class HistoryEntry:
    at: str
    actor: str
    action: str
    reason: str


@dataclass(frozen=True)
class CertificateDetail:
    row: CertificateRow
    title: str
    recipient_name: str
    completed_on: str
    expires_on: str
    grade: str
    percentage: int | None
    template: str
    revoked_on: str
    revoked_category: str
    revoked_reason: str
    issue_note: str
    verify_url: str
    download_url: str
    history: tuple[HistoryEntry, ...]


ACTION_LABELS = {
    "certificate.issued": "Issued",
    "certificate.revoked": "Revoked",
}


def detail(*, session: Session, actor: Actor | None, certificate_id: int) -> CertificateDetail:
    scope = managed_departments(session=session, actor=actor, section=SECTION)
    found = session.exec(_row_query().where(Certificate.id == certificate_id)).first()
    if found is None or (scope is not None and found[0].department_id not in scope):
        raise not_found("certificate", certificate_id)
    c, name, email, dept = found
    template = template_of(session, c)
    history = session.exec(select(AuditLog).where(
        AuditLog.entity_type == "certificate", AuditLog.entity_id == str(c.id))
        .order_by(col(AuditLog.at), col(AuditLog.id))).all()
    return CertificateDetail(
        row=_row(c, name, email, dept, utcnow()), title=c.title,
        recipient_name=c.recipient_name, completed_on=f"{c.completed_at:%Y-%m-%d}",
        expires_on=f"{c.expires_at:%Y-%m-%d}" if c.expires_at else "", grade=c.grade,
        percentage=c.percentage,
        template=template.name if template else "Built-in design",
        revoked_on=f"{c.revoked_at:%Y-%m-%d %H:%M}" if c.revoked_at else "",
        revoked_category=REVOCATION_CATEGORIES.get(c.revoked_category, ""),
        revoked_reason=c.revoked_reason, issue_note=c.issue_note,
        verify_url=verification_url(c.number), download_url=download_path(c.id or 0),
        history=tuple(HistoryEntry(f"{h.at:%Y-%m-%d %H:%M}", h.actor_email,
                                   ACTION_LABELS.get(h.action, h.action), h.reason)
                      for h in history),
    )


def issue_options(*, session: Session, actor: Actor | None
                  ) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """(courses, programs) the actor may issue certificates for."""
    scope = managed_departments(session=session, actor=actor, section=SECTION)
    courses = select(Course.id, Course.code, Course.title)
    programs = select(Program.id, Program.code, Program.title)
    if scope is not None:
        courses = courses.where(col(Course.department_id).in_(scope or {0}))
        programs = programs.where(col(Program.department_id).in_(scope or {0}))
    return (
        [(i, f"{code} · {t}") for i, code, t in session.exec(courses.order_by(col(Course.code)))
         if i is not None],
        [(i, f"{code} · {t}") for i, code, t in
         session.exec(programs.order_by(col(Program.code))) if i is not None],
    )


def administers_certificates(session: Session, actor: Actor, department_id: int) -> bool:
    """Whether the actor administers certificates of the department."""
    try:
        scope = managed_departments(session=session, actor=actor, section=SECTION)
    except DomainError:
        return False
    return scope is None or department_id in scope
