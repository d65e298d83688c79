"""Tax & currency settings (billing admins, super-admins): tax rates, exemptions, FX rates.

Three cards: the manual tax rate table (add, edit, deactivate), tax exemptions by learner or
organization e-mail domain (add, revoke; paged on the server) and the exchange rates against
the settlement currency (set a new rate; old ones stay as history).

A container page: it also shows the revenue shares card of ``revenue_shares.py``.
"""

from __future__ import annotations

import reflex as rx

from commerce_dash.components.admin_forms import (
    edit_dialog,
    new_button,
    note,
    row_actions,
    row_button,
    section_card,
    table_or_empty,
    toggle_button,
)
from commerce_dash.components.cells import text_cells
from commerce_dash.components.dialogs import confirm_dialog
from commerce_dash.components.forms import (
    Input,
    error_text,
    form_error,
    input_fields,
    labelled,
    select,
)
from commerce_dash.components.shell import admin_shell
from commerce_dash.components.tables import empty_state, pager
from commerce_dash.pages.admin.revenue_shares import revenue_shares_card
from commerce_dash.pages.admin.seller_details import seller_details_card
from commerce_dash.pages.admin.tax_settings_state import (
    COUNTRIES,
    SECTION,
    TaxSettingsState,
)

REGION_INPUT = Input(
    "region", "Region (optional)", "NY", "State or province code; empty for the whole country."
)
RATE_INPUTS = (
    Input("rate", "Rate (%)", "8.875", "Percent, up to 4 decimals.", required=True),
    Input(
        "label", "Label", "Sales tax", "Shown to learners beside the tax, e.g. Sales tax, VAT, HST."
    ),
)
EXEMPTION_INPUTS = (
    Input(
        "subject",
        "Learner e-mail or organization domain",
        "learner@example.com or example.org",
        required=True,
    ),
    Input("organization", "Organization", "Example University", required=True),
    Input(
        "reference", "Exemption certificate reference", "EX-2026-0001", "Optional; kept for audits."
    ),
)


def _error(errors: rx.Var[dict[str, str]], key: str, prefix: str) -> rx.Component:
    return error_text(errors[key], f"{prefix}-{key}-error")


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
        *text_cells(row, "region", "department"),
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
            row_actions(
                row_button(
                    "Edit", TaxSettingsState.open_edit_rate(row["id"]), class_name="edit-rate"
                ),
                toggle_button(
                    row["active"] == "yes",
                    lambda activate: TaxSettingsState.toggle_rate(row["id"], activate),
                    class_name="toggle-rate",
                ),
            )
        ),
        class_name="tax-rate-row",
        data_scope=row["country"] + "-" + row["region_code"],
    )


def _rates_card() -> rx.Component:
    return section_card(
        "Tax rates",
        "Used when the tax provider is the rate table. A department's rate beats the "
        "region's, a region's beats the country's.",
        table_or_empty(
            ["Country", "Region", "Department", "Rate", "Label", "Status", "Actions"],
            TaxSettingsState.tax_rows,
            _rate_row,
            empty_state(
                "percent",
                "No tax rates yet",
                "Add a rate for each country or region you collect tax in; "
                "elsewhere no tax is charged.",
            ),
        ),
        actions=(new_button("plus", "New rate", TaxSettingsState.open_new_rate, "new-tax-rate"),),
        id="tax-rates-card",
    )


def _rate_dialog() -> rx.Component:
    errors, draft = TaxSettingsState.rate_errors, TaxSettingsState.rate_draft
    country = select(
        TaxSettingsState.rate_country,
        TaxSettingsState.set_rate_country,
        [(code, f"{name} ({code})") for code, name in COUNTRIES],
        width="100%",
        id="rate-country",
    )
    department = select(
        TaxSettingsState.rate_department,
        TaxSettingsState.set_rate_department,
        first=("all", "All departments"),
        each=TaxSettingsState.departments,
        width="100%",
        id="rate-department",
    )
    return edit_dialog(
        rx.cond(TaxSettingsState.rate_editing_id == 0, "New tax rate", "Edit tax rate"),
        "One rate per country, region and department; saving a rate makes it active.",
        labelled("Country", country, _error(errors, "country", "rate")),
        *input_fields(errors, [REGION_INPUT], draft),
        labelled("Department", department, _error(errors, "department", "rate")),
        *input_fields(errors, RATE_INPUTS, draft),
        error=errors["form"],
        submit="Save rate",
        submit_id="save-tax-rate",
        on_submit=TaxSettingsState.save_rate,
        key=TaxSettingsState.rate_key.to_string(),
        max_width="520px",
        tall=True,
        open=TaxSettingsState.rate_open,
        on_open_change=TaxSettingsState.set_rate_open,
    )


