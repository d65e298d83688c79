"""Tax & currency settings (billing admins, super-admins): tax rates, exemptions, FX rates.

Three cards: the manual tax rate table (add, edit, deactivate), tax exemptions by learner or
organization e-mail domain (add, revoke; paged on the server) and the exchange rates against
the settlement currency (set a new rate; old ones stay as history).
"""

from __future__ import annotations

from datetime import datetime

import reflex as rx

from commerce_dash.components.forms import field, form_error
from commerce_dash.components.shell import admin_shell
from commerce_dash.components.tables import empty_state, pager
from commerce_dash.db import session_scope
from commerce_dash.domain.errors import DomainError
from commerce_dash.domain.paging import PageRequest
from commerce_dash.domain.tax import country_options, percent_label
from commerce_dash.models.tax import TaxRate
from commerce_dash.pages.admin.revenue_shares import revenue_shares_card
from commerce_dash.services.catalog import fx as fx_service
from commerce_dash.services.commerce import tax as tax_service
from commerce_dash.services.platform.org import department_options
from commerce_dash.settings import get_settings
from commerce_dash.state.admin import AdminState
from commerce_dash.state.paging import PagedTableMixin
from commerce_dash.state.route_args import route_int

SECTION = "settings"
EXEMPTIONS_PAGE_SIZE = 20
WHEN = "%Y-%m-%d %H:%M"
RATE_FIELDS = ("country", "region", "department", "rate", "label")
EXEMPTION_FIELDS = ("subject", "organization", "reference")
FX_FIELDS = ("currency", "rate")
COUNTRIES = country_options()
COUNTRY_NAMES = dict(COUNTRIES)


def _no_errors(fields: tuple[str, ...]) -> dict[str, str]:
    return dict.fromkeys((*fields, "form"), "")


def _error_at(exc: DomainError, fields: tuple[str, ...]) -> dict[str, str]:
    key = exc.field if exc.field in fields else "form"
    return {**_no_errors(fields), key: exc.message}


def _when(value: datetime | None) -> str:
    return value.strftime(WHEN) if value else ""


