"""Asking for a refund from an order page.

``RefundFormMixin`` and ``refund_form_dialog`` are the request form (the whole order, some
items, or for billing admins an amount, and a reason) shared with the admin order page;
``RefundRequestState`` and ``refund_card`` are the learner's "Refunds" card on the receipt.
"""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.vars import ObjectVar

from commerce_dash import routes
from commerce_dash.components.badges import row_status_badge
from commerce_dash.db import session_scope
from commerce_dash.domain.actor import Actor
from commerce_dash.domain.dates import DAY, when
from commerce_dash.domain.errors import DomainError
from commerce_dash.domain.money import Money, format_minor, parse_major
from commerce_dash.domain.refunds import MAX_REASON, MIN_REASON, OPEN, RefundStatus, check_reason
from commerce_dash.services.commerce import orders as orders_service
from commerce_dash.services.commerce import refunds as refunds_service
from commerce_dash.settings import get_settings
from commerce_dash.state.auth import AuthState
from commerce_dash.state.route_args import route_number

STATUS_COLORS = {
    "requested": "amber",
    "approved": "blue",
    "processing": "blue",
    "refunded": "green",
    "rejected": "gray",
    "failed": "red",
}
# What a learner reads: a failed processor call is the billing team's to retry.
LEARNER_LABELS = {
    "requested": "Waiting for review",
    "approved": "Being paid",
    "processing": "Being paid",
    "failed": "Being paid",
    "refunded": "Refunded",
    "rejected": "Rejected",
}
WHOLE, ITEMS, AMOUNT = "whole", "items", "amount"


def money(amount: int, currency: str) -> str:
    return format_minor(amount, currency, get_settings().default_locale)


def major_text(amount: int, currency: str) -> str:
    """Minor units as the text an amount box holds, e.g. ``15000`` USD -> ``150.00``."""
    return str(Money(amount, currency).to_decimal())


def my_refund_row(row: refunds_service.RefundRow) -> dict[str, str]:
    return {
        "id": str(row.id),
        "date": when(row.created_at, DAY),
        "amount": row.amount_label,
        "items": row.items,
        "reason": row.reason,
        "decision_reason": row.decision_reason if row.status == RefundStatus.REJECTED else "",
        "status": row.status,
        "status_label": LEARNER_LABELS.get(row.status, row.status_label),
        "status_color": STATUS_COLORS.get(row.status, "gray"),
    }


def option_line(line: refunds_service.RefundableLine, currency: str) -> dict[str, str]:
    return {
        "id": str(line.id),
        "title": line.title,
        "left_minor": str(line.left),
        "left": money(line.left, currency),
        "paid": money(line.paid, currency),
        "open": "yes" if line.left > 0 else "",
    }


