"""What admins see of live sessions (issue 17): the list with its filters, the calendar week in
the viewer's time zone and a session's roster (bookings with attendance, the waitlist).

Each view is scoped to the departments the actor administers and reads in one or two indexed
queries (``models/sessions.py``: by department or instructor and start, by start; bookings
and waitlist entries by session).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, func, or_
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from commerce_dash.domain.access import department_closure
from commerce_dash.domain.actor import Actor
from commerce_dash.domain.clock import EARLIEST_DAY, LATEST_DAY, ensure_utc
from commerce_dash.domain.errors import DomainError, not_found
from commerce_dash.domain.paging import Page, PageRequest
from commerce_dash.domain.sessions import in_zone, zone
from commerce_dash.models.accounts import User
from commerce_dash.models.catalog import Department
from commerce_dash.models.sessions import Booking, LiveSession, WaitlistEntry
from commerce_dash.services.enrollment.live_sessions import (
    CANCELLED,
    GROUP,
    LIVE_WAITLIST,
    PRIVATE,
    SCHEDULED,
    SECTION,
    local_text,
)
from commerce_dash.services.platform import (
    department_parents,
    managed_departments,
    require_managed,
)

_Instructor = aliased(User, name="instructor")
_TEXT_MAX = 200


@dataclass(frozen=True)
class SessionQuery:
    """The admin list's filters; ``date_from``/``date_to`` are days in ``time_zone`` (the
    admin's), both included."""

    department_id: int | None = None
    instructor_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    kind: str = ""  # group | private | "" (both)
    status: str = ""  # scheduled | cancelled | "" (both)
    text: str = ""
    page: int = 1
    page_size: int = 25
    time_zone: str = "UTC"


@dataclass(frozen=True)
class SessionRow:
    id: int
    title: str
    kind: str
    department_id: int
    department: str
    instructor_id: int | None
    instructor: str  # "" without one
    starts_at: datetime  # UTC
    ends_at: datetime  # UTC
    time_zone: str
    local_start: str  # in the session's zone: 'Mon 26 Oct 2026, 09:00 CET'
    local_end: str  # 'HH:MM' in the session's zone
    capacity: int
    seats_booked: int
    seats_left: int
    waitlist_count: int
    status: str
    series_id: str


@dataclass(frozen=True)
class CalendarEntry:
    """A session on a day of the calendar, its times as the viewer reads them."""

    row: SessionRow
    start: str  # 'HH:MM' in the viewer's zone
    end: str


@dataclass(frozen=True)
class CalendarDay:
    day: date  # in the viewer's zone
    label: str  # 'Mon 26 Oct'
    sessions: list[CalendarEntry] = field(default_factory=list)


@dataclass(frozen=True)
class RosterBooking:
    booking_id: int
    user_id: int
    learner: str
    email: str
    status: str  # booked | attended | missed | cancelled
    booked_at: datetime
    attendance: str  # attended | missed | "" (not marked)
    attendance_marked_at: datetime | None
    step_id: int | None
    with_credit: bool


@dataclass(frozen=True)
class RosterWaitlistEntry:
    entry_id: int
    user_id: int
    learner: str
    email: str
    position: int
    status: str  # waiting | offered
    offered_until: datetime | None
    joined_at: datetime


@dataclass(frozen=True)
class Roster:
    session: SessionRow
    bookings: list[RosterBooking]
    waitlist: list[RosterWaitlistEntry]

    @property
    def booked(self) -> int:
        return sum(1 for b in self.bookings if b.status != "cancelled")


# -- the one row query ---------------------------------------------------------------------------


def _rows_query() -> Any:
    waiting = (sa_select(func.count()).select_from(WaitlistEntry)
               .where(col(WaitlistEntry.session_id) == col(LiveSession.id),
                      col(WaitlistEntry.status).in_(LIVE_WAITLIST))
               .correlate(LiveSession).scalar_subquery())
    return (sa_select(LiveSession, col(Department.name), col(_Instructor.full_name), waiting)
            .join(Department, col(Department.id) == col(LiveSession.department_id))
            .outerjoin(_Instructor, col(_Instructor.id) == col(LiveSession.instructor_id)))


