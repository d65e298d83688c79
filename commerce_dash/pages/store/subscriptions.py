"""My subscriptions (/account/subscriptions): one card per subscription with its status, next
charge, card, invoices (with receipt links) and actions."""

from __future__ import annotations

import reflex as rx
from reflex.vars import ObjectVar

from commerce_dash import routes
from commerce_dash.components.admin_forms import data_table
from commerce_dash.components.badges import row_status_badge
from commerce_dash.components.catalog_card import loading_panel
from commerce_dash.components.cells import only_if
from commerce_dash.components.dialogs import confirm_dialog, dialog
from commerce_dash.components.forms import error_text, labelled
from commerce_dash.components.shell import store_page
from commerce_dash.components.store_panels import (
    back_link,
    browse_catalog_button,
    card_column,
    empty_block,
)
from commerce_dash.pages.store.subscribe import card_fields, stripe_card_field
from commerce_dash.pages.store.subscriptions_state import NEW_CARD_ID, MySubscriptionsState

S = MySubscriptionsState


def _invoice(inv: ObjectVar[dict[str, str]], number: rx.Var[str]) -> rx.Component:
    return rx.cond(
        inv["sub"] == number,
        rx.table.row(
            rx.table.cell(rx.text(inv["period"], size="2", white_space="nowrap")),
            rx.table.cell(rx.text(inv["amount"], size="2")),
            rx.table.cell(
                rx.vstack(
                    row_status_badge(inv, "invoice-status"),
                    only_if(inv["failure"] != "",
                            rx.text(inv["failure"], size="1", color_scheme="red")),
                    spacing="1",
                    align="start",
                )
            ),
            rx.table.cell(
                rx.cond(inv["receipt_href"] != "",
                        rx.link(inv["receipt"], href=inv["receipt_href"],
                                class_name="invoice-receipt"),
                        rx.text("—", size="2", color_scheme="gray")),
            ),
        ),
    )


def _actions(sub: ObjectVar[dict[str, str]]) -> rx.Component:
    def button(flag: str, label: str, event: object, **props: object) -> rx.Component:
        return only_if(
            sub[flag] != "",
            rx.button(label, size="2", variant="soft", on_click=event,  # type: ignore[arg-type]
                      loading=S.busy,
                      aria_label=f"{label} " + sub["number"].to(str),  # type: ignore[arg-type]
                      class_name=f"sub-{label.lower().replace(' ', '-')}", **props),
        )

    return rx.flex(
        button("can_pause", "Pause", S.pause(sub["number"])),
        button("can_resume", "Resume", S.resume(sub["number"])),
        button("can_undo", "Undo cancel", S.undo_cancel(sub["number"])),
        button("can_change", "Change plan", S.open_change(sub["number"])),
        button("can_card", "Update card", S.open_card(sub["number"])),
        button("can_cancel", "Cancel", S.open_cancel(sub["number"]), color_scheme="red"),
        spacing="2",
        wrap="wrap",
    )


def _subscription(sub: ObjectVar[dict[str, str]]) -> rx.Component:
    return card_column(
        rx.hstack(
            rx.vstack(
                rx.link(rx.heading(sub["department"], size="4"), href=sub["department_href"]),
                rx.text(sub["number"], " · ", sub["interval"], " · ", sub["price"], size="2",
                        color_scheme="gray"),
                spacing="1",
                align="start",
            ),
            rx.spacer(),
            row_status_badge(sub, "subscription-status"),
            width="100%",
            align="start",
            wrap="wrap",
        ),
        rx.text(sub["next"], size="2", weight="medium", class_name="subscription-next"),
        only_if(sub["pending"] != "", rx.text(sub["pending"], size="2", color_scheme="blue")),
        rx.hstack(rx.icon("credit-card", size=16), rx.text(sub["card"], size="2"),
                  align="center", class_name="subscription-card"),
        data_table(["Period", "Amount", "Status", "Receipt"], S.invoices,
                   lambda inv: _invoice(inv, sub["number"])),
        _actions(sub),
        class_name="subscription",
    )


def _cancel_dialog() -> rx.Component:
    return confirm_dialog(
        ("Cancel ", S.cancel_ref),
        "Choose when it ends.",
        rx.radio_group.root(
            rx.vstack(
                rx.radio_group.item(
                    rx.text("At the end of the period: you keep access until ",
                            rx.text.strong(S.cancel_end), "; nothing more is charged."),
                    value="period_end",
                ),
                rx.radio_group.item(
                    rx.text("Now: access ends now; the unused part of the period goes to the "
                            "refund queue for a decision."),
                    value="now",
                ),
                spacing="2",
            ),
            value=S.cancel_when,
            on_change=S.set_cancel_when,
            aria_label="When the subscription ends",
            id="cancel-when",
        ),
        confirm="Cancel subscription",
        on_confirm=S.confirm_cancel,
        open=S.cancel_open,
        on_open_change=S.set_cancel_open,
        confirm_id="confirm-cancel",
        loading=S.busy,
        max_width="480px",
    )


def _change_dialog() -> rx.Component:
    return confirm_dialog(
        ("Change the plan of ", S.change_ref),
        "Pick the plan to move to.",
        labelled(
            "New plan",
            rx.select.root(
                rx.select.trigger(id="change-plan", width="100%"),
                rx.select.content(rx.foreach(
                    S.change_choices, lambda c: rx.select.item(c["label"], value=c["id"]))),
                value=S.change_plan_id,
                on_change=S.set_change_plan,
            ),
            rx.foreach(S.change_choices,
                       lambda c: only_if(c["id"] == S.change_plan_id,
                                         rx.text(c["when"], size="2", color_scheme="gray",
                                                 id="change-when"))),
            error_text(S.change_error, "change-error"),
            html_for="change-plan",
        ),
        confirm="Change plan",
        on_confirm=S.confirm_change,
        open=S.change_open,
        on_open_change=S.set_change_open,
        color="indigo",
        confirm_id="confirm-change",
        loading=S.busy,
        max_width="480px",
    )


def _card_dialog() -> rx.Component:
    return dialog(
        ("Update the card of ", S.card_ref),
        "The new card pays the next charge; an unpaid invoice is tried again with it now.",
        rx.cond(
            S.card_processor == "stripe",
            stripe_card_field(S.save_card_stripe, S.busy, S.card_ready, S.card_error,
                              "Save card", NEW_CARD_ID, "save-card"),
            card_fields(S.save_card, S.busy, S.card_error, "Save card", "new-card",
                        "save-card"),
        ),
        rx.hstack(rx.dialog.close(rx.button("Close", variant="soft", color_scheme="gray")),
                  justify="end", width="100%", padding_top="0.5em"),
        open=S.card_open,
        on_open_change=S.set_card_open,
        max_width="480px",
    )


def my_subscriptions_page() -> rx.Component:
    return store_page(
        back_link("My account", routes.ACCOUNT),
        rx.heading("My subscriptions", size="6"),
        rx.cond(
            ~S.loaded,
            loading_panel(),
            rx.cond(
                S.subscriptions.length() > 0,
                rx.vstack(rx.foreach(S.subscriptions, _subscription), spacing="4",
                          width="100%", id="my-subscriptions"),
                rx.card(
                    empty_block("repeat", "No subscriptions yet",
                                "A department subscription opens all of its courses. "
                                "Find one on a department's page.",
                                browse_catalog_button()),
                    width="100%",
                ),
            ),
        ),
        _cancel_dialog(),
        _change_dialog(),
        _card_dialog(),
    )
