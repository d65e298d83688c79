"""Revenue reports (billing admins: every department; dept-admins: theirs): a period, a grouping
and a department filter; KPIs, charts, the server-aggregated table with its totals, CSV / XLSX
exports of exactly that table, and the reconciliation for billing and super-admins."""

from __future__ import annotations

from datetime import date

import plotly.graph_objects as go
import reflex as rx
from reflex.vars import ObjectVar

from commerce_dash.components.shell import admin_shell
from commerce_dash.components.tables import empty_state
from commerce_dash.db import session_scope
from commerce_dash.domain.access import RoleName
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.errors import DomainError
from commerce_dash.domain.money import format_minor
from commerce_dash.pages.admin.payouts import payouts_card
from commerce_dash.services.platform.org import department_options, managed_departments
from commerce_dash.services.revenue import revenue_charts
from commerce_dash.services.revenue import revenue_exports as exports
from commerce_dash.services.revenue import revenue_reports as reports
from commerce_dash.services.revenue.revenue_reconciliation import PROBLEM_LABELS, Reconciliation
from commerce_dash.settings import get_settings
from commerce_dash.state.admin import AdminState
from commerce_dash.state.route_args import route_int

SECTION = "revenue"
ALL = "all"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MONEY_FIELDS = ("gross", "refunds", "fees", "net", "platform", "creator", "instructor")
NO_REVENUE = (
    "chart-column",
    "No revenue in this period",
    "Sales and refunds appear here once orders complete. Pick a longer period or another "
    "department.",
)
RECONCILED = "Everything reconciles for this period."


def _day(text: str, field: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise DomainError("invalid_date", "Dates look like 2026-11-22.", field=field) from None


def _money(amount: int, currency: str) -> str:
    return format_minor(amount, currency, get_settings().default_locale)


def _percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f} %"


def report_row(row: reports.ReportRow, currency: str) -> dict[str, str]:
    return {
        "key": row.key,
        "label": row.label,
        **{name: _money(getattr(row, name), currency) for name in MONEY_FIELDS},
        "enrollments": str(row.enrollments),
        "completion": _percent(row.completion_rate),
        "negative": "yes" if row.net < 0 else "",
    }


def _kpis(result: reports.RevenueReport) -> list[dict[str, str]]:
    t, cur = result.totals, result.currency
    return [
        {"label": "Gross sales", "value": _money(t.gross, cur), "hint": "excluding tax"},
        {"label": "Refunds", "value": _money(t.refunds, cur), "hint": "reversed in the ledger"},
        {"label": "Net revenue", "value": _money(t.net, cur),
         "hint": f"after {_money(t.fees, cur)} processor fees"},
        {"label": "Platform", "value": _money(t.platform, cur), "hint": "share of net"},
        {"label": "Creators", "value": _money(t.creator, cur), "hint": "share of net"},
        {"label": "Instructors", "value": _money(t.instructor, cur), "hint": "share of net"},
        {"label": "Enrollments", "value": str(t.enrollments), "hint": "course seats sold"},
    ]


def _recon_rows(result: Reconciliation) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    cur = result.currency
    days = [
        {"day": d.day.isoformat(), "captured": _money(d.captured, cur),
         "ledger_sales": _money(d.ledger_sales, cur), "refunded": _money(d.refunded, cur),
         "ledger_reversals": _money(d.ledger_reversals, cur), "orders": str(d.orders_count),
         "mismatch": "yes" if d.mismatch else ""}
        for d in result.days
    ]
    problems = [
        {"kind": PROBLEM_LABELS.get(p.kind, p.kind), "reference": p.reference,
         "detail": p.detail, "amount": _money(p.amount, cur),
         "at": p.at.strftime("%Y-%m-%d %H:%M") if p.at else ""}
        for p in result.problems
    ]
    return days, problems


