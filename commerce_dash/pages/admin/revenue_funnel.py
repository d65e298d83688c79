"""The funnel on the Revenue page (issue 20 part 5): course page views, cart adds, checkouts
started, payments started, paid and enrolled over the page's period and department, as
horizontal bars (plotly.js's basic bundle has no funnel trace), the conversion rates as KPIs and
the same numbers in a table (the chart's text alternative).

A card inside the Revenue page: the page hands it its period and department, and the card reads
again when they change. Its box's mount effect lists its key (the three) as a dependency:
Reflex wraps a box that uses state in a memo component holding its hooks, so the plain
``on_mount`` (an effect without dependencies) would run once, before the page has a period.
"""

from __future__ import annotations

from datetime import date

import plotly.graph_objects as go
import reflex as rx
from reflex.constants import EventTriggers
from reflex.utils.imports import ImportVar
from reflex.vars import LiteralVar, ObjectVar, Var, VarData
from reflex_components_radix.themes.layout.box import Box

from commerce_dash.components.admin_forms import note, only_if, titled_card
from commerce_dash.components.kpi import kpi_grid
from commerce_dash.components.tables import table_box
from commerce_dash.domain.errors import DomainError
from commerce_dash.services import revenue as revenue_area
from commerce_dash.state.admin import AdminState
from commerce_dash.state.offload import with_session
from commerce_dash.state.route_args import route_int

SECTION = "revenue"
HINT = (
    "Each stage counts courses (an order of two courses counts two). Page views and cart adds "
    "are stored about every minute; the other stages come from orders, payments and "
    "registrations. Programs are left out."
)
HEADERS = ["Stage", "Count", "From the stage before"]


def _percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f} %"


def funnel_rows(report: revenue_area.FunnelReport) -> list[dict[str, str]]:
    """One row per stage: its count and the share of the stage before that reached it."""
    rows: list[dict[str, str]] = []
    before: str | None = None
    for stage in report.stages:
        n = report.totals.get(stage, 0)
        rate = None
        if before is not None and report.totals.get(before):
            rate = n / report.totals[before]
        rows.append({"stage": stage, "label": revenue_area.STAGE_LABELS[stage],
                     "count": f"{n:,}", "rate": "—" if before is None else _percent(rate)})
        before = stage
    return rows


def funnel_kpis(report: revenue_area.FunnelReport) -> list[dict[str, str]]:
    rates = report.rates
    kpis = []
    for name, first, then in revenue_area.RATES:
        hint = f"{report.totals.get(then, 0):,} of {report.totals.get(first, 0):,}"
        kpis.append({"label": revenue_area.RATE_LABELS[name], "value": _percent(rates[name]),
                     "hint": hint})
    return kpis


class FunnelState(AdminState):
    funnel_rows: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    funnel_kpis: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    funnel_chart: go.Figure = go.Figure()
    funnel_problem: str = ""

    @rx.event
    async def load(self, start: str, end: str, department: str):  # type: ignore[no-untyped-def]
        actor = self.guard(SECTION)
        if actor is None:
            return None  # the page around the card answers refusals
        try:
            first, last = date.fromisoformat(str(start)), date.fromisoformat(str(end))
        except ValueError:
            self.funnel_rows, self.funnel_kpis = [], []
            return None  # the page says what is wrong with its period
        department_id = route_int(department)
        try:
            report = await with_session(
                lambda session: revenue_area.funnel_report(
                    session=session, actor=actor, start=first, end=last,
                    department_id=department_id,
                )
            )
        except DomainError as exc:
            self.funnel_rows, self.funnel_kpis = [], []
            self.funnel_problem = exc.message
            return None
        self.funnel_problem = ""
        self.funnel_rows = funnel_rows(report)
        self.funnel_kpis = funnel_kpis(report)
        self.funnel_chart = revenue_area.funnel_figure(report)
        return None


class _ReloadingBox(Box):
    """A box whose ``on_mount`` runs again whenever its ``key`` changes: an effect with the key
    as its dependency, added after the hooks of the vars it reads (a dependency list is read
    while rendering, so those must come first)."""

    def _get_mount_lifecycle_hook(self) -> str | None:
        return None  # replaced by the effect of add_hooks

    def add_hooks(self) -> list[str | Var]:
        on_mount = self.event_triggers.get(EventTriggers.ON_MOUNT)
        if on_mount is None or self.key is None:
            return []
        call = LiteralVar.create(on_mount)
        key = self.key if isinstance(self.key, Var) else LiteralVar.create(self.key)
        code = f"useEffect(() => {{ ({call!s})(); }}, [{key!s}]);"
        return [Var(_js_expr=code, _var_data=VarData.merge(
            call._get_all_var_data(), key._get_all_var_data(),
            VarData(imports={"react": [ImportVar(tag="useEffect")]})))]


def _row(row: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(row["label"], size="2", weight="medium")),
        rx.table.cell(rx.text(row["count"], size="2"), text_align="right"),
        rx.table.cell(rx.text(row["rate"], size="2"), text_align="right"),
        class_name="funnel-stage",
        data_stage=row["stage"],
    )


def funnel_card(start: rx.Var[str], end: rx.Var[str], department: rx.Var[str]
                ) -> rx.Component:
    """The card, for the page's period (ISO days) and department ("all" or an id)."""
    S = FunnelState
    return _ReloadingBox.create(
        titled_card(
            "Funnel",
            HINT,
            only_if(S.funnel_problem != "",
                    rx.callout(S.funnel_problem, icon="info", size="1", color_scheme="amber")),
            rx.text("Course items at each stage over the period", weight="medium", size="2",
                    id="funnel-chart-title"),
            rx.box(
                rx.plotly.basic(data=S.funnel_chart,
                                config={"displayModeBar": False, "responsive": True},
                                style={"width": "100%"}),
                width="100%",
                id="funnel-chart",
                aria_describedby="funnel-table",
            ),
            kpi_grid(S.funnel_kpis, value_size="5",
                     columns=rx.breakpoints(initial="2", md="3")),
            note("Conversion from each stage to the next, and from a page view to paid.",
                 size="1"),
            rx.box(
                table_box(HEADERS, S.funnel_rows, _row, size="1"),
                id="funnel-table",
                role="region",
                aria_label="Funnel figures by stage",
                width="100%",
            ),
            id="funnel-card",
        ),
        key=start + ":" + end + ":" + department,
        on_mount=FunnelState.load(start, end, department),  # type: ignore[operator]
        role="region",
        aria_label="Funnel",
        width="100%",
    )
