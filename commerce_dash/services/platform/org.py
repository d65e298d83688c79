"""Departments and courses with modules (programs with ordered courses are in
``services/catalog/programs.py``).

This module holds the departments and is the organisation's public face: the department tree
and admin scope (``org_scope.py``) and courses (``courses.py``) are re-exported, so callers
import them from here.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, select

from commerce_dash.domain.access import would_create_cycle
from commerce_dash.domain.actor import Actor
from commerce_dash.domain.errors import DomainError, ErrorKind, not_found
from commerce_dash.models.catalog import Department
from commerce_dash.services.platform.audit import add_created, save_change
from commerce_dash.services.platform.courses import (
    ModuleSpec,
    course_options,
    create_course,
    list_courses,
    set_course_published,
    update_course,
)
from commerce_dash.services.platform.org_scope import (
    clean_code,
    department_parents,
    require_new_code,
    require_text,
)

__all__ = [
    "ModuleSpec",
    "clean_code",
    "course_options",
    "create_course",
    "create_department",
    "department_options",
    "department_parents",
    "list_courses",
    "move_department",
    "require_new_code",
    "require_text",
    "set_course_published",
    "update_course",
]


def create_department(
    *,
    session: Session,
    actor: Actor,
    code: str,
    name: str,
    description: str = "",
    parent_id: int | None = None,
    approval_required: bool | None = None,
) -> Department:
    """A new department (a subdepartment when ``parent_id`` is given); super-admins only."""
    if not actor.is_super_admin:
        raise DomainError(
            "forbidden", "Only super-admins create departments.", kind=ErrorKind.FORBIDDEN
        )
    code = clean_code(code)
    name = require_text(name, "name", "department name", 120)
    if parent_id is not None and session.get(Department, parent_id) is None:
        raise not_found("department", parent_id)
    require_new_code(session, Department, code, "department")
    dept = Department(
        code=code,
        name=name,
        description=description.strip(),
        parent_id=parent_id,
        approval_required=approval_required,
    )
    add_created(session=session, actor=actor, row=dept, action="department.created",
                entity_type="department",
                after={"code": code, "name": name, "parent_id": parent_id})
    session.commit()
    return dept


def move_department(
    *, session: Session, actor: Actor, department_id: int, parent_id: int | None
) -> Department:
    """Change a department's parent, refusing loops."""
    if not actor.is_super_admin:
        raise DomainError(
            "forbidden", "Only super-admins move departments.", kind=ErrorKind.FORBIDDEN
        )
    dept = session.get(Department, department_id)
    if dept is None:
        raise not_found("department", department_id)
    if parent_id is not None and would_create_cycle(
        department_parents(session=session), department_id, parent_id
    ):
        raise DomainError("department_cycle", "A department cannot sit below itself.")
    before = dept.parent_id
    dept.parent_id = parent_id
    save_change(
        session=session,
        actor=actor,
        row=dept,
        action="department.moved",
        entity_type="department",
        entity_id=department_id,
        before={"parent_id": before},
        after={"parent_id": parent_id},
    )
    return dept


def department_options(
    *, session: Session, within: Iterable[int] | None = None
) -> list[tuple[int, str]]:
    """(id, label) for every department (or those ``within``), subdepartments labelled
    'Parent / Child'."""
    rows = session.exec(select(Department.id, Department.name, Department.parent_id)).all()
    names = {d: n for d, n, _ in rows}
    keep = None if within is None else set(within)
    labels = [
        (d, f"{names[p]} / {n}" if p in names else n)
        for d, n, p in rows
        if d is not None and (keep is None or d in keep)
    ]
    return sorted(labels, key=lambda item: item[1].lower())
