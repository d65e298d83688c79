"""Teaching (/teaching): the sessions the signed-in user instructs, from the last 30 days on,
each with its roster; once a session has started its learners are marked attended or missed
(``mark_attendance`` allows the session's instructor; anyone else is refused by it).

Times show in the browser's time zone (as on My schedule). Database calls run off the event
loop; ``mark_attendance`` flushes and is committed here.
"""

from __future__ import annotations

from typing import Any

import reflex as rx
from sqlmodel import Session

from commerce_dash import routes
from commerce_dash.domain.actor import Actor
from commerce_dash.domain.clock import ensure_utc, utcnow
from commerce_dash.domain.errors import DomainError
from commerce_dash.pages.store.schedule_state import (
    ZONE_SCRIPT,
    browser_zone,
    span_text,
    status_fields,
)
from commerce_dash.services import enrollment as enrollment_area
from commerce_dash.state.auth import AuthState
from commerce_dash.state.offload import off_loop, with_session
from commerce_dash.state.route_args import route_int

HERE = routes.TEACHING


def _yes(flag: bool) -> str:
    return "yes" if flag else ""


def session_row(t: enrollment_area.TaughtSession, tz: str, now_upcoming: bool
                ) -> dict[str, str]:
    row = t.session
    kind = "Private session" if row.kind == "private" else "Group class"
    booked = len(t.bookings)
    return {
        "id": str(row.id), "title": row.title, "kind": kind, "department": row.department,
        "when": span_text(row.starts_at, row.ends_at, tz),
        "seats": f"{booked} booked of {row.capacity}",
        "waiting": f"{row.waitlist_count} on the waitlist" if row.waitlist_count else "",
        "started": _yes(t.started), "upcoming": _yes(now_upcoming),
        "empty": _yes(not t.bookings),
        **status_fields(row.status),
    }


def roster_row(session_id: int, b: enrollment_area.RosterBooking, started: bool
               ) -> dict[str, str]:
    return {
        "session": str(session_id), "id": str(b.booking_id), "learner": b.learner,
        "email": b.email, "credit": _yes(b.with_credit), "can_mark": _yes(started),
        "attended": _yes(b.status == "attended"), "missed": _yes(b.status == "missed"),
        **status_fields(b.status),
    }


class TeachingState(AuthState):
    loaded: bool = False
    busy: bool = False
    time_zone: str = "UTC"
    zone_known: bool = False
    upcoming: list[dict[str, str]] = []
    recent: list[dict[str, str]] = []  # started in the last 30 days
    roster: list[dict[str, str]] = []  # every listed session's learners (``session`` links)

    async def _signed_in(self) -> Actor | None:
        actor = await off_loop(self.current_actor)
        self._show_actor(actor)
        return actor

    async def _refresh(self, actor: Actor) -> None:
        user_id, tz = actor.user_id, self.time_zone

        def read(session: Session) -> list[enrollment_area.TaughtSession]:
            return enrollment_area.instructor_sessions(session, user_id=user_id)

        taught = await with_session(read)
        now = utcnow()
        upcoming = [t for t in taught if ensure_utc(t.session.starts_at) > now]
        recent = [t for t in taught if ensure_utc(t.session.starts_at) <= now]
        self.upcoming = [session_row(t, tz, True) for t in upcoming]
        # the latest first: the one to mark now is at the top
        self.recent = [session_row(t, tz, False) for t in reversed(recent)]
        self.roster = [roster_row(t.session.id, b, t.started) for t in taught
                       for b in t.bookings]
        if taught:
            self.teaches = True
        self.loaded = True

    @rx.event
    async def load(self):  # type: ignore[no-untyped-def]
        actor = await self._signed_in()
        if actor is None:
            return rx.redirect(f"{routes.LOGIN}?next={HERE}")

        def header() -> None:
            self._teaches_user = 0  # ask again: a session may have been given to them
            self._check_teaching(actor)
            self.refresh_cart_count(actor)

        await off_loop(header)
        self.busy = False
        await self._refresh(actor)
        if not self.zone_known:
            return rx.call_script(ZONE_SCRIPT, callback=TeachingState.set_browser_zone)
        return None

    @rx.event
    async def set_browser_zone(self, value: str):  # type: ignore[no-untyped-def]
        self.zone_known = True
        tz = browser_zone(value)
        if tz == self.time_zone:
            return None
        self.time_zone = tz
        actor = await self._signed_in()
        if actor is None:
            return rx.redirect(f"{routes.LOGIN}?next={HERE}")
        await self._refresh(actor)
        return None

    async def _mark(self, ref: str, attended: bool) -> Any:
        ident = route_int(ref)
        row = next((r for r in self.roster if ident is not None and r["id"] == str(ident)),
                   None)
        actor = await self._signed_in()
        if actor is None:
            return rx.redirect(f"{routes.LOGIN}?next={HERE}")
        if row is None:
            return rx.toast.error("No such learner in the sessions you teach.")
        booking_id, learner = int(row["id"]), row["learner"]

        def work(session: Session) -> None:
            enrollment_area.mark_attendance(session, actor=actor, booking_id=booking_id,
                                            attended=attended)
            session.commit()

        self.busy = True
        try:
            await with_session(work)
        except DomainError as exc:
            return rx.toast.error(exc.message)
        finally:
            self.busy = False
            await self._refresh(actor)
        return rx.toast.success(f"{learner}: {'attended' if attended else 'missed'}.")

    @rx.event
    async def mark_attended(self, ref: str):  # type: ignore[no-untyped-def]
        return await self._mark(ref, True)

    @rx.event
    async def mark_missed(self, ref: str):  # type: ignore[no-untyped-def]
        return await self._mark(ref, False)
