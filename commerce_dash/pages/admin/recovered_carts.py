"""Recovered carts on the Revenue page (issue 19): orders completed from a cart the
abandoned-cart reminder had reminded, over the page's period: how many, what they were paid per
currency, and how many reminders went out.

A card inside the Revenue page: the page hands it its period, and the card reads again when the
period changes (its key is the period).
"""

from __future__ import annotations

from datetime import date

import reflex as rx

from commerce_dash.components.admin_forms import titled_card
from commerce_dash.components.kpi import kpi_grid
from commerce_dash.domain.errors import DomainError
from commerce_dash.services import commerce as commerce_area
from commerce_dash.state.admin import AdminState
from commerce_dash.state.offload import with_session

SECTION = "revenue"
HINT = (
    "Orders completed from a cart after its reminder email, over the period above "
    "(fully refunded ones left out)."
)


def recovered_kpis(found: commerce_area.RecoveredOrders) -> list[dict[str, str]]:
    revenue = ", ".join(found.labels()) or "—"
    return [
        {"label": "Recovered orders", "value": str(found.orders), "hint": ""},
        {"label": "Recovered revenue", "value": revenue, "hint": ""},
        {
            "label": "Reminders sent",
            "value": "—" if found.reminders is None else str(found.reminders),
            "hint": "" if found.reminders is not None else "Counted for the whole shop only",
        },
    ]


class RecoveredCartsState(AdminState):
    recovered: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)

    @rx.event
    async def load(self, start: str, end: str):  # type: ignore[no-untyped-def]
        actor = self.guard(SECTION)
        if actor is None:
            return None  # the page around the card answers refusals
        try:
            first, last = date.fromisoformat(str(start)), date.fromisoformat(str(end))
        except ValueError:
            self.recovered = []
            return None  # the page says what is wrong with its period
        try:
            found = await with_session(
                lambda session: commerce_area.recovered_orders(
                    session=session, actor=actor, start=first, end=last
                )
            )
        except DomainError:
            self.recovered = []
            return None
        self.recovered = recovered_kpis(found)
        return None


def recovered_carts_card(start: rx.Var[str], end: rx.Var[str]) -> rx.Component:
    """The card, for the period from ``start`` to ``end`` (ISO days, the page's vars)."""
    return rx.box(
        titled_card(
            "Recovered carts",
            HINT,
            kpi_grid(
                RecoveredCartsState.recovered,
                value_size="5",
                columns=rx.breakpoints(initial="1", sm="3"),
            ),
            id="recovered-carts-card",
        ),
        key=start + ":" + end,
        on_mount=RecoveredCartsState.load(start, end),  # type: ignore[operator]
        width="100%",
    )
