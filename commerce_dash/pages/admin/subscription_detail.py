"""One subscription for an admin over it (/admin/subscriptions/[number]): the summary, its
invoices (each paid one links to its order, whose page has the refund form), the timeline of
what happened to it, and the actions, each behind a dialog saying what it does."""

from __future__ import annotations

import reflex as rx
from reflex.vars import ObjectVar

from commerce_dash import routes
from commerce_dash.components.admin_forms import back_and_reload
from commerce_dash.components.badges import field_badge
from commerce_dash.components.cells import RULED_ENTRY, only_if, text_if
from commerce_dash.components.dialogs import confirm_dialog
from commerce_dash.components.forms import error_text
from commerce_dash.components.shell import admin_shell
from commerce_dash.components.store_panels import card_column, card_title
from commerce_dash.components.tables import empty_state, skeleton_rows, table_box
from commerce_dash.pages.admin.subscription_detail_state import ACTIONS, SubscriptionDetailState
from commerce_dash.pages.admin.subscriptions_state import SECTION

# action -> (button label, icon, colour)
BUTTONS = {
    "cancel_at_period_end": ("Cancel at period end", "calendar-x", "red"),
    "cancel_now": ("Cancel now", "circle-x", "red"),
    "undo_cancel": ("Keep subscription", "undo-2", "green"),
    "pause": ("Pause", "pause", "amber"),
    "resume": ("Resume", "play", "green"),
    "extend_trial": ("Extend trial", "calendar-plus", "blue"),
}


def _summary_item(item: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.box(
        rx.text(item["label"], size="1", color_scheme="gray", as_="div"),
        rx.text(item["value"], size="2", weight="medium", as_="div"),
        class_name="subscription-summary-item",
        data_label=item["label"],
        min_width="0",
    )


def _summary_card() -> rx.Component:
    s = SubscriptionDetailState
    return card_column(
        rx.hstack(
            rx.heading(s.sub_number, size="5"),
            field_badge(s.status, "status"),  # type: ignore[arg-type]
            align="center",
            spacing="3",
            wrap="wrap",
        ),
        rx.grid(
            rx.foreach(s.summary, _summary_item),
            columns=rx.breakpoints(initial="1", sm="2", md="3"),  # type: ignore[arg-type]
            gap="1em",
            width="100%",
        ),
        id="subscription-summary",
    )


def _action_button(action: str) -> rx.Component:
    label, icon, color = BUTTONS[action]
    return only_if(
        SubscriptionDetailState.actions.contains(action),
        rx.button(
            rx.icon(icon, size=16),
            label,
            variant="soft",
            color_scheme=color,  # type: ignore[arg-type]
            on_click=SubscriptionDetailState.open_action(action),  # type: ignore[operator]
            id=f"action-{action.replace('_', '-')}",
        ),
    )


def _actions_card() -> rx.Component:
    s = SubscriptionDetailState
    return card_column(
        card_title("Actions"),
        rx.cond(
            s.actions.length() > 0,
            rx.flex(*[_action_button(a) for a in ACTIONS], gap="0.5em", wrap="wrap"),
            rx.text("Nothing to change: this subscription is cancelled.", size="2",
                    color_scheme="gray"),
        ),
        rx.text("Every action is recorded in the audit log and in the timeline below.",
                size="1", color_scheme="gray"),
        id="subscription-actions",
    )


def _invoice(row: ObjectVar[dict[str, str]]) -> rx.Component:
    receipt = rx.cond(
        row["receipt_href"] != "",
        rx.vstack(
            rx.link(row["order_number"], href=row["receipt_href"], size="2"),
            rx.link(
                rx.button(row["receipt_label"], size="1", variant="soft"),
                href=row["receipt_href"],
                aria_label=row["receipt_label"] + " · order " + row["order_number"],
            ),
            spacing="1",
            align="start",
        ),
        rx.text("—", size="2", color_scheme="gray"),
    )
    return rx.table.row(
        rx.table.cell(
            rx.vstack(
                rx.text(row["period"], size="2", white_space="nowrap"),
                rx.text(row["reason"], size="1", color_scheme="gray"),
                spacing="0",
            )
        ),
        rx.table.cell(rx.text(row["amount"], size="2", weight="medium")),
        rx.table.cell(
            rx.vstack(
                field_badge(row, "status"),
                text_if(row["paid_at"], size="1", color_scheme="gray"),
                spacing="1",
                align="start",
            )
        ),
        rx.table.cell(text_if(row["failure"], size="2", color_scheme="red", max_width="18em")),
        rx.table.cell(receipt),
        class_name="subscription-invoice",
        data_status=row["status"],
    )


def _invoices_card() -> rx.Component:
    s = SubscriptionDetailState
    return card_column(
        card_title("Invoices"),
        rx.cond(
            s.invoices.length() > 0,
            table_box(("Period", "Amount", "Status", "Failure", "Receipt"), s.invoices,
                      _invoice),
            empty_state("receipt", "No invoices yet",
                        "An invoice appears when the first period is charged (after any trial)."),
        ),
        id="subscription-invoices",
    )


def _entry(entry: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.text(entry["label"], weight="bold", size="2"),
            rx.code(entry["action"], size="1", color_scheme="gray"),
            rx.spacer(),
            rx.text(entry["at"], size="1", color_scheme="gray", white_space="nowrap"),
            align="center",
            wrap="wrap",
            width="100%",
            spacing="2",
        ),
        rx.text("by ", entry["actor"], size="1", color_scheme="gray"),
        text_if(entry["detail"], size="2"),
        spacing="1",
        **RULED_ENTRY,
        class_name="subscription-event",
        data_action=entry["action"],
    )