class RevenueState(AdminState):
    preset: str = "last_30_days"
    start: str = ""
    end: str = ""
    group_by: str = "course"
    department: str = ALL
    departments: list[dict[str, str]] = []

    currency: str = ""
    group_label: str = "Course"
    show_completion: bool = True
    kpis: list[dict[str, str]] = []
    rows: list[dict[str, str]] = []
    totals: dict[str, str] = {}
    other_currencies: str = ""
    over_time: go.Figure = go.Figure()
    top: go.Figure = go.Figure()
    split: go.Figure = go.Figure()

    can_reconcile: bool = False
    recon_days: list[dict[str, str]] = []
    recon_problems: list[dict[str, str]] = []
    recon_summary: str = ""

    # the report on screen: the exports write exactly this, never a fresh query
    _report: reports.RevenueReport | None = None

    def _fetch(self) -> None:
        actor = self.current_actor()
        start, end = _day(self.start, "start"), _day(self.end, "end")
        department = route_int(self.department)  # "all" (or no id): every department
        with session_scope() as session:
            result = reports.report(
                session=session, actor=actor, group_by=self.group_by,  # type: ignore[arg-type]
                start=start, end=end, department_id=department,
            )
            recon = (reports.reconciliation(session=session, actor=actor, start=start, end=end)
                     if self.can_reconcile else None)
        self._report = result
        self.currency = result.currency
        self.group_label = exports.GROUP_LABELS[result.group_by]
        self.show_completion = result.show_completion
        self.kpis = _kpis(result)
        self.rows = [report_row(r, result.currency) for r in result.rows]
        self.totals = report_row(result.totals, result.currency)
        self.other_currencies = ", ".join(result.other_currencies)
        charts = revenue_charts.figures(result)
        self.over_time, self.top, self.split = charts["over_time"], charts["top"], charts["split"]
        if recon is not None:
            self.recon_days, self.recon_problems = _recon_rows(recon)
            self.recon_summary = (
                RECONCILED if recon.reconciles else
                f"{recon.mismatched_days} day(s) differ from the ledger; "
                f"{len(recon.problems)} item(s) to look at"
                + (" (the first 100 of each kind)." if recon.truncated else ".")
            )

    def _refetch(self):  # type: ignore[no-untyped-def]
        try:
            self._fetch()
        except DomainError as exc:
            return rx.toast.error(exc.message)
        return None

    @rx.event
    def load(self):  # type: ignore[no-untyped-def]
        actor = self.guard(SECTION)
        if actor is None:
            return self.refused()
        self.can_reconcile = actor.is_super_admin or RoleName.BILLING_ADMIN in actor.roles
        if not self.start or not self.end:
            self._apply_preset(self.preset)
        try:
            with session_scope() as session:
                allowed = managed_departments(session=session, actor=actor, section=SECTION)
                self.departments = [{"id": str(i), "label": label} for i, label in
                                    department_options(session=session, within=allowed)]
        except DomainError as exc:
            return rx.toast.error(exc.message)
        return self._refetch()

    def _apply_preset(self, preset: str) -> None:
        self.preset = preset if preset in reports.PRESETS else "last_30_days"
        start, end = reports.period_for(self.preset, utcnow().date())
        self.start, self.end = start.isoformat(), end.isoformat()

    @rx.event
    def set_preset(self, value: str):  # type: ignore[no-untyped-def]
        if value == "custom":
            self.preset = value
            return None
        self._apply_preset(value)
        return self._refetch()

    @rx.event
    def set_start(self, value: str):  # type: ignore[no-untyped-def]
        self.start, self.preset = value, "custom"
        return self._refetch() if value and self.end else None

    @rx.event
    def set_end(self, value: str):  # type: ignore[no-untyped-def]
        self.end, self.preset = value, "custom"
        return self._refetch() if value and self.start else None

    @rx.event
    def set_group_by(self, value: str | list[str]):  # type: ignore[no-untyped-def]
        chosen = value[0] if isinstance(value, list) and value else value
        if isinstance(chosen, str) and chosen in reports.GROUPINGS:
            self.group_by = chosen
        return self._refetch()

    @rx.event
    def set_department(self, value: str):  # type: ignore[no-untyped-def]
        self.department = value
        return self._refetch()

    @rx.event
    def refresh(self):  # type: ignore[no-untyped-def]
        error = self._refetch()
        return error if error is not None else rx.toast.success("Figures refreshed.")

    @rx.event
    def export_csv(self):  # type: ignore[no-untyped-def]
        if self._report is None:
            return rx.toast.info("Load a report first.")
        return rx.download(data=exports.to_csv(self._report), mime_type="text/csv",
                           filename=exports.export_name(self._report, "csv"))

    @rx.event
    def export_xlsx(self):  # type: ignore[no-untyped-def]
        if self._report is None:
            return rx.toast.info("Load a report first.")
        return rx.download(data=exports.to_xlsx(self._report), mime_type=XLSX,
                           filename=exports.export_name(self._report, "xlsx"))


