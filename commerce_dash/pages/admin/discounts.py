"""Discount codes (pricing admins): list, create and edit, switch on and off.

A container page: the form lives in ``discount_form`` and the usage figures in
``discount_stats``.
"""

from __future__ import annotations

from datetime import datetime

import reflex as rx

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
from commerce_dash.services.catalog import discount_options
from commerce_dash.services.catalog import discounts as discounts_service
from commerce_dash.services.platform.org import department_options
from commerce_dash.settings import get_settings
from commerce_dash.state.admin import AdminState
from commerce_dash.state.paging import PagedTableMixin
from commerce_dash.state.route_args import route_int

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

    # create / edit dialog; text inputs are uncontrolled, prefilled from ``draft``
    form_open: bool = False
    editing_id: int = 0
    draft: dict[str, str] = {}
    form_kind: str = "percentage"
    form_scope: str = "all"
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
            "status": discounts_service.code_status(row, now),
            "active": "yes" if row.is_active else "",
        }

    def _fetch(self) -> None:
        actor = self.current_actor()
        with session_scope() as session:
            self.departments = [
                {"id": str(i), "label": label} for i, label in department_options(session=session)
            ]
            result = discounts_service.list_codes(
                session=session,
                actor=actor,
                page=PageRequest(self.page, PAGE_SIZE),
                search=self.search,
                status="" if self.status_filter == "all" else self.status_filter,
            )
            listed = discount_options.listed_item_counts(
                session=session, code_ids=[r.id for r in result.items if r.id is not None]
            )
        self.total, self.pages = result.total, result.pages
        now, locale = utcnow(), get_settings().default_locale
        self.rows = [self._row(r, listed.get(r.id or 0, 0), now, locale) for r in result.items]

    @rx.event
    def load(self):  # type: ignore[no-untyped-def]
        if self.guard("discounts") is None:
            return self.refused()
        return self._refetch()

    @rx.event
    def set_status_filter(self, value: str):  # type: ignore[no-untyped-def]
        self.status_filter, self.page = value, 1
        return self._refetch()

    # -- create / edit ------------------------------------------------------
    def _load_item_choices(self) -> None:
        with session_scope() as session:
            options = discount_options.item_options(session=session)
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
        self.form_kind, self.form_scope, self.form_department = "percentage", "all", "all"
        self.form_items, self.item_pick = [], ""
        self.errors = no_errors()
        self.form_open = True

    @rx.event
    def open_edit(self, code_id: str):  # type: ignore[no-untyped-def]
        code = route_int(code_id) or 0  # 0: not found
        try:
            with session_scope() as session:
                row, items = discounts_service.get_code(
                    session=session, actor=self.current_actor(), code_id=code
                )
        except DomainError as exc:
            return rx.toast.error(exc.message)
        self._load_item_choices()
        currency = row.currency or get_settings().settlement_currency
        self.editing_id = code
        self.draft = draft_of(row, currency)
        self.form_kind, self.form_scope = row.kind, row.scope
        self.form_department = str(row.department_id) if row.department_id else "all"
        self.form_items = [
            {"key": f"{t}:{i}", "label": self._item_label(f"{t}:{i}")} for t, i in items
        ]
        self.item_pick = ""
        self.errors = no_errors()
        self.form_open = True
        return None

    @rx.event
    def set_form_open(self, value: bool) -> None:
        self.form_open = value

    @rx.event
    def set_form_kind(self, value: str) -> None:
        self.form_kind = value

    @rx.event
    def set_form_scope(self, value: str) -> None:
        self.form_scope = value

    @rx.event
    def set_form_department(self, value: str) -> None:
        self.form_department = value

    @rx.event
    def set_item_pick(self, value: str) -> None:
        self.item_pick = value

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
            )
            with session_scope() as session:
                if self.editing_id:
                    row = discounts_service.update_code(
                        session=session,
                        actor=self.current_actor(),
                        code_id=self.editing_id,
                        data=data,
                    )
                else:
                    row = discounts_service.create_code(
                        session=session, actor=self.current_actor(), data=data
                    )
        except DomainError as exc:
            self.errors = {**no_errors(), error_key(exc): exc.message}
            return None
        self.form_open = False
        self._fetch()
        return rx.toast.success(f"Code {row.code} {'saved' if self.editing_id else 'created'}")

    # -- activation -----------------------------------------------------------
    @rx.event
    def toggle_active(self, code_id: str, activate: bool):  # type: ignore[no-untyped-def]
        try:
            with session_scope() as session:
                row = discounts_service.set_code_active(
                    session=session,
                    actor=self.current_actor(),
                    code_id=route_int(code_id) or 0,  # 0: not found
                    active=activate,
                )
        except DomainError as exc:
            return rx.toast.error(exc.message)
        self._fetch()
        return rx.toast.success(f"Code {row.code} {'activated' if activate else 'deactivated'}")


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
                rx.text(row["kind"], size="1", color_scheme="gray"),
                spacing="0",
            )
        ),
        rx.table.cell(rx.text(row["scope"], size="2")),
        rx.table.cell(rx.text(row["department"], size="2")),
        rx.table.cell(rx.text(row["window"], size="1", white_space="nowrap")),
        rx.table.cell(rx.text(row["uses"], size="2")),
        rx.table.cell(_status_badge(row["status"])),
        rx.table.cell(
            rx.hstack(
                rx.button(
                    "Edit",
                    size="1",
                    variant="soft",
                    on_click=DiscountsState.open_edit(row["id"]),
                    class_name="edit-code",
                ),
                rx.cond(
                    row["active"] == "yes",
                    rx.button(
                        "Deactivate",
                        size="1",
                        variant="soft",
                        color_scheme="red",
                        on_click=DiscountsState.toggle_active(row["id"], False),
                        class_name="toggle-code",
                    ),
                    rx.button(
                        "Activate",
                        size="1",
                        variant="soft",
                        color_scheme="green",
                        on_click=DiscountsState.toggle_active(row["id"], True),
                        class_name="toggle-code",
                    ),
                ),
                rx.button(
                    "Stats",
                    size="1",
                    variant="soft",
                    on_click=DiscountStatsState.open_stats(row["id"], row["code"]),
                    class_name="stats-code",
                ),
                spacing="2",
            )
        ),
        class_name="discount-row",
        data_code=row["code"],
    )


def discounts_page() -> rx.Component:
    return admin_shell(
        "discounts",
        "Discount codes",
        rx.hstack(
            rx.input(
                placeholder="Search code or description",
                value=DiscountsState.search,
                on_change=DiscountsState.set_search.debounce(300),
                width=["100%", "260px"],
            ),
            rx.select.root(
                rx.select.trigger(),
                rx.select.content(*[rx.select.item(lbl, value=v) for v, lbl in STATUS_OPTIONS]),
                value=DiscountsState.status_filter,
                on_change=DiscountsState.set_status_filter,
            ),
            rx.spacer(),
            rx.button(
                rx.icon("ticket-percent", size=16),
                "New code",
                on_click=DiscountsState.open_create,
                id="new-code",
            ),
            wrap="wrap",
            spacing="3",
            width="100%",
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
