"""Certificates after issue: the PDF (rendered on demand, cached by fingerprint), the
learner's list, public verification, and the admin lookup, manual issue and revocation.

A rendered PDF is cached with a fingerprint of everything printed on it (the certificate's
fields and status, the template and its version, the department's logo and the public
address); any change gives a new fingerprint, so a stale PDF is never served.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import ColumnElement, func, or_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from commerce_dash import routes
from commerce_dash.domain.actor import Actor
from commerce_dash.domain.certificate_design import CertificateFacts
from commerce_dash.domain.certificate_numbers import (
    ALPHABET,
    new_number,
    normalise_number,
    valid_number,
)
from commerce_dash.domain.certificate_status import (
    MIN_REASON,
    REVOCATION_CATEGORIES,
    CertificateStatus,
    Verification,
    require_certificate_move,
    verification_of,
)
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.errors import DomainError, ErrorKind, not_found
from commerce_dash.domain.paging import Page, PageRequest
from commerce_dash.domain.registrations import EnrollmentStatus
from commerce_dash.models.accounts import User
from commerce_dash.models.audit import AuditLog
from commerce_dash.models.catalog import Course, Department, Program
from commerce_dash.models.certificates import Certificate, CertificatePdf, CertificateTemplate
from commerce_dash.models.enrollment import Enrollment
from commerce_dash.notify.message import Attachment
from commerce_dash.notify.outbox_email import queue_email
from commerce_dash.services.catalog.catalog import like_pattern
from commerce_dash.services.learning.certificate_pdf import render_certificate_pdf
from commerce_dash.services.learning.certificate_templates import (
    department_logo_id,
    design_of,
    template_for_department,
)
from commerce_dash.services.learning.completion_rules import criteria_for, expiry
from commerce_dash.services.platform.audit import record_audit
from commerce_dash.services.platform.org import managed_departments, require_managed
from commerce_dash.services.platform.rate_limit import hit
from commerce_dash.settings import get_settings

SECTION = "certificates"


def verification_url(number: str) -> str:
    return f"{get_settings().public_url.rstrip('/')}{routes.VERIFY}/{number}"


def download_path(certificate_id: int) -> str:
    return f"/api/v2/certificates/{certificate_id}/download"


def _random_symbols(k: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(k))


def new_certificate_number(now: datetime) -> str:
    return new_number(now.year, _random_symbols)


# -- the PDF ---------------------------------------------------------------------------------


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


def _template(session: Session, certificate: Certificate) -> CertificateTemplate | None:
    if certificate.template_id is None:
        return None
    return session.get(CertificateTemplate, certificate.template_id)


def fingerprint(session: Session, certificate: Certificate) -> str:
    """A hash of everything the PDF shows; it changes whenever the PDF would."""
    template = _template(session, certificate)
    facts = facts_of(session, certificate)
    material: dict[str, Any] = {
        "facts": {k: str(v) for k, v in facts.__dict__.items() if k != "extra"},
        "template": [template.id, template.version] if template else None,
        "logo": department_logo_id(session, certificate.department_id),
        "renderer": 1,
    }
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()


def _render(session: Session, certificate: Certificate) -> bytes:
    design = design_of(session, _template(session, certificate), certificate.department_id)
    return render_certificate_pdf(facts_of(session, certificate), design)


def _upsert_cache(session: Session, certificate_id: int, key: str, data: bytes) -> None:
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    values = {"certificate_id": certificate_id, "fingerprint": key, "data": data,
              "rendered_at": utcnow()}
    statement = insert(CertificatePdf).values(**values)
    session.execute(statement.on_conflict_do_update(
        index_elements=["certificate_id"],
        set_={"fingerprint": key, "data": data, "rendered_at": values["rendered_at"]},
    ))


def pdf_of(session: Session, certificate: Certificate) -> bytes:
    """The certificate's PDF: from the cache while its fingerprint matches, else rendered and
    cached (commits the cache row)."""
    assert certificate.id is not None
    key = fingerprint(session, certificate)
    cached = session.get(CertificatePdf, certificate.id)
    if cached is not None and cached.fingerprint == key:
        return cached.data
    data = _render(session, certificate)
    _upsert_cache(session, certificate.id, key, data)
    session.commit()
    return data


def pdf_filename(certificate: Certificate) -> str:
    return f"{certificate.number}.pdf"


def _administers(session: Session, actor: Actor, department_id: int) -> bool:
    """Whether the actor administers certificates of the department."""
    try:
        scope = managed_departments(session=session, actor=actor, section=SECTION)
    except DomainError:
        return False
    return scope is None or department_id in scope


def download(*, session: Session, actor: Actor | None, certificate_id: int
             ) -> tuple[str, bytes]:
    """(filename, PDF) for the certificate's owner or an admin of its department.

    Anyone else is told it does not exist, so ids cannot be probed.
    """
    if actor is None:
        raise DomainError("not_signed_in", "Sign in to download a certificate.",
                          kind=ErrorKind.UNAUTHENTICATED)
    certificate = session.get(Certificate, certificate_id)
    if certificate is None:
        raise not_found("certificate", certificate_id)
    if certificate.user_id != actor.user_id and not _administers(
            session, actor, certificate.department_id):
        raise not_found("certificate", certificate_id)
    return pdf_filename(certificate), pdf_of(session, certificate)


# -- issue -----------------------------------------------------------------------------------


def prepare_new(session: Session, certificate: Certificate) -> None:
    """Fill what every new certificate gets: its department's template."""
    template = template_for_department(session, certificate.department_id)
    certificate.template_id = template.id if template else None