class RefundFormMixin(rx.State, mixin=True):
    """The request form; a page state fills it with ``_fill_options`` and implements
    ``submit_refund`` with ``_refund_args`` and ``_refund_refused``."""

    refund_number: rx.Field[str] = rx.field("")
    refund_currency: rx.Field[str] = rx.field("")
    refund_left: rx.Field[int] = rx.field(0)
    refund_left_label: rx.Field[str] = rx.field("")
    refund_lines: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    refund_can_request: rx.Field[bool] = rx.field(False)

    refund_open: rx.Field[bool] = rx.field(False)
    refund_mode: rx.Field[str] = rx.field(WHOLE)
    refund_picked: rx.Field[list[str]] = rx.field(default_factory=list)
    refund_amount: rx.Field[str] = rx.field("")
    refund_reason: rx.Field[str] = rx.field("")
    refund_reason_error: rx.Field[str] = rx.field("")
    refund_amount_error: rx.Field[str] = rx.field("")
    refund_lines_error: rx.Field[str] = rx.field("")

    @rx.var
    def refund_reason_length(self) -> int:
        return len(" ".join(self.refund_reason.split()))

    @rx.var
    def refund_asked_label(self) -> str:
        """What the form would ask for, as the learner reads it ("" while unknown)."""
        if not self.refund_currency:
            return ""
        if self.refund_mode == ITEMS:
            picked = sum(
                int(line["left_minor"])
                for line in self.refund_lines
                if line["id"] in self.refund_picked
            )
            return money(picked, self.refund_currency) if picked else ""
        if self.refund_mode == AMOUNT:
            try:
                return money(
                    parse_major(self.refund_amount, self.refund_currency), self.refund_currency
                )
            except ValueError:
                return ""
        return self.refund_left_label

    def _fill_options(
        self,
        detail: orders_service.OrderDetail,
        left: int,
        lines: list[refunds_service.RefundableLine],
    ) -> None:
        self.refund_number, self.refund_currency = detail.number, detail.currency
        self.refund_left, self.refund_left_label = left, money(left, detail.currency)
        self.refund_lines = [option_line(line, detail.currency) for line in lines]
        self.refund_can_request = left > 0 and detail.status in refunds_service.REFUNDABLE_ORDERS

    def _clear_refund_errors(self) -> None:
        self.refund_reason_error = self.refund_amount_error = self.refund_lines_error = ""

    @rx.event
    def open_refund(self):  # type: ignore[no-untyped-def]
        if not self.refund_can_request:
            return rx.toast.info("Nothing is left to refund on this order.")
        self.refund_mode, self.refund_picked = WHOLE, []
        self.refund_amount = major_text(self.refund_left, self.refund_currency)
        self.refund_reason = ""
        self._clear_refund_errors()
        self.refund_open = True
        return None

    @rx.event
    def set_refund_open(self, value: bool) -> None:
        self.refund_open = value

    @rx.event
    def set_refund_mode(self, value: str) -> None:
        self.refund_mode = value
        self.refund_amount_error = self.refund_lines_error = ""

    @rx.event
    def toggle_refund_line(self, line_id: str) -> None:
        if line_id in self.refund_picked:
            self.refund_picked = [i for i in self.refund_picked if i != line_id]
        else:
            self.refund_picked = [*self.refund_picked, line_id]
        self.refund_lines_error = ""

    @rx.event
    def set_refund_amount(self, value: str) -> None:
        self.refund_amount, self.refund_amount_error = value, ""

    @rx.event
    def set_refund_reason(self, value: str) -> None:
        self.refund_reason = value
        if self.refund_reason_error and len(" ".join(value.split())) >= MIN_REASON:
            self.refund_reason_error = ""

    def _refund_args(self) -> dict[str, Any] | None:
        """The form as ``request_refund`` arguments, or None with errors beside the fields."""
        self._clear_refund_errors()
        reason, amount, lines = "", None, []
        try:
            reason = check_reason(self.refund_reason)
        except DomainError as exc:
            self.refund_reason_error = exc.message
        if self.refund_mode == ITEMS:
            lines = [
                refunds_service.LineRefund(int(line["id"]), int(line["left_minor"]))
                for line in self.refund_lines
                if line["id"] in self.refund_picked and line["open"]
            ]
            if not lines:
                self.refund_lines_error = "Tick the items to refund."
        elif self.refund_mode == AMOUNT:
            try:
                amount = parse_major(self.refund_amount, self.refund_currency)
            except (ValueError, DomainError) as exc:
                self.refund_amount_error = str(exc)
            else:
                if amount <= 0:
                    self.refund_amount_error = "Enter an amount above zero."
                elif amount > self.refund_left:
                    self.refund_amount_error = f"At most {self.refund_left_label}."
        if self.refund_reason_error or self.refund_amount_error or self.refund_lines_error:
            return None
        return {"reason": reason, "amount": amount, "lines": lines}

    def _refund_refused(self, exc: DomainError):  # type: ignore[no-untyped-def]
        """A field error goes beside its field; anything else closes the form with a toast."""
        if exc.field == "reason":
            self.refund_reason_error = exc.message
        elif exc.field == "amount" and self.refund_mode == AMOUNT:
            self.refund_amount_error = exc.message
        elif exc.field in ("amount", "lines") and self.refund_mode == ITEMS:
            self.refund_lines_error = exc.message
        else:
            self.refund_open = False
            return rx.toast.error(exc.message)
        return None


