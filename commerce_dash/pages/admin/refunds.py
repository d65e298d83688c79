"""The refund queue (billing admins, super-admins): requests oldest first, filters, approve
one (the amount may be lowered) or reject it with a reason, retry a failed payment, or approve
or reject a selection at once. Approving pays the refund at the processor there and then."""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.vars import ObjectVar

from commerce_dash.components.badges import row_status_badge
from commerce_dash.components.bulk import bulk_bar, bulk_results
from commerce_dash.components.shell import admin_shell
from commerce_dash.components.tables import empty_state, pager
from commerce_dash.domain.refunds import MAX_REASON, MIN_REASON
from commerce_dash.pages.admin.refunds_state import (
    EMPTY,
    NO_MATCH,
    SECTION,
    SOURCE_OPTIONS,
    STATUS_OPTIONS,
    RefundsState,
)

# -- components -------------------------------------------------------------------------------

S = RefundsState


def _select(value: Any, on_change: Any, options: list[tuple[str, str]], label: str) -> rx.Component:
    return rx.select.root(
        rx.select.trigger(aria_label=label),
        rx.select.content(*[rx.select.item(text, value=v) for v, text in options]),
        value=value,
        on_change=on_change,
    )


def _counts() -> rx.Component:
    return rx.cond(
        S.counts.length() > 0,
        rx.hstack(
            rx.foreach(
                S.counts,
                lambda c: rx.badge(
                    c["label"],
                    color_scheme=c["color"].to(str),  # type: ignore[arg-type]
                    variant="surface",
                    size="2",
                    cursor="pointer",
                    on_click=S.set_status_filter(c["status"]),  # type: ignore[operator]
                    class_name="refund-count",
                    data_status=c["status"],
                ),
            ),
            spacing="2",
            wrap="wrap",
            id="refund-counts",
        ),
        rx.fragment(),
    )


def _filters() -> rx.Component:
    return rx.hstack(
        rx.input(
            placeholder="Learner email or name",
            value=S.search,
            on_change=S.set_search.debounce(300),  # type: ignore[attr-defined]
            width=["100%", "240px"],
            id="learner-search",
        ),
        _select(S.status_filter, S.set_status_filter, STATUS_OPTIONS, "Status"),
        _select(S.source_filter, S.set_source_filter, SOURCE_OPTIONS, "Source"),
        rx.hstack(
            rx.text("Requested from", size="2"),
            rx.input(type="date", value=S.date_from, on_change=S.set_date_from, id="date-from"),
            rx.text("to", size="2"),
            rx.input(type="date", value=S.date_to, on_change=S.set_date_to, id="date-to"),
            align="center",
            wrap="wrap",
        ),
        rx.button("Clear filters", variant="ghost", size="2", on_click=S.reset_filters),
        rx.spacer(),
        rx.button(rx.icon("rotate-cw", size=16), "Refresh", variant="soft", on_click=S.refresh),
        wrap="wrap",
        spacing="3",
        width="100%",
        align="center",
    )


def _bulk_bar() -> rx.Component:
    return bulk_bar(
        S.selected_count,
        rx.button(
            rx.icon("check", size=14),
            "Approve in full",
            size="2",
            color_scheme="green",
            loading=S.busy,
            on_click=S.bulk_approve,
            id="bulk-approve",
        ),
        rx.button(
            rx.icon("x", size=14),
            "Reject…",
            size="2",
            color_scheme="red",
            variant="soft",
            on_click=S.open_bulk_reject,
            id="bulk-reject",
        ),
        on_clear=S.clear_selection,
    )


def _bulk_results() -> rx.Component:
    return bulk_results(S.bulk_results, S.bulk_summary, S.bulk_failed, S.dismiss_results,
                        item_header="Order", failed_label="Not done")


def _error(value: Any, id_: str) -> rx.Component:
    return rx.cond(value != "", rx.text(value, color_scheme="red", size="2", id=id_), rx.fragment())


