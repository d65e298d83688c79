"""The state of ``learn.py`` (its view): what the page loads and its event handlers."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

import reflex as rx

from commerce_dash import routes
from commerce_dash.components.badges import course_status_color, course_status_label
from commerce_dash.db import session_scope
from commerce_dash.domain.dates import display_day
from commerce_dash.domain.durations import duration_label
from commerce_dash.domain.errors import DomainError
from commerce_dash.routes import verify_href
from commerce_dash.services import learning as learning_area
from commerce_dash.state.auth import AuthState
from commerce_dash.state.links import item_href, learn_href
from commerce_dash.state.route_args import route_code, route_int


@dataclass(frozen=True)
class ModuleView:
    id: int = 0
    position: int = 0
    title: str = ""
    estimate: str = ""  # "45 min", "" when unknown
    done: bool = False
    completed_on: str = ""
    score: str = ""  # "85%", "" when none


def module_view(m: learning_area.ModuleRow) -> ModuleView:
    return ModuleView(
        id=m.id,
        position=m.position,
        title=m.title,
        estimate=duration_label(m.minutes_estimate),
        done=m.completed,
        completed_on=display_day(m.completed_on),
        score=f"{m.score}%" if m.score is not None else "",
    )


class LearnState(AuthState):
    found: rx.Field[str] = rx.field("loading")  # loading | found | missing
    missing_message: rx.Field[str] = rx.field("")
    course_code: rx.Field[str] = rx.field("")
    course_title: rx.Field[str] = rx.field("")
    course_href: rx.Field[str] = rx.field("")  # the course's catalog page
    status_label: rx.Field[str] = rx.field("")
    status_color: rx.Field[str] = rx.field("gray")
    mode: rx.Field[str] = rx.field("")  # local | lms
    active: rx.Field[bool] = rx.field(False)
    percent: rx.Field[int] = rx.field(0)
    modules_done: rx.Field[int] = rx.field(0)
    modules_total: rx.Field[int] = rx.field(0)
    criteria: rx.Field[str] = rx.field("")
    missing: rx.Field[list[str]] = rx.field(default_factory=list)
    modules: rx.Field[list[ModuleView]] = rx.field(default_factory=list)
    certificate_number: rx.Field[str] = rx.field("")
    certificate_download: rx.Field[str] = rx.field("")
    certificate_share: rx.Field[str] = rx.field("")
    certificate_public: rx.Field[str] = rx.field("")
    marking: rx.Field[int] = rx.field(0)  # the module being marked, 0 when none
    _enrollment_id: int = 0

    @rx.var
    def can_mark(self) -> bool:
        """Only the learner of an active local course records progress here."""
        return self.mode == "local" and self.active

    def _show(self, p: learning_area.CourseProgress) -> None:
        self.found = "found"
        self._enrollment_id = p.enrollment_id
        self.course_code, self.course_title = p.course_code, p.course_title
        self.course_href = item_href("course", p.course_code)
        self.status_label = course_status_label(p)
        self.status_color = course_status_color(p)
        self.mode, self.active = p.mode, p.status == "active"
        self.percent, self.modules_done, self.modules_total = (
            p.percent,
            p.modules_done,
            p.modules_total,
        )
        self.criteria, self.missing = p.criteria, list(p.missing)
        self.modules = [module_view(m) for m in p.modules]
        self.certificate_number = p.certificate_number
        has_certificate = p.certificate_id is not None and bool(p.certificate_number)
        self.certificate_download = (
            learning_area.download_path(p.certificate_id or 0) if has_certificate else ""
        )
        self.certificate_share = (
            learning_area.verification_url(p.certificate_number) if has_certificate else ""
        )
        self.certificate_public = verify_href(p.certificate_number) if has_certificate else ""

    def _fetch(self, user_id: int, code: str) -> None:
        try:
            with session_scope() as session:
                progress = learning_area.learner_course(
                    session=session, user_id=user_id, course_code=code
                )
        except DomainError as exc:
            self.found, self.missing_message = "missing", exc.message
            self.course_code, self.modules, self._enrollment_id = code, [], 0
            self.course_href = item_href("course", code) if code else routes.STORE
            return
        self._show(progress)

    @rx.event
    def load(self):  # type: ignore[no-untyped-def]
        code = route_code(self)
        back = f"{routes.LOGIN}?next={quote(learn_href(code), safe='/')}"
        self.load_session()
        if not self.signed_in:
            yield rx.redirect(back)
            return
        if self.found != "loading" and code.upper() != self.course_code.upper():
            self.found = "loading"  # never show the previous course under this address
            yield
        actor = self.current_actor()
        if actor is None:
            yield rx.redirect(back)
            return
        self.marking = 0
        self._fetch(actor.user_id, code)

    @rx.event
    def mark_complete(self, module_id: int):  # type: ignore[no-untyped-def]
        if self.marking:
            return
        actor = self.current_actor()
        if actor is None:
            yield rx.redirect(
                f"{routes.LOGIN}?next={quote(learn_href(self.course_code), safe='/')}"
            )
            return
        self.marking = module_id
        yield
        had_certificate = bool(self.certificate_number)
        try:
            with session_scope() as session:
                outcome = learning_area.learner_mark_module(
                    session=session,
                    actor=actor,
                    enrollment_id=self._enrollment_id,
                    module_id=route_int(module_id) or 0,  # 0: not in the course
                )
        except DomainError as exc:
            self.marking = 0
            yield rx.toast.error(exc.message)
            return
        self.marking = 0
        self._fetch(actor.user_id, self.course_code)
        if outcome.certificate_number and not had_certificate:
            yield rx.toast.success(
                f"Course complete — your certificate {outcome.certificate_number} is ready"
            )
            return
        yield rx.toast.success(
            f"Module marked complete · {self.modules_done} of {self.modules_total} modules done"
        )


# -- components ------------------------------------------------------------------------------