class RefundRequestState(RefundFormMixin, AuthState):
    """The learner's refunds of the order on screen; ``OrderDetailState.load`` chains ``load``."""

    my_refunds: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    refunds_loaded: rx.Field[bool] = rx.field(False)
    refund_waiting: rx.Field[bool] = rx.field(False)  # a request is open: one at a time

    def _fetch_refunds(self, actor: Actor, number: str) -> None:
        with session_scope() as session:
            detail = orders_service.order_detail(
                session=session, number=number, user_id=actor.user_id
            )
            rows = refunds_service.for_order(session=session, actor=actor, number=detail.number)
            left, lines = refunds_service.refund_options(
                session=session, actor=actor, number=detail.number
            )
        self.my_refunds = [my_refund_row(r) for r in reversed(rows)]  # newest first
        self.refund_waiting = any(r.status in OPEN for r in rows)
        self._fill_options(detail, left, lines)
        self.refund_can_request = self.refund_can_request and not self.refund_waiting
        self.refunds_loaded = True

    @rx.event
    def load(self):  # type: ignore[no-untyped-def]
        # imported here: order_detail includes this module's card
        number = route_number(self, routes.ORDERS)
        if number.upper() != self.refund_number.upper():
            self.refunds_loaded, self.my_refunds = False, []
            yield  # never show another order's refunds under this address
        actor = self.current_actor()
        if actor is None or not number:
            self.refunds_loaded = False
            return
        try:
            self._fetch_refunds(actor, number)
        except DomainError:
            self.refunds_loaded = False  # the receipt already says the order was not found

    @rx.event
    def submit_refund(self):  # type: ignore[no-untyped-def]
        actor = self.current_actor()
        if actor is None:
            return rx.toast.error("Your session ended: sign in again to request a refund.")
        args = self._refund_args()
        if args is None:
            return None
        try:
            with session_scope() as session:
                refunds_service.request_refund(
                    session=session, actor=actor, number=self.refund_number, **args
                )
        except DomainError as exc:
            return self._refund_refused(exc)
        self.refund_open = False
        try:
            self._fetch_refunds(actor, self.refund_number)
        except DomainError as exc:
            return rx.toast.error(exc.message)
        return rx.toast.success("Refund requested: a billing administrator will review it.")


# -- components -------------------------------------------------------------------------------


def _field_error(value: Any, id_: str) -> rx.Component:
    return rx.cond(value != "", rx.text(value, color_scheme="red", size="2", id=id_), rx.fragment())


def _line_choice(state: type[RefundFormMixin], line: ObjectVar[dict[str, str]]) -> rx.Component:
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


def _mode_choice(state: type[RefundFormMixin], *, admin: bool) -> rx.Component:
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


