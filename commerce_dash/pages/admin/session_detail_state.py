"""The state of ``session_detail.py`` (its view): one live session for an admin of its department
(/admin/sessions/[live_session_id]): its facts (local time in its own zone and the viewer's), its
roster with attendance, its waitlist in order, and the actions Edit, Reschedule and Cancel
(``session_detail_forms.py``).

Reads and every action run off the event loop (``state.offload.with_session``); each action is
a service call that audits it, committed there. A session of a department the admin does not
manage shows as not found."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import reflex as rx
from sqlmodel import Session

from commerce_dash import routes
from commerce_dash.components.badges import status_fields
from commerce_dash.domain.actor import Actor
from commerce_dash.domain.clock import ensure_utc, utcnow
from commerce_dash.domain.errors import DomainError, not_found
from commerce_dash.domain.sessions import in_zone
from commerce_dash.models.sessions import LiveSession
from commerce_dash.services import enrollment as enrollment_area
from commerce_dash.state.admin import AdminState
from commerce_dash.state.offload import with_session
from commerce_dash.state.route_args import route_int

from .session_detail_forms import SessionActionsMixin
from .sessions_forms import SECTION, ZONE_SCRIPT, valid_zone, zone_choices
from .sessions_state import kind_fields

NOT_FOUND = "No session with this number in the departments you manage."
MARKABLE = ("booked", "attended", "missed")


def local(moment: datetime | None, time_zone: str) -> str:
    """``moment`` as a reader in ``time_zone`` sees it ("" for none)."""
    if moment is None:
        return ""
    at = in_zone(moment, time_zone)
    return f"{at:%a %d %b %Y, %H:%M} {at.tzname()}"


@dataclass
class Detail:
    """What the page shows of a session, read in one worker-thread call."""

    live: LiveSession
    roster: enrollment_area.Roster
    facts: list[dict[str, str]] = field(default_factory=list)


def read_detail(session: Session, actor: Actor | None, session_id: int) -> Detail:
    """The roster (the service checks the actor's department) and the session's own row."""
    roster = enrollment_area.roster(session, actor=actor, session_id=session_id)
    live = session.get(LiveSession, session_id)
    if live is None:  # gone between the two reads
        raise not_found("live_session", session_id)
    return Detail(live, roster)


def facts(detail: Detail, viewer_zone: str) -> list[dict[str, str]]:
    row, live = detail.roster.session, detail.live
    starts_here = in_zone(row.starts_at, viewer_zone)
    ends_here = in_zone(row.ends_at, viewer_zone)
    pairs = [
        ("When", f"{row.local_start} – {row.local_end} ({row.time_zone})"),
        ("In your time zone", f"{starts_here:%a %d %b %Y, %H:%M} – {ends_here:%H:%M} "
                              f"{ends_here.tzname()} ({viewer_zone})"),
        ("Department", row.department),
        ("Instructor", row.instructor or "—"),
        ("Seats", f"{row.seats_booked} booked of {row.capacity} "
                  f"({row.seats_left} left)"),
        ("Waitlist", str(row.waitlist_count)),
        ("Location", live.location or "—"),
        ("Meeting link", live.meeting_url or "—"),
        ("Series", "Part of a weekly series" if live.series_id else "A single session"),
    ]
    if live.cancel_reason:
        pairs.append(("Cancelled because", live.cancel_reason))
    return [{"label": label, "value": value} for label, value in pairs]


def booking_row(b: enrollment_area.RosterBooking, zone_name: str, started: bool
                ) -> dict[str, str]:
    return {
        "id": str(b.booking_id),
        "learner": b.learner,
        "email": b.email,
        **status_fields("status", b.status),
        "booked_at": local(b.booked_at, zone_name),
        "attendance": {"attended": "Attended", "missed": "Missed"}.get(b.attendance,
                                                                        "Not marked"),
        "markable": "yes" if started and b.status in MARKABLE else "",
        "with": "credit" if b.with_credit else ("step" if b.step_id else ""),
    }


def waitlist_rows(entries: list[enrollment_area.RosterWaitlistEntry], zone_name: str
                  ) -> list[dict[str, str]]:
    waiting = [e.entry_id for e in entries if e.status == "waiting"]
    return [{
        "id": str(e.entry_id),
        "place": str(place),
        "learner": e.learner,
        "email": e.email,
        **status_fields("status", e.status),
        "offered_until": local(e.offered_until, zone_name) or "—",
        "up": "yes" if e.entry_id in waiting[1:] else "",
        "down": "yes" if e.entry_id in waiting[:-1] else "",
    } for place, e in enumerate(entries, start=1)]


class SessionDetailState(SessionActionsMixin, AdminState):
    found: rx.Field[str] = rx.field("loading")  # loading | found | missing
    missing_message: rx.Field[str] = rx.field("")
    live_id: rx.Field[int] = rx.field(0)
    title: rx.Field[str] = rx.field("")
    description: rx.Field[str] = rx.field("")
    status: rx.Field[dict[str, str]] = rx.field(default_factory=dict)
    kind: rx.Field[dict[str, str]] = rx.field(default_factory=dict)
    facts: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    bookings: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    waitlist: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    waiting_order: rx.Field[list[int]] = rx.field(default_factory=list)
    started: rx.Field[bool] = rx.field(False)
    can_change: rx.Field[bool] = rx.field(False)  # scheduled and not started: edit, move
    can_cancel: rx.Field[bool] = rx.field(False)  # scheduled and not ended
    browser_zone: rx.Field[str] = rx.field("UTC")

    def _show(self, detail: Detail) -> None:
        now = utcnow()
        live, row = detail.live, detail.roster.session
        zone_name = self.browser_zone
        scheduled = live.status == "scheduled"
        self.started = ensure_utc(live.starts_at) <= now
        self.can_change = scheduled and not self.started
        self.can_cancel = scheduled and ensure_utc(live.ends_at) > now
        self.live_id, self.title, self.description = row.id, row.title, live.description
        self.status, self.kind = status_fields("status", row.status), kind_fields(row.kind)
        self.facts = facts(detail, zone_name)
        self.bookings = [booking_row(b, zone_name, self.started)
                         for b in detail.roster.bookings]
        self.waitlist = waitlist_rows(detail.roster.waitlist, zone_name)
        self.waiting_order = [e.entry_id for e in detail.roster.waitlist
                              if e.status == "waiting"]
        self._keep_for_forms(live)
        self.zone_options = zone_choices(zone_name, live.time_zone)
        self.found = "found"

    def _missing(self, message: str) -> None:
        self.found, self.missing_message = "missing", message
        self.facts, self.bookings, self.waitlist, self.waiting_order = [], [], [], []
        self.live_id = 0

    async def _reload(self, actor: Actor | None, session_id: int) -> bool:
        """Read the session again; False (and "not found") when the admin may not see it."""
        try:
            detail = await with_session(lambda s: read_detail(s, actor, session_id))
        except DomainError as exc:
            # another department's session reads as no session at all
            self._missing(NOT_FOUND if exc.code in ("forbidden", "live_session_not_found")
                          else exc.message)
            return False
        self._show(detail)
        return True

    def _route_id(self) -> int | None:
        raw = str(getattr(self, "live_session_id", "") or "").strip()
        if not raw:
            path = str(self.router.url.path or "").rstrip("/")
            raw = path.rsplit("/", 1)[-1] if path.startswith(routes.ADMIN_SESSIONS + "/") else ""
        return route_int(raw)

    @rx.event
    async def load(self):  # type: ignore[no-untyped-def]
        self.edit_open = self.reschedule_open = self.cancel_open = self.busy = False
        actor = self.guard(SECTION)
        if actor is None:
            yield self.refused()
            return
        session_id = self._route_id()
        if session_id is None:
            self._missing(NOT_FOUND)
            return
        if self.found != "loading" and session_id != self.live_id:
            self.found = "loading"  # never show the previous session under this address
            yield
        await self._reload(actor, session_id)
        yield rx.call_script(ZONE_SCRIPT, callback=SessionDetailState.set_browser_zone)

    @rx.event
    async def set_browser_zone(self, value: Any):  # type: ignore[no-untyped-def]
        found = valid_zone(value) or "UTC"
        if found == self.browser_zone or not self.live_id:
            self.browser_zone = found
            return
        self.browser_zone = found
        actor = self.guard(SECTION)
        if actor is not None:
            await self._reload(actor, self.live_id)

    @rx.event
    async def refresh(self):  # type: ignore[no-untyped-def]
        actor = self.guard(SECTION)
        if actor is None:
            return self.refused()
        if await self._reload(actor, self.live_id):
            return rx.toast.success("Session reloaded.")
        return None

    # -- attendance and the waitlist ---------------------------------------------------------
    @rx.event
    async def mark(self, booking_id: str, attended: bool):  # type: ignore[no-untyped-def]
        wanted = route_int(booking_id)
        if wanted is None or not isinstance(attended, bool):
            return None
        said = "attended" if attended else "missed"
        return await self._act(
            lambda s, a: enrollment_area.mark_attendance(s, actor=a, booking_id=wanted,
                                                         attended=attended),
            lambda booking: f"Marked {said}.")

    @rx.event
    async def move_waitlist(self, entry_id: str, step: int):  # type: ignore[no-untyped-def]
        wanted, order = route_int(entry_id), list(self.waiting_order)
        if wanted not in order or step not in (-1, 1):
            return None
        at = order.index(wanted)
        to = at + step
        if not 0 <= to < len(order):
            return None
        order[at], order[to] = order[to], order[at]
        session_id = self.live_id
        return await self._act(
            lambda s, a: enrollment_area.reorder_waitlist(s, actor=a, session_id=session_id,
                                                          entry_ids=order),
            lambda entries: "Waitlist reordered.")
