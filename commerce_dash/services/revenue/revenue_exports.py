"""CSV and XLSX exports of a revenue report: exactly the table the page shows (same columns,
same rows), then the totals row. Money is written in major units, exactly, with the currency
beside it.

Names in the rows (course titles, people, departments) are typed by admins and users. A
spreadsheet runs a CSV cell that starts with = + - @ (or a tab or carriage return, which it
strips first) as a formula, so such text is written with a leading single quote; numbers are
not text and are written as they are. XLSX cells are typed: text goes in with write_string,
which never makes a formula.

Every column has its own header: the grouping's column is named after the grouping (Creator)
and the shares after whose share they are (Creator share), so no two columns read alike.

XLSX money cells hold the exact decimal written from minor units with the currency's exponent
(a ``Decimal``, never a binary float: 8581.62, not 8581.620000000001) and the currency's number
format (#,##0.00 "USD", #,##0 "JPY"). The file name says the report: grouping, period, filters
and currency."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from commerce_dash.domain.money import Money, currency_digits
from commerce_dash.services.revenue.revenue_reports import RevenueReport

GROUP_LABELS: dict[str, str] = {
    "course": "Course",
    "program": "Program",
    "creator": "Creator",
    "instructor": "Instructor",
    "department": "Department",
    "month": "Month",
}
# the recipients' shares of net revenue, headed apart from a grouping by creator or instructor
SHARE_HEADERS: dict[str, str] = {
    "platform": "Platform share",
    "creator": "Creator share",
    "instructor": "Instructor share",
}
# the figure columns after the group's, as (field, header); the page's table uses the same
FIGURE_HEADERS: tuple[tuple[str, str], ...] = (
    ("gross", "Gross"), ("refunds", "Refunds"), ("fees", "Fees"), ("net", "Net"),
    *SHARE_HEADERS.items(), ("enrollments", "Enrollments"),
)


@dataclass(frozen=True)
class Column:
    header: str
    field: str
    kind: Literal["text", "money", "count", "percent"]


def table_columns(report: RevenueReport) -> list[Column]:
    """The columns of the page's table, in order; the exports use the same."""
    columns = [
        Column(GROUP_LABELS[report.group_by], "label", "text"),
        *(Column(header, name, "count" if name == "enrollments" else "money")
          for name, header in FIGURE_HEADERS),
    ]
    if report.show_completion:
        columns.append(Column("Completion (%)", "completion_rate", "percent"))
    return columns


def export_name(report: RevenueReport, extension: str) -> str:
    """e.g. ``revenue_by-creator_2026-11-01_2026-11-30_dept-ENG_USD.xlsx``."""
    parts = [f"by-{report.group_by}", report.start.isoformat(), report.end.isoformat(),
             *report.filter_names, report.currency]
    return "_".join(["revenue", *(file_word(p) for p in parts)]) + f".{extension}"


def file_word(text: str) -> str:
    """Letters, digits, dots and dashes only (codes are typed by admins)."""
    return "".join(ch if ch.isascii() and (ch.isalnum() or ch in ".-") else "-" for ch in text)


def money_format(currency: str) -> str:
    """The XLSX number format of amounts in ``currency``: its digits and its code."""
    digits = currency_digits(currency)
    return "#,##0" + ("." + "0" * digits if digits else "") + f' "{currency.upper()}"'


def exact(amount: int, currency: str) -> Decimal:
    """Minor units as the exact major-unit Decimal (1999 USD -> Decimal("19.99"))."""
    return Money(amount, currency).to_decimal()


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
                value = exact(value, report.currency)
            elif c.kind == "percent":
                value = None if value is None else Decimal(str(round(value * 100, 1)))
            cells.append(value)
        out.append(cells)
    return header, out


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_text(text: str) -> str:
    """Text a spreadsheet shows as written: a leading quote when it would start a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _plain(value: Any) -> Any:
    """A cell as CSV writes it: Money as its exact major-unit decimal, None empty."""
    if value is None:
        return ""
    if isinstance(value, Money):
        return value.to_decimal()
    return spreadsheet_text(value) if isinstance(value, str) else value


def csv_bytes(header: list[str], rows: list[list[Any]]) -> bytes:
    """A header and rows as CSV (UTF-8); text cells safe from formulas, None empty, Money
    as its exact decimal (the currency goes in a column of its own)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([spreadsheet_text(h) for h in header])
    for cells in rows:
        writer.writerow([_plain(v) for v in cells])
    return buffer.getvalue().encode("utf-8")


def to_csv(report: RevenueReport) -> bytes:
    """The table as CSV (UTF-8): a header, one line per row, the totals line last."""
    return csv_bytes(*_cells(report))


def xlsx_bytes(sheet_name: str, header: list[str], rows: list[list[Any]], kinds: list[str],
               *, bold_last: bool = False, widths: dict[int, int] | None = None) -> bytes:
    """One sheet: a bold header, then rows. ``kinds`` per column: "text", "count",
    or a currency code (money, an exact Decimal, in that currency's format); a ``Money``
    cell in any column is written exactly in its own currency's format (rows in several
    currencies). Text goes in with write_string (never a formula)."""
    import xlsxwriter  # here, not at the top: only an XLSX export needs it

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet(sheet_name[:31])
    bold = book.add_format({"bold": True})
    formats: dict[tuple[str, bool], Any] = {}

    def number_format(kind: str, strong: bool) -> Any:
        if (kind, strong) not in formats:
            fmt = {"count": "0", "percent": "0.0"}.get(kind) or money_format(kind)
            formats[(kind, strong)] = book.add_format({"num_format": fmt, "bold": strong})
        return formats[(kind, strong)]

    for c, text in enumerate(header):
        sheet.write_string(0, c, text, bold)
    for r, cells in enumerate(rows, start=1):
        strong = bold_last and r == len(rows)
        for c, value in enumerate(cells):
            if value is None or value == "" and kinds[c] != "text":
                continue
            if isinstance(value, Money):
                sheet.write_number(r, c, value.to_decimal(),  # type: ignore[arg-type]
                                   number_format(value.currency, strong))
            elif kinds[c] == "text":
                sheet.write_string(r, c, str(value), bold if strong else None)
            else:
                # a Decimal is written as its exact digits (xlsxwriter formats the value
                # with "G"); a float would be written with 16 digits: 8581.620000000001
                sheet.write_number(r, c, value, number_format(kinds[c], strong))  # type: ignore[arg-type]
    for column, width in (widths or {}).items():
        sheet.set_column(column, column, width)
    sheet.freeze_panes(1, 0)
    book.close()
    return buffer.getvalue()


def to_xlsx(report: RevenueReport) -> bytes:
    """The table as an XLSX workbook: money as exact decimals in the currency's format, the
    totals row in bold."""
    header, rows = _cells(report)
    kinds = ["text", "text", *(report.currency if c.kind == "money" else c.kind
                               for c in table_columns(report))]
    widths = {0: 10, 1: 10, 2: 36} | {c: 14 for c in range(3, len(header))}
    return xlsx_bytes(f"Revenue by {report.group_by}", header, rows, kinds, bold_last=True,
                      widths=widths)