def _approve_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Approve the refund of ", S.approve_label),
            rx.dialog.description(
                "The refund is paid to ",
                S.approve_learner,
                " at the payment processor as soon as you approve; you may pay less than asked.",
                size="2",
            ),
            rx.vstack(
                rx.text("Amount", size="2", weight="medium"),
                rx.hstack(
                    rx.input(
                        value=S.approve_amount,
                        on_change=S.set_approve_amount,
                        input_mode="decimal",
                        aria_label="Amount to refund",
                        width="10em",
                        id="approve-amount",
                    ),
                    rx.text(S.approve_currency, size="2", color_scheme="gray"),
                    rx.text(
                        "at most ",
                        S.approve_max_label,
                        size="2",
                        color_scheme="gray",
                        id="approve-max",
                    ),
                    align="center",
                    spacing="2",
                    wrap="wrap",
                ),
                _error(S.approve_error, "approve-amount-error"),
                rx.text("Note (optional)", size="2", weight="medium"),
                rx.text_area(
                    placeholder="E.g. why less than asked (kept with the request, not emailed)",
                    value=S.approve_note,
                    on_change=S.set_approve_note,
                    rows="3",
                    max_length=MAX_REASON,
                    width="100%",
                    id="approve-note",
                ),
                rx.hstack(
                    rx.dialog.close(rx.button("Cancel", variant="soft", color_scheme="gray")),
                    rx.button(
                        "Approve and pay",
                        color_scheme="green",
                        loading=S.busy,
                        on_click=S.confirm_approve,
                        id="approve-submit",
                    ),
                    justify="end",
                    spacing="3",
                    width="100%",
                ),
                spacing="2",
                padding_top="1em",
                width="100%",
            ),
            max_width="520px",
        ),
        open=S.approve_open,
        on_open_change=S.set_approve_open,
    )


def _reject_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Reject the refund of ", S.reject_label),
            rx.dialog.description(
                "The learner is emailed this reason and sees it on their order page; "
                f"write at least {MIN_REASON} characters.",
                size="2",
            ),
            rx.vstack(
                rx.text_area(
                    placeholder="Why the refund is rejected",
                    value=S.reject_reason,
                    on_change=S.set_reject_reason,
                    rows="4",
                    max_length=MAX_REASON,
                    width="100%",
                    id="refund-reject-reason",
                    auto_focus=True,
                ),
                rx.hstack(
                    _error(S.reject_error, "refund-reason-error"),
                    rx.spacer(),
                    rx.text(
                        S.reject_length.to_string(),
                        f" / {MAX_REASON}",
                        size="1",
                        color_scheme=rx.cond(  # type: ignore[arg-type]
                            S.reject_length < MIN_REASON, "gray", "green"
                        ),
                    ),
                    width="100%",
                ),
                rx.hstack(
                    rx.dialog.close(rx.button("Cancel", variant="soft", color_scheme="gray")),
                    rx.button(
                        "Reject",
                        color_scheme="red",
                        on_click=S.confirm_reject,
                        id="refund-reject-submit",
                    ),
                    justify="end",
                    spacing="3",
                    width="100%",
                ),
                spacing="3",
                padding_top="1em",
            ),
            max_width="520px",
        ),
        open=S.reject_open,
        on_open_change=S.set_reject_open,
    )


