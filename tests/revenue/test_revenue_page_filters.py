"""The revenue page's person filter and program grouping, driven through its state: the
creator / instructor select narrows the table and names the export, the program grouping says
what a program's row counts, and the table's headers are unique."""

from __future__ import annotations

import base64
from typing import Any

import reflex as rx
from sqlmodel import Session

from commerce_dash.domain.access import RoleName
from commerce_dash.domain.actor import Grant
from commerce_dash.pages.admin.revenue import RevenueState
from commerce_dash.pages.admin.revenue_state import PROGRAM_NOTE, person_filter
from commerce_dash.services.revenue import FIGURE_HEADERS
from tests.conftest import create_user
from tests.pages.harness import page_state, run_event, token_for
from tests.revenue.two_courses import Book

IP = "203.0.113.9"


def _run(handler: Any, state: rx.State, *args: Any) -> list[Any]:
    # plain or async (the page's loads and filters run their database work off the loop)
    return run_event(handler, state, *args)


def _opened(session: Session) -> RevenueState:
    create_user(session, "bill@example.com", grants=(Grant(RoleName.BILLING_ADMIN),))
    state = page_state(
        RevenueState, "/admin/revenue", {}, token_for(session, "bill@example.com", ip=IP), ip=IP
    )
    _run(RevenueState.load, state)
    assert state.access == "allowed"
    state.start, state.end = "2026-10-01", "2026-11-30"
    _run(RevenueState.set_end, state, "2026-11-30")
    return state


def test_one_creator_or_instructor_narrows_the_table_and_names_the_file(
    session: Session, two_courses_two_months: Book
) -> None:
    book = two_courses_two_months
    state = _opened(session)
    carl, ivan = book.people["carl"].user_id, book.people["ivan"].user_id
    assert [p["label"] for p in state.people] == [
        "Creator: Cara Creator",
        "Creator: Carl Creator",
        "Instructor: Ivan Instructor",
    ]
    _run(RevenueState.set_person, state, f"creator:{carl}")
    assert [r["label"] for r in state.rows] == ["ACC101 · Accounting"]
    (download,) = run_event(RevenueState.export_csv, state)
    args = {str(name): value for name, value in download.args}
    assert str(args["filename"]).strip('"') == (
        f"revenue_by-course_2026-10-01_2026-11-30_creator-{carl}_USD.csv"
    )
    data = base64.b64decode(str(args["url"]).strip('"').split("base64,", 1)[1]).decode()
    assert "Python Basics" not in data and "Accounting" in data
    _run(RevenueState.set_person, state, f"instructor:{ivan}")
    assert [r["label"] for r in state.rows] == ["PY101 · Python Basics"]
    # a forged value is no filter
    _run(RevenueState.set_person, state, "learner:1")
    assert state.person == "all" and len(state.rows) == 2


def test_grouped_by_program_the_page_says_what_a_program_counts(
    session: Session, two_courses_two_months: Book
) -> None:
    state = _opened(session)
    _run(RevenueState.set_group_by, state, "program")
    assert state.group_by == "program" and state.group_label == "Program"
    # the ledger of two_courses holds single-course sales only
    assert [r["label"] for r in state.rows] == ["Courses sold on their own"]
    assert state.totals["net"] == "$329.80"
    assert "bundle sales" in PROGRAM_NOTE


def test_the_table_headers_are_unique() -> None:
    headers = ["Creator", *(h for _f, h in FIGURE_HEADERS)]
    assert len(headers) == len(set(headers))
    assert person_filter("creator:7") == {"creator_id": 7} and person_filter("all") == {}
