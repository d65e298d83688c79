"""Approval rules: which departments' registrations wait for an administrator's approval.

Re-exported by ``registrations.py``, the registrations' public face.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from commerce_dash.domain.actor import Actor
from commerce_dash.domain.errors import not_found
from commerce_dash.domain.registrations import approval_required
from commerce_dash.models.catalog import Department
from commerce_dash.services.platform import (
    department_options,
    department_parents,
    managed_departments,
    require_managed,
    save_change,
)


def approval_settings(session: Session) -> tuple[dict[int, bool | None], dict[int, int | None]]:
    rows = session.exec(select(Department.id, Department.approval_required)).all()
    return {d: a for d, a in rows if d is not None}, department_parents(session=session)


@dataclass(frozen=True)
class ApprovalRule:
    department_id: int
    department: str
    setting: bool | None  # None: follows the parent department
    effective: bool


def approval_rules(*, session: Session, actor: Actor | None) -> list[ApprovalRule]:
    """The approval rule of each department the actor manages (dept-admins: theirs)."""
    scope = managed_departments(session=session, actor=actor, section="courses")
    settings_by_dept, parents = approval_settings(session)
    return [
        ApprovalRule(dept_id, label, settings_by_dept.get(dept_id),
                     approval_required(None, dept_id, settings_by_dept, parents))
        for dept_id, label in department_options(session=session, within=scope)
    ]


def set_department_approval(*, session: Session, actor: Actor | None, department_id: int,
                            setting: bool | None) -> ApprovalRule:
    """Set (or clear, to inherit) whether registrations of a department wait for approval."""
    actor = require_managed(session, actor, "courses", department_id)
    department = session.get(Department, department_id)
    if department is None:
        raise not_found("department", department_id)
    before = department.approval_required
    department.approval_required = setting
    save_change(session=session, actor=actor, row=department,
                action="department.approval_rule_changed", entity_type="department",
                entity_id=department_id, before={"approval_required": before},
                after={"approval_required": setting})
    rule = next(r for r in approval_rules(session=session, actor=actor)
                if r.department_id == department_id)
    return rule
