"""A department in the storefront: its subscription plans, its credit packs (session credits
sold alone) and its courses for sale."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

import reflex as rx
from sqlmodel import Session

from commerce_dash import routes
from commerce_dash.components.catalog_card import catalog_grid
from commerce_dash.components.store_item import (
    item_page,
)
from commerce_dash.components.store_panels import back_link
from commerce_dash.components.tables import empty_state
from commerce_dash.domain.errors import DomainError
from commerce_dash.domain.money import format_minor
from commerce_dash.pages.store.item_state import shows_other_item, standing_rows
from commerce_dash.services import catalog as catalog_area
from commerce_dash.services import commerce as commerce_area
from commerce_dash.settings import get_settings
from commerce_dash.state.auth import AuthState, owner_of
from commerce_dash.state.cart import currency_in, guest_owner
from commerce_dash.state.links import department_href
from commerce_dash.state.offload import with_session
from commerce_dash.state.route_args import route_code, route_int

CARDS_SHOWN = 12  # the rest is one click away in the paged catalog
INTERVALS = {
    "monthly": ("Monthly", "month"),
    "quarterly": ("Quarterly", "quarter"),
    "annual": ("Annual", "year"),
}


class DepartmentState(AuthState):
    status: str = "loading"  # loading | found | missing
    department_code: str = ""
    name: str = ""
    description: str = ""
    parent_name: str = ""
    parent_href: str = ""
    subdepartments: list[dict[str, str]] = []
    plans: list[dict[str, str]] = []
    packs: list[dict[str, str]] = []  # the published credit packs: id, title, price, note...
    adding_pack: str = ""  # the id of the pack being added to the cart
    cards: list[dict[str, str]] = []
    courses_count: str = "0"
    more_label: str = ""
    catalog_href: str = ""

    @rx.event
    async def load(self):  # type: ignore[no-untyped-def]
        code = route_code(self)
        if shows_other_item(self.status, self.department_code, code):
            self.status = "loading"  # never show the previous department under this address
            yield
        key, cart_token = self.session_key(), self.cart_token

        def work(session: Session) -> tuple[Any, Any, list[dict[str, str]], Any] | None:
            # everything the page shows, read in a worker thread (not on the event loop)
            owner = owner_of(key.resolve(session), cart_token)
            currency, _ = currency_in(session, owner)
            try:
                dept = catalog_area.department_detail(session=session, code=code,
                                                      currency=currency)
            except DomainError:
                return None
            options = commerce_area.department_plans(session=session,
                                                     department_code=dept.code)
            # owned, in the cart, included in a subscription: one lookup for the cards
            cards = standing_rows(session, owner, dept.courses[:CARDS_SHOWN])
            packs = catalog_area.published_credit_packs(session=session, department_id=dept.id)
            return dept, options, cards, packs

        found = await with_session(work)
        if found is None:
            self.status, self.department_code = "missing", code
            return
        dept, options, self.cards, packs = found
        self.status, self.department_code = "found", dept.code
        self.name, self.description = dept.name, dept.description
        self.parent_name = dept.parent[1] if dept.parent else ""
        self.parent_href = department_href(dept.parent[0]) if dept.parent else ""
        self.subdepartments = [
            {"name": n, "href": department_href(c)} for c, n in dept.subdepartments
        ]
        # the plans in the shown prices' currency (as the catalog chose it), else all
        shown = {p.price.currency for p in dept.plans}
        self.plans = [
            {
                "interval": INTERVALS.get(p.interval, (p.interval.title(), p.interval))[0],
                "price_label": format_minor(p.amount, p.currency, get_settings().default_locale),
                "per": INTERVALS.get(p.interval, (p.interval, p.interval))[1],
                "trial": f"{p.trial_days}-day free trial" if p.trial_days else "",
                "subdepartments": "Includes subdepartments" if p.includes_subdepartments
                else "",
                "href": f"{routes.SUBSCRIBE}/{quote(dept.code, safe='')}?plan={p.price_id}",
            }
            for p in options if not shown or p.currency in shown
        ]
        self.packs = [
            {"id": str(p.id), "code": p.code, "title": p.title, "description": p.description,
             "price": p.price_label, "credits_note": p.credits_note}
            for p in packs
        ]
        self.adding_pack = ""
        count = len(dept.courses)
        self.courses_count = str(count)
        self.more_label = f"See all {count} courses in the catalog" if count > CARDS_SHOWN else ""
        self.catalog_href = f"{routes.STORE}?{urlencode({'dept': dept.id, 'kind': 'course'})}"

    @rx.event
    async def add_pack(self, pack_id: str):  # type: ignore[no-untyped-def]
        """Put a credit pack of this department in the cart (a guest gets a cart first)."""
        wanted = route_int(pack_id)
        pack = next((p for p in self.packs if route_int(p["id"]) == wanted), None)
        if wanted is None or pack is None:
            yield rx.toast.error("This credit pack is no longer for sale.")
            return
        actor = self.current_actor()
        owner = guest_owner(self, actor)
        self.adding_pack = pack["id"]
        yield
        try:
            added = await with_session(lambda s: commerce_area.add_item(
                session=s, owner=owner, item_type="credit_pack", item_id=wanted))
        except DomainError as exc:
            self.adding_pack = ""
            yield rx.toast.error(exc.message)
            return
        self.adding_pack = ""
        self.refresh_cart_count(actor)
        yield rx.toast.success(added.message,
                               description="Open the cart (top right) to check out.")


def _pack(pack: rx.Var[dict[str, str]]) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.text(pack["title"], size="3", weight="bold"),
            rx.text(pack["price"], size="5", weight="bold", class_name="pack-price"),
            rx.cond(pack["credits_note"] != "",
                    rx.text(pack["credits_note"], size="2", color_scheme="green",
                            class_name="pack-credits")),
            rx.cond(pack["description"] != "",
                    rx.text(pack["description"], size="2", color_scheme="gray",
                            white_space="pre-line")),
            rx.button(
                rx.icon("shopping-cart", size=16), "Add to cart", width="100%",
                loading=DepartmentState.adding_pack == pack["id"],
                disabled=DepartmentState.adding_pack != "",
                on_click=DepartmentState.add_pack(pack["id"]),
                aria_label="Add to cart: " + pack["title"].to(str),
                class_name="pack-add",
            ),
            spacing="2",
            align="start",
            width="100%",
            height="100%",
        ),
        class_name="department-pack",
    )


def _packs() -> rx.Component:
    return rx.cond(
        DepartmentState.packs.length() > 0,
        rx.vstack(
            rx.heading("Session credit packs", size="5"),
            rx.text("Credits book private sessions or extra group classes of this department.",
                    size="2", color_scheme="gray"),
            rx.grid(
                rx.foreach(DepartmentState.packs, _pack),
                columns=rx.breakpoints(initial="1", sm="3"),
                spacing="3",
                width="100%",
            ),
            spacing="2",
            width="100%",
            id="department-packs",
        ),
    )


def _plan(plan: rx.Var[dict[str, str]]) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.text(plan["interval"], size="2", weight="medium", color_scheme="gray"),
            rx.hstack(
                rx.text(plan["price_label"], size="6", weight="bold"),
                rx.text("/ ", plan["per"], size="2", color_scheme="gray"),
                align="baseline",
                spacing="1",
            ),
            rx.cond(
                plan["trial"] != "",
                rx.badge(plan["trial"], color_scheme="green", variant="soft"),
            ),
            rx.cond(
                plan["subdepartments"] != "",
                rx.badge(plan["subdepartments"], variant="soft"),
            ),
            rx.link(
                rx.button("Subscribe", width="100%",
                          aria_label="Subscribe: " + plan["interval"].to(str) + " plan"),
                href=plan["href"],
                width="100%",
                class_name="department-subscribe",
            ),
            spacing="2",
            align="start",
            width="100%",
        ),
        class_name="department-plan",
    )


def _plans() -> rx.Component:
    return rx.vstack(
        rx.heading("Subscription plans", size="5"),
        rx.cond(
            DepartmentState.plans.length() > 0,
            rx.vstack(
                rx.text(
                    "One subscription opens every published course of this department "
                    "and its subdepartments.",
                    size="2",
                    color_scheme="gray",
                ),
                rx.grid(
                    rx.foreach(DepartmentState.plans, _plan),
                    columns=rx.breakpoints(initial="1", sm="3"),
                    spacing="3",
                    width="100%",
                ),
                width="100%",
            ),
            rx.text(
                "No subscription plans yet.",
                size="2",
                color_scheme="gray",
                id="no-plans",
            ),
        ),
        spacing="2",
        width="100%",
        id="department-plans",
    )


def _courses() -> rx.Component:
    return rx.vstack(
        rx.heading("Courses (", DepartmentState.courses_count, ")", size="5"),
        rx.cond(
            DepartmentState.cards.length() > 0,
            catalog_grid(DepartmentState.cards),
            rx.card(
                empty_state(
                    "book-open",
                    "No courses for sale yet",
                    "Courses appear here once they are published and priced.",
                ),
                width="100%",
            ),
        ),
        rx.cond(
            DepartmentState.more_label != "",
            rx.link(DepartmentState.more_label, href=DepartmentState.catalog_href),
        ),
        spacing="3",
        width="100%",
    )


def _found() -> rx.Component:
    return rx.vstack(
        back_link("Catalog", routes.STORE),
        rx.cond(
            DepartmentState.parent_href != "",
            rx.text(
                "Part of ",
                rx.link(DepartmentState.parent_name, href=DepartmentState.parent_href),
                size="2",
                color_scheme="gray",
                id="department-parent",
            ),
        ),
        rx.heading(DepartmentState.name, size="8", id="department-name"),
        rx.text(DepartmentState.description, size="3", white_space="pre-line"),
        rx.cond(
            DepartmentState.subdepartments.length() > 0,
            rx.flex(
                rx.text("Subdepartments:", size="2", color_scheme="gray"),
                rx.foreach(
                    DepartmentState.subdepartments,
                    lambda s: rx.link(
                        rx.badge(s["name"], variant="outline", size="2"), href=s["href"]
                    ),
                ),
                wrap="wrap",
                spacing="2",
                align="center",
                id="department-subdepartments",
            ),
        ),
        _plans(),
        _packs(),
        _courses(),
        spacing="4",
        width="100%",
    )


def department_page() -> rx.Component:
    return item_page(
        DepartmentState.status,
        _found(),
        "Department not found",
        "Check the address, or browse the catalog by department.",
    )
