"""The spec's v1 revenue reports: by course, creator and instructor, in the spec's shapes
(camelCase fields). The same figures as the admin report of ``api.revenue``, which holds
the period arguments both use.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import Field, create_model
from sqlmodel import Session

from commerce_dash.api.deps import DbSession
from commerce_dash.api.revenue import (
    End,
    Id,
    PeriodOut,
    RevenueActor,
    Start,
    period,
    period_out,
    run_report,
)
from commerce_dash.api.schemas import Out
from commerce_dash.domain.actor import Actor
from commerce_dash.services import revenue as revenue_area
from commerce_dash.services.revenue import ReportRow, RevenueReport

router = APIRouter(tags=["revenue"])


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


class InstructorCourseOut(PersonCourseOut):
    instructorShare: int  # noqa: N815
    learnerCount: int  # noqa: N815


class InstructorTotalsOut(TotalsOut):
    totalRevenue: int  # noqa: N815
    instructorShare: int  # noqa: N815
    activeLearners: int  # noqa: N815
    completedLearners: int  # noqa: N815


Role = Literal["creator", "instructor"]


def _person_revenue_model(role: Role, totals: type[Out], course: type[Out]) -> type[Out]:
    """The spec's CreatorRevenueReport or InstructorRevenueReport: one shape, the role in
    its name and in the names of the person's id and name."""
    title = role.capitalize()
    fields: dict[str, Any] = {
        f"{role}Id": (int, ...),
        f"{role}Name": (str, ...),
        "period": (PeriodOut, ...),
        "totals": (totals, ...),
        "byCourse": (list[course], ...),  # type: ignore[valid-type]
        "byMonth": (list[MonthOut], ...),
    }
    return create_model(f"{title}RevenueOut", __base__=Out, __doc__=f"{title}RevenueReport.",
                        **fields)


CreatorRevenueOut = _person_revenue_model("creator", CreatorTotalsOut, CreatorCourseOut)
InstructorRevenueOut = _person_revenue_model("instructor", InstructorTotalsOut,
                                             InstructorCourseOut)


def _share(row: ReportRow, role: Role) -> int:
    return row.creator if role == "creator" else row.instructor


# The spec's name of each figure of a report row (``ReportRow``'s attribute).
SPEC_FIGURES = {
    "grossRevenue": "gross",
    "refunds": "refunds",
    "processorFees": "fees",
    "netRevenue": "net",
    "enrollments": "enrollments",
    "platformAmount": "platform",
    "creatorAmount": "creator",
    "instructorAmount": "instructor",
}


def _figures(row: ReportRow, *names: str) -> dict[str, int]:
    """Figures of ``row`` under their spec names: ``names``, else all of them."""
    return {name: getattr(row, SPEC_FIGURES[name]) for name in names or SPEC_FIGURES}


def _totals(row: ReportRow, currency: str) -> dict[str, Any]:
    return {**_figures(row), "currency": currency}


def _by_month(result: RevenueReport) -> list[dict[str, Any]]:
    return [{"month": r.key, **_figures(r, "grossRevenue", "refunds", "netRevenue", "enrollments")}
            for r in result.rows]


def _by_course(result: RevenueReport, role: Role) -> list[dict[str, Any]]:
    return [
        {"courseId": int(r.key), "courseName": r.label, "revenue": r.net,
         **_figures(r, "grossRevenue", "enrollments"), f"{role}Share": _share(r, role)}
        for r in result.rows
    ]


@router.get("/api/v1/revenue/by-course/{course_id}", response_model=CourseRevenueOut)
def revenue_by_course(
    actor: RevenueActor, session: DbSession, course_id: Id, start: Start = None,
    end: End = None,
) -> dict[str, Any]:
    """CourseRevenueReport: totals and months of one course."""
    first, last = period(start, end)
    course = revenue_area.visible_course(session=session, actor=actor, course_id=course_id)
    months = run_report(session, actor, "month", first, last, course_id=course_id)
    counts = revenue_area.completion_counts(session=session, course_ids=[course_id], start=first,
                                            end=last).get(course_id, (0, 0))
    return {
        "courseId": course_id,
        "courseName": course.title,
        "courseCode": course.code,
        "period": period_out(first, last),
        "totals": {**_totals(months.totals, months.currency),
                   "completionRate": round(counts[1] / counts[0], 4) if counts[0] else None},
        "byMonth": _by_month(months),
    }


def _person_report(session: Session, actor: Actor, role: Role, user_id: int,
                   start: date | None, end: date | None
                   ) -> tuple[dict[str, Any], RevenueReport, date, date]:
    """What the creator and instructor reports share: the person, the period, the totals
    and the rows by course and by month; with the report by course and the period, for
    the figures only one of them answers."""
    first, last = period(start, end)
    name = revenue_area.person_name(session=session, user_id=user_id)
    person: dict[str, Any] = {f"{role}_id": user_id}
    courses = run_report(session, actor, "course", first, last, **person)
    months = run_report(session, actor, "month", first, last, **person)
    totals = courses.totals
    body = {
        f"{role}Id": user_id,
        f"{role}Name": name,
        "period": period_out(first, last),
        "totals": {"totalRevenue": totals.net, f"{role}Share": _share(totals, role),
                   **_totals(totals, courses.currency)},
        "byCourse": _by_course(courses, role),
        "byMonth": _by_month(months),
    }
    return body, courses, first, last


@router.get("/api/v1/revenue/by-creator/{user_id}", response_model=CreatorRevenueOut)
def revenue_by_creator(
    actor: RevenueActor, session: DbSession, user_id: Id, start: Start = None,
    end: End = None,
) -> dict[str, Any]:
    """CreatorRevenueReport: the creator's courses, their revenue and the creator's share."""
    body, courses, _, _ = _person_report(session, actor, "creator", user_id, start, end)
    body["totals"].update(courseCount=len(courses.rows),
                          totalEnrollments=courses.totals.enrollments)
    return body


@router.get("/api/v1/revenue/by-instructor/{user_id}",
            response_model=InstructorRevenueOut)
def revenue_by_instructor(
    actor: RevenueActor, session: DbSession, user_id: Id, start: Start = None,
    end: End = None,
) -> dict[str, Any]:
    """InstructorRevenueReport: the instructor's courses, revenue, share and learners."""
    body, courses, first, last = _person_report(session, actor, "instructor", user_id,
                                                start, end)
    course_ids = [int(r.key) for r in courses.rows]
    counts = revenue_area.completion_counts(session=session, course_ids=course_ids, start=first,
                                            end=last)
    body["totals"].update(activeLearners=sum(n for n, _ in counts.values()),
                          completedLearners=sum(done for _, done in counts.values()))
    for item in body["byCourse"]:
        item["learnerCount"] = item["enrollments"]
    return body
