"""Revenue reports over the hand-computed ledger of ``tests/revenue/two_courses.py``: every
grouping and its totals, the series, scope by role, exports read back and the charts."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import date
from xml.etree import ElementTree

import pytest
from sqlmodel import Session

from commerce_dash.domain.access import RoleName
from commerce_dash.domain.actor import Actor, Grant
from commerce_dash.domain.errors import DomainError, ErrorKind
from commerce_dash.services.revenue import revenue_charts
from commerce_dash.services.revenue.revenue_exports import table_columns, to_csv, to_xlsx
from commerce_dash.services.revenue.revenue_reports import RevenueReport, period_for, report
from tests.conftest import create_user
from tests.revenue.two_courses import (
    ACC,
    FIELDS,
    NOVEMBER,
    OCT_NOV,
    OCTOBER,
    PY,
    TOTAL,
    Book,
)


def _figures(row: object) -> tuple[int, ...]:
    return tuple(getattr(row, f) for f in FIELDS)


def _billing(session: Session) -> Actor:
    return create_user(session, "bill@example.com", grants=(Grant(RoleName.BILLING_ADMIN),),
                       full_name="Bill Billing")


def _dept_admin(session: Session, department_id: int, email: str = "dora@example.com") -> Actor:
    return create_user(session, email, grants=(Grant(RoleName.DEPT_ADMIN, department_id),))


def _report(session: Session, actor: Actor, group_by: str, **kwargs: object) -> RevenueReport:
    start, end = kwargs.pop("period", OCT_NOV)  # type: ignore[misc]
    return report(session=session, actor=actor, group_by=group_by,  # type: ignore[arg-type]
                  start=start, end=end, **kwargs)  # type: ignore[arg-type]


# -- every grouping, hand-computed -------------------------------------------------------------


def test_by_course_rows_totals_and_completion(
    session: Session, two_courses_two_months: Book, super_admin: Actor
) -> None:
    # given the ledger of two courses over October and November
    book = two_courses_two_months
    # when the super-admin groups the period by course
    result = _report(session, super_admin, "course")
    # then each course has its hand-computed figures, the biggest net revenue first
    assert [(r.key, r.label) for r in result.rows] == [
        (str(book.py.id), "PY101 · Python Basics"), (str(book.acc.id), "ACC101 · Accounting")]
    assert [_figures(r) for r in result.rows] == [PY, ACC]
    assert _figures(result.totals) == TOTAL
    assert (result.totals.key, result.totals.label) == ("total", "Total")
    # net is gross - refunds - fees, and the three shares sum to it, row by row
    for row in (*result.rows, result.totals):
        assert row.net == row.gross - row.refunds - row.fees
        assert row.platform + row.creator + row.instructor == row.net
    # one of the two enrollments of PY101 started in the period has a certificate
    assert [r.completion_rate for r in result.rows] == [0.5, None]
    assert result.totals.completion_rate == 0.5
    assert result.split == (("Platform", 13_386), ("Creators", 13_192), ("Instructors", 6_402))
    # the EUR sale is left out and named
    assert (result.currency, result.other_currencies) == ("USD", ("EUR",))


def test_by_creator_instructor_and_department(
    session: Session, two_courses_two_months: Book, super_admin: Actor
) -> None:
    book = two_courses_two_months
    cara, carl, ivan = (book.people[n].user_id for n in ("cara", "carl", "ivan"))
    by_creator = _report(session, super_admin, "creator")
    assert [(r.key, r.label, _figures(r)) for r in by_creator.rows] == [
        (str(cara), "Cara Creator", PY), (str(carl), "Carl Creator", ACC)]
    by_instructor = _report(session, super_admin, "instructor")
    assert [(r.key, r.label, _figures(r)) for r in by_instructor.rows] == [
        (str(ivan), "Ivan Instructor", PY), ("", "Unassigned", ACC)]
    by_department = _report(session, super_admin, "department")
    assert [(r.key, r.label, _figures(r)) for r in by_department.rows] == [
        (str(book.departments["ENG-DATA"]), "Department ENG-DATA", PY),
        (str(book.departments["BUS"]), "Department BUS", ACC)]
    for result in (by_creator, by_instructor, by_department):
        assert _figures(result.totals) == TOTAL
        assert result.totals.completion_rate is None
        assert all(r.completion_rate is None for r in result.rows)


def test_by_month_in_calendar_order(
    session: Session, two_courses_two_months: Book, super_admin: Actor
) -> None:
    result = _report(session, super_admin, "month")
    assert [(r.key, r.label, _figures(r)) for r in result.rows] == [
        ("2026-10", "2026-10", OCTOBER), ("2026-11", "2026-11", NOVEMBER)]
    assert _figures(result.totals) == TOTAL


def test_series_is_daily_up_to_62_days_with_every_day_present(
    session: Session, two_courses_two_months: Book, super_admin: Actor
) -> None:
    result = _report(session, super_admin, "course")
    assert result.series_unit == "day" and len(result.series) == 61
    points = {p.bucket: (p.gross, p.refunds, p.net) for p in result.series}
    assert points["2026-10-01"] == (0, 0, 0)
    assert points["2026-10-05"] == (10_000, 0, 9_700)
    assert points["2026-11-12"] == (0, 10_000, -9_700)
    assert points["2026-11-15"] == (0, 4_000, -3_880)
    assert "2026-09-30" not in points and "2026-12-01" not in points
    assert tuple(sum(p[i] for p in points.values()) for i in range(3)) == (48_000, 14_000,
                                                                         32_980)


def test_longer_periods_are_monthly_and_the_edges_are_utc_days(
    session: Session, two_courses_two_months: Book, super_admin: Actor
) -> None:
    # 1 October .. 31 December is 92 days: monthly; 1 December 00:00 UTC is inside it
    result = _report(session, super_admin, "month", period=(date(2026, 10, 1),
                                                           date(2026, 12, 31)))
    assert result.series_unit == "month"
    assert [(p.bucket, p.gross, p.refunds, p.net) for p in result.series] == [
        ("2026-10", 28_000, 0, 27_160), ("2026-11", 20_000, 14_000, 5_820),
        ("2026-12", 8_000, 0, 7_760)]
    # 30 September 23:59:59 UTC belongs to September
    september = _report(session, super_admin, "course", period=(date(2026, 9, 30),
                                                                 date(2026, 9, 30)))
    assert [(r.label, r.gross, r.enrollments) for r in september.rows] == [
        ("PY101 · Python Basics", 5_000, 1)]


def test_course_filter_and_empty_periods(
    session: Session, two_courses_two_months: Book, super_admin: Actor
) -> None:
    book = two_courses_two_months
    only_acc = _report(session, super_admin, "month", course_id=book.acc.id)
    assert [(r.key, r.gross, r.refunds, r.net) for r in only_acc.rows] == [
        ("2026-10", 8_000, 0, 7_760), ("2026-11", 8_000, 4_000, 3_880)]
    assert _figures(only_acc.totals) == ACC
    empty = _report(session, super_admin, "course", period=(date(2025, 1, 1),
                                                           date(2025, 1, 31)))
    assert empty.rows == () and _figures(empty.totals) == (0,) * 8
    assert len(empty.series) == 31 and all(p.net == 0 for p in empty.series)
    assert empty.other_currencies == ()


def test_a_period_must_run_forwards(session: Session, super_admin: Actor) -> None:
    with pytest.raises(DomainError) as err:
        _report(session, super_admin, "course", period=(date(2026, 11, 2), date(2026, 11, 1)))
    assert (err.value.code, err.value.field) == ("invalid_period", "start")


def test_period_presets() -> None:
    today = date(2026, 3, 15)
    assert period_for("last_30_days", today) == (date(2026, 2, 14), today)
    assert period_for("this_month", today) == (date(2026, 3, 1), today)
    assert period_for("last_month", today) == (date(2026, 2, 1), date(2026, 2, 28))
    assert period_for("this_year", today) == (date(2026, 1, 1), today)
    assert period_for("last_month", date(2026, 1, 10)) == (date(2025, 12, 1),
                                                           date(2025, 12, 31))


# -- who sees what ----------------------------------------------------------------------------


def test_department_admins_see_their_departments_and_subdepartments_only(
    session: Session, two_courses_two_months: Book
) -> None:
    book = two_courses_two_months
    # given an admin of ENG (PY101 is in its subdepartment ENG-DATA) and one of BUS
    eng_admin = _dept_admin(session, book.departments["ENG"])
    bus_admin = _dept_admin(session, book.departments["BUS"], "bess@example.com")
    # when each asks for the revenue by course
    eng = _report(session, eng_admin, "course")
    bus = _report(session, bus_admin, "course")
    # then each sees their own course only, totals included
    assert [(r.key, _figures(r)) for r in eng.rows] == [(str(book.py.id), PY)]
    assert _figures(eng.totals) == PY
    assert [(r.key, _figures(r)) for r in bus.rows] == [(str(book.acc.id), ACC)]
    assert eng.split == (("Platform", 6_402), ("Creators", 8_536), ("Instructors", 6_402))
    # a department outside their scope is refused, a course outside it is not found
    with pytest.raises(DomainError) as err:
        _report(session, eng_admin, "course", department_id=book.departments["BUS"])
    assert err.value.kind == ErrorKind.FORBIDDEN
    with pytest.raises(DomainError) as err:
        _report(session, eng_admin, "month", course_id=book.acc.id)
    assert (err.value.kind, err.value.code) == (ErrorKind.NOT_FOUND, "course_not_found")


def test_billing_admins_see_every_department_and_can_narrow_to_one(
    session: Session, two_courses_two_months: Book
) -> None:
    book = two_courses_two_months
    billing = _billing(session)
    assert _figures(_report(session, billing, "department").totals) == TOTAL
    # ENG has no ledger rows of its own: its subdepartment's are included
    narrowed = _report(session, billing, "course", department_id=book.departments["ENG"])
    assert [(r.key, _figures(r)) for r in narrowed.rows] == [(str(book.py.id), PY)]


@pytest.mark.parametrize("role", [RoleName.LEARNER, RoleName.ENROLLMENT_ADMIN])
def test_learners_and_enrollment_admins_are_refused(
    session: Session, two_courses_two_months: Book, role: RoleName
) -> None:
    department = two_courses_two_months.departments["ENG"]
    grant = Grant(role, department if role == RoleName.ENROLLMENT_ADMIN else None)
    someone = create_user(session, "nosy@example.com", grants=(grant,))
    with pytest.raises(DomainError) as err:
        _report(session, someone, "course")
    assert err.value.kind == ErrorKind.FORBIDDEN
    with pytest.raises(DomainError) as err:
        report(session=session, actor=None, group_by="course", start=OCT_NOV[0], end=OCT_NOV[1])
    assert err.value.kind == ErrorKind.UNAUTHENTICATED


# -- exports: exactly the rows shown, then the totals -----------------------------------------


def _xlsx_rows(data: bytes) -> list[list[str]]:
    """Cell text of the first sheet, read with zipfile + XML (no reader library installed)."""
    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        shared = [
            "".join(t.text or "" for t in si.iter(f"{{{ns['m']}}}t"))
            for si in ElementTree.fromstring(book.read("xl/sharedStrings.xml")).findall(
                "m:si", ns)
        ]
        sheet = ElementTree.fromstring(book.read("xl/worksheets/sheet1.xml"))
    rows: list[list[str]] = []
    for row in sheet.iter(f"{{{ns['m']}}}row"):
        cells: dict[int, str] = {}
        for cell in row.findall("m:c", ns):
            letters = re.match(r"[A-Z]+", cell.get("r", ""))
            assert letters is not None
            column = 0
            for ch in letters.group(0):
                column = column * 26 + ord(ch) - 64
            value = cell.findtext("m:v", default="", namespaces=ns)
            cells[column - 1] = shared[int(value)] if cell.get("t") == "s" else value
        rows.append([cells.get(i, "") for i in range(max(cells) + 1)] if cells else [])
    return rows


def test_csv_holds_the_rows_shown_and_the_totals(
    session: Session, two_courses_two_months: Book, super_admin: Actor
) -> None:
    book = two_courses_two_months
    result = _report(session, super_admin, "course")
    lines = list(csv.reader(io.StringIO(to_csv(result).decode("utf-8"))))
    assert lines == [
        ["Key", "Currency", "Course", "Gross", "Refunds", "Fees", "Net", "Platform share",
         "Creator share", "Instructor share", "Enrollments", "Completion (%)"],
        [str(book.py.id), "USD", "PY101 · Python Basics", "320.00", "100.00", "6.60", "213.40",
         "64.02", "85.36", "64.02", "3", "50.0"],
        [str(book.acc.id), "USD", "ACC101 · Accounting", "160.00", "40.00", "3.60", "116.40",
         "69.84", "46.56", "0.00", "2", ""],
        ["total", "USD", "Total", "480.00", "140.00", "10.20", "329.80", "133.86", "131.92",
         "64.02", "5", "50.0"],
    ]
    # the page's table has the same columns after Key and Currency
    assert [c.header for c in table_columns(result)] == lines[0][2:]


def test_xlsx_holds_the_rows_shown_and_the_totals(
    session: Session, two_courses_two_months: Book, super_admin: Actor
) -> None:
    result = _report(session, super_admin, "instructor")
    rows = _xlsx_rows(to_xlsx(result))
    ivan = str(two_courses_two_months.people["ivan"].user_id)
    assert rows[0] == ["Key", "Currency", "Instructor", "Gross", "Refunds", "Fees", "Net",
                       "Platform share", "Creator share", "Instructor share", "Enrollments"]
    numbers = [[r[0], r[1], r[2], *(float(v) for v in r[3:])] for r in rows[1:]]
    assert numbers == [
        [ivan, "USD", "Ivan Instructor", 320.0, 100.0, 6.6, 213.4, 64.02, 85.36, 64.02, 3.0],
        ["", "USD", "Unassigned", 160.0, 40.0, 3.6, 116.4, 69.84, 46.56, 0.0, 2.0],
        ["total", "USD", "Total", 480.0, 140.0, 10.2, 329.8, 133.86, 131.92, 64.02, 5.0],
    ]


def test_a_report_in_another_currency_leaves_the_settlement_currency_out(
    session: Session, two_courses_two_months: Book, super_admin: Actor
) -> None:
    result = _report(session, super_admin, "month", currency="EUR")
    assert [(r.key, r.gross, r.net) for r in result.rows] == [("2026-11", 5_000, 4_850)]
    assert result.other_currencies == ("USD",)
    assert to_csv(result).decode().splitlines()[1].startswith("2026-11,EUR,2026-11,50.00,")


# -- charts -----------------------------------------------------------------------------------


def test_charts_are_built_from_the_aggregates(
    session: Session, two_courses_two_months: Book, super_admin: Actor
) -> None:
    result = _report(session, super_admin, "course")
    charts = revenue_charts.figures(result)
    over_time = charts["over_time"]
    assert [t.name for t in over_time.data] == ["Gross", "Refunds", "Net"]
    assert len(over_time.data[0].x) == 61 and sum(over_time.data[2].y) == pytest.approx(329.80)
    top = charts["top"]
    assert list(top.data[0].y) == ["ACC101 · Accounting", "PY101 · Python Basics"]
    assert list(top.data[0].x) == [116.40, 213.40]
    split = charts["split"]
    assert list(split.data[0].labels) == ["Platform", "Creators", "Instructors"]
    assert list(split.data[0].values) == [133.86, 131.92, 64.02]
