"""Calendar invitations (iCalendar, RFC 5545 / iTIP RFC 5546) attached to session emails.

One event per booking: its UID stays the same for the booking's whole life, so a calendar
replaces the event when a later invitation carries a higher SEQUENCE (a reschedule) and
removes it on a CANCEL. Times are written in the learner's time zone (TZID with its
VTIMEZONE), so the calendar shows the wall time the email shows.
"""

from __future__ import annotations

from datetime import date, datetime
from email.utils import parseaddr
from functools import lru_cache

from icalendar import Calendar, Event, Timezone, vCalAddress, vText

from commerce_dash.domain.clock import ensure_utc, utcnow
from commerce_dash.domain.sessions import zone
from commerce_dash.notify.message import Attachment

PRODID = "-//Commerce Dash//Live sessions//EN"
ICS_FILENAME = "invite.ics"


@lru_cache(maxsize=256)
def _vtimezone(time_zone: str, first_year: int, last_year: int) -> bytes:
    """The VTIMEZONE of ``time_zone`` over the given years, as iCalendar text (computing it
    walks the zone's transitions, so it is cached; text, because components are mutable)."""
    component = Timezone.from_tzinfo(
        zone(time_zone), tzid=time_zone,
        first_date=date(first_year, 1, 1), last_date=date(last_year + 1, 1, 1),
    )
    return bytes(component.to_ical())


def _cal_address(value: str) -> vCalAddress | None:
    name, address = parseaddr(value)
    if "@" not in address:
        return None
    cal_address = vCalAddress(f"mailto:{address}")
    if name:
        cal_address.params["CN"] = vText(name)
    return cal_address


def session_invite(
    *,
    uid: str,
    title: str,
    description: str,
    starts_at: datetime,
    ends_at: datetime,
    time_zone: str,
    location: str,
    url: str,
    sequence: int = 0,
    cancelled: bool = False,
    organizer: str = "",
    attendee: str = "",
    stamp: datetime | None = None,
) -> bytes:
    """A one-event calendar inviting to (or, ``cancelled``, cancelling) a session.

    ``starts_at``/``ends_at`` are aware instants (stored UTC); they are written as wall times
    of ``time_zone`` (an IANA name: a DomainError otherwise). ``organizer`` and ``attendee``
    are email addresses ("Name <addr>" or "addr"), left out when empty.
    """
    tz = zone(time_zone)
    start = ensure_utc(starts_at).astimezone(tz)
    end = ensure_utc(ends_at).astimezone(tz)

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "CANCEL" if cancelled else "REQUEST")
    if time_zone != "UTC":
        first, last = min(start.year, end.year) - 1, max(start.year, end.year) + 1
        calendar.add_component(Timezone.from_ical(_vtimezone(time_zone, first, last)))

    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", ensure_utc(stamp or utcnow()))
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("summary", title)
    if description:
        event.add("description", description)
    if location:
        event.add("location", location)
    if url:
        event.add("url", url)
    event.add("sequence", sequence)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("transp", "OPAQUE")
    organizer_address = _cal_address(organizer)
    if organizer_address is not None:
        event.add("organizer", organizer_address)
    attendee_address = _cal_address(attendee)
    if attendee_address is not None:
        attendee_address.params["ROLE"] = vText("REQ-PARTICIPANT")
        attendee_address.params["PARTSTAT"] = vText("ACCEPTED")
        event.add("attendee", attendee_address)
    calendar.add_component(event)
    return bytes(calendar.to_ical())


def invite_attachment(data: bytes, *, cancelled: bool = False) -> Attachment:
    """The invitation as an email attachment (``text/calendar`` with its iTIP method)."""
    method = "CANCEL" if cancelled else "REQUEST"
    return Attachment(filename=ICS_FILENAME, content_type=f"text/calendar; method={method}",
                      data=data)
