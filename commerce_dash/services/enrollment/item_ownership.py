"""Which catalog items a learner owns, for a whole page of them at once (the catalog grid,
search results, a department's courses, an item page, the catalog API).

The rule is ``ownership.py``'s: a course is owned while the learner holds it
(``owned_course_ids``); a program is owned when every one of its courses is (one with some
courses owned is still for sale, at a lower price). A page asks once for all its items: a
fixed number of queries (the learner's holdings, the programs' courses), never one per card.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session

from commerce_dash.services.enrollment.ownership import owned_course_ids, program_courses

Item = tuple[str, int]  # ("course" | "program", id)


def program_owned(courses: Iterable[int], owned: set[int]) -> bool:
    """A program is owned when it has courses and the learner owns every one of them."""
    wanted = set(courses)
    return bool(wanted) and wanted <= owned


def owned_items(*, session: Session, user_id: int | None, items: Iterable[Item]) -> set[Item]:
    """The ``items`` (course or program, id) the learner owns; none for a visitor."""
    items = list(items)
    if user_id is None or not items:
        return set()
    owned = owned_course_ids(session=session, user_id=user_id)
    if not owned:
        return set()
    programs = [item_id for kind, item_id in items if kind == "program"]
    courses_of = program_courses(session=session, program_ids=programs) if programs else {}
    return {
        (kind, item_id)
        for kind, item_id in items
        if (kind == "course" and item_id in owned)
        or (kind == "program" and program_owned(courses_of.get(item_id, ()), owned))
    }
