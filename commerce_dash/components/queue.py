"""A queue page: items waiting for a decision (registrations, refunds), with filters, ticking
rows for a bulk approve or reject, the results of the last bulk action and a paged table.

The state mixes in ``state.queue.QueueMixin`` and ``PagedTableMixin``; it has ``search``,
``date_from``/``date_to``, ``reset_filters``, ``refresh``, ``bulk_approve``,
``open_bulk_reject``, ``filtered`` and the paging fields.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from commerce_dash.components.bulk import bulk_bar, bulk_results
from commerce_dash.components.dialogs import reason_dialog
from commerce_dash.components.filters import date_range, filter_bar, search_box
from commerce_dash.components.shell import admin_shell
from commerce_dash.components.tables import paged_table


def queue_filters(state: Any, *filters: rx.Component, date_label: str) -> rx.Component:
    """Learner search, the page's own drop-downs and the date range of the queue."""
    return filter_bar(
        search_box(state.search, state.set_search, "Learner email or name", "learner-search"),
        *filters,
        date_range(date_label, state.date_from, state.set_date_from, state.date_to,
                   state.set_date_to),
        on_clear=state.reset_filters,
        on_refresh=state.refresh,
    )


def queue_bulk_bar(state: Any, approve_label: str, approve_loading: Any = False) -> rx.Component:
    """Approve or reject every ticked row."""
    return bulk_bar(
        state.selected_count,
        rx.button(rx.icon("check", size=14), approve_label, size="2", color_scheme="green",
                  loading=approve_loading, on_click=state.bulk_approve, id="bulk-approve"),
        rx.button(rx.icon("x", size=14), "Reject…", size="2", color_scheme="red",
                  variant="soft", on_click=state.open_bulk_reject, id="bulk-reject"),
        on_clear=state.clear_selection,
    )


def queue_table(state: Any, headers: list[str], row: Any, select_label: str,
                empty: tuple[str, str, str], no_match: tuple[str, str, str]) -> rx.Component:
    """The paged table, its first column ticks rows (the header ticks the whole page)."""
    select_page = rx.checkbox(checked=state.all_on_page_selected, on_change=state.toggle_page,
                              aria_label=select_label, id="select-page")
    return paged_table(state, headers, row, empty, no_match=no_match,
                       lead=(rx.table.column_header_cell(select_page, width="2.5em"),))


def queue_reject_dialog(state: Any, title: Any, hint: str, *, minimum: int, maximum: int,
                        placeholder: str, reason_id: str, error_id: str,
                        confirm_id: str) -> rx.Component:
    """The reason dialog of ``QueueMixin`` (one item or the selection), wired to its
    ``reject_*`` fields and ``confirm_reject``."""
    return reason_dialog(
        title,
        hint,
        value=state.reject_reason,
        on_change=state.set_reject_reason,
        length=state.reject_length,
        minimum=minimum,
        maximum=maximum,
        error=state.reject_error,
        error_id=error_id,
        reason_id=reason_id,
        placeholder=placeholder,
        confirm="Reject",
        on_confirm=state.confirm_reject,
        confirm_id=confirm_id,
        open=state.reject_open,
        on_open_change=state.set_reject_open,
    )


def select_row_box(state: Any, row: Any, label: Any, class_name: str) -> rx.Component:
    """The box ticking one row for a bulk action (``label`` names the row to screen readers)."""
    return rx.checkbox(
        checked=state.selected.contains(row["id"]),
        on_change=state.toggle_selected(row["id"]),
        aria_label="Select " + label.to(str),
        class_name=class_name,
    )


def decide_buttons(approve: tuple[str, Any, str], reject: tuple[str, Any, str],
                   **props: Any) -> rx.Component:
    """Approve and Reject buttons for one row, each given as (label, on_click, class)."""
    (approve_label, on_approve, approve_class), (reject_label, on_reject, reject_class) = (
        approve, reject)
    return rx.hstack(
        rx.button(rx.icon("check", size=14), approve_label, size="1", color_scheme="green",
                  variant="soft", on_click=on_approve, class_name=approve_class),
        rx.button(rx.icon("x", size=14), reject_label, size="1", color_scheme="red",
                  variant="soft", on_click=on_reject, class_name=reject_class),
        spacing="2",
        **props,
    )


def queue_page(
    state: Any,
    section: str,
    title: str,
    *,
    filters: tuple[rx.Component, ...],
    date_label: str,
    approve_label: str,
    headers: list[str],
    row: Any,
    select_label: str,
    empty: tuple[str, str, str],
    no_match: tuple[str, str, str],
    item_header: str,
    failed_label: str,
    dialogs: tuple[rx.Component, ...],
    approve_loading: Any = False,
    before: tuple[rx.Component, ...] = (),
    after: tuple[rx.Component, ...] = (),
) -> rx.Component:
    """The whole queue page inside the admin shell."""
    return admin_shell(
        section,
        title,
        *before,
        queue_filters(state, *filters, date_label=date_label),
        bulk_results(state.bulk_results, state.bulk_summary, state.bulk_failed,
                     state.dismiss_results, item_header=item_header, failed_label=failed_label),
        queue_bulk_bar(state, approve_label, approve_loading),
        queue_table(state, headers, row, select_label, empty, no_match),
        *after,
        *dialogs,
    )