class TaxSettingsState(PagedTableMixin, AdminState):
    """The page state; ``rows``/``page``/``search`` (from the mixin) are the exemptions."""

    settlement_currency: str = "USD"
    departments: list[dict[str, str]] = []
    tax_rows: list[dict[str, str]] = []
    fx_rows: list[dict[str, str]] = []
    fx_choices: list[str] = []

    # tax rate dialog (text inputs are uncontrolled, prefilled from ``rate_draft``)
    rate_open: bool = False
    rate_key: int = 0
    rate_editing_id: int = 0
    rate_country: str = "US"
    rate_department: str = "all"
    rate_draft: dict[str, str] = {}
    rate_errors: dict[str, str] = _no_errors(RATE_FIELDS)

    # exemption dialog
    exemption_open: bool = False
    exemption_key: int = 0
    exemption_errors: dict[str, str] = _no_errors(EXEMPTION_FIELDS)

    # revoke confirmation
    revoke_open: bool = False
    revoke_id: int = 0
    revoke_label: str = ""

    # FX form
    fx_key: int = 0
    fx_currency: str = ""
    fx_errors: dict[str, str] = _no_errors(FX_FIELDS)

    # -- loading ------------------------------------------------------------------------------
    def _department_label(self, department_id: int | None) -> str:
        if department_id is None:
            return "All departments"
        return next(
            (d["label"] for d in self.departments if d["id"] == str(department_id)),
            f"Department {department_id}",
        )

    def _rate_row(self, row: TaxRate) -> dict[str, str]:
        return {
            "id": str(row.id),
            "country": row.country,
            "country_name": COUNTRY_NAMES.get(row.country, row.country),
            "region": row.region or "Whole country",
            "region_code": row.region,
            "department": self._department_label(row.department_id),
            "department_id": str(row.department_id) if row.department_id else "all",
            "rate": f"{percent_label(row.rate_ppm)}%",
            "rate_percent": percent_label(row.rate_ppm),
            "label": row.label,
            "active": "yes" if row.is_active else "",
            "updated": _when(row.updated_at),
        }

    def _fetch_rates(self) -> None:
        actor = self.current_actor()
        with session_scope() as session:
            self.departments = [
                {"id": str(i), "label": label} for i, label in department_options(session=session)
            ]
            rows = tax_service.list_tax_rates(session=session, actor=actor)
        self.tax_rows = [self._rate_row(r) for r in rows]

    def _fetch_fx(self) -> None:
        settings = get_settings()
        base = settings.settlement_currency
        with session_scope() as session:
            rates = fx_service.list_rates(session=session)
        self.settlement_currency = base
        self.fx_rows = [
            {
                "currency": r.currency,
                "rate": f"1 {base} = {r.rate} {r.currency}",
                "updated": _when(r.effective_at),
                "source": r.source,
                "previous": r.previous_rate or "",
                "previous_at": _when(r.previous_at),
            }
            for r in rates
        ]
        quoted = [r.currency for r in rates]
        offered = [c for c in settings.offered_display_currencies if c != base]
        self.fx_choices = [*offered, *[c for c in quoted if c not in offered]]
        if self.fx_currency not in self.fx_choices:
            self.fx_currency = self.fx_choices[0] if self.fx_choices else ""

    def _fetch(self) -> None:
        """The exemptions page (the paged table of this state)."""
        with session_scope() as session:
            result = tax_service.list_exemptions(
                session=session,
                actor=self.current_actor(),
                page=PageRequest(self.page, EXEMPTIONS_PAGE_SIZE),
            )
        self.total, self.pages = result.total, result.pages
        self.rows = [
            {
                "id": str(r.id),
                "kind": "Learner" if r.kind == "user" else "Organization domain",
                "subject": r.subject,
                "organization": r.organization,
                "reference": r.reference,
                "since": _when(r.created_at),
                "revoked": _when(r.revoked_at),
            }
            for r in result.items
        ]

    def _fetch_all(self):  # type: ignore[no-untyped-def]
        try:
            self._fetch_rates()
            self._fetch()
            self._fetch_fx()
        except DomainError as exc:
            return rx.toast.error(exc.message)
        return None

    @rx.event
    def load(self):  # type: ignore[no-untyped-def]
        if self.guard(SECTION) is None:
            return self.refused()
        return self._fetch_all()

    # -- tax rates --------------------------------------------------------------------------
    @rx.event
    def open_new_rate(self) -> None:
        if self.guard(SECTION) is None:
            return
        self.rate_editing_id = 0
        self.rate_country, self.rate_department = "US", "all"
        self.rate_draft = {"region": "", "rate": "", "label": "Sales tax"}
        self.rate_errors = _no_errors(RATE_FIELDS)
        self.rate_key += 1
        self.rate_open = True

    @rx.event
    def open_edit_rate(self, rate_id: str) -> None:
        row = next((r for r in self.tax_rows if r["id"] == rate_id), None)
        if row is None or self.guard(SECTION) is None:
            return
        self.rate_editing_id = int(rate_id)
        self.rate_country, self.rate_department = row["country"], row["department_id"]
        self.rate_draft = {
            "region": row["region_code"],
            "rate": row["rate_percent"],
            "label": row["label"],
        }
        self.rate_errors = _no_errors(RATE_FIELDS)
        self.rate_key += 1
        self.rate_open = True

    @rx.event
    def set_rate_open(self, value: bool) -> None:
        self.rate_open = value

    @rx.event
    def set_rate_country(self, value: str) -> None:
        self.rate_country = value

    @rx.event
    def set_rate_department(self, value: str) -> None:
        self.rate_department = value

    @rx.event
    def save_rate(self, form: dict[str, str]):  # type: ignore[no-untyped-def]
        self.rate_errors = _no_errors(RATE_FIELDS)
        try:
            with session_scope() as session:
                row = tax_service.upsert_tax_rate(
                    session=session,
                    actor=self.current_actor(),
                    country=self.rate_country,
                    region=form.get("region", ""),
                    department_id=(
                        None if self.rate_department == "all"
                        else route_int(self.rate_department) or 0  # 0: "no department 0"
                    ),
                    rate_text=form.get("rate", ""),
                    label=form.get("label", ""),
                    rate_id=self.rate_editing_id or None,
                )
        except DomainError as exc:
            self.rate_errors = _error_at(exc, RATE_FIELDS)
            return rx.toast.error(exc.message)
        self.rate_open = False
        self._fetch_rates()
        scope = f"{row.country}-{row.region}" if row.region else row.country
        return rx.toast.success(f"Tax rate {percent_label(row.rate_ppm)}% saved for {scope}.")

    @rx.event
    def toggle_rate(self, rate_id: str, activate: bool):  # type: ignore[no-untyped-def]
        try:
            with session_scope() as session:
                change = (
                    tax_service.reactivate_tax_rate if activate else tax_service.deactivate_tax_rate
                )
                row = change(session=session, actor=self.current_actor(),
                             rate_id=route_int(rate_id) or 0)  # 0: not found
        except DomainError as exc:
            return rx.toast.error(exc.message)
        self._fetch_rates()
        scope = f"{row.country}-{row.region}" if row.region else row.country
        return rx.toast.success(
            f"Tax rate for {scope} {'activated' if activate else 'deactivated'}."
        )

    # -- exemptions -------------------------------------------------------------------------
    @rx.event
    def open_new_exemption(self) -> None:
        if self.guard(SECTION) is None:
            return
        self.exemption_errors = _no_errors(EXEMPTION_FIELDS)
        self.exemption_key += 1
        self.exemption_open = True

    @rx.event
    def set_exemption_open(self, value: bool) -> None:
        self.exemption_open = value

    @rx.event
    def save_exemption(self, form: dict[str, str]):  # type: ignore[no-untyped-def]
        self.exemption_errors = _no_errors(EXEMPTION_FIELDS)
        try:
            with session_scope() as session:
                tax_service.add_exemption(
                    session=session,
                    actor=self.current_actor(),
                    subject=form.get("subject", ""),
                    organization=form.get("organization", ""),
                    reference=form.get("reference", ""),
                )
        except DomainError as exc:
            self.exemption_errors = _error_at(exc, EXEMPTION_FIELDS)
            return rx.toast.error(exc.message)
        self.exemption_open = False
        self.page = 1
        self._fetch()
        return rx.toast.success(f"{form.get('subject', '').strip()} is now tax exempt.")

    @rx.event
    def ask_revoke(self, exemption_id: str, label: str) -> None:
        self.revoke_id, self.revoke_label = route_int(exemption_id) or 0, label  # 0: not found
        self.revoke_open = True

    @rx.event
    def set_revoke_open(self, value: bool) -> None:
        self.revoke_open = value

    @rx.event
    def confirm_revoke(self):  # type: ignore[no-untyped-def]
        try:
            with session_scope() as session:
                tax_service.revoke_exemption(
                    session=session, actor=self.current_actor(), exemption_id=self.revoke_id
                )
        except DomainError as exc:
            return rx.toast.error(exc.message)
        self.revoke_open = False
        self._fetch()
        return rx.toast.success(f"Exemption of {self.revoke_label} revoked; tax applies again.")

    # -- FX rates ---------------------------------------------------------------------------
    @rx.event
    def set_fx_currency(self, value: str) -> None:
        self.fx_currency = value

    @rx.event
    def save_fx_rate(self, form: dict[str, str]):  # type: ignore[no-untyped-def]
        self.fx_errors = _no_errors(FX_FIELDS)
        try:
            with session_scope() as session:
                row = fx_service.set_rate(
                    session=session,
                    actor=self.current_actor(),
                    quote=self.fx_currency,
                    rate_text=form.get("rate", ""),
                )
        except DomainError as exc:
            self.fx_errors = _error_at(exc, FX_FIELDS)
            return rx.toast.error(exc.message)
        self.fx_key += 1
        self._fetch_fx()
        return rx.toast.success(f"Rate saved: 1 {row.base} = {row.rate} {row.quote}.")


