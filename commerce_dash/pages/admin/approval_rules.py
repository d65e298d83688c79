"""Approval rules per department, on the Courses page (dept-admins: their departments).

A course's own rule (set in its editor) wins; otherwise its department's; an unset
department follows its parent.
"""

from __future__ import annotations

import reflex as rx

from commerce_dash.components.admin_forms import note, titled_card
from commerce_dash.components.forms import select
from commerce_dash.db import session_scope
from commerce_dash.pages.admin.service_calls import act
from commerce_dash.services.enrollment import list_approval_rules as approval_rules
from commerce_dash.services.enrollment import set_department_approval
from commerce_dash.state.admin import AdminState
from commerce_dash.state.route_args import route_int

CHOICES = {"inherit": None, "yes": True, "no": False}


class ApprovalRulesState(AdminState):
    rules: list[dict[str, str]] = []

    def _fetch(self) -> None:
        with session_scope() as session:
            rows = approval_rules(session=session, actor=self.current_actor())
        self.rules = [
            {"id": str(r.department_id), "department": r.department,
             "choice": {None: "inherit", True: "yes", False: "no"}[r.setting],
             "effective": "Registrations wait for approval" if r.effective
             else "Registrations are approved automatically"}
            for r in rows
        ]

    @rx.event
    def load(self):  # type: ignore[no-untyped-def]
        if self.guard("courses") is None:
            return None
        self._fetch()
        return None

    @rx.event
    def set_rule(self, department_id: str, choice: str):  # type: ignore[no-untyped-def]
        return act(
            self, set_department_approval,
            lambda rule: f"{rule.department}: "
                         f"{'approval required' if rule.effective else 'auto-approve'}.",
            department_id=route_int(department_id) or 0,  # 0: not found
            setting=CHOICES.get(choice))


def approval_rules_card() -> rx.Component:
    return titled_card(
        "Approval rules",
        "Whether new registrations wait in the enrollment queue. A course's own setting (in "
        "its editor) wins; a department left on 'Follow parent' uses its parent's rule.",
        rx.foreach(
            ApprovalRulesState.rules,
            lambda rule: rx.hstack(
                rx.text(rule["department"], weight="medium", min_width="220px"),
                select(
                    rule["choice"],
                    lambda value: ApprovalRulesState.set_rule(rule["id"], value),
                    [("inherit", "Follow parent"), ("yes", "Approval required"),
                     ("no", "Auto-approve")],
                    aria_label="Approval rule of " + rule["department"].to(str),
                ),
                note(rule["effective"]),
                align="center",
                spacing="3",
                wrap="wrap",
                width="100%",
                class_name="approval-rule",
            ),
        ),
        id="approval-rules",
    )
