"""What a learner can book with the credits they hold: upcoming private slots of a credit's
length and group classes of the departments their usable credits belong to, with a free seat,
soonest first (the "Use a credit" list of My schedule)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_
from sqlmodel import Session, col, select

from commerce_dash.domain.clock import ensure_utc, utcnow
from commerce_dash.domain.sessions import CreditKind
from commerce_dash.models.accounts import User
from commerce_dash.models.catalog import Department
from commerce_dash.models.sessions import Booking, LiveSession, SessionCredit

__all__ = ["BookableRow", "bookable_with_credits"]


@dataclass(frozen=True)
class BookableRow:
    session_id: int
    title: str
    kind: str  # private | group
    department: str
    instructor_name: str
    starts_at: datetime
    ends_at: datetime
    time_zone: str  # the session's
    minutes: int
    seats_left: int
    location: str


def bookable_with_credits(session: Session, *, user_id: int, now: datetime | None = None,
                          limit: int = 50) -> list[BookableRow]:
    """Sessions the learner's available, unexpired credits can pay for (none: empty)."""
    now = ensure_utc(now or utcnow())
    held = session.exec(
        select(SessionCredit.department_id, SessionCredit.kind, SessionCredit.minutes)
        .where(SessionCredit.user_id == user_id, SessionCredit.status == "available",
               or_(col(SessionCredit.expires_at).is_(None), col(SessionCredit.expires_at) > now))
        .distinct()
    ).all()
    if not held:
        return []
    wanted = [and_(col(LiveSession.department_id) == department_id,
                   col(LiveSession.kind) == ("group" if kind == CreditKind.GROUP.value
                                             else "private"))
              for department_id, kind, _minutes in held]
    private_lengths: dict[int, set[int]] = {}
    for department_id, kind, minutes in held:
        if kind == CreditKind.PRIVATE.value:
            private_lengths.setdefault(department_id, set()).add(minutes)
    booked = select(Booking.session_id).where(Booking.user_id == user_id,
                                              Booking.status == "booked")
    rows = session.exec(
        select(LiveSession, Department.name, User.full_name)
        .join(Department, col(Department.id) == LiveSession.department_id)
        .outerjoin(User, col(User.id) == LiveSession.instructor_id)
        .where(LiveSession.status == "scheduled", col(LiveSession.starts_at) > now,
               col(LiveSession.seats_booked) < col(LiveSession.capacity), or_(*wanted),
               col(LiveSession.id).not_in(booked))
        .order_by(col(LiveSession.starts_at), col(LiveSession.id))
        .limit(limit * 4)
    ).all()
    found: list[BookableRow] = []
    for live, department, instructor in rows:
        assert live.id is not None
        minutes = int((ensure_utc(live.ends_at) - ensure_utc(live.starts_at)).total_seconds()
                      // 60)
        if live.kind == "private" and minutes not in private_lengths.get(live.department_id,
                                                                         set()):
            continue
        found.append(BookableRow(
            session_id=live.id, title=live.title, kind=live.kind, department=department,
            instructor_name=instructor or "", starts_at=live.starts_at, ends_at=live.ends_at,
            time_zone=live.time_zone, minutes=minutes,
            seats_left=live.capacity - live.seats_booked, location=live.location))
        if len(found) >= limit:
            break
    return found
