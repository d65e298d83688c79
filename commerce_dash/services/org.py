"""Departments, courses with modules and programs with ordered courses."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session, col, select

from commerce_dash.domain.access import RoleName, would_create_cycle
from commerce_dash.domain.actor import Actor
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.errors import DomainError, ErrorKind, not_found
from commerce_dash.models.catalog import Course, CourseModule, Department, Program, ProgramCourse
from commerce_dash.services.audit import record_audit


@dataclass(frozen=True)
class ModuleSpec:
    title: str
    summary: str = ""
    estimated_minutes: int = 0


def department_parents(*, session: Session) -> dict[int, int | None]:
    """Every department id mapped to its parent id."""
    return {d: p for d, p in session.exec(select(Department.id, Department.parent_id)).all() if d}


def _clean_code(code: str) -> str:
    code = (code or "").strip().upper()
    if not code or len(code) > 32 or not all(c.isalnum() or c in "-_" for c in code):
        raise DomainError(
            "invalid_code",
            "Use 1-32 letters, digits, '-' or '_' for the code.",
            field="code",
        )
    return code


def _require_text(value: str, field: str, label: str, limit: int) -> str:
    text = " ".join((value or "").split())
    if not text:
        raise DomainError(f"{field}_required", f"Enter a {label}.", field=field)
    if len(text) > limit:
        raise DomainError(f"{field}_too_long", f"Use at most {limit} characters.", field=field)
    return text


def _require_department_admin(session: Session, actor: Actor, department_id: int) -> None:
    if actor.is_super_admin:
        return
    allowed = actor.departments_for(RoleName.DEPT_ADMIN, department_parents(session=session))
    if allowed is not None and department_id not in allowed:
        raise DomainError(
            "forbidden", "You can only manage your own departments.", kind=ErrorKind.FORBIDDEN
        )
    if allowed is None and not actor.has_role(RoleName.DEPT_ADMIN):
        raise DomainError("forbidden", "You cannot manage departments.", kind=ErrorKind.FORBIDDEN)


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
    code = _clean_code(code)
    name = _require_text(name, "name", "department name", 120)
    if parent_id is not None and session.get(Department, parent_id) is None:
        raise not_found("department", parent_id)
    if session.exec(select(Department.id).where(Department.code == code)).first():
        raise DomainError(
            "code_taken",
            f"A department with code {code} exists.",
            kind=ErrorKind.CONFLICT,
            field="code",
        )
    dept = Department(
        code=code,
        name=name,
        description=description.strip(),
        parent_id=parent_id,
        approval_required=approval_required,
    )
    session.add(dept)
    session.flush()
    record_audit(
        session=session,
        actor=actor,
        action="department.created",
        entity_type="department",
        entity_id=dept.id,
        after={"code": code, "name": name, "parent_id": parent_id},
    )
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
    dept.updated_at = utcnow()
    session.add(dept)
    record_audit(
        session=session,
        actor=actor,
        action="department.moved",
        entity_type="department",
        entity_id=department_id,
        before={"parent_id": before},
        after={"parent_id": parent_id},
    )
    session.commit()
    return dept


def create_course(
    *,
    session: Session,
    actor: Actor,
    code: str,
    title: str,
    department_id: int,
    description: str = "",
    category: str = "",
    instructor_id: int | None = None,
    content_creator_id: int | None = None,
    published: bool = False,
    thumbnail_url: str = "",
    estimated_minutes: int = 0,
    approval_required: bool | None = None,
    modules: Sequence[ModuleSpec] = (),
) -> Course:
    """A course with its modules in the given order."""
    if session.get(Department, department_id) is None:
        raise not_found("department", department_id)
    _require_department_admin(session, actor, department_id)
    code = _clean_code(code)
    title = _require_text(title, "title", "course title", 200)
    if estimated_minutes < 0:
        raise DomainError(
            "invalid_duration", "The duration cannot be negative.", field="estimated_minutes"
        )
    if session.exec(select(Course.id).where(Course.code == code)).first():
        raise DomainError(
            "code_taken",
            f"A course with code {code} exists.",
            kind=ErrorKind.CONFLICT,
            field="code",
        )
    course = Course(
        code=code,
        title=title,
        description=description.strip(),
        category=category.strip(),
        department_id=department_id,
        instructor_id=instructor_id,
        content_creator_id=content_creator_id,
        published=published,
        thumbnail_url=thumbnail_url,
        estimated_minutes=estimated_minutes,
        approval_required=approval_required,
    )
    session.add(course)
    session.flush()
    assert course.id is not None
    for position, spec in enumerate(modules, start=1):
        session.add(
            CourseModule(
                course_id=course.id,
                position=position,
                title=_require_text(spec.title, "module_title", "module title", 200),
                summary=spec.summary,
                estimated_minutes=max(0, spec.estimated_minutes),
            )
        )
    record_audit(
        session=session,
        actor=actor,
        action="course.created",
        entity_type="course",
        entity_id=course.id,
        after={
            "code": code,
            "title": title,
            "department_id": department_id,
            "published": published,
            "modules": len(modules),
        },
    )
    session.commit()
    return course


def create_program(
    *,
    session: Session,
    actor: Actor,
    code: str,
    title: str,
    department_id: int,
    course_ids: Sequence[int],
    description: str = "",
    published: bool = False,
    thumbnail_url: str = "",
) -> Program:
    """A program holding ``course_ids`` in that order (a course may be in several programs)."""
    if session.get(Department, department_id) is None:
        raise not_found("department", department_id)
    _require_department_admin(session, actor, department_id)
    code = _clean_code(code)
    title = _require_text(title, "title", "program title", 200)
    if len(course_ids) < 2:
        raise DomainError(
            "program_too_small", "A program holds at least two courses.", field="course_ids"
        )
    if len(set(course_ids)) != len(course_ids):
        raise DomainError(
            "duplicate_course", "A course appears twice in the program.", field="course_ids"
        )
    found = set(session.exec(select(Course.id).where(col(Course.id).in_(course_ids))).all())
    missing = [c for c in course_ids if c not in found]
    if missing:
        raise not_found("course", missing[0])
    if session.exec(select(Program.id).where(Program.code == code)).first():
        raise DomainError(
            "code_taken",
            f"A program with code {code} exists.",
            kind=ErrorKind.CONFLICT,
            field="code",
        )
    program = Program(
        code=code,
        title=title,
        description=description.strip(),
        department_id=department_id,
        published=published,
        thumbnail_url=thumbnail_url,
    )
    session.add(program)
    session.flush()
    assert program.id is not None
    for position, course_id in enumerate(course_ids, start=1):
        session.add(ProgramCourse(program_id=program.id, course_id=course_id, position=position))
    record_audit(
        session=session,
        actor=actor,
        action="program.created",
        entity_type="program",
        entity_id=program.id,
        after={"code": code, "title": title, "course_ids": list(course_ids)},
    )
    session.commit()
    return program


def department_options(*, session: Session) -> list[tuple[int, str]]:
    """(id, label) for every department, subdepartments labelled 'Parent / Child'."""
    rows = session.exec(select(Department.id, Department.name, Department.parent_id)).all()
    names = {d: n for d, n, _ in rows}
    labels = [(d, f"{names[p]} / {n}" if p in names else n) for d, n, p in rows if d is not None]
    return sorted(labels, key=lambda item: item[1].lower())
