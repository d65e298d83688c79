"""Live sessions, steps and bookings as rules (issue 17, seed 003): pure functions of integers,
aware datetimes and IANA time zones (no database).

- A session is scheduled in a named time zone; it is stored and compared in UTC. A weekly
  series keeps its local wall time across a daylight-saving change (09:00 Berlin stays 09:00,
  so its UTC time moves by an hour).
- A step's progress moves UNBOOKED -> BOOKED -> ATTENDED or MISSED, and BOOKED -> UNBOOKED
  when a booking is cancelled; one table, as for orders and subscriptions.
- A booking needs a seat, a session that has not started and no overlapping booking of the
  learner; a credit (private session, extra group class) is the oldest expiring of its kind
  and is given back when cancelled before the cut-off.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from commerce_dash.domain.clock import ensure_utc
from commerce_dash.domain.errors import DomainError, ErrorKind

MAX_CAPACITY = 1_000
MAX_SESSION = timedelta(hours=12)
MAX_SERIES = 52  # occurrences of one weekly series
SLOT_MINUTES = (30, 60)


class StepStatus(StrEnum):
    UNBOOKED = "unbooked"
    BOOKED = "booked"
    ATTENDED = "attended"
    MISSED = "missed"


_MOVES: dict[StepStatus, frozenset[StepStatus]] = {
    StepStatus.UNBOOKED: frozenset({StepStatus.BOOKED}),
    # attended or missed after the session; unbooked again when the booking is cancelled
    StepStatus.BOOKED: frozenset({StepStatus.UNBOOKED, StepStatus.ATTENDED, StepStatus.MISSED}),
    # an instructor may correct attendance
    StepStatus.ATTENDED: frozenset({StepStatus.MISSED}),
    StepStatus.MISSED: frozenset({StepStatus.ATTENDED, StepStatus.UNBOOKED}),
}


def can_move_step(current: str, target: str) -> bool:
    """Whether a step's progress in ``current`` may move to ``target``."""
    return StepStatus(target) in _MOVES[StepStatus(current)]


def require_step_move(current: str, target: str) -> None:
    """Refuse a move the step lifecycle does not allow, naming both states."""
    if not can_move_step(current, target):
        raise DomainError("invalid_step_move",
                          f"This step is {current}; it can't become {target}.",
                          kind=ErrorKind.CONFLICT)


class CreditKind(StrEnum):
    PRIVATE = "private"  # one private session with an instructor
    GROUP = "group"  # one extra group class


# -- time zones and schedules ------------------------------------------------------------------


def zone(name: str) -> ZoneInfo:
    """The IANA time zone ``name``; a DomainError for the time-zone field otherwise."""
    cleaned = (name or "").strip()
    if not cleaned or cleaned not in _zone_names():
        raise DomainError("invalid_time_zone", f"Unknown time zone {name!r}.",
                          field="time_zone")
    try:
        return ZoneInfo(cleaned)
    except ZoneInfoNotFoundError:  # listed but not installed: refuse the same way
        raise DomainError("invalid_time_zone", f"Unknown time zone {name!r}.",
                          field="time_zone") from None


@lru_cache(maxsize=1)
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


def local_to_utc(day: date, at: time, time_zone: str) -> datetime:
    """The UTC instant of the wall time ``at`` on ``day`` in ``time_zone`` (a time skipped by a
    daylight-saving change is refused; a repeated one is its first occurrence)."""
    tz = zone(time_zone)
    local = datetime.combine(day, at.replace(tzinfo=None), tzinfo=tz)
    back = local.astimezone(UTC).astimezone(tz)
    if back.replace(tzinfo=None) != local.replace(tzinfo=None):
        raise DomainError("time_does_not_exist",
                          f"{at.strftime('%H:%M')} does not exist on {day.isoformat()} in "
                          f"{time_zone} (the clocks change).", field="starts_at")
    return local.astimezone(UTC)


def in_zone(moment: datetime, time_zone: str) -> datetime:
    """``moment`` as the wall time of ``time_zone`` (what a visitor there reads)."""
    return ensure_utc(moment).astimezone(zone(time_zone))


@dataclass(frozen=True)
class Slot:
    starts_at: datetime  # UTC
    ends_at: datetime  # UTC


def check_session(starts_at: datetime, ends_at: datetime, capacity: int, *, now: datetime,
                  booked: int = 0) -> None:
    """A session's own fields: it ends after it starts, lasts at most 12 hours, starts in
    the future (when scheduled), and holds 1 to 1,000 seats, never fewer than are booked."""
    starts_at, ends_at = ensure_utc(starts_at), ensure_utc(ends_at)
    if ends_at <= starts_at:
        raise DomainError("session_ends_before_start", "The end must be after the start.",
                          field="ends_at")
    if ends_at - starts_at > MAX_SESSION:
        raise DomainError("session_too_long", "A session lasts at most 12 hours.",
                          field="ends_at")
    if starts_at <= ensure_utc(now):
        raise DomainError("session_in_past", "A session is scheduled in the future.",
                          field="starts_at")
    if isinstance(capacity, bool) or not 1 <= capacity <= MAX_CAPACITY:
        raise DomainError("invalid_capacity", f"Capacity is 1 to {MAX_CAPACITY:,} seats.",
                          field="capacity")
    if capacity < booked:
        raise DomainError("capacity_below_booked",
                          f"{booked} seats are booked: the capacity can't be less.",
                          field="capacity")


