"""Subscriptions (billing admins: all; department admins: their departments): every
department subscription with filters, paged on the server; each number opens its page."""

from __future__ import annotations

import reflex as rx
from reflex.vars import ObjectVar

from commerce_dash.components.badges import field_badge
from commerce_dash.components.cells import text_if, two_lines
from commerce_dash.components.filters import filter_bar, search_box
from commerce_dash.components.forms import select
from commerce_dash.components.shell import admin_shell
from commerce_dash.components.tables import paged_table
from commerce_dash.pages.admin.subscriptions_state import (
    ANY,
    INTERVAL_OPTIONS,
    SECTION,
    STATUS_OPTIONS,
    SubscriptionsState,
)


def _filters() -> rx.Component:
    s = SubscriptionsState
    return filter_bar(
        search_box(s.search, s.set_search, "Learner email", "subscription-learner-search"),
        select(s.department_filter, s.set_department_filter, label="Department",
               first=(ANY, "All departments"), each=s.departments, id="subscription-department"),
        select(s.interval_filter, s.set_interval_filter, INTERVAL_OPTIONS, label="Plan interval",
               id="subscription-interval"),
        select(s.status_filter, s.set_status_filter, STATUS_OPTIONS, label="Status",
               id="subscription-status"),
        on_clear=s.reset_filters,
        on_refresh=s.refresh,
    )


def _row(row: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.link(rx.text(row["number"], weight="medium", white_space="nowrap"),
                              href=row["href"])),
        rx.table.cell(two_lines(row["learner_name"], row["learner_email"], size="2")),
        rx.table.cell(rx.text(row["department"], size="2")),
        rx.table.cell(rx.text(row["plan"], size="2")),
        rx.table.cell(
            rx.vstack(
                field_badge(row, "status"),
                text_if(row["ending"], size="1", color_scheme="gray"),
                spacing="1",
                align="start",
            )
        ),
        rx.table.cell(rx.text(row["next_charge"], size="2", white_space="nowrap")),
        rx.table.cell(rx.text(row["amount"], size="2", weight="medium")),
        rx.table.cell(rx.text(row["created"], size="1", white_space="nowrap")),
        class_name="admin-subscription-row",
        data_number=row["number"],
    )


def subscriptions_admin_page() -> rx.Component:
    return admin_shell(
        SECTION,
        "Subscriptions",
        _filters(),
        paged_table(
            SubscriptionsState,
            ["Subscription", "Learner", "Department", "Plan", "Status", "Next charge",
             "Amount", "Created"],
            _row,
            (
                "repeat",
                "No subscriptions yet",
                "Learners subscribe from a department's page once it has a plan (Pricing → "
                "New price → Subscription plan).",
            ),
            no_match=(
                "search-x",
                "No subscriptions match",
                "Widen the filters, or clear them to see every subscription you may see.",
            ),
        ),
    )
