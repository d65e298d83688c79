"""Admin overview: key figures from the database."""

from __future__ import annotations

import reflex as rx

from commerce_dash.components.shell import admin_shell
from commerce_dash.db import session_scope
from commerce_dash.domain.money import format_minor
from commerce_dash.services.commerce.overview import admin_overview
from commerce_dash.settings import get_settings
from commerce_dash.state.admin import AdminState


class OverviewState(AdminState):
    kpis: list[dict[str, str]] = []
    scope_label: str = ""

    @rx.event
    def load(self):  # type: ignore[no-untyped-def]
        actor = self.guard("overview")
        if actor is None:
            return self.refused()
        with session_scope() as session:
            figures = admin_overview(session=session, actor=actor)
        self.scope_label = figures.scope_label
        self.kpis = [
            {
                "label": "Users",
                "value": str(figures.users),
                "icon": "users",
                "hint": f"{figures.learners} learners",
            },
            {
                "label": "Signed in now",
                "value": str(figures.active_sessions),
                "icon": "log-in",
                "hint": "open sessions",
            },
            {
                "label": "Departments",
                "value": str(figures.departments),
                "icon": "building-2",
                "hint": figures.scope_label,
            },
            {
                "label": "Courses",
                "value": str(figures.courses),
                "icon": "book-open",
                "hint": f"{figures.published_courses} published",
            },
            {
                "label": "Programs",
                "value": str(figures.programs),
                "icon": "library",
                "hint": "course bundles",
            },
            {
                "label": "Admin actions (24 h)",
                "value": str(figures.audit_events_24h),
                "icon": "scroll-text",
                "hint": "audit log entries",
            },
        ]
        if figures.pending_registrations is not None:
            waiting = figures.pending_registrations
            self.kpis.insert(0, {
                "label": "Registrations waiting",
                "value": str(waiting),
                "icon": "clipboard-check",
                "hint": "review them in the queue" if waiting else "the queue is empty",
            })
        if figures.sales is not None:
            sales = figures.sales
            locale = get_settings().default_locale
            self.kpis[:0] = [
                {
                    "label": "Revenue (24 h)",
                    "value": format_minor(sales.revenue_24h, sales.currency, locale),
                    "icon": "banknote",
                    "hint": f"{sales.orders_24h} completed order"
                    f"{'' if sales.orders_24h == 1 else 's'}",
                },
                {
                    "label": "Refunds waiting",
                    "value": str(sales.refunds_waiting),
                    "icon": "undo-2",
                    "hint": "decide them in Refunds" if sales.refunds_waiting
                    else "no request is waiting",
                },
                {
                    "label": "Open checkouts",
                    "value": str(sales.pending_checkouts),
                    "icon": "shopping-cart",
                    "hint": "orders waiting for payment",
                },
                {
                    "label": "Payments under review",
                    "value": str(sales.under_review),
                    "icon": "shield-alert",
                    "hint": "see Orders & payments" if sales.under_review
                    else "nobody is held",
                },
                {
                    "label": "Dead payment webhooks",
                    "value": str(sales.dead_payment_events),
                    "icon": "webhook",
                    "hint": "a super-admin replays them under System"
                    if sales.dead_payment_events
                    else "every event was processed",
                },
            ]
        if figures.dead_messages is not None:
            self.kpis.append(
                {
                    "label": "Dead messages",
                    "value": str(figures.dead_messages),
                    "icon": "mail-warning",
                    "hint": "replay or discard them under System"
                    if figures.dead_messages
                    else "every message was delivered",
                }
            )
        return None


def _kpi(item: rx.Var[dict[str, str]]) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.text(item["label"], size="2", color_scheme="gray"),
            rx.heading(item["value"], size="7", class_name="kpi-value"),
            rx.text(item["hint"], size="1", color_scheme="gray"),
            spacing="1",
            align="start",
        ),
        data_kpi=item["label"],
    )


def overview_page() -> rx.Component:
    return admin_shell(
        "overview",
        "Overview",
        rx.text("Figures for ", OverviewState.scope_label, ".", color_scheme="gray"),
        rx.grid(
            rx.foreach(OverviewState.kpis, _kpi),
            columns=rx.breakpoints(initial="1", sm="2", lg="3"),
            spacing="3",
            width="100%",
        ),
    )
