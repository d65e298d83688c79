"""Revenue reports over the API: the admin report of the revenue page as JSON, CSV or XLSX,
its reconciliation, its subscription metrics, its funnel and the orders and payments export for
accounting; also what the spec's v1 twins (``api.revenue_v1``) share with them:
the period arguments and the caller's section.

Amounts are integers in minor units of ``currency``; days are UTC days, ``end`` inclusive; the
period defaults to the last 30 days. Department admins see their departments only: a course
outside them is 404.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import Field
from sqlmodel import Session

from commerce_dash.api.deps import DbSession, IdPath, OptionalIdQuery, section_guard
from commerce_dash.api.schemas import DateIn, Day, Out, Timestamp, binary, day_start, iso, mirror
from commerce_dash.domain.actor import Actor
from commerce_dash.domain.clock import utcnow
from commerce_dash.services import commerce as commerce_area
from commerce_dash.services import revenue as revenue_area
from commerce_dash.services.revenue import RevenueReport

router = APIRouter(tags=["revenue"])

RevenueActor = Annotated[Actor, section_guard("revenue")]
# reconciliation spans every department: billing admins (the orders section) and super-admins
BillingActor = Annotated[Actor, section_guard("orders")]
Id = IdPath
Start = Annotated[DateIn | None, Query(description="First day, inclusive (UTC); default: 29 "
                                                  "days before end")]
End = Annotated[DateIn | None, Query(description="Last day, inclusive (UTC); default: today")]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class PeriodOut(Out):
    start: Day
    end: Day


class ReportRowOut(mirror(revenue_area.ReportRow)):  # type: ignore[misc]
    pass


class SeriesPointOut(mirror(revenue_area.SeriesPoint)):  # type: ignore[misc]
    pass


class SeriesOut(Out):
    unit: str = Field(description="day or month")
    points: list[SeriesPointOut]


class SplitOut(Out):
    recipient: str
    amount: int


class RevenueReportOut(Out):
    group_by: str
    period: PeriodOut
    currency: str
    department_id: int | None
    course_id: int | None
    creator_id: int | None = Field(default=None, description="Only this creator's courses")
    instructor_id: int | None = Field(default=None,
                                      description="Only this instructor's courses")
    rows: list[ReportRowOut]
    totals: ReportRowOut
    series: SeriesOut
    split: list[SplitOut]
    other_currencies: list[str] = Field(
        description="Currencies of sales left out of these figures")


class ReconciledDayOut(mirror(revenue_area.DayFigures)):  # type: ignore[misc]
    day: Day
    mismatch: bool


class ProblemOut(mirror(revenue_area.Problem)):  # type: ignore[misc]
    at: Timestamp | None


class CurrencyAmountOut(mirror(revenue_area.CurrencyAmount)):  # type: ignore[misc]
    pass


class RateOut(mirror(revenue_area.Rate)):  # type: ignore[misc]
    bps: int | None = Field(description="count / of in basis points (half to even); null "
                            "when of is 0")


class PlanRowOut(mirror(revenue_area.PlanRow)):  # type: ignore[misc]
    pass


class SubscriptionMetricsOut(mirror(revenue_area.SubscriptionMetrics,  # type: ignore[misc]
                                    exclude=("start", "end"))):
    at: Timestamp
    mrr: list[CurrencyAmountOut] = Field(
        description="Monthly recurring revenue per currency, minor units")
    trials_converting: RateOut
    churn: RateOut
    plans: list[PlanRowOut]
    period: PeriodOut


class ReconciliationOut(Out):
    period: PeriodOut
    currency: str
    reconciles: bool
    days: list[ReconciledDayOut]
    problems: list[ProblemOut]
    truncated: bool


class FunnelCountsOut(Out):
    view: int = Field(description="Course page views")
    cart: int = Field(description="Courses added to a cart")
    checkout: int = Field(description="Course lines of orders created")
    payment: int = Field(description="Course lines of orders whose payment was created")
    paid: int = Field(description="Course lines of orders completed")
    enrolled: int = Field(description="Registrations for courses bought on their own")


class FunnelRatesOut(Out):
    view_to_cart: float | None
    cart_to_checkout: float | None
    checkout_to_payment: float | None
    payment_to_paid: float | None
    paid_to_enrolled: float | None
    view_to_paid: float | None


class FunnelDayOut(Out):
    day: Day
    counts: FunnelCountsOut
    rates: FunnelRatesOut


class FunnelOut(Out):
    period: PeriodOut
    department_id: int | None
    course_id: int | None
    totals: FunnelCountsOut
    rates: FunnelRatesOut = Field(description="Share of the first stage that reached the "
                                  "second (4 decimals); null when the first is 0")
    days: list[FunnelDayOut]


def period(start: date | None, end: date | None) -> tuple[date, date]:
    """The report's first and last day: the ``Start``/``End`` arguments or their defaults."""
    end = end or utcnow().date()
    return start or end - timedelta(days=29), end


