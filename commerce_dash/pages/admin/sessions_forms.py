"""The forms of the Sessions section (``sessions_state.py`` mixes ``SessionFormsMixin`` in): the
"Schedule class" and "Open private slots" dialogs, and what the detail page's dialogs share
with them: the time-zone choices, the people who can teach, and reading what was typed.

The text inputs of each dialog are uncontrolled (sent with the form); the drop-downs
(department, time zone, instructor, slot length) live in the state. A refusal of the service
shows beside the field it names (``DomainError.field``); the service call runs off the event
loop (``state.offload.with_session``) and commits there.
"""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Any

import reflex as rx
from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from commerce_dash.domain.access import RoleName
from commerce_dash.domain.actor import Actor
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.errors import DomainError, ErrorKind
from commerce_dash.domain.identifiers import parse_whole
from commerce_dash.domain.sessions import MAX_CAPACITY, MAX_SERIES, in_zone
from commerce_dash.models.accounts import User, UserRole
from commerce_dash.models.catalog import Course
from commerce_dash.models.sessions import LiveSession
from commerce_dash.services import enrollment as enrollment_area
from commerce_dash.state.offload import with_session
from commerce_dash.state.route_args import route_int
from commerce_dash.state.setters import value_setter
from commerce_dash.state.time_zone import BROWSER_ZONE_SCRIPT, known_zone

SECTION = "sessions"
ZONE_SCRIPT = BROWSER_ZONE_SCRIPT
COMMON_ZONES = (
    "UTC", "Europe/London", "Europe/Dublin", "Europe/Lisbon", "Europe/Paris", "Europe/Berlin",
    "Europe/Madrid", "Europe/Rome", "Europe/Amsterdam", "Europe/Stockholm", "Europe/Warsaw",
    "Europe/Athens", "Europe/Helsinki", "Europe/Istanbul", "Africa/Lagos", "Africa/Cairo",
    "Africa/Johannesburg", "Africa/Nairobi", "Asia/Dubai", "Asia/Karachi", "Asia/Kolkata",
    "Asia/Dhaka", "Asia/Bangkok", "Asia/Jakarta", "Asia/Singapore", "Asia/Shanghai",
    "Asia/Hong_Kong", "Asia/Tokyo", "Asia/Seoul", "Australia/Perth", "Australia/Sydney",
    "Pacific/Auckland", "America/Sao_Paulo", "America/Argentina/Buenos_Aires",
    "America/Bogota", "America/Mexico_City", "America/New_York", "America/Toronto",
    "America/Chicago", "America/Denver", "America/Phoenix", "America/Los_Angeles",
    "America/Anchorage", "Pacific/Honolulu",
)
NO_INSTRUCTOR, BY_EMAIL = "none", "email"
SLOT_LENGTHS = (("30", "30 minutes"), ("60", "60 minutes"))
MAX_TEACHERS = 500

# the service's field -> the form's error key
SCHEDULE_FIELDS = {
    "department_id": "department", "title": "title", "starts_at": "start", "ends_at": "end",
    "time_zone": "time_zone", "capacity": "capacity", "instructor_id": "instructor",
    "location": "location", "meeting_url": "meeting_url", "description": "description",
    "count": "repeat", "day": "day", "slot_minutes": "minutes",
}
SCHEDULE_ERRORS = ("department", "title", "day", "start", "end", "time_zone", "capacity",
                   "instructor", "location", "meeting_url", "description", "repeat", "minutes",
                   "form")


def no_errors() -> dict[str, str]:
    return {key: "" for key in SCHEDULE_ERRORS}


def field_errors(exc: DomainError) -> dict[str, str]:
    """The form's errors for a refusal: its message beside the field it names (or over the
    form when it names none the form shows)."""
    errors = no_errors()
    errors[SCHEDULE_FIELDS.get(exc.field or "", "form")] = exc.message
    return errors


def valid_zone(name: object) -> str:
    """``name`` when it is a time zone this server knows, else ""."""
    return known_zone(name, "")


def zone_choices(browser_zone: str, *also: str) -> list[str]:
    """The common zones, with the browser's (and ``also``) first when they are not among them."""
    extra = [z for z in (browser_zone, *also) if z and z not in COMMON_ZONES]
    return list(dict.fromkeys([*extra, *COMMON_ZONES]))


def this_week(time_zone: str) -> date:
    """The Monday of the current week in ``time_zone``."""
    today = in_zone(utcnow(), time_zone).date()
    return today - timedelta(days=today.weekday())


def tomorrow(time_zone: str) -> str:
    return (in_zone(utcnow(), time_zone).date() + timedelta(days=1)).isoformat()


