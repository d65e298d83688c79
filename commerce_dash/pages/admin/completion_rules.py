"""The completion rule of a course (dept-admins), edited from the Courses page: which modules
must be done, an assessment's passing score, a minimum study time, and how long the
certificate stays valid."""

from __future__ import annotations

from typing import Any

import reflex as rx

from commerce_dash.components.admin_forms import note, only_if
from commerce_dash.components.dialogs import dialog, dialog_buttons
from commerce_dash.components.forms import labelled, select
from commerce_dash.domain.completion import CompletionCriteria, Requirement
from commerce_dash.domain.errors import DomainError
from commerce_dash.domain.identifiers import parse_whole
from commerce_dash.pages.admin.service_calls import attempt
from commerce_dash.services import learning as learning_area
from commerce_dash.state.admin import AdminState
from commerce_dash.state.route_args import route_int
from commerce_dash.state.service_call import as_admin
from commerce_dash.state.setters import value_setter

NONE = "none"
REQUIREMENTS = [
    (Requirement.ALL_MODULES.value, "Every module"),
    (Requirement.PERCENTAGE.value, "A percentage of the modules"),
    (Requirement.SPECIFIC_MODULES.value, "Specific modules"),
    (Requirement.ALL_STEPS.value, "Every step attended (courses with steps)"),
]


# (lowest, highest) whole number each field takes: percentages, minutes, days
LIMITS = {
    "min_percentage": (1, 100),
    "passing_score": (0, 100),
    "min_minutes": (0, 1_000_000),
    "valid_for_days": (0, 36_500),
}


def _number(form: dict[str, Any], name: str, default: int) -> int:
    text = str(form.get(name, "")).strip()
    if not text:
        return default
    low, high = LIMITS[name]
    number = parse_whole(text, high=high)  # ASCII digits only
    if number is None or number < low:
        raise DomainError("not_a_number", f"Enter a whole number from {low} to {high:,}.",
                          field=name)
    return number


class CompletionRuleState(AdminState):
    open: bool = False
    course_id: int = 0
    course_label: str = ""
    requirement: str = Requirement.ALL_MODULES.value
    modules: list[dict[str, str]] = []
    required: list[str] = []
    assessment: str = NONE
    values: dict[str, str] = {}
    description: str = ""
    error: str = ""
    error_field: str = ""

    def _show(self, form: learning_area.RuleForm) -> None:
        c = form.criteria
        self.requirement = c.requirement.value
        self.modules = [{"id": str(i), "label": label} for i, label in form.modules]
        self.required = [str(m) for m in sorted(c.required_modules)]
        self.assessment = str(c.assessment_module) if c.assessment_module else NONE
        self.values = {
            "min_percentage": str(c.min_percentage),
            "passing_score": "" if c.passing_score is None else str(c.passing_score),
            "min_minutes": str(c.min_minutes) if c.min_minutes else "",
            "valid_for_days": str(c.valid_for_days) if c.valid_for_days else "",
        }
        self.description = form.description

    @rx.event
    def open_for(self, course_id: str, label: str):  # type: ignore[no-untyped-def]
        course = route_int(course_id) or 0  # 0: no such course
        form, refused = attempt(self, learning_area.completion_rule, course_id=course)
        if form is None:
            return refused
        self.course_id, self.course_label = course, label
        self.error = self.error_field = ""
        self._show(form)
        self.open = True
        return None

    set_open = value_setter("open", bool)
    set_requirement = value_setter("requirement")
    set_assessment = value_setter("assessment")

    @rx.event
    def toggle_module(self, module_id: str) -> None:
        self.required = ([m for m in self.required if m != module_id]
                         if module_id in self.required else [*self.required, module_id])

    @rx.event
    def save(self, form: dict[str, Any]):  # type: ignore[no-untyped-def]
        self.error = self.error_field = ""
        try:
            passing = str(form.get("passing_score", "")).strip()
            criteria = CompletionCriteria(
                requirement=Requirement(self.requirement),
                min_percentage=_number(form, "min_percentage", 100),
                # ids from the browser; one that is no id (0) is "not in this course"
                required_modules=frozenset(route_int(m) or 0 for m in self.required),
                assessment_module=(None if self.assessment == NONE
                                   else route_int(self.assessment) or 0),
                passing_score=_number(form, "passing_score", 0) if passing else None,
                min_minutes=_number(form, "min_minutes", 0),
                valid_for_days=_number(form, "valid_for_days", 0),
            )
            saved = as_admin(self, learning_area.set_completion_rule, course_id=self.course_id,
                                 criteria=criteria)
        except DomainError as exc:
            self.error, self.error_field = exc.message, exc.field or ""
            return None
        self._show(saved)
        self.open = False
        return rx.toast.success(f"Completion rule saved: {saved.description}")


R = CompletionRuleState


def _number_input(label: str, name: str, hint: str) -> rx.Component:
    return labelled(
        label,
        rx.input(name=name, type="number", min="0", default_value=R.values[name],
                 width="100%", id=f"rule-{name}"),
        note(hint),
    )


def completion_rule_dialog() -> rx.Component:
    return dialog(
        ("Completion rule · ", R.course_label),
        R.description,
        rx.form(
            rx.vstack(
                rx.text("Modules to complete", size="2", weight="medium"),
                select(R.requirement, R.set_requirement, list(REQUIREMENTS), width="100%",
                       id="rule-requirement"),
                only_if(R.requirement == Requirement.PERCENTAGE.value,
                        _number_input("Percentage of modules", "min_percentage", "1 to 100.")),
                only_if(R.requirement == Requirement.SPECIFIC_MODULES.value,
                        rx.vstack(rx.foreach(R.modules, lambda m: rx.checkbox(
                            m["label"], checked=R.required.contains(m["id"]),
                            on_change=lambda _v: R.toggle_module(m["id"]))),  # type: ignore[operator]
                            spacing="1")),
                rx.grid(
                    labelled(
                        "Assessment module",
                        select(R.assessment, R.set_assessment, first=(NONE, "No assessment"),
                               each=R.modules, width="100%"),
                    ),
                    _number_input("Passing score %", "passing_score",
                                  "Needed with an assessment."),
                    _number_input("Minimum study time (minutes)", "min_minutes",
                                  "Leave empty for none."),
                    _number_input("Certificate valid for (days)", "valid_for_days",
                                  "Leave empty: it never expires."),
                    columns=rx.breakpoints(initial="1", sm="2"), spacing="3", width="100%",
                ),
                only_if(R.error != "", rx.callout.root(
                    rx.callout.icon(rx.icon("triangle-alert")), rx.callout.text(R.error),
                    color_scheme="red", width="100%", id="rule-error")),
                note("Certificates already issued are not affected."),
                dialog_buttons(rx.button("Save rule", type="submit", id="rule-save")),
                spacing="3", width="100%", padding_top="0.75em",
            ),
            on_submit=R.save, reset_on_submit=False, key=R.course_id.to_string(),
        ),
        max_width="620px",
        open=R.open,
        on_open_change=R.set_open,
    )
