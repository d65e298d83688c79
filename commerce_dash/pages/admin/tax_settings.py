"""Tax & currency settings (billing admins, super-admins): tax rates, exemptions, FX rates.

Three cards: the manual tax rate table (add, edit, deactivate), tax exemptions by learner or
organization e-mail domain (add, revoke; paged on the server) and the exchange rates against
the settlement currency (set a new rate; old ones stay as history).

A container page: it also shows the revenue shares card of ``revenue_shares.py``.
"""

from __future__ import annotations

import reflex as rx

from commerce_dash.components.dialogs import confirm_dialog, dialog
from commerce_dash.components.forms import field, form_error
from commerce_dash.components.shell import admin_shell
from commerce_dash.components.tables import empty_state, pager
from commerce_dash.pages.admin.revenue_shares import revenue_shares_card
from commerce_dash.pages.admin.tax_settings_state import (
    COUNTRIES,
    SECTION,
    TaxSettingsState,
)


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
    return dialog(
        rx.cond(TaxSettingsState.rate_editing_id == 0, "New tax rate", "Edit tax rate"),
        "One rate per country, region and department; saving a rate makes it active.",
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
    return dialog(
        "Add tax exemption",
        "Quotes for this learner or organization show no tax from now on.",
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