def period_out(start: date, end: date) -> dict[str, str]:
    """The ``PeriodOut`` body of a period."""
    return {"start": start.isoformat(), "end": end.isoformat()}


def run_report(session: Session, actor: Actor, group_by: revenue_area.GroupBy, start: date,
               end: date, **filters: Any) -> RevenueReport:
    return revenue_area.report(session=session, actor=actor, group_by=group_by, start=start,
                               end=end, **filters)


# -- v2: the admin report of the revenue page ---------------------------------------------------


@router.get("/api/v2/admin/revenue/report", tags=["admin"], response_model=RevenueReportOut,
            responses={200: binary("text/csv", XLSX, description="The report as JSON, or "
                                   "with ``format=csv|xlsx`` as a file")})
def revenue_report(
    actor: RevenueActor,
    session: DbSession,
    group_by: Annotated[revenue_area.GroupBy, Query()] = "course",
    start: Start = None,
    end: End = None,
    department_id: OptionalIdQuery = None,
    course_id: OptionalIdQuery = None,
    creator_id: OptionalIdQuery = None,
    instructor_id: OptionalIdQuery = None,
    file_format: Annotated[Literal["json", "csv", "xlsx"], Query(alias="format")] = "json",
) -> dict[str, Any] | Response:
    """The revenue page's table (rows, totals), series and split; ``format=csv|xlsx`` gives
    the same rows and totals as a file, named after the grouping, period, filters and
    currency. ``group_by=program``: a program's bundle sales (courses bought on their own are
    one row of their own); ``creator_id`` / ``instructor_id``: one person's courses only."""
    first, last = period(start, end)
    result = run_report(session, actor, group_by, first, last, department_id=department_id,
                        course_id=course_id, creator_id=creator_id,
                        instructor_id=instructor_id)
    if file_format != "json":
        csv = file_format == "csv"
        data = revenue_area.to_csv(result) if csv else revenue_area.to_xlsx(result)
        return Response(
            content=data,
            media_type="text/csv; charset=utf-8" if csv else XLSX,
            headers={"Content-Disposition":
                     f'attachment; filename="{revenue_area.export_name(result, file_format)}"'},
        )
    return {
        "group_by": result.group_by,
        "period": period_out(first, last),
        "currency": result.currency,
        "department_id": result.department_id,
        "course_id": result.course_id,
        "creator_id": result.creator_id,
        "instructor_id": result.instructor_id,
        "rows": [asdict(r) for r in result.rows],
        "totals": asdict(result.totals),
        "series": {"unit": result.series_unit,
                   "points": [asdict(p) for p in result.series]},
        "split": [{"recipient": label, "amount": amount} for label, amount in result.split],
        "other_currencies": list(result.other_currencies),
    }


@router.get("/api/v2/admin/revenue/reconciliation", tags=["admin"],
            response_model=ReconciliationOut)
