"""Payment processors (/admin/processors, billing admins): which processors are set up (their
keys and webhook secret present, their last webhook, test or live mode; secrets never shown),
a test webhook signed with the configured secret, the default processor and each
department's. A department whose processor is not set up cannot sell: the page says so."""

from __future__ import annotations

import reflex as rx

from commerce_dash.components.admin_forms import (
    data_table,
    note,
    only_if,
    row_button,
    section_card,
)
from commerce_dash.components.forms import labelled, select
from commerce_dash.components.shell import admin_shell
from commerce_dash.pages.admin.processors_state import CHOICES, DEFAULT, SECTION, ProcessorsState

P = ProcessorsState


def _yes_no(value: rx.Var, yes: str, no: str) -> rx.Component:
    return rx.cond(value == "yes",
                   rx.badge(yes, color_scheme="green", high_contrast=True),
                   rx.badge(no, color_scheme="red", high_contrast=True))


def _processor_row(row: rx.Var[dict[str, str]]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(row["label"], weight="medium")),
        rx.table.cell(rx.vstack(
            _yes_no(row["configured"], "Keys set", "Keys missing"),
            only_if(row["missing"] != "", note("Needs ", row["missing"],
                                               class_name="processor-missing")),
            spacing="1", align="start")),
        rx.table.cell(rx.vstack(
            _yes_no(row["webhook_secret"], "Secret set", "No secret"),
            note("Last: ", row["last_webhook"], class_name="processor-last-webhook"),
            spacing="1", align="start")),
        rx.table.cell(rx.badge(row["mode"], color_scheme=rx.cond(row["mode"] == "live", "green",
                                                                  "amber"),
                               high_contrast=True)),
        rx.table.cell(rx.text(row["departments"])),
        rx.table.cell(row_button("Send test webhook", P.send_test(row["name"]),  # type: ignore[operator]
                                 icon="send", when=row["webhook_secret"] == "yes",
                                 aria_label="Send a test webhook to " + row["label"])),
        class_name="processor-row",
        data_processor=row["name"],
    )


def _processors_card() -> rx.Component:
    return section_card(
        "Processors",
        "Keys and webhook secrets are set in the environment (see the README) and never shown "
        "here. A test webhook is signed with the configured secret and runs through the "
        "webhook route's checks.",
        data_table(["Processor", "Keys", "Webhooks", "Mode", "Departments", ""],
                   P.processors, _processor_row),
        id="processors-card",
    )


def _department_row(row: rx.Var[dict[str, str]]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.vstack(rx.text(row["name"], weight="medium"), note(row["code"]),
                                spacing="0")),
        rx.table.cell(select(
            row["choice"],
            lambda value: P.choose_for_department(row["id"], value),  # type: ignore[operator]
            [(DEFAULT, "The default"), *CHOICES],
            aria_label="Processor for " + row["name"],
            class_name="department-processor",
        )),
        rx.table.cell(rx.vstack(
            rx.text(row["label"], size="2"),
            note(row["source"]),
            only_if(row["configured"] != "yes",
                    rx.badge("Cannot sell: keys missing", color_scheme="red", high_contrast=True,
                             class_name="cannot-sell")),
            spacing="1", align="start")),
        class_name="department-processor-row",
        data_code=row["code"],
    )


def _choices_card() -> rx.Component:
    return section_card(
        "Who takes the payments",
        "The default processor takes the payments of every department without its own. "
        "A choice made here beats the environment's and takes effect on the next checkout.",
        rx.vstack(
            only_if(P.unconfigured.length() > 0, rx.callout.root(
                rx.callout.icon(rx.icon("triangle-alert")),
                rx.callout.text("These departments cannot sell until their processor is set "
                                "up: ", P.unconfigured.join(", "), "."),
                color_scheme="red", id="cannot-sell-alert")),
            labelled("Default processor", select(P.default, P.choose_default, CHOICES,
                                                 id="default-processor", width="16em"),
                     note(P.default_source), html_for="default-processor"),
            data_table(["Department", "Processor", "Takes payments through"], P.departments,
                       _department_row),
            spacing="3", width="100%",
        ),
        id="processor-choices-card",
    )


def processors_page() -> rx.Component:
    return admin_shell(SECTION, "Payment processors", _choices_card(), _processors_card())
