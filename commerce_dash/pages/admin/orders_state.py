"""The state of ``orders.py`` (its view): what the page loads and its event handlers."""

from __future__ import annotations

from datetime import timedelta

import reflex as rx

from commerce_dash.components.badges import status_fields, status_label
from commerce_dash.db import session_scope
from commerce_dash.domain.dates import DAY, WHEN, parse_day, when
from commerce_dash.domain.errors import DomainError
from commerce_dash.domain.money import parse_major
from commerce_dash.domain.paging import PageRequest
from commerce_dash.routes import admin_order_href
from commerce_dash.services.commerce import orders as orders_service
from commerce_dash.settings import get_settings
from commerce_dash.state.admin import AdminState
from commerce_dash.state.paging import PagedTableMixin
from commerce_dash.state.route_args import route_int

PAGE_SIZE = 25
SECTION = "orders"
STATUS_OPTIONS = [("all", "Any status")] + [
    (s, status_label(s)) for s in orders_service.ORDER_STATUSES
]
PAYMENT_OPTIONS = [("all", "Any payment")] + [
    (s, status_label(s)) for s in orders_service.ORDER_PAYMENT_STATUSES
]





def _amount(text: str, field: str, label: str, currency: str) -> int | None:
    if not text.strip():
        return None
    try:
        return parse_major(text, currency)
    except ValueError as exc:
        raise DomainError("invalid_amount", f"{label}: {exc}", field=field) from None


def admin_row(row: orders_service.AdminOrderRow) -> dict[str, str]:
    shows_display = row.display_currency.upper() != row.currency.upper()
    return {
        "number": row.number,
        "href": admin_order_href(row.number),
        "date": when(row.created_at, WHEN),
        "learner_name": row.learner_name,
        "learner_email": row.learner_email,
        "items": str(row.item_count),
        "total": row.total_label,
        "display_total": row.display_total_label if shows_display else "",
        "processor": row.processor.title() if row.processor else "—",
        "failure_reason": row.failure_reason,
        **status_fields("status", row.status),
        **status_fields("payment_status", row.payment_status),
    }


def review_row(row: orders_service.ReviewRow) -> dict[str, str]:
    return {
        "user_id": str(row.user_id),
        "learner_name": row.learner_name,
        "learner_email": row.learner_email,
        "reason": row.reason,
        "failures": str(row.failures),
        "since": when(row.since, DAY),
    }


class AdminOrdersState(PagedTableMixin, AdminState):
    """``search`` (from the mixin) is the learner search: part of an email or a name."""

    status_filter: rx.Field[str] = rx.field("all")
    payment_filter: rx.Field[str] = rx.field("all")
    processor_filter: rx.Field[str] = rx.field("all")
    processors: rx.Field[list[str]] = rx.field(default_factory=list)
    date_from: rx.Field[str] = rx.field("")
    date_to: rx.Field[str] = rx.field("")
    min_total: rx.Field[str] = rx.field("")
    max_total: rx.Field[str] = rx.field("")
    currency: rx.Field[str] = rx.field(get_settings().settlement_currency)
    reviews: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)

    def _fetch(self) -> None:
        actor = self.current_actor()
        currency = get_settings().settlement_currency
        self.currency = currency
        date_from = parse_day(self.date_from, "date_from")
        date_to = parse_day(self.date_to, "date_to")
        min_total = _amount(self.min_total, "min_total", "Lowest total", currency)
        max_total = _amount(self.max_total, "max_total", "Highest total", currency)
        with session_scope() as session:
            self.processors = orders_service.processor_options(session=session, actor=actor)
            self.reviews = [
                review_row(r) for r in orders_service.list_reviews(session=session, actor=actor)
            ]
            result = orders_service.list_orders_admin(
                session=session,
                actor=actor,
                page=PageRequest(self.page, PAGE_SIZE),
                status=None if self.status_filter == "all" else self.status_filter,
                payment_status=None if self.payment_filter == "all" else self.payment_filter,
                processor=None if self.processor_filter == "all" else self.processor_filter,
                date_from=date_from,
                date_to=date_to + timedelta(days=1) if date_to else None,
                min_total=min_total,
                max_total=max_total,
                learner=self.search,
            )
        self.total, self.pages = result.total, result.pages
        self.rows = [admin_row(r) for r in result.items]

    @rx.event
    def load(self):  # type: ignore[no-untyped-def]
        if self.guard(SECTION) is None:
            return self.refused()
        return self._refetch()

    @rx.event
    def set_status_filter(self, value: str):  # type: ignore[no-untyped-def]
        self.status_filter, self.page = value, 1
        return self._refetch()

    @rx.event
    def set_payment_filter(self, value: str):  # type: ignore[no-untyped-def]
        self.payment_filter, self.page = value, 1
        return self._refetch()

    @rx.event
    def set_processor_filter(self, value: str):  # type: ignore[no-untyped-def]
        self.processor_filter, self.page = value, 1
        return self._refetch()

    @rx.event
    def set_date_from(self, value: str):  # type: ignore[no-untyped-def]
        self.date_from, self.page = value, 1
        return self._refetch()

    @rx.event
    def set_date_to(self, value: str):  # type: ignore[no-untyped-def]
        self.date_to, self.page = value, 1
        return self._refetch()

    @rx.event
    def set_min_total(self, value: str) -> None:
        self.min_total = value

    @rx.event
    def set_max_total(self, value: str) -> None:
        self.max_total = value

    @rx.event
    def apply_amounts(self, _value: str = ""):  # type: ignore[no-untyped-def]
        """Amounts apply when the field is left (half-typed amounts are not errors)."""
        self.page = 1
        return self._refetch()

    @rx.event
    def reset_filters(self):  # type: ignore[no-untyped-def]
        self.status_filter = self.payment_filter = self.processor_filter = "all"
        self.date_from = self.date_to = self.min_total = self.max_total = self.search = ""
        self.page = 1
        error = self._refetch()
        return error if error is not None else rx.toast.info("Filters cleared.")

    @rx.event
    def refresh(self):  # type: ignore[no-untyped-def]
        error = self._refetch()
        return error if error is not None else rx.toast.success("Orders refreshed.")

    @rx.event
    def clear_review(self, user_id: str, email: str):  # type: ignore[no-untyped-def]
        try:
            with session_scope() as session:
                orders_service.clear_review(
                    session=session,
                    actor=self.current_actor(),
                    user_id=route_int(user_id) or 0,  # 0: not found
                    note="Cleared from the orders page",
                )
        except (DomainError, ValueError) as exc:
            return rx.toast.error(exc.message if isinstance(exc, DomainError) else str(exc))
        error = self._refetch()
        return error if error is not None else rx.toast.success(
            f"{email} can check out again."
        )


# -- components -------------------------------------------------------------------------------
