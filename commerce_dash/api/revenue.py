"""Revenue reports over the API: the spec's v1 twins (by course, creator, instructor) and the
admin report of the revenue page as JSON, CSV or XLSX, plus its reconciliation (one concept;
just over 400 lines with the declared answer models).

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
from commerce_dash.api.schemas import DateIn, Day, Out, Timestamp, binary
from commerce_dash.domain.actor import Actor
from commerce_dash.domain.clock import utcnow
from commerce_dash.services.revenue import revenue_exports as exports
from commerce_dash.services.revenue import revenue_reports as reports
from commerce_dash.services.revenue.revenue_reports import ReportRow, RevenueReport

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


class TotalsOut(Out):
    grossRevenue: int  # noqa: N815 (spec field names)
    refunds: int
    processorFees: int  # noqa: N815
    netRevenue: int  # noqa: N815
    enrollments: int
    platformAmount: int  # noqa: N815
    creatorAmount: int  # noqa: N815
    instructorAmount: int  # noqa: N815
    currency: str


class MonthOut(Out):
    month: str = Field(description="YYYY-MM")
    grossRevenue: int  # noqa: N815
    refunds: int
    netRevenue: int  # noqa: N815
    enrollments: int


class CourseTotalsOut(TotalsOut):
    completionRate: float | None  # noqa: N815


class CourseRevenueOut(Out):
    """CourseRevenueReport."""

    courseId: int  # noqa: N815
    courseName: str  # noqa: N815
    courseCode: str  # noqa: N815
    period: PeriodOut
    totals: CourseTotalsOut
    byMonth: list[MonthOut]  # noqa: N815


class PersonCourseOut(Out):
    courseId: int  # noqa: N815
    courseName: str  # noqa: N815
    revenue: int
    grossRevenue: int  # noqa: N815
    enrollments: int


class CreatorCourseOut(PersonCourseOut):
    creatorShare: int  # noqa: N815


class CreatorTotalsOut(TotalsOut):
    totalRevenue: int  # noqa: N815
    creatorShare: int  # noqa: N815
    courseCount: int  # noqa: N815
    totalEnrollments: int  # noqa: N815


class CreatorRevenueOut(Out):
    """CreatorRevenueReport."""

    creatorId: int  # noqa: N815
    creatorName: str  # noqa: N815
    period: PeriodOut
    totals: CreatorTotalsOut
    byCourse: list[CreatorCourseOut]  # noqa: N815
    byMonth: list[MonthOut]  # noqa: N815


class InstructorCourseOut(PersonCourseOut):
    instructorShare: int  # noqa: N815
    learnerCount: int  # noqa: N815


class InstructorTotalsOut(TotalsOut):
    totalRevenue: int  # noqa: N815
    instructorShare: int  # noqa: N815
    activeLearners: int  # noqa: N815
    completedLearners: int  # noqa: N815


class InstructorRevenueOut(Out):
    """InstructorRevenueReport."""

    instructorId: int  # noqa: N815
    instructorName: str  # noqa: N815
    period: PeriodOut
    totals: InstructorTotalsOut
    byCourse: list[InstructorCourseOut]  # noqa: N815
    byMonth: list[MonthOut]  # noqa: N815


class ReportRowOut(Out):
    key: str
    label: str
    gross: int
    refunds: int
    fees: int
    net: int
    platform: int
    creator: int
    instructor: int
    enrollments: int
    completion_rate: float | None


class SeriesPointOut(Out):
    bucket: str
    gross: int
    refunds: int
    net: int


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
    rows: list[ReportRowOut]
    totals: ReportRowOut
    series: SeriesOut
    split: list[SplitOut]
    other_currencies: list[str] = Field(
        description="Currencies of sales left out of these figures")


class ReconciledDayOut(Out):
    day: Day
    captured: int
    refunded: int
    orders_completed: int
    orders_count: int
    ledger_sales: int
    ledger_reversals: int
    mismatch: bool


class ProblemOut(Out):
    kind: str
    reference: str
    detail: str
    amount: int
    at: Timestamp | None


class ReconciliationOut(Out):
    period: PeriodOut
    currency: str
    reconciles: bool
    days: list[ReconciledDayOut]
    problems: list[ProblemOut]
    truncated: bool


def _period(start: date | None, end: date | None) -> tuple[date, date]:
    end = end or utcnow().date()
    return start or end - timedelta(days=29), end


def _totals(row: ReportRow, currency: str) -> dict[str, Any]:
    return {
        "grossRevenue": row.gross,
        "refunds": row.refunds,
        "processorFees": row.fees,
        "netRevenue": row.net,
        "enrollments": row.enrollments,
        "platformAmount": row.platform,
        "creatorAmount": row.creator,
        "instructorAmount": row.instructor,
        "currency": currency,
    }


def _by_month(result: RevenueReport) -> list[dict[str, Any]]:
    return [
        {"month": r.key, "grossRevenue": r.gross, "refunds": r.refunds, "netRevenue": r.net,
         "enrollments": r.enrollments}
        for r in result.rows
    ]


def _period_out(start: date, end: date) -> dict[str, str]:
    return {"start": start.isoformat(), "end": end.isoformat()}


def _by_course(result: RevenueReport, role: Literal["creator", "instructor"]
               ) -> list[dict[str, Any]]:
    return [
        {"courseId": int(r.key), "courseName": r.label, "revenue": r.net,
         "grossRevenue": r.gross, "enrollments": r.enrollments,
         f"{role}Share": r.creator if role == "creator" else r.instructor}
        for r in result.rows
    ]


def _report(session: Session, actor: Actor, group_by: reports.GroupBy, start: date,
            end: date, **filters: Any) -> RevenueReport:
    return reports.report(session=session, actor=actor, group_by=group_by, start=start,
                          end=end, **filters)


# -- v1: the spec's report shapes ---------------------------------------------------------------


@router.get("/api/v1/revenue/by-course/{course_id}", response_model=CourseRevenueOut)
def revenue_by_course(
    actor: RevenueActor, session: DbSession, course_id: Id, start: Start = None,
    end: End = None,
) -> dict[str, Any]:
    """CourseRevenueReport: totals and months of one course."""
    first, last = _period(start, end)
    course = reports.visible_course(session=session, actor=actor, course_id=course_id)
    months = _report(session, actor, "month", first, last, course_id=course_id)
    counts = reports.completion_counts(session=session, course_ids=[course_id], start=first,
                                       end=last).get(course_id, (0, 0))
    return {
        "courseId": course_id,
        "courseName": course.title,
        "courseCode": course.code,
        "period": _period_out(first, last),
        "totals": {**_totals(months.totals, months.currency),
                   "completionRate": round(counts[1] / counts[0], 4) if counts[0] else None},
        "byMonth": _by_month(months),
    }


def _person_report(session: Session, actor: Actor, role: Literal["creator", "instructor"],
                   user_id: int, start: date | None, end: date | None
                   ) -> tuple[str, date, date, RevenueReport, RevenueReport]:
    first, last = _period(start, end)
    name = reports.person_name(session=session, user_id=user_id)
    person: dict[str, Any] = {f"{role}_id": user_id}
    courses = _report(session, actor, "course", first, last, **person)
    months = _report(session, actor, "month", first, last, **person)
    return name, first, last, courses, months


@router.get("/api/v1/revenue/by-creator/{user_id}", response_model=CreatorRevenueOut)
def revenue_by_creator(
    actor: RevenueActor, session: DbSession, user_id: Id, start: Start = None,
    end: End = None,
) -> dict[str, Any]:
    """CreatorRevenueReport: the creator's courses, their revenue and the creator's share."""
    name, first, last, courses, months = _person_report(session, actor, "creator", user_id,
                                                        start, end)
    totals = courses.totals
    return {
        "creatorId": user_id,
        "creatorName": name,
        "period": _period_out(first, last),
        "totals": {"totalRevenue": totals.net, "creatorShare": totals.creator,
                   "courseCount": len(courses.rows), "totalEnrollments": totals.enrollments,
                   **_totals(totals, courses.currency)},
        "byCourse": _by_course(courses, "creator"),
        "byMonth": _by_month(months),
    }


@router.get("/api/v1/revenue/by-instructor/{user_id}",
            response_model=InstructorRevenueOut)
def revenue_by_instructor(
    actor: RevenueActor, session: DbSession, user_id: Id, start: Start = None,
    end: End = None,
) -> dict[str, Any]:
    """InstructorRevenueReport: the instructor's courses, revenue, share and learners."""
    name, first, last, courses, months = _person_report(session, actor, "instructor", user_id,
                                                        start, end)
    course_ids = [int(r.key) for r in courses.rows]
    counts = reports.completion_counts(session=session, course_ids=course_ids, start=first,
                                       end=last)
    totals = courses.totals
    by_course = _by_course(courses, "instructor")
    for item in by_course:
        item["learnerCount"] = item["enrollments"]
    return {
        "instructorId": user_id,
        "instructorName": name,
        "period": _period_out(first, last),
        "totals": {"totalRevenue": totals.net, "instructorShare": totals.instructor,
                   "activeLearners": sum(n for n, _ in counts.values()),
                   "completedLearners": sum(done for _, done in counts.values()),
                   **_totals(totals, courses.currency)},
        "byCourse": by_course,
        "byMonth": _by_month(months),
    }