def revenue_reconciliation(
    actor: BillingActor, session: DbSession, start: Start = None, end: End = None
) -> dict[str, Any]:
    """Processor against ledger per UTC day, and the itemised gaps (billing, super-admins)."""
    first, last = period(start, end)
    result = revenue_area.reconciliation(session=session, actor=actor, start=first, end=last)
    return {
        "period": period_out(first, last),
        "currency": result.currency,
        "reconciles": result.reconciles,
        "days": [{**asdict(d), "day": d.day.isoformat(), "mismatch": d.mismatch}
                 for d in result.days],
        "problems": [{**asdict(p), "at": iso(p.at)}
                     for p in result.problems],
        "truncated": result.truncated,
    }


@router.get("/api/v2/admin/revenue/subscriptions", tags=["admin"],
            response_model=SubscriptionMetricsOut)
def revenue_subscriptions(
    actor: RevenueActor, session: DbSession, start: Start = None, end: End = None,
    department_id: OptionalIdQuery = None,
) -> dict[str, Any]:
    """The revenue page's subscription figures: MRR per currency, subscribers, trials
    converting and churn in the period, and each plan (department, interval, currency)."""
    first, last = period(start, end)
    result = revenue_area.subscription_figures(session=session, actor=actor, start=first,
                                               end=last, department_id=department_id)
    body = asdict(result)
    del body["start"], body["end"]
    return {**body, "at": result.at.isoformat(), "period": period_out(first, last)}


@router.get("/api/v2/admin/revenue/funnel", tags=["admin"], response_model=FunnelOut)
def revenue_funnel(
    actor: RevenueActor, session: DbSession, start: Start = None, end: End = None,
    department_id: OptionalIdQuery = None, course_id: OptionalIdQuery = None,
) -> dict[str, Any]:
    """The revenue page's funnel: course page views, cart adds, checkouts started, payments
    started, paid and enrolled (course items) per UTC day and in total, with the conversion
    rates. Page views and cart adds are stored about every minute."""
    first, last = period(start, end)
    result = revenue_area.funnel_report(session=session, actor=actor, start=first, end=last,
                                        department_id=department_id, course_id=course_id)
    return {
        "period": period_out(first, last),
        "department_id": result.department_id,
        "course_id": result.course_id,
        "totals": dict(result.totals),
        "rates": result.rates,
        "days": [{"day": d.day.isoformat(), "counts": dict(d.counts), "rates": d.rates}
                 for d in result.days],
    }


# -- the orders and payments export for accounting ---------------------------------------------


@router.get("/api/v2/admin/exports/orders-payments", tags=["admin"],
            response_class=Response,
            responses={200: binary("text/csv", XLSX, description="One line per order with its "
                                   "payment, as CSV or XLSX; money exact, with its currency")})
def orders_payments_export(
    actor: BillingActor,
    session: DbSession,
    date_from: Annotated[DateIn | None, Query(description="First day, inclusive (UTC)")] = None,
    date_to: Annotated[DateIn | None, Query(description="Last day, inclusive (UTC)")] = None,
    status: Annotated[str, Query(max_length=32)] = "",
    payment_status: Annotated[str, Query(max_length=32)] = "",
    processor: Annotated[str, Query(max_length=32)] = "",
    file_format: Annotated[Literal["csv", "xlsx"], Query(alias="format")] = "csv",
) -> Response:
    """Orders placed in the period (default: every order) with amounts, discount, tax,
    refunds, settlement worth and the payment at the processor (transaction, fee, when paid),
    for accounting; the orders page's filters. Billing and super-admins."""
    export = commerce_area.orders_export(
        session=session, actor=actor, date_from=day_start(date_from),
        date_to=day_start(date_to, next_day=True), status=status or None,
        payment_status=payment_status or None, processor=processor or None)
    data, name = export.file(file_format)
    return Response(content=data,
                    media_type="text/csv; charset=utf-8" if file_format == "csv" else XLSX,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
