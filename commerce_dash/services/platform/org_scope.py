"""The department tree and who manages what in it (an admin section's departments, checked
per department), and the text rules shared by departments, courses and programs.

Re-exported by ``org.py``, the organisation's public face.
"""

from __future__ import annotations

from sqlmodel import Session, select

from commerce_dash.domain.access import RoleName
from commerce_dash.domain.actor import Actor, require_section
from commerce_dash.domain.errors import DomainError, ErrorKind
from commerce_dash.models.catalog import Course, Department, Program

# Billing admins work on every department's programs and prices; dept-admins on their own.
_BILLING_WIDE_SECTIONS = frozenset({"programs", "pricing", "revenue"})


def department_parents(*, session: Session) -> dict[int, int | None]:
    """Every department id mapped to its parent id."""
    return {d: p for d, p in session.exec(select(Department.id, Department.parent_id)).all() if d}


def clean_code(code: str) -> str:
    code = (code or "").strip().upper()
    if not code or len(code) > 32 or not all(c.isalnum() or c in "-_" for c in code):
        raise DomainError(
            "invalid_code",
            "Use 1-32 letters, digits, '-' or '_' for the code.",
            field="code",
        )
    return code


def require_text(value: str, field: str, label: str, limit: int) -> str:
    text = " ".join((value or "").split())
    if not text:
        raise DomainError(f"{field}_required", f"Enter a {label}.", field=field)
    if len(text) > limit:
        raise DomainError(f"{field}_too_long", f"Use at most {limit} characters.", field=field)
    return text


def require_new_code(
    session: Session, model: type[Department] | type[Course] | type[Program], code: str,
    noun: str,
) -> None:
    """Refuse a code another department, course or program (per ``model``) already has."""
    if session.exec(select(model.id).where(model.code == code)).first():
        raise DomainError(
            "code_taken",
            f"A {noun} with code {code} exists.",
            kind=ErrorKind.CONFLICT,
            field="code",
        )


def managed_departments(
    *, session: Session, actor: Actor | None, section: str
) -> frozenset[int] | None:
    """Departments whose items the actor manages in an admin section; None means all.

    Super-admins manage all; billing admins all for programs and pricing; dept-admins
    the departments they were granted and every subdepartment below them.
    """
    actor = require_section(actor, section)
    if actor.is_super_admin or (
        section in _BILLING_WIDE_SECTIONS and RoleName.BILLING_ADMIN in actor.roles
    ):
        return None
    return actor.departments_for(RoleName.DEPT_ADMIN, department_parents(session=session))


def require_managed(
    session: Session, actor: Actor | None, section: str, department_id: int
) -> Actor:
    allowed = managed_departments(session=session, actor=actor, section=section)
    assert actor is not None
    if allowed is not None and department_id not in allowed:
        raise DomainError(
            "forbidden", "You can only manage your own departments.", kind=ErrorKind.FORBIDDEN
        )
    return actor