# exemptions


def _exemption_row(row: rx.Var[dict[str, str]]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.vstack(
                rx.text(row["subject"], size="2", weight="medium"),
                note(row["kind"]),
                spacing="0",
            )
        ),
        *text_cells(row, "organization", "reference"),
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
            row_button(
                "Revoke",
                TaxSettingsState.ask_revoke(row["id"], row["subject"]),
                color="red",
                class_name="revoke-exemption",
                when=row["revoked"] == "",
            )
        ),
        class_name="exemption-row",
        data_subject=row["subject"],
    )


def _exemptions_card() -> rx.Component:
    state = TaxSettingsState
    return section_card(
        "Tax exemptions",
        "Exempt learners and organizations pay no tax. An organization is matched by the "
        "e-mail domain of the buyer (subdomains included).",
        table_or_empty(
            ["Learner or domain", "Organization", "Certificate", "Since (UTC)", "Status", ""],
            state.rows,
            _exemption_row,
            empty_state(
                "shield-check",
                "No exemptions",
                "Add one for a learner's e-mail or an organization's e-mail domain, with its "
                "exemption certificate reference.",
            ),
        ),
        pager(state.page, state.pages, state.total, state.prev_page, state.next_page),
        actions=(
            new_button("shield-check", "Add exemption", state.open_new_exemption, "new-exemption"),
        ),
        id="exemptions-card",
    )


def _exemption_dialog() -> rx.Component:
    errors = TaxSettingsState.exemption_errors
    return edit_dialog(
        "Add tax exemption",
        "Quotes for this learner or organization show no tax from now on.",
        *input_fields(errors, EXEMPTION_INPUTS),
        error=errors["form"],
        submit="Add exemption",
        submit_id="save-exemption",
        on_submit=TaxSettingsState.save_exemption,
        key=TaxSettingsState.exemption_key.to_string(),
        max_width="520px",
        open=TaxSettingsState.exemption_open,
        on_open_change=TaxSettingsState.set_exemption_open,
    )


def _revoke_dialog() -> rx.Component:
    return confirm_dialog(
        ("Revoke the exemption of ", TaxSettingsState.revoke_label, "?"),
        "Tax applies again to their next quote. The exemption stays in the list as "
        "revoked and can be added again.",
        confirm="Revoke",
        on_confirm=TaxSettingsState.confirm_revoke,
        confirm_id="confirm-revoke",
        open=TaxSettingsState.revoke_open,
        on_open_change=TaxSettingsState.set_revoke_open,
        alert=True,
    )


# FX rates


def _fx_row(row: rx.Var[dict[str, str]]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.code(row["currency"], weight="bold")),
        rx.table.cell(rx.text(row["rate"], weight="medium", white_space="nowrap")),
        rx.table.cell(
            rx.vstack(
                rx.text(row["updated"], size="1", white_space="nowrap"),
                note(row["source"]),
                spacing="0",
            )
        ),
        rx.table.cell(
            rx.cond(
                row["previous"] != "",
                rx.vstack(
                    rx.text(row["previous"], size="2"),
                    note(row["previous_at"]),
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
    currency = select(
        TaxSettingsState.fx_currency,
        TaxSettingsState.set_fx_currency,
        each=TaxSettingsState.fx_choices,
        each_value=None,
        placeholder="Currency",
        label="Currency",
        id="fx-currency",
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
            note("A new rate applies from now on; orders keep the rate they were placed at."),
            spacing="2",
            width="100%",
        ),
        on_submit=TaxSettingsState.save_fx_rate,
        reset_on_submit=False,
        key=TaxSettingsState.fx_key.to_string(),
        width="100%",
    )


def _fx_card() -> rx.Component:
    return section_card(
        "Exchange rates",
        "Prices are settled in the settlement currency and shown to learners in the "
        "currencies below at the rate in force.",
        table_or_empty(
            ["Currency", "Rate", "Updated (UTC)", "Previous"],
            TaxSettingsState.fx_rows,
            _fx_row,
            empty_state(
                "coins",
                "No exchange rates yet",
                "Set a rate for a currency to offer prices in it; until then learners see the "
                "settlement currency.",
            ),
        ),
        rx.separator(size="4", margin_y="1em"),
        _fx_form(),
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
        seller_details_card(),  # issue 19: the seller on invoices
        _rate_dialog(),
        _exemption_dialog(),
        _revoke_dialog(),
    )
