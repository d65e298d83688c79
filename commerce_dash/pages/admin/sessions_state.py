"""The state of ``sessions.py`` (its view): the live sessions of the admin's departments as a
paged list or as a calendar week, filtered by department, instructor, days, kind, status and
text; the "Schedule class" and "Open private slots" dialogs come from ``sessions_forms.py``.

Times: each row shows its start in the session's own zone; the days of the filters and of the
calendar are the viewer's, whose zone the browser tells once on load (UTC until then)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import reflex as rx

from commerce_dash.components.badges import status_fields
from commerce_dash.db import session_scope
from commerce_dash.domain.dates import parse_day
from commerce_dash.routes import admin_session_href
from commerce_dash.services import enrollment as enrollment_area
from commerce_dash.services import platform as platform_area
from commerce_dash.state.admin import AdminState
from commerce_dash.state.paging import PagedTableMixin
from commerce_dash.state.route_args import route_int
from commerce_dash.state.setters import filter_setter

from .service_calls import options
from .sessions_forms import (
    SECTION,
    ZONE_SCRIPT,
    SessionFormsMixin,
    teacher_options,
    this_week,
    valid_zone,
)

PAGE_SIZE = 25
ANY = "all"
LIST, WEEK = "list", "week"
KINDS = (("group", "Group class"), ("private", "Private"))
KIND_COLORS = {"group": "blue", "private": "violet"}
STATUSES = (("scheduled", "Scheduled"), ("cancelled", "Cancelled"))
KIND_OPTIONS = [(ANY, "Any kind"), *KINDS]
STATUS_OPTIONS = [(ANY, "Any status"), *STATUSES]


def kind_fields(kind: str) -> dict[str, str]:
    return {"kind": kind, "kind_label": dict(KINDS).get(kind, kind.capitalize()),
            "kind_color": KIND_COLORS.get(kind, "gray")}


def seats(row: enrollment_area.SessionRow) -> str:
    return f"{row.seats_booked}/{row.capacity}"


def session_row(row: enrollment_area.SessionRow) -> dict[str, str]:
    """A session as the admin list shows it."""
    return {
        "id": str(row.id),
        "href": admin_session_href(row.id),
        "title": row.title,
        **kind_fields(row.kind),
        "department": row.department,
        "instructor": row.instructor or "—",
        "local_start": row.local_start,
        "local_end": row.local_end,
        "time_zone": row.time_zone,
        "seats": seats(row),
        "waitlist": str(row.waitlist_count),
        **status_fields("status", row.status),
    }


def calendar_card(entry: enrollment_area.CalendarEntry) -> dict[str, str]:
    """A session on a day of the week: '09:00–10:00 Title (3/10)'."""
    row = entry.row
    return {
        "id": str(row.id),
        "href": admin_session_href(row.id),
        "text": f"{entry.start}–{entry.end} {row.title} ({seats(row)})",
        "instructor": row.instructor,
        "cancelled": "yes" if row.status == "cancelled" else "",
        **kind_fields(row.kind),
        **status_fields("status", row.status),
    }


class SessionsState(SessionFormsMixin, PagedTableMixin, AdminState):
    """``search`` (from the mixin) is the text filter: part of a title or an instructor's
    name."""

    view: rx.Field[str] = rx.field(LIST)
    browser_zone: rx.Field[str] = rx.field("UTC")
    department_filter: rx.Field[str] = rx.field(ANY)
    instructor_filter: rx.Field[str] = rx.field(ANY)
    kind_filter: rx.Field[str] = rx.field(ANY)
    status_filter: rx.Field[str] = rx.field(ANY)
    date_from: rx.Field[str] = rx.field("")
    date_to: rx.Field[str] = rx.field("")
    departments: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    teachers: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    week_start: rx.Field[str] = rx.field("")  # YYYY-MM-DD, a Monday in the viewer's zone
    week_label: rx.Field[str] = rx.field("")
    week_days: rx.Field[list[str]] = rx.field(default_factory=list)  # 'Mon 07 Dec'
    week_cards: rx.Field[list[list[dict[str, str]]]] = rx.field(default_factory=list)

    @rx.var
    def filtered(self) -> bool:
        return bool(
            self.department_filter != ANY or self.instructor_filter != ANY
            or self.kind_filter != ANY or self.status_filter != ANY
            or self.date_from or self.date_to or self.search.strip()
        )

    def _week(self) -> date:
        try:
            return date.fromisoformat(self.week_start)
        except ValueError:
            return this_week(self.browser_zone)

    def _fetch(self) -> None:
        actor = self.current_actor()
        department_id = route_int(self.department_filter)  # "all" (or no id): all
        instructor_id = route_int(self.instructor_filter)
        first, last = parse_day(self.date_from, "date_from"), parse_day(self.date_to, "date_to")
        week = self._week()
        with session_scope() as session:
            allowed = platform_area.managed_departments(session=session, actor=actor,
                                                        section=SECTION)
            self.departments = options(platform_area.department_options(session=session,
                                                                        within=allowed))
            self.teachers = teacher_options(session, allowed)
            result = enrollment_area.list_sessions(session, actor=actor,
                                                   query=enrollment_area.SessionQuery(
                department_id=department_id, instructor_id=instructor_id,
                date_from=first.date() if first else None,
                date_to=last.date() if last else None,
                kind=self.kind_filter if self.kind_filter in dict(KINDS) else "",
                status=self.status_filter if self.status_filter in dict(STATUSES) else "",
                text=self.search, page=self.page, page_size=PAGE_SIZE,
                time_zone=self.browser_zone))
            days = enrollment_area.calendar_week(
                session, actor=actor, week_start=week, time_zone=self.browser_zone,
                department_id=department_id, instructor_id=instructor_id,
            ) if self.view == WEEK else []
        self.total, self.pages = result.total, result.pages
        self.rows = [session_row(r) for r in result.items]
        self.week_start = week.isoformat()
        end = week + timedelta(days=6)
        self.week_label = f"{week:%a %d %b} – {end:%a %d %b %Y} ({self.browser_zone})"
        if days:
            self.week_days = [d.label for d in days]
            self.week_cards = [[calendar_card(e) for e in d.sessions] for d in days]

    @rx.event
    def load(self):  # type: ignore[no-untyped-def]
        """The page's on_load: the first page, then the browser's time zone."""
        if self.guard(SECTION) is None:
            return self.refused()
        error = self._refetch()
        ask = rx.call_script(ZONE_SCRIPT, callback=SessionsState.set_browser_zone)
        return [error, ask] if error is not None else ask

    @rx.event
    def set_browser_zone(self, value: Any):  # type: ignore[no-untyped-def]
        """The zone the browser reported (kept when this server knows it, else UTC)."""
        found = valid_zone(value) or "UTC"
        if found == self.browser_zone and self.week_start:
            return None
        self.browser_zone, self.week_start = found, this_week(found).isoformat()
        return self._refetch()

    set_department_filter = filter_setter("department_filter")
    set_instructor_filter = filter_setter("instructor_filter")
    set_kind_filter = filter_setter("kind_filter")
    set_status_filter = filter_setter("status_filter")
    set_date_from = filter_setter("date_from")
    set_date_to = filter_setter("date_to")

    @rx.event
    def set_view(self, value: str | list[str]):  # type: ignore[no-untyped-def]
        chosen = value if isinstance(value, str) else (value[0] if value else LIST)
        self.view = WEEK if chosen == WEEK else LIST
        return self._refetch()

    @rx.event
    def shift_week(self, weeks: int):  # type: ignore[no-untyped-def]
        step = max(-1, min(1, int(weeks))) if isinstance(weeks, int) else 0
        self.week_start = (self._week() + timedelta(weeks=step)).isoformat()
        return self._refetch()

    @rx.event
    def current_week(self):  # type: ignore[no-untyped-def]
        self.week_start = this_week(self.browser_zone).isoformat()
        return self._refetch()

    @rx.event
    def reset_filters(self):  # type: ignore[no-untyped-def]
        self.department_filter = self.instructor_filter = ANY
        self.kind_filter = self.status_filter = ANY
        self.date_from = self.date_to = self.search = ""
        self.page = 1
        return self._refetch_or(rx.toast.info("Filters cleared."))

    @rx.event
    def refresh(self):  # type: ignore[no-untyped-def]
        return self._refetch_or(rx.toast.success("Sessions refreshed."))