def issue_certificate(session: Session, certificate: Certificate, actor: Actor | None) -> bool:
    """The one way a certificate is created (issue 15): its template filled, the row added
    active, audited (``certificate.issued``) and the learner emailed, in the caller's
    transaction. False, and nothing done, when a unique key (one per enrollment, one per
    learner and program) says it exists already (a concurrent event issued it first)."""
    if certificate.status != CertificateStatus.ACTIVE.value:
        raise ValueError("A certificate is issued active")
    prepare_new(session, certificate)
    if not _insert_once(session, certificate):
        return False
    announce_issue(session, certificate, actor)
    return True


def _insert_once(session: Session, row: Certificate) -> bool:
    """Add a row guarded by a unique key; False when it already exists.

    On Postgres a SAVEPOINT keeps the caller's transaction alive on a conflict; SQLite runs
    one writer at a time (and its driver cannot nest one), so the caller's check suffices.
    """
    if session.get_bind().dialect.name != "postgresql":
        session.add(row)
        session.flush()
        return True
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return False
    return True


def transition_certificate(
    *, session: Session, certificate: Certificate, target: CertificateStatus | str,
    actor: Actor | None = None, action: str = "", reason: str = "",
    before: dict[str, Any] | None = None, after: dict[str, Any] | None = None,
) -> Certificate:
    """The only writer of a certificate's ``status``: checked against the table of
    ``domain/certificate_status.py``, audited, returned; already there: returned unchanged
    (no second audit row); a refused move is a DomainError (409) naming both states."""
    goal = CertificateStatus(target).value
    current = certificate.status
    if current == goal:
        return certificate
    require_certificate_move(current, goal)
    certificate.status = goal
    session.add(certificate)
    record_audit(session=session, actor=actor, action=action or f"certificate.{goal}",
                 entity_type="certificate", entity_id=certificate.id,
                 before={"status": current} if before is None else before,
                 after={"status": goal} if after is None else after, reason=reason)
    return certificate