# -- components --------------------------------------------------------------------------------


def _error(errors: rx.Var[dict[str, str]], key: str, prefix: str) -> rx.Component:
    message = errors[key]
    return rx.cond(
        message != "",
        rx.text(message, color_scheme="red", size="2", id=f"{prefix}-{key}-error"),
        rx.fragment(),
    )


def _labelled(label: str, control: rx.Component, error: rx.Component) -> rx.Component:
    return rx.vstack(
        rx.text(label, size="2", weight="medium"),
        control,
        error,
        spacing="1",
        width="100%",
        align="start",
    )


def _card_header(title: str, hint: str, *actions: rx.Component) -> rx.Component:
    return rx.hstack(
        rx.vstack(
            rx.heading(title, size="4"),
            rx.text(hint, size="2", color_scheme="gray"),
            spacing="1",
        ),
        rx.spacer(),
        *actions,
        align="start",
        wrap="wrap",
        width="100%",
        padding_bottom="0.5em",
    )


def _table(headers: list[str], rows: rx.Var, row) -> rx.Component:  # type: ignore[no-untyped-def]
    return rx.box(
        rx.table.root(
            rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in headers])),
            rx.table.body(rx.foreach(rows, row)),
            width="100%",
        ),
        overflow_x="auto",
        width="100%",
    )