def _row(live: LiveSession, department: str, instructor: str | None, waiting: int
         ) -> SessionRow:
    return SessionRow(
        id=live.id or 0, title=live.title, kind=live.kind, department_id=live.department_id,
        department=department, instructor_id=live.instructor_id, instructor=instructor or "",
        starts_at=live.starts_at, ends_at=live.ends_at, time_zone=live.time_zone,
        local_start=local_text(live.starts_at, live.time_zone),
        local_end=f"{in_zone(live.ends_at, live.time_zone):%H:%M}",
        capacity=live.capacity, seats_booked=live.seats_booked,
        seats_left=max(0, live.capacity - live.seats_booked) if live.status == SCHEDULED else 0,
        waitlist_count=int(waiting or 0), status=live.status, series_id=live.series_id)


def _day(day: date, field: str) -> date:
    """``day`` when the app can hold it (with a week either side)."""
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        raise DomainError("invalid_date", f"Choose a day between {EARLIEST_DAY:%Y} and "
                          f"{LATEST_DAY:%Y}.", field=field)
    return day


def _day_start(day: date, time_zone: str) -> datetime:
    """The UTC instant a local day begins (a midnight skipped by a clock change: the first
    instant of that day)."""
    return datetime.combine(day, time(0), tzinfo=zone(time_zone)).astimezone(UTC)


def _scope(session: Session, actor: Actor | None, department_id: int | None,
           instructor_id: int | None) -> list[Any]:
    """The conditions every view shares: the actor's departments (and the chosen one with its
    subdepartments), the instructor."""
    allowed = managed_departments(session=session, actor=actor, section=SECTION)
    conditions: list[Any] = []
    if allowed is not None:
        conditions.append(col(LiveSession.department_id).in_(sorted(allowed)))
    if department_id:
        wanted = department_closure(department_parents(session=session), [department_id])
        conditions.append(col(LiveSession.department_id).in_(sorted(wanted)))
    if instructor_id:
        conditions.append(col(LiveSession.instructor_id) == instructor_id)
    return conditions


# -- views ---------------------------------------------------------------------------------------


def list_sessions(session: Session, *, actor: Actor | None, query: SessionQuery
                  ) -> Page[SessionRow]:
    """One page of the sessions of the actor's departments, by start time, filtered."""
    conditions = _scope(session, actor, query.department_id, query.instructor_id)
    if query.kind:
        if query.kind not in (GROUP, PRIVATE):
            raise DomainError("invalid_kind", "Choose one of: group, private.", field="kind")
        conditions.append(col(LiveSession.kind) == query.kind)
    if query.status:
        if query.status not in (SCHEDULED, CANCELLED):
            raise DomainError("invalid_status", "Choose scheduled or cancelled.",
                              field="status")
        conditions.append(col(LiveSession.status) == query.status)
    date_from = _day(query.date_from, "date_from") if query.date_from else None
    date_to = _day(query.date_to, "date_to") if query.date_to else None
    if date_from and date_to and date_from > date_to:
        raise DomainError("invalid_period", "The first day must not be after the last day.",
                          field="date_from")
    if date_from:
        conditions.append(col(LiveSession.starts_at) >= _day_start(date_from, query.time_zone))
    if date_to:
        conditions.append(col(LiveSession.starts_at)
                          < _day_start(date_to + timedelta(days=1), query.time_zone))
    text = " ".join((query.text or "").split())[:_TEXT_MAX]
    if text:
        pattern = f"%{text}%"
        conditions.append(or_(col(LiveSession.title).ilike(pattern),
                              col(_Instructor.full_name).ilike(pattern)))
    page = PageRequest.clamp(query.page, query.page_size)
    where = and_(True, *conditions)
    total = session.execute(
        sa_select(func.count(col(LiveSession.id))).select_from(LiveSession)
        .outerjoin(_Instructor, col(_Instructor.id) == col(LiveSession.instructor_id))
        .where(where)).scalar_one()
    found = session.execute(
        _rows_query().where(where)
        .order_by(col(LiveSession.starts_at), col(LiveSession.id))
        .offset(page.offset).limit(page.page_size)).all()
    return Page([_row(*r) for r in found], int(total), page.page, page.page_size)