def refund_form_dialog(state: type[RefundFormMixin], *, admin: bool = False) -> rx.Component:
    """The request form; ``admin`` adds the "An amount" choice and says who is told."""
    told = (
        "The learner is emailed. The request waits in Refunds until a billing administrator "
        "approves it."
        if admin
        else "A billing administrator reviews your request; you are emailed the decision."
    )
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Refund " if admin else "Request a refund of ", state.refund_number),
            rx.dialog.description(
                "Up to ", state.refund_left_label, " can be refunded. ", told, size="2"
            ),
            rx.vstack(
                _mode_choice(state, admin=admin),
                rx.match(
                    state.refund_mode,
                    (
                        ITEMS,
                        rx.vstack(
                            rx.foreach(state.refund_lines, lambda ln: _line_choice(state, ln)),
                            _field_error(state.refund_lines_error, "refund-lines-error"),
                            spacing="2",
                            width="100%",
                            id="refund-lines",
                        ),
                    ),
                    (
                        AMOUNT,
                        rx.vstack(
                            rx.hstack(
                                rx.input(
                                    value=state.refund_amount,
                                    on_change=state.set_refund_amount,
                                    input_mode="decimal",
                                    aria_label="Amount to refund",
                                    width="10em",
                                    id="refund-amount",
                                ),
                                rx.text(state.refund_currency, size="2", color_scheme="gray"),
                                align="center",
                                spacing="2",
                            ),
                            _field_error(state.refund_amount_error, "refund-amount-error"),
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
                    rx.hstack(
                        _field_error(state.refund_reason_error, "refund-reason-field-error"),
                        rx.spacer(),
                        rx.text(
                            state.refund_reason_length.to_string(),
                            f" / {MAX_REASON} (at least {MIN_REASON})",
                            size="1",
                            color_scheme=rx.cond(  # type: ignore[arg-type]
                                state.refund_reason_length < MIN_REASON, "gray", "green"
                            ),
                            id="refund-reason-count",
                        ),
                        width="100%",
                    ),
                    spacing="1",
                    width="100%",
                ),
                rx.cond(
                    state.refund_asked_label != "",
                    rx.text(
                        "Refund asked: ",
                        state.refund_asked_label,
                        size="2",
                        weight="medium",
                        id="refund-asked",
                    ),
                    rx.fragment(),
                ),
                rx.hstack(
                    rx.dialog.close(rx.button("Cancel", variant="soft", color_scheme="gray")),
                    rx.button(
                        "Create refund request" if admin else "Request refund",
                        on_click=state.submit_refund,  # type: ignore[attr-defined]
                        id="refund-submit",
                    ),
                    justify="end",
                    spacing="3",
                    width="100%",
                    wrap="wrap",
                ),
                spacing="3",
                padding_top="1em",
                width="100%",
            ),
            max_width="560px",
        ),
        open=state.refund_open,
        on_open_change=state.set_refund_open,
    )


def _my_refund(row: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.box(
        rx.hstack(
            rx.vstack(
                rx.text(row["amount"], weight="medium"),
                rx.text(row["items"], size="1", color_scheme="gray"),
                rx.text(
                    "Asked on ", row["date"], ": ", row["reason"], size="1", color_scheme="gray"
                ),
                spacing="1",
                align="start",
                min_width="0",
            ),
            rx.spacer(),
            row_status_badge(row, "refund-status"),
            align="start",
            width="100%",
        ),
        rx.cond(
            row["decision_reason"] != "",
            rx.callout(
                row["decision_reason"],
                icon="info",
                color_scheme="gray",
                size="1",
                margin_top="0.5em",
                class_name="refund-decision",
            ),
            rx.fragment(),
        ),
        padding_y="0.75em",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
        width="100%",
        class_name="my-refund",
        data_status=row["status"],
    )


def refund_card() -> rx.Component:
    """The receipt's "Refunds" card: the requests, and the button to ask for one."""
    s = RefundRequestState
    return rx.fragment(_card(), refund_form_dialog(s))


def _card() -> rx.Component:
    s = RefundRequestState
    return rx.cond(
        s.refunds_loaded & ((s.my_refunds.length() > 0) | s.refund_can_request),
        rx.card(
            rx.vstack(
                rx.hstack(
                    rx.heading("Refunds", size="4"),
                    rx.spacer(),
                    rx.cond(
                        s.refund_can_request,
                        rx.button(
                            rx.icon("undo-2", size=16),
                            "Request a refund",
                            variant="soft",
                            on_click=s.open_refund,
                            id="request-refund",
                        ),
                        rx.fragment(),
                    ),
                    align="center",
                    width="100%",
                    wrap="wrap",
                ),
                rx.cond(
                    s.my_refunds.length() > 0,
                    rx.vstack(rx.foreach(s.my_refunds, _my_refund), spacing="0", width="100%"),
                    rx.text(
                        "No refund asked for yet. If the order was not what you expected, "
                        "request a refund: a billing administrator reviews it and you are "
                        "emailed the decision.",
                        size="2",
                        color_scheme="gray",
                    ),
                ),
                rx.cond(
                    s.refund_waiting,
                    rx.text(
                        "Your request is waiting for a decision; you can ask again once it "
                        "is decided.",
                        size="2",
                        color_scheme="gray",
                        id="refund-waiting",
                    ),
                    rx.fragment(),
                ),
                width="100%",
            ),
            width="100%",
            id="refunds-card",
        ),
        rx.fragment(),
    )
