"""The state of ``subscriptions.py`` (its view): the subscriptions an admin may see, filtered
by department, plan interval, status and learner email, paged on the server.

Billing admins see every department's subscriptions, department admins those of their
departments (and subdepartments): the service scopes the list, the department drop-down
offers the same departments."""

from __future__ import annotations

from typing import Any

import reflex as rx

from commerce_dash.components.badges import status_color, status_label
from commerce_dash.components.display import money
from commerce_dash.db import session_scope
from commerce_dash.domain.access import RoleName
from commerce_dash.domain.actor import Actor
from commerce_dash.domain.dates import DAY, when
from commerce_dash.domain.paging import PageRequest
from commerce_dash.routes import admin_subscription_href
from commerce_dash.services import commerce as commerce_area
from commerce_dash.services import platform as platform_area
from commerce_dash.state.admin import AdminState
from commerce_dash.state.paging import PagedTableMixin, section_loader
from commerce_dash.state.route_args import route_int
from commerce_dash.state.setters import filter_setter

PAGE_SIZE = 25
SECTION = "subscriptions"
ANY = "all"
INTERVALS = (("monthly", "Monthly"), ("quarterly", "Quarterly"), ("annual", "Annual"))
STATUSES = ("trialing", "active", "past_due", "paused", "incomplete", "cancelled")
INTERVAL_OPTIONS = [(ANY, "Any interval"), *INTERVALS]
STATUS_OPTIONS = [(ANY, "Any status"), *((s, status_label(s)) for s in STATUSES)]
# the app's palette (components/badges.py) for the statuses it has no colour of its own for
SUBSCRIPTION_COLORS = {
    "trialing": "blue",
    "past_due": "red",
    "paused": "amber",
    "incomplete": "amber",
    "paid": "green",
    "open": "amber",
    "void": "gray",
}


def badge_fields(key: str, status: str) -> dict[str, str]:
    """``key``, ``key_label`` and ``key_color`` for ``field_badge`` (subscription and invoice
    statuses)."""
    return {
        key: status,
        f"{key}_label": status_label(status),
        f"{key}_color": SUBSCRIPTION_COLORS.get(status) or status_color(status),
    }


def plan_label(interval: str) -> str:
    return dict(INTERVALS).get(interval, interval.capitalize() or "—")


def subscription_row(view: commerce_area.SubscriptionView) -> dict[str, str]:
    """A subscription as the admin list shows it."""
    return {
        "number": view.number,
        "href": admin_subscription_href(view.number),
        "learner_name": view.learner_name,
        "learner_email": view.learner_email,
        "department": view.department_name,
        "plan": plan_label(view.interval),
        **badge_fields("status", view.status),
        "ending": "Ends at period end" if view.cancel_at_period_end
        and view.status != "cancelled" else "",
        "next_charge": when(view.next_charge_at, DAY) or "—",
        "amount": money(view.next_charge_amount if view.next_charge_at else view.renewal_total,
                        view.currency),
        "created": when(view.created_at, DAY),
    }


def visible_departments(session: Any, actor: Actor) -> frozenset[int] | None:
    """The departments whose subscriptions ``actor`` sees (None: all), as the service scopes
    its list: billing admins all, department admins theirs and their subdepartments."""
    if actor.has_role(RoleName.BILLING_ADMIN):
        return None
    return actor.departments_for(
        RoleName.DEPT_ADMIN, platform_area.department_parents(session=session)
    )


class SubscriptionsState(PagedTableMixin, AdminState):
    """``search`` (from the mixin) is the learner search: part of an email."""

    department_filter: rx.Field[str] = rx.field(ANY)
    interval_filter: rx.Field[str] = rx.field(ANY)
    status_filter: rx.Field[str] = rx.field(ANY)
    departments: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)

    @rx.var
    def filtered(self) -> bool:
        return bool(
            self.department_filter != ANY
            or self.interval_filter != ANY
            or self.status_filter != ANY
            or self.search.strip()
        )

    def _fetch(self) -> None:
        actor = self.current_actor()
        intervals = dict(INTERVALS)
        with session_scope() as session:
            if actor is not None:
                allowed = visible_departments(session, actor)
                self.departments = [
                    {"id": str(i), "label": label}
                    for i, label in platform_area.department_options(
                        session=session, within=allowed
                    )
                ]
            result = commerce_area.list_subscriptions(
                session=session,
                actor=actor,
                page=PageRequest(self.page, PAGE_SIZE),
                department_id=route_int(self.department_filter),  # "all" (or no id): all
                interval=self.interval_filter if self.interval_filter in intervals else "",
                status=self.status_filter if self.status_filter in STATUSES else "",
                query=self.search,
            )
        self.total, self.pages = result.total, result.pages
        self.rows = [subscription_row(v) for v in result.items]

    load = section_loader(SECTION)

    set_department_filter = filter_setter("department_filter")
    set_interval_filter = filter_setter("interval_filter")
    set_status_filter = filter_setter("status_filter")

    @rx.event
    def reset_filters(self):  # type: ignore[no-untyped-def]
        self.department_filter = self.interval_filter = self.status_filter = ANY
        self.search, self.page = "", 1
        return self._refetch_or(rx.toast.info("Filters cleared."))

    @rx.event
    def refresh(self):  # type: ignore[no-untyped-def]
        return self._refetch_or(rx.toast.success("Subscriptions refreshed."))