def form_text(form: dict[str, Any], name: str) -> str:
    """A text input of a submitted form, less any NUL (PostgreSQL text cannot hold one)."""
    value = form.get(name, "")
    return value.replace("\x00", "") if isinstance(value, str) else ""


def read_day(text: object, key: str = "day") -> date:
    try:
        return date.fromisoformat(str(text or "").strip())
    except ValueError:
        raise DomainError("invalid_date", "Choose a day (2026-11-22).", field=key) from None


def read_time(text: object, key: str) -> time:
    """A time input's ``HH:MM`` (or ``HH:MM:SS``)."""
    try:
        return time.fromisoformat(str(text or "").strip()).replace(tzinfo=None)
    except ValueError:
        raise DomainError("invalid_datetime", "Enter a time such as 09:30.",
                          field=key) from None


def read_count(text: object, key: str, high: int) -> int:
    """A whole number typed in a number input (its range is the service's to check)."""
    number = parse_whole(str(text or "").strip(), high=99_999)
    if number is None:
        raise DomainError("not_a_number", f"Enter a whole number from 1 to {high:,}.",
                          field=key)
    return number


def teacher_options(session: Session, allowed: frozenset[int] | None) -> list[dict[str, str]]:
    """Who can teach in the departments ``allowed`` (None: all): their department admins,
    the instructors of their courses and of their sessions; active users, by name."""
    admins = select(UserRole.user_id).where(UserRole.role == RoleName.DEPT_ADMIN.value)
    courses = select(Course.instructor_id).where(col(Course.instructor_id).is_not(None))
    lessons = select(LiveSession.instructor_id).where(
        col(LiveSession.instructor_id).is_not(None))
    if allowed is not None:
        ids = sorted(allowed)
        admins = admins.where(col(UserRole.department_id).in_(ids))
        courses = courses.where(col(Course.department_id).in_(ids))
        lessons = lessons.where(col(LiveSession.department_id).in_(ids))
    rows = session.exec(
        select(User.id, User.full_name, User.email)
        .where(col(User.is_active), or_(col(User.id).in_(admins), col(User.id).in_(courses),
                                        col(User.id).in_(lessons)))
        .order_by(func.lower(User.full_name), col(User.id)).limit(MAX_TEACHERS)).all()
    return [{"id": str(i), "label": f"{name} ({email})"} for i, name, email in rows]


def user_by_email(session: Session, email: str) -> int:
    """The id of the active user with ``email``; refused beside the instructor field."""
    wanted = " ".join(str(email or "").replace("\x00", "").split()).lower()
    user = session.exec(select(User).where(func.lower(User.email) == wanted)).first() \
        if wanted else None
    if user is None or not user.is_active or user.id is None:
        raise DomainError("unknown_instructor", "No user with that email.",
                          kind=ErrorKind.INVALID, field="instructor_id")
    return user.id


def instructor_of(session: Session, choice: str, email: str) -> int | None:
    """The instructor a form chose: none, one of the listed people, or someone by email."""
    if choice == BY_EMAIL:
        return user_by_email(session, email)
    return route_int(choice)


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


