"""The revenue exports: one header per column whatever the grouping (two columns were headed
"Creator" by creator), file names that say the filters, and XLSX money as exact decimals with
the currency's number format, read back with openpyxl."""

from __future__ import annotations

import csv
import io
import zipfile

import openpyxl
import pytest
from sqlmodel import Session

from commerce_dash.domain.actor import Actor
from commerce_dash.services.revenue import (
    GROUPINGS,
    exact,
    export_name,
    money_format,
    report,
    to_csv,
    to_xlsx,
    xlsx_bytes,
)
from commerce_dash.services.revenue.revenue_exports import table_columns
from tests.revenue.two_courses import OCT_NOV, Book


def _report(session: Session, actor: Actor, group_by: str, **kwargs: object):  # type: ignore[no-untyped-def]
    start, end = OCT_NOV
    return report(
        session=session,
        actor=actor,
        group_by=group_by,  # type: ignore[arg-type]
        start=start,
        end=end,
        **kwargs,
    )  # type: ignore[arg-type]


@pytest.mark.parametrize("group_by", GROUPINGS)
def test_every_column_header_is_unique_on_the_page_and_in_both_exports(
    session: Session, two_courses_two_months: Book, super_admin: Actor, group_by: str
) -> None:
    result = _report(session, super_admin, group_by)
    headers = [c.header for c in table_columns(result)]
    assert len(headers) == len(set(headers)), headers
    csv_header = next(csv.reader(io.StringIO(to_csv(result).decode("utf-8"))))
    assert len(csv_header) == len(set(csv_header)), csv_header
    sheet = openpyxl.load_workbook(io.BytesIO(to_xlsx(result))).active
    assert sheet is not None
    xlsx_header = [c.value for c in sheet[1]]
    assert xlsx_header == csv_header


def test_export_names_say_grouping_period_filters_and_currency(
    session: Session, two_courses_two_months: Book, super_admin: Actor
) -> None:
    book = two_courses_two_months
    plain = _report(session, super_admin, "creator")
    assert export_name(plain, "csv") == "revenue_by-creator_2026-10-01_2026-11-30_USD.csv"
    cara = book.people["cara"].user_id
    narrowed = _report(
        session,
        super_admin,
        "course",
        department_id=book.departments["ENG"],
        course_id=book.py.id,
        creator_id=cara,
    )
    assert export_name(narrowed, "xlsx") == (
        f"revenue_by-course_2026-10-01_2026-11-30_dept-ENG_course-PY101_creator-{cara}_USD.xlsx"
    )
    euros = _report(session, super_admin, "month", currency="EUR")
    assert export_name(euros, "csv").endswith("_2026-11-30_EUR.csv")


def test_xlsx_money_is_exact_decimals_in_the_currency_format(
    session: Session, two_courses_two_months: Book, super_admin: Actor
) -> None:
    result = _report(session, super_admin, "course")
    data = to_xlsx(result)
    # the stored values are the exact digits, never a 16-digit float rendering
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        xml = book.read("xl/worksheets/sheet1.xml").decode()
    assert "<v>213.4</v>" not in xml and "<v>213.40</v>" in xml
    assert "0000000" not in xml
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert sheet is not None
    header = [c.value for c in sheet[1]]
    net, gross, enrollments = (header.index(h) for h in ("Net", "Gross", "Enrollments"))
    py, acc, total = (list(sheet.iter_rows(min_row=r, max_row=r))[0] for r in (2, 3, 4))
    assert [py[net].value, acc[net].value, total[net].value] == [213.4, 116.4, 329.8]
    assert total[gross].value == 480 and total[enrollments].value == 5
    assert py[net].number_format == '#,##0.00 "USD"'
    assert total[net].number_format == '#,##0.00 "USD"' and total[net].font.b
    assert py[enrollments].number_format == "0"


def test_money_formats_follow_the_currency_exponent() -> None:
    assert money_format("USD") == '#,##0.00 "USD"'
    assert money_format("JPY") == '#,##0 "JPY"'
    assert money_format("KWD") == '#,##0.000 "KWD"'


def test_a_sum_that_is_not_a_short_float_is_written_exactly() -> None:
    # 8581.62 as a float renders with 16 digits as 8581.620000000001 (what Excel showed)
    data = xlsx_bytes("Money", ["Amount"], [[exact(858_162, "USD")]], ["USD"])
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        assert "<v>8581.62</v>" in book.read("xl/worksheets/sheet1.xml").decode()
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert sheet is not None and sheet["A2"].value == 8581.62


def test_one_creator_or_one_instructor(
    session: Session, two_courses_two_months: Book, super_admin: Actor
) -> None:
    book = two_courses_two_months
    carl = _report(session, super_admin, "course", creator_id=book.people["carl"].user_id)
    assert [(r.label, r.gross, r.refunds, r.net) for r in carl.rows] == [
        ("ACC101 · Accounting", 16_000, 4_000, 11_640)
    ]
    ivan = _report(session, super_admin, "month", instructor_id=book.people["ivan"].user_id)
    assert [(r.key, r.gross, r.net) for r in ivan.rows] == [
        ("2026-10", 20_000, 19_400),
        ("2026-11", 12_000, 1_940),
    ]
    assert ivan.totals.net == 21_340
