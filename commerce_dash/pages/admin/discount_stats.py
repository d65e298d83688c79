"""The usage figures of one discount code: totals and a chart of uses per day."""

from __future__ import annotations

from datetime import date, timedelta

import plotly.graph_objects as go
import reflex as rx

from commerce_dash.components.admin_forms import close_row, note
from commerce_dash.components.dialogs import dialog
from commerce_dash.domain.money import format_minor
from commerce_dash.pages.admin.service_calls import attempt
from commerce_dash.services import catalog as catalog_area
from commerce_dash.settings import get_settings
from commerce_dash.state.admin import AdminState
from commerce_dash.state.route_args import route_int
from commerce_dash.state.setters import value_setter

NO_USES = "No uses yet — the chart fills as orders use this code"


def uses_figure(uses_by_day: list[tuple[date, int]]) -> go.Figure:
    """Bars per UTC day; days without uses are drawn as zero so gaps read as gaps."""
    counts = dict(uses_by_day)
    first, last = min(counts), max(counts)
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    figure = go.Figure(
        go.Bar(x=[d.isoformat() for d in days], y=[counts.get(d, 0) for d in days], name="Uses")
    )
    figure.update_layout(
        # An empty template keeps the state small; rx.plotly adds the light/dark theme.
        template=go.layout.Template(),
        height=260,
        margin={"l": 40, "r": 10, "t": 10, "b": 40},
        xaxis={"type": "date", "tickformat": "%b %d"},
        yaxis={"title": {"text": "Uses"}, "rangemode": "tozero", "tickformat": "d"},
        bargap=0.2,
    )
    return figure


class DiscountStatsState(AdminState):
    stats_open: bool = False
    code: str = ""
    uses: str = "0"
    revenue: str = ""
    given: str = ""
    has_uses: bool = False
    figure: go.Figure = go.Figure()

    @rx.event
    def open_stats(self, code_id: str, code: str):  # type: ignore[no-untyped-def]
        stats, refused = attempt(
            self, catalog_area.code_stats, code_id=route_int(code_id) or 0  # 0: not found
        )
        if stats is None:
            return refused
        locale = get_settings().default_locale
        self.code = code
        self.uses = str(stats.uses)
        self.revenue = format_minor(stats.revenue_affected, stats.currency, locale)
        self.given = format_minor(stats.discount_given, stats.currency, locale)
        self.has_uses = bool(stats.uses_by_day)
        self.figure = uses_figure(stats.uses_by_day) if stats.uses_by_day else go.Figure()
        self.stats_open = True
        return None

    set_stats_open = value_setter("stats_open", bool)


def _figure_card(label: str, value: rx.Var[str]) -> rx.Component:
    return rx.card(
        note(label),
        rx.text(value, size="4", weight="bold"),
        flex="1 1 140px",
    )


def stats_dialog() -> rx.Component:
    """The dialog the Stats button of a code row opens."""
    return dialog(
        ("Usage of ", rx.code(DiscountStatsState.code)),
        "How often the code was used and the revenue it touched.",
        rx.vstack(
            rx.hstack(
                _figure_card("Uses", DiscountStatsState.uses),
                _figure_card("Revenue affected", DiscountStatsState.revenue),
                _figure_card("Discount given", DiscountStatsState.given),
                wrap="wrap",
                width="100%",
            ),
            rx.cond(
                DiscountStatsState.has_uses,
                rx.box(
                    rx.plotly.basic(
                        data=DiscountStatsState.figure,
                        config={"displayModeBar": False, "responsive": True},
                    ),
                    width="100%",
                    id="code-stats-chart",
                ),
                rx.center(
                    note(NO_USES, size="2", text_align="center"),
                    padding="2em 1em",
                    width="100%",
                    id="code-stats-empty",
                ),
            ),
            close_row(),
            spacing="3",
        ),
        max_width="560px",
        tall=True,
        id="code-stats",
        open=DiscountStatsState.stats_open,
        on_open_change=DiscountStatsState.set_stats_open,
    )