def announce_issue(session: Session, certificate: Certificate, actor: Actor | None) -> None:
    """Audit the new certificate and email the learner with the PDF attached (in the
    caller's transaction)."""
    assert certificate.id is not None
    record_audit(session=session, actor=actor, action="certificate.issued",
                 entity_type="certificate", entity_id=certificate.id,
                 after={"number": certificate.number, "kind": certificate.kind,
                        "user_id": certificate.user_id, "title": certificate.description,
                        "manual": certificate.issued_by_id is not None},
                 reason=certificate.issue_note)
    user = session.get(User, certificate.user_id)
    assert user is not None
    data = _render(session, certificate)
    _upsert_cache(session, certificate.id, fingerprint(session, certificate), data)
    base = get_settings().public_url.rstrip("/")
    queue_email(
        session=session, template="certificate-earned", to=user.email,
        dedupe_key=f"certificate-earned:{certificate.id}",
        context={"user_name": user.full_name, "course_title": certificate.description,
                 "certificate_number": certificate.number,
                 "download_url": f"{base}{routes.MY_CERTIFICATES}",
                 "verify_url": verification_url(certificate.number)},
        attachments=[Attachment(pdf_filename(certificate), "application/pdf", data)],
    )


@dataclass(frozen=True)
class ManualIssue:
    email: str
    course_id: int | None = None
    program_id: int | None = None
    completed_on: date | None = None
    grade: str = ""
    percentage: int | None = None
    note: str = ""


def _midday(day: date) -> datetime:
    return datetime.combine(day, time(12, 0), tzinfo=UTC)


def manual_issue(*, session: Session, actor: Actor | None, data: ManualIssue) -> Certificate:
    """CERT-007: issue a certificate by hand (commits), audited and emailed."""
    if (data.course_id is None) == (data.program_id is None):
        raise DomainError("choose_item", "Choose a course or a program.", field="course_id")
    user = session.exec(select(User).where(
        func.lower(User.email) == data.email.strip().lower())).first()
    if user is None or user.id is None:
        raise DomainError("learner_not_found", "No learner has that email address.",
                          field="email")
    note = " ".join(data.note.split())
    if len(note) < MIN_REASON:
        raise DomainError("note_required", f"Say why in at least {MIN_REASON} characters "
                          "(it is kept in the audit log).", field="note")
    if data.percentage is not None and not 0 <= data.percentage <= 100:
        raise DomainError("invalid_percentage", "A percentage is between 0 and 100.",
                          field="percentage")
    if len(data.grade) > 16:
        raise DomainError("grade_too_long", "A grade is at most 16 characters.", field="grade")
    now = utcnow()
    completed = _midday(data.completed_on) if data.completed_on else now
    if completed > now:
        raise DomainError("future_date", "The completion date cannot be in the future.",
                          field="completed_on")
    certificate = Certificate(
        number=new_certificate_number(now), user_id=user.id, kind="course",
        department_id=0, recipient_name=user.full_name, title="", description="",
        completed_at=completed, issued_at=now, grade=data.grade.strip(),
        percentage=data.percentage, issue_note=note,
    )
    if data.course_id is not None:
        course = session.get(Course, data.course_id)
        if course is None or course.id is None:
            raise not_found("course", data.course_id)
        actor = require_managed(session, actor, SECTION, course.department_id)
        enrollment = session.exec(select(Enrollment).where(
            Enrollment.user_id == user.id, Enrollment.course_id == course.id,
            Enrollment.status == EnrollmentStatus.ACTIVE.value)
            .order_by(col(Enrollment.id).desc())).first()
        if _active_for_course(session, user.id, course.id):
            raise DomainError("already_certified", f"{user.full_name} already holds an active "
                              f"certificate for {course.title}.", kind=ErrorKind.CONFLICT)
        certificate.course_id = course.id
        certificate.department_id = course.department_id
        certificate.title = "Certificate of Completion"
        certificate.description = course.title
        certificate.enrollment_id = (enrollment.id if enrollment is not None and not
                                     _has_any_for_enrollment(session, enrollment.id) else None)
        certificate.expires_at = expiry(completed, criteria_for(session, course.id)
                                        .valid_for_days)
    else:
        program = session.get(Program, data.program_id)
        if program is None:
            raise not_found("program", data.program_id)
        actor = require_managed(session, actor, SECTION, program.department_id)
        key = f"{user.id}:{program.id}"
        if session.exec(select(Certificate.id).where(Certificate.program_key == key)).first():
            raise DomainError("already_certified", f"{user.full_name} already holds the "
                              f"certificate for {program.title}.", kind=ErrorKind.CONFLICT)
        certificate.kind = "program"
        certificate.program_id = program.id
        certificate.program_key = key
        certificate.department_id = program.department_id
        certificate.title = "Program Certificate"
        certificate.description = program.title
    certificate.issued_by_id = actor.user_id
    if not issue_certificate(session, certificate, actor):
        session.rollback()
        raise DomainError("already_certified", f"{user.full_name} already holds that "
                          "certificate.", kind=ErrorKind.CONFLICT)
    session.commit()
    session.refresh(certificate)
    return certificate


