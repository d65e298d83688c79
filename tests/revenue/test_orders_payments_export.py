"""The orders and payments export for accounting: one line per order with its payment, money
exact with its currency (CSV text and XLSX decimals in the currency's format, read back with
openpyxl), the orders page's filters and a file name that says them; over the API for billing
admins only, and from the orders page's buttons."""

from __future__ import annotations

import base64
import csv
import io
from datetime import UTC, datetime

import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from commerce_dash.api import create_api
from commerce_dash.domain.access import RoleName
from commerce_dash.domain.actor import Actor, Grant
from commerce_dash.domain.errors import DomainError
from commerce_dash.domain.orders import order_number
from commerce_dash.models.commerce import Order, Payment
from commerce_dash.pages.admin.orders_state import AdminOrdersState
from commerce_dash.services.commerce import orders_export
from tests.api.conftest import signed_in
from tests.builders import a_learner, an_admin, recorded_order
from tests.conftest import create_department
from tests.pages.harness import run_event, state_as, toast_messages

NOV = datetime(2026, 11, 5, 9, 0, tzinfo=UTC)
DEC = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def _number(order: Order) -> str:
    assert order.id is not None
    return order_number(order.id, order.created_at)


@pytest.fixture
def books(session: Session) -> dict[str, Order]:
    lee = a_learner(session, "lee@example.com", full_name="Lee Learner")
    usd = recorded_order(
        session,
        lee,
        created_at=NOV,
        lines=(("Python Basics", 858_162),),
        discount=10_000,
        discount_code="FALL10",
        tax=84_816,
        tax_label="CA sales tax 9.88%",
    )
    payment = session.get(Payment, usd.id)  # one payment per order; ids line up here
    assert payment is not None and payment.order_id == usd.id
    payment.processor_fee = 25_191
    session.add(payment)
    jpy = recorded_order(
        session,
        lee,
        created_at=NOV.replace(day=20),
        currency="JPY",
        lines=(("Rust 101", 12_000),),
        processor="stripe",
    )
    failed = recorded_order(
        session,
        lee,
        created_at=DEC,
        status="failed",
        payment="failed",
        failure_reason="Card declined",
    )
    session.commit()
    return {"usd": usd, "jpy": jpy, "failed": failed}


def test_each_order_and_its_payment_with_exact_money(
    session: Session, super_admin: Actor, books: dict[str, Order]
) -> None:
    export = orders_export(session=session, actor=super_admin)
    lines = list(csv.reader(io.StringIO(export.csv().decode("utf-8"))))
    header = lines[0]
    assert len(header) == len(set(header))
    rows = [dict(zip(header, line, strict=True)) for line in lines[1:]]
    assert [r["Order number"] for r in rows] == [
        _number(books["usd"]),
        _number(books["jpy"]),
        _number(books["failed"]),
    ]
    usd, jpy, failed = rows
    assert (
        usd["Currency"],
        usd["Subtotal"],
        usd["Discount"],
        usd["Discount code"],
        usd["Tax"],
        usd["Total"],
        usd["Refunded"],
    ) == ("USD", "8581.62", "100.00", "FALL10", "848.16", "9329.78", "0.00")
    assert (
        usd["Processor"],
        usd["Transaction"],
        usd["Payment amount"],
        usd["Processor fee"],
        usd["Placed (UTC)"],
        usd["Paid at (UTC)"],
    ) == (
        "sandbox",
        f"pi_{books['usd'].id}",
        "9329.78",
        "251.91",
        "2026-11-05T09:00:00Z",
        "2026-11-05T09:01:00Z",
    )
    assert (jpy["Currency"], jpy["Total"], jpy["Processor fee"]) == ("JPY", "12000", "")
    assert (failed["Order status"], failed["Payment status"], failed["Paid at (UTC)"]) == (
        "failed",
        "failed",
        "",
    )

    sheet = openpyxl.load_workbook(io.BytesIO(export.xlsx())).active
    assert sheet is not None
    assert [c.value for c in sheet[1]] == header
    subtotal = header.index("Subtotal")
    usd_cell, jpy_cell = sheet.cell(2, subtotal + 1), sheet.cell(3, subtotal + 1)
    assert usd_cell.value == 8581.62 and usd_cell.number_format == '#,##0.00 "USD"'
    assert jpy_cell.value == 12000 and jpy_cell.number_format == '#,##0 "JPY"'


