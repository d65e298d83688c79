"""What the discount-code form and table need to show: items a code can list, item counts."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func
from sqlmodel import Session, col, select

from commerce_dash.models.catalog import Course, Program
from commerce_dash.models.pricing import DiscountCodeItem


def item_options(
    *, session: Session, departments: frozenset[int] | None = None
) -> list[tuple[str, int, str]]:
    """(item_type, id, label) for every course and program a 'listed' code can name (within
    ``departments`` when given: a dept-admin's own).

    Drafts are included, marked as such, so a code can be set up before a launch.
    """
    course_query = select(Course.id, Course.code, Course.title, Course.published)
    program_query = select(Program.id, Program.code, Program.title, Program.published)
    if departments is not None:
        course_query = course_query.where(col(Course.department_id).in_(departments or {0}))
        program_query = program_query.where(col(Program.department_id).in_(departments or {0}))
    courses = session.exec(course_query).all()
    programs = session.exec(program_query).all()
    options = [
        (item_type, item_id, f"{kind} · {code} — {title}{'' if published else ' (draft)'}")
        for item_type, kind, rows in (
            ("course", "Course", courses),
            ("program", "Program", programs),
        )
        for item_id, code, title, published in rows
        if item_id is not None
    ]
    return sorted(options, key=lambda option: (option[0], option[2].lower()))


def listed_item_counts(*, session: Session, code_ids: Sequence[int]) -> dict[int, int]:
    """How many courses and programs each of ``code_ids`` lists (codes listing none are absent)."""
    if not code_ids:
        return {}
    rows = session.exec(
        select(DiscountCodeItem.code_id, func.count())
        .where(col(DiscountCodeItem.code_id).in_(list(code_ids)))
        .group_by(col(DiscountCodeItem.code_id))
    ).all()
    return {code_id: int(count) for code_id, count in rows}
