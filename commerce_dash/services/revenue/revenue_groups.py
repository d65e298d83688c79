"""The rows of a revenue report: which ledger rows a group gathers (its key in SQL) and what
the group is called.

Subscription revenue has no course, creator or instructor (a paid subscription invoice is the
revenue of its plan's department). Grouped by course, creator or instructor, it is one row per
department, "<Department> subscriptions", rather than folded into "Unassigned": every grouping
shows the same totals and a billing admin sees where subscription money sits. In SQL such a
row's key is the department's id negated (ids are positive), so the report stays one integer
GROUP BY; in the report it is ``subscriptions:<department id>``.

By program (CAT-009), a program's revenue is its bundle sales: the ledger rows of order lines
that sold the program (each course of the bundle has its row, all keyed to the program), less
their refunds. A course of the program bought on its own stays with that course: it is in the
row "Courses sold on their own", so a sale is never counted twice and every grouping shows the
same totals.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, case, select
from sqlmodel import Session, col

from commerce_dash.models.accounts import User
from commerce_dash.models.catalog import Course, Department, Program
from commerce_dash.models.commerce import OrderLine
from commerce_dash.models.revenue import LedgerEntry
from commerce_dash.services.revenue.payouts import subscription_label

UNASSIGNED = "Unassigned"
NOT_IN_A_PROGRAM = "Courses sold on their own"
SUBSCRIPTIONS = "subscriptions:"  # the key prefix of a department's subscription row
_BY_ITEM = ("course", "creator", "instructor", "program")


def group_column(group_by: str, month: ColumnElement[Any]) -> ColumnElement[Any]:
    """The group key of a ledger row in SQL (see the module's docstring for subscriptions)."""
    le = LedgerEntry
    columns: dict[str, Any] = {
        "course": col(le.course_id),
        "creator": col(le.creator_id),
        "instructor": col(le.instructor_id),
        "department": col(le.department_id),
        "month": month,
        # needs the order line joined (see ``needs_order_line``)
        "program": case((col(OrderLine.item_type) == "program", col(OrderLine.item_id)),
                        else_=None),
    }
    if group_by in _BY_ITEM:
        return case((col(le.course_id).is_(None), -col(le.department_id)),
                    else_=columns[group_by])
    return columns[group_by]  # type: ignore[no-any-return]


def needs_order_line(group_by: str) -> bool:
    """Whether the group key reads the ledger row's order line (by program)."""
    return group_by == "program"


def order_line_join() -> ColumnElement[bool]:
    return col(OrderLine.id) == col(LedgerEntry.order_line_id)


def key_namer(group_by: str, month_name: Callable[[Any], str]) -> Callable[[Any], str]:
    """The report's key of a raw group key: the month, the id as text, ``""`` for unassigned,
    ``subscriptions:<department id>`` for a department's subscriptions."""
    if group_by == "month":
        return month_name

    def name(value: Any) -> str:
        if value is None:
            return ""
        number = int(value)
        return f"{SUBSCRIPTIONS}{-number}" if number < 0 else str(number)

    return name


def is_subscriptions(key: str) -> bool:
    return key.startswith(SUBSCRIPTIONS)


def item_ids(keys: list[str]) -> list[int]:
    """The course or person ids among report keys (not unassigned, not subscriptions)."""
    return [int(k) for k in keys if k and not is_subscriptions(k)]


def labels(session: Session, group_by: str, keys: list[str]) -> dict[str, str]:
    """The label of each key: a course as "CODE · Title", a person or department by name, a
    department's subscriptions as "<Department> subscriptions"."""
    found: dict[str, str] = {"": NOT_IN_A_PROGRAM if group_by == "program" else UNASSIGNED}
    if group_by == "month":
        return found | {k: k for k in keys}
    run = session.connection().execute
    departments = [int(k.removeprefix(SUBSCRIPTIONS)) for k in keys if is_subscriptions(k)]
    if departments:
        found |= {f"{SUBSCRIPTIONS}{i}": subscription_label(name) for i, name in run(
            select(col(Department.id), col(Department.name))
            .where(col(Department.id).in_(departments))).all()}
    ids = item_ids(keys)
    if not ids:
        return found
    if group_by in ("course", "program"):
        item = Course if group_by == "course" else Program
        rows = run(select(col(item.id), col(item.code), col(item.title))
                   .where(col(item.id).in_(ids))).all()
        return found | {str(i): f"{code} · {title}" for i, code, title in rows}
    if group_by == "department":
        named = run(select(col(Department.id), col(Department.name))
                    .where(col(Department.id).in_(ids))).all()
    else:
        named = run(select(col(User.id), col(User.full_name)).where(col(User.id).in_(ids))).all()
    return found | {str(i): name for i, name in named}
