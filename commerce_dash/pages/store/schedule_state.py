"""My schedule (/account/schedule): the learner's upcoming bookings (cancel, add to calendar),
past ones with their attendance, waitlist places (leave; an offered seat is accepted here, and
``?offer=<entry id>`` from the offer email picks the entry out), credits, and the sessions a
credit can book.

Times show in the browser's time zone (asked once per tab with ``Intl``; UTC until it
answers). Every database call runs off the event loop (``state/offload.py``); the booking
services commit themselves, ``leave_waitlist`` is committed here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

import reflex as rx
from sqlmodel import Session

from commerce_dash import routes
from commerce_dash.components.badges import status_color, status_label
from commerce_dash.domain.actor import Actor
from commerce_dash.domain.errors import DomainError
from commerce_dash.domain.sessions import in_zone
from commerce_dash.services import enrollment as enrollment_area
from commerce_dash.state.auth import AuthState
from commerce_dash.state.offload import off_loop, with_session
from commerce_dash.state.route_args import route_int
from commerce_dash.state.time_zone import BROWSER_ZONE_SCRIPT, known_zone

HERE = routes.SCHEDULE
ZONE_SCRIPT = BROWSER_ZONE_SCRIPT
# statuses of bookings, waitlist entries and credits in the app's one palette
_PALETTE = {"booked": "scheduled", "attended": "complete", "missed": "failed",
            "offered": "pending", "used": "cancelled", "available": "active"}
_LABELS = {"booked": "Not marked yet", "offered": "Seat offered", "waiting": "Waiting"}
_T = TypeVar("_T")


# -- times as the viewer reads them (the teaching page uses these too) ------------------------


def browser_zone(value: object) -> str:
    """The zone the browser reported, when it is one the app knows; else UTC."""
    return known_zone(value)


def moment_text(moment: datetime, time_zone: str) -> str:
    """'Mon 7 Dec 2026, 09:00 CET'."""
    local = in_zone(moment, time_zone)
    return f"{local:%a} {local.day} {local:%b %Y}, {local:%H:%M} {local.tzname()}"


def span_text(starts_at: datetime, ends_at: datetime, time_zone: str) -> str:
    """'Mon 7 Dec 2026, 09:00–10:00 CET' (the end's day is named when it is another day)."""
    start, end = in_zone(starts_at, time_zone), in_zone(ends_at, time_zone)
    first = f"{start:%a} {start.day} {start:%b %Y}, {start:%H:%M}"
    last = (f"{end:%H:%M}" if end.date() == start.date()
            else f"{end:%a} {end.day} {end:%b %Y}, {end:%H:%M}")
    return f"{first}–{last} {end.tzname()}"


def status_fields(status: str) -> dict[str, str]:
    return {"status": status, "status_label": _LABELS.get(status, status_label(status)),
            "status_color": status_color(_PALETTE.get(status, status))}


def ics_filename(title: str) -> str:
    """A file name for a session's calendar invite: '<title>.ics', safe on every system."""
    cleaned = re.sub(r"[^\w\- ]+", "", title, flags=re.UNICODE).strip()[:80].strip()
    return f"{cleaned or 'session'}.ics"


def _yes(flag: bool) -> str:
    return "yes" if flag else ""


# -- rows --------------------------------------------------------------------------------------


def booking_row(r: enrollment_area.ScheduleRow, tz: str) -> dict[str, str]:
    if r.step_label:
        what = f"{r.course_title} · {r.step_label}: {r.step_title}".strip(" ·")
    else:
        what = "Private session" if r.kind == "private" else "Group class"
    return {
        "id": str(r.booking_id), "title": r.title, "what": what,
        "instructor": r.instructor_name, "when": span_text(r.starts_at, r.ends_at, tz),
        "location": r.location, "join_url": r.meeting_url,
        "credit": _yes(r.uses_credit), "credit_returned": _yes(r.credit_returned),
        "can_cancel": _yes(r.can_cancel), "credit_back": _yes(r.credit_back_if_cancelled),
        **status_fields(r.status),
    }


def waitlist_row(w: enrollment_area.WaitlistRow, tz: str, offer_id: str) -> dict[str, str]:
    offered = w.status == "offered" and w.offered_until is not None
    place = (f"Seat held until {moment_text(w.offered_until, tz)}"
             if offered and w.offered_until is not None else f"Number {w.place} in line")
    return {"id": str(w.entry_id), "title": w.title,
            "when": span_text(w.starts_at, w.ends_at, tz), "place": place,
            "offered": _yes(offered), "highlight": _yes(str(w.entry_id) == offer_id),
            **status_fields(w.status)}


def credit_row(c: enrollment_area.CreditRow, tz: str) -> dict[str, str]:
    expires = (f"Expires {moment_text(c.expires_at, tz)}" if c.expires_at
               else "Never expires")
    return {"id": str(c.id), "label": c.label, "department": c.department_name,
            "expires": expires, **status_fields(c.status)}


def bookable_row(b: enrollment_area.BookableRow, tz: str) -> dict[str, str]:
    kind = f"Private session ({b.minutes} min)" if b.kind == "private" else "Group class"
    seats = "1 seat left" if b.seats_left == 1 else f"{b.seats_left} seats left"
    return {"id": str(b.session_id), "title": b.title, "kind": kind,
            "department": b.department, "instructor": b.instructor_name,
            "when": span_text(b.starts_at, b.ends_at, tz), "location": b.location,
            "seats": seats}


class MyScheduleState(AuthState):
    loaded: bool = False
    busy: bool = False
    time_zone: str = "UTC"
    zone_known: bool = False
    upcoming: list[dict[str, str]] = []
    past: list[dict[str, str]] = []
    waitlist: list[dict[str, str]] = []
    credits: list[dict[str, str]] = []
    bookable: list[dict[str, str]] = []
    offer_id: str = ""  # ?offer=<entry id> (the waitlist-offer email's link)
    offer_note: str = ""  # that offer is not among the learner's open entries
    # the cancel dialog
    cancel_open: bool = False
    cancel_id: str = ""
    cancel_title: str = ""
    cancel_note: str = ""

    async def _signed_in(self) -> Actor | None:
        """The actor for the session cookie (resolved off the loop), shown in the header."""
        actor = await off_loop(self.current_actor)
        self._show_actor(actor)
        return actor

    async def _refresh(self, actor: Actor) -> None:
        user_id, tz, offer = actor.user_id, self.time_zone, self.offer_id

        def read(session: Session) -> tuple[Any, Any]:
            return (enrollment_area.learner_schedule(session, user_id=user_id),
                    enrollment_area.bookable_with_credits(session, user_id=user_id))

        schedule, bookable = await with_session(read)
        self.upcoming = [booking_row(r, tz) for r in schedule.upcoming]
        self.past = [booking_row(r, tz) for r in schedule.past]
        self.waitlist = [waitlist_row(w, tz, offer) for w in schedule.waitlist]
        self.credits = [credit_row(c, tz) for c in schedule.credits]
        self.bookable = [bookable_row(b, tz) for b in bookable]
        open_offer = any(w["id"] == offer and w["offered"] for w in self.waitlist)
        self.offer_note = ("" if not offer or open_offer else
                           "That waitlist offer is no longer open: it was accepted, it ended "
                           "or the seat went to the next learner in line.")
        self.loaded = True

    @rx.event
    async def load(self):  # type: ignore[no-untyped-def]
        raw_offer = self.router.url.query_parameters.get("offer", "")
        offer = route_int(raw_offer)
        actor = await self._signed_in()
        if actor is None:
            back = f"{HERE}?offer={offer}" if offer else HERE
            return rx.redirect(f"{routes.LOGIN}?next={back}")
        await off_loop(lambda: (self._check_teaching(actor), self.refresh_cart_count(actor)))
        self.offer_id = str(offer) if offer else ""
        self.cancel_open, self.busy = False, False
        await self._refresh(actor)
        if not self.zone_known:
            return rx.call_script(ZONE_SCRIPT, callback=MyScheduleState.set_browser_zone)
        return None

    @rx.event
    async def set_browser_zone(self, value: str):  # type: ignore[no-untyped-def]
        """The browser's time zone: the times are shown again in it."""
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

    def _find(self, rows: list[dict[str, str]], ref: object) -> dict[str, str] | None:
        ident = route_int(ref)
        return next((r for r in rows if ident is not None and r["id"] == str(ident)), None)

    async def _act(self, work: Callable[[Session, Actor], _T],
                   done: Callable[[_T], str]) -> list[Any]:
        """``work(session, actor)`` off the loop, then the schedule again and ``done(result)``
        (or the refusal) as a toast."""
        actor = await self._signed_in()
        if actor is None:
            return [rx.redirect(f"{routes.LOGIN}?next={HERE}")]
        self.busy = True
        try:
            result = await with_session(lambda s: work(s, actor))
        except DomainError as exc:
            return [rx.toast.error(exc.message)]
        finally:
            self.busy = False
            await self._refresh(actor)
        return [rx.toast.success(done(result))]

    # -- cancel ----------------------------------------------------------------------------

    @rx.event
    def open_cancel(self, ref: str):  # type: ignore[no-untyped-def]
        row = self._find(self.upcoming, ref)
        if row is None or not row["can_cancel"]:
            return rx.toast.error("This booking can no longer be cancelled.")
        self.cancel_id, self.cancel_title = row["id"], row["title"]
        if not row["credit"]:
            self.cancel_note = ("Your seat is freed for someone else. A course step goes back "
                                "to unbooked: you can book another of its sessions.")
        elif row["credit_back"]:
            self.cancel_note = "Your credit comes back: you can use it for another session."
        else:
            self.cancel_note = ("It is past the cancellation cut-off: the credit used for this "
                                "booking does not come back.")
        self.cancel_open = True
        return None

    @rx.event
    def set_cancel_open(self, value: bool) -> None:
        self.cancel_open = value is True

    @rx.event
    async def confirm_cancel(self):  # type: ignore[no-untyped-def]
        booking_id = route_int(self.cancel_id)
        self.cancel_open = False
        if booking_id is None:
            return rx.toast.error("Choose a booking to cancel.")

        def work(session: Session, actor: Actor) -> Any:
            return enrollment_area.cancel_booking(session, actor=actor, booking_id=booking_id)

        return await self._act(work, lambda b: "Booking cancelled: your credit is back."
                               if b.credit_returned else "Booking cancelled.")

    # -- add to calendar -------------------------------------------------------------------

    @rx.event
    async def add_to_calendar(self, ref: str):  # type: ignore[no-untyped-def]
        row = self._find(self.upcoming, ref)
        actor = await self._signed_in()
        if actor is None:
            return rx.redirect(f"{routes.LOGIN}?next={HERE}")
        if row is None:
            return rx.toast.error("No such booking of yours.")
        booking_id = int(row["id"])
        try:
            data = await with_session(lambda s: enrollment_area.booking_invite(
                s, actor=actor, booking_id=booking_id))
        except DomainError as exc:
            return rx.toast.error(exc.message)
        return rx.download(data=data, filename=ics_filename(row["title"]),
                           mime_type="text/calendar")

    # -- the waitlist ----------------------------------------------------------------------

    @rx.event
    async def leave(self, ref: str):  # type: ignore[no-untyped-def]
        row = self._find(self.waitlist, ref)
        if row is None:
            return rx.toast.error("No such waitlist place of yours.")
        entry_id, title = int(row["id"]), row["title"]

        def work(session: Session, actor: Actor) -> None:
            enrollment_area.leave_waitlist(session, actor=actor, entry_id=entry_id)
            session.commit()

        return await self._act(work, lambda _: f"You left the waitlist of {title}.")

    @rx.event
    async def accept(self, ref: str):  # type: ignore[no-untyped-def]
        row = self._find(self.waitlist, ref)
        if row is None or not row["offered"]:
            return rx.toast.error("This waitlist offer is no longer open.")
        entry_id, tz = int(row["id"]), self.time_zone

        def work(session: Session, actor: Actor) -> str:
            booking = enrollment_area.accept_offer(session, actor=actor, entry_id=entry_id)
            return span_text(booking.starts_at, booking.ends_at, tz)

        self.offer_id = ""
        return await self._act(work, lambda when: f"Booked {row['title']}: {when}.")

    # -- use a credit ----------------------------------------------------------------------

    @rx.event
    async def book(self, ref: str):  # type: ignore[no-untyped-def]
        row = self._find(self.bookable, ref)
        if row is None:
            return rx.toast.error("That session can't be booked with your credits.")
        session_id, tz = int(row["id"]), self.time_zone

        def work(session: Session, actor: Actor) -> str:
            booking = enrollment_area.book_with_credit(session, actor=actor,
                                                       session_id=session_id, time_zone=tz)
            return span_text(booking.starts_at, booking.ends_at, tz)

        return await self._act(work, lambda when: f"Booked {row['title']}: {when}.")
