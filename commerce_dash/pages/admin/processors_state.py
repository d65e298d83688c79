"""The state of ``processors.py`` (/admin/processors): which processors are set up (keys,
webhook secret, last webhook, mode; never a secret), which one takes each department's
payments, and the billing admin's choices and test webhooks through
``services.commerce`` (which checks the section, refuses a processor lacking its settings,
audits and commits)."""

from __future__ import annotations

import reflex as rx

from commerce_dash.db import session_scope
from commerce_dash.domain.errors import DomainError
from commerce_dash.pages.admin.service_calls import act, attempt
from commerce_dash.payments.configuration import CHOOSABLE, LABELS
from commerce_dash.services import commerce as commerce_area
from commerce_dash.state.admin import AdminState
from commerce_dash.state.route_args import route_int

SECTION = "processors"
DEFAULT = "default"  # a department's select: back to the default processor
SOURCES = {"screen": "Chosen here", "environment": "From the environment",
           "default": "The default"}


def _processor_row(row: commerce_area.ProcessorRowView) -> dict[str, str]:
    config = row.config
    return {
        "name": config.name,
        "label": config.label,
        "configured": "yes" if config.configured else "",
        "missing": ", ".join(config.missing),
        "webhook_secret": "yes" if config.webhook_secret else "",
        "last_webhook": row.last_webhook or "None yet",
        "mode": config.mode,
        "departments": str(row.departments),
    }


class ProcessorsState(AdminState):
    default: str = ""
    default_source: str = ""
    processors: list[dict[str, str]] = []
    departments: list[dict[str, str]] = []
    unconfigured: list[str] = []

    def _fetch(self) -> None:
        actor = self.current_actor()
        with session_scope() as session:
            screen = commerce_area.processor_screen(session=session, actor=actor)
        self.default = screen.default
        self.default_source = SOURCES[screen.default_source]
        self.processors = [_processor_row(r) for r in screen.processors]
        self.departments = [{
            "id": str(d.department_id), "code": d.code, "name": d.name,
            "processor": d.processor, "label": LABELS.get(d.processor, d.processor),
            "choice": d.processor if d.source == "screen" else DEFAULT,
            "source": SOURCES[d.source], "configured": "yes" if d.configured else "",
        } for d in screen.departments]
        self.unconfigured = [f"{d.name} ({LABELS.get(d.processor, d.processor)})"
                             for d in screen.unconfigured]

    @rx.event
    def load(self):  # type: ignore[no-untyped-def]
        if self.guard(SECTION) is None:
            return None
        try:
            self._fetch()
        except DomainError as exc:
            return rx.toast.error(exc.message)
        return None

    @rx.event
    def choose_default(self, processor: str):  # type: ignore[no-untyped-def]
        return act(self, commerce_area.choose_processor,
                   lambda name: f"{LABELS.get(name, name)} is now the default processor.",
                   department_id=None, processor=str(processor))

    @rx.event
    def choose_for_department(self, department_id: str, processor: str):  # type: ignore[no-untyped-def]
        wanted = None if processor == DEFAULT else str(processor)
        return act(self, commerce_area.choose_processor,
                   lambda name: f"Payments of this department now go to "
                                f"{LABELS.get(name, name)}.",
                   department_id=route_int(department_id) or 0,  # 0: not found
                   processor=wanted)

    @rx.event
    def send_test(self, processor: str):  # type: ignore[no-untyped-def]
        outcome, refused = attempt(self, commerce_area.send_test_webhook,
                                   processor=str(processor))
        if outcome is None:
            return refused
        self._fetch()
        label = LABELS.get(str(processor), str(processor))
        if outcome.status in ("processed", "ignored"):
            return rx.toast.success(f"{label}: a test webhook signed with the configured "
                                    "secret was verified and stored.")
        return rx.toast.error(f"{label}: the test webhook was {outcome.status} "
                              f"({outcome.detail}).")


CHOICES = [(name, LABELS[name]) for name in CHOOSABLE]