def weekly_series(first_day: date, start: time, end: time, time_zone: str, count: int
                  ) -> list[Slot]:
    """``count`` weekly occurrences at the same local wall time from ``first_day`` (UTC start
    and end of each): across a daylight-saving change the UTC times move, the local ones
    do not. An end at or before the start ends the next day."""
    if isinstance(count, bool) or not 1 <= count <= MAX_SERIES:
        raise DomainError("invalid_series", f"A series has 1 to {MAX_SERIES} sessions.",
                          field="count")
    slots = []
    for week in range(count):
        day = first_day + timedelta(weeks=week)
        begins = local_to_utc(day, start, time_zone)
        finishes = local_to_utc(day + timedelta(days=1) if end <= start else day, end,
                                time_zone)
        slots.append(Slot(begins, finishes))
    return slots


def private_slots(starts_at: datetime, ends_at: datetime, minutes: int) -> list[Slot]:
    """An instructor's availability cut into bookable private slots of 30 or 60 minutes
    (a remainder shorter than a slot is not offered)."""
    if minutes not in SLOT_MINUTES:
        raise DomainError("invalid_slot_length", "Private sessions last 30 or 60 minutes.",
                          field="slot_minutes")
    starts_at, ends_at = ensure_utc(starts_at), ensure_utc(ends_at)
    if ends_at <= starts_at:
        raise DomainError("session_ends_before_start", "The end must be after the start.",
                          field="ends_at")
    step = timedelta(minutes=minutes)
    slots, at = [], starts_at
    while at + step <= ends_at:
        slots.append(Slot(at, at + step))
        at += step
    return slots


def overlaps(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime) -> bool:
    """Whether two half-open periods [start, end) share any time (back to back is fine)."""
    return ensure_utc(a_start) < ensure_utc(b_end) and ensure_utc(b_start) < ensure_utc(a_end)


def first_overlap(slot: Slot, others: Iterable[Slot]) -> Slot | None:
    """The first of ``others`` that overlaps ``slot``, if any."""
    return next((o for o in others
                 if overlaps(slot.starts_at, slot.ends_at, o.starts_at, o.ends_at)), None)


# -- booking -----------------------------------------------------------------------------------


def check_booking(*, starts_at: datetime, ends_at: datetime, capacity: int, booked: int,
                  now: datetime, learner_bookings: Sequence[Slot]) -> None:
    """Whether a learner may take a seat: the session has not started, a seat is free and the
    learner has no booking at an overlapping time. Each refusal says why."""
    if ensure_utc(starts_at) <= ensure_utc(now):
        raise DomainError("session_started", "This session has already started.",
                          kind=ErrorKind.CONFLICT)
    if booked >= capacity:
        raise DomainError("session_full", "This session is full: join the waitlist instead.",
                          kind=ErrorKind.CONFLICT)
    clash = first_overlap(Slot(ensure_utc(starts_at), ensure_utc(ends_at)), learner_bookings)
    if clash is not None:
        raise DomainError("booking_overlaps",
                          "You already have a booking at that time "
                          f"({clash.starts_at:%Y-%m-%d %H:%M} UTC).", kind=ErrorKind.CONFLICT)


@dataclass(frozen=True)
class Credit:
    id: int
    kind: CreditKind
    expires_at: datetime | None  # None: never
    used: bool = False
    minutes: int = 0  # a private credit's session length


def pick_credit(credits: Iterable[Credit], kind: CreditKind, *, at: datetime,
                minutes: int = 0) -> Credit:
    """The credit a booking uses: unused, of its kind (and length for a private session),
    not expired at ``at``, the one expiring first (never-expiring last, then the oldest)."""
    at = ensure_utc(at)
    usable = [c for c in credits
              if c.kind is kind and not c.used
              and (c.expires_at is None or ensure_utc(c.expires_at) > at)
              and (kind is not CreditKind.PRIVATE or not minutes or c.minutes == minutes)]
    if not usable:
        what = "private-session" if kind is CreditKind.PRIVATE else "group-class"
        raise DomainError("no_credit", f"You have no {what} credit left for this booking.",
                          kind=ErrorKind.CONFLICT)
    far = datetime.max.replace(tzinfo=UTC)
    return min(usable, key=lambda c: (ensure_utc(c.expires_at) if c.expires_at else far, c.id))


def credit_returned(*, cancelled_at: datetime, starts_at: datetime, cutoff_hours: int) -> bool:
    """A credit comes back when the booking is cancelled at least ``cutoff_hours`` before the
    session starts; later, it is spent."""
    if cutoff_hours < 0:
        raise ValueError("the cut-off is 0 hours or more")
    return ensure_utc(cancelled_at) <= ensure_utc(starts_at) - timedelta(hours=cutoff_hours)


def credit_expiry(granted_at: datetime, days: int) -> datetime | None:
    """When credits granted at ``granted_at`` expire (``days`` 0: never)."""
    if isinstance(days, bool) or not 0 <= days <= 3_650:
        raise DomainError("invalid_credit_expiry", "Credits expire after 0 to 3,650 days.",
                          field="credit_expiry_days")
    return ensure_utc(granted_at) + timedelta(days=days) if days else None


def waitlist_next(queue: Sequence[tuple[int, datetime]], seats_free: int) -> list[int]:
    """Who gets the freed seats: the first ``seats_free`` of the waitlist by position, then
    by when they joined (``queue`` holds (position, joined_at) per entry; returns indexes)."""
    order = sorted(range(len(queue)), key=lambda i: (queue[i][0], ensure_utc(queue[i][1])))
    return order[:max(0, seats_free)]
