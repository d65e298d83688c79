"""Revenue reports from the ledger: rows per course, creator, instructor, department or month,
totals, a time series and the platform / creator / instructor split (CSV and XLSX exports of
a report: ``revenue_exports``).

The database sums everything: one GROUP BY (group key, time bucket, currency) over the period's
ledger rows. pandas only folds those few aggregated rows into the table and the series; ledger
rows are never loaded one by one. Amounts are integer minor units of one currency.

The one GROUP BY, its SQLite/Postgres time buckets and the folding of its result belong
together here; the group keys and labels (with subscription revenue's rows) are in
``revenue_groups``, reconciliation and exports apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import ColumnElement, and_, func, literal_column, select
from sqlmodel import Session, col

from commerce_dash.domain.access import department_closure
from commerce_dash.domain.actor import Actor
from commerce_dash.domain.errors import DomainError, ErrorKind, not_found
from commerce_dash.domain.report_periods import (
    PRESETS,
    SeriesUnit,
    buckets,
    check_period,
    period_bounds,
    period_for,
    series_unit_for,
)
from commerce_dash.models.accounts import User
from commerce_dash.models.catalog import Course, Department
from commerce_dash.models.certificates import Certificate
from commerce_dash.models.commerce import OrderLine
from commerce_dash.models.enrollment import Enrollment
from commerce_dash.models.revenue import LedgerEntry
from commerce_dash.services.platform import department_parents, managed_departments
from commerce_dash.services.revenue.revenue_groups import (
    group_column,
    item_ids,
    key_namer,
    labels,
    needs_order_line,
    order_line_join,
)
from commerce_dash.services.revenue.revenue_reconciliation import reconciliation
from commerce_dash.settings import get_settings

if TYPE_CHECKING:  # pandas is imported where a report is computed (see _aggregate)
    import pandas as pd

SECTION = "revenue"
GroupBy = Literal["course", "program", "creator", "instructor", "department", "month"]
GROUPINGS: tuple[GroupBy, ...] = ("course", "program", "creator", "instructor", "department",
                                  "month")
# Postgres takes every ledger row for its own month unless told otherwise (recorded_at is
# nearly unique), then plans the report's GROUP BY serially, without partial aggregation,
# about twice as slow on a million rows. A migration creates these; ANALYZE fills them.
STATISTICS = (
    "CREATE STATISTICS IF NOT EXISTS st_ledger_entry_month ON "
    "(date_trunc('month', timezone('UTC', recorded_at))) FROM ledger_entry",
    "CREATE STATISTICS IF NOT EXISTS st_ledger_entry_day ON "
    "(date_trunc('day', timezone('UTC', recorded_at))) FROM ledger_entry",
)
TOTAL_KEY = "total"
AMOUNTS = ("gross", "refunds", "fees", "net", "platform", "creator", "instructor")
COUNTS = ("enrollments",)


@dataclass(frozen=True)
class ReportRow:
    """One group's figures. ``refunds`` is positive; ``net`` = gross - refunds - fees and
    platform + creator + instructor == net. ``enrollments`` counts course seats sold."""

    # the id as text ("" for unassigned), the month "2026-11", or "subscriptions:<department
    # id>" for a department's subscription revenue (see ``revenue_groups``)
    key: str
    label: str
    gross: int = 0
    refunds: int = 0
    fees: int = 0
    net: int = 0
    platform: int = 0
    creator: int = 0
    instructor: int = 0
    enrollments: int = 0
    completion_rate: float | None = None  # course rows only, where enrollments are known


@dataclass(frozen=True)
class SeriesPoint:
    bucket: str  # "2026-11-05" (day) or "2026-11" (month)
    gross: int
    refunds: int
    net: int


@dataclass(frozen=True)
class RevenueReport:
    group_by: GroupBy
    start: date
    end: date  # inclusive
    currency: str
    rows: tuple[ReportRow, ...]
    totals: ReportRow
    series_unit: SeriesUnit
    series: tuple[SeriesPoint, ...]
    department_id: int | None = None
    course_id: int | None = None
    creator_id: int | None = None
    instructor_id: int | None = None
    # the filters in words for file names: ("dept-ENG", "course-PY101", "creator-12")
    filter_names: tuple[str, ...] = field(default_factory=tuple)
    # ledger rows of the period in other currencies, left out of this report
    other_currencies: tuple[str, ...] = field(default_factory=tuple)

    @property
    def split(self) -> tuple[tuple[str, int], ...]:
        """Net revenue by recipient: platform, creators, instructors."""
        t = self.totals
        return (("Platform", t.platform), ("Creators", t.creator), ("Instructors", t.instructor))

    @property
    def show_completion(self) -> bool:
        return self.group_by == "course"


# -- time buckets -----------------------------------------------------------------------------


def bucket_expression(dialect: str, unit: SeriesUnit, column: Any) -> ColumnElement[Any]:
    """The UTC day or month of a timestamp, computed by the database.

    Postgres truncates the UTC wall time (a timestamptz alone follows the session's zone);
    SQLite stores UTC text, which strftime reads as is.
    """
    if dialect == "postgresql":
        # literals, not bound parameters: the expression must read exactly as the one the
        # ledger's expression statistics are defined on, in every plan (see STATISTICS)
        return func.date_trunc(literal_column(f"'{unit}'"),
                               func.timezone(literal_column("'UTC'"), column))
    return func.strftime("%Y-%m" if unit == "month" else "%Y-%m-%d", column)


def bucket_name(value: object, unit: SeriesUnit) -> str:
    if isinstance(value, datetime | date):
        return value.strftime("%Y-%m" if unit == "month" else "%Y-%m-%d")
    return str(value)[: 7 if unit == "month" else 10]


# -- scope ------------------------------------------------------------------------------------


def report_scope(
    *, session: Session, actor: Actor | None, department_id: int | None = None
) -> frozenset[int] | None:
    """Departments whose ledger rows the actor may see, narrowed to ``department_id`` and its
    subdepartments when given; None means every department."""
    allowed = managed_departments(session=session, actor=actor, section=SECTION)
    if department_id is None:
        return allowed
    if session.get(Department, department_id) is None:
        raise not_found("department", department_id)
    if allowed is not None and department_id not in allowed:
        raise DomainError("forbidden", "You can only see the revenue of your own departments.",
                          kind=ErrorKind.FORBIDDEN)
    wanted = department_closure(department_parents(session=session), [department_id])
    return wanted if allowed is None else wanted & allowed


def visible_course(
    *, session: Session, actor: Actor | None, course_id: int
) -> Course:
    """A course whose revenue the actor may see; others are 'not found' (no probing)."""
    allowed = managed_departments(session=session, actor=actor, section=SECTION)
    course = session.get(Course, course_id)
    if course is None or (allowed is not None and course.department_id not in allowed):
        raise not_found("course", course_id)
    return course


def person_name(*, session: Session, user_id: int) -> str:
    user = session.get(User, user_id)
    if user is None:
        raise not_found("user", user_id)
    return user.full_name


# -- the report -------------------------------------------------------------------------------


def _sums() -> list[ColumnElement[Any]]:
    """The aggregates, as few as exactness allows: each one costs a transition per ledger row.
    Refunds are sales minus the sum of every gross (reversals are negative)."""
    le = LedgerEntry
    sale = col(le.entry_type) == "sale"
    return [
        func.coalesce(func.sum(col(le.gross)).filter(sale), 0).label("gross"),
        func.sum(col(le.gross)).label("all_gross"),
        func.sum(col(le.processor_fee)).label("fees"),
        func.sum(col(le.net)).label("net"),
        func.sum(col(le.platform_amount)).label("platform"),
        func.sum(col(le.creator_amount)).label("creator"),
        func.sum(col(le.instructor_amount)).label("instructor"),
        # course seats: a subscription invoice (no course) sells none
        func.count().filter(sale & col(le.course_id).is_not(None)).label("enrollments"),
    ]


def ledger_filters(
    *,
    start: date,
    end: date,
    departments: frozenset[int] | None,
    course_id: int | None = None,
    creator_id: int | None = None,
    instructor_id: int | None = None,
) -> list[ColumnElement[bool]]:
    le = LedgerEntry
    since, until = period_bounds(start, end)
    where: list[ColumnElement[bool]] = [col(le.recorded_at) >= since, col(le.recorded_at) < until]
    if departments is not None:
        where.append(col(le.department_id).in_(departments))
    if course_id is not None:
        where.append(col(le.course_id) == course_id)
    if creator_id is not None:
        where.append(col(le.creator_id) == creator_id)
    if instructor_id is not None:
        where.append(col(le.instructor_id) == instructor_id)
    return where


def _aggregate(
    session: Session, group_by: GroupBy, unit: SeriesUnit, where: Sequence[ColumnElement[bool]]
) -> pd.DataFrame:
    """The one GROUP BY: (group key, time bucket, currency) with every sum."""
    import pandas as pd  # here, not at the top: the job worker imports the area and never reports
    dialect = session.get_bind().dialect.name
    le = LedgerEntry
    month = bucket_expression(dialect, "month", col(le.recorded_at))
    bucket = month if unit == "month" else bucket_expression(dialect, "day", col(le.recorded_at))
    key = group_column(group_by, month)
    # grouping by the month twice (key and bucket) costs nothing worth a second statement
    query = select(key.label("key"), bucket.label("bucket"),
                   col(le.currency).label("currency"), *_sums())
    if needs_order_line(group_by):
        query = query.select_from(le).join(OrderLine, order_line_join())
    query = query.where(and_(*where)).group_by(key, bucket, col(le.currency))
    result = session.connection().execute(query)
    names = list(result.keys())
    columns = list(zip(*result.fetchall(), strict=False)) or [()] * len(names)
    data: dict[str, Any] = dict(zip(names, columns, strict=True))
    all_gross = data.pop("all_gross")
    data["refunds"] = [sales - every for sales, every in zip(data["gross"], all_gross,
                                                             strict=True)]
    # few distinct buckets and keys: name each distinct value once
    data["bucket"] = _renamed(data["bucket"], lambda v: bucket_name(v, unit))
    data["key"] = _renamed(data["key"], key_namer(group_by, lambda v: bucket_name(v, "month")))
    return pd.DataFrame({n: pd.Series(v, dtype="int64" if n in _NUMBERS else object)
                         for n, v in data.items()})


_NUMBERS = frozenset((*AMOUNTS, *COUNTS))


def _renamed(values: Sequence[Any], name: Any) -> list[str]:
    names = {v: name(v) for v in set(values)}
    return [names[v] for v in values]


def completion_counts(
    *, session: Session, course_ids: Sequence[int], start: date, end: date
) -> dict[int, tuple[int, int]]:
    """Per course: (enrollments started in the period, those with a valid course certificate).

    Enrollments refused by the LMS are not counted; revoked certificates are not completions.
    """
    if not course_ids:
        return {}
    since, until = period_bounds(start, end)
    certified = and_(col(Certificate.enrollment_id) == col(Enrollment.id),
                     col(Certificate.kind) == "course", col(Certificate.status) != "revoked")
    rows = session.connection().execute(
        select(col(Enrollment.course_id), func.count(), func.count(col(Certificate.id)))
        .select_from(Enrollment)
        .outerjoin(Certificate, certified)
        .where(col(Enrollment.course_id).in_(list(course_ids)),
               col(Enrollment.requested_at) >= since, col(Enrollment.requested_at) < until,
               col(Enrollment.status) != "rejected")
        .group_by(col(Enrollment.course_id))
    ).all()
    return {int(c): (int(n), int(done)) for c, n, done in rows}


def _rate(counts: tuple[int, int] | None) -> float | None:
    if not counts or counts[0] == 0:
        return None
    return round(counts[1] / counts[0], 4)


def _row(key: str, label: str, figures: Any, rate: float | None = None) -> ReportRow:
    values = {n: int(figures[n]) for n in (*AMOUNTS, *COUNTS)}
    return ReportRow(key=key, label=label, completion_rate=rate, **values)


def report(
    *,
    session: Session,
    actor: Actor | None,
    group_by: GroupBy,
    start: date,
    end: date,
    department_id: int | None = None,
    course_id: int | None = None,
    currency: str | None = None,
    creator_id: int | None = None,
    instructor_id: int | None = None,
    series_unit: SeriesUnit | None = None,
) -> RevenueReport:
    """Revenue of the period (``end`` inclusive, UTC days) grouped by ``group_by``, within the
    departments the actor may see; rows by net revenue (months in order), with totals, a
    series by day (periods up to 62 days) or month, and the split of net revenue."""
    if group_by not in GROUPINGS:
        raise DomainError("invalid_group", "Group by course, program, creator, instructor, "
                          "department or month.", field="group_by")
    check_period(start, end)
    departments = report_scope(session=session, actor=actor, department_id=department_id)
    course = (visible_course(session=session, actor=actor, course_id=course_id)
              if course_id is not None else None)
    currency = (currency or get_settings().settlement_currency).upper()
    unit = series_unit or series_unit_for(start, end)
    where = ledger_filters(start=start, end=end, departments=departments, course_id=course_id,
                           creator_id=creator_id, instructor_id=instructor_id)
    frame = _aggregate(session, group_by, unit, where)
    others = tuple(sorted(set(frame["currency"]) - {currency}))
    frame = frame[frame["currency"] == currency]
    names = [*AMOUNTS, *COUNTS]
    grouped = frame.groupby("key", sort=False)[names].sum()
    sums: dict[str, list[int]] = dict(zip(grouped.index, grouped.to_numpy().tolist(),
                                          strict=True))
    names_of = labels(session, group_by, list(sums))
    completion: dict[int, tuple[int, int]] = {}
    if group_by == "course":
        completion = completion_counts(session=session, course_ids=item_ids(list(sums)),
                                       start=start, end=end)
    rows = [
        _row(key, names_of.get(key, key), dict(zip(names, values, strict=True)),
             _rate(completion.get(int(key))) if group_by == "course" and key.isdigit()
             else None)
        for key, values in sums.items()
    ]
    if group_by == "month":
        rows.sort(key=lambda r: r.key)
    else:
        rows.sort(key=lambda r: (-r.net, r.label.lower(), r.key))
    done = (sum(c[0] for c in completion.values()), sum(c[1] for c in completion.values()))
    totals = _row(TOTAL_KEY, "Total", {n: sum(getattr(r, n) for r in rows) for n in names},
                  _rate(done) if group_by == "course" else None)
    per_bucket = frame.groupby("bucket", sort=False)[["gross", "refunds", "net"]].sum()
    points = dict(zip(per_bucket.index, per_bucket.to_numpy().tolist(), strict=True))
    series = tuple(SeriesPoint(b, *points.get(b, (0, 0, 0))) for b in buckets(start, end, unit))
    return RevenueReport(
        group_by=group_by, start=start, end=end, currency=currency, rows=tuple(rows),
        totals=totals, series_unit=unit, series=series, department_id=department_id,
        course_id=course_id, creator_id=creator_id, instructor_id=instructor_id,
        filter_names=_filter_names(session, department_id, course, creator_id, instructor_id),
        other_currencies=others,
    )


def _filter_names(session: Session, department_id: int | None, course: Course | None,
                  creator_id: int | None, instructor_id: int | None) -> tuple[str, ...]:
    """The report's filters as file-name words: department and course by code, people by id
    (names are personal data and not file-name safe)."""
    names: list[str] = []
    department = session.get(Department, department_id) if department_id is not None else None
    if department is not None:
        names.append(f"dept-{department.code}")
    if course is not None:
        names.append(f"course-{course.code}")
    if creator_id is not None:
        names.append(f"creator-{creator_id}")
    if instructor_id is not None:
        names.append(f"instructor-{instructor_id}")
    return tuple(names)


# the revenue page, the API and the benchmarks read reports from here (exports of a report:
# ``revenue_exports``)
__all__ = [
    "GROUPINGS",
    "PRESETS",
    "STATISTICS",
    "GroupBy",
    "ReportRow",
    "RevenueReport",
    "SeriesPoint",
    "SeriesUnit",
    "completion_counts",
    "people_options",
    "period_for",
    "reconciliation",
    "report",
    "report_scope",
    "visible_course",
]


def people_options(*, session: Session, actor: Actor | None) -> list[tuple[str, str]]:
    """The creators and instructors of the courses whose revenue the actor may see, as
    (value, label) for the page's person filter: ("creator:12", "Creator: Cara Creator")."""
    allowed = managed_departments(session=session, actor=actor, section=SECTION)
    found: list[tuple[str, str]] = []
    for role, column in (("creator", col(Course.content_creator_id)),
                         ("instructor", col(Course.instructor_id))):
        query = (select(col(User.id), col(User.full_name)).distinct()
                 .join(Course, column == col(User.id)))
        if allowed is not None:
            query = query.where(col(Course.department_id).in_(allowed))
        rows = session.connection().execute(query).all()
        found += [(f"{role}:{i}", f"{role.title()}: {name}")
                  for i, name in sorted(rows, key=lambda r: (r[1].lower(), r[0]))]
    return found
