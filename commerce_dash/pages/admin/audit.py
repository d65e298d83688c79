"""The audit log (super-admins): every admin action and money movement, newest first."""

from __future__ import annotations

import json
from datetime import timedelta

import reflex as rx

from commerce_dash.components.forms import select
from commerce_dash.components.shell import admin_shell
from commerce_dash.components.tables import paged_table
from commerce_dash.db import session_scope
from commerce_dash.domain.dates import parse_day, when
from commerce_dash.domain.paging import PageRequest
from commerce_dash.services.platform import audit as audit_service
from commerce_dash.state.admin import AdminState
from commerce_dash.state.paging import PagedTableMixin

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
            self.actions, self.entities = audit_service.audit_filter_options(
                session=session, actor=actor
            )
            result = audit_service.list_audit(
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

    @rx.event
    def load(self):  # type: ignore[no-untyped-def]
        if self.guard("audit") is None:
            return self.refused()
        return self._refetch()

    @rx.event
    def set_action(self, value: str):  # type: ignore[no-untyped-def]
        self.action, self.page = value, 1
        return self._refetch()

    @rx.event
    def set_entity(self, value: str):  # type: ignore[no-untyped-def]
        self.entity, self.page = value, 1
        return self._refetch()

    @rx.event
    def set_actor_query(self, value: str):  # type: ignore[no-untyped-def]
        self.actor_query, self.page = value, 1
        return self._refetch()

    @rx.event
    def set_since(self, value: str):  # type: ignore[no-untyped-def]
        self.since, self.page = value, 1
        return self._refetch()

    @rx.event
    def set_until(self, value: str):  # type: ignore[no-untyped-def]
        self.until, self.page = value, 1
        return self._refetch()


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
                            rx.cond(
                                row["reason"] != "",
                                rx.text("Reason: ", row["reason"], size="2"),
                                rx.fragment(),
                            ),
                            rx.cond(
                                row["before"] != "",
                                rx.vstack(
                                    rx.text("Before", weight="bold", size="1"),
                                    rx.code_block(row["before"], language="json"),
                                ),
                                rx.fragment(),
                            ),
                            rx.cond(
                                row["after"] != "",
                                rx.vstack(
                                    rx.text("After", weight="bold", size="1"),
                                    rx.code_block(row["after"], language="json"),
                                ),
                                rx.fragment(),
                            ),
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
        rx.hstack(
            select(AuditState.action, AuditState.set_action, first=("all", "All actions"),
                   each=AuditState.actions, each_value=None),
            select(AuditState.entity, AuditState.set_entity, first=("all", "All entities"),
                   each=AuditState.entities, each_value=None),
            rx.input(
                placeholder="Actor email",
                value=AuditState.actor_query,
                on_change=AuditState.set_actor_query.debounce(300),
            ),
            rx.hstack(
                rx.text("From", size="2"),
                rx.input(type="date", value=AuditState.since, on_change=AuditState.set_since),
                rx.text("to", size="2"),
                rx.input(type="date", value=AuditState.until, on_change=AuditState.set_until),
                align="center",
                wrap="wrap",
            ),
            wrap="wrap",
            spacing="3",
            width="100%",
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
