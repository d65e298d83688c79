"""The revenue page driven through its state as a browser would (no server): the table, totals,
KPIs, group switch, exports of exactly what is shown, and the reconciliation card's rows."""

from __future__ import annotations

import base64
import csv
import io
from typing import Any

import reflex as rx
from sqlmodel import Session

from commerce_dash.domain.access import RoleName
from commerce_dash.domain.actor import Grant
from commerce_dash.pages.admin.revenue import RevenueState
from tests.conftest import create_user
from tests.pages.harness import page_state, run_event, token_for
from tests.revenue.two_courses import Book

IP = "203.0.113.9"


def _state(email: str, session: Session) -> RevenueState:
    return page_state(RevenueState, "/admin/revenue", {}, token_for(session, email, ip=IP), ip=IP)


def _run(handler: Any, state: rx.State, *args: Any) -> list[Any]:
    # plain or async (the page's loads and filters run their database work off the loop)
    return run_event(handler, state, *args)


def _downloaded(events: list[Any]) -> tuple[str, bytes]:
    """The file name and bytes of the one rx.download event."""
    (event,) = events
    args = {name.__str__(): value for name, value in event.args}
    filename = str(args["filename"]).strip('"')
    url = str(args["url"]).strip('"')
    return filename, base64.b64decode(url.split("base64,", 1)[1])


def _open(state: RevenueState) -> None:
    _run(RevenueState.load, state)
    assert state.access == "allowed"
    state.start, state.end = "2026-10-01", "2026-11-30"
    assert _run(RevenueState.set_end, state, "2026-11-30") == []


def test_billing_sees_the_table_totals_and_exports_exactly_that(
    session: Session, two_courses_two_months: Book
) -> None:
    # given a billing admin on the revenue page, custom period October - November
    create_user(session, "bill@example.com", grants=(Grant(RoleName.BILLING_ADMIN),))
    state = _state("bill@example.com", session)
    _open(state)
    # then the course rows, totals and KPIs are the hand-computed figures
    assert state.preset == "custom" and state.can_reconcile
    assert [(r["label"], r["net"], r["completion"]) for r in state.rows] == [
        ("PY101 · Python Basics", "$213.40", "50.0 %"), ("ACC101 · Accounting", "$116.40", "—")]
    assert (state.totals["gross"], state.totals["net"], state.totals["enrollments"]) == (
        "$480.00", "$329.80", "5")
    assert {k["label"]: k["value"] for k in state.kpis}["Refunds"] == "$140.00"
    assert state.other_currencies == "EUR"
    # when they switch to creators and export
    _run(RevenueState.set_group_by, state, "creator")
    assert [r["label"] for r in state.rows] == ["Cara Creator", "Carl Creator"]
    name, data = _downloaded(run_event(RevenueState.export_csv, state))
    # then the file has the rows on screen and the totals
    assert name == "revenue_by-creator_2026-10-01_2026-11-30_USD.csv"
    lines = list(csv.reader(io.StringIO(data.decode())))
    assert [line[2] for line in lines] == ["Creator", "Cara Creator", "Carl Creator", "Total"]
    name, data = _downloaded(run_event(RevenueState.export_xlsx, state))
    assert name.endswith(".xlsx") and data[:2] == b"PK"
    # and the reconciliation lists the sale days the processor has no capture for
    assert {d["day"] for d in state.recon_days if d["mismatch"]} == {
        "2026-10-05", "2026-10-20", "2026-10-25", "2026-11-03", "2026-11-10"}
    assert state.recon_problems and "differ from the ledger" in state.recon_summary


def test_a_department_admin_sees_their_courses_and_no_reconciliation(
    session: Session, two_courses_two_months: Book
) -> None:
    create_user(session, "dora@example.com",
                grants=(Grant(RoleName.DEPT_ADMIN, two_courses_two_months.departments["BUS"]),))
    state = _state("dora@example.com", session)
    _open(state)
    assert [r["label"] for r in state.rows] == ["ACC101 · Accounting"]
    assert [d["label"] for d in state.departments] == ["Department BUS"]
    assert not state.can_reconcile and state.recon_days == []


def test_a_learner_is_refused(session: Session, two_courses_two_months: Book) -> None:
    state = _state("lee@example.com", session)
    _run(RevenueState.load, state)
    assert state.access == "denied" and state.rows == []
