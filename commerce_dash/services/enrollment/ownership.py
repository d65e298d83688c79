"""What a learner owns, and through what: the one answer the catalog, the cart, checkout,
payment and registration creation all ask.

A course is owned while the learner holds a live registration for it (pending approval,
approved or enrolled: bought alone or in a program, in a completed order whose line was not
refunded, or self-enrolled with a subscription) or a live enrollment given another way (a
manual grant). A
refund that gives a line back cancels its registrations, and a rejection rejects them, so
the course can be bought again. Pending orders own nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlmodel import Session, col, select

from commerce_dash.domain.registrations import EnrollmentStatus, RegistrationStatus
from commerce_dash.models.catalog import ProgramCourse
from commerce_dash.models.commerce import Order, OrderLine
from commerce_dash.models.enrollment import Enrollment, Registration
from commerce_dash.services.catalog import course_titles

_LIVE_REGISTRATIONS = (RegistrationStatus.PENDING.value, RegistrationStatus.APPROVED.value,
                       RegistrationStatus.ENROLLED.value)
_LIVE_ENROLLMENTS = (EnrollmentStatus.PENDING.value, EnrollmentStatus.ACTIVE.value)


@dataclass(frozen=True)
class Holding:
    """Why a learner owns a course: ``source`` is purchase (a course line), program (a
    program line), subscription (self-enrolled while a subscription gives access) or grant
    (an enrollment given by an admin);
    ``order_id`` is the order that bought it, when one did."""

    course_id: int
    source: str
    order_id: int | None = None


def owned_courses(*, session: Session, user_id: int,
                  except_order_id: int | None = None) -> dict[int, Holding]:
    """Every course the learner owns, with how (``except_order_id``: as if that order had
    not happened, to find what another order already gives)."""
    query = select(Registration.course_id, Registration.program_id, Registration.order_id,
                   Registration.source).where(
        Registration.user_id == user_id, Registration.kind == "course",
        col(Registration.status).in_(_LIVE_REGISTRATIONS))
    if except_order_id is not None:
        query = query.where(col(Registration.order_id).is_distinct_from(except_order_id))
    held: dict[int, Holding] = {}
    for course_id, program_id, order_id, source in session.exec(query).all():
        if course_id is not None:
            how = ("subscription" if source == "subscription"
                   else "program" if program_id is not None else "purchase")
            held.setdefault(course_id, Holding(course_id, how, order_id))
    granted = session.exec(select(Enrollment.course_id).where(
        Enrollment.user_id == user_id, Enrollment.source != "registration",
        col(Enrollment.status).in_(_LIVE_ENROLLMENTS))).all()
    for course_id in granted:
        held.setdefault(course_id, Holding(course_id, "grant"))
    return held


def owned_course_ids(*, session: Session, user_id: int) -> set[int]:
    """The ids of every course the learner owns (see :func:`owned_courses`)."""
    return set(owned_courses(session=session, user_id=user_id))


def program_course_ids(*, session: Session, program_ids: Iterable[int]) -> dict[int, set[int]]:
    """The courses of each program."""
    return {pid: set(courses) for pid, courses in
            program_courses(session=session, program_ids=program_ids).items()}


def program_courses(*, session: Session, program_ids: Iterable[int]) -> dict[int, list[int]]:
    """The courses of each program, in the program's order."""
    ids = list(program_ids)
    result: dict[int, list[int]] = {pid: [] for pid in ids}
    if ids:
        for program_id, course_id in session.exec(
            select(ProgramCourse.program_id, ProgramCourse.course_id)
            .where(col(ProgramCourse.program_id).in_(ids))
            .order_by(col(ProgramCourse.program_id), col(ProgramCourse.position))
        ).all():
            result[program_id].append(course_id)
    return result


@dataclass(frozen=True)
class Duplicate:
    """Something an order sells that its learner already owns through something else: a
    whole line (``course_id`` None) or one course of a program line."""

    order_line_id: int
    course_id: int | None
    title: str
    owned_through: Holding


def owned_elsewhere(*, session: Session, order: Order, lines: Sequence[OrderLine]
                    ) -> list[Duplicate]:
    """What of ``order`` its learner owns through another order or a grant.

    A program line's courses that were owned when it was bought are not sold by it
    (``owned_course_ids``) and never count; when every course it still sells is owned, the
    whole line is the duplicate.
    """
    assert order.id is not None
    if not any(line.item_type in ("course", "program") for line in lines):
        return []  # nothing bought can be owned twice (a subscription's invoice, say)
    held = owned_courses(session=session, user_id=order.user_id, except_order_id=order.id)
    if not held:
        return []
    programs = program_courses(session=session, program_ids=[
        line.item_id for line in lines if line.item_type == "program"])
    found: list[Duplicate] = []
    for line in lines:
        assert line.id is not None
        if line.item_type == "course":
            if line.item_id in held:
                found.append(Duplicate(line.id, None, line.title, held[line.item_id]))
            continue
        excluded = set(line.owned_course_ids or ())
        sold = [c for c in programs.get(line.item_id, []) if c not in excluded]
        twice = [c for c in sold if c in held]
        if twice and len(twice) == len(sold):
            found.append(Duplicate(line.id, None, line.title, held[twice[0]]))
        else:
            titles = course_titles(session=session, course_ids=twice)
            found += [Duplicate(line.id, c, titles.get(c, ""), held[c]) for c in twice]
    return found
