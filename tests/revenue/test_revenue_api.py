"""The revenue API: the spec's v1 report shapes by course, creator and instructor, the admin
report as JSON, CSV and XLSX files, the reconciliation, and who may ask for what."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from commerce_dash.api import create_api
from commerce_dash.api import revenue as revenue_api
from commerce_dash.domain.access import RoleName
from commerce_dash.domain.actor import Grant
from tests.api.conftest import bearer
from tests.conftest import PASSWORD, create_user
from tests.revenue.two_courses import Book

PERIOD = {"start": "2026-10-01", "end": "2026-11-30"}
ADMIN = "super@example.com"


def _api() -> FastAPI:
    api = create_api()
    paths = {getattr(route, "path", "") for route in api.router.routes}
    if "/api/v2/admin/revenue/report" not in paths:  # until create_api includes the router
        before = list(api.router.routes)
        api.include_router(revenue_api.router)
        added = [r for r in api.router.routes if r not in before]
        # ahead of the catch-all that answers unknown /api paths
        api.router.routes[:] = added + before
    return api


@pytest.fixture
def client(session: Session) -> Iterator[TestClient]:
    with TestClient(_api()) as c:
        yield c


def _sign_in(client: TestClient, email: str) -> dict[str, str]:
    response = client.post("/api/v2/auth/login", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.json()
    return bearer(response.json()["token"])


@pytest.fixture
def admin_headers(session: Session, client: TestClient) -> dict[str, str]:
    create_user(session, ADMIN, grants=(Grant(RoleName.SUPER_ADMIN),))
    return _sign_in(client, ADMIN)


def test_by_course_has_the_spec_shape(
    client: TestClient, two_courses_two_months: Book, admin_headers: dict[str, str]
) -> None:
    py = two_courses_two_months.py
    response = client.get(f"/api/v1/revenue/by-course/{py.id}", params=PERIOD,
                          headers=admin_headers)
    assert response.status_code == 200, response.json()
    assert response.json() == {
        "courseId": py.id,
        "courseName": "Python Basics",
        "courseCode": "PY101",
        "period": {"start": "2026-10-01", "end": "2026-11-30"},
        "totals": {"grossRevenue": 32_000, "refunds": 10_000, "processorFees": 660,
                   "netRevenue": 21_340, "enrollments": 3, "completionRate": 0.5,
                   "platformAmount": 6_402, "creatorAmount": 8_536,
                   "instructorAmount": 6_402, "currency": "USD"},
        "byMonth": [
            {"month": "2026-10", "grossRevenue": 20_000, "refunds": 0, "netRevenue": 19_400,
             "enrollments": 2},
            {"month": "2026-11", "grossRevenue": 12_000, "refunds": 10_000,
             "netRevenue": 1_940, "enrollments": 1},
        ],
    }


def test_by_creator_and_by_instructor_have_the_spec_shapes(
    client: TestClient, two_courses_two_months: Book, admin_headers: dict[str, str]
) -> None:
    book = two_courses_two_months
    carl, ivan = book.people["carl"].user_id, book.people["ivan"].user_id
    creator = client.get(f"/api/v1/revenue/by-creator/{carl}", params=PERIOD,
                         headers=admin_headers).json()
    assert (creator["creatorId"], creator["creatorName"]) == (carl, "Carl Creator")
    assert {k: creator["totals"][k] for k in ("totalRevenue", "creatorShare", "courseCount",
                                              "totalEnrollments")} == {
        "totalRevenue": 11_640, "creatorShare": 4_656, "courseCount": 1, "totalEnrollments": 2}
    assert creator["byCourse"] == [{"courseId": book.acc.id, "courseName": "ACC101 · Accounting",
                                    "revenue": 11_640, "grossRevenue": 16_000,
                                    "enrollments": 2, "creatorShare": 4_656}]
    assert [m["month"] for m in creator["byMonth"]] == ["2026-10", "2026-11"]
    instructor = client.get(f"/api/v1/revenue/by-instructor/{ivan}", params=PERIOD,
                            headers=admin_headers).json()
    assert {k: instructor["totals"][k] for k in ("totalRevenue", "instructorShare",
                                                 "activeLearners", "completedLearners")} == {
        "totalRevenue": 21_340, "instructorShare": 6_402, "activeLearners": 2,
        "completedLearners": 1}
    assert [(c["courseId"], c["learnerCount"], c["instructorShare"])
            for c in instructor["byCourse"]] == [(book.py.id, 3, 6_402)]


def test_the_period_defaults_to_the_last_30_days(
    client: TestClient, two_courses_two_months: Book, admin_headers: dict[str, str]
) -> None:
    body = client.get(f"/api/v1/revenue/by-course/{two_courses_two_months.py.id}",
                      headers=admin_headers).json()
    start, end = body["period"]["start"], body["period"]["end"]
    from datetime import date

    assert (date.fromisoformat(end) - date.fromisoformat(start)).days == 29


def test_department_admins_get_404_for_a_foreign_course(
    session: Session, client: TestClient, two_courses_two_months: Book
) -> None:
    book = two_courses_two_months
    create_user(session, "dora@example.com",
                grants=(Grant(RoleName.DEPT_ADMIN, book.departments["ENG"]),))
    headers = _sign_in(client, "dora@example.com")
    own = client.get(f"/api/v1/revenue/by-course/{book.py.id}", params=PERIOD, headers=headers)
    assert own.status_code == 200 and own.json()["totals"]["netRevenue"] == 21_340
    foreign = client.get(f"/api/v1/revenue/by-course/{book.acc.id}", params=PERIOD,
                         headers=headers)
    assert (foreign.status_code, foreign.json()["code"]) == (404, "course_not_found")
    # their report holds their departments only; reconciliation is not theirs
    rows = client.get("/api/v2/admin/revenue/report", params=PERIOD, headers=headers).json()
    assert [r["key"] for r in rows["rows"]] == [str(book.py.id)]
    denied = client.get("/api/v2/admin/revenue/reconciliation", params=PERIOD, headers=headers)
    assert denied.status_code == 403


def test_learners_and_strangers_are_refused(
    session: Session, client: TestClient, two_courses_two_months: Book
) -> None:
    path = f"/api/v1/revenue/by-course/{two_courses_two_months.py.id}"
    assert client.get(path).status_code == 401
    create_user(session, "lee2@example.com")
    assert client.get(path, headers=_sign_in(client, "lee2@example.com")).status_code == 403


def test_admin_report_as_json_csv_and_xlsx(
    client: TestClient, two_courses_two_months: Book, admin_headers: dict[str, str]
) -> None:
    url = "/api/v2/admin/revenue/report"
    body = client.get(url, params={**PERIOD, "group_by": "month"}, headers=admin_headers).json()
    assert [(r["key"], r["net"]) for r in body["rows"]] == [("2026-10", 27_160),
                                                            ("2026-11", 5_820)]
    assert body["totals"]["net"] == 32_980 and body["series"]["unit"] == "day"
    assert len(body["series"]["points"]) == 61
    assert body["split"] == [{"recipient": "Platform", "amount": 13_386},
                             {"recipient": "Creators", "amount": 13_192},
                             {"recipient": "Instructors", "amount": 6_402}]
    assert body["other_currencies"] == ["EUR"]

    as_csv = client.get(url, params={**PERIOD, "group_by": "month", "format": "csv"},
                        headers=admin_headers)
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert as_csv.headers["content-disposition"] == (
        'attachment; filename="revenue_by-month_2026-10-01_2026-11-30_USD.csv"')
    lines = list(csv.reader(io.StringIO(as_csv.text)))
    assert [line[0] for line in lines] == ["Key", "2026-10", "2026-11", "total"]
    assert lines[-1][6] == "329.80"

    as_xlsx = client.get(url, params={**PERIOD, "format": "xlsx"}, headers=admin_headers)
    assert as_xlsx.headers["content-disposition"].endswith('course_2026-10-01_2026-11-30_USD.xlsx"')
    with zipfile.ZipFile(io.BytesIO(as_xlsx.content)) as book:
        assert "xl/worksheets/sheet1.xml" in book.namelist()

    bad = client.get(url, params={**PERIOD, "group_by": "colour"}, headers=admin_headers)
    assert bad.status_code == 422


def test_reconciliation_over_the_api(
    client: TestClient, two_courses_two_months: Book, admin_headers: dict[str, str]
) -> None:
    body = client.get("/api/v2/admin/revenue/reconciliation", params=PERIOD,
                      headers=admin_headers).json()
    # the scenario has ledger rows and paid refunds but no payments: the days with a sale
    # mismatch, the days of a refund match its reversal; no order is registered
    assert body["reconciles"] is False
    days = {d["day"]: d for d in body["days"]}
    assert {day for day, d in days.items() if d["mismatch"]} == {
        "2026-10-05", "2026-10-20", "2026-10-25", "2026-11-03", "2026-11-10"}
    assert (days["2026-11-12"]["refunded"], days["2026-11-12"]["ledger_reversals"]) == (
        11_000, 11_000)
    kinds = {p["kind"] for p in body["problems"]}
    assert "order_without_registration" in kinds and "refund_without_reversal" not in kinds
