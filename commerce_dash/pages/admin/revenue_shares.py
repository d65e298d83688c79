"""Revenue shares (billing admins, on the Tax & currency settings page): how net revenue splits
between platform, creator and instructor — the default, per department, per course."""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.vars import ObjectVar

from commerce_dash.components.admin_forms import note
from commerce_dash.components.cells import only_if, text_if
from commerce_dash.components.dialogs import dialog, dialog_buttons
from commerce_dash.components.store_panels import card_title
from commerce_dash.components.tables import table_box
from commerce_dash.db import session_scope
from commerce_dash.domain.errors import DomainError
from commerce_dash.domain.ledger import Shares, bps_from_percent, percent_label
from commerce_dash.services import revenue as revenue_area
from commerce_dash.state.admin import AdminState
from commerce_dash.state.paging import load_card
from commerce_dash.state.route_args import route_int
from commerce_dash.state.service_call import as_admin
from commerce_dash.state.setters import choice_value, value_setter


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
            rows = revenue_area.list_share_rules(session=session, actor=actor)
            courses, departments = revenue_area.share_rule_options(session=session, actor=actor)
        self.courses = [{"id": str(i), "label": label} for i, label in courses]
        self.departments = [{"id": str(i), "label": label} for i, label in departments]
        self.shares = [{"key": r.scope_key, "label": r.label,
                        "platform": percent_label(r.platform_bps), "creator": percent_label(r.creator_bps),
                        "instructor": percent_label(r.instructor_bps), "updated": r.updated_at,
                        "removable": "" if r.scope_key == "default" else "yes"} for r in rows]

    @rx.event
    def load(self):  # type: ignore[no-untyped-def]
        return load_card(self, "settings", self._fetch)

    @rx.event
    def open_new(self) -> None:
        self.scope, self.target, self.error = "default", "", ""
        self.dialog_open = True

    set_dialog_open = value_setter("dialog_open", bool)

    @rx.event
    def set_scope(self, value: str | list[str]) -> None:
        self.scope = choice_value(value, "default")
        self.target = ""

    set_target = value_setter("target")

    @rx.event
    def save(self, form: dict[str, Any]):  # type: ignore[no-untyped-def]
        self.error = ""
        try:
            shares = Shares(bps_from_percent(str(form.get("platform", "")), "platform_bps"),
                            bps_from_percent(str(form.get("creator", "")), "creator_bps"),
                            bps_from_percent(str(form.get("instructor", "")), "instructor_bps"))
            target = route_int(self.target)  # none (or no id): "choose a course…"
            row = as_admin(self, revenue_area.set_share_rule, scope=self.scope, target_id=target,
                           shares=shares)
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
            as_admin(self, revenue_area.delete_share_rule, scope_key=scope_key)
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
        rx.table.cell(note(r["updated"])),
        rx.table.cell(only_if(r["removable"] == "yes", rx.button(
            "Remove", size="1", variant="soft", color_scheme="red",
            on_click=S.remove(r["key"])))),  # type: ignore[operator]
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
                only_if(S.scope != "default", rx.select.root(
                    rx.select.trigger(placeholder="Choose…", width="100%",
                                      id="share-target"),
                    rx.select.content(rx.foreach(
                        rx.cond(S.scope == "course", S.courses, S.departments),
                        lambda o: rx.select.item(o["label"], value=o["id"]))),
                    value=S.target, on_change=S.set_target,
                )),
                rx.grid(
                    *[rx.vstack(rx.text(label, size="2", weight="medium"),
                                rx.input(name=name, default_value=default, width="100%",
                                         id=f"share-{name}"), spacing="1")
                      for label, name, default in (("Platform %", "platform", "30"),
                                                   ("Creator %", "creator", "40"),
                                                   ("Instructor %", "instructor", "30"))],
                    columns="3", spacing="3", width="100%",
                ),
                text_if(S.error, color_scheme="red", size="2", id="share-error"),
                dialog_buttons(rx.button("Save", type="submit", id="share-save")),
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
            card_title(
                "Revenue shares",
                rx.button(rx.icon("plus", size=14), "Set a rule", size="2", on_click=S.open_new,
                          id="new-share"),
            ),
            note("How each sale's net (after the card fee) splits. The three shares add up to "
                 "100 % and every split sums exactly to the cent.", size="2"),
            table_box(("Applies to", "Platform", "Creator", "Instructor", "Updated", ""),
                      S.shares, _row),
            spacing="3", width="100%",
        ),
        _dialog(),
        width="100%", id="revenue-shares-card",
    )
