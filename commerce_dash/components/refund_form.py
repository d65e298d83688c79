"""The refund request form in a dialog (the whole order, some items, or for billing admins an
amount, and a reason); its state mixes in ``RefundFormMixin`` (learner receipt and admin order
page)."""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.vars import ObjectVar

from commerce_dash.components.cells import text_if
from commerce_dash.components.dialogs import dialog, dialog_buttons
from commerce_dash.components.forms import error_text, reason_footer
from commerce_dash.domain.refunds import MAX_REASON, MIN_REASON

# what the request covers
WHOLE, ITEMS, AMOUNT = "whole", "items", "amount"


def amount_input(value: Any, on_change: Any, currency: Any, id: str, *after: rx.Component,
                 on_blur: Any = None, **props: Any) -> rx.Component:
    """The amount to refund, in the order's currency (a decimal keyboard on phones), with
    ``after`` beside it (e.g. the most that may be refunded); ``on_blur`` when it is left."""
    return rx.hstack(
        rx.input(
            value=value,
            on_change=on_change,
            **({"on_blur": on_blur} if on_blur is not None else {}),
            input_mode="decimal",
            aria_label="Amount to refund",
            width="10em",
            id=id,
        ),
        rx.text(currency, size="2", color_scheme="gray"),
        *after,
        align="center",
        spacing="2",
        **props,
    )


def _line_choice(state: Any, line: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.hstack(
        rx.checkbox(
            checked=state.refund_picked.contains(line["id"]),
            on_change=state.toggle_refund_line(line["id"]),  # type: ignore[operator]
            disabled=line["open"] == "",
            aria_label="Refund " + line["title"].to(str),
            class_name="refund-line",
            data_line=line["id"],
        ),
        rx.vstack(
            rx.text(line["title"], size="2", weight="medium"),
            rx.cond(
                line["open"] != "",
                rx.text(line["left"], " left of ", line["paid"], size="1", color_scheme="gray"),
                rx.text("Already refunded", size="1", color_scheme="gray"),
            ),
            spacing="0",
        ),
        align="start",
        spacing="2",
        width="100%",
    )


def _mode_choice(state: Any, *, admin: bool) -> rx.Component:
    options = [(WHOLE, "Whole order")]
    if admin:
        options.append((AMOUNT, "An amount"))
    options.append((ITEMS, "Some items"))
    return rx.radio_group.root(
        rx.flex(
            *[
                rx.radio_group.item(label, value=value, id=f"refund-mode-{value}")
                for value, label in options
            ],
            gap="1em",
            wrap="wrap",
        ),
        value=state.refund_mode,
        on_change=state.set_refund_mode,
        id="refund-mode",
    )


def refund_form_dialog(state: Any, *, admin: bool = False) -> rx.Component:
    """The request form; ``admin`` adds the "An amount" choice and says who is told."""
    told = (
        "The learner is emailed. The request waits in Refunds until a billing administrator "
        "approves it."
        if admin
        else "A billing administrator reviews your request; you are emailed the decision."
    )
    return dialog(
        ("Refund " if admin else "Request a refund of ", state.refund_number),
        ("Up to ", state.refund_left_label, " can be refunded. ", told),
        rx.vstack(
            _mode_choice(state, admin=admin),
            rx.match(
                state.refund_mode,
                (
                    ITEMS,
                    rx.vstack(
                        rx.foreach(state.refund_lines, lambda ln: _line_choice(state, ln)),
                        error_text(state.refund_lines_error, "refund-lines-error"),
                        spacing="2",
                        width="100%",
                        id="refund-lines",
                    ),
                ),
                (
                    AMOUNT,
                    rx.vstack(
                        amount_input(state.refund_amount, state.set_refund_amount,
                                     state.refund_currency, "refund-amount"),
                        error_text(state.refund_amount_error, "refund-amount-error"),
                        spacing="1",
                        width="100%",
                    ),
                ),
                rx.text("Everything still paid for: ", state.refund_left_label, ".", size="2"),
            ),
            rx.vstack(
                rx.text("Reason", size="2", weight="medium"),
                rx.text_area(
                    placeholder=(
                        "Why the order is refunded (the learner reads this)"
                        if admin
                        else "Tell us what went wrong"
                    ),
                    value=state.refund_reason,
                    on_change=state.set_refund_reason,
                    rows="4",
                    max_length=MAX_REASON,
                    width="100%",
                    id="refund-reason",
                ),
                reason_footer(
                    state.refund_reason_error,
                    "refund-reason-field-error",
                    state.refund_reason_length,
                    MIN_REASON,
                    f" / {MAX_REASON} (at least {MIN_REASON})",
                    id="refund-reason-count",
                ),
                spacing="1",
                width="100%",
            ),
            text_if(state.refund_asked_label, "Refund asked: ", state.refund_asked_label, size="2",
                    weight="medium", id="refund-asked"),
            dialog_buttons(
                rx.button(
                    "Create refund request" if admin else "Request refund",
                    on_click=state.submit_refund,  # type: ignore[attr-defined]
                    id="refund-submit",
                ),
                wrap="wrap",
            ),
            spacing="3",
            padding_top="1em",
            width="100%",
        ),
        max_width="560px",
        open=state.refund_open,
        on_open_change=state.set_refund_open,
    )
