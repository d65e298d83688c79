"""The state of ``course_steps.py`` (the Steps dialog of the Courses page): a course's ordered
steps and the group classes attached to each, and the editor's actions (add, edit, move,
delete, attach, detach) through ``services.learning`` (they check the admin's departments and
audit). Those services flush without committing: each action here commits its own session.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

import reflex as rx

from commerce_dash.db import session_scope
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.errors import DomainError
from commerce_dash.domain.sessions import in_zone, zone
from commerce_dash.services import enrollment as enrollment_area
from commerce_dash.services import learning as learning_area
from commerce_dash.services import platform as platform_area
from commerce_dash.state.admin import AdminState
from commerce_dash.state.route_args import route_int
from commerce_dash.state.setters import value_setter
from commerce_dash.state.time_zone import BROWSER_ZONE_SCRIPT, known_zone

T = TypeVar("T")
CLASS_LIMIT = 200  # upcoming classes offered in the "Attach class" list
STEP_ERRORS = {"label": "label_error", "title": "title_error", "description": "description_error"}
BROWSER_ZONE = BROWSER_ZONE_SCRIPT


@dataclass(frozen=True)
class OptionView:
    option_id: str = ""
    title: str = ""
    when: str = ""  # in the class's own zone: 'Mon 26 Oct 2026, 09:00–11:00 CET'
    your_time: str = ""  # the same in the viewer's zone, "" when it reads the same
    seats: str = ""  # "3/12" booked / capacity
    status: str = ""  # scheduled | cancelled
    remove_label: str = ""  # "Remove <title> from <step>"


@dataclass(frozen=True)
class StepView:
    id: str = ""
    position: int = 0
    label: str = ""
    title: str = ""
    description: str = ""
    first: bool = False
    last: bool = False
    options: list[OptionView] = field(default_factory=list)


def _local(start: datetime, end: datetime, time_zone: str) -> str:
    """'Mon 26 Oct 2026, 09:00–11:00 CET' as a reader in ``time_zone`` sees it."""
    a, b = in_zone(start, time_zone), in_zone(end, time_zone)
    return f"{a:%a %d %b %Y, %H:%M}–{b:%H:%M} {a.tzname()}"


def _option_view(o: learning_area.OptionRow, step_label: str, viewer: str) -> OptionView:
    here = _local(o.starts_at, o.ends_at, o.time_zone)
    yours = _local(o.starts_at, o.ends_at, viewer)
    return OptionView(
        option_id=str(o.option_id), title=o.title, when=here,
        your_time="" if yours == here else yours,
        seats=f"{o.capacity - o.seats_left}/{o.capacity}", status=o.status,
        remove_label=f"Remove {o.title} from {step_label}",
    )


def _views(rows: list[learning_area.StepRow], viewer: str) -> list[StepView]:
    return [StepView(id=str(r.step_id), position=r.position, label=r.label, title=r.title,
                     description=r.description, first=n == 0, last=n == len(rows) - 1,
                     options=[_option_view(o, r.label, viewer) for o in r.options])
            for n, r in enumerate(rows)]


class CourseStepsState(AdminState):
    open: bool = False
    course_id: int = 0
    course_label: str = ""
    time_zone: str = "UTC"  # the viewer's (the browser's), once it said
    steps: list[StepView] = []
    classes: list[dict[str, str]] = []  # upcoming group classes of the course's department

    # the step form: "" (hidden) | "add" | "edit"
    form_mode: str = ""
    form_key: int = 0
    edit_step_id: int = 0
    draft_label: str = ""
    draft_title: str = ""
    draft_description: str = ""
    label_error: str = ""
    title_error: str = ""
    description_error: str = ""
    form_error: str = ""

    # "Attach class" under one step; "Delete?" asked for one step
    attach_step: str = ""
    attach_session: str = ""
    attach_error: str = ""
    deleting: str = ""

    # -- calling the services -------------------------------------------------------------
    def _call(self, service: Callable[..., T], /, **kwargs: Any) -> T:
        """``service`` as the admin signed in, committed (the step services only flush)."""
        with session_scope() as session:
            result = service(session=session, actor=self.current_actor(), **kwargs)
            session.commit()
            return result

    def _viewer(self) -> str:
        try:
            zone(self.time_zone)
        except DomainError:
            return "UTC"
        return self.time_zone

    def _reload(self) -> None:
        """The course's steps and the classes that could be attached, as they are now."""
        actor = self.current_actor()
        viewer = self._viewer()
        with session_scope() as session:
            rows = learning_area.admin_course_steps(session, actor=actor,
                                                    course_id=self.course_id)
            department = platform_area.get_course(session=session, actor=actor,
                                                  course_id=self.course_id).department_id
            page = enrollment_area.list_sessions(session, actor=actor, query=(
                enrollment_area.SessionQuery(
                    department_id=department, kind="group", status="scheduled",
                    date_from=in_zone(utcnow(), viewer).date(),
                    page_size=CLASS_LIMIT, time_zone=viewer)))
        now = utcnow()
        self.steps = _views(rows, viewer)
        # attach_option takes the course's own department only (not its subdepartments')
        self.classes = [
            {"id": str(s.id),
             "label": f"{s.title} · {_local(s.starts_at, s.ends_at, s.time_zone)} · "
                      f"{s.seats_booked}/{s.capacity} booked"}
            for s in page.items if s.department_id == department and s.starts_at > now]

    def _refresh(self) -> Any:
        """Reload after a change; a refusal while reading is the error toast."""
        try:
            self._reload()
        except DomainError as exc:
            return rx.toast.error(exc.message)
        return None

    def _changed(self, said: str) -> Any:
        """After a change: the steps reloaded and ``said`` as a success toast."""
        refused = self._refresh()
        return refused if refused is not None else rx.toast.success(said)

    # -- opening ------------------------------------------------------------------------------
    @rx.event
    def open_for(self, course_id: str, label: str):  # type: ignore[no-untyped-def]
        self.course_id = route_int(course_id) or 0  # 0: no such course
        self.course_label = label
        self.form_mode, self.attach_step, self.deleting = "", "", ""
        self._clear_errors()
        try:
            self._reload()
        except DomainError as exc:
            return rx.toast.error(exc.message)
        self.open = True
        return rx.call_script(BROWSER_ZONE, callback=CourseStepsState.set_browser_zone)

    @rx.event
    def set_browser_zone(self, name: str):  # type: ignore[no-untyped-def]
        """The browser's time zone (once the dialog opened): the class times are shown in it
        too."""
        name = known_zone(name, "")
        if not name:
            return None
        if name != self.time_zone:
            self.time_zone = name
            return self._refresh()
        return None

    set_open = value_setter("open", bool)

    # -- the step form --------------------------------------------------------------------------
    def _clear_errors(self) -> None:
        for name in (*STEP_ERRORS.values(), "form_error", "attach_error"):
            setattr(self, name, "")

    def _show_form(self, mode: str, step: StepView | None) -> None:
        self._clear_errors()
        self.form_mode, self.form_key = mode, self.form_key + 1
        self.edit_step_id = int(step.id) if step else 0
        self.draft_label = step.label if step else f"Step {len(self.steps) + 1}"
        self.draft_title = step.title if step else ""
        self.draft_description = step.description if step else ""

    @rx.event
    def add_step(self) -> None:
        self._show_form("add", None)

    @rx.event
    def edit_step(self, step_id: str) -> None:
        step = next((s for s in self.steps if s.id == step_id), None)
        if step is not None:
            self._show_form("edit", step)

    @rx.event
    def cancel_form(self) -> None:
        self.form_mode = ""
        self._clear_errors()

    @rx.event
    def save_step(self, form: dict[str, Any]):  # type: ignore[no-untyped-def]
        self._clear_errors()
        data = learning_area.StepIn(label=str(form.get("step_label", "")),
                                    title=str(form.get("step_title", "")),
                                    description=str(form.get("step_description", "")))
        try:
            if self.form_mode == "edit":
                step = self._call(learning_area.update_step, step_id=self.edit_step_id,
                                  data=data)
            else:
                step = self._call(learning_area.create_step, course_id=self.course_id,
                                  data=data)
        except DomainError as exc:
            setattr(self, STEP_ERRORS.get(exc.field or "", "form_error"), exc.message)
            return None
        said = f"{step.label} saved." if self.form_mode == "edit" else f"{step.label} added."
        self.form_mode = ""
        return self._changed(said)

    # -- order and delete ---------------------------------------------------------------------------
    @rx.event
    def move(self, step_id: str, position: int):  # type: ignore[no-untyped-def]
        try:
            self._call(learning_area.move_step, step_id=route_int(step_id) or 0,
                       position=int(position))
        except (DomainError, TypeError, ValueError) as exc:
            return rx.toast.error(getattr(exc, "message", "Choose a position in the list."))
        return self._refresh()

    @rx.event
    def ask_delete(self, step_id: str) -> None:
        self.deleting = step_id

    @rx.event
    def keep_step(self) -> None:
        self.deleting = ""

    @rx.event
    def delete_step(self, step_id: str):  # type: ignore[no-untyped-def]
        self.deleting = ""
        label = next((s.label for s in self.steps if s.id == step_id), "The step")
        try:
            self._call(learning_area.delete_step, step_id=route_int(step_id) or 0)
        except DomainError as exc:
            return rx.toast.error(exc.message)
        if self.form_mode == "edit" and str(self.edit_step_id) == step_id:
            self.form_mode = ""
        return self._changed(f"{label} deleted.")

    # -- options ------------------------------------------------------------------------------------
    @rx.event
    def start_attach(self, step_id: str) -> None:
        self.attach_step, self.attach_session, self.attach_error = step_id, "", ""

    @rx.event
    def cancel_attach(self) -> None:
        self.attach_step, self.attach_error = "", ""

    set_attach_session = value_setter("attach_session")

    @rx.event
    def attach(self):  # type: ignore[no-untyped-def]
        self.attach_error = ""
        session_id = route_int(self.attach_session)
        if session_id is None:
            self.attach_error = "Choose a class to attach."
            return None
        try:
            self._call(learning_area.attach_option, step_id=route_int(self.attach_step) or 0,
                       session_id=session_id)
        except DomainError as exc:
            self.attach_error = exc.message
            return None
        label = next((s.label for s in self.steps if s.id == self.attach_step), "the step")
        title = next((c["label"].split(" · ")[0] for c in self.classes
                      if c["id"] == self.attach_session), "The class")
        self.attach_step = ""
        return self._changed(f"{title} attached to {label}.")

    @rx.event
    def detach(self, option_id: str, remove_label: str):  # type: ignore[no-untyped-def]
        try:
            self._call(learning_area.detach_option, option_id=route_int(option_id) or 0)
        except DomainError as exc:
            return rx.toast.error(exc.message)
        done = remove_label.replace("Remove ", "", 1).replace(" from ", " removed from ", 1)
        return self._changed(f"{done}.")