# -- components -------------------------------------------------------------------------------

S = RevenueState


def _controls() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.select.root(
                rx.select.trigger(aria_label="Period", id="revenue-preset"),
                rx.select.content(*[rx.select.item(label, value=key)
                                    for key, label in reports.PRESETS.items()]),
                value=S.preset,
                on_change=S.set_preset,
            ),
            rx.input(type="date", value=S.start, on_change=S.set_start, id="revenue-start",
                     aria_label="First day"),
            rx.text("to", size="2"),
            rx.input(type="date", value=S.end, on_change=S.set_end, id="revenue-end",
                     aria_label="Last day"),
            rx.select.root(
                rx.select.trigger(aria_label="Department", max_width="18em",
                                  id="revenue-department"),
                rx.select.content(
                    rx.select.item("All my departments", value=ALL),
                    rx.foreach(S.departments,
                               lambda d: rx.select.item(d["label"], value=d["id"])),
                ),
                value=S.department,
                on_change=S.set_department,
            ),
            rx.spacer(),
            rx.button(rx.icon("rotate-cw", size=16), "Refresh", variant="soft",
                      on_click=S.refresh),
            rx.button(rx.icon("file-text", size=16), "Export CSV", variant="soft",
                      on_click=S.export_csv, id="export-csv"),
            rx.button(rx.icon("sheet", size=16), "Export XLSX", variant="soft",
                      on_click=S.export_xlsx, id="export-xlsx"),
            align="center",
            spacing="3",
            wrap="wrap",
            width="100%",
        ),
        rx.hstack(
            rx.text("Group by", size="2", color_scheme="gray"),
            rx.segmented_control.root(
                *[rx.segmented_control.item(label, value=key)
                  for key, label in exports.GROUP_LABELS.items()],
                value=S.group_by,
                on_change=S.set_group_by,
                id="revenue-group",
            ),
            align="center",
            spacing="3",
            wrap="wrap",
        ),
        rx.cond(
            S.other_currencies != "",
            rx.callout(
                rx.text("Ledger rows in ", S.other_currencies, " are not included: this "
                        "report is in ", S.currency, "."),
                icon="info", size="1", color_scheme="amber",
            ),
            rx.fragment(),
        ),
        spacing="3",
        width="100%",
    )


def _kpi(item: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.text(item["label"], size="2", color_scheme="gray"),
            rx.heading(item["value"], size="6", class_name="kpi-value"),
            rx.text(item["hint"], size="1", color_scheme="gray"),
            spacing="1",
            align="start",
        ),
        data_kpi=item["label"],
    )


def _chart(title: str, figure: rx.Var, chart_id: str) -> rx.Component:
    return rx.card(
        rx.text(title, weight="medium", size="2"),
        rx.plotly(data=figure, config={"displayModeBar": False, "responsive": True}),
        width="100%",
        id=chart_id,
    )


def _charts() -> rx.Component:
    return rx.vstack(
        _chart("Revenue over time", S.over_time, "revenue-over-time"),
        rx.grid(
            _chart("Top 10 by net revenue", S.top, "revenue-top"),
            _chart("Split of net revenue", S.split, "revenue-split"),
            columns=rx.breakpoints(initial="1", md="2"),
            spacing="3",
            width="100%",
        ),
        spacing="3",
        width="100%",
    )


def _cells(row: ObjectVar[dict[str, str]], strong: bool = False) -> list[rx.Component]:
    weight = "bold" if strong else "regular"
    cells = [rx.table.cell(rx.text(row["label"], size="2", weight="bold" if strong else
                                   "medium"))]
    cells += [rx.table.cell(rx.text(row[name], size="2", weight=weight), text_align="right",
                            white_space="nowrap")
              for name in (*MONEY_FIELDS, "enrollments")]
    cells.append(rx.cond(S.show_completion,
                         rx.table.cell(rx.text(row["completion"], size="2", weight=weight),
                                       text_align="right"),
                         rx.fragment()))
    return cells


