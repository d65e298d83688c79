"""Certificates after issue: the PDF (rendered on demand, cached by fingerprint), the
learner's list, public verification, and the admin lookup, manual issue and revocation.

A rendered PDF is cached with a fingerprint of everything printed on it (the certificate's
fields and status, the template and its version, the department's logo and the public
address); any change gives a new fingerprint, so a stale PDF is never served.

This module holds the PDF, issue and revocation (it is the one writer of a certificate's
status) and is the certificates' public face: what a certificate prints
(``certificate_facts.py``), the learner's list and public verification
(``certificate_lookup.py``) and the admin lookup (``certificate_admin.py``) are re-exported,
so callers import certificates from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from commerce_dash import routes
from commerce_dash.domain.actor import Actor
from commerce_dash.domain.certificate_status import (
    MIN_REASON,
    REVOCATION_CATEGORIES,
    CertificateStatus,
    require_certificate_move,
)
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.errors import DomainError, ErrorKind, not_found
from commerce_dash.domain.registrations import EnrollmentStatus
from commerce_dash.models.accounts import User
from commerce_dash.models.catalog import Course, Program
from commerce_dash.models.certificates import Certificate, CertificatePdf
from commerce_dash.models.enrollment import Enrollment
from commerce_dash.notify.message import Attachment
from commerce_dash.notify.outbox_email import queue_email
from commerce_dash.services.learning.certificate_admin import (
    SECTION,
    CertificateQuery,
    administers_certificates,
    detail,
    search,
)
from commerce_dash.services.learning.certificate_facts import (
    cache_pdf,
    facts_of,
    fingerprint,
    new_certificate_number,
    pdf_filename,
    template_of,
    verification_url,
)
from commerce_dash.services.learning.certificate_lookup import verify
from commerce_dash.services.learning.certificate_pdf import render_certificate_pdf
from commerce_dash.services.learning.certificate_templates import (
    design_of,
    template_for_department,
)
from commerce_dash.services.learning.completion_rules import criteria_for, expiry
from commerce_dash.services.platform import guarded_move, record_audit, require_managed
from commerce_dash.settings import get_settings

__all__ = [
    "CertificateQuery",
    "ManualIssue",
    "SECTION",
    "announce_issue",
    "detail",
    "download",
    "facts_of",
    "fingerprint",
    "issue_certificate",
    "manual_issue",
    "new_certificate_number",
    "pdf_filename",
    "pdf_of",
    "prepare_new",
    "revoke",
    "revoke_for_enrollment",
    "search",
    "transition_certificate",
    "verification_url",
    "verify",
]


# -- the PDF ---------------------------------------------------------------------------------


def _render(session: Session, certificate: Certificate) -> bytes:
    design = design_of(session, template_of(session, certificate), certificate.department_id)
    return render_certificate_pdf(facts_of(session, certificate), design)


def pdf_of(session: Session, certificate: Certificate) -> bytes:
    """The certificate's PDF: from the cache while its fingerprint matches, else rendered and
    cached (commits the cache row)."""
    assert certificate.id is not None
    key = fingerprint(session, certificate)
    cached = session.get(CertificatePdf, certificate.id)
    if cached is not None and cached.fingerprint == key:
        return cached.data
    data = _render(session, certificate)
    cache_pdf(session, certificate.id, key, data)
    session.commit()
    return data


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
    if certificate.user_id != actor.user_id and not administers_certificates(
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
    """The only writer of a certificate's ``status`` (through ``guarded_move``): checked
    against the table of ``domain/certificate_status.py``, audited, returned; already there:
    returned unchanged (no second audit row); a refused move is a DomainError (409) naming
    both states."""
    return guarded_move(session=session, entity=certificate,
                        goal=CertificateStatus(target).value,
                        require_move=require_certificate_move, entity_type="certificate",
                        actor=actor, action=action, reason=reason, before=before, after=after)


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
    cache_pdf(session, certificate.id, fingerprint(session, certificate), data)
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
