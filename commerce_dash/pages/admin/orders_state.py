"""The state of ``orders.py`` (its view): what the page loads and its event handlers."""

from __future__ import annotations

from typing import Any

import reflex as rx

from commerce_dash.components.badges import status_label
from commerce_dash.components.row_fields import learner_fields, order_money_fields
from commerce_dash.db import session_scope
from commerce_dash.domain.dates import DAY, WHEN, when
from commerce_dash.domain.errors import DomainError
from commerce_dash.domain.money import parse_major
from commerce_dash.domain.paging import PageRequest
from commerce_dash.routes import admin_order_href
from commerce_dash.services import commerce as commerce_area
from commerce_dash.settings import get_settings
from commerce_dash.state.admin import AdminState
from commerce_dash.state.offload import with_session
from commerce_dash.state.paging import PagedTableMixin, day_range, section_loader
from commerce_dash.state.route_args import route_int
from commerce_dash.state.service_call import as_admin
from commerce_dash.state.setters import filter_setter, value_setter

PAGE_SIZE = 25
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SECTION = "orders"
STATUS_OPTIONS = [("all", "Any status")] + [
    (s, status_label(s)) for s in commerce_area.ORDER_STATUSES
]
PAYMENT_OPTIONS = [("all", "Any payment")] + [
    (s, status_label(s)) for s in commerce_area.ORDER_PAYMENT_STATUSES
]


def _amount(text: str, field: str, label: str, currency: str) -> int | None:
    if not text.strip():
        return None
    try:
        return parse_major(text, currency)
    except ValueError as exc:
        raise DomainError("invalid_amount", f"{label}: {exc}", field=field) from None


def admin_row(row: commerce_area.AdminOrderRow) -> dict[str, str]:
    return {
        "number": row.number,
        "href": admin_order_href(row.number),
        "date": when(row.created_at, WHEN),
        **learner_fields(row),
        "items": str(row.item_count),
        **order_money_fields(row),
        "processor": row.processor.title() if row.processor else "—",
        "failure_reason": row.failure_reason,
    }


def review_row(row: commerce_area.ReviewRow) -> dict[str, str]:
    return {
        "user_id": str(row.user_id),
        **learner_fields(row),
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

    def _filters(self) -> dict[str, Any]:
        """The filters as the services take them (the list and the export alike)."""
        currency = get_settings().settlement_currency
        self.currency = currency
        date_from, date_until = day_range(self.date_from, self.date_to)
        return {
            "status": None if self.status_filter == "all" else self.status_filter,
            "payment_status": None if self.payment_filter == "all" else self.payment_filter,
            "processor": None if self.processor_filter == "all" else self.processor_filter,
            "date_from": date_from,
            "date_to": date_until,
            "min_total": _amount(self.min_total, "min_total", "Lowest total", currency),
            "max_total": _amount(self.max_total, "max_total", "Highest total", currency),
            "learner": self.search,
        }

    def _fetch(self) -> None:
        actor = self.current_actor()
        filters = self._filters()
        with session_scope() as session:
            self.processors = commerce_area.processor_options(session=session, actor=actor)
            self.reviews = [
                review_row(r) for r in commerce_area.list_reviews(session=session, actor=actor)
            ]
            result = commerce_area.list_orders_admin(
                session=session,
                actor=actor,
                page=PageRequest(self.page, PAGE_SIZE),
                **filters,
            )
        self.total, self.pages = result.total, result.pages
        self.rows = [admin_row(r) for r in result.items]

    load = section_loader(SECTION)

    set_status_filter = filter_setter("status_filter")
    set_payment_filter = filter_setter("payment_filter")
    set_processor_filter = filter_setter("processor_filter")
    set_date_from = filter_setter("date_from")
    set_date_to = filter_setter("date_to")

    set_min_total = value_setter("min_total")
    set_max_total = value_setter("max_total")

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
        return self._refetch_or(rx.toast.info("Filters cleared."))

    @rx.event
    def refresh(self):  # type: ignore[no-untyped-def]
        return self._refetch_or(rx.toast.success("Orders refreshed."))

    async def _export(self, file_format: str):  # type: ignore[no-untyped-def]
        """Every order the filters match (all pages) with its payment, for accounting:
        built off the event loop (a query and a file)."""
        actor = self.current_actor()
        try:
            filters = self._filters()
            data, name = await with_session(lambda s: commerce_area.orders_export(
                session=s, actor=actor, **filters).file(file_format))
        except DomainError as exc:
            return rx.toast.error(exc.message)
        return rx.download(data=data, filename=name,
                           mime_type="text/csv" if file_format == "csv" else XLSX)

    @rx.event
    async def export_csv(self):  # type: ignore[no-untyped-def]
        return await self._export("csv")

    @rx.event
    async def export_xlsx(self):  # type: ignore[no-untyped-def]
        return await self._export("xlsx")

    @rx.event
    def clear_review(self, user_id: str, email: str):  # type: ignore[no-untyped-def]
        try:
            as_admin(
                self,
                commerce_area.clear_review,
                user_id=route_int(user_id) or 0,  # 0: not found
                note="Cleared from the orders page",
            )
        except (DomainError, ValueError) as exc:
            return rx.toast.error(exc.message if isinstance(exc, DomainError) else str(exc))
        return self._refetch_or(rx.toast.success(f"{email} can check out again."))


# -- components -------------------------------------------------------------------------------
