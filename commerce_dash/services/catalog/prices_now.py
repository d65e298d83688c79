"""The prices in force now: the SQL condition, the prices of courses and items, and a
program's savings against its courses bought one by one.

Re-exported by ``pricing.py``, the prices' public face.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import and_, or_
from sqlmodel import Session, col, select

from commerce_dash.domain.pricing import BundleSavings, ItemType, bundle_savings
from commerce_dash.models.catalog import Course, ProgramCourse
from commerce_dash.models.pricing import Price


def course_prices_in_force(
    *, session: Session, course_ids: Sequence[int], currency: str, at: datetime
) -> dict[int, int]:
    """Amount in force at ``at`` for each course that has one in ``currency``."""
    return prices_in_force(session=session, item_type=ItemType.COURSE, item_ids=course_ids,
                           currency=currency, at=at)


def in_force_clause(at: datetime):  # type: ignore[no-untyped-def]
    """SQL condition: the price row covers ``at`` and is not deactivated."""
    return and_(
        col(Price.deactivated_at).is_(None),
        col(Price.effective_from) <= at,
        or_(col(Price.effective_until).is_(None), col(Price.effective_until) > at),
    )


def prices_in_force(
    *, session: Session, item_type: str, item_ids: Iterable[int], currency: str, at: datetime,
    interval: str = "",
) -> dict[int, int]:
    """Item id -> amount in force at ``at`` (one query). The rule: a price covering ``at``
    (``in_force_clause``); should several, the latest start, then the highest id, wins
    (``prices_table`` keeps the same answer ready for now)."""
    ids = list(item_ids)
    if not ids:
        return {}
    rows = session.exec(
        select(Price.item_id, Price.amount).where(
            Price.item_type == item_type, col(Price.item_id).in_(ids),
            Price.currency == currency, Price.interval == interval, in_force_clause(at),
        ).order_by(col(Price.effective_from), col(Price.id))
    ).all()
    return {item_id: amount for item_id, amount in rows}


def program_course_prices(
    session: Session, program_id: int, currency: str, at: datetime
) -> list[tuple[str, int | None]]:
    """(title, amount in force at ``at`` or None) of each course of the program, in order."""
    courses = session.exec(
        select(ProgramCourse.course_id, Course.title)
        .join(Course, col(ProgramCourse.course_id) == Course.id)
        .where(ProgramCourse.program_id == program_id)
        .order_by(col(ProgramCourse.position))
    ).all()
    amounts = course_prices_in_force(session=session, course_ids=[c for c, _ in courses],
                                     currency=currency, at=at)
    return [(t, amounts.get(c)) for c, t in courses]


def program_savings(
    *, session: Session, program_id: int, bundle_price: int, currency: str, at: datetime
) -> BundleSavings:
    """Savings of the program at ``bundle_price`` against its courses in force at ``at``."""
    return bundle_savings(program_course_prices(session, program_id, currency, at),
                          bundle_price, currency)