def _timeline_card() -> rx.Component:
    s = SubscriptionDetailState
    return card_column(
        card_title("Timeline"),
        rx.cond(
            s.timeline.length() > 0,
            rx.vstack(rx.foreach(s.timeline, _entry), spacing="0", width="100%"),
            empty_state("history", "Nothing recorded yet",
                        "Changes to this subscription appear here, newest first."),
        ),
        id="subscription-timeline",
    )


def _action_dialog() -> rx.Component:
    s = SubscriptionDetailState
    refund = rx.vstack(
        rx.text(
            rx.flex(
                rx.checkbox(checked=s.refund_unused, on_change=s.set_refund_unused,
                            id="refund-unused"),
                "Refund the unused part",
                gap="2",
                align="center",
            ),
            as_="label",
            size="2",
        ),
        rx.text("A refund request for the rest of the paid period then waits in Refunds.",
                size="1", color_scheme="gray"),
        spacing="1",
    )
    days = rx.vstack(
        rx.text("Days to add (1 to 90)", as_="label", custom_attrs={"htmlFor": "trial-days"}, size="2",
                weight="medium"),
        rx.input(
            id="trial-days",
            name="trial_days",
            type="number",
            min=1,
            max=90,
            value=s.trial_days,
            on_change=s.set_trial_days,
            width="8em",
        ),
        error_text(s.days_error, "trial-days-error"),
        spacing="1",
        align="start",
    )
    return confirm_dialog(
        s.action_title,
        s.action_text,
        rx.text("Subscription ", s.sub_number, " of ", s.learner_email, size="2"),
        only_if(s.action == "cancel_now", refund),
        only_if(s.action == "extend_trial", days),
        confirm=s.action_confirm,
        on_confirm=s.confirm_action,
        open=s.action_open,
        on_open_change=s.set_action_open,
        color="",  # the dialog names the action; its button keeps the accent colour
        confirm_id="confirm-subscription-action",
        loading=s.busy,
        max_width="480px",
    )


def subscription_detail_admin_page() -> rx.Component:
    s = SubscriptionDetailState
    back = back_and_reload("All subscriptions", routes.ADMIN_SUBSCRIPTIONS, s.refresh)
    missing = rx.card(
        rx.vstack(
            empty_state("search-x", "Subscription not found",
                        "Check the subscription number and try again."),
            rx.text(s.missing_message, size="2", color_scheme="gray"),
            rx.link("Back to all subscriptions", href=routes.ADMIN_SUBSCRIPTIONS),
            align="center",
            width="100%",
        ),
        width="100%",
        id="subscription-not-found",
    )
    return admin_shell(
        SECTION,
        "Subscription",
        rx.match(
            s.found,
            (
                "found",
                rx.vstack(
                    back,
                    _summary_card(),
                    _actions_card(),
                    _invoices_card(),
                    _timeline_card(),
                    spacing="4",
                    width="100%",
                ),
            ),
            ("missing", missing),
            skeleton_rows(),
        ),
        _action_dialog(),
    )
