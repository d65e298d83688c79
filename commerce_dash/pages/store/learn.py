"""One of the learner's courses (/account/learn/[code]): progress, the completion rule, what is
still missing and the modules in order. In a local course the learner marks modules done here;
an LMS course reports its own progress, so the page only shows it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import reflex as rx

from commerce_dash import routes
from commerce_dash.components.catalog_card import item_href, loading_panel
from commerce_dash.components.shell import store_shell
from commerce_dash.components.tables import empty_state
from commerce_dash.db import session_scope
from commerce_dash.domain.dates import display_day
from commerce_dash.domain.durations import duration_label
from commerce_dash.domain.errors import DomainError
from commerce_dash.pages.store.certificates import download_button, share_button
from commerce_dash.routes import verify_href
from commerce_dash.services.learning import certificates as certificates_service
from commerce_dash.services.learning import learning
from commerce_dash.state.auth import AuthState
from commerce_dash.state.route_args import route_code, route_int


def learn_href(code: str) -> str:
    return f"{routes.LEARN}/{quote(code, safe='')}"


def course_status_label(progress: learning.CourseProgress) -> str:
    """The badge of a course on the learner's pages."""
    if progress.complete:
        return "Complete"
    return "Enrolled" if progress.status == "active" else "Waiting for the LMS"


STATUS_COLORS = {"Complete": "green", "Enrolled": "blue", "Waiting for the LMS": "amber"}


@dataclass(frozen=True)
class ModuleView:
    id: int = 0
    position: int = 0
    title: str = ""
    estimate: str = ""  # "45 min", "" when unknown
    done: bool = False
    completed_on: str = ""
    score: str = ""  # "85%", "" when none


