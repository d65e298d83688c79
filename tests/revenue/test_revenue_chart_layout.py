"""The revenue charts fill their cards: no fixed width, sized by plotly to the card (autosize),
and drawn only with trace types of plotly.js's basic bundle, the one the page loads."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from commerce_dash.domain.actor import Actor
from commerce_dash.services.revenue import revenue_charts
from commerce_dash.services.revenue.revenue_reports import report
from tests.revenue.two_courses import OCT_NOV, Book


@pytest.mark.parametrize("group_by", ["course", "department", "month"])
def test_every_chart_autosizes_without_a_width_and_uses_basic_traces(
    session: Session, two_courses_two_months: Book, super_admin: Actor, group_by: str
) -> None:
    # given a report of two courses over two months
    start, end = OCT_NOV
    result = report(session=session, actor=super_admin, group_by=group_by,  # type: ignore[arg-type]
                    start=start, end=end)
    # when its charts are built
    charts = revenue_charts.figures(result)
    # then none has a fixed width, each resizes with its card, and the basic bundle draws it
    assert set(charts) == {"over_time", "top", "split"}
    for name, figure in charts.items():
        layout = figure.to_plotly_json()["layout"]
        assert layout.get("autosize") is True, name
        assert "width" not in layout, name
        assert {trace.type for trace in figure.data} <= revenue_charts.CHART_TRACE_TYPES, name