def calendar_week(session: Session, *, actor: Actor | None, week_start: date, time_zone: str,
                  department_id: int | None = None, instructor_id: int | None = None
                  ) -> list[CalendarDay]:
    """Seven days from ``week_start`` in the viewer's ``time_zone``, each with the sessions
    starting that local day (cancelled ones included, marked by their status), by start."""
    conditions = _scope(session, actor, department_id, instructor_id)
    _day(week_start, "week_start")
    begins = _day_start(week_start, time_zone)
    ends = _day_start(week_start + timedelta(days=7), time_zone)
    found = session.execute(
        _rows_query().where(col(LiveSession.starts_at) >= begins,
                            col(LiveSession.starts_at) < ends, *conditions)
        .order_by(col(LiveSession.starts_at), col(LiveSession.id))).all()
    days = [CalendarDay(week_start + timedelta(days=n),
                        f"{week_start + timedelta(days=n):%a %d %b}") for n in range(7)]
    for found_row in found:
        row = _row(*found_row)
        local_start = in_zone(row.starts_at, time_zone)
        index = (local_start.date() - week_start).days
        if 0 <= index < 7:
            days[index].sessions.append(CalendarEntry(
                row, f"{local_start:%H:%M}", f"{in_zone(row.ends_at, time_zone):%H:%M}"))
    return days


def roster(session: Session, *, actor: Actor | None, session_id: int) -> Roster:
    """A session with its bookings (learner, status, attendance) in the order they were made
    and its waitlist in queue order; for admins of its department and its instructor."""
    head = session.execute(_rows_query().where(col(LiveSession.id) == session_id)).first()
    if head is None:
        raise not_found("live_session", session_id)
    live: LiveSession = head[0]
    if actor is None or actor.user_id != live.instructor_id:
        require_managed(session, actor, SECTION, live.department_id)
    bookings = session.execute(
        sa_select(Booking, col(User.full_name), col(User.email))
        .join(User, col(User.id) == col(Booking.user_id))
        .where(col(Booking.session_id) == session_id)
        .order_by(col(Booking.created_at), col(Booking.id))).all()
    waiting = session.execute(
        sa_select(WaitlistEntry, col(User.full_name), col(User.email))
        .join(User, col(User.id) == col(WaitlistEntry.user_id))
        .where(col(WaitlistEntry.session_id) == session_id,
               col(WaitlistEntry.status).in_(LIVE_WAITLIST))
        .order_by(col(WaitlistEntry.position), col(WaitlistEntry.created_at),
                  col(WaitlistEntry.id))).all()
    return Roster(
        session=_row(*head),
        bookings=[RosterBooking(
            booking_id=b.id or 0, user_id=b.user_id, learner=name, email=email,
            status=b.status, booked_at=ensure_utc(b.created_at),
            attendance=b.status if b.status in ("attended", "missed") else "",
            attendance_marked_at=b.attendance_marked_at, step_id=b.step_id,
            with_credit=b.credit_id is not None) for b, name, email in bookings],
        waitlist=[RosterWaitlistEntry(
            entry_id=w.id or 0, user_id=w.user_id, learner=name, email=email,
            position=w.position, status=w.status, offered_until=w.offered_until,
            joined_at=ensure_utc(w.created_at)) for w, name, email in waiting],
    )
