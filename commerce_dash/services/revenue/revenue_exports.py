"""CSV and XLSX exports of a revenue report: exactly the table the page shows (same columns,
same rows), then the totals row. Money is written in major units, exactly, with the currency
beside it.

Names in the rows (course titles, people, departments) are typed by admins and users. A
spreadsheet runs a CSV cell that starts with = + - @ (or a tab or carriage return, which it
strips first) as a formula, so such text is written with a leading single quote; numbers are
not text and are written as they are. XLSX cells are typed: text goes in with write_string,
which never makes a formula."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any, Literal

from commerce_dash.domain.money import Money
from commerce_dash.services.revenue.revenue_reports import RevenueReport

GROUP_LABELS: dict[str, str] = {
    "course": "Course",
    "creator": "Creator",
    "instructor": "Instructor",
    "department": "Department",
    "month": "Month",
}


@dataclass(frozen=True)
class Column:
    header: str
    field: str
    kind: Literal["text", "money", "count", "percent"]


def table_columns(report: RevenueReport) -> list[Column]:
    """The columns of the page's table, in order; the exports use the same."""
    columns = [
        Column(GROUP_LABELS[report.group_by], "label", "text"),
        Column("Gross", "gross", "money"),
        Column("Refunds", "refunds", "money"),
        Column("Fees", "fees", "money"),
        Column("Net", "net", "money"),
        Column("Platform", "platform", "money"),
        Column("Creator", "creator", "money"),
        Column("Instructor", "instructor", "money"),
        Column("Enrollments", "enrollments", "count"),
    ]
    if report.show_completion:
        columns.append(Column("Completion (%)", "completion_rate", "percent"))
    return columns


def export_name(report: RevenueReport, extension: str) -> str:
    return f"revenue-by-{report.group_by}-{report.start.isoformat()}-{report.end.isoformat()}" \
           f".{extension}"


def _cells(report: RevenueReport) -> tuple[list[str], list[list[Any]]]:
    """Header and rows (rows, then totals) with money as exact major-unit Decimals."""
    columns = table_columns(report)
    header = ["Key", "Currency", *(c.header for c in columns)]
    out: list[list[Any]] = []
    for row in (*report.rows, report.totals):
        cells: list[Any] = [row.key, report.currency]
        for c in columns:
            value = getattr(row, c.field)
            if c.kind == "money":
                value = Money(value, report.currency).to_decimal()
            elif c.kind == "percent":
                value = None if value is None else round(value * 100, 1)
            cells.append(value)
        out.append(cells)
    return header, out


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_text(text: str) -> str:
    """Text a spreadsheet shows as written: a leading quote when it would start a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def to_csv(report: RevenueReport) -> bytes:
    """The table as CSV (UTF-8): a header, one line per row, the totals line last."""
    header, rows = _cells(report)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([spreadsheet_text(h) for h in header])
    for cells in rows:
        writer.writerow(["" if v is None else spreadsheet_text(v) if isinstance(v, str) else v
                         for v in cells])
    return buffer.getvalue().encode("utf-8")


def to_xlsx(report: RevenueReport) -> bytes:
    """The table as an XLSX workbook: numbers in major units formatted to the currency's
    digits, the totals row in bold."""
    header, rows = _cells(report)
    kinds = ["text", "text", *(c.kind for c in table_columns(report))]
    digits = Money(0, report.currency).to_decimal().as_tuple().exponent
    assert isinstance(digits, int)
    money_format = "#,##0" + ("." + "0" * -digits if digits else "")
    buffer = io.BytesIO()
    import xlsxwriter  # here, not at the top: only an XLSX export needs it

    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet(f"Revenue by {report.group_by}")
    bold = book.add_format({"bold": True})
    formats = {
        (kind, strong): book.add_format({"num_format": fmt, "bold": strong})
        for kind, fmt in (("money", money_format), ("count", "0"), ("percent", "0.0"))
        for strong in (False, True)
    }
    for c, text in enumerate(header):
        sheet.write_string(0, c, text, bold)
    for r, cells in enumerate(rows, start=1):
        strong = r == len(rows)
        for c, value in enumerate(cells):
            if value is None:
                continue
            if kinds[c] == "text":
                sheet.write_string(r, c, str(value), bold if strong else None)
            else:
                # Excel keeps numbers as doubles; the cell format shows the exact digits
                sheet.write_number(r, c, float(value), formats[(kinds[c], strong)])
    sheet.set_column(0, 1, 10)
    sheet.set_column(2, 2, 36)
    sheet.set_column(3, len(header) - 1, 14)
    sheet.freeze_panes(1, 0)
    book.close()
    return buffer.getvalue()
