"""Discount codes (pricing admins): list, create and edit, switch on and off.

A container page: the form lives in ``discount_form`` and the usage figures in
``discount_stats``.
"""

from __future__ import annotations

from datetime import datetime

import reflex as rx

from commerce_dash.components.admin_forms import (
    new_button,
    note,
    row_actions,
    row_button,
    search_input,
    toggle_button,
    toolbar,
)
from commerce_dash.components.cells import text_cells
from commerce_dash.components.forms import select
from commerce_dash.components.shell import admin_shell
from commerce_dash.components.tables import paged_table
from commerce_dash.db import session_scope
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.dates import when
from commerce_dash.domain.errors import DomainError
from commerce_dash.domain.money import format_minor
from commerce_dash.domain.paging import PageRequest
from commerce_dash.models.pricing import DiscountCode
from commerce_dash.pages.admin.discount_form import (
    FORM_FIELDS,
    SCOPE_LABELS,
    code_form_dialog,
    code_input,
    draft_of,
    error_key,
    no_errors,
    percent_label,
)
from commerce_dash.pages.admin.discount_stats import DiscountStatsState, stats_dialog
from commerce_dash.pages.admin.service_calls import act, attempt, options
from commerce_dash.services import catalog as catalog_area
from commerce_dash.services.platform import department_options
from commerce_dash.settings import get_settings
from commerce_dash.state.admin import AdminState
from commerce_dash.state.paging import PagedTableMixin, section_loader
from commerce_dash.state.route_args import route_int
from commerce_dash.state.service_call import as_admin
from commerce_dash.state.setters import filter_setter, value_setter

PAGE_SIZE = 20
STATUS_OPTIONS = [
    ("all", "Any status"),
    ("active", "Active"),
    ("scheduled", "Scheduled"),
    ("expired", "Expired"),
    ("used_up", "Used up"),
    ("inactive", "Inactive"),
]


class DiscountsState(PagedTableMixin, AdminState):
    status_filter: str = "all"
    departments: list[dict[str, str]] = []
    # the department drop-down: "All departments" first for billing admins; a dept-admin's
    # own departments only (their codes are tied to one of them, CAT-004)
    department_choices: list[dict[str, str]] = []
    dept_scoped: bool = False

    # create / edit dialog; text inputs are uncontrolled, prefilled from ``draft``
    form_open: bool = False
    editing_id: int = 0
    draft: dict[str, str] = {}
    form_kind: str = "percentage"
    form_scope: str = "all"
    form_duration: str = "once"  # a subscription discount: first period only, or every one
    form_department: str = "all"
    form_items: list[dict[str, str]] = []
    item_choices: list[dict[str, str]] = []
    item_pick: str = ""
    errors: dict[str, str] = no_errors()

    def _row(self, row: DiscountCode, listed: int, now: datetime, locale: str) -> dict[str, str]:
        value = (
            f"{percent_label(row.percent_bps)}%"
            if row.kind == "percentage"
            else format_minor(row.amount_off, row.currency, locale)
        )
        scope = (
            f"{listed} listed item{'' if listed == 1 else 's'}"
            if row.scope == "listed"
            else SCOPE_LABELS.get(row.scope, row.scope)
        )
        department = next(
            (d["label"] for d in self.departments if d["id"] == str(row.department_id)),
            "All departments",
        )
        until = when(row.valid_until) or "no end"
        return {
            "id": str(row.id),
            "code": row.code,
            "description": row.description,
            "value": value,
            "kind": "percentage" if row.kind == "percentage" else "fixed amount",
            "scope": scope,
            "department": department,
            "window": f"{when(row.valid_from)} – {until}",
            "uses": f"{row.uses_count} / {row.max_uses if row.max_uses is not None else '∞'}",
            "status": catalog_area.code_status(row, now),
            "active": "yes" if row.is_active else "",
        }

    def _fetch(self) -> None:
        actor = self.current_actor()
        with session_scope() as session:
            self.departments = options(department_options(session=session))
            scope = catalog_area.code_departments(session, actor)[1]
            self.dept_scoped = scope is not None
            self.department_choices = (
                options(department_options(session=session, within=scope)) if self.dept_scoped
                else [{"id": "all", "label": "All departments"}, *self.departments])
            result = catalog_area.list_codes(
                session=session,
                actor=actor,
                page=PageRequest(self.page, PAGE_SIZE),
                search=self.search,
                status="" if self.status_filter == "all" else self.status_filter,
            )
            listed = catalog_area.listed_item_counts(
                session=session, code_ids=[r.id for r in result.items if r.id is not None]
            )
        self.total, self.pages = result.total, result.pages
        now, locale = utcnow(), get_settings().default_locale
        self.rows = [self._row(r, listed.get(r.id or 0, 0), now, locale) for r in result.items]

    load = section_loader("discounts")

    set_status_filter = filter_setter("status_filter")

    # -- create / edit ------------------------------------------------------
    def _load_item_choices(self) -> None:
        with session_scope() as session:
            scope = catalog_area.code_departments(session, self.current_actor())[1]
            options = catalog_area.item_options(session=session, departments=scope)
        self.item_choices = [{"key": f"{t}:{i}", "label": label} for t, i, label in options]

    def _item_label(self, key: str) -> str:
        return next((c["label"] for c in self.item_choices if c["key"] == key), key)

    @rx.event
    def open_create(self) -> None:
        if self.guard("discounts") is None:
            return
        self._load_item_choices()
        self.editing_id = 0
        self.draft = {
            **dict.fromkeys(FORM_FIELDS, ""),
            "currency": get_settings().settlement_currency,
        }
        self.form_kind, self.form_scope = "percentage", "all"
        # a dept-admin's code starts on their first department
        self.form_department = (self.department_choices[0]["id"]
                                if self.department_choices else "all")
        self.form_duration = "once"
        self.form_items, self.item_pick = [], ""
        self.errors = no_errors()
        self.form_open = True

    @rx.event
    def open_edit(self, code_id: str):  # type: ignore[no-untyped-def]
        code = route_int(code_id) or 0  # 0: not found
        found, refused = attempt(self, catalog_area.get_code, code_id=code)
        if found is None:
            return refused
        row, items = found
        self._load_item_choices()
        currency = row.currency or get_settings().settlement_currency
        self.editing_id = code
        self.draft = draft_of(row, currency)
        self.form_kind, self.form_scope = row.kind, row.scope
        self.form_duration = row.duration or "once"
        self.form_department = str(row.department_id) if row.department_id else "all"
        self.form_items = [
            {"key": f"{t}:{i}", "label": self._item_label(f"{t}:{i}")} for t, i in items
        ]
        self.item_pick = ""
        self.errors = no_errors()
        self.form_open = True
        return None

    set_form_open = value_setter("form_open", bool)
    set_form_kind = value_setter("form_kind")
    set_form_scope = value_setter("form_scope")
    set_form_duration = value_setter("form_duration")
    set_form_department = value_setter("form_department")
    set_item_pick = value_setter("item_pick")

    @rx.event
    def add_item(self) -> None:
        if self.item_pick and all(i["key"] != self.item_pick for i in self.form_items):
            entry = {"key": self.item_pick, "label": self._item_label(self.item_pick)}
            self.form_items = [*self.form_items, entry]
        self.item_pick = ""

    @rx.event
    def remove_item(self, key: str) -> None:
        self.form_items = [i for i in self.form_items if i["key"] != key]

    @rx.event
    def save_code(self, form: dict[str, str]):  # type: ignore[no-untyped-def]
        self.errors = no_errors()
        try:
            data = code_input(
                form,
                kind=self.form_kind,
                scope=self.form_scope,
                department=self.form_department,
                item_keys=[i["key"] for i in self.form_items],
                default_currency=get_settings().settlement_currency,
                duration=self.form_duration,
            )
            if self.editing_id:
                row = as_admin(
                    self, catalog_area.update_code, code_id=self.editing_id, data=data
                )
            else:
                row = as_admin(self, catalog_area.create_code, data=data)
        except DomainError as exc:
            self.errors = {**no_errors(), error_key(exc): exc.message}
            return None
        self.form_open = False
        self._fetch()
        return rx.toast.success(f"Code {row.code} {'saved' if self.editing_id else 'created'}")

    # -- activation -----------------------------------------------------------
    @rx.event
    def toggle_active(self, code_id: str, activate: bool):  # type: ignore[no-untyped-def]
        return act(
            self,
            catalog_area.set_code_active,
            lambda row: f"Code {row.code} {'activated' if activate else 'deactivated'}",
            code_id=route_int(code_id) or 0,  # 0: not found
            active=activate,
        )


