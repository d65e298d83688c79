"""The state of ``revenue.py`` (its view): what the page loads and its event handlers."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas  # noqa: F401  # imported with the app: the reports' first import held the event loop
import plotly.graph_objects as go
import reflex as rx
from sqlmodel import Session

from commerce_dash.components.display import money
from commerce_dash.db import session_scope
from commerce_dash.domain.access import RoleName
from commerce_dash.domain.actor import Actor
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.dates import when
from commerce_dash.domain.errors import DomainError
from commerce_dash.domain.ledger import percent_label
from commerce_dash.services import revenue as revenue_area
from commerce_dash.services.platform import department_options, managed_departments
from commerce_dash.services.revenue import PROBLEM_LABELS, Rate, Reconciliation, SubscriptionMetrics
from commerce_dash.state.admin import AdminState
from commerce_dash.state.offload import off_loop, with_session
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
NO_PLANS = "No subscribers or trials in these departments at the end of the period."
INTERVALS = {"monthly": "Monthly", "quarterly": "Quarterly", "annual": "Annual"}
# CAT-009: what a program's row counts, said on the page beside the table
PROGRAM_NOTE = (
    "A program's revenue is its bundle sales (every course of the bundle, less refunds). "
    "Courses bought on their own are in \"Courses sold on their own\", never counted twice."
)


def person_filter(value: str) -> dict[str, int]:
    """The report's person filter of the select's value: "creator:12" ->
    {"creator_id": 12}; "all" (or anything else) -> no filter."""
    role, _, number = value.partition(":")
    if role in ("creator", "instructor") and number.isdigit():
        return {f"{role}_id": int(number)}
    return {}


def _day(text: str, field: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise DomainError("invalid_date", "Dates look like 2026-11-22.", field=field) from None


def _percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f} %"


def report_row(row: revenue_area.ReportRow, currency: str) -> dict[str, str]:
    return {
        "key": row.key,
        "label": row.label,
        **{name: money(getattr(row, name), currency) for name in MONEY_FIELDS},
        "enrollments": str(row.enrollments),
        "completion": _percent(row.completion_rate),
        "negative": "yes" if row.net < 0 else "",
    }


def _kpis(result: revenue_area.RevenueReport) -> list[dict[str, str]]:
    t, cur = result.totals, result.currency
    return [
        {"label": "Gross sales", "value": money(t.gross, cur), "hint": "excluding tax"},
        {"label": "Refunds", "value": money(t.refunds, cur), "hint": "reversed in the ledger"},
        {"label": "Net revenue", "value": money(t.net, cur),
         "hint": f"after {money(t.fees, cur)} processor fees"},
        {"label": "Platform", "value": money(t.platform, cur), "hint": "share of net"},
        {"label": "Creators", "value": money(t.creator, cur), "hint": "share of net"},
        {"label": "Instructors", "value": money(t.instructor, cur), "hint": "share of net"},
        {"label": "Enrollments", "value": str(t.enrollments), "hint": "course seats sold"},
    ]


def _rate(rate: Rate) -> str:
    return "—" if rate.bps is None else percent_label(rate.bps)


def subscription_kpis(metrics: SubscriptionMetrics, currency: str) -> list[dict[str, str]]:
    """MRR (each currency), paying subscribers, trials converting and churn."""
    mrr = " · ".join(money(m.amount, m.currency) for m in metrics.mrr) or money(0, currency)
    trials, churn = metrics.trials_converting, metrics.churn
    return [
        {"label": "MRR", "value": mrr, "hint": "monthly recurring revenue, active and past due"},
        {"label": "Active subscribers", "value": str(metrics.subscribers),
         "hint": f"{metrics.past_due} past due · {metrics.trialing} trialing"},
        {"label": "Trials converting", "value": _rate(trials),
         "hint": f"{trials.count} of {trials.of} trials ended in the period"},
        {"label": "Churn", "value": _rate(churn),
         "hint": f"{churn.count} of {churn.of} subscribers at the start cancelled"},
    ]


def plan_rows(metrics: SubscriptionMetrics) -> list[dict[str, str]]:
    return [
        {"department": p.department, "interval": INTERVALS.get(p.interval, p.interval),
         "currency": p.currency, "subscribers": str(p.subscribers),
         "trialing": str(p.trialing), "mrr": money(p.mrr, p.currency)}
        for p in metrics.plans
    ]


def _recon_rows(result: Reconciliation) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    cur = result.currency
    days = [
        {"day": d.day.isoformat(), "captured": money(d.captured, cur),
         "ledger_sales": money(d.ledger_sales, cur), "refunded": money(d.refunded, cur),
         "ledger_reversals": money(d.ledger_reversals, cur), "orders": str(d.orders_count),
         "mismatch": "yes" if d.mismatch else ""}
        for d in result.days
    ]
    problems = [
        {"kind": PROBLEM_LABELS.get(p.kind, p.kind), "reference": p.reference,
         "detail": p.detail, "amount": money(p.amount, cur),
         "at": when(p.at)}
        for p in result.problems
    ]
    return days, problems


# what the page shows of a report: the report, the reconciliation (billing admins), the
# subscription figures and the three charts
_Read = tuple[revenue_area.RevenueReport, Reconciliation | None, SubscriptionMetrics,
              dict[str, go.Figure]]


def _read_report(session: Session, actor: Actor | None, *, group_by: str, start: date,
                 end: date, department: int | None, person: dict[str, int],
                 reconcile: bool) -> _Read:
    """The report the page asks for and its charts (any thread: touches no state)."""
    result = revenue_area.report(
        session=session, actor=actor, group_by=group_by,  # type: ignore[arg-type]
        start=start, end=end, department_id=department, **person,  # type: ignore[arg-type]
    )
    recon = (revenue_area.reconciliation(session=session, actor=actor, start=start, end=end)
             if reconcile else None)
    subscriptions = revenue_area.subscription_figures(
        session=session, actor=actor, start=start, end=end, department_id=department)
    return result, recon, subscriptions, revenue_area.figures(result)


class RevenueState(AdminState):
    preset: str = "last_30_days"
    start: str = ""
    end: str = ""
    group_by: str = "course"
    department: str = ALL
    departments: list[dict[str, str]] = []
    person: str = ALL  # "all", "creator:<id>" or "instructor:<id>"
    people: list[dict[str, str]] = []

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

    sub_kpis: list[dict[str, str]] = []
    sub_plans: list[dict[str, str]] = []

    # the report on screen: the exports write exactly this, never a fresh query
    _report: revenue_area.RevenueReport | None = None

    def _asked(self) -> dict[str, Any]:
        """The report the filters ask for, as ``_read_report`` takes it (a DomainError for a
        date that is no day)."""
        return {"group_by": self.group_by, "start": _day(self.start, "start"),
                "end": _day(self.end, "end"),
                "department": route_int(self.department),  # "all" (or no id): every one
                "person": person_filter(self.person), "reconcile": self.can_reconcile}

    def _show(self, read: _Read) -> None:
        result, recon, subscriptions, charts = read
        self._report = result
        self.currency = result.currency
        self.group_label = revenue_area.GROUP_LABELS[result.group_by]
        self.show_completion = result.show_completion
        self.kpis = _kpis(result)
        self.rows = [report_row(r, result.currency) for r in result.rows]
        self.totals = report_row(result.totals, result.currency)
        self.other_currencies = ", ".join(result.other_currencies)
        self.sub_kpis = subscription_kpis(subscriptions, result.currency)
        self.sub_plans = plan_rows(subscriptions)
        self.over_time, self.top, self.split = charts["over_time"], charts["top"], charts["split"]
        if recon is not None:
            self.recon_days, self.recon_problems = _recon_rows(recon)
            self.recon_summary = (
                RECONCILED if recon.reconciles else
                f"{recon.mismatched_days} day(s) differ from the ledger; "
                f"{len(recon.problems)} item(s) to look at"
                + (" (the first 100 of each kind)." if recon.truncated else ".")
            )

    def _fetch(self) -> None:
        actor, asked = self.current_actor(), self._asked()
        with session_scope() as session:
            read = _read_report(session, actor, **asked)
        self._show(read)

    async def _refetch(self):  # type: ignore[no-untyped-def]
        """The report for the filters, read and charted in a worker thread (a report over a
        long period takes a while: never on the event loop); an error toast or None."""
        try:
            asked = self._asked()
            actor = await self.actor_off_loop()
            self._show(await with_session(lambda s: _read_report(s, actor, **asked)))
        except DomainError as exc:
            return rx.toast.error(exc.message)
        return None

    @rx.event
    async def load(self):  # type: ignore[no-untyped-def]
        actor = await self.guard_off_loop(SECTION)
        if actor is None:
            return self.refused()
        self.can_reconcile = actor.is_super_admin or RoleName.BILLING_ADMIN in actor.roles
        if not self.start or not self.end:
            self._apply_preset(self.preset)
        try:
            asked: dict[str, Any] | DomainError = self._asked()
        except DomainError as exc:
            asked = exc

        def work(session: Session) -> tuple[Any, Any, _Read | DomainError]:
            # the filters' choices, then the report: one worker-thread hop
            allowed = managed_departments(session=session, actor=actor, section=SECTION)
            departments = department_options(session=session, within=allowed)
            people = revenue_area.people_options(session=session, actor=actor)
            if isinstance(asked, DomainError):
                return departments, people, asked
            try:
                return departments, people, _read_report(session, actor, **asked)
            except DomainError as exc:
                return departments, people, exc

        try:
            departments, people, read = await with_session(work)
        except DomainError as exc:
            return rx.toast.error(exc.message)
        self.departments = [{"id": str(i), "label": label} for i, label in departments]
        self.people = [{"id": value, "label": label} for value, label in people]
        if isinstance(read, DomainError):
            return rx.toast.error(read.message)
        self._show(read)
        return None

    def _apply_preset(self, preset: str) -> None:
        self.preset = preset if preset in revenue_area.PRESETS else "last_30_days"
        start, end = revenue_area.period_for(self.preset, utcnow().date())
        self.start, self.end = start.isoformat(), end.isoformat()

    @rx.event
    async def set_preset(self, value: str):  # type: ignore[no-untyped-def]
        if value == "custom":
            self.preset = value
            return None
        self._apply_preset(value)
        return await self._refetch()

    @rx.event
    async def set_start(self, value: str):  # type: ignore[no-untyped-def]
        self.start, self.preset = value, "custom"
        return await self._refetch() if value and self.end else None

    @rx.event
    async def set_end(self, value: str):  # type: ignore[no-untyped-def]
        self.end, self.preset = value, "custom"
        return await self._refetch() if value and self.start else None

    @rx.event
    async def set_group_by(self, value: str | list[str]):  # type: ignore[no-untyped-def]
        chosen = value[0] if isinstance(value, list) and value else value
        if isinstance(chosen, str) and chosen in revenue_area.GROUPINGS:
            self.group_by = chosen
        return await self._refetch()

    @rx.event
    async def set_department(self, value: str):  # type: ignore[no-untyped-def]
        self.department = value
        return await self._refetch()

    @rx.event
    async def set_person(self, value: str):  # type: ignore[no-untyped-def]
        self.person = value if person_filter(value) else ALL
        return await self._refetch()

    @rx.event
    async def refresh(self):  # type: ignore[no-untyped-def]
        return await self._refetch() or rx.toast.success("Figures refreshed.")

    @rx.event
    async def export_csv(self):  # type: ignore[no-untyped-def]
        return await self._export("csv")

    @rx.event
    async def export_xlsx(self):  # type: ignore[no-untyped-def]
        return await self._export("xlsx")

    async def _export(self, file_format: str):  # type: ignore[no-untyped-def]
        """The report on screen as a file, written off the event loop (an XLSX of a long
        report takes a moment), named after its grouping, period, filters and currency."""
        report = self._report
        if report is None:
            return rx.toast.info("Load a report first.")
        write = revenue_area.to_csv if file_format == "csv" else revenue_area.to_xlsx
        data = await off_loop(lambda: write(report))
        return rx.download(data=data, mime_type="text/csv" if file_format == "csv" else XLSX,
                           filename=revenue_area.export_name(report, file_format))


# -- components -------------------------------------------------------------------------------
