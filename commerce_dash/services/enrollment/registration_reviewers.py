"""Who reviews a department's registrations (REG-003..006): enrollment admins, dept-admins or
both, set per department by a super admin or billing admin (the ``settings`` section); the
queue's scope (``registration_views.queue_scope``) reads it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from commerce_dash.domain.access import (
    REGISTRATION_REVIEWER_LABELS,
    RegistrationReviewers,
    RoleName,
)
from commerce_dash.domain.actor import Actor, require_section
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.errors import DomainError, not_found
from commerce_dash.models.catalog import Department
from commerce_dash.services.enrollment.registration_views import queue_scope
from commerce_dash.services.platform import department_parents, record_audit

SECTION = "settings"


@dataclass(frozen=True)
class ReviewersRow:
    department_id: int
    department: str
    reviewers: str  # enrollment_admins | dept_admins | both
    label: str


def _row(dept: Department) -> ReviewersRow:
    known = dept.registration_reviewers in RegistrationReviewers._value2member_map_
    value = RegistrationReviewers(dept.registration_reviewers if known else "both")
    return ReviewersRow(dept.id or 0, dept.name, value.value,
                        REGISTRATION_REVIEWER_LABELS[value])


def list_registration_reviewers(*, session: Session, actor: Actor | None) -> list[ReviewersRow]:
    """Every department with who reviews its registrations, by name."""
    require_section(actor, SECTION)
    return [_row(d) for d in session.exec(select(Department).order_by(col(Department.name)))]


def set_registration_reviewers(*, session: Session, actor: Actor | None, department_id: int,
                               reviewers: str) -> ReviewersRow:
    """Set who reviews a department's registrations (commits, audited); setting what is set
    changes nothing and writes no audit row."""
    actor = require_section(actor, SECTION)
    if reviewers not in RegistrationReviewers._value2member_map_:
        raise DomainError("invalid_reviewers", "Choose enrollment_admins, dept_admins or both.",
                          field="reviewers")
    dept = session.get(Department, department_id)
    if dept is None:
        raise not_found("department", department_id)
    if dept.registration_reviewers != reviewers:
        before = dept.registration_reviewers
        dept.registration_reviewers, dept.updated_at = reviewers, utcnow()
        session.add(dept)
        record_audit(session=session, actor=actor, action="department.registration_reviewers",
                     entity_type="department", entity_id=department_id,
                     before={"registration_reviewers": before},
                     after={"registration_reviewers": reviewers})
        session.commit()
        session.refresh(dept)
    return _row(dept)


def reviewed_elsewhere(*, session: Session, actor: Actor | None) -> str:
    """For the queue page: the departments granted to a dept-admin or enrollment admin whose
    registrations others review (their setting names the other role), said in a sentence;
    "" when there are none."""
    actor = require_section(actor, "registrations")
    if actor.is_super_admin:
        return ""
    parents = department_parents(session=session)
    granted: set[int] = set()
    for role in (RoleName.ENROLLMENT_ADMIN, RoleName.DEPT_ADMIN):
        granted |= actor.departments_for(role, parents) or frozenset()
    others = granted - (queue_scope(session, actor) or frozenset())
    if not others:
        return ""
    rows = [_row(d) for d in session.exec(select(Department).where(
        col(Department.id).in_(others)).order_by(col(Department.name)))]
    said = "; ".join(f"{r.department}: {r.label.lower()}" for r in rows)
    return (f"Registrations of these departments are reviewed by others ({said}). A super "
            "admin or billing admin sets who reviews each department's registrations.")