class SessionFormsMixin(rx.State, mixin=True):
    """The two dialogs of the list page. The page state provides ``browser_zone``,
    ``departments``, ``teachers`` and ``_refetch``."""

    zone_options: rx.Field[list[str]] = rx.field(default_factory=lambda: list(COMMON_ZONES))
    form_errors: rx.Field[dict[str, str]] = rx.field(default_factory=no_errors)
    form_department: rx.Field[str] = rx.field("")
    form_zone: rx.Field[str] = rx.field("UTC")
    form_instructor: rx.Field[str] = rx.field(NO_INSTRUCTOR)
    form_minutes: rx.Field[str] = rx.field("60")
    form_day: rx.Field[str] = rx.field("")  # the day the inputs start with (tomorrow)
    form_key: rx.Field[int] = rx.field(0)  # a new key remounts the uncontrolled inputs, empty
    schedule_open: rx.Field[bool] = rx.field(False)
    slots_open: rx.Field[bool] = rx.field(False)
    saving: rx.Field[bool] = rx.field(False)

    set_form_department = value_setter("form_department")
    set_form_zone = value_setter("form_zone")
    set_form_instructor = value_setter("form_instructor")
    set_form_minutes = value_setter("form_minutes")

    def _open_form(self, instructor: str) -> None:
        zone_name = getattr(self, "browser_zone", "UTC") or "UTC"
        self.form_errors = no_errors()
        self.zone_options = zone_choices(zone_name)
        self.form_zone, self.form_day = zone_name, tomorrow(zone_name)
        self.form_instructor, self.form_minutes = instructor, "60"
        departments = getattr(self, "departments", [])
        if not self.form_department or self.form_department not in {d["id"]
                                                                    for d in departments}:
            self.form_department = departments[0]["id"] if len(departments) == 1 else ""
        self.form_key += 1

    @rx.event
    def open_schedule(self) -> None:
        self._open_form(NO_INSTRUCTOR)
        self.slots_open, self.schedule_open = False, True

    @rx.event
    def open_slots(self) -> None:
        self._open_form("")
        self.schedule_open, self.slots_open = False, True

    @rx.event
    def set_schedule_open(self, value: bool) -> None:
        if not self.saving:
            self.schedule_open = bool(value)

    @rx.event
    def set_slots_open(self, value: bool) -> None:
        if not self.saving:
            self.slots_open = bool(value)

    def _department(self) -> int:
        department_id = route_int(self.form_department)
        if department_id is None:
            raise DomainError("department_required", "Choose the department.",
                              field="department_id")
        return department_id

    async def _save(self, actor: Actor, work: Any, noun: str):  # type: ignore[no-untyped-def]
        """Run ``work(session)`` (it returns the sessions made) off the loop and commit; the
        toast, or the errors beside the fields."""
        self.saving = True
        try:
            def run(session: Session) -> int:
                made = work(session)
                session.commit()
                return len(made)

            count = await with_session(run)
        except DomainError as exc:
            self.form_errors = field_errors(exc)
            return None
        finally:
            self.saving = False
        self.schedule_open = self.slots_open = False
        refused = self._refetch()  # type: ignore[attr-defined]
        return refused or rx.toast.success(f"Scheduled {plural(count, noun)}.")

    @rx.event
    async def submit_schedule(self, form: dict[str, Any]):  # type: ignore[no-untyped-def]
        if self.saving:
            return None
        actor = self.guard(SECTION)  # type: ignore[attr-defined]
        if actor is None:
            self.schedule_open = False
            return rx.toast.error("You may no longer manage sessions: sign in again.")
        self.form_errors = no_errors()
        choice, zone_name = self.form_instructor, self.form_zone
        try:
            department_id = self._department()
            day = read_day(form.get("day"))
            start = read_time(form.get("start"), "starts_at")
            end = read_time(form.get("end"), "ends_at")
            capacity = read_count(form.get("capacity"), "capacity", MAX_CAPACITY)
            repeat = read_count(form.get("repeat", "1") or "1", "count", MAX_SERIES)
        except DomainError as exc:
            self.form_errors = field_errors(exc)
            return None
        email = form_text(form, "instructor_email")
        title, location = form_text(form, "title"), form_text(form, "location")
        link, description = form_text(form, "meeting_url"), form_text(form, "description")

        def work(session: Session) -> list[Any]:
            data = enrollment_area.SessionIn(
                department_id=department_id, title=title, day=day, start=start, end=end,
                time_zone=zone_name, capacity=capacity,
                instructor_id=instructor_of(session, choice, email), location=location,
                meeting_url=link, description=description, repeat_weeks=repeat)
            return enrollment_area.schedule_sessions(session, actor=actor, data=data)

        return await self._save(actor, work, "session")

    @rx.event
    async def submit_slots(self, form: dict[str, Any]):  # type: ignore[no-untyped-def]
        if self.saving:
            return None
        actor = self.guard(SECTION)  # type: ignore[attr-defined]
        if actor is None:
            self.slots_open = False
            return rx.toast.error("You may no longer manage sessions: sign in again.")
        self.form_errors = no_errors()
        choice, zone_name = self.form_instructor, self.form_zone
        try:
            if not choice:
                raise DomainError("instructor_required", "Choose the instructor.",
                                  field="instructor_id")
            department_id = self._department()
            day = read_day(form.get("slot_day"))
            start = read_time(form.get("slot_start"), "starts_at")
            end = read_time(form.get("slot_end"), "ends_at")
            minutes = int(self.form_minutes) if self.form_minutes in ("30", "60") else 0
        except DomainError as exc:
            self.form_errors = field_errors(exc)
            return None
        email = form_text(form, "slot_instructor_email")
        location, link = form_text(form, "slot_location"), form_text(form, "slot_link")

        def work(session: Session) -> list[Any]:
            instructor_id = instructor_of(session, choice, email)
            if instructor_id is None:
                raise DomainError("instructor_required", "Choose the instructor.",
                                  field="instructor_id")
            return enrollment_area.open_private_slots(
                session, actor=actor, department_id=department_id, instructor_id=instructor_id,
                day=day, start=start, end=end, time_zone=zone_name, minutes=minutes,
                location=location, meeting_url=link)

        return await self._save(actor, work, "private slot")
