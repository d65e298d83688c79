"""Revenue shares (billing admins, on the Tax & currency settings page): how net revenue splits
between platform, creator and instructor — the default, per department, per course."""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.vars import ObjectVar

from commerce_dash.components.dialogs import dialog
from commerce_dash.db import session_scope
from commerce_dash.domain.errors import DomainError
from commerce_dash.domain.ledger import Shares, bps_from_percent, percent_label
from commerce_dash.services.revenue import ledger
from commerce_dash.state.admin import AdminState
from commerce_dash.state.route_args import route_int


class RevenueSharesState(AdminState):
    shares: list[dict[str, str]] = []
    courses: list[dict[str, str]] = []
    departments: list[dict[str, str]] = []
    dialog_open: bool = False
    scope: str = "default"
    target: str = ""
    error: str = ""

    def _fetch(self) -> None:
        actor = self.current_actor()
        with session_scope() as session:
            rows = ledger.list_share_rules(session=session, actor=actor)
            courses, departments = ledger.share_rule_options(session=session, actor=actor)
        self.courses = [{"id": str(i), "label": label} for i, label in courses]
        self.departments = [{"id": str(i), "label": label} for i, label in departments]
        self.shares = [{"key": r.scope_key, "label": r.label,
                        "platform": percent_label(r.platform_bps), "creator": percent_label(r.creator_bps),
                        "instructor": percent_label(r.instructor_bps), "updated": r.updated_at,
                        "removable": "" if r.scope_key == "default" else "yes"} for r in rows]

    @rx.event
    def load(self):  # type: ignore[no-untyped-def]
        if self.guard("settings") is None:
            return None
        try:
            self._fetch()
        except DomainError as exc:
            return rx.toast.error(exc.message)
        return None

    @rx.event
    def open_new(self) -> None:
        self.scope, self.target, self.error = "default", "", ""
        self.dialog_open = True

    @rx.event
    def set_dialog_open(self, value: bool) -> None:
        self.dialog_open = value

    @rx.event
    def set_scope(self, value: str | list[str]) -> None:
        self.scope = value if isinstance(value, str) else (value[0] if value else "default")
        self.target = ""

    @rx.event
    def set_target(self, value: str) -> None:
        self.target = value

    @rx.event
    def save(self, form: dict[str, Any]):  # type: ignore[no-untyped-def]
        self.error = ""
        try:
            shares = Shares(bps_from_percent(str(form.get("platform", "")), "platform_bps"),
                            bps_from_percent(str(form.get("creator", "")), "creator_bps"),
                            bps_from_percent(str(form.get("instructor", "")), "instructor_bps"))
            target = route_int(self.target)  # none (or no id): "choose a course…"
            with session_scope() as session:
                row = ledger.set_share_rule(session=session, actor=self.current_actor(),
                                            scope=self.scope, target_id=target, shares=shares)
            self._fetch()
        except DomainError as exc:
            self.error = exc.message
            return None
        self.dialog_open = False
        return rx.toast.success(f"{row.label}: platform {percent_label(row.platform_bps)}, creator "
                                f"{percent_label(row.creator_bps)}, instructor "
                                f"{percent_label(row.instructor_bps)}. New sales use it.")

    @rx.event
    def remove(self, scope_key: str):  # type: ignore[no-untyped-def]
        try:
            with session_scope() as session:
                ledger.delete_share_rule(session=session, actor=self.current_actor(),
                                         scope_key=scope_key)
            self._fetch()
        except DomainError as exc:
            return rx.toast.error(exc.message)
        return rx.toast.success("Rule removed: the next rule up applies to new sales.")


S = RevenueSharesState


def _row(r: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(r["label"], weight="medium", size="2")),
        rx.table.cell(r["platform"]), rx.table.cell(r["creator"]),
        rx.table.cell(r["instructor"]),
        rx.table.cell(rx.text(r["updated"], size="1", color_scheme="gray")),
        rx.table.cell(rx.cond(r["removable"] == "yes", rx.button(
            "Remove", size="1", variant="soft", color_scheme="red",
            on_click=S.remove(r["key"])), rx.fragment())),  # type: ignore[operator]
        class_name="share-row", data_key=r["key"],
    )


def _dialog() -> rx.Component:
    return dialog(
        "Revenue share rule",
        "A course's rule wins over its department's, which wins over "
                          "the default. Entries already recorded keep their split.",
        rx.form(
            rx.vstack(
                rx.segmented_control.root(
                    rx.segmented_control.item("Default", value="default"),
                    rx.segmented_control.item("Department", value="department"),
                    rx.segmented_control.item("Course", value="course"),
                    value=S.scope, on_change=S.set_scope,
                ),
                rx.cond(S.scope != "default", rx.select.root(
                    rx.select.trigger(placeholder="Choose…", width="100%",
                                      id="share-target"),
                    rx.select.content(rx.foreach(
                        rx.cond(S.scope == "course", S.courses, S.departments),
                        lambda o: rx.select.item(o["label"], value=o["id"]))),
                    value=S.target, on_change=S.set_target,
                ), rx.fragment()),
                rx.grid(
                    *[rx.vstack(rx.text(label, size="2", weight="medium"),
                                rx.input(name=name, default_value=default, width="100%",
                                         id=f"share-{name}"), spacing="1")
                      for label, name, default in (("Platform %", "platform", "30"),
                                                   ("Creator %", "creator", "40"),
                                                   ("Instructor %", "instructor", "30"))],
                    columns="3", spacing="3", width="100%",
                ),
                rx.cond(S.error != "", rx.text(S.error, color_scheme="red", size="2",
                                               id="share-error"), rx.fragment()),
                rx.hstack(rx.dialog.close(rx.button("Cancel", variant="soft",
                                                    color_scheme="gray", type="button")),
                          rx.button("Save", type="submit", id="share-save"),
                          justify="end", width="100%", spacing="3"),
                spacing="3", width="100%", padding_top="0.75em",
            ),
            on_submit=S.save, reset_on_submit=False,
        ),
        max_width="520px",
        open=S.dialog_open,
        on_open_change=S.set_dialog_open,
    )


def revenue_shares_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading("Revenue shares", size="4"), rx.spacer(),
                rx.button(rx.icon("plus", size=14), "Set a rule", size="2", on_click=S.open_new,
                          id="new-share"),
                width="100%", align="center",
            ),
            rx.text("How each sale's net (after the card fee) splits. The three shares add up "
                    "to 100 % and every split sums exactly to the cent.", size="2",
                    color_scheme="gray"),
            rx.box(rx.table.root(
                rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in (
                    "Applies to", "Platform", "Creator", "Instructor", "Updated", "")])),
                rx.table.body(rx.foreach(S.shares, _row)), width="100%"),
                overflow_x="auto", width="100%"),
            spacing="3", width="100%",
        ),
        _dialog(),
        width="100%", id="revenue-shares-card",
    )
