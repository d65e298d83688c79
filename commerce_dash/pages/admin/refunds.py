"""The refund queue (billing admins, super-admins): requests oldest first, filters, approve
one (the amount may be lowered) or reject it with a reason, retry a failed payment, or approve
or reject a selection at once. Approving pays the refund at the processor there and then."""

from __future__ import annotations

import reflex as rx
from reflex.vars import ObjectVar

from commerce_dash.components.admin_forms import note, row_button
from commerce_dash.components.cells import only_if
from commerce_dash.components.dialogs import confirm_dialog
from commerce_dash.components.forms import error_text, select
from commerce_dash.components.queue import (
    decide_buttons,
    queue_page,
    queue_reject_dialog,
    select_row_box,
)
from commerce_dash.components.refund_form import amount_input
from commerce_dash.components.refund_rows import (
    amount_lines,
    decision_lines,
    refund_preview_box,
    source_badge,
)
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


def _counts() -> rx.Component:
    return only_if(
        S.counts.length() > 0,
        rx.hstack(
            rx.foreach(
                S.counts,
                lambda c: rx.badge(
                    c["label"],
                    color_scheme=c["color"].to(str),  # type: ignore[arg-type]
                    variant="surface",
                    high_contrast=True,
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
    )


def _approve_dialog() -> rx.Component:
    return confirm_dialog(
        ("Approve the refund of ", S.approve_label),
        ("The refund is paid to ", S.approve_learner,
         " at the payment processor as soon as you approve; you may pay less than asked. "
         "Below: everything approving this amount does."),
        rx.text("Amount", size="2", weight="medium"),
        amount_input(
            S.approve_amount, S.set_approve_amount, S.approve_currency, "approve-amount",
            rx.text("at most ", S.approve_max_label, size="2", color_scheme="gray",
                    id="approve-max"),
            on_blur=S.preview_amount,
            wrap="wrap",
        ),
        error_text(S.approve_error, "approve-amount-error"),
        refund_preview_box(S.approve_steps, S.approve_preview_note),
        rx.text("Note (optional)", as_="label", custom_attrs={"htmlFor": "approve-note"}, size="2",
                weight="medium"),
        rx.text_area(
            placeholder="E.g. why less than asked (kept with the request, not emailed)",
            value=S.approve_note,
            on_change=S.set_approve_note,
            rows="3",
            max_length=MAX_REASON,
            width="100%",
            id="approve-note",
        ),
        confirm="Approve and pay",
        on_confirm=S.confirm_approve,
        color="green",
        confirm_id="approve-submit",
        loading=S.busy,
        open=S.approve_open,
        on_open_change=S.set_approve_open,
        max_width="520px",
    )


def _reject_dialog() -> rx.Component:
    return queue_reject_dialog(
        S,
        ("Reject the refund of ", S.reject_label),
        "The learner is emailed this reason and sees it on their order page; "
        f"write at least {MIN_REASON} characters.",
        minimum=MIN_REASON,
        maximum=MAX_REASON,
        placeholder="Why the refund is rejected",
        reason_id="refund-reject-reason",
        error_id="refund-reason-error",
        confirm_id="refund-reject-submit",
    )


def _actions(row: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.cond(
        row["can_decide"] == "yes",
        decide_buttons(
            ("Approve…", S.open_approve(row["id"]), "approve-refund"),  # type: ignore[operator]
            ("Reject…", S.open_reject(row["id"], row["order_number"]),  # type: ignore[operator]
             "reject-refund"),
            wrap="wrap",
        ),
        only_if(
            row["can_retry"] == "yes",
            row_button(
                "Retry",
                S.retry(row["id"], row["order_number"], row["learner"]),  # type: ignore[operator]
                icon="rotate-cw",
                loading=S.busy,
                class_name="retry-refund",
            ),
        ),
    )


def _row(row: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            only_if(
                row["can_decide"] == "yes",
                select_row_box(S, row, row["order_number"], "select-refund"),
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
                note(row["email"]),
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


def refunds_page() -> rx.Component:
    return queue_page(
        S,
        SECTION,
        "Refunds",
        before=(_counts(),),
        filters=(
            select(S.status_filter, S.set_status_filter, STATUS_OPTIONS, label="Status"),
            select(S.source_filter, S.set_source_filter, SOURCE_OPTIONS, label="Source"),
        ),
        date_label="Requested from",
        approve_label="Approve in full",
        approve_loading=S.busy,
        headers=["Order", "Learner", "Amount", "Items and reason", "Status", ""],
        row=_row,
        select_label="Select every open request on this page",
        empty=EMPTY,
        no_match=NO_MATCH,
        item_header="Order",
        failed_label="Not done",
        dialogs=(_approve_dialog(), _reject_dialog()),
    )
