"""The state of ``order_detail.py`` (its view): what the page loads and its event handlers."""

from __future__ import annotations

from urllib.parse import quote

import reflex as rx

from commerce_dash import routes
from commerce_dash.components.badges import status_fields
from commerce_dash.db import session_scope
from commerce_dash.domain.dates import DAY, when
from commerce_dash.domain.errors import DomainError
from commerce_dash.pages.store.refund_request import RefundRequestState
from commerce_dash.routes import order_href
from commerce_dash.services import commerce as commerce_area
from commerce_dash.state.auth import AuthState
from commerce_dash.state.route_args import route_number

ITEM_TYPE_LABELS = {"course": "Course", "program": "Program", "subscription": "Subscription"}


def receipt_fields(detail: commerce_area.OrderDetail) -> dict[str, str]:
    """Everything the receipt card shows, as the plain strings a state var holds."""
    payment = detail.payment
    region = ", ".join(p for p in (detail.billing_region, detail.billing_country) if p)
    fields = {
        "number": detail.number,
        "date": when(detail.created_at, DAY),
        "placed_at": when(detail.created_at),
        "completed_at": when(detail.completed_at),
        "learner_name": detail.learner_name,
        "learner_email": detail.learner_email,
        "subtotal": detail.subtotal_label,
        "discount_code": detail.discount_code,
        "discount": detail.discount_label,
        "tax_name": detail.tax_name or "Tax",
        "tax": detail.tax_amount_label,
        "tax_source": detail.tax_source_label,
        "total": detail.total_label,
        "currency": detail.currency,
        "refunded": detail.refunded_label,
        "display_total": detail.display_total_label,
        "exchange_rate": detail.exchange_rate_label,
        "exchange_rate_at": when(detail.exchange_rate_at),
        "settlement": detail.settlement_label if not detail.shows_display_currency else "",
        "billing": region,
        "processor": (payment.processor if payment else detail.processor).title(),
        "card": f"•••• {payment.card_last4}" if payment and payment.card_last4 else "",
        "intent_id": payment.intent_id if payment else "",
        "processed_at": when(payment.processed_at) if payment else "",
        "failure_reason": detail.retry_reason,
        "payment_amount": payment.amount_label if payment else "",
        "retry_href": f"{routes.CHECKOUT}/{quote(detail.number, safe='')}",
        **status_fields("status", detail.status),
        **status_fields("payment_status", payment.status if payment else detail.payment_status),
    }
    return fields


def line_fields(line: commerce_area.OrderLineView) -> dict[str, str]:
    return {
        "title": line.title,
        "kind": ITEM_TYPE_LABELS.get(line.item_type, line.item_type.title()),
        "list": line.list_label,
        "discount": line.discount_label if line.discount_amount else "",
        "tax": line.tax_label if line.tax_amount else "",
        "total": line.total_label,
        "note": line.note,
        "credits_note": line.credits_note,
    }


class ReceiptMixin(rx.State, mixin=True):
    """The order shown by a receipt card; ``_show`` fills it from an ``OrderDetail``."""

    found: rx.Field[str] = rx.field("loading")  # loading | found | missing
    missing_message: rx.Field[str] = rx.field("")
    order_number: rx.Field[str] = rx.field("")
    receipt: rx.Field[dict[str, str]] = rx.field(default_factory=dict)
    lines: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    has_discount: rx.Field[bool] = rx.field(False)
    has_tax: rx.Field[bool] = rx.field(False)
    # the tax by rate ([label, amount] each), as the learner saw and paid it
    tax_rates: rx.Field[list[list[str]]] = rx.field(default_factory=list)
    has_refund: rx.Field[bool] = rx.field(False)
    shows_display: rx.Field[bool] = rx.field(False)
    has_payment: rx.Field[bool] = rx.field(False)
    can_retry: rx.Field[bool] = rx.field(False)
    payment_failed: rx.Field[bool] = rx.field(False)

    def _show(self, detail: commerce_area.OrderDetail) -> None:
        self.found = "found"
        self.missing_message = ""
        self.order_number = detail.number
        self.receipt = receipt_fields(detail)
        self.lines = [line_fields(line) for line in detail.lines]
        self.has_discount = detail.discount_amount > 0
        self.has_tax = detail.tax_amount > 0 or bool(detail.tax_name)
        self.tax_rates = [[label, amount] for label, amount in detail.tax_rates]
        self.has_refund = detail.refunded_amount > 0
        self.shows_display = detail.shows_display_currency
        self.has_payment = detail.payment is not None
        self.can_retry = detail.can_retry
        self.payment_failed = bool(detail.retry_reason) and (
            detail.payment is None or detail.payment.status == "failed"
        )

    def _missing(self, number: str, message: str) -> None:
        self.found = "missing"
        self.order_number = number
        self.missing_message = message
        self.receipt, self.lines = {}, []


class OrderDetailState(ReceiptMixin, AuthState):
    @rx.event
    def load(self):  # type: ignore[no-untyped-def]
        number = route_number(self, routes.ORDERS)
        self.load_session()
        if not self.signed_in:
            yield rx.redirect(f"{routes.LOGIN}?next={quote(order_href(number), safe='/')}")
            return
        if self.found != "loading" and number.upper() != self.order_number.upper():
            self.found = "loading"  # never show the previous order under this address
            yield
        actor = self.current_actor()
        if actor is None:
            yield rx.redirect(f"{routes.LOGIN}?next={quote(order_href(number), safe='/')}")
            return
        try:
            with session_scope() as session:
                detail = commerce_area.order_detail(
                    session=session, number=number, user_id=actor.user_id
                )
        except DomainError as exc:
            self._missing(number, exc.message)
            return
        self._show(detail)
        yield RefundRequestState.load

    @rx.event
    def print_receipt(self):  # type: ignore[no-untyped-def]
        return rx.call_script("window.print()")


# -- receipt components -----------------------------------------------------------------------