# tax rates


def _rate_row(row: rx.Var[dict[str, str]]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.vstack(
                rx.text(row["country_name"], size="2", weight="medium"),
                rx.code(row["country"], size="1"),
                spacing="0",
            )
        ),
        rx.table.cell(rx.text(row["region"], size="2")),
        rx.table.cell(rx.text(row["department"], size="2")),
        rx.table.cell(rx.text(row["rate"], weight="medium")),
        rx.table.cell(rx.text(row["label"], size="2")),
        rx.table.cell(
            rx.cond(
                row["active"] == "yes",
                rx.badge("active", color_scheme="green"),
                rx.badge("inactive", color_scheme="gray", variant="outline"),
            )
        ),
        rx.table.cell(
            rx.hstack(
                rx.button(
                    "Edit",
                    size="1",
                    variant="soft",
                    on_click=TaxSettingsState.open_edit_rate(row["id"]),
                    class_name="edit-rate",
                ),
                rx.cond(
                    row["active"] == "yes",
                    rx.button(
                        "Deactivate",
                        size="1",
                        variant="soft",
                        color_scheme="red",
                        on_click=TaxSettingsState.toggle_rate(row["id"], False),
                        class_name="toggle-rate",
                    ),
                    rx.button(
                        "Activate",
                        size="1",
                        variant="soft",
                        color_scheme="green",
                        on_click=TaxSettingsState.toggle_rate(row["id"], True),
                        class_name="toggle-rate",
                    ),
                ),
                spacing="2",
            )
        ),
        class_name="tax-rate-row",
        data_scope=row["country"] + "-" + row["region_code"],
    )


def _rates_card() -> rx.Component:
    return rx.card(
        _card_header(
            "Tax rates",
            "Used when the tax provider is the rate table. A department's rate beats the "
            "region's, a region's beats the country's.",
            rx.button(
                rx.icon("plus", size=16),
                "New rate",
                on_click=TaxSettingsState.open_new_rate,
                id="new-tax-rate",
            ),
        ),
        rx.cond(
            TaxSettingsState.tax_rows.length() > 0,
            _table(
                ["Country", "Region", "Department", "Rate", "Label", "Status", "Actions"],
                TaxSettingsState.tax_rows,
                _rate_row,
            ),
            empty_state(
                "percent",
                "No tax rates yet",
                "Add a rate for each country or region you collect tax in; "
                "elsewhere no tax is charged.",
            ),
        ),
        width="100%",
        id="tax-rates-card",
    )


def _rate_dialog() -> rx.Component:
    errors = TaxSettingsState.rate_errors
    country = rx.select.root(
        rx.select.trigger(width="100%", id="rate-country"),
        rx.select.content(
            *[rx.select.item(f"{name} ({code})", value=code) for code, name in COUNTRIES]
        ),
        value=TaxSettingsState.rate_country,
        on_change=TaxSettingsState.set_rate_country,
    )
    department = rx.select.root(
        rx.select.trigger(width="100%", id="rate-department"),
        rx.select.content(
            rx.select.item("All departments", value="all"),
            rx.foreach(
                TaxSettingsState.departments, lambda d: rx.select.item(d["label"], value=d["id"])
            ),
        ),
        value=TaxSettingsState.rate_department,
        on_change=TaxSettingsState.set_rate_department,
    )
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(
                rx.cond(TaxSettingsState.rate_editing_id == 0, "New tax rate", "Edit tax rate")
            ),
            rx.dialog.description(
                "One rate per country, region and department; saving a rate makes it active.",
                size="2",
                color_scheme="gray",
            ),
            rx.form(
                rx.vstack(
                    form_error(errors["form"]),
                    _labelled("Country", country, _error(errors, "country", "rate")),
                    field(
                        "Region (optional)",
                        "region",
                        errors["region"],
                        default_value=TaxSettingsState.rate_draft["region"],  # type: ignore[arg-type]
                        placeholder="NY",
                        hint="State or province code; empty for the whole country.",
                    ),
                    _labelled("Department", department, _error(errors, "department", "rate")),
                    field(
                        "Rate (%)",
                        "rate",
                        errors["rate"],
                        default_value=TaxSettingsState.rate_draft["rate"],  # type: ignore[arg-type]
                        placeholder="8.875",
                        required=True,
                        hint="Percent, up to 4 decimals.",
                    ),
                    field(
                        "Label",
                        "label",
                        errors["label"],
                        default_value=TaxSettingsState.rate_draft["label"],  # type: ignore[arg-type]
                        placeholder="Sales tax",
                        hint="Shown to learners beside the tax, e.g. Sales tax, VAT, HST.",
                    ),
                    rx.hstack(
                        rx.dialog.close(
                            rx.button("Cancel", variant="soft", color_scheme="gray", type="button")
                        ),
                        rx.button("Save rate", type="submit", id="save-tax-rate"),
                        justify="end",
                        width="100%",
                    ),
                    spacing="3",
                ),
                on_submit=TaxSettingsState.save_rate,
                reset_on_submit=False,
                key=TaxSettingsState.rate_key.to_string(),
            ),
            max_width="520px",
            max_height="90vh",
            overflow_y="auto",
        ),
        open=TaxSettingsState.rate_open,
        on_open_change=TaxSettingsState.set_rate_open,
    )


