"""What a learner already owns: courses bought in a completed order, directly or in a program.

Later issues (registrations, enrollments, subscriptions) widen this; every "already owned"
check in the cart and at checkout goes through here.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, col, select

from commerce_dash.domain.orders import OrderStatus
from commerce_dash.models.catalog import ProgramCourse
from commerce_dash.models.commerce import Order, OrderLine

# Orders whose items the learner keeps (a partial refund keeps the lines not refunded;
# line-level refunds arrive with the refund issue).
_OWNING = (OrderStatus.COMPLETED.value, OrderStatus.PARTIALLY_REFUNDED.value)


def owned_course_ids(*, session: Session, user_id: int) -> set[int]:
    """Every course the learner owns (bought alone or as part of a program)."""
    bought = session.exec(
        select(OrderLine.item_type, OrderLine.item_id)
        .join(Order, col(OrderLine.order_id) == Order.id)
        .where(Order.user_id == user_id, col(Order.status).in_(_OWNING))
    ).all()
    courses = {item_id for kind, item_id in bought if kind == "course"}
    programs = [item_id for kind, item_id in bought if kind == "program"]
    if programs:
        courses |= set(
            session.exec(
                select(ProgramCourse.course_id).where(col(ProgramCourse.program_id).in_(programs))
            ).all()
        )
    return courses


def program_course_ids(*, session: Session, program_ids: Iterable[int]) -> dict[int, set[int]]:
    ids = list(program_ids)
    result: dict[int, set[int]] = {pid: set() for pid in ids}
    if ids:
        for program_id, course_id in session.exec(
            select(ProgramCourse.program_id, ProgramCourse.course_id).where(
                col(ProgramCourse.program_id).in_(ids)
            )
        ).all():
            result[program_id].add(course_id)
    return result
