"""Orders & payments (billing admins): every order with filters, paged on the server, and the
learners held for payment review after repeated declines."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import reflex as rx
from reflex.vars import ObjectVar

from commerce_dash.components.shell import admin_shell
from commerce_dash.components.tables import paged_table
from commerce_dash.db import session_scope
from commerce_dash.domain.dates import DAY, WHEN, parse_day, when
from commerce_dash.domain.errors import DomainError
from commerce_dash.domain.money import parse_major
from commerce_dash.domain.paging import PageRequest
from commerce_dash.pages.store.orders import status_badge, status_fields, status_label
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


def _select(
    value: Any, on_change: Any, options: list[tuple[str, str]], label: str
) -> rx.Component:
    return rx.select.root(
        rx.select.trigger(aria_label=label),
        rx.select.content(*[rx.select.item(text, value=v) for v, text in options]),
        value=value,
        on_change=on_change,
    )


def _processor_select() -> rx.Component:
    return rx.select.root(
        rx.select.trigger(aria_label="Processor"),
        rx.select.content(
            rx.select.item("Any processor", value="all"),
            rx.foreach(AdminOrdersState.processors, lambda p: rx.select.item(p, value=p)),
        ),
        value=AdminOrdersState.processor_filter,
        on_change=AdminOrdersState.set_processor_filter,
    )


def _amount_input(placeholder: str, value: Any, on_change: Any, name: str) -> rx.Component:
    return rx.input(
        placeholder=placeholder,
        value=value,
        on_change=on_change,
        on_blur=AdminOrdersState.apply_amounts,
        width="7em",
        input_mode="decimal",
        name=name,
        id=name,
    )


def _filters() -> rx.Component:
    s = AdminOrdersState
    return rx.vstack(
        rx.hstack(
            rx.input(
                placeholder="Learner email or name",
                value=s.search,
                on_change=s.set_search.debounce(300),  # type: ignore[attr-defined]
                width=["100%", "240px"],
                id="learner-search",
            ),
            _select(s.status_filter, s.set_status_filter, STATUS_OPTIONS, "Order status"),
            _select(s.payment_filter, s.set_payment_filter, PAYMENT_OPTIONS, "Payment status"),
            _processor_select(),
            rx.spacer(),
            rx.button(
                rx.icon("rotate-cw", size=16), "Refresh", variant="soft", on_click=s.refresh
            ),
            wrap="wrap",
            spacing="3",
            width="100%",
            align="center",
        ),
        rx.hstack(
            rx.hstack(
                rx.text("Placed from", size="2"),
                rx.input(type="date", value=s.date_from, on_change=s.set_date_from,
                         id="date-from"),
                rx.text("to", size="2"),
                rx.input(type="date", value=s.date_to, on_change=s.set_date_to, id="date-to"),
                align="center",
                wrap="wrap",
            ),
            rx.hstack(
                rx.text("Total (", s.currency, ") from", size="2"),
                _amount_input("0.00", s.min_total, s.set_min_total, "min-total"),
                rx.text("to", size="2"),
                _amount_input("any", s.max_total, s.set_max_total, "max-total"),
                align="center",
                wrap="wrap",
            ),
            rx.button("Clear filters", variant="ghost", size="2", on_click=s.reset_filters),
            wrap="wrap",
            spacing="4",
            width="100%",
            align="center",
        ),
        spacing="3",
        width="100%",
    )


def _row(row: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.link(rx.text(row["number"], weight="medium"), href=row["href"])),
        rx.table.cell(rx.text(row["date"], size="1", white_space="nowrap")),
        rx.table.cell(
            rx.vstack(
                rx.text(row["learner_name"], size="2"),
                rx.text(row["learner_email"], size="1", color_scheme="gray"),
                spacing="0",
            )
        ),
        rx.table.cell(rx.text(row["items"], size="2")),
        rx.table.cell(
            rx.vstack(
                rx.text(row["total"], size="2", weight="medium"),
                rx.cond(
                    row["display_total"] != "",
                    rx.text(row["display_total"], size="1", color_scheme="gray"),
                    rx.fragment(),
                ),
                spacing="0",
            )
        ),
        rx.table.cell(rx.text(row["processor"], size="2")),
        rx.table.cell(status_badge(row, "status")),
        rx.table.cell(
            rx.vstack(
                status_badge(row, "payment_status"),
                rx.cond(
                    row["failure_reason"] != "",
                    rx.text(row["failure_reason"], size="1", color_scheme="red", max_width="16em"),
                    rx.fragment(),
                ),
                spacing="1",
                align="start",
            )
        ),
        rx.table.cell(rx.link(rx.button("Open", size="1", variant="soft"), href=row["href"])),
        class_name="admin-order-row",
        data_number=row["number"],
    )


def _review(row: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.vstack(
                rx.text(row["learner_name"], size="2", weight="medium"),
                rx.text(row["learner_email"], size="1", color_scheme="gray"),
                spacing="0",
            )
        ),
        rx.table.cell(rx.text(row["reason"], size="2")),
        rx.table.cell(rx.text(row["failures"], size="2")),
        rx.table.cell(rx.text(row["since"], size="2", white_space="nowrap")),
        rx.table.cell(
            rx.button(
                rx.icon("check", size=14),
                "Clear",
                size="1",
                color_scheme="green",
                variant="soft",
                on_click=AdminOrdersState.clear_review(  # type: ignore[operator]
                    row["user_id"], row["learner_email"]
                ),
                class_name="clear-review",
            )
        ),
        class_name="review-row",
        data_email=row["learner_email"],
    )


def _reviews_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.icon("shield-alert", size=18),
                rx.heading("Payments under review", size="4"),
                rx.badge(AdminOrdersState.reviews.length().to_string(), variant="soft"),
                align="center",
                spacing="2",
            ),
            rx.cond(
                AdminOrdersState.reviews.length() > 0,
                rx.vstack(
                    rx.text(
                        "These learners cannot check out until the hold is cleared.",
                        size="2",
                        color_scheme="gray",
                    ),
                    rx.box(
                        rx.table.root(
                            rx.table.header(
                                rx.table.row(
                                    *[
                                        rx.table.column_header_cell(h)
                                        for h in ("Learner", "Reason", "Failures", "Since", "")
                                    ]
                                )
                            ),
                            rx.table.body(rx.foreach(AdminOrdersState.reviews, _review)),
                            width="100%",
                        ),
                        overflow_x="auto",
                        width="100%",
                    ),
                    width="100%",
                ),
                rx.text(
                    "Nobody is held: learners with repeated declined payments appear here.",
                    size="2",
                    color_scheme="gray",
                ),
            ),
            width="100%",
        ),
        width="100%",
        id="payment-reviews",
    )


def orders_admin_page() -> rx.Component:
    return admin_shell(
        SECTION,
        "Orders & payments",
        _filters(),
        paged_table(
            AdminOrdersState,
            ["Order", "Placed (UTC)", "Learner", "Items", "Total", "Processor", "Status",
             "Payment", ""],
            _row,
            (
                "receipt",
                "No orders match",
                "Widen the filters; orders appear here as soon as learners check out.",
            ),
        ),
        _reviews_card(),
    )
