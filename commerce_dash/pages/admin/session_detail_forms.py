"""The actions of a session's admin page (``session_detail_state.py`` mixes this in): Edit
(title, capacity, place, link, description), Reschedule (a new local day and times in a zone)
and Cancel (with the reason the booked learners are emailed), each in its dialog; and the one
way every action runs: the service off the event loop, committed, the page read again and a
toast saying what was done (or the error beside its field)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import reflex as rx
from sqlmodel import Session

from commerce_dash.domain.actor import Actor
from commerce_dash.domain.errors import DomainError
from commerce_dash.domain.sessions import MAX_CAPACITY, in_zone
from commerce_dash.models.sessions import LiveSession
from commerce_dash.services import enrollment as enrollment_area
from commerce_dash.state.offload import with_session
from commerce_dash.state.setters import value_setter

from .sessions_forms import (
    SECTION,
    field_errors,
    form_text,
    no_errors,
    read_count,
    read_day,
    read_time,
)

REASON_MIN, REASON_MAX = 3, 500
CANCEL_TEXT = ("Every booked learner is emailed the reason, their credits are returned and "
               "their course steps can be booked again; the waitlist ends. This cannot be "
               "undone.")


def _closer(name: str) -> Any:
    """``set_<name>(open)``: a dialog opens or closes, unless its call is still running."""

    def setter(self, value: bool) -> None:  # type: ignore[no-untyped-def]
        if not self.busy:  # a running call finishes first
            setattr(self, name, bool(value))

    setter.__name__ = setter.__qualname__ = f"set_{name}"
    setter.__annotations__ = {"value": bool}
    return rx.event(setter)


class SessionActionsMixin(rx.State, mixin=True):
    """The page state provides ``live_id``, ``guard``/``refused`` and ``_reload``."""

    zone_options: rx.Field[list[str]] = rx.field(default_factory=list)
    form_errors: rx.Field[dict[str, str]] = rx.field(default_factory=no_errors)
    form_zone: rx.Field[str] = rx.field("UTC")
    form_key: rx.Field[int] = rx.field(0)
    edit_open: rx.Field[bool] = rx.field(False)
    reschedule_open: rx.Field[bool] = rx.field(False)
    cancel_open: rx.Field[bool] = rx.field(False)
    busy: rx.Field[bool] = rx.field(False)
    # what the dialogs' uncontrolled inputs start with
    edit_title: rx.Field[str] = rx.field("")
    edit_capacity: rx.Field[str] = rx.field("")
    edit_location: rx.Field[str] = rx.field("")
    edit_link: rx.Field[str] = rx.field("")
    edit_description: rx.Field[str] = rx.field("")
    move_day: rx.Field[str] = rx.field("")
    move_start: rx.Field[str] = rx.field("")
    move_end: rx.Field[str] = rx.field("")
    session_zone: rx.Field[str] = rx.field("UTC")
    instructor_id: rx.Field[int] = rx.field(0)  # 0: none (kept as it is by Edit)
    cancel_reason: rx.Field[str] = rx.field("")
    cancel_error: rx.Field[str] = rx.field("")

    def _keep_for_forms(self, live: LiveSession) -> None:
        starts, ends = in_zone(live.starts_at, live.time_zone), in_zone(live.ends_at,
                                                                       live.time_zone)
        self.edit_title, self.edit_capacity = live.title, str(live.capacity)
        self.edit_location, self.edit_link = live.location, live.meeting_url
        self.edit_description = live.description
        self.move_day, self.move_start = starts.date().isoformat(), f"{starts:%H:%M}"
        self.move_end, self.session_zone = f"{ends:%H:%M}", live.time_zone
        self.instructor_id = live.instructor_id or 0

    def _open(self) -> None:
        self.form_errors, self.cancel_error = no_errors(), ""
        self.form_key += 1
        self.edit_open = self.reschedule_open = self.cancel_open = False

    @rx.event
    def open_edit(self) -> None:
        self._open()
        self.edit_open = True

    @rx.event
    def open_reschedule(self) -> None:
        self._open()
        self.form_zone = self.session_zone
        self.reschedule_open = True

    @rx.event
    def open_cancel(self) -> None:
        self._open()
        self.cancel_reason = ""
        self.cancel_open = True

    set_edit_open = _closer("edit_open")
    set_reschedule_open = _closer("reschedule_open")
    set_cancel_open = _closer("cancel_open")
    set_form_zone = value_setter("form_zone")

    @rx.event
    def set_cancel_reason(self, value: str) -> None:
        self.cancel_reason = str(value).replace("\x00", "")[:REASON_MAX]
        self.cancel_error = ""

    async def _act(self, call: Callable[[Session, Actor], Any], said: Callable[[Any], str],
                   *, fields: bool = False):  # type: ignore[no-untyped-def]
        """``call(session, actor)`` off the loop, committed; then the page read again and
        ``said(result)`` as a toast. A refusal: beside its field (``fields``) or a toast."""
        if self.busy:
            return None
        actor = self.guard(SECTION)  # type: ignore[attr-defined]
        if actor is None:
            self.edit_open = self.reschedule_open = self.cancel_open = False
            return self.refused() or rx.toast.error(  # type: ignore[attr-defined]
                "You may no longer manage sessions: sign in again.")
        self.busy = True
        try:
            def run(session: Session) -> Any:
                result = call(session, actor)
                session.commit()
                return result

            result = await with_session(run)
        except DomainError as exc:
            if fields:
                self.form_errors = field_errors(exc)
                return None
            self.edit_open = self.reschedule_open = self.cancel_open = False
            await self._reload(actor, self.live_id)  # type: ignore[attr-defined]
            return rx.toast.error(exc.message)
        finally:
            self.busy = False
        self.edit_open = self.reschedule_open = self.cancel_open = False
        await self._reload(actor, self.live_id)  # type: ignore[attr-defined]
        return rx.toast.success(said(result))

    @rx.event
    async def submit_edit(self, form: dict[str, Any]):  # type: ignore[no-untyped-def]
        self.form_errors = no_errors()
        try:
            capacity = read_count(form.get("capacity"), "capacity", MAX_CAPACITY)
        except DomainError as exc:
            self.form_errors = field_errors(exc)
            return None
        data = enrollment_area.SessionEdit(
            title=form_text(form, "title"), capacity=capacity,
            location=form_text(form, "location"),
            meeting_url=form_text(form, "meeting_url"),
            description=form_text(form, "description"),
            instructor_id=self.instructor_id or None)
        session_id = self.live_id  # type: ignore[attr-defined]
        return await self._act(
            lambda s, a: enrollment_area.update_session(s, actor=a, session_id=session_id,
                                                        data=data),
            lambda live: f"\"{live.title}\" saved.", fields=True)

    @rx.event
    async def submit_reschedule(self, form: dict[str, Any]):  # type: ignore[no-untyped-def]
        self.form_errors = no_errors()
        try:
            day = read_day(form.get("day"))
            start = read_time(form.get("start"), "starts_at")
            end = read_time(form.get("end"), "ends_at")
        except DomainError as exc:
            self.form_errors = field_errors(exc)
            return None
        session_id, zone_name = self.live_id, self.form_zone  # type: ignore[attr-defined]
        return await self._act(
            lambda s, a: enrollment_area.reschedule_session(
                s, actor=a, session_id=session_id, day=day, start=start, end=end,
                time_zone=zone_name),
            lambda live: f"\"{live.title}\" moved; its booked learners are emailed the new "
                         "time.", fields=True)

    @rx.event
    async def confirm_cancel(self):  # type: ignore[no-untyped-def]
        reason = " ".join(self.cancel_reason.split())
        if len(reason) < REASON_MIN:
            self.cancel_error = (f"Write the reason the learners are told (at least "
                                 f"{REASON_MIN} characters).")
            return None
        session_id = self.live_id  # type: ignore[attr-defined]
        return await self._act(
            lambda s, a: enrollment_area.cancel_session(s, actor=a, session_id=session_id,
                                                        reason=reason),
            lambda live: f"\"{live.title}\" cancelled; booked learners are emailed and their "
                         "credits returned.")
