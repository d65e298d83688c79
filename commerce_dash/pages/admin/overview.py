"""Admin overview: key figures from the database."""

from __future__ import annotations

from collections.abc import Iterable

import reflex as rx

from commerce_dash import routes
from commerce_dash.components.kpi import kpi_grid
from commerce_dash.components.shell import admin_shell
from commerce_dash.db import session_scope
from commerce_dash.domain.access import SECTIONS_BY_KEY, can_access
from commerce_dash.domain.money import format_minor
from commerce_dash.services.commerce import admin_overview
from commerce_dash.settings import get_settings
from commerce_dash.state.admin import AdminState


def _figure(label: str, value: int | str, icon: str, hint: str, href: str = "") -> dict[str, str]:
    """One key figure card: ``value`` is a count or already formatted text; ``hint`` says
    what it means or where to act on it; ``href`` is the page the card opens ("" for none)."""
    return {"label": label, "value": str(value), "icon": icon, "hint": hint, "href": href}


def _page_of(roles: Iterable[str], section: str) -> str:
    """The route of ``section`` when the admin may open it, else "" (a card without a link)."""
    return SECTIONS_BY_KEY[section].route if can_access(roles, section) else ""


class OverviewState(AdminState):
    kpis: list[dict[str, str]] = []
    scope_label: str = ""
    cannot_sell: list[str] = []

    @rx.event
    def load(self):  # type: ignore[no-untyped-def]
        actor = self.guard("overview")
        if actor is None:
            return self.refused()
        with session_scope() as session:
            figures = admin_overview(session=session, actor=actor)
        self.scope_label = figures.scope_label
        roles = [str(r) for r in actor.roles]

        def page(section: str) -> str:
            return _page_of(roles, section)

        # platform-wide figures (None for department-scoped admins) come only when counted
        self.kpis = [
            *([_figure("Users", figures.users, "users", f"{figures.learners} learners",
                       page("users"))] if figures.users is not None else []),
            *([_figure("Signed in now", figures.active_sessions, "log-in", "open sessions",
                       page("users"))] if figures.active_sessions is not None else []),
            _figure("Departments", figures.departments, "building-2", figures.scope_label,
                    page("courses")),
            _figure("Courses", figures.courses, "book-open",
                    f"{figures.published_courses} published", page("courses")),
            _figure("Programs", figures.programs, "library", "course bundles",
                    page("programs")),
            *([_figure("Admin actions (24 h)", figures.audit_events_24h, "scroll-text",
                       "audit log entries", page("audit"))]
              if figures.audit_events_24h is not None else []),
        ]
        if figures.pending_registrations is not None:
            waiting = figures.pending_registrations
            self.kpis.insert(0, _figure(
                "Registrations waiting", waiting, "clipboard-check",
                "review them in the queue" if waiting else "the queue is empty",
                page("registrations"),
            ))
        self.cannot_sell = list(figures.sales.cannot_sell) if figures.sales else []
        if figures.sales is not None:
            sales = figures.sales
            locale = get_settings().default_locale
            self.kpis[:0] = [
                _figure("Revenue (24 h)",
                        format_minor(sales.revenue_24h, sales.currency, locale), "banknote",
                        f"{sales.orders_24h} completed order"
                        f"{'' if sales.orders_24h == 1 else 's'}", page("revenue")),
                _figure("Refunds waiting", sales.refunds_waiting, "undo-2",
                        "decide them in Refunds" if sales.refunds_waiting
                        else "no request is waiting", page("refunds")),
                _figure("Open checkouts", sales.pending_checkouts, "shopping-cart",
                        "orders waiting for payment", page("orders")),
                _figure("Payments under review", sales.under_review, "shield-alert",
                        "see Orders & payments" if sales.under_review else "nobody is held",
                        page("orders")),
                _figure("Dead payment webhooks", sales.dead_payment_events, "webhook",
                        "a super-admin replays them under System"
                        if sales.dead_payment_events else "every event was processed",
                        page("system")),
            ]
        if figures.dead_messages is not None:
            self.kpis.append(_figure(
                "Dead messages", figures.dead_messages, "mail-warning",
                "replay or discard them under System"
                if figures.dead_messages else "every message was delivered",
                page("system"),
            ))
        return None


def overview_page() -> rx.Component:
    return admin_shell(
        "overview",
        "Overview",
        rx.text("Figures for ", OverviewState.scope_label, ".", color_scheme="gray"),
        rx.cond(OverviewState.cannot_sell.length() > 0, rx.callout.root(
            rx.callout.icon(rx.icon("triangle-alert")),
            rx.callout.text(
                "These departments cannot sell: their payment processor is not set up: ",
                OverviewState.cannot_sell.join(", "), ". ",
                rx.link("Payment processors", href=routes.ADMIN_PROCESSORS), "."),
            color_scheme="red", id="cannot-sell-alert")),
        kpi_grid(OverviewState.kpis, value_size="7",
                 columns=rx.breakpoints(initial="1", sm="2", lg="3")),
    )