def _status_badge(status: rx.Var[str]) -> rx.Component:
    return rx.match(
        status,
        ("active", rx.badge("active", color_scheme="green")),
        ("scheduled", rx.badge("scheduled", color_scheme="blue")),
        ("expired", rx.badge("expired", color_scheme="gray")),
        ("used_up", rx.badge("used up", color_scheme="amber")),
        rx.badge("inactive", color_scheme="gray", variant="outline"),
    )


def _row(row: rx.Var[dict[str, str]]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.code(row["code"], weight="bold")),
        rx.table.cell(rx.text(row["description"], size="2")),
        rx.table.cell(
            rx.vstack(
                rx.text(row["value"], size="2", weight="medium"),
                note(row["kind"]),
                spacing="0",
            )
        ),
        *text_cells(row, "scope", "department"),
        rx.table.cell(rx.text(row["window"], size="1", white_space="nowrap")),
        rx.table.cell(rx.text(row["uses"], size="2")),
        rx.table.cell(_status_badge(row["status"])),
        rx.table.cell(
            row_actions(
                row_button("Edit", DiscountsState.open_edit(row["id"]), class_name="edit-code"),
                toggle_button(
                    row["active"] == "yes",
                    lambda activate: DiscountsState.toggle_active(row["id"], activate),
                    class_name="toggle-code",
                ),
                row_button(
                    "Stats",
                    DiscountStatsState.open_stats(row["id"], row["code"]),
                    class_name="stats-code",
                ),
            )
        ),
        class_name="discount-row",
        data_code=row["code"],
    )


def discounts_page() -> rx.Component:
    return admin_shell(
        "discounts",
        "Discount codes",
        toolbar(
            search_input(DiscountsState, "Search code or description", ["100%", "260px"]),
            select(DiscountsState.status_filter, DiscountsState.set_status_filter, STATUS_OPTIONS,
                   label="Code status"),
            rx.spacer(),
            new_button("ticket-percent", "New code", DiscountsState.open_create, "new-code"),
        ),
        paged_table(
            DiscountsState,
            [
                "Code",
                "Description",
                "Discount",
                "Applies to",
                "Department",
                "Window (UTC)",
                "Uses",
                "Status",
                "Actions",
            ],
            _row,
            ("ticket-percent", "No codes match", "Change the search or status, or add a code."),
        ),
        code_form_dialog(DiscountsState),
        stats_dialog(),
    )
