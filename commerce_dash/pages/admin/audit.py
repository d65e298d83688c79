"""The audit log (super-admins): every admin action and money movement, newest first."""

from __future__ import annotations

import json
from datetime import timedelta

import reflex as rx

from commerce_dash.components.cells import only_if, text_if
from commerce_dash.components.filters import date_range, filter_bar
from commerce_dash.components.forms import select
from commerce_dash.components.shell import admin_shell
from commerce_dash.components.tables import paged_table
from commerce_dash.db import session_scope
from commerce_dash.domain.dates import parse_day, when
from commerce_dash.domain.paging import PageRequest
from commerce_dash.services import platform as platform_area
from commerce_dash.state.admin import AdminState
from commerce_dash.state.paging import PagedTableMixin, section_loader
from commerce_dash.state.setters import filter_setter

PAGE_SIZE = 25


class AuditState(PagedTableMixin, AdminState):
    actions: list[str] = []
    entities: list[str] = []
    action: str = "all"
    entity: str = "all"
    actor_query: str = ""
    since: str = ""
    until: str = ""

    def _fetch(self) -> None:
        actor = self.current_actor()
        since = parse_day(self.since)
        until = parse_day(self.until)
        with session_scope() as session:
            self.actions, self.entities = platform_area.audit_filter_options(
                session=session, actor=actor
            )
            result = platform_area.list_audit(
                session=session,
                actor=actor,
                page=PageRequest(self.page, PAGE_SIZE),
                action="" if self.action == "all" else self.action,
                entity_type="" if self.entity == "all" else self.entity,
                actor_query=self.actor_query,
                since=since,
                until=until + timedelta(days=1) if until else None,
            )
        self.total, self.pages = result.total, result.pages
        self.rows = [
            {
                "id": str(r.id),
                "at": when(r.at),
                "actor": r.actor_email,
                "action": r.action,
                "entity": f"{r.entity_type} #{r.entity_id}" if r.entity_id else r.entity_type,
                "reason": r.reason,
                "before": json.dumps(r.before, indent=1, sort_keys=True) if r.before else "",
                "after": json.dumps(r.after, indent=1, sort_keys=True) if r.after else "",
            }
            for r in result.items
        ]

    load = section_loader("audit")

    set_action = filter_setter("action")
    set_entity = filter_setter("entity")
    set_actor_query = filter_setter("actor_query")
    set_since = filter_setter("since")
    set_until = filter_setter("until")


def _json_if(title: str, value: rx.Var[str]) -> rx.Component:
    """The entity as JSON before or after the action, when the entry kept it."""
    return only_if(
        value != "",
        rx.vstack(
            rx.text(title, weight="bold", size="1"),
            rx.code_block(value, language="json"),
        ),
    )


def _row(row: rx.Var[dict[str, str]]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(row["at"], size="1")),
        rx.table.cell(rx.text(row["actor"], size="2")),
        rx.table.cell(rx.code(row["action"])),
        rx.table.cell(rx.text(row["entity"], size="2")),
        rx.table.cell(
            rx.cond(
                (row["before"] != "") | (row["after"] != "") | (row["reason"] != ""),
                rx.popover.root(
                    rx.popover.trigger(rx.button("Details", size="1", variant="soft")),
                    rx.popover.content(
                        rx.vstack(
                            text_if(row["reason"], "Reason: ", row["reason"], size="2"),
                            _json_if("Before", row["before"]),
                            _json_if("After", row["after"]),
                            max_width="420px",
                        ),
                    ),
                ),
                rx.text("-", color_scheme="gray"),
            )
        ),
    )


def audit_page() -> rx.Component:
    return admin_shell(
        "audit",
        "Audit log",
        filter_bar(
            select(AuditState.action, AuditState.set_action, first=("all", "All actions"),
                   each=AuditState.actions, each_value=None, label="Action"),
            select(AuditState.entity, AuditState.set_entity, first=("all", "All entities"),
                   each=AuditState.entities, each_value=None, label="Entity"),
            rx.input(
                placeholder="Actor email",
                value=AuditState.actor_query,
                on_change=AuditState.set_actor_query.debounce(300),
            ),
            date_range("From", AuditState.since, AuditState.set_since, AuditState.until,
                       AuditState.set_until, from_id=None, to_id=None),
            align=None,
        ),
        paged_table(
            AuditState,
            ["When", "Who", "Action", "Entity", ""],
            _row,
            (
                "scroll-text",
                "No audit entries match",
                "Widen the filters; every admin action is recorded here.",
            ),
        ),
    )