# exemptions


def _exemption_row(row: rx.Var[dict[str, str]]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.vstack(
                rx.text(row["subject"], size="2", weight="medium"),
                rx.text(row["kind"], size="1", color_scheme="gray"),
                spacing="0",
            )
        ),
        rx.table.cell(rx.text(row["organization"], size="2")),
        rx.table.cell(rx.text(row["reference"], size="2")),
        rx.table.cell(rx.text(row["since"], size="1", white_space="nowrap")),
        rx.table.cell(
            rx.cond(
                row["revoked"] == "",
                rx.badge("in force", color_scheme="green"),
                rx.tooltip(
                    rx.badge("revoked", color_scheme="gray", variant="outline"),
                    content="Revoked " + row["revoked"] + " UTC",
                ),
            )
        ),
        rx.table.cell(
            rx.cond(
                row["revoked"] == "",
                rx.button(
                    "Revoke",
                    size="1",
                    variant="soft",
                    color_scheme="red",
                    on_click=TaxSettingsState.ask_revoke(row["id"], row["subject"]),
                    class_name="revoke-exemption",
                ),
                rx.fragment(),
            )
        ),
        class_name="exemption-row",
        data_subject=row["subject"],
    )


def _exemptions_card() -> rx.Component:
    state = TaxSettingsState
    return rx.card(
        _card_header(
            "Tax exemptions",
            "Exempt learners and organizations pay no tax. An organization is matched by the "
            "e-mail domain of the buyer (subdomains included).",
            rx.button(
                rx.icon("shield-check", size=16),
                "Add exemption",
                on_click=state.open_new_exemption,
                id="new-exemption",
            ),
        ),
        rx.cond(
            state.rows.length() > 0,
            _table(
                ["Learner or domain", "Organization", "Certificate", "Since (UTC)", "Status", ""],
                state.rows,
                _exemption_row,
            ),
            empty_state(
                "shield-check",
                "No exemptions",
                "Add one for a learner's e-mail or an organization's e-mail domain, with its "
                "exemption certificate reference.",
            ),
        ),
        pager(state.page, state.pages, state.total, state.prev_page, state.next_page),
        width="100%",
        id="exemptions-card",
    )


def _exemption_dialog() -> rx.Component:
    errors = TaxSettingsState.exemption_errors
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Add tax exemption"),
            rx.dialog.description(
                "Quotes for this learner or organization show no tax from now on.",
                size="2",
                color_scheme="gray",
            ),
            rx.form(
                rx.vstack(
                    form_error(errors["form"]),
                    field(
                        "Learner e-mail or organization domain",
                        "subject",
                        errors["subject"],
                        placeholder="learner@example.com or example.org",
                        required=True,
                    ),
                    field(
                        "Organization",
                        "organization",
                        errors["organization"],
                        placeholder="Example University",
                        required=True,
                    ),
                    field(
                        "Exemption certificate reference",
                        "reference",
                        errors["reference"],
                        placeholder="EX-2026-0001",
                        hint="Optional; kept for audits.",
                    ),
                    rx.hstack(
                        rx.dialog.close(
                            rx.button("Cancel", variant="soft", color_scheme="gray", type="button")
                        ),
                        rx.button("Add exemption", type="submit", id="save-exemption"),
                        justify="end",
                        width="100%",
                    ),
                    spacing="3",
                ),
                on_submit=TaxSettingsState.save_exemption,
                reset_on_submit=False,
                key=TaxSettingsState.exemption_key.to_string(),
            ),
            max_width="520px",
        ),
        open=TaxSettingsState.exemption_open,
        on_open_change=TaxSettingsState.set_exemption_open,
    )


