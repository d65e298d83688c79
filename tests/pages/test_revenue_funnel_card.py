"""The Revenue page's Funnel card (issue 20 part 5): over the page's period and department, the
count of each stage, the conversion from the stage before, the rates as KPIs and the chart's
bars, for admins who may see revenue; a department admin asking for another department is told
so."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from commerce_dash import routes
from commerce_dash.domain.access import RoleName
from commerce_dash.domain.actor import Actor, Grant
from commerce_dash.models.catalog import Course
from commerce_dash.pages.admin.revenue_funnel import FunnelState
from commerce_dash.services import revenue as revenue_area
from tests.conftest import create_department, create_user
from tests.pages.harness import PageAs, run_event

DAY = date(2026, 11, 5)


def _course(session: Session, code: str, department_id: int) -> int:
    course = Course(code=code, title=code, department_id=department_id)
    session.add(course)
    session.commit()
    assert course.id is not None
    return course.id


def test_the_card_shows_each_stage_and_its_conversion(
        session: Session, billing: Actor, page_as: PageAs) -> None:
    eng, bus = create_department(session, "ENG"), create_department(session, "BUS")
    py, acc = _course(session, "PY101", eng), _course(session, "ACC101", bus)
    revenue_area.add_counts(session, {(DAY, "view", eng, py): 40, (DAY, "cart", eng, py): 8,
                                      (DAY, "view", bus, acc): 10})

    card = page_as(FunnelState, routes.ADMIN_REVENUE, email="bill@example.com")
    run_event(FunnelState.load, card, DAY.isoformat(), DAY.isoformat(), "all")

    assert [(r["label"], r["count"], r["rate"]) for r in card.funnel_rows] == [
        ("Course page views", "50", "—"), ("Added to cart", "8", "16.0 %"),
        ("Checkout started", "0", "0.0 %"), ("Payment started", "0", "—"),
        ("Paid", "0", "—"), ("Enrolled", "0", "—")]
    kpis = {k["label"]: (k["value"], k["hint"]) for k in card.funnel_kpis}
    assert kpis["View → cart"] == ("16.0 %", "8 of 50")
    assert kpis["View → paid"] == ("0.0 %", "0 of 50")
    assert kpis["Payment → paid"] == ("—", "0 of 0")
    bars = card.funnel_chart.data[0]
    assert list(bars.x) == [50, 8, 0, 0, 0, 0] and bars.orientation == "h"

    # one department: its course only
    run_event(FunnelState.load, card, DAY.isoformat(), DAY.isoformat(), str(bus))
    assert card.funnel_rows[0]["count"] == "10" and card.funnel_rows[1]["count"] == "0"

    # a department admin of ENG asking for BUS is told, and sees no figures
    create_user(session, "eng-admin@example.com", grants=(Grant(RoleName.DEPT_ADMIN, eng),))
    theirs = page_as(FunnelState, routes.ADMIN_REVENUE, email="eng-admin@example.com")
    run_event(FunnelState.load, theirs, DAY.isoformat(), DAY.isoformat(), str(bus))
    assert theirs.funnel_rows == [] and "your own departments" in theirs.funnel_problem
    run_event(FunnelState.load, theirs, DAY.isoformat(), DAY.isoformat(), "all")
    assert theirs.funnel_rows[0]["count"] == "40" and theirs.funnel_problem == ""
    # a broken period shows nothing rather than failing
    run_event(FunnelState.load, theirs, "not-a-day", DAY.isoformat(), "all")
    assert theirs.funnel_rows == []