def _active_for_course(session: Session, user_id: int, course_id: int) -> bool:
    return session.exec(select(Certificate.id).where(
        Certificate.user_id == user_id, Certificate.course_id == course_id,
        Certificate.status == "active")).first() is not None


def _has_any_for_enrollment(session: Session, enrollment_id: int | None) -> bool:
    return session.exec(select(Certificate.id).where(
        Certificate.enrollment_id == enrollment_id)).first() is not None


# -- revoke ----------------------------------------------------------------------------------


def revoke(*, session: Session, actor: Actor | None, certificate_id: int, category: str,
           reason: str) -> Certificate:
    """CERT-008: revoke now (commits); the public page shows it at once; audited, emailed."""
    certificate = session.exec(select(Certificate).where(Certificate.id == certificate_id)
                               .with_for_update()).first()
    if certificate is None:
        raise not_found("certificate", certificate_id)
    actor = require_managed(session, actor, SECTION, certificate.department_id)
    _revoke(session, certificate, actor, category, reason)
    session.commit()
    session.refresh(certificate)
    return certificate


def _revoke(session: Session, certificate: Certificate, actor: Actor | None, category: str,
            reason: str) -> None:
    if category not in REVOCATION_CATEGORIES:
        raise DomainError("invalid_category", "Choose why the certificate is revoked.",
                          field="category")
    reason = " ".join(reason.split())
    if len(reason) < MIN_REASON:
        raise DomainError("reason_required", f"Give a reason of at least {MIN_REASON} "
                          "characters.", field="reason")
    if len(reason) > 500:
        raise DomainError("reason_too_long", "At most 500 characters.", field="reason")
    if certificate.status == "revoked":
        raise DomainError("already_revoked", f"{certificate.number} is already revoked.",
                          kind=ErrorKind.CONFLICT)
    now = utcnow()
    transition_certificate(session=session, certificate=certificate,
                           target=CertificateStatus.REVOKED, actor=actor,
                           action="certificate.revoked", before={"status": "active"},
                           after={"status": "revoked", "category": category}, reason=reason)
    certificate.revoked_at = now
    certificate.revoked_category = category
    certificate.revoked_reason = reason
    certificate.revoked_by_id = actor.user_id if actor else None
    certificate.updated_at = now
    session.add(certificate)
    user = session.get(User, certificate.user_id)
    assert user is not None
    queue_email(session=session, template="certificate-revoked", to=user.email,
                dedupe_key=f"certificate-revoked:{certificate.id}",
                context={"user_name": user.full_name, "course_title": certificate.description,
                         "certificate_number": certificate.number,
                         "category": REVOCATION_CATEGORIES[category], "reason": reason})


def revoke_for_enrollment(*, session: Session, enrollment_id: int, category: str,
                          reason: str) -> list[str]:
    """Revoke the active certificate of an enrollment (e.g. on refund) in the caller's
    transaction; returns the numbers revoked."""
    rows = session.exec(select(Certificate).where(
        Certificate.enrollment_id == enrollment_id, Certificate.status == "active")).all()
    for certificate in rows:
        _revoke(session, certificate, None, category, reason)
    return [c.number for c in rows]


# -- public verification ---------------------------------------------------------------------


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


# -- the learner's certificates --------------------------------------------------------------


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


# -- admin lookup ----------------------------------------------------------------------------


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
    template = _template(session, c)
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