def _revoke_dialog() -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title("Revoke the exemption of ", TaxSettingsState.revoke_label, "?"),
            rx.alert_dialog.description(
                "Tax applies again to their next quote. The exemption stays in the list as "
                "revoked and can be added again.",
                size="2",
            ),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button("Cancel", variant="soft", color_scheme="gray")),
                rx.button(
                    "Revoke",
                    color_scheme="red",
                    on_click=TaxSettingsState.confirm_revoke,
                    id="confirm-revoke",
                ),
                justify="end",
                spacing="3",
                width="100%",
                padding_top="1em",
            ),
        ),
        open=TaxSettingsState.revoke_open,
        on_open_change=TaxSettingsState.set_revoke_open,
    )


# FX rates


def _fx_row(row: rx.Var[dict[str, str]]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.code(row["currency"], weight="bold")),
        rx.table.cell(rx.text(row["rate"], weight="medium", white_space="nowrap")),
        rx.table.cell(
            rx.vstack(
                rx.text(row["updated"], size="1", white_space="nowrap"),
                rx.text(row["source"], size="1", color_scheme="gray"),
                spacing="0",
            )
        ),
        rx.table.cell(
            rx.cond(
                row["previous"] != "",
                rx.vstack(
                    rx.text(row["previous"], size="2"),
                    rx.text(row["previous_at"], size="1", color_scheme="gray"),
                    spacing="0",
                ),
                rx.text("—", color_scheme="gray"),
            )
        ),
        class_name="fx-rate-row",
        data_currency=row["currency"],
    )


def _fx_form() -> rx.Component:
    errors = TaxSettingsState.fx_errors
    currency = rx.select.root(
        rx.select.trigger(placeholder="Currency", id="fx-currency"),
        rx.select.content(
            rx.foreach(TaxSettingsState.fx_choices, lambda c: rx.select.item(c, value=c))
        ),
        value=TaxSettingsState.fx_currency,
        on_change=TaxSettingsState.set_fx_currency,
    )
    return rx.form(
        rx.vstack(
            form_error(errors["form"]),
            rx.hstack(
                rx.text("1 ", TaxSettingsState.settlement_currency, " =", size="3"),
                rx.box(
                    rx.input(
                        name="rate",
                        id="fx-rate",
                        placeholder="0.92",
                        required=True,
                        auto_complete="off",
                        size="3",
                        width="100%",
                    ),
                    width="160px",
                ),
                currency,
                rx.button(
                    rx.icon("arrow-left-right", size=16),
                    "Set rate",
                    type="submit",
                    id="save-fx-rate",
                ),
                align="center",
                wrap="wrap",
                spacing="3",
            ),
            _error(errors, "rate", "fx"),
            _error(errors, "currency", "fx"),
            rx.text(
                "A new rate applies from now on; orders keep the rate they were placed at.",
                size="1",
                color_scheme="gray",
            ),
            spacing="2",
            width="100%",
        ),
        on_submit=TaxSettingsState.save_fx_rate,
        reset_on_submit=False,
        key=TaxSettingsState.fx_key.to_string(),
        width="100%",
    )


def _fx_card() -> rx.Component:
    return rx.card(
        _card_header(
            "Exchange rates",
            "Prices are settled in the settlement currency and shown to learners in the "
            "currencies below at the rate in force.",
        ),
        rx.cond(
            TaxSettingsState.fx_rows.length() > 0,
            _table(
                ["Currency", "Rate", "Updated (UTC)", "Previous"],
                TaxSettingsState.fx_rows,
                _fx_row,
            ),
            empty_state(
                "coins",
                "No exchange rates yet",
                "Set a rate for a currency to offer prices in it; until then learners see the "
                "settlement currency.",
            ),
        ),
        rx.separator(size="4", margin_y="1em"),
        _fx_form(),
        width="100%",
        id="fx-rates-card",
    )


def tax_settings_page() -> rx.Component:
    return admin_shell(
        SECTION,
        "Tax & currency",
        _rates_card(),
        _exemptions_card(),
        _fx_card(),
        revenue_shares_card(),
        _rate_dialog(),
        _exemption_dialog(),
        _revoke_dialog(),
    )
