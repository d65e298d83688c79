"""The state of asking for a refund: ``RefundFormMixin`` is the request form (the whole order,
some items, or for billing admins an amount, and a reason) shared with the admin order page;
``RefundRequestState`` is the learner's "Refunds" card on the receipt."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import reflex as rx

from commerce_dash import routes
from commerce_dash.components.badges import status_color
from commerce_dash.components.display import major_text, money
from commerce_dash.components.refund_form import AMOUNT, ITEMS, WHOLE
from commerce_dash.db import session_scope
from commerce_dash.domain.actor import Actor
from commerce_dash.domain.dates import DAY, when
from commerce_dash.domain.errors import DomainError
from commerce_dash.domain.money import parse_major
from commerce_dash.domain.refunds import MIN_REASON, OPEN, RefundStatus, check_reason
from commerce_dash.services import commerce as commerce_area
from commerce_dash.state.auth import AuthState
from commerce_dash.state.route_args import route_number

# What a learner reads: a failed processor call is the billing team's to retry.
LEARNER_LABELS = {
    "requested": "Waiting for review",
    "approved": "Being paid",
    "processing": "Being paid",
    "failed": "Being paid",
    "refunded": "Refunded",
    "rejected": "Rejected",
}


def my_refund_row(row: commerce_area.RefundRow) -> dict[str, str]:
    return {
        "id": str(row.id),
        "date": when(row.created_at, DAY),
        "amount": row.amount_label,
        "items": row.items,
        "reason": row.reason,
        "decision_reason": row.decision_reason if row.status == RefundStatus.REJECTED else "",
        "status": row.status,
        "status_label": LEARNER_LABELS.get(row.status, row.status_label),
        "status_color": status_color(row.status),
    }


def option_line(line: commerce_area.RefundableLine, currency: str) -> dict[str, str]:
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
        detail: commerce_area.OrderDetail,
        left: int,
        lines: list[commerce_area.RefundableLine],
    ) -> None:
        self.refund_number, self.refund_currency = detail.number, detail.currency
        self.refund_left, self.refund_left_label = left, money(left, detail.currency)
        self.refund_lines = [option_line(line, detail.currency) for line in lines]
        self.refund_can_request = left > 0 and detail.status in commerce_area.REFUNDABLE_ORDERS

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
                commerce_area.LineRefund(int(line["id"]), int(line["left_minor"]))
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

    def _forget_refunds(self) -> None:
        """Drop the refunds shown for another order (each page's own lists)."""
        raise NotImplementedError

    def _fetch_refunds(self, actor: Actor, number: str) -> None:
        raise NotImplementedError

    def _reload_refunds(self, route: str, actor_of: Callable[[], Actor | None]):  # type: ignore[no-untyped-def]
        """The body of both pages' ``load``: the refunds of the order at ``route``'s address
        for the actor ``actor_of`` resolves (None: nothing to show)."""
        number = route_number(self, route)
        if number.upper() != self.refund_number.upper():
            self._forget_refunds()
            yield  # never show another order's refunds under this address
        actor = actor_of()
        if actor is None or not number:
            self.refunds_loaded = False
            return
        try:
            self._fetch_refunds(actor, number)
        except DomainError:
            self.refunds_loaded = False  # the order page already says what is wrong

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
            detail = commerce_area.order_detail(
                session=session, number=number, user_id=actor.user_id
            )
            rows = commerce_area.for_order(session=session, actor=actor, number=detail.number)
            left, lines = commerce_area.refund_options(
                session=session, actor=actor, number=detail.number
            )
        self.my_refunds = [my_refund_row(r) for r in reversed(rows)]  # newest first
        self.refund_waiting = any(r.status in OPEN for r in rows)
        self._fill_options(detail, left, lines)
        self.refund_can_request = self.refund_can_request and not self.refund_waiting
        self.refunds_loaded = True

    def _forget_refunds(self) -> None:
        self.refunds_loaded, self.my_refunds = False, []

    @rx.event
    def load(self):  # type: ignore[no-untyped-def]
        yield from self._reload_refunds(routes.ORDERS, self.current_actor)

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
                commerce_area.request_refund(
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