def module_view(m: learning.ModuleRow) -> ModuleView:
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

    def _show(self, p: learning.CourseProgress) -> None:
        self.found = "found"
        self._enrollment_id = p.enrollment_id
        self.course_code, self.course_title = p.course_code, p.course_title
        self.course_href = item_href("course", p.course_code)
        self.status_label = course_status_label(p)
        self.status_color = STATUS_COLORS[self.status_label]
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
            certificates_service.download_path(p.certificate_id or 0) if has_certificate else ""
        )
        self.certificate_share = (
            certificates_service.verification_url(p.certificate_number) if has_certificate else ""
        )
        self.certificate_public = verify_href(p.certificate_number) if has_certificate else ""

    def _fetch(self, user_id: int, code: str) -> None:
        try:
            with session_scope() as session:
                progress = learning.learner_course(
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
                outcome = learning.learner_mark_module(
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


def _module_status(m: Any) -> rx.Component:
    done = rx.hstack(
        rx.badge(rx.icon("check", size=12), "Completed", color_scheme="green", variant="soft"),
        rx.cond(
            m.completed_on != "",
            rx.text(m.completed_on, size="1", color_scheme="gray"),
            rx.fragment(),
        ),
        rx.cond(
            m.score != "", rx.badge("Score ", m.score, variant="outline", size="1"), rx.fragment()
        ),
        spacing="2",
        align="center",
        wrap="wrap",
        class_name="module-done",
    )
    todo = rx.cond(
        LearnState.can_mark,
        rx.button(
            rx.icon("circle-check", size=14),
            "Mark complete",
            size="2",
            on_click=LearnState.mark_complete(m.id),
            loading=LearnState.marking == m.id,
            disabled=LearnState.marking != 0,
            class_name="mark-complete",
        ),
        rx.badge("Not completed yet", color_scheme="gray", variant="soft"),
    )
    return rx.cond(m.done, done, todo)


def _module_row(m: Any) -> rx.Component:
    return rx.flex(
        rx.hstack(
            rx.center(
                rx.cond(m.done, rx.icon("check", size=16), rx.text(m.position, size="2")),
                width="28px",
                height="28px",
                flex_shrink="0",
                border_radius="50%",
                background=rx.cond(m.done, rx.color("green", 4), rx.color("gray", 4)),
                color=rx.cond(m.done, rx.color("green", 11), rx.color("gray", 11)),
            ),
            rx.vstack(
                rx.text(m.title, weight="medium"),
                rx.cond(
                    m.estimate != "",
                    rx.text(m.estimate, size="1", color_scheme="gray"),
                    rx.fragment(),
                ),
                spacing="0",
                min_width="0",
            ),
            align="center",
            spacing="3",
            flex="1",
            min_width="0",
        ),
        _module_status(m),
        direction=rx.breakpoints(initial="column", sm="row"),
        align=rx.breakpoints(initial="start", sm="center"),
        gap="2",
        width="100%",
        padding="0.75em 0",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
        class_name="learn-module",
        data_done=rx.cond(m.done, "true", "false"),
    )


def _progress_card() -> rx.Component:
    s = LearnState
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.text(
                    s.modules_done,
                    " of ",
                    s.modules_total,
                    " modules done",
                    weight="medium",
                    id="learn-count",
                ),
                rx.spacer(),
                rx.text(s.percent, "%", size="5", weight="bold", id="learn-percent"),
                width="100%",
                align="center",
            ),
            rx.progress(value=s.percent, max=100, size="3", width="100%"),
            rx.text(
                rx.text.strong("To earn the certificate: "),
                s.criteria,
                size="2",
                id="learn-criteria",
            ),
            rx.cond(
                s.missing.length() > 0,
                rx.vstack(
                    rx.text("Still to do", size="2", weight="medium"),
                    rx.unordered_list(
                        rx.foreach(s.missing, lambda item: rx.list_item(rx.text(item, size="2"))),
                    ),
                    spacing="1",
                    id="learn-missing",
                ),
                rx.fragment(),
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def _mode_note() -> rx.Component:
    s = LearnState
    return rx.cond(
        s.mode == "lms",
        rx.callout(
            "Progress in this course is recorded by the learning platform. Complete the modules "
            "there; this page shows what it has reported.",
            icon="info",
            color_scheme="blue",
            width="100%",
            id="learn-lms-note",
        ),
        rx.cond(
            s.active,
            rx.fragment(),
            rx.callout(
                "Your enrollment is not active yet. You can mark modules complete once it is.",
                icon="clock",
                color_scheme="amber",
                width="100%",
            ),
        ),
    )


def _certificate_panel() -> rx.Component:
    s = LearnState
    return rx.cond(
        s.certificate_number != "",
        rx.card(
            rx.flex(
                rx.hstack(
                    rx.icon("award", size=32, color=rx.color("green", 9), flex_shrink="0"),
                    rx.vstack(
                        rx.heading("Your certificate is ready", size="4"),
                        rx.text(
                            "Number ",
                            rx.code(s.certificate_number),
                            size="2",
                            id="learn-certificate-number",
                        ),
                        spacing="1",
                    ),
                    align="center",
                    spacing="3",
                    flex="1",
                ),
                rx.flex(
                    download_button(s.certificate_download),
                    share_button(s.certificate_share),
                    rx.link(
                        rx.button("View public page", variant="ghost"), href=s.certificate_public
                    ),
                    gap="2",
                    wrap="wrap",
                    align="center",
                ),
                direction=rx.breakpoints(initial="column", md="row"),
                gap="3",
                align=rx.breakpoints(initial="start", md="center"),
                width="100%",
            ),
            width="100%",
            background=rx.color("green", 2),
            id="learn-certificate",
        ),
        rx.fragment(),
    )


def _modules_card() -> rx.Component:
    s = LearnState
    return rx.card(
        rx.vstack(
            rx.heading("Modules", size="4"),
            rx.cond(
                s.modules.length() > 0,
                rx.vstack(rx.foreach(s.modules, _module_row), spacing="0", width="100%"),
                rx.text("This course has no modules yet.", size="2", color_scheme="gray"),
            ),
            spacing="2",
            width="100%",
        ),
        width="100%",
        id="learn-modules",
    )


def _not_enrolled() -> rx.Component:
    return rx.card(
        rx.vstack(
            empty_state(
                "book-x",
                "You are not enrolled in this course",
                "Buy it in the catalog to start learning; your progress then shows here.",
            ),
            rx.text(LearnState.missing_message, size="2", color_scheme="gray"),
            rx.flex(
                rx.link(
                    rx.button(rx.icon("store", size=16), "Browse the catalog"), href=routes.STORE
                ),
                rx.link(rx.button("See this course", variant="soft"), href=LearnState.course_href),
                rx.link(rx.button("My account", variant="soft"), href=routes.ACCOUNT),
                gap="2",
                wrap="wrap",
                justify="center",
            ),
            align="center",
            padding_bottom="1.5em",
            width="100%",
        ),
        width="100%",
        id="learn-not-enrolled",
    )


def learn_page() -> rx.Component:
    s = LearnState
    header = rx.vstack(
        rx.link(
            rx.hstack(rx.icon("arrow-left", size=14), rx.text("My account", size="2")),
            href=routes.ACCOUNT,
        ),
        rx.flex(
            rx.heading(s.course_title, size="6", id="learn-title"),
            rx.badge(
                s.status_label,
                color_scheme=s.status_color.to(str),  # type: ignore[arg-type]
                variant="soft",
                size="2",
                id="learn-status",
            ),
            rx.link("Course page", href=s.course_href, size="2"),
            gap="3",
            align="center",
            wrap="wrap",
        ),
        spacing="2",
        width="100%",
    )
    return store_shell(
        rx.match(
            s.found,
            (
                "found",
                rx.vstack(
                    header,
                    _certificate_panel(),
                    _mode_note(),
                    _progress_card(),
                    _modules_card(),
                    spacing="4",
                    width="100%",
                    max_width="880px",
                    margin="0 auto",
                ),
            ),
            ("missing", _not_enrolled()),
            loading_panel(),
        )
    )