def source_badge(row: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.badge(
        row["source_label"],
        color_scheme=row["source_color"].to(str),  # type: ignore[arg-type]
        variant="outline",
        class_name="source-badge",
        data_source=row["source"],
    )


def _small(value: Any, **props: Any) -> rx.Component:
    return rx.cond(value != "", rx.text(value, size="1", **props), rx.fragment())


def decision_lines(row: ObjectVar[dict[str, str]]) -> rx.Component:
    """Status badge, who decided and why, and a failed payment's error."""
    return rx.vstack(
        row_status_badge(row, "refund-status"),
        _small(row["decided_by"], color_scheme="gray"),
        _small(row["decision_reason"], color_scheme="gray", max_width="18em"),
        _small(row["last_error"], color_scheme="red", max_width="18em", class_name="refund-error"),
        spacing="1",
        align="start",
    )


def amount_lines(row: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.vstack(
        rx.text(row["amount"], size="2", weight="medium", white_space="nowrap"),
        _small(
            rx.cond(row["asked"] != "", "of " + row["asked"] + " asked", ""),
            color_scheme="gray",
            white_space="nowrap",
        ),
        spacing="0",
    )


def _actions(row: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.cond(
        row["can_decide"] == "yes",
        rx.hstack(
            rx.button(
                rx.icon("check", size=14),
                "Approve…",
                size="1",
                color_scheme="green",
                variant="soft",
                on_click=S.open_approve(row["id"]),  # type: ignore[operator]
                class_name="approve-refund",
            ),
            rx.button(
                rx.icon("x", size=14),
                "Reject…",
                size="1",
                color_scheme="red",
                variant="soft",
                on_click=S.open_reject(row["id"], row["order_number"]),  # type: ignore[operator]
                class_name="reject-refund",
            ),
            spacing="2",
            wrap="wrap",
        ),
        rx.cond(
            row["can_retry"] == "yes",
            rx.button(
                rx.icon("rotate-cw", size=14),
                "Retry",
                size="1",
                variant="soft",
                loading=S.busy,
                on_click=S.retry(  # type: ignore[operator]
                    row["id"], row["order_number"], row["learner"]
                ),
                class_name="retry-refund",
            ),
            rx.fragment(),
        ),
    )


def _row(row: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.cond(
                row["can_decide"] == "yes",
                rx.checkbox(
                    checked=S.selected.contains(row["id"]),
                    on_change=S.toggle_selected(row["id"]),  # type: ignore[operator]
                    aria_label="Select " + row["order_number"].to(str),
                    class_name="select-refund",
                ),
                rx.fragment(),
            )
        ),
        rx.table.cell(
            rx.vstack(
                rx.link(
                    row["order_number"],
                    href=row["order_href"],
                    size="2",
                    weight="medium",
                    white_space="nowrap",
                ),
                rx.text(row["created"], size="1", color_scheme="gray", white_space="nowrap"),
                source_badge(row),
                spacing="1",
            )
        ),
        rx.table.cell(
            rx.vstack(
                rx.text(row["learner"], size="2"),
                rx.text(row["email"], size="1", color_scheme="gray"),
                rx.text(
                    "Progress: ",
                    row["progress"],
                    size="1",
                    color_scheme="gray",
                    class_name="refund-progress",
                ),
                spacing="0",
            )
        ),
        rx.table.cell(amount_lines(row)),
        rx.table.cell(
            rx.vstack(
                rx.text(row["items"], size="2"),
                rx.text(row["reason"], size="1", color_scheme="gray", max_width="22em"),
                spacing="1",
            )
        ),
        rx.table.cell(decision_lines(row)),
        rx.table.cell(_actions(row)),
        class_name="refund-row",
        data_order=row["order_number"],
        data_status=row["status"],
    )


def _table() -> rx.Component:
    headers = ["Order", "Learner", "Amount", "Items and reason", "Status", ""]
    return rx.card(
        rx.cond(
            S.rows.length() > 0,
            rx.box(
                rx.table.root(
                    rx.table.header(
                        rx.table.row(
                            rx.table.column_header_cell(
                                rx.checkbox(
                                    checked=S.all_on_page_selected,
                                    on_change=S.toggle_page,
                                    aria_label="Select every open request on this page",
                                    id="select-page",
                                ),
                                width="2.5em",
                            ),
                            *[rx.table.column_header_cell(h) for h in headers],
                        )
                    ),
                    rx.table.body(rx.foreach(S.rows, _row)),
                    width="100%",
                ),
                overflow_x="auto",
                width="100%",
            ),
            rx.cond(S.filtered, empty_state(*NO_MATCH), empty_state(*EMPTY)),
        ),
        pager(S.page, S.pages, S.total, S.prev_page, S.next_page),
        width="100%",
    )


def refunds_page() -> rx.Component:
    return admin_shell(
        SECTION,
        "Refunds",
        _counts(),
        _filters(),
        _bulk_results(),
        _bulk_bar(),
        _table(),
        _approve_dialog(),
        _reject_dialog(),
    )