def _row(row: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.table.row(*_cells(row), class_name="revenue-row", data_key=row["key"],
                        background=rx.cond(row["negative"] == "yes", rx.color("red", 2),
                                           "transparent"))


def _table() -> rx.Component:
    headers = ["Gross", "Refunds", "Fees", "Net", "Platform", "Creator", "Instructor",
               "Enrollments"]
    return rx.card(
        rx.cond(
            S.rows.length() > 0,
            rx.box(
                rx.table.root(
                    rx.table.header(rx.table.row(
                        rx.table.column_header_cell(S.group_label),
                        *[rx.table.column_header_cell(h, text_align="right") for h in headers],
                        rx.cond(S.show_completion,
                                rx.table.column_header_cell("Completion", text_align="right"),
                                rx.fragment()),
                    )),
                    rx.table.body(
                        rx.foreach(S.rows, _row),
                        rx.table.row(*_cells(S.totals, strong=True), id="revenue-totals",
                                     background=rx.color("gray", 3)),
                    ),
                    width="100%",
                    size="2",
                ),
                overflow_x="auto",
                width="100%",
            ),
            empty_state(*NO_REVENUE),
        ),
        width="100%",
        id="revenue-table",
    )


def _recon_day(day: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.hstack(
            rx.text(day["day"], size="2", white_space="nowrap"),
            rx.cond(day["mismatch"] == "yes",
                    rx.badge("Mismatch", color_scheme="red", variant="soft"), rx.fragment()),
            spacing="2", align="center")),
        *[rx.table.cell(rx.text(day[name], size="2"), text_align="right")
          for name in ("captured", "ledger_sales", "refunded", "ledger_reversals", "orders")],
        class_name="reconciliation-day",
        data_day=day["day"],
        data_mismatch=day["mismatch"],
        background=rx.cond(day["mismatch"] == "yes", rx.color("red", 3), "transparent"),
    )


def _problem(item: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.badge(item["kind"], color_scheme="amber", variant="soft")),
        rx.table.cell(rx.text(item["reference"], size="2", weight="medium")),
        rx.table.cell(rx.text(item["detail"], size="2")),
        rx.table.cell(rx.text(item["amount"], size="2"), text_align="right"),
        rx.table.cell(rx.text(item["at"], size="1", color_scheme="gray")),
        class_name="reconciliation-problem",
    )


def _small_table(headers: list[str], rows: rx.Var, render, first_left: int = 1  # type: ignore[no-untyped-def]
                 ) -> rx.Component:
    return rx.box(
        rx.table.root(
            rx.table.header(rx.table.row(*[
                rx.table.column_header_cell(h, text_align="left" if i < first_left else "right")
                for i, h in enumerate(headers)])),
            rx.table.body(rx.foreach(rows, render)),
            size="1",
            width="100%",
        ),
        max_height="24em",
        overflow_y="auto",
        width="100%",
    )


def _reconciliation() -> rx.Component:
    return rx.cond(
        S.can_reconcile,
        rx.card(
            rx.vstack(
                rx.heading("Reconciliation", size="4"),
                rx.text("Per UTC day: what the processor captured and refunded against the "
                        "ledger's sales and reversals (gross + tax).", size="2",
                        color_scheme="gray"),
                rx.cond(
                    (S.recon_days.length() == 0) & (S.recon_problems.length() == 0),
                    rx.callout(RECONCILED, icon="circle-check", color_scheme="green",
                               id="reconciliation-ok"),
                    rx.vstack(
                        rx.text(S.recon_summary, size="2", weight="medium"),
                        _small_table(["Day", "Captured", "Ledger sales", "Refunded",
                                      "Ledger reversals", "Orders"], S.recon_days, _recon_day),
                        rx.cond(
                            S.recon_problems.length() > 0,
                            _small_table(["Problem", "Reference", "Details", "Amount", "When"],
                                         S.recon_problems, _problem, first_left=3),
                            rx.fragment(),
                        ),
                        spacing="3",
                        width="100%",
                    ),
                ),
                spacing="3",
                width="100%",
            ),
            width="100%",
            id="reconciliation-card",
        ),
        rx.fragment(),
    )


def more_revenue_cards() -> rx.Component:
    """Further revenue cards below the report: the payout sync."""
    return payouts_card()


def revenue_page() -> rx.Component:
    return admin_shell(
        SECTION,
        "Revenue",
        _controls(),
        rx.grid(
            rx.foreach(S.kpis, _kpi),
            columns=rx.breakpoints(initial="2", sm="3", lg="4"),
            spacing="3",
            width="100%",
        ),
        _charts(),
        _table(),
        _reconciliation(),
        more_revenue_cards(),
    )