def test_filters_narrow_it_and_name_the_file(
    session: Session, super_admin: Actor, books: dict[str, Order]
) -> None:
    export = orders_export(
        session=session,
        actor=super_admin,
        date_from=datetime(2026, 11, 1, tzinfo=UTC),
        date_to=datetime(2026, 12, 1, tzinfo=UTC),
        processor="stripe",
    )
    assert [r[0] for r in export.rows] == [_number(books["jpy"])]
    assert export.file("xlsx")[1] == ("orders-payments_2026-11-01_2026-11-30_processor-stripe.xlsx")
    assert orders_export(session=session, actor=super_admin).name == ("orders-payments_start_now")


def test_only_the_orders_section_may_export(session: Session, books: dict[str, Order]) -> None:
    dept = create_department(session, "ENG")
    dora = an_admin(session, "dora@example.com", grants=(Grant(RoleName.DEPT_ADMIN, dept),))
    with pytest.raises(DomainError):
        orders_export(session=session, actor=dora)


def test_over_the_api_billing_gets_the_files_and_others_are_refused(
    session: Session, books: dict[str, Order]
) -> None:
    an_admin(session, "bill@example.com", grants=(Grant(RoleName.BILLING_ADMIN),))
    an_admin(session, "enid@example.com", grants=(Grant(RoleName.ENROLLMENT_ADMIN),))
    url = "/api/v2/admin/exports/orders-payments"
    with TestClient(create_api()) as client:
        bill = signed_in(client, "bill@example.com")
        as_csv = client.get(
            url,
            params={"date_from": "2026-11-01", "date_to": "2026-11-30", "status": "completed"},
            headers=bill,
        )
        assert as_csv.status_code == 200, as_csv.text
        assert as_csv.headers["content-disposition"] == (
            'attachment; filename="orders-payments_2026-11-01_2026-11-30_status-completed.csv"'
        )
        assert len(as_csv.text.strip().splitlines()) == 3  # header + the two November orders
        as_xlsx = client.get(url, params={"format": "xlsx"}, headers=bill)
        assert as_xlsx.status_code == 200 and as_xlsx.content[:2] == b"PK"
        bad = client.get(url, params={"status": "lost"}, headers=bill)
        assert bad.status_code == 422 and bad.json()["code"]
        enid = signed_in(client, "enid@example.com")
        assert client.get(url, headers=enid).status_code == 403
        assert client.get(url).status_code == 401


def test_the_orders_page_exports_what_its_filters_show(
    session: Session, books: dict[str, Order]
) -> None:
    an_admin(session, "bill@example.com", grants=(Grant(RoleName.BILLING_ADMIN),))
    state = state_as(session, AdminOrdersState, "/admin/orders", email="bill@example.com")
    run_event(AdminOrdersState.load, state)
    state.processor_filter = "stripe"
    (download,) = run_event(AdminOrdersState.export_csv, state)
    args = {str(name): value for name, value in download.args}
    assert str(args["filename"]).strip('"') == "orders-payments_start_now_processor-stripe.csv"
    data = base64.b64decode(str(args["url"]).strip('"').split("base64,", 1)[1]).decode()
    assert _number(books["jpy"]) in data and _number(books["usd"]) not in data
    # a filter that is no day: a message, no file
    state.date_from = "yesterday"
    assert toast_messages(run_event(AdminOrdersState.export_xlsx, state))
