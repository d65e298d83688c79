"""Approval rules per department, on the Courses page (dept-admins: their departments).

A course's own rule (set in its editor) wins; otherwise its department's; an unset
department follows its parent.
"""

from __future__ import annotations

import reflex as rx

from commerce_dash.db import session_scope
from commerce_dash.domain.errors import DomainError
from commerce_dash.services.enrollment.registrations import approval_rules, set_department_approval
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
        try:
            with session_scope() as session:
                rule = set_department_approval(
                    session=session, actor=self.current_actor(),
                    department_id=route_int(department_id) or 0,  # 0: not found
                    setting=CHOICES.get(choice))
        except DomainError as exc:
            return rx.toast.error(exc.message)
        self._fetch()
        return rx.toast.success(f"{rule.department}: "
                                f"{'approval required' if rule.effective else 'auto-approve'}.")


def approval_rules_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Approval rules", size="4"),
            rx.text("Whether new registrations wait in the enrollment queue. A course's own "
                    "setting (in its editor) wins; a department left on 'Follow parent' uses "
                    "its parent's rule.", size="2", color_scheme="gray"),
            rx.foreach(
                ApprovalRulesState.rules,
                lambda rule: rx.hstack(
                    rx.text(rule["department"], weight="medium", min_width="220px"),
                    rx.select.root(
                        rx.select.trigger(),
                        rx.select.content(
                            rx.select.item("Follow parent", value="inherit"),
                            rx.select.item("Approval required", value="yes"),
                            rx.select.item("Auto-approve", value="no"),
                        ),
                        value=rule["choice"],
                        on_change=lambda value: ApprovalRulesState.set_rule(rule["id"], value),
                    ),
                    rx.text(rule["effective"], size="1", color_scheme="gray"),
                    align="center",
                    spacing="3",
                    wrap="wrap",
                    width="100%",
                    class_name="approval-rule",
                ),
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
        id="approval-rules",
    )