# -- v2: the admin report of the revenue page ---------------------------------------------------


def _row_out(row: ReportRow) -> dict[str, Any]:
    return asdict(row)


@router.get("/api/v2/admin/revenue/report", tags=["admin"], response_model=RevenueReportOut,
            responses={200: binary("text/csv", XLSX, description="The report as JSON, or "
                                   "with ``format=csv|xlsx`` as a file")})
def revenue_report(
    actor: RevenueActor,
    session: DbSession,
    group_by: Annotated[reports.GroupBy, Query()] = "course",
    start: Start = None,
    end: End = None,
    department_id: OptionalIdQuery = None,
    course_id: OptionalIdQuery = None,
    file_format: Annotated[Literal["json", "csv", "xlsx"], Query(alias="format")] = "json",
) -> dict[str, Any] | Response:
    """The revenue page's table (rows, totals), series and split; ``format=csv|xlsx`` gives
    the same rows and totals as a file."""
    first, last = _period(start, end)
    result = _report(session, actor, group_by, first, last, department_id=department_id,
                     course_id=course_id)
    if file_format != "json":
        csv = file_format == "csv"
        data = exports.to_csv(result) if csv else exports.to_xlsx(result)
        return Response(
            content=data,
            media_type="text/csv; charset=utf-8" if csv else XLSX,
            headers={"Content-Disposition":
                     f'attachment; filename="{exports.export_name(result, file_format)}"'},
        )
    return {
        "group_by": result.group_by,
        "period": _period_out(first, last),
        "currency": result.currency,
        "department_id": result.department_id,
        "course_id": result.course_id,
        "rows": [_row_out(r) for r in result.rows],
        "totals": _row_out(result.totals),
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
    first, last = _period(start, end)
    result = reports.reconciliation(session=session, actor=actor, start=first, end=last)
    return {
        "period": _period_out(first, last),
        "currency": result.currency,
        "reconciles": result.reconciles,
        "days": [{**asdict(d), "day": d.day.isoformat(), "mismatch": d.mismatch}
                 for d in result.days],
        "problems": [{**asdict(p), "at": p.at.isoformat() if p.at else None}
                     for p in result.problems],
        "truncated": result.truncated,
    }
